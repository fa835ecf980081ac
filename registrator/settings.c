/* settings.c - see settings.h and registrator.h. */
#include "registrator/settings.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrator/hostinfo.h"
#include "registrator/metadata.h"

void rg_free(void *p) { free(p); }

int rg_settings_new(struct rg_settings **out) {
  *out = calloc(1, sizeof **out);
  if (*out == NULL) return RG_ENOMEM;
  rg_config_init(&(*out)->cfg);
  return RG_OK;
}

static void wipe_free(char *p) {
  if (p) rg_wipe(p, strlen(p));
  free(p);
}

static void family_free(struct rg_registry_cred *c) {
  free(c->ca_file);
  free(c->cert_file);
  free(c->key_file);
  free(c->username);
  wipe_free(c->password);
  wipe_free(c->token);
  memset(c, 0, sizeof *c);
}

static void cred_free(struct rg_credentials *c) {
  free(c->docker_host);
  family_free(&c->etcd);
  family_free(&c->consul);
  memset(c, 0, sizeof *c);
}

void rg_settings_free(struct rg_settings *s) {
  if (s == NULL) return;
  rg_config_free(&s->cfg);
  cred_free(&s->cred);
  rg_strlist_free(&s->tags);
  free(s->notify_socket);
  free(s->host_ip);
  free(s->use_ip_from_label);
  rg_swarm_free(&s->swarm);
  free(s);
}

void rg_settings_set_log(struct rg_settings *s, rg_log_fn fn, void *userdata, enum rg_log_level min) {
  s->log.fn = fn;
  s->log.fields_fn = NULL;
  s->log.userdata = userdata;
  s->log.min = min;
}

void rg_settings_set_log_fields(struct rg_settings *s, rg_log_fields_fn fn, void *userdata,
                                enum rg_log_level min) {
  s->log.fn = NULL;
  s->log.fields_fn = fn;
  s->log.userdata = userdata;
  s->log.min = min;
}

static int set_str(char **field, const char *value) {
  char *copy = value && value[0] ? rg_strdup(value) : NULL;
  if (value && value[0] && copy == NULL) return RG_ENOMEM;
  free(*field);
  *field = copy;
  return RG_OK;
}

/* A credential set by its name through the library: it holds for every
 * registry family (the caller chose it). */
static int set_cred(struct rg_credentials *c, const char *name, const char *value, char *err) {
  struct rg_registry_cred *fam[] = {&c->etcd, &c->consul};
  for (size_t i = 0; i < RG_ARRAY_LEN(fam); i++) {
    struct rg_registry_cred *f = fam[i];
    char **field = NULL;
    if (strcmp(name, "ca-file") == 0) field = &f->ca_file;
    else if (strcmp(name, "cert-file") == 0) field = &f->cert_file;
    else if (strcmp(name, "key-file") == 0) field = &f->key_file;
    else if (strcmp(name, "username") == 0) field = &f->username;
    else if (strcmp(name, "password") == 0) field = &f->password;
    else if (strcmp(name, "token") == 0) field = &f->token;
    else if (strcmp(name, "tls-insecure") != 0) return RG_ENOTFOUND;
    else if (value == NULL) f->tls_insecure = false;
    else if (rg_parse_bool(value, &f->tls_insecure) != RG_OK)
      return rg_err(err, RG_EINVAL, "invalid boolean value \"%s\" for tls-insecure (true or false)", value);
    if (field && set_str(field, value) != RG_OK) return rg_err(err, RG_ENOMEM, "out of memory");
  }
  return RG_OK;
}

int rg_settings_set(struct rg_settings *s, const char *name, const char *value, char *err) {
  s->prepared = false;
  if (strcmp(name, "docker-host") == 0)
    return set_str(&s->cred.docker_host, value) ? rg_err(err, RG_ENOMEM, "out of memory") : RG_OK;
  int rc = set_cred(&s->cred, name, value, err);
  if (rc != RG_ENOTFOUND) return rc;
  return rg_config_set(&s->cfg, name, value, err);
}

