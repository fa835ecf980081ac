/*
 * http_multi.h - several requests of one rg_http client in flight at once,
 * on separate connections (one curl multi, a pool of up to `cap` easy
 * handles kept with their connections between calls). Owned by the adapters.
 *
 * One rg_http_multi_perform call sends calls[0..n) with at most cap in
 * flight, in index order as far as the cap and the `after` links allow (see
 * adapters/inflight.h: a call that names an earlier one starts only after
 * that one succeeded, and fails with it otherwise). Every answered call,
 * whatever its status, is judged by the caller's judge function, which turns
 * it into the call's rc (and err); a failure of one call touches no other.
 *
 * A connection-level failure (no connection, timeout, broken transfer) on the
 * client's current endpoint moves the rest of the call to the next endpoint
 * that has not been tried in this call (the first to answer becomes current,
 * as for blocking requests); when none is left, nothing more is started and
 * every call not sent gets that error: a dead registry costs the requests
 * already in flight (one timeout), not one timeout per request. A 5xx answer
 * is that call's answer (judged), not a reason to change endpoints. When the
 * client's cancel flag turns non-zero, the transfers in flight are dropped
 * and every unfinished call gets RG_ESTOPPED.
 */
#ifndef RG_ADAPTERS_HTTP_MULTI_H
#define RG_ADAPTERS_HTTP_MULTI_H

#include <stddef.h>

#include "adapters/http.h"
#include "adapters/inflight.h"

struct rg_http_call {
  /* in (borrowed until rg_http_multi_perform returns) */
  const char *method, *path, *content_type, *body; /* body NULL: none */
  size_t body_len;
  size_t after; /* an earlier index that must succeed first, or RG_INFLIGHT_NONE */
  void *ud;     /* the caller's, for judge */
  /* out */
  int rc;
  struct rg_http_response resp; /* the answer; freed by rg_http_calls_free */
  char err[RG_ERRBUF];          /* set when rc != RG_OK */
};

/* The outcome of an answered call (c->resp holds the answer): RG_OK, or an
 * RG_E* code with c->err filled. */
typedef int (*rg_http_judge_fn)(void *ud, struct rg_http_call *c);

struct rg_http_multi; /* opaque */

/* A pool of up to cap (1..RG_INFLIGHT_MAX_CAP; 0: RG_INFLIGHT_DEFAULT_CAP)
 * transfers over h, which must outlive it. No I/O. */
int rg_http_multi_open(struct rg_http_multi **out, struct rg_http *h, int cap, char *err);
void rg_http_multi_free(struct rg_http_multi *m); /* accepts NULL */
size_t rg_http_multi_cap(const struct rg_http_multi *m);

/* Performs calls[0..n) as described above; each call's rc/err/resp set.
 * Returns RG_OK when every call was answered (and judged), else the error
 * that stopped sending (RG_ECONNECT, RG_ESTOPPED, RG_ENOMEM; message in
 * err). judge(ud, call) is required. */
int rg_http_multi_perform(struct rg_http_multi *m, struct rg_http_call *calls, size_t n, rg_http_judge_fn judge,
                          void *ud, char *err);

/* Frees the response bodies of calls[0..n). */
void rg_http_calls_free(struct rg_http_call *calls, size_t n);

#endif /* RG_ADAPTERS_HTTP_MULTI_H */
