/* http.c - see http.h. Owned by the adapters. */
#include "adapters/http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/http_xfer.h"
#include "registrator/curlerr.h"

struct header {
  char *name;
  char *line; /* "Name: value" */
};

struct rg_http {
  struct rg_http_xfer x; /* the blocking requests' own transfer */
  CURLM *waiter;         /* with a cancel flag: drives x (rg_curl_perform) */
  struct rg_strlist endpoints; /* base URLs */
  size_t current;
  struct header *headers;
  size_t nheaders;
  struct curl_slist *slist; /* rebuilt when headers change */
  bool slist_dirty;
  char *ca_file, *cert_file, *key_file;
  bool tls, insecure, warned_insecure;
  long connect_timeout_ms, timeout_ms;
  size_t max_body;
  char *unix_path;      /* NULL: TCP */
  char *unix_shown;     /* "unix://<path>", for messages */
  const volatile int *cancel;
  const struct rg_log *log;
  char *user, *password; /* basic auth (NULL user: none); wiped */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  struct rg_http_xfer *x = ud;
  size_t n = size * nmemb;
  if (rg_buf_append(x->sink, data, n) != RG_OK) {
    x->overflow = true;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  return n;
}

int rg_http_escape(struct rg_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    char e[3] = {'%', hex[c >> 4], hex[c & 15]};
    int rc = plain ? rg_buf_append(out, s + i, 1) : rg_buf_append(out, e, 3);
    if (rc) return rc;
  }
  return out->data ? RG_OK : rg_buf_append(out, "", 0);
}

static int add_endpoint(struct rg_http *h, const char *host, int default_port) {
  struct rg_buf b = {0};
  bool has_port = host[0] == '[' ? strstr(host, "]:") != NULL : strchr(host, ':') != NULL;
  int rc = rg_buf_printf(&b, "%s://%s", h->tls ? "https" : "http", host);
  if (rc == RG_OK && !has_port && default_port > 0) rc = rg_buf_printf(&b, ":%d", default_port);
  if (rc == RG_OK) rc = rg_strlist_add(&h->endpoints, b.data);
  rg_buf_free(&b);
  return rc;
}

/* How endpoint i is named in messages. */
static const char *shown(const struct rg_http *h, size_t i) {
  return h->unix_shown ? h->unix_shown : h->endpoints.items[i];
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  const struct rg_http *h = ud;
  return h->cancel && *h->cancel ? 1 : 0; /* non-zero aborts the transfer */
}

#define UNIX_PATH_MAX 107

