/* http_multi.c - see http_multi.h. Owned by the adapters. */
#include "adapters/http_multi.h"

#include <stdlib.h>
#include <string.h>

#include "adapters/http_xfer.h"

#define POLL_MS 100 /* how often the cancel flag is looked at while waiting */

struct slot {
  struct rg_http_xfer x;
  size_t call; /* index of the call it carries */
  size_t ep;   /* endpoint it was sent to */
  bool busy;
};

struct rg_http_multi {
  struct rg_http *h;
  CURLM *multi;
  struct slot *slots;
  size_t nslots;
};

int rg_http_multi_open(struct rg_http_multi **out, struct rg_http *h, int cap, char *err) {
  *out = NULL;
  if (cap < 0 || cap > RG_INFLIGHT_MAX_CAP)
    return rg_err(err, RG_EINVAL, "requests in flight: %d is outside 1-%d", cap, RG_INFLIGHT_MAX_CAP);
  struct rg_http_multi *m = calloc(1, sizeof *m);
  if (m == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  m->h = h;
  m->nslots = cap ? (size_t)cap : RG_INFLIGHT_DEFAULT_CAP;
  m->slots = calloc(m->nslots, sizeof *m->slots);
  m->multi = curl_multi_init();
  if (m->slots == NULL || m->multi == NULL) {
    rg_http_multi_free(m);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)m->nslots + 1);
  *out = m;
  return RG_OK;
}

void rg_http_multi_free(struct rg_http_multi *m) {
  if (m == NULL) return;
  for (size_t i = 0; m->slots && i < m->nslots; i++) {
    if (m->slots[i].busy) curl_multi_remove_handle(m->multi, m->slots[i].x.curl);
    rg_http_xfer_free(&m->slots[i].x);
  }
  if (m->multi) curl_multi_cleanup(m->multi);
  free(m->slots);
  free(m);
}

size_t rg_http_multi_cap(const struct rg_http_multi *m) { return m->nslots; }

void rg_http_calls_free(struct rg_http_call *calls, size_t n) {
  for (size_t i = 0; i < n; i++) rg_buf_free(&calls[i].resp.body);
}

/* The state of one perform. */
struct run {
  struct rg_http_multi *m;
  struct rg_http_call *calls;
  struct rg_inflight f;
  rg_http_judge_fn judge;
  void *ud;
  size_t cur, tried;      /* endpoint in use; endpoints tried so far (cur included) */
  bool answered_on_cur;   /* some call was answered by cur */
  struct rg_buf why;      /* "<endpoint>: <reason>" of the endpoints that failed */
  int stop_rc;
  char stop_err[RG_ERRBUF];
};

/* Nothing more starts: every call not started gets rc (its message at the end). */
static void stop(struct run *r, int rc, const char *why) {
  if (r->stop_rc == RG_OK) {
    r->stop_rc = rc;
    rg_err(r->stop_err, rc, "%s", why);
  }
  rg_inflight_stop(&r->f, rc);
}

/* Call i ran and ended with rc (its message in its err). */
static void settle(struct run *r, size_t i, int rc) { rg_inflight_done(&r->f, i, rc); }

/* Every call's rc from the bookkeeping; the ones never sent get a message
 * naming why: the failure of the call they waited for, or the stop. */
static void outcomes(struct run *r) {
  for (size_t i = 0; i < r->f.n; i++) {
    struct rg_http_call *c = &r->calls[i];
    const struct rg_inflight_item *it = &r->f.items[i];
    c->rc = it->rc;
    if (!it->skipped) continue;
    const char *why = it->after != RG_INFLIGHT_NONE && r->calls[it->after].rc != RG_OK ? r->calls[it->after].err
                                                                                         : r->stop_err;
    rg_err(c->err, c->rc, "%s %s not sent: %s", c->method, c->path, why[0] ? why : rg_strerror(c->rc));
  }
}

static struct slot *free_slot(struct rg_http_multi *m) {
  for (size_t i = 0; i < m->nslots; i++)
    if (!m->slots[i].busy) return &m->slots[i];
  return NULL;
}

/* Starts every call the bookkeeping allows. */
static void launch(struct run *r) {
  size_t i;
  struct slot *s;
  while ((s = free_slot(r->m)) != NULL && (i = rg_inflight_next(&r->f)) != RG_INFLIGHT_NONE) {
    struct rg_http_call *c = &r->calls[i];
    int rc = rg_http_xfer_setup(r->m->h, &s->x, r->cur, c->method, c->path, c->content_type, c->body,
                                c->body_len, &c->resp);
    if (rc == RG_OK) {
      curl_easy_setopt(s->x.curl, CURLOPT_PRIVATE, (char *)s);
      if (curl_multi_add_handle(r->m->multi, s->x.curl) != CURLM_OK) rc = RG_ENOMEM;
    }
    if (rc) {
      rg_err(c->err, rc, "%s %s: out of memory", c->method, c->path);
      settle(r, i, rc);
      continue;
    }
    s->call = i;
    s->ep = r->cur;
    s->busy = true;
  }
}

