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
    else if (strcmp(name, "tls-insecure") == 0) f->tls_insecure = value && (strcmp(value, "true") == 0 || strcmp(value, "1") == 0);
    else return RG_ENOTFOUND;
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

static int load_consul(struct rg_registry_cred *c, const char *(*getenv_fn)(const char *), char *err) {
  const char *v;
  int rc = set_str(&c->ca_file, getenv_fn("CONSUL_CACERT"));
  /* CONSUL_TLSCERT / CONSUL_TLSKEY: what gliderlabs/registrator read */
  if (rc == RG_OK) rc = set_str(&c->cert_file, (v = getenv_fn("CONSUL_CLIENT_CERT")) ? v : getenv_fn("CONSUL_TLSCERT"));
  if (rc == RG_OK) rc = set_str(&c->key_file, (v = getenv_fn("CONSUL_CLIENT_KEY")) ? v : getenv_fn("CONSUL_TLSKEY"));
  if (rc == RG_OK) rc = set_str(&c->token, getenv_fn("CONSUL_HTTP_TOKEN"));
  if (rc) return rg_err(err, rc, "out of memory");
  v = getenv_fn("CONSUL_HTTP_SSL_VERIFY");
  c->tls_insecure = v && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0);
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
  v = getenv_fn("ETCDCTL_INSECURE_SKIP_TLS_VERIFY");
  c->tls_insecure = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
  rc = env_duration(getenv_fn, "ETCDCTL_COMMAND_TIMEOUT", &c->timeout_ms, err);
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

int rg_settings_reprepare(struct rg_settings *s, char *err) {
  s->prepared = false;
  return rg_settings_prepare(s, err);
}

int rg_settings_prepare(struct rg_settings *s, char *err) {
  if (s->prepared) return RG_OK;
  const struct rg_config *cfg = &s->cfg;
  int rc = RG_OK;
  s->default_ip[0] = '\0';
  if (cfg->hostname && cfg->hostname[0])
    snprintf(s->hostname, sizeof s->hostname, "%s", cfg->hostname);
  else if ((rc = rg_host_name(s->hostname, sizeof s->hostname, err)) != RG_OK)
    return rc;
  if (cfg->ip && cfg->ip[0]) {
    rg_log(&s->log, RG_LOG_INFO, "using %s (from -ip) for published ports", cfg->ip);
  } else {
    char iface[64], derr[RG_ERRBUF];
    if (rg_host_default_ip(s->default_ip, sizeof s->default_ip, iface, sizeof iface, derr) == 0)
      rg_log(&s->log, RG_LOG_INFO, "using %s (default route via %s) for ports bound to all addresses",
             s->default_ip, iface);
    else
      rg_log(&s->log, RG_LOG_WARN, "%s", derr);
  }
  rg_strlist_free(&s->tags);
  if (rg_tags_append(&s->tags, cfg->tags) != RG_OK) return rg_err(err, RG_ENOMEM, "out of memory");

  struct rg_model_options *mo = &s->mo;
  memset(mo, 0, sizeof *mo);
  mo->hostname = s->hostname;
  mo->host_ip = cfg->ip;
  mo->default_ip = s->default_ip[0] ? s->default_ip : NULL;
  mo->internal = cfg->internal;
  mo->explicit_ = cfg->explicit_;
  mo->use_ip_from_label = cfg->use_ip_from_label;
  mo->tags = &s->tags;
  mo->healthy_only = cfg->healthy_only;

  s->prepared = true;
  return RG_OK;
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
}