int rg_http_open(struct rg_http **out, const struct rg_strlist *hosts, const struct rg_http_options *o,
                 char *err) {
  *out = NULL;
  if (o->unix_socket && strlen(o->unix_socket) > UNIX_PATH_MAX)
    return rg_err(err, RG_EINVAL, "unix socket path \"%s\" is longer than %d bytes", o->unix_socket,
                  UNIX_PATH_MAX);
  if (hosts->n == 0 && o->unix_socket == NULL)
    return rg_err(err, RG_EINVAL, "no host given in the registry URI");
  struct rg_http *h = calloc(1, sizeof *h);
  if (h == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  h->tls = o->tls;
  h->insecure = o->insecure;
  h->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 2000;
  h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
  h->max_body = o->max_body ? o->max_body : (size_t)8 << 20;
  h->log = o->log;
  h->cancel = o->cancel;
  int rc = RG_OK;
  if (o->unix_socket) {
    struct rg_buf b = {0};
    rc = rg_buf_printf(&b, "unix://%s", o->unix_socket);
    h->unix_shown = b.data;
    if (rc == RG_OK && (h->unix_path = rg_strdup(o->unix_socket)) == NULL) rc = RG_ENOMEM;
    if (rc == RG_OK) rc = rg_strlist_add(&h->endpoints, "http://localhost");
  }
  if ((o->ca_file && !(h->ca_file = rg_strdup(o->ca_file))) ||
      (o->cert_file && !(h->cert_file = rg_strdup(o->cert_file))) ||
      (o->key_file && !(h->key_file = rg_strdup(o->key_file))))
    rc = RG_ENOMEM;
  for (size_t i = 0; rc == RG_OK && !o->unix_socket && i < hosts->n; i++)
    rc = add_endpoint(h, hosts->items[i], o->default_port);
  if (rc == RG_OK && (h->x.curl = curl_easy_init()) == NULL) rc = RG_ENOMEM;
  if (rc) {
    rg_http_free(h);
    return rg_err(err, rc, "cannot set up the HTTP client: %s", rg_strerror(rc));
  }
  *out = h;
  return RG_OK;
}

static void wipe(char *s) {
  if (s) memset(s, 0, strlen(s));
  free(s);
}

void rg_http_free(struct rg_http *h) {
  if (h == NULL) return;
  rg_http_xfer_free(&h->x);
  if (h->waiter) curl_multi_cleanup(h->waiter); /* after the easy handle left it */
  free(h->user);
  wipe(h->password);
  for (size_t i = 0; i < h->nheaders; i++) {
    free(h->headers[i].name);
    if (h->headers[i].line) memset(h->headers[i].line, 0, strlen(h->headers[i].line));
    free(h->headers[i].line);
  }
  free(h->headers);
  curl_slist_free_all(h->slist);
  rg_strlist_free(&h->endpoints);
  free(h->ca_file);
  free(h->cert_file);
  free(h->key_file);
  free(h->unix_path);
  free(h->unix_shown);
  free(h);
}

int rg_http_set_header(struct rg_http *h, const char *name, const char *value) {
  size_t i = 0;
  while (i < h->nheaders && strcmp(h->headers[i].name, name) != 0) i++;
  if (value == NULL) {
    if (i == h->nheaders) return RG_OK;
    free(h->headers[i].name);
    free(h->headers[i].line);
    h->headers[i] = h->headers[--h->nheaders];
    h->slist_dirty = true;
    return RG_OK;
  }
  struct rg_buf line = {0};
  if (rg_buf_printf(&line, "%s: %s", name, value) != RG_OK) return RG_ENOMEM;
  if (i == h->nheaders) {
    struct header *p = realloc(h->headers, (h->nheaders + 1) * sizeof *p);
    char *n = rg_strdup(name);
    if (p) h->headers = p;
    if (p == NULL || n == NULL) {
      free(n);
      rg_buf_free(&line);
      return RG_ENOMEM;
    }
    h->headers[i].name = n;
    h->headers[i].line = NULL;
    h->nheaders++;
  }
  free(h->headers[i].line);
  h->headers[i].line = line.data;
  h->slist_dirty = true;
  return RG_OK;
}

int rg_http_set_basic_auth(struct rg_http *h, const char *user, const char *password) {
  char *u = user ? rg_strdup(user) : NULL, *p = user ? rg_strdup(password ? password : "") : NULL;
  if (user && (u == NULL || p == NULL)) {
    free(u);
    free(p);
    return RG_ENOMEM;
  }
  free(h->user);
  wipe(h->password);
  h->user = u;
  h->password = p;
  return RG_OK; /* set on each transfer by set_common */
}

const char *rg_http_endpoint(const struct rg_http *h) { return shown(h, h->current); }

static int build_slist(struct rg_http *h) {
  if (!h->slist_dirty && h->slist) return RG_OK;
  curl_slist_free_all(h->slist);
  h->slist = NULL;
  struct curl_slist *l = curl_slist_append(NULL, "Expect:"); /* no 100-continue round trip */
  for (size_t i = 0; l && i < h->nheaders; i++) {
    struct curl_slist *n = curl_slist_append(l, h->headers[i].line);
    if (n == NULL) {
      curl_slist_free_all(l);
      l = NULL;
    } else {
      l = n;
    }
  }
  if (l == NULL) return RG_ENOMEM;
  h->slist = l;
  h->slist_dirty = false;
  return RG_OK;
}

/* Options that do not change between requests. */
static void set_common(struct rg_http *h, struct rg_http_xfer *x) {
  CURL *c = x->curl;
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->curl_err);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(c, CURLOPT_HTTPAUTH, h->user ? (long)CURLAUTH_BASIC : (long)CURLAUTH_NONE);
  curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
  curl_easy_setopt(c, CURLOPT_PASSWORD, h->password);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->slist);
  if (h->unix_path) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->unix_path);
  if (h->cancel) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
  }
  if (h->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
  if (h->cert_file) curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert_file);
  if (h->key_file) curl_easy_setopt(c, CURLOPT_SSLKEY, h->key_file);
  if (h->insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    if (!h->warned_insecure)
      rg_log(h->log, RG_LOG_WARN, "TLS certificate verification is OFF for %s (insecure option)",
             rg_http_endpoint(h));
    h->warned_insecure = true;
  }
}

