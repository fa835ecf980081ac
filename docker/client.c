/* client.c - see client.h. */
#include "docker/client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_tree.h>

#include "docker/jsonprune.h"
#include "docker/internal.h"
#include "registrator/curlerr.h"
#include "registrator/json.h"

#define UNIX_PATH_MAX_LEN 107 /* sun_path holds 108 bytes with the NUL */
#define ERR_BODY_MAX 65536    /* bytes of an error body kept for its message */
#define QUOTE_MAX 200

struct rg_docker {
  char *endpoint;  /* "unix:///var/run/docker.sock", "tcp://h:p" */
  char *base_url;  /* "http://localhost", "http://h:p" */
  char *unix_path; /* NULL for tcp */
  const struct rg_log *log;
  CURL *h; /* reused for every short request (keep-alive) */
  CURLM *waiter; /* with a cancel flag: drives h (rg_curl_perform) */
  long connect_ms, request_ms;
  char version[16]; /* negotiated, "" until pinged */
  char server_version[16];
  char swarm_status[24]; /* the last ping's Swarm header, "" without one */
  const volatile int *cancel; /* non-zero: abandon the request in flight */
  char curl_err[CURL_ERROR_SIZE];
};

void rg_docker_set_cancel(struct rg_docker *d, const volatile int *cancel) { d->cancel = cancel; }

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  const struct rg_docker *d = ud;
  return d->cancel && *d->cancel ? 1 : 0;
}

/* ---- DOCKER_HOST ---- */

static int parse_port(const char *s, size_t n, long *port) {
  char tmp[8];
  if (n == 0 || n >= sizeof tmp) return RG_EINVAL;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  return rg_parse_long(tmp, 1, 65535, port);
}

static bool host_chars_ok(const char *s, size_t n, bool ipv6) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || (ipv6 && (c == ':' || c == '%'));
    if (!ok) return false;
  }
  return n > 0;
}

/* "host[:port]" or "[v6][:port]", optionally followed by one '/'. */
static int parse_tcp(struct rg_docker *d, const char *value, const char *hp, char *err) {
  size_t n = strlen(hp);
  if (n > 0 && hp[n - 1] == '/') n--;
  const char *host = hp, *port = NULL;
  size_t hlen, plen = 0;
  bool v6 = hp[0] == '[';
  if (v6) {
    const char *close = memchr(hp, ']', n);
    if (close == NULL) return rg_err(err, RG_EINVAL, "DOCKER_HOST '%s': missing ']'", value);
    host = hp + 1;
    hlen = (size_t)(close - host);
    const char *rest = close + 1;
    size_t rlen = n - (size_t)(rest - hp);
    if (rlen > 0) {
      if (rest[0] != ':') return rg_err(err, RG_EINVAL, "DOCKER_HOST '%s': bad port", value);
      port = rest + 1;
      plen = rlen - 1;
    }
  } else {
    const char *colon = memchr(hp, ':', n);
    hlen = colon ? (size_t)(colon - hp) : n;
    if (colon) {
      port = colon + 1;
      plen = n - hlen - 1;
    }
  }
  if (!host_chars_ok(host, hlen, v6))
    return rg_err(err, RG_EINVAL, "DOCKER_HOST '%s': invalid host", value);
  long p = 2375;
  if (port && parse_port(port, plen, &p) != RG_OK)
    return rg_err(err, RG_EINVAL, "DOCKER_HOST '%s': invalid port (1-65535)", value);
  struct rg_buf ep = {0}, url = {0};
  const char *lb = v6 ? "[" : "", *rb = v6 ? "]" : "";
  int rc = rg_buf_printf(&ep, "tcp://%s%.*s%s:%ld", lb, (int)hlen, host, rb, p);
  if (!rc) rc = rg_buf_printf(&url, "http://%s%.*s%s:%ld", lb, (int)hlen, host, rb, p);
  if (rc) {
    rg_buf_free(&ep);
    rg_buf_free(&url);
    return rg_err(err, rc, "DOCKER_HOST: out of memory");
  }
  d->endpoint = ep.data;
  d->base_url = url.data;
  return RG_OK;
}

