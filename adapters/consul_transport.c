/* consul_transport.c - how the Consul adapter reaches its agent: TCP and
 * TLS through the shared HTTP helper (adapters/http.h), a unix socket
 * through a curl handle of its own (the helper has no unix socket option
 * yet). See consul.h. Owned by the adapters. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/consul.h"
#include "adapters/http.h"

#define MAX_BODY ((size_t)8 << 20)
#define UNIX_PATH_MAX 107

struct rg_consul_transport {
  struct rg_http *http; /* TCP / TLS */
  CURL *curl;           /* unix socket */
  struct curl_slist *headers;
  char *token_line;     /* "X-Consul-Token: ..." (unix), wiped on free */
  char *where;
  long timeout_ms, connect_timeout_ms;
  char curl_err[CURL_ERROR_SIZE];
  struct rg_buf *sink;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  struct rg_consul_transport *t = ud;
  size_t n = size * nmemb;
  return rg_buf_append(t->sink, data, n) == RG_OK ? n : 0;
}

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

static int open_unix(struct rg_consul_transport *t, const char *path, const char *token, char *err) {
  if (strlen(path) > UNIX_PATH_MAX)
    return rg_err(err, RG_EINVAL, "unix socket path \"%s\" is longer than %d bytes", path, UNIX_PATH_MAX);
  struct rg_buf w = {0};
  if (rg_buf_printf(&w, "unix:%s", path) != RG_OK) return rg_err(err, RG_ENOMEM, "out of memory");
  t->where = w.data;
  if ((t->curl = curl_easy_init()) == NULL) return rg_err(err, RG_ENOMEM, "cannot set up curl");
  struct curl_slist *l = curl_slist_append(NULL, "Expect:");
  struct curl_slist *n = l ? curl_slist_append(l, "Content-Type: application/json") : NULL;
  if (n == NULL) {
    curl_slist_free_all(l);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  t->headers = n;
  if (token) {
    struct rg_buf line = {0};
    if (rg_buf_printf(&line, "X-Consul-Token: %s", token) != RG_OK) return rg_err(err, RG_ENOMEM, "out of memory");
    t->token_line = line.data;
    if ((n = curl_slist_append(t->headers, t->token_line)) == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
    t->headers = n;
  }
  CURL *c = t->curl;
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, path);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->curl_err);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t->timeout_ms);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
  return RG_OK;
}

int rg_consul_transport_open(struct rg_consul_transport **out, const char *unix_path,
                             const struct rg_strlist *hosts, const struct rg_adapter_config *cfg,
                             bool tls, char *err) {
  *out = NULL;
  struct rg_consul_transport *t = calloc(1, sizeof *t);
  if (t == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  t->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000;
  t->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 2000;
  char *token = NULL;
  int rc = clean_token(cfg->token, &token, err);
  if (rc == RG_OK && unix_path) {
    rc = open_unix(t, unix_path, token, err);
  } else if (rc == RG_OK) {
    struct rg_http_options o = {
        .tls = tls,
        .ca_file = cfg->ca_file,
        .cert_file = cfg->cert_file,
        .key_file = cfg->key_file,
        .insecure = cfg->tls_insecure,
        .connect_timeout_ms = t->connect_timeout_ms,
        .timeout_ms = t->timeout_ms,
        .max_body = MAX_BODY,
        .default_port = tls ? 8501 : 8500,
        .log = cfg->log,
    };
    rc = rg_http_open(&t->http, hosts, &o, err);
    if (rc == RG_OK && token && rg_http_set_header(t->http, "X-Consul-Token", token) != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
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
  rg_http_free(t->http);
  if (t->curl) curl_easy_cleanup(t->curl);
  curl_slist_free_all(t->headers);
  wipe_free(t->token_line);
  free(t->where);
  free(t);
}

const char *rg_consul_transport_where(const struct rg_consul_transport *t) {
  return t->http ? rg_http_endpoint(t->http) : t->where;
}

static int unix_request(struct rg_consul_transport *t, const char *method, const char *path, const char *body,
                        size_t body_len, long *status, struct rg_buf *resp, char *err) {
  CURL *c = t->curl;
  struct rg_buf url = {0};
  if (rg_buf_printf(&url, "http://localhost%s", path) != RG_OK) return rg_err(err, RG_ENOMEM, "out of memory");
  rg_buf_free(resp);
  resp->max = MAX_BODY;
  t->sink = resp;
  t->curl_err[0] = '\0';
  curl_easy_setopt(c, CURLOPT_URL, url.data);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  if (strcmp(method, body ? "POST" : "GET") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  CURLcode cc = curl_easy_perform(c);
  t->sink = NULL;
  rg_buf_free(&url);
  if (cc == CURLE_WRITE_ERROR)
    return rg_err(err, RG_ETOOBIG, "%s %s: response body larger than %zu bytes", method, path, MAX_BODY);
  if (cc != CURLE_OK)
    return rg_err(err, RG_ECONNECT, "%s %s failed: %s: %s", method, path, t->where,
                  t->curl_err[0] ? t->curl_err : curl_easy_strerror(cc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
  return RG_OK;
}

int rg_consul_transport_request(struct rg_consul_transport *t, const char *method, const char *path,
                                const char *body, size_t body_len, long *status, struct rg_buf *resp,
                                char *err) {
  *status = 0;
  if (t->curl) return unix_request(t, method, path, body, body_len, status, resp, err);
  struct rg_http_response r = {0};
  int rc = rg_http_request(t->http, method, path, body ? "application/json" : NULL, body, body_len, &r, err);
  rg_buf_free(resp);
  *resp = r.body;
  *status = r.status;
  return rc;
}
