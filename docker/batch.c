/* batch.c - rg_docker_inspect_many (client.h): many inspects over several
 * connections at once on one curl multi handle, results delivered in the
 * order asked. At start-up this is what keeps a host with a thousand
 * containers from paying a thousand round trips one after the other. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "docker/client.h"
#include "docker/internal.h"
#include "registrator/curlerr.h"

struct slot {
  CURL *h;     /* kept for the next transfer of this slot */
  size_t i;    /* index into ids */
  bool busy;   /* a transfer is running */
  bool ready;  /* rc/c hold the result of ids[i], not yet delivered */
  bool too_big;
  int rc;
  struct rg_container *c;
  struct rg_buf body;
  char what[100];
  char err[RG_ERRBUF];
  char curl_err[CURL_ERROR_SIZE];
};

struct batch {
  struct rg_docker *d;
  CURLM *multi;
  struct slot *slots; /* window: ids[i] uses slots[i % nslots] */
  size_t nslots;
  int active;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  struct slot *s = ud;
  size_t n = size * nmemb;
  int rc = rg_buf_append(&s->body, data, n);
  s->too_big = rc == RG_ETOOBIG;
  return rc == RG_OK ? n : 0;
}

static void finish(struct slot *s, int rc) {
  s->busy = false;
  s->ready = true;
  s->rc = rc;
}

/* Starts the inspect of ids[i] in its slot. Errors that concern only this
 * id are its result; the return value is an error that stops the batch. */
static int launch(struct batch *b, char *const *ids, size_t i, char *err) {
  struct slot *s = &b->slots[i % b->nslots];
  struct rg_buf path = {0};
  s->i = i;
  s->c = NULL;
  s->too_big = false;
  s->err[0] = s->curl_err[0] = '\0';
  rg_buf_free(&s->body);
  s->body.max = RG_DOCKER_INSPECT_MAX;
  int rc = rg_docker_inspect_request(b->d, ids[i], &path, s->what, sizeof s->what, s->err);
  if (rc == RG_OK && s->h == NULL && (s->h = curl_easy_init()) == NULL) rc = RG_ENOMEM;
  if (rc == RG_OK) {
    curl_easy_reset(s->h);
    rc = rg_docker_setup_easy(b->d, s->h, path.data, err); /* negotiated already: no I/O */
    rg_buf_free(&path);
    if (rc) return rc;
    curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, rg_docker_request_timeout(b->d));
    rg_docker_watch_cancel(b->d, s->h);
    curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
    curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->curl_err);
    if (curl_multi_add_handle(b->multi, s->h) != CURLM_OK) return rg_err(err, RG_ENOMEM, "out of memory");
    s->busy = true;
    b->active++;
    return RG_OK;
  }
  rg_buf_free(&path);
  if (rc == RG_ENOMEM) return rg_err(err, rc, "out of memory");
  finish(s, rc);
  return RG_OK;
}

/* The result of a finished transfer, into its slot. RG_ESTOPPED stops. */
static int complete(struct batch *b, CURL *h, CURLcode res) {
  struct slot *s = NULL;
  curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&s);
  curl_multi_remove_handle(b->multi, h);
  b->active--;
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  int rc;
  if (res == CURLE_ABORTED_BY_CALLBACK)
    rc = rg_err(s->err, RG_ESTOPPED, "Docker at %s: %s: abandoned (stopping)",
                rg_docker_endpoint(b->d), s->what);
  else if (res == CURLE_WRITE_ERROR && s->too_big)
    rc = rg_err(s->err, RG_ETOOBIG, "Docker at %s: %s: response exceeds %zu bytes",
                rg_docker_endpoint(b->d), s->what, (size_t)RG_DOCKER_INSPECT_MAX);
  else if (res != CURLE_OK)
    rc = rg_docker_transfer_error(b->d, h, res, s->what, s->curl_err, s->err);
  else if (status != 200)
    rc = rg_docker_http_error(b->d, h, status, s->body.data, s->body.len, s->what, s->err);
  else
    rc = rg_docker_inspect_answer(b->d, s->what, s->body.data, s->body.len, &s->c, s->err);
  rg_buf_free(&s->body);
  finish(s, rc);
  return rc == RG_ESTOPPED ? rc : RG_OK;
}