/* The whole content of a token file, trimmed of trailing white space. */
static int read_token_file(const char *path, char **out, char *err) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return rg_err(err, RG_EINVAL, "CONSUL_HTTP_TOKEN_FILE %s: cannot open it", path);
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
  buf[n] = '\0';
  int rc = set_str(out, buf);
  memset(buf, 0, sizeof buf);
  return rc ? rg_err(err, rc, "out of memory") : RG_OK;
}

/* etcdctl's durations: "5s", "500ms", "2m", or plain seconds. */
static int env_duration(const char *(*getenv_fn)(const char *), const char *var, long *ms, char *err) {
  const char *v = getenv_fn(var);
  if (v == NULL || v[0] == '\0') return RG_OK;
  char num[32];
  size_t n = strspn(v, "0123456789");
  long x, unit = 1000;
  const char *suffix = v + n;
  if (strcmp(suffix, "ms") == 0) unit = 1;
  else if (strcmp(suffix, "m") == 0) unit = 60000;
  else if (strcmp(suffix, "s") != 0 && suffix[0] != '\0') n = 0;
  snprintf(num, sizeof num, "%.*s", (int)n, v);
  if (n == 0 || n >= sizeof num || rg_parse_long(num, 1, 86400000, &x) != RG_OK)
    return rg_err(err, RG_EINVAL, "%s=\"%s\": want a duration such as 5s or 500ms", var, v);
  *ms = x * unit;
  return RG_OK;
}

/* A boolean variable (rg_parse_bool's words); unset or empty: *out kept. */
static int env_bool(const char *(*getenv_fn)(const char *), const char *var, bool *out, char *err) {
  const char *v = getenv_fn(var);
  if (v == NULL || v[0] == '\0' || rg_parse_bool(v, out) == RG_OK) return RG_OK;
  return rg_err(err, RG_EINVAL, "%s=\"%s\": want true or false", var, v);
}

static int load_consul(struct rg_registry_cred *c, const char *(*getenv_fn)(const char *), char *err) {
  const char *v;
  int rc = set_str(&c->ca_file, getenv_fn("CONSUL_CACERT"));
  /* CONSUL_TLSCERT / CONSUL_TLSKEY: what gliderlabs/registrator read */
  if (rc == RG_OK) rc = set_str(&c->cert_file, (v = getenv_fn("CONSUL_CLIENT_CERT")) ? v : getenv_fn("CONSUL_TLSCERT"));
  if (rc == RG_OK) rc = set_str(&c->key_file, (v = getenv_fn("CONSUL_CLIENT_KEY")) ? v : getenv_fn("CONSUL_TLSKEY"));
  if (rc == RG_OK) rc = set_str(&c->token, getenv_fn("CONSUL_HTTP_TOKEN"));
  if (rc) return rg_err(err, rc, "out of memory");
  bool verify = true;
  if (env_bool(getenv_fn, "CONSUL_HTTP_SSL_VERIFY", &verify, err) != RG_OK) return RG_EINVAL;
  c->tls_insecure = !verify;
  if (c->token == NULL && (v = getenv_fn("CONSUL_HTTP_TOKEN_FILE")) && v[0])
    return read_token_file(v, &c->token, err);
  return RG_OK;
}