/* A connection-level failure of call i on endpoint ep (message in one). */
static void unreachable(struct run *r, size_t i, size_t ep, int rc, const struct rg_buf *one) {
  struct rg_http *h = r->m->h;
  struct rg_http_call *c = &r->calls[i];
  if (ep == r->cur) {
    rg_buf_printf(&r->why, "%s%s", r->why.len ? "; " : "", one->data ? one->data : "?");
    if (r->tried < rg_http_endpoint_count(h)) { /* the rest goes to the next endpoint */
      r->cur = (r->cur + 1) % rg_http_endpoint_count(h);
      r->tried++;
      r->answered_on_cur = false;
    } else {
      rg_err(c->err, rc, "%s %s failed: %s", c->method, c->path, r->why.data ? r->why.data : "?");
      settle(r, i, rc);
      stop(r, rc, c->err);
      return;
    }
  }
  if (r->stop_rc != RG_OK) {
    rg_err(c->err, r->stop_rc, "%s %s failed: %s", c->method, c->path, one->data ? one->data : "?");
    settle(r, i, r->stop_rc);
    return;
  }
  rg_inflight_requeue(&r->f, i); /* sent again to the endpoint now in use */
}

/* The outcome of one finished transfer. */
static void complete(struct run *r, struct slot *s, CURLcode cc) {
  struct rg_http *h = r->m->h;
  size_t i = s->call;
  struct rg_http_call *c = &r->calls[i];
  curl_multi_remove_handle(r->m->multi, s->x.curl);
  s->busy = false;
  struct rg_buf one = {.max = RG_ERRBUF};
  int rc = rg_http_xfer_finish(h, &s->x, s->ep, cc, &c->resp, &one);
  if (rc == RG_OK || rc == RG_EAGAIN) { /* an answer (a 5xx one included) */
    if (s->ep == r->cur) r->answered_on_cur = true;
    c->err[0] = '\0';
    int verdict = r->judge(r->ud, c);
    settle(r, i, verdict);
  } else if (rc == RG_ECONNECT) {
    unreachable(r, i, s->ep, rc, &one);
  } else {
    rg_err(c->err, rc, "%s %s failed: %s", c->method, c->path, one.data ? one.data : rg_strerror(rc));
    settle(r, i, rc);
    if (rc == RG_ESTOPPED) stop(r, rc, "abandoned (stopping)");
  }
  rg_buf_free(&one);
}

/* Drops every transfer in flight: each call gets RG_ESTOPPED. */
static void abandon(struct run *r) {
  stop(r, RG_ESTOPPED, "abandoned (stopping)");
  for (size_t k = 0; k < r->m->nslots; k++) {
    struct slot *s = &r->m->slots[k];
    if (!s->busy) continue;
    curl_multi_remove_handle(r->m->multi, s->x.curl);
    s->busy = false;
    struct rg_http_call *c = &r->calls[s->call];
    rg_err(c->err, RG_ESTOPPED, "%s %s: abandoned (stopping)", c->method, c->path);
    settle(r, s->call, RG_ESTOPPED);
  }
}

int rg_http_multi_perform(struct rg_http_multi *m, struct rg_http_call *calls, size_t n, rg_http_judge_fn judge,
                          void *ud, char *err) {
  if (n == 0) return RG_OK;
  struct rg_inflight_item *items = calloc(n, sizeof *items);
  if (items == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  struct run r = {.m = m, .calls = calls, .judge = judge, .ud = ud, .why = {.max = RG_ERRBUF}};
  r.cur = rg_http_current(m->h);
  r.tried = 1;
  for (size_t i = 0; i < n; i++) {
    items[i].after = calls[i].after;
    calls[i].rc = RG_OK;
    calls[i].err[0] = '\0';
    rg_buf_free(&calls[i].resp.body);
    calls[i].resp.status = 0;
  }
  rg_inflight_init(&r.f, items, n, m->nslots);
  while (!rg_inflight_all_done(&r.f)) {
    if (rg_http_cancelled(m->h)) {
      abandon(&r);
      break;
    }
    launch(&r);
    if (r.f.running == 0) {
      if (!rg_inflight_all_done(&r.f)) stop(&r, RG_EPROTO, "internal error: nothing could start");
      continue;
    }
    int still = 0, left = 0;
    if (curl_multi_perform(m->multi, &still) != CURLM_OK) {
      stop(&r, RG_ENOMEM, "curl multi failed");
      abandon(&r);
      break;
    }
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
      if (msg->msg != CURLMSG_DONE) continue;
      struct slot *s = NULL;
      CURLcode cc = msg->data.result;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
      complete(&r, s, cc);
    }
    if (still > 0) curl_multi_poll(m->multi, NULL, 0, POLL_MS, NULL);
  }
  outcomes(&r);
  if (r.answered_on_cur && r.cur != rg_http_current(m->h)) rg_http_use(m->h, r.cur, r.why.data);
  int rc = r.stop_rc;
  if (rc) rg_err(err, rc, "%s", r.stop_err);
  rg_buf_free(&r.why);
  free(items);
  return rc;
}