static int parse_host(struct rg_docker *d, const char *value, char *err) {
  if (value == NULL || value[0] == '\0') value = RG_DOCKER_DEFAULT_HOST;
  if (strncmp(value, "unix://", 7) == 0) {
    const char *path = value + 7;
    size_t n = strlen(path);
    if (n == 0) return rg_err(err, RG_EINVAL, "DOCKER_HOST '%s': empty socket path", value);
    if (n > UNIX_PATH_MAX_LEN)
      return rg_err(err, RG_EINVAL,
                    "DOCKER_HOST '%.64s...': socket path is %zu bytes, longer than the %d a "
                    "unix socket allows",
                    value, n, UNIX_PATH_MAX_LEN);
    d->unix_path = rg_strdup(path);
    d->endpoint = rg_strdup(value);
    d->base_url = rg_strdup("http://localhost");
    if (!d->unix_path || !d->endpoint || !d->base_url)
      return rg_err(err, RG_ENOMEM, "DOCKER_HOST: out of memory");
    return RG_OK;
  }
  if (strncmp(value, "tcp://", 6) == 0) return parse_tcp(d, value, value + 6, err);
  char q[80];
  rg_docker_quote(q, sizeof q, value, strlen(value), 64);
  return rg_err(err, RG_EINVAL,
                "DOCKER_HOST '%s' is not supported: use unix:///path/to/docker.sock or "
                "tcp://host:port",
                q);
}