/* Waits for transfers and records the finished ones. */
static int step(struct batch *b, char *err) {
  int running = 0, left = 0;
  if (curl_multi_perform(b->multi, &running) != CURLM_OK)
    return rg_err(err, RG_EIO, "Docker at %s: inspect: curl multi failed", rg_docker_endpoint(b->d));
  CURLMsg *m;
  while ((m = curl_multi_info_read(b->multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE) continue;
    CURL *h = m->easy_handle;
    CURLcode res = m->data.result;
    if (complete(b, h, res) == RG_ESTOPPED)
      return rg_err(err, RG_ESTOPPED, "Docker at %s: inspect: abandoned (stopping)",
                    rg_docker_endpoint(b->d));
  }
  if (b->active > 0 && curl_multi_poll(b->multi, NULL, 0, RG_CURL_CANCEL_POLL_MS, NULL) != CURLM_OK)
    return rg_err(err, RG_EIO, "Docker at %s: inspect: curl multi failed", rg_docker_endpoint(b->d));
  return RG_OK;
}

static void batch_free(struct batch *b) {
  for (size_t k = 0; k < b->nslots; k++) {
    struct slot *s = &b->slots[k];
    if (s->h) {
      if (s->busy) curl_multi_remove_handle(b->multi, s->h);
      curl_easy_cleanup(s->h);
    }
    rg_container_free(s->c);
    rg_buf_free(&s->body);
  }
  free(b->slots);
  if (b->multi) curl_multi_cleanup(b->multi);
}

/* One after the other on the client's own keep-alive connection. */
static int serial(struct rg_docker *d, char *const *ids, size_t n, rg_docker_inspect_fn *done,
                  void *ud, char *err) {
  for (size_t i = 0; i < n; i++) {
    struct rg_container *c = NULL;
    char ierr[RG_ERRBUF] = "";
    int rc = rg_docker_inspect(d, ids[i], &c, ierr);
    if (rc == RG_ESTOPPED) return rg_err(err, rc, "%s", ierr);
    done(ud, i, rc, c, ierr);
  }
  return RG_OK;
}

int rg_docker_inspect_many(struct rg_docker *d, char *const *ids, size_t n, int parallel,
                           rg_docker_inspect_fn *done, void *ud, char *err) {
  if (n == 0) return RG_OK;
  int rc = rg_docker_api_version(d)[0] ? RG_OK : rg_docker_ping(d, err);
  if (rc) return rc; /* nothing would work */
  if (parallel <= 1 || n == 1) return serial(d, ids, n, done, ud, err);
  struct batch b = {.d = d, .nslots = (size_t)parallel * 2};
  if (b.nslots > n) b.nslots = n;
  b.slots = calloc(b.nslots, sizeof *b.slots);
  b.multi = curl_multi_init();
  rc = b.slots && b.multi ? RG_OK : rg_err(err, RG_ENOMEM, "out of memory");
  size_t next = 0, deliver = 0;
  while (rc == RG_OK && deliver < n) {
    while (rc == RG_OK && next < n && next < deliver + b.nslots && b.active < parallel)
      rc = launch(&b, ids, next++, err);
    struct slot *s = &b.slots[deliver % b.nslots];
    if (rc == RG_OK && s->ready && s->i == deliver) {
      s->ready = false;
      struct rg_container *c = s->c;
      s->c = NULL;
      done(ud, deliver++, s->rc, c, s->err);
      continue;
    }
    if (rc == RG_OK) rc = step(&b, err);
  }
  batch_free(&b);
  return rc;
}