static int load_etcd(struct rg_registry_cred *c, const char *(*getenv_fn)(const char *), char *err) {
  const char *v;
  int rc = set_str(&c->ca_file, getenv_fn("ETCDCTL_CACERT"));
  if (rc == RG_OK) rc = set_str(&c->cert_file, getenv_fn("ETCDCTL_CERT"));
  if (rc == RG_OK) rc = set_str(&c->key_file, getenv_fn("ETCDCTL_KEY"));
  if (rc == RG_OK) rc = set_str(&c->password, getenv_fn("ETCDCTL_PASSWORD"));
  if (rc == RG_OK && (v = getenv_fn("ETCDCTL_USER")) != NULL) {
    const char *colon = strchr(v, ':'); /* etcdctl's "name:password" form */
    char *name = rg_strndup(v, colon ? (size_t)(colon - v) : strlen(v));
    rc = name ? set_str(&c->username, name) : RG_ENOMEM;
    free(name);
    if (rc == RG_OK && colon) rc = set_str(&c->password, colon + 1);
  }
  if (rc) return rg_err(err, rc, "out of memory");
  c->tls_insecure = false;
  rc = env_bool(getenv_fn, "ETCDCTL_INSECURE_SKIP_TLS_VERIFY", &c->tls_insecure, err);
  if (rc == RG_OK) rc = env_duration(getenv_fn, "ETCDCTL_COMMAND_TIMEOUT", &c->timeout_ms, err);
  if (rc == RG_OK) rc = env_duration(getenv_fn, "ETCDCTL_DIAL_TIMEOUT", &c->connect_timeout_ms, err);
  return rc;
}

int rg_settings_load_env(struct rg_settings *s, const char *(*getenv_fn)(const char *), char *err) {
  s->prepared = false;
  if (set_str(&s->cred.docker_host, getenv_fn("DOCKER_HOST")) != RG_OK)
    return rg_err(err, RG_ENOMEM, "out of memory");
  int rc = rg_settings_load_systemd(s, getenv_fn, err);
  if (rc == RG_OK) rc = load_etcd(&s->cred.etcd, getenv_fn, err);
  return rc ? rc : load_consul(&s->cred.consul, getenv_fn, err);
}

int rg_settings_load_systemd(struct rg_settings *s, const char *(*getenv_fn)(const char *), char *err) {
  long v = 0;
  const char *us = getenv_fn("WATCHDOG_USEC"), *pid = getenv_fn("WATCHDOG_PID");
  s->watchdog_usec = 0;
  s->watchdog_pid = 0;
  if (us && us[0] && rg_parse_long(us, 1, LONG_MAX, &v) == RG_OK) s->watchdog_usec = v;
  if (pid && pid[0] && rg_parse_long(pid, 1, LONG_MAX, &v) == RG_OK) s->watchdog_pid = v;
  if (us && us[0] && s->watchdog_usec == 0)
    return rg_err(err, RG_EINVAL, "WATCHDOG_USEC=\"%s\": want microseconds", us);
  return set_str(&s->notify_socket, getenv_fn("NOTIFY_SOCKET")) ? rg_err(err, RG_ENOMEM, "out of memory") : RG_OK;
}

/* The model options over s's own derived fields. */
static void point_model_options(struct rg_settings *s) {
  struct rg_model_options *mo = &s->mo;
  memset(mo, 0, sizeof *mo);
  mo->hostname = s->hostname;
  mo->host_ip = s->host_ip;
  mo->default_ip = s->default_ip[0] ? s->default_ip : NULL;
  mo->internal = s->cfg.internal;
  mo->explicit_ = s->cfg.explicit_;
  mo->use_ip_from_label = s->use_ip_from_label;
  mo->tags = &s->tags;
  mo->healthy_only = s->cfg.healthy_only;
  mo->swarm = &s->swarm;
}

/* Optional copies: NULL stays NULL. */
static int copy_opt(const char *v, char **out) {
  *out = v ? rg_strdup(v) : NULL;
  return v && *out == NULL ? RG_ENOMEM : RG_OK;
}

