/* httpd.c - see httpd.h. */
#include "registrator/httpd.h"

#include <curl/curl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rg_httpd {
  struct MHD_Daemon *mhd;
  struct rg_metrics *m;
};

int rg_httpd_parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len, char *err) {
  char host[256];
  const char *colon = addr ? strrchr(addr, ':') : NULL;
  if (colon == NULL || colon == addr)
    return rg_err(err, RG_EINVAL, "-metrics \"%s\": want HOST:PORT, e.g. 127.0.0.1:9585", addr ? addr : "");
  size_t hn = (size_t)(colon - addr);
  const char *h = addr;
  if (h[0] == '[') {
    if (hn < 3 || h[hn - 1] != ']') return rg_err(err, RG_EINVAL, "-metrics \"%s\": unbalanced [ ]", addr);
    h++;
    hn -= 2;
  }
  if (hn >= sizeof host) return rg_err(err, RG_EINVAL, "-metrics: host name too long");
  memcpy(host, h, hn);
  host[hn] = '\0';
  long port;
  if (rg_parse_long(colon + 1, 1, 65535, &port) != RG_OK)
    return rg_err(err, RG_EINVAL, "-metrics \"%s\": the port must be from 1 to 65535", addr);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
  int gai = getaddrinfo(host, colon + 1, &hints, &res);
  if (gai != 0 || res == NULL || res->ai_addrlen > sizeof *ss) {
    if (res) freeaddrinfo(res);
    return rg_err(err, RG_EINVAL, "-metrics \"%s\": cannot resolve %s: %s", addr, host,
                  gai ? gai_strerror(gai) : "no address");
  }
  memset(ss, 0, sizeof *ss);
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return RG_OK;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, struct rg_buf *body,
                             const char *type) {
  struct MHD_Response *r;
  if (body->data) { /* handed over: libmicrohttpd free()s it */
    r = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) rg_buf_free(body);
    body->data = NULL;
  } else {
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  }
  if (r == NULL) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

/* Every request is answered at its first call (before any body): nothing
 * is read from a client beyond its request head. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  (void)version;
  (void)upload_data;
  (void)upload_data_size;
  (void)con_cls;
  struct rg_httpd *h = cls;
  struct rg_buf body = {.max = RG_HTTPD_MAX_BODY};
  const char *text = "text/plain; charset=utf-8";
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    rg_buf_printf(&body, "only GET and HEAD\n");
    return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, &body, text);
  }
  if (strcmp(url, "/metrics") == 0) {
    if (rg_metrics_render(h->m, &body) != RG_OK) {
      rg_buf_reset(&body);
      rg_buf_printf(&body, "cannot render the metrics\n");
      return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, &body, text);
    }
    return reply(c, MHD_HTTP_OK, &body, "text/plain; version=0.0.4; charset=utf-8");
  }
  if (strcmp(url, "/healthz") == 0) {
    bool ok = rg_metrics_healthy(h->m);
    rg_buf_printf(&body, ok ? "ok\n" : "event loop stalled\n");
    return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, &body, text);
  }
  if (strcmp(url, "/readyz") == 0) {
    bool ok = rg_metrics_ready(h->m, &body);
    return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, &body, text);
  }
  rg_buf_printf(&body, "not found: try /metrics, /healthz or /readyz\n");
  return reply(c, MHD_HTTP_NOT_FOUND, &body, text);
}

int rg_httpd_start(struct rg_httpd **out, const char *addr, struct rg_metrics *m, char *err) {
  *out = NULL;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  int rc = rg_httpd_parse_addr(addr, &ss, &len, err);
  if (rc) return rc;
  struct rg_httpd *h = calloc(1, sizeof *h);
  if (h == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  h->m = m;
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)RG_HTTPD_MAX_CONNECTIONS,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)RG_HTTPD_CONN_MEMORY,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)RG_HTTPD_TIMEOUT_S,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)64,
                            MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
                            MHD_OPTION_END);
  if (h->mhd == NULL) {
    free(h);
    return rg_err(err, RG_EIO, "-metrics %s: cannot listen there (in use, or not an address of this host)",
                  addr);
  }
  *out = h;
  return RG_OK;
}

void rg_httpd_stop(struct rg_httpd *h) {
  if (h == NULL) return;
  MHD_stop_daemon(h->mhd);
  free(h);
}

static size_t discard(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
}

int rg_httpd_check(const char *addr, long timeout_ms, char *err) {
  struct sockaddr_storage ss;
  socklen_t len;
  int rc = rg_httpd_parse_addr(addr, &ss, &len, err);
  if (rc) return rc;
  const char *colon = strrchr(addr, ':');
  char url[320];
  if (strncmp(addr, "0.0.0.0:", 8) == 0) snprintf(url, sizeof url, "http://127.0.0.1%s/healthz", colon);
  else if (strncmp(addr, "[::]:", 5) == 0) snprintf(url, sizeof url, "http://[::1]%s/healthz", colon);
  else snprintf(url, sizeof url, "http://%s/healthz", addr);
  CURL *c = curl_easy_init();
  if (c == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never through an http_proxy of the environment */
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  CURLcode cc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(c);
  if (cc != CURLE_OK) return rg_err(err, RG_ECONNECT, "%s: %s", url, curl_easy_strerror(cc));
  if (code != 200) return rg_err(err, RG_EIO, "%s answered %ld", url, code);
  return RG_OK;
}
