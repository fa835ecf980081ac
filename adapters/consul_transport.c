/* consul_transport.c - how the Consul adapter reaches its agent: TCP, TLS
 * or a unix socket, all through the shared HTTP helper (adapters/http.h).
 * See consul.h. Owned by the adapters. */
#include <stdlib.h>
#include <string.h>

#include "adapters/consul.h"
#include "adapters/http.h"
#include "adapters/http_multi.h"

#define MAX_BODY ((size_t)8 << 20)

struct rg_consul_transport {
  struct rg_http *http;
  struct rg_http_multi *multi; /* the same client, several requests at once */
};

/* A private copy of the token without trailing white space; RG_EINVAL
 * for a control character (it would split the header). */
static int clean_token(const char *token, char **out, char *err) {
  *out = NULL;
  if (token == NULL) return RG_OK;
  size_t n = strlen(token);
  while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' ')) n--;
  if (n == 0) return RG_OK;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)token[i] < 0x20 || token[i] == 0x7f)
      return rg_err(err, RG_EINVAL, "the Consul ACL token contains a control character");
  *out = rg_strndup(token, n);
  return *out ? RG_OK : rg_err(err, RG_ENOMEM, "out of memory");
}

static void wipe_free(char *s) {
  if (s == NULL) return;
  volatile char *p = s;
  while (*p) *p++ = '\0';
  free(s);
}

int rg_consul_transport_open(struct rg_consul_transport **out, const char *unix_path,
                             const struct rg_strlist *hosts, const struct rg_adapter_config *cfg,
                             bool tls, char *err) {
  *out = NULL;
  struct rg_consul_transport *t = calloc(1, sizeof *t);
  if (t == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  char *token = NULL;
  int rc = clean_token(cfg->token, &token, err);
  if (rc == RG_OK) {
    struct rg_http_options o = {
        .tls = tls && unix_path == NULL,
        .ca_file = cfg->ca_file,
        .cert_file = cfg->cert_file,
        .key_file = cfg->key_file,
        .insecure = cfg->tls_insecure,
        .connect_timeout_ms = cfg->connect_timeout_ms,
        .timeout_ms = cfg->timeout_ms,
        .max_body = MAX_BODY,
        .default_port = tls ? 8501 : 8500,
        .unix_socket = unix_path,
        .cancel = cfg->cancel,
        .log = cfg->log,
    };
    rc = rg_http_open(&t->http, hosts, &o, err);
    if (rc == RG_OK && token && rg_http_set_header(t->http, "X-Consul-Token", token) != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
    if (rc == RG_OK) rc = rg_http_multi_open(&t->multi, t->http, cfg->max_in_flight, err);
  }
  wipe_free(token);
  if (rc) {
    rg_consul_transport_free(t);
    return rc;
  }
  *out = t;
  return RG_OK;
}

void rg_consul_transport_free(struct rg_consul_transport *t) {
  if (t == NULL) return;
  rg_http_multi_free(t->multi);
  rg_http_free(t->http);
  free(t);
}

const char *rg_consul_transport_where(const struct rg_consul_transport *t) {
  return rg_http_endpoint(t->http);
}

int rg_consul_transport_request(struct rg_consul_transport *t, const char *method, const char *path,
                                const char *body, size_t body_len, long *status, struct rg_buf *resp,
                                char *err) {
  *status = 0;
  struct rg_http_response r = {0};
  int rc = rg_http_request(t->http, method, path, body ? "application/json" : NULL, body, body_len, &r, err);
  rg_buf_free(resp);
  *resp = r.body;
  *status = r.status;
  return rc;
}

int rg_consul_transport_many(struct rg_consul_transport *t, struct rg_http_call *calls, size_t n,
                             rg_http_judge_fn judge, void *ud, char *err) {
  return rg_http_multi_perform(t->multi, calls, n, judge, ud, err);
}