int rg_settings_prepare(struct rg_settings *s, char *err) {
  if (s->prepared) return RG_OK;
  const struct rg_config *cfg = &s->cfg;
  /* everything is derived into locals first: a failure leaves s as it was */
  char hostname[sizeof s->hostname], default_ip[sizeof s->default_ip] = "";
  int rc = RG_OK;
  if (cfg->hostname && cfg->hostname[0])
    snprintf(hostname, sizeof hostname, "%s", cfg->hostname);
  else if ((rc = rg_host_name(hostname, sizeof hostname, err)) != RG_OK)
    return rc;
  if (cfg->ip && cfg->ip[0]) {
    rg_log(&s->log, RG_LOG_INFO, "using %s (from -ip) for published ports", cfg->ip);
  } else {
    char iface[64], derr[RG_ERRBUF];
    if (rg_host_default_ip(default_ip, sizeof default_ip, iface, sizeof iface, derr) == 0)
      rg_log(&s->log, RG_LOG_INFO, "using %s (default route via %s) for ports bound to all addresses",
             default_ip, iface);
    else
      rg_log(&s->log, RG_LOG_WARN, "%s", derr);
  }
  struct rg_strlist tags = {0};
  char *host_ip = NULL, *label = NULL;
  rc = rg_tags_append(&tags, cfg->tags);
  if (rc == RG_OK) rc = copy_opt(cfg->ip, &host_ip);
  if (rc == RG_OK) rc = copy_opt(cfg->use_ip_from_label, &label);
  if (rc) {
    rg_strlist_free(&tags);
    free(host_ip);
    free(label);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  memcpy(s->hostname, hostname, sizeof hostname);
  memcpy(s->default_ip, default_ip, sizeof default_ip);
  rg_strlist_free(&s->tags);
  s->tags = tags;
  free(s->host_ip);
  s->host_ip = host_ip;
  free(s->use_ip_from_label);
  s->use_ip_from_label = label;
  point_model_options(s);
  s->prepared = true;
  return RG_OK;
}

int rg_settings_build(struct rg_settings **out, int argc, char **argv, rg_getenv_fn getenv_fn,
                      const struct rg_log *log, char *err) {
  *out = NULL;
  struct rg_settings *n = NULL;
  if (rg_settings_new(&n) != RG_OK) return rg_err(err, RG_ENOMEM, "out of memory");
  if (log) n->log = *log;
  int rc = rg_cli_parse(&n->cfg, argc, argv, getenv_fn, err);
  if (rc == RG_OK) rc = rg_settings_load_env(n, getenv_fn, err);
  if (rc == RG_OK) rc = rg_settings_prepare(n, err);
  if (rc) {
    rg_settings_free(n);
    return rc;
  }
  *out = n;
  return RG_OK;
}

void rg_settings_adopt(struct rg_settings *s, struct rg_settings *fresh) {
  struct rg_settings old = *s;
  *s = *fresh;
  s->log = old.log;       /* borrowed by open registries and the daemon */
  s->cancel = old.cancel; /* a stop requested meanwhile still holds */
  s->swarm = old.swarm;   /* what the engine said of its swarm mode: not a setting */
  old.swarm = fresh->swarm;
  point_model_options(s); /* s->mo pointed into fresh */
  *fresh = old;           /* the old content, freed with fresh */
  rg_settings_free(fresh);
}

void rg_settings_adapter_config(const struct rg_settings *s, const char *uri,
                                struct rg_adapter_config *ac) {
  const struct rg_registry_cred *c =
      strncmp(uri ? uri : "", "consul", 6) == 0 ? &s->cred.consul : &s->cred.etcd;
  memset(ac, 0, sizeof *ac);
  ac->hostname = s->hostname;
  ac->ttl = (int)s->cfg.ttl;
  ac->ttl_refresh = (int)s->cfg.ttl_refresh;
  ac->log = &s->log;
  ac->ca_file = c->ca_file;
  ac->cert_file = c->cert_file;
  ac->key_file = c->key_file;
  ac->username = c->username;
  ac->password = c->password;
  ac->token = c->token;
  ac->tls_insecure = c->tls_insecure;
  ac->timeout_ms = c->timeout_ms;
  ac->connect_timeout_ms = c->connect_timeout_ms;
  ac->cancel = &s->cancel;
  ac->max_in_flight = (int)s->cfg.max_in_flight;
}