int rg_docker_open(struct rg_docker **out, const char *docker_host, const struct rg_log *log,
                   char *err) {
  *out = NULL;
  struct rg_docker *d = calloc(1, sizeof *d);
  if (d == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  d->log = log;
  d->connect_ms = RG_DOCKER_CONNECT_TIMEOUT_MS;
  d->request_ms = RG_DOCKER_REQUEST_TIMEOUT_MS;
  int rc = parse_host(d, docker_host, err);
  if (rc == RG_OK && (d->h = curl_easy_init()) == NULL)
    rc = rg_err(err, RG_ENOMEM, "cannot create a curl handle");
  if (rc) {
    rg_docker_close(d);
    return rc;
  }
  *out = d;
  return RG_OK;
}

void rg_docker_close(struct rg_docker *d) {
  if (d == NULL) return;
  if (d->h) curl_easy_cleanup(d->h);
  if (d->waiter) curl_multi_cleanup(d->waiter); /* after the easy handle left it */
  free(d->endpoint);
  free(d->base_url);
  free(d->unix_path);
  free(d);
}

void rg_docker_set_timeouts(struct rg_docker *d, long connect_ms, long request_ms) {
  if (connect_ms > 0) d->connect_ms = connect_ms;
  if (request_ms > 0) d->request_ms = request_ms;
}

const char *rg_docker_endpoint(const struct rg_docker *d) { return d->endpoint; }

const char *rg_docker_api_version(const struct rg_docker *d) { return d->version; }

/* ---- versions ---- */

static bool parse_version(const char *s, long *major, long *minor) {
  if (s == NULL) return false;
  const char *dot = strchr(s, '.');
  char a[12];
  if (dot == NULL || (size_t)(dot - s) >= sizeof a) return false;
  memcpy(a, s, (size_t)(dot - s));
  a[dot - s] = '\0';
  return rg_parse_long(a, 0, 999999, major) == RG_OK &&
         rg_parse_long(dot + 1, 0, 999999, minor) == RG_OK;
}

int rg_docker_version_cmp(const char *a, const char *b) {
  long amaj = -1, amin = -1, bmaj = -1, bmin = -1;
  if (!parse_version(a, &amaj, &amin)) amaj = amin = -1;
  if (!parse_version(b, &bmaj, &bmin)) bmaj = bmin = -1;
  if (amaj != bmaj) return amaj < bmaj ? -1 : 1;
  return amin < bmin ? -1 : amin > bmin;
}

/* ---- text helpers ---- */

void rg_docker_quote(char *dst, size_t dstsize, const char *src, size_t n, size_t max) {
  if (dstsize == 0) return;
  size_t o = 0, i = 0;
  bool space = false;
  while (i < n && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r' || src[i] == '\n')) i++;
  for (; i < n && o < max && o + 4 < dstsize; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      continue;
    }
    if (space) {
      dst[o++] = ' ';
      space = false;
      if (o >= max || o + 4 >= dstsize) break;
    }
    dst[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  while (i < n && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r' || src[i] == '\n')) i++;
  if (i < n && o + 3 < dstsize) {
    memcpy(dst + o, "...", 3);
    o += 3;
  }
  dst[o] = '\0';
}

/* The path of h's request without its query ("/v1.41/events"), quoted
 * into dst; "?" when unknown. */
static void request_path(CURL *h, char *dst, size_t dstsize) {
  char *url = NULL;
  snprintf(dst, dstsize, "?");
  if (h == NULL || curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || url == NULL)
    return;
  const char *p = strstr(url, "://");
  p = p ? strchr(p + 3, '/') : NULL;
  if (p) rg_docker_quote(dst, dstsize, p, strcspn(p, "?"), 100);
}

/* An HTML body (a proxy's error page) without its tags, quoted into dst. */
static void quote_html(char *dst, size_t dstsize, const char *body, size_t len) {
  char text[1024];
  size_t n = 0;
  bool in_tag = false;
  for (size_t i = 0; i < len && n < sizeof text - 1; i++) {
    if (body[i] == '<') in_tag = true;
    else if (body[i] == '>') text[n++] = ' ', in_tag = false;
    else if (!in_tag) text[n++] = body[i];
  }
  rg_docker_quote(dst, dstsize, text, n, QUOTE_MAX);
}

int rg_docker_http_error(const struct rg_docker *d, CURL *h, long status, const char *body,
                         size_t len, const char *what, char *err) {
  char msg[QUOTE_MAX + 8];
  msg[0] = '\0';
  bool gone = false; /* Podman: a 500 whose cause is "no such container" */
  size_t i = 0;
  while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) i++;
  if (i < len && body[i] == '{' && rg_json_check(body, len, ERR_BODY_MAX, RG_JSON_DEPTH_MAX, NULL, NULL) == RG_OK) {
    char *copy = rg_strndup(body, len);
    yajl_val root = NULL;
    if (copy) rg_json_tree(&root, copy, len, ERR_BODY_MAX, RG_JSON_DEPTH_MAX, "Docker's error body", NULL);
    yajl_val m = yajl_tree_get(root, (const char *[]){"message", NULL}, yajl_t_string);
    if (m) rg_docker_quote(msg, sizeof msg, m->u.string, strlen(m->u.string), QUOTE_MAX);
    yajl_val cause = yajl_tree_get(root, (const char *[]){"cause", NULL}, yajl_t_string);
    gone = cause && strcmp(cause->u.string, "no such container") == 0;
    yajl_tree_free(root);
    free(copy);
  } else if (i < len && body[i] == '<') {
    quote_html(msg, sizeof msg, body + i, len - i);
  }
  if (msg[0] == '\0') rg_docker_quote(msg, sizeof msg, body, len, QUOTE_MAX);
  if (msg[0] == '\0') snprintf(msg, sizeof msg, "(empty body)");
  if (status == 401 || status == 403) { /* refused: say which request */
    char path[112];
    request_path(h, path, sizeof path);
    return rg_err(err, RG_EAUTH, "Docker at %s: %s: GET %s refused: %s (HTTP %ld)", d->endpoint,
                  what, path, msg, status);
  }
  int code = status == 404 || gone ? RG_ENOTFOUND : RG_EPROTO;
  return rg_err(err, code, "Docker at %s: %s: %s (HTTP %ld)", d->endpoint, what, msg, status);
}

/* ---- requests ---- */

struct sink {
  struct rg_buf body;
  bool too_big;
  char api_version[16]; /* from the Api-Version header */
  char swarm[24];       /* from the Swarm header */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  struct sink *s = ud;
  size_t n = size * nmemb;
  int rc = rg_buf_append(&s->body, data, n);
  if (rc) {
    s->too_big = rc == RG_ETOOBIG;
    return 0;
  }
  return n;
}

/* Copies the value of header `name` (lower-case, with the colon) from the
 * header line data (n bytes) into dst, trimmed and truncated. */
static void header_value(const char *data, size_t n, const char *name, char *dst, size_t dstsize) {
  size_t nlen = strlen(name);
  if (n <= nlen || strncasecmp(data, name, nlen) != 0) return;
  size_t i = nlen, end = n;
  while (i < end && (data[i] == ' ' || data[i] == '\t')) i++;
  while (end > i && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' ')) end--;
  size_t len = end - i < dstsize - 1 ? end - i : dstsize - 1;
  memcpy(dst, data + i, len);
  dst[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
  struct sink *s = ud;
  size_t n = size * nmemb;
  header_value(data, n, "api-version:", s->api_version, sizeof s->api_version);
  header_value(data, n, "swarm:", s->swarm, sizeof s->swarm);
  return n;
}

static void set_common(struct rg_docker *d, CURL *h, const char *url) {
  curl_easy_setopt(h, CURLOPT_URL, url);
  if (d->unix_path) curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, d->unix_path);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, d->connect_ms);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
}

long rg_docker_request_timeout(const struct rg_docker *d) { return d->request_ms; }

void rg_docker_watch_cancel(struct rg_docker *d, CURL *h) {
  if (d->cancel == NULL) return;
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, d);
}

