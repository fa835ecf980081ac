/*
 * settings.h - the library's context: every option (struct rg_config), the
 * log sink, credentials that never go on a command line, and what is derived
 * from them once (host name, default address, tags, model options, adapter
 * configuration). The public handle `struct rg_settings` of registrator.h.
 */
#ifndef RG_REGISTRATOR_SETTINGS_H
#define RG_REGISTRATOR_SETTINGS_H

#include "adapters/adapter.h"
#include "registrator/config.h"
#include "registrator/model.h"
#include "registrator/swarm.h"

/* A registry family's credentials: etcd and SkyDNS read ETCDCTL_*, Consul
 * reads CONSUL_*; a process feeding both kinds holds both. */
struct rg_registry_cred {
  char *ca_file, *cert_file, *key_file;
  char *username, *password, *token;
  bool tls_insecure;
  long timeout_ms, connect_timeout_ms; /* 0: the adapter's default */
};

struct rg_credentials {
  char *docker_host; /* DOCKER_HOST */
  struct rg_registry_cred etcd, consul;
};

struct rg_settings {
  struct rg_config cfg;
  struct rg_log log;
  struct rg_credentials cred;
  volatile int cancel; /* set by rg_settings_cancel(): abandon retries */
  /* systemd (notify.h): $NOTIFY_SOCKET, $WATCHDOG_USEC, $WATCHDOG_PID */
  char *notify_socket;
  long long watchdog_usec;
  long watchdog_pid;
  /* derived by rg_settings_prepare(), all owned: nothing here points into
   * cfg or cred, so rg_settings_set() never leaves a view dangling (until
   * the next prepare a view is the old one, still valid) */
  bool prepared;
  char hostname[256];
  char default_ip[64];
  char *host_ip;           /* copy of -ip */
  char *use_ip_from_label; /* copy of -useIpFromLabel */
  struct rg_strlist tags;
  struct rg_model_options mo; /* points into the fields above */
  struct rg_swarm swarm; /* the engine's swarm mode as last seen (mo.swarm points here) */
};

/* Reads the credentials from the environment through getenv_fn: DOCKER_HOST;
 * for the etcd family ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY, ETCDCTL_USER ("name" or
 * "name:password"), ETCDCTL_PASSWORD, ETCDCTL_INSECURE_SKIP_TLS_VERIFY,
 * ETCDCTL_COMMAND_TIMEOUT and ETCDCTL_DIAL_TIMEOUT for etcd and SkyDNS; CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY,
 * CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_SSL_VERIFY=false
 * for Consul. Errors name the variable or file, never a secret. */
int rg_settings_load_env(struct rg_settings *s, const char *(*getenv_fn)(const char *), char *err);
/* NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID (called by rg_settings_load_env). */
int rg_settings_load_systemd(struct rg_settings *s, const char *(*getenv_fn)(const char *), char *err);

/* Derives host facts and the model/adapter views from the options (logs
 * which address ports bound to all addresses get). Idempotent until an
 * option changes (rg_settings_set). All or nothing: on failure the views
 * are the earlier ones. */
int rg_settings_prepare(struct rg_settings *s, char *err);

/* Builds complete settings as the program does at start: the options from
 * argv (config file, REGISTRATOR_* environment, flags: rg_cli_parse), the
 * credentials from the environment, then rg_settings_prepare(); log lines go
 * to log (copied). On failure *out is NULL and err says why; nothing else is
 * touched. */
int rg_settings_build(struct rg_settings **out, int argc, char **argv, rg_getenv_fn getenv_fn,
                      const struct rg_log *log, char *err);

/* Hands everything fresh holds (options, credentials, derived views) over
 * to s, which keeps its address, log and cancel flag (open registries and a
 * daemon borrow those); s's old content is freed with fresh. Both prepared.
 * Whoever reads s (the daemon) must not run meanwhile: SIGHUP's reload runs
 * on the daemon's own thread. */
void rg_settings_adopt(struct rg_settings *s, struct rg_settings *fresh);

/* The adapter configuration for the registry at uri (prepared settings):
 * the credentials of its family (consul* schemes: Consul's, others etcd's).
 * Strings are borrowed from s: rg_registry_open() copies what it keeps. */
void rg_settings_adapter_config(const struct rg_settings *s, const char *uri,
                                struct rg_adapter_config *ac);

#endif
