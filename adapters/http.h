/*
 * http.h - the one HTTP client every adapter uses (libcurl underneath).
 * Owned by the adapters; docker/ has its own socket client.
 *
 * One rg_http is one reusable curl easy handle (connections are kept alive
 * between requests) over an ordered list of endpoints. A request goes to the
 * current endpoint; when that fails to connect, times out, breaks mid-way or
 * answers 5xx, the same request goes to the next endpoint, and the first one
 * that answers becomes current (we stick with a healthy endpoint and never
 * move back just because an earlier one recovered). Requests are blocking.
 *
 * TLS: peer and host verification are on by default; `insecure` turns both
 * off and logs a warning once. Credentials (basic auth, headers) are never
 * written into an error message or a log line.
 */
#ifndef RG_ADAPTERS_HTTP_H
#define RG_ADAPTERS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "registrator/common.h"

struct rg_http_options {
  bool tls;                /* https:// instead of http:// */
  const char *ca_file;     /* CA bundle; NULL: system default */
  const char *cert_file;   /* client certificate (PEM) */
  const char *key_file;    /* client key (PEM) */
  bool insecure;           /* skip TLS verification (warned about) */
  long connect_timeout_ms; /* 0: 2000 */
  long timeout_ms;         /* whole request; 0: 5000 */
  size_t max_body;         /* response body cap; 0: 8 MiB */
  int default_port;        /* for hosts given without a port */
  const char *unix_socket; /* talk HTTP over this unix socket (no hosts needed) */
  const volatile int *cancel; /* when it turns non-zero, a request in flight
                                 is abandoned (RG_ESTOPPED) within ~100 ms */
  const struct rg_log *log;
};

struct rg_http_response {
  long status;         /* HTTP status code */
  struct rg_buf body;  /* capped at max_body; caller frees with rg_buf_free */
};

struct rg_http; /* opaque */

/* Builds base URLs from hosts ("h", "h:p", "[v6]:p"), or one endpoint on
 * o->unix_socket (a path of at most 107 bytes); no I/O. The option
 * strings are copied. *out is freed with rg_http_free. */
int rg_http_open(struct rg_http **out, const struct rg_strlist *hosts, const struct rg_http_options *o,
                 char *err);
void rg_http_free(struct rg_http *h); /* accepts NULL */

/* Sets (or with value NULL removes) one request header, e.g.
 * "Authorization". The value is kept private. */
int rg_http_set_header(struct rg_http *h, const char *name, const char *value);

/* Basic auth on every request (NULL user: none). Copied; never logged. */
int rg_http_set_basic_auth(struct rg_http *h, const char *user, const char *password);

/* The current endpoint ("http://127.0.0.1:2379", "unix:///run/x.sock"). Borrowed. */
const char *rg_http_endpoint(const struct rg_http *h);

/* Performs method path (path starts with '/', already escaped) with an
 * optional body, failing over as described above. On RG_OK resp->status
 * and resp->body hold the answer of the endpoint that answered (which may
 * be a 5xx when every endpoint answered 5xx). Otherwise (RG_ECONNECT when no
 * endpoint could be reached, RG_ETOOBIG when a body exceeded its cap) err
 * names every endpoint tried and why. resp is reset first. */
int rg_http_request(struct rg_http *h, const char *method, const char *path, const char *content_type,
                    const char *body, size_t body_len, struct rg_http_response *resp, char *err);

/* Appends s percent-escaped for use in a path segment or a form value
 * (everything but [A-Za-z0-9-._~] is escaped). Pure. */
int rg_http_escape(struct rg_buf *out, const char *s, size_t len);

#endif /* RG_ADAPTERS_HTTP_H */