int rg_docker_transfer_error(struct rg_docker *d, CURL *h, CURLcode rc, const char *what,
                             const char *curl_err, char *err) {
  struct rg_net_error ne;
  rg_curl_classify(h, rc, curl_err, d->unix_path != NULL, &ne);
  if (ne.kind == RG_NET_UNREACHABLE)
    return rg_err(err, ne.code, "cannot connect to Docker at %s: %s", d->endpoint, ne.detail);
  return rg_err(err, ne.code, "Docker at %s: %s: %s: %s", d->endpoint, what, rg_net_failure_name(ne.kind),
                ne.detail);
}

/* GET path (already versioned) into s->body, capped at max bytes. */
static int get(struct rg_docker *d, const char *path, size_t max, bool headers, struct sink *s,
               long *status, const char *what, char *err) {
  struct rg_buf url = {0};
  if (rg_buf_printf(&url, "%s%s", d->base_url, path))
    return rg_err(err, RG_ENOMEM, "out of memory");
  CURL *h = d->h;
  curl_easy_reset(h); /* keeps the live connection */
  set_common(d, h, url.data);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, d->request_ms);
  rg_docker_watch_cancel(d, h);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
  if (headers) {
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
  }
  d->curl_err[0] = '\0';
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, d->curl_err);
  s->body.max = max;
  CURLcode rc = rg_curl_perform(&d->waiter, h, d->cancel);
  rg_buf_free(&url);
  *status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  if (rc == CURLE_WRITE_ERROR && s->too_big)
    return rg_err(err, RG_ETOOBIG, "Docker at %s: %s: response exceeds %zu bytes", d->endpoint,
                  what, max);
  if (rc == CURLE_ABORTED_BY_CALLBACK)
    return rg_err(err, RG_ESTOPPED, "Docker at %s: %s: abandoned (stopping)", d->endpoint, what);
  if (rc != CURLE_OK) return rg_docker_transfer_error(d, h, rc, what, d->curl_err, err);
  return RG_OK;
}

