/*
 * http_xfer.h - the inside of adapters/http.c that adapters/http_multi.c
 * drives: one transfer on an easy handle of its own, set up and judged
 * exactly as a blocking request's attempt is. Internal to adapters/.
 */
#ifndef RG_ADAPTERS_HTTP_XFER_H
#define RG_ADAPTERS_HTTP_XFER_H

#include <curl/curl.h>

#include "adapters/http.h"

/* One transfer's own state. A zeroed struct is ready; the easy handle is
 * created on the first setup and kept (with its connection) for the next. */
struct rg_http_xfer {
  CURL *curl;
  struct rg_buf *sink;     /* the response body being read */
  bool overflow;           /* the body passed its cap */
  struct curl_slist *ct;   /* this request's header list (with Content-Type) */
  char curl_err[CURL_ERROR_SIZE];
};

/* Sets x up for method path on endpoint i of h (every option, the client's
 * headers and credentials; resp reset, the body borrowed until finish). No
 * I/O: the caller performs it (curl_easy_perform or a multi). RG_ENOMEM. */
int rg_http_xfer_setup(struct rg_http *h, struct rg_http_xfer *x, size_t i, const char *method, const char *path,
                       const char *ctype, const char *body, size_t body_len, struct rg_http_response *resp);
/* The outcome of x's transfer that ended with cc on endpoint i: RG_OK (an
 * answer below 500 in resp), RG_EAGAIN (a 5xx answer, in resp), RG_ETOOBIG,
 * RG_ESTOPPED (cancelled) or RG_ECONNECT (unreachable, timed out, broken);
 * but RG_OK appends "<endpoint>: <why>" to why. */
int rg_http_xfer_finish(struct rg_http *h, struct rg_http_xfer *x, size_t i, CURLcode cc,
                        struct rg_http_response *resp, struct rg_buf *why);
void rg_http_xfer_free(struct rg_http_xfer *x); /* back to zeroed */

size_t rg_http_endpoint_count(const struct rg_http *h);
size_t rg_http_current(const struct rg_http *h);
bool rg_http_cancelled(const struct rg_http *h); /* the cancel flag of the options is set */
const char *rg_http_endpoint_name(const struct rg_http *h, size_t i); /* for messages; borrowed */
/* Makes endpoint i current (logged when it changes; failed: why the others failed). */
void rg_http_use(struct rg_http *h, size_t i, const char *failed);

#endif /* RG_ADAPTERS_HTTP_XFER_H */
