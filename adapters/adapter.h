/*
 * adapter.h - the backend interface. Each registry backend is one const
 * struct rg_adapter, listed in the one scheme table (adapters/table.c).
 * Mutable per-instance state lives behind `state`, never in the vtable.
 */
#ifndef RG_ADAPTERS_ADAPTER_H
#define RG_ADAPTERS_ADAPTER_H

#include "registrator/common.h"
#include "registrator/service.h"

/* A parsed registry URI: scheme://host1:port,host2:port/path?query. */
struct rg_uri {
  char *scheme;             /* lower-case: "etcd", "consul-tls", ... */
  struct rg_strlist hosts;  /* "127.0.0.1:2379", "[::1]:2379", "h" (may be empty) */
  char *path;               /* "/services", "" when none; never NULL after parse */
  struct rg_kvlist query;   /* decoded ?k=v&... pairs, in order */
};

/* Parses s into out (zeroed by the caller). Errors name the bad part. */
int rg_uri_parse(const char *s, struct rg_uri *out, char *err);
void rg_uri_free(struct rg_uri *u); /* accepts half-built */

/* What the core hands an adapter when opening it. Strings are borrowed for
 * the lifetime of the adapter instance. */
struct rg_adapter_config {
  const char *hostname;   /* this host's name (ownership of entries) */
  int ttl;                /* seconds, 0: none */
  int ttl_refresh;        /* seconds, 0: none */
  const char *ca_file;    /* TLS: CA bundle (NULL: system default) */
  const char *cert_file;  /* TLS client certificate */
  const char *key_file;   /* TLS client key */
  const char *username;   /* auth (etcd) */
  const char *password;   /* never logged */
  const char *token;      /* auth (consul); never logged */
  const struct rg_log *log;
  /* Added for the etcd/SkyDNS adapters (zero means the default). The URI
   * query (?cacert=..&insecure=true&timeout=5, see adapters/etcdkv.h) beats
   * these. */
  bool tls;               /* https even without CA/cert files (e.g. ETCDCTL_ENDPOINTS https) */
  bool tls_insecure;      /* skip TLS verification (ETCDCTL_INSECURE_SKIP_TLS_VERIFY); warned */
  long timeout_ms;        /* per request (ETCDCTL_COMMAND_TIMEOUT); 0: 5000 */
  long connect_timeout_ms; /* (ETCDCTL_DIAL_TIMEOUT); 0: 2000 */
  const volatile int *cancel; /* non-zero: abandon requests in flight (stopping) */
  int max_in_flight;      /* requests in flight at once (-max-in-flight); 0: 8 */
};

struct rg_adapter {
  const char *name;                 /* "etcd", "skydns", "consul" */
  const char *const *schemes;       /* NULL-terminated */
  int (*open)(void **state, const struct rg_uri *uri, const struct rg_adapter_config *cfg,
              char *err);
  int (*ping)(void *state, char *err);
  int (*register_service)(void *state, const struct rg_service *s, char *err);
  /* Optional (NULL: the core calls register_service for each service).
   * Registers svcs[0..n) in as few round trips as the backend allows.
   * rcs[i] gets each outcome: RG_OK; RG_EINVAL when the service is refused
   * by validation (errs[i] says why); or the error of the registry that
   * kept it from being written (message in err). Returns RG_OK when every
   * service was written or refused, else that registry error. */
  int (*register_many)(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                       char (*errs)[RG_ERRBUF], char *err);
  int (*deregister_service)(void *state, const struct rg_service *s, char *err);
  /* Optional (NULL: deregister_service for each). Removes svcs[0..n) (distinct
   * services) as register_many writes: rcs[i] RG_OK, RG_ENOTFOUND (was not
   * there: done), RG_EINVAL (refused, errs[i]) or the registry's error. */
  int (*deregister_many)(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                         char (*errs)[RG_ERRBUF], char *err);
  int (*refresh)(void *state, char *err);                      /* TTL keep-alive */
  int (*list)(void *state, struct rg_service_list *out, char *err); /* for cleanup */
  /* Optional: what this instance's own writes still hold in the registry,
   * for drift repair without reading other hosts' entries (etcd v3 with a
   * TTL: the keys on its lease). RG_EUNSUPPORTED (or NULL): use list(). */
  int (*list_own)(void *state, struct rg_service_list *out, char *err);
  void (*close)(void *state);       /* accepts NULL and half-built state */
};

/* The adapter handling scheme, or NULL. (table.c) */
const struct rg_adapter *rg_adapter_find(const char *scheme);
/* The NULL-terminated table of every adapter. */
extern const struct rg_adapter *const rg_adapters[];

#endif /* RG_ADAPTERS_ADAPTER_H */