int rg_docker_ping(struct rg_docker *d, char *err) {
  struct sink s = {0};
  long status = 0;
  int rc = get(d, "/_ping", ERR_BODY_MAX, true, &s, &status, "ping", err);
  if (rc == RG_OK && status != 200)
    rc = rg_docker_http_error(d, d->h, status, s.body.data, s.body.len, "ping", err);
  if (rc == RG_OK) snprintf(d->swarm_status, sizeof d->swarm_status, "%s", s.swarm);
  if (rc == RG_OK) {
    const char *server = s.api_version[0] ? s.api_version : RG_DOCKER_API_FALLBACK;
    long maj, min;
    if (!parse_version(server, &maj, &min)) {
      char q[40];
      rg_docker_quote(q, sizeof q, server, strlen(server), 20);
      rc = rg_err(err, RG_EPROTO, "Docker at %s sent an invalid Api-Version header '%s'",
                  d->endpoint, q);
    } else if (rg_docker_version_cmp(server, RG_DOCKER_API_MIN) < 0) {
      rc = rg_err(err, RG_EUNSUPPORTED,
                  "Docker at %s speaks API %s, older than the minimum %s (Docker 1.12)",
                  d->endpoint, server, RG_DOCKER_API_MIN);
    } else {
      snprintf(d->server_version, sizeof d->server_version, "%ld.%ld", maj, min);
      bool older = rg_docker_version_cmp(d->server_version, RG_DOCKER_API_VERSION) < 0;
      snprintf(d->version, sizeof d->version, "%s",
               older ? d->server_version : RG_DOCKER_API_VERSION);
      rg_log(d->log, RG_LOG_DEBUG, "Docker at %s: server API %s%s, using %s", d->endpoint,
             d->server_version, s.api_version[0] ? "" : " (assumed)", d->version);
    }
  }
  rg_buf_free(&s.body);
  return rc;
}

static int ensure_version(struct rg_docker *d, char *err) {
  return d->version[0] ? RG_OK : rg_docker_ping(d, err);
}

int rg_docker_setup_easy(struct rg_docker *d, CURL *h, const char *path, char *err) {
  int rc = ensure_version(d, err);
  if (rc) return rc;
  struct rg_buf url = {0};
  if (rg_buf_printf(&url, "%s/v%s%s", d->base_url, d->version, path))
    return rg_err(err, RG_ENOMEM, "out of memory");
  set_common(d, h, url.data); /* curl copies the strings */
  rg_buf_free(&url);
  return RG_OK;
}

int rg_docker_get(struct rg_docker *d, const char *path, size_t max, const char *what,
                  struct rg_buf *body, long *status, char *err) {
  int rc = ensure_version(d, err);
  if (rc) return rc;
  struct rg_buf vpath = {0};
  struct sink s = {0};
  if (rg_buf_printf(&vpath, "/v%s%s", d->version, path))
    return rg_err(err, RG_ENOMEM, "out of memory");
  rc = get(d, vpath.data, max, false, &s, status, what, err);
  rg_buf_free(&vpath);
  if (rc == RG_OK && *status != 200)
    rc = rg_docker_http_error(d, d->h, *status, s.body.data, s.body.len, what, err);
  if (rc == RG_OK && s.body.data == NULL) rc = rg_buf_append(&s.body, "", 0);
  if (rc == RG_OK) {
    *body = s.body;
    return RG_OK;
  }
  rg_buf_free(&s.body);
  return rc;
}

const char *rg_docker_swarm_status(const struct rg_docker *d) { return d->swarm_status; }

/* GET /v<version><path> with a 200 answer into s->body (caller frees). */
static int get_ok(struct rg_docker *d, const char *path, size_t max, const char *what,
                  struct sink *s, char *err) {
  long status = 0;
  return rg_docker_get(d, path, max, what, &s->body, &status, err);
}

/* GET /v<version><path>; 200 with a JSON body -> *root, pruned to the keep
 * patterns (docker/jsonprune.h; the caller frees it with rg_json_free). */