int rg_http_xfer_setup(struct rg_http *h, struct rg_http_xfer *x, size_t i, const char *method, const char *path,
                       const char *ctype, const char *body, size_t body_len, struct rg_http_response *resp) {
  if (x->curl == NULL && (x->curl = curl_easy_init()) == NULL) return RG_ENOMEM;
  if (build_slist(h) != RG_OK) return RG_ENOMEM;
  set_common(h, x);
  CURL *c = x->curl;
  struct rg_buf url = {0};
  if (rg_buf_printf(&url, "%s%s", h->endpoints.items[i], path) != RG_OK) return RG_ENOMEM;
  rg_buf_free(&resp->body);
  resp->body.max = h->max_body;
  resp->status = 0;
  x->sink = &resp->body;
  x->overflow = false;
  x->curl_err[0] = '\0';
  curl_easy_setopt(c, CURLOPT_URL, url.data); /* curl copies it */
  rg_buf_free(&url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
  if (body != NULL) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    if (strcmp(method, "POST") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (strcmp(method, "GET") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  }
  struct curl_slist *ct = NULL;
  if (ctype) {
    struct rg_buf line = {0};
    if (rg_buf_printf(&line, "Content-Type: %s", ctype) == RG_OK) {
      struct curl_slist *l = curl_slist_append(NULL, line.data);
      for (struct curl_slist *p = h->slist; l && p; p = p->next) {
        struct curl_slist *n = curl_slist_append(l, p->data);
        if (n == NULL) curl_slist_free_all(l);
        l = n;
      }
      ct = l;
    }
    rg_buf_free(&line);
    if (ct == NULL) return RG_ENOMEM;
  }
  curl_slist_free_all(x->ct);
  x->ct = ct;
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, ct ? ct : h->slist);
  return RG_OK;
}

int rg_http_xfer_finish(struct rg_http *h, struct rg_http_xfer *x, size_t i, CURLcode cc,
                        struct rg_http_response *resp, struct rg_buf *why) {
  CURL *c = x->curl;
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->slist);
  curl_slist_free_all(x->ct);
  x->ct = NULL;
  x->sink = NULL;
  int rc = RG_OK;
  if (cc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (resp->status >= 500) {
      rg_buf_printf(why, "%s%s: HTTP %ld", why->len ? "; " : "", shown(h, i), resp->status);
      rc = RG_EAGAIN;
    }
  } else if (x->overflow) {
    rg_buf_printf(why, "%s%s: response body larger than %zu bytes", why->len ? "; " : "", shown(h, i),
                  h->max_body);
    rc = RG_ETOOBIG;
  } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
    rg_buf_printf(why, "%s%s: abandoned (stopping)", why->len ? "; " : "", shown(h, i));
    rc = RG_ESTOPPED;
  } else { /* any endpoint failure tries the next endpoint */
    struct rg_net_error ne;
    rg_curl_classify(c, cc, x->curl_err, h->unix_path != NULL, &ne);
    rg_buf_printf(why, "%s%s: %s: %s", why->len ? "; " : "", shown(h, i), rg_net_failure_name(ne.kind), ne.detail);
    rc = RG_ECONNECT;
  }
  return rc;
}

void rg_http_xfer_free(struct rg_http_xfer *x) {
  if (x->curl) curl_easy_cleanup(x->curl);
  curl_slist_free_all(x->ct);
  x->curl = NULL;
  x->ct = NULL;
}

size_t rg_http_endpoint_count(const struct rg_http *h) { return h->endpoints.n; }
size_t rg_http_current(const struct rg_http *h) { return h->current; }
bool rg_http_cancelled(const struct rg_http *h) { return h->cancel && *h->cancel; }
const char *rg_http_endpoint_name(const struct rg_http *h, size_t i) { return shown(h, i); }

void rg_http_use(struct rg_http *h, size_t i, const char *failed) {
  if (i != h->current)
    rg_log(h->log, RG_LOG_WARN, "now using endpoint %s (failed: %s)", shown(h, i), failed ? failed : "?");
  h->current = i;
}

/* One attempt against endpoint i. RG_OK when a response arrived. */
static int attempt(struct rg_http *h, size_t i, const char *method, const char *path, const char *ctype,
                   const char *body, size_t body_len, struct rg_http_response *resp, struct rg_buf *why) {
  int rc = rg_http_xfer_setup(h, &h->x, i, method, path, ctype, body, body_len, resp);
  if (rc) return rc;
  return rg_http_xfer_finish(h, &h->x, i, rg_curl_perform(&h->waiter, h->x.curl, h->cancel), resp, why);
}

int rg_http_request(struct rg_http *h, const char *method, const char *path, const char *content_type,
                    const char *body, size_t body_len, struct rg_http_response *resp, char *err) {
  struct rg_buf why = {.max = RG_ERRBUF};
  int rc = RG_ECONNECT;
  size_t n = h->endpoints.n, start = h->current;
  for (size_t k = 0; k < n; k++) {
    size_t i = (start + k) % n;
    rc = attempt(h, i, method, path, content_type, body, body_len, resp, &why);
    if (rc == RG_ENOMEM || rc == RG_ETOOBIG || rc == RG_ESTOPPED) break;
    if (rc == RG_OK) {
      rg_http_use(h, i, why.data);
      break;
    }
    if (k + 1 < n)
      rg_log(h->log, RG_LOG_DEBUG, "endpoint %s failed, trying %s", h->endpoints.items[i],
             h->endpoints.items[(i + 1) % n]);
  }
  if (rc == RG_EAGAIN) rc = RG_OK; /* every endpoint answered 5xx: hand the last answer back */
  if (rc == RG_ENOMEM) rg_err(err, rc, "out of memory");
  else if (rc) rg_err(err, rc, "%s %s failed: %s", method, path, why.data ? why.data : "?");
  rg_buf_free(&why);
  return rc;
}