static int get_json(struct rg_docker *d, const char *path, size_t max, const char *what,
                    const char *const *keep, yajl_val *root, char *err) {
  *root = NULL;
  struct sink s = {0};
  int rc = get_ok(d, path, max, what, &s, err);
  if (rc == RG_OK) {
    const char *body = s.body.data ? s.body.data : "";
    char q[80];
    rg_docker_quote(q, sizeof q, body, s.body.len, 60);
    char why[RG_ERRBUF] = "";
    rc = rg_json_check(body, s.body.len, max, RG_JSON_DEPTH_MAX, what, why);
    if (rc == RG_OK) rc = rg_json_parse(body, s.body.len, keep, root, NULL);
    if (rc == RG_ENOMEM)
      rg_err(err, rc, "out of memory");
    else if (rc)
      rc = rg_err(err, RG_EPROTO, "Docker at %s: %s: response is not the JSON expected%s%s: '%s'",
                  d->endpoint, what, why[0] ? ": " : "", why, q);
  }
  rg_buf_free(&s.body);
  return rc;
}

int rg_docker_list_running(struct rg_docker *d, struct rg_strlist *ids, char *err) {
  static const char what[] = "list containers";
  static const char *const keep[] = {"Id", NULL}; /* of each item (~750 bytes), build the Id */
  yajl_val root;
  int rc = get_json(d, "/containers/json", RG_DOCKER_LIST_MAX, what, keep, &root, err);
  if (rc) return rc;
  if (!YAJL_IS_ARRAY(root)) {
    rg_json_free(root);
    return rg_err(err, RG_EPROTO, "Docker at %s: %s: expected a JSON array", d->endpoint, what);
  }
  for (size_t i = 0; i < root->u.array.len && rc == RG_OK; i++) {
    yajl_val id =
        yajl_tree_get(root->u.array.values[i], (const char *[]){"Id", NULL}, yajl_t_string);
    if (id == NULL || id->u.string[0] == '\0')
      rc = rg_err(err, RG_EPROTO, "Docker at %s: %s: item %zu has no string \"Id\"", d->endpoint,
                  what, i);
    else if (rg_strlist_add(ids, id->u.string) != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
  }
  rg_json_free(root);
  return rc;
}

int rg_docker_inspect_request(struct rg_docker *d, const char *id, struct rg_buf *path, char *what,
                              size_t whatsize, char *err) {
  if (id == NULL || id[0] == '\0')
    return rg_err(err, RG_EINVAL, "Docker at %s: inspect: empty container id", d->endpoint);
  char qid[80];
  rg_docker_quote(qid, sizeof qid, id, strlen(id), 70);
  snprintf(what, whatsize, "inspect container %s", qid);
  char *esc = curl_easy_escape(d->h, id, 0);
  int rc = esc && !rg_buf_printf(path, "/containers/%s/json", esc)
               ? RG_OK
               : rg_err(err, RG_ENOMEM, "out of memory");
  curl_free(esc);
  return rc;
}

int rg_docker_inspect_answer(const struct rg_docker *d, const char *what, const char *body,
                             size_t len, struct rg_container **out, char *err) {
  char perr[RG_ERRBUF] = "";
  int rc = rg_container_parse(body ? body : "", len, out, perr);
  if (rc) {
    *out = NULL;
    rg_err(err, rc, "Docker at %s: %s: %s", d->endpoint, what, perr);
  }
  return rc;
}

int rg_docker_inspect(struct rg_docker *d, const char *id, struct rg_container **out, char *err) {
  *out = NULL;
  char what[100];
  struct rg_buf path = {0};
  struct sink s = {0};
  int rc = rg_docker_inspect_request(d, id, &path, what, sizeof what, err);
  if (rc == RG_OK) rc = get_ok(d, path.data, RG_DOCKER_INSPECT_MAX, what, &s, err);
  if (rc == RG_OK) rc = rg_docker_inspect_answer(d, what, s.body.data, s.body.len, out, err);
  rg_buf_free(&path);
  rg_buf_free(&s.body);
  return rc;
}
