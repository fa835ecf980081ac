/* events.c - see events.h. */
#include "docker/events.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "docker/internal.h"
#include "registrator/curlerr.h"
#include "registrator/json.h"

#define EVENT_MAX_DEPTH 16 /* an event is {Actor:{Attributes:{}}} */
#define QUOTE_MAX 60
#define STREAM_ERR_BODY_MAX 4096

struct rg_event_parser {
  struct rg_buf line; /* the incomplete line, never more than max_line */
  size_t max_line;
  rg_event_fn fn;
  void *ud;
  size_t count;
  int stopped; /* non-zero: the code every feed returns until reset */
  char stop_err[RG_ERRBUF];
  struct rg_kvlist attrs; /* the current event's attributes */
};

int rg_event_parser_new(struct rg_event_parser **out, size_t max_line, rg_event_fn fn, void *ud) {
  *out = NULL;
  if (max_line == 0 || fn == NULL) return RG_EINVAL;
  struct rg_event_parser *p = calloc(1, sizeof *p);
  if (p == NULL) return RG_ENOMEM;
  p->max_line = max_line;
  p->line.max = max_line;
  p->fn = fn;
  p->ud = ud;
  *out = p;
  return RG_OK;
}

void rg_event_parser_reset(struct rg_event_parser *p) {
  rg_buf_reset(&p->line);
  p->stopped = 0;
  p->stop_err[0] = '\0';
  p->count = 0;
}

size_t rg_event_parser_buffered(const struct rg_event_parser *p) { return p->line.len; }

size_t rg_event_parser_count(const struct rg_event_parser *p) { return p->count; }

void rg_event_parser_free(struct rg_event_parser *p) {
  if (p == NULL) return;
  rg_buf_free(&p->line);
  rg_kvlist_free(&p->attrs);
  free(p);
}

/* The fields of an event that are read, with their JSON types. */
enum {
  F_TYPE,
  F_ACTION,
  F_STATUS,
  F_ID,
  F_FROM,
  F_ACTOR,
  F_ACTOR_ID,
  F_ATTRS,
  F_NANO,
  F_TIME,
  F_N
};
static const struct {
  const char *path[3];
  yajl_type type; /* yajl_t_number means an integer */
  const char *name;
} fields[F_N] = {
    [F_TYPE] = {{"Type"}, yajl_t_string, "Type"},
    [F_ACTION] = {{"Action"}, yajl_t_string, "Action"},
    [F_STATUS] = {{"status"}, yajl_t_string, "status"},
    [F_ID] = {{"id"}, yajl_t_string, "id"},
    [F_FROM] = {{"from"}, yajl_t_string, "from"},
    [F_ACTOR] = {{"Actor"}, yajl_t_object, "Actor"},
    [F_ACTOR_ID] = {{"Actor", "ID"}, yajl_t_string, "Actor.ID"},
    [F_ATTRS] = {{"Actor", "Attributes"}, yajl_t_object, "Actor.Attributes"},
    [F_NANO] = {{"timeNano"}, yajl_t_number, "timeNano"},
    [F_TIME] = {{"time"}, yajl_t_number, "time"},
};

/* Fills v[] (NULL when absent or null); returns the name of the first
 * field of the wrong type, or NULL. */
static const char *get_fields(yajl_val root, yajl_val v[F_N]) {
  if (!YAJL_IS_OBJECT(root)) return "(top level)";
  for (int i = 0; i < F_N; i++) {
    yajl_val x = yajl_tree_get(root, (const char **)fields[i].path, yajl_t_any);
    if (x == NULL || YAJL_IS_NULL(x))
      x = NULL;
    else if (fields[i].type == yajl_t_number ? !YAJL_IS_INTEGER(x) : x->type != fields[i].type)
      return fields[i].name;
    v[i] = x;
  }
  return NULL;
}

static const char *str_or(yajl_val v, const char *fallback) { return v ? v->u.string : fallback; }

/* Podman's own names of container actions that Docker names otherwise
 * (its compat API renames "died" itself, but not "remove"). */
static const struct {
  const char *podman, *docker;
} action_aliases[] = {{"remove", "destroy"}, {"died", "die"}};

static const char *docker_action(const char *type, const char *action) {
  if (strcmp(type, "container") != 0) return action;
  for (size_t i = 0; i < RG_ARRAY_LEN(action_aliases); i++)
    if (strcmp(action, action_aliases[i].podman) == 0) return action_aliases[i].docker;
  return action;
}

/* Fills p->attrs and ev from the fields; returns the name of a field of
 * the wrong type, or NULL (*rc gets RG_ENOMEM on allocation failure). */
static const char *build_event(struct rg_event_parser *p, yajl_val v[F_N], struct rg_event *ev,
                               int *rc) {
  ev->type = str_or(v[F_TYPE], "");
  ev->action = docker_action(ev->type, str_or(v[F_ACTION], str_or(v[F_STATUS], "")));
  ev->id = str_or(v[F_ACTOR_ID], str_or(v[F_ID], ""));
  ev->attributes = &p->attrs;
  if (v[F_NANO]) {
    ev->time_nano = (int64_t)v[F_NANO]->u.number.i;
  } else if (v[F_TIME]) {
    long long t = v[F_TIME]->u.number.i;
    if (t > INT64_MAX / 1000000000 || t < INT64_MIN / 1000000000) return "time";
    ev->time_nano = (int64_t)t * 1000000000;
  }
  rg_kvlist_free(&p->attrs);
  yajl_val attrs = v[F_ATTRS];
  for (size_t k = 0; attrs && k < attrs->u.object.len; k++) {
    yajl_val x = attrs->u.object.values[k];
    if (!YAJL_IS_STRING(x)) return "Actor.Attributes value";
    if ((*rc = rg_kvlist_add(&p->attrs, attrs->u.object.keys[k], x->u.string))) return NULL;
  }
  ev->name = rg_kvlist_get(&p->attrs, "name");
  ev->image = rg_kvlist_get(&p->attrs, "image");
  if (ev->name == NULL) ev->name = "";
  if (ev->image == NULL) ev->image = str_or(v[F_FROM], "");
  /* only a die carries an exit code (Podman puts containerExitCode "0" on
   * every event; a label of that name on another event must not count) */
  const char *key = "exitCode", *code = NULL;
  if (strcmp(ev->action, "die") == 0 &&
      (code = rg_kvlist_get(&p->attrs, key)) == NULL)
    code = rg_kvlist_get(&p->attrs, key = "containerExitCode"); /* Podman */
  long ec = -1;
  if (code && rg_parse_long(code, INT_MIN, INT_MAX, &ec) != RG_OK) return key;
  ev->exit_code = (int)ec;
  return NULL;
}

/* Parses one line (NUL-terminated at s[n]) and calls back. */
static int handle_line(struct rg_event_parser *p, char *s, size_t n, char *err) {
  while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
  size_t i = 0; /* also RFC 7464's record separator: API 1.52 may answer application/json-seq */
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\x1e')) i++;
  if (i == n) return RG_OK; /* blank line */
  s += i;
  n -= i;
  char q[QUOTE_MAX + 8];
  rg_docker_quote(q, sizeof q, s, n, QUOTE_MAX);
  if (memchr(s, '\0', n) != NULL)
    return rg_err(err, RG_EPROTO, "event line contains a NUL byte: '%s'", q);
  char why[RG_ERRBUF];
  yajl_val root = NULL;
  /* the line is already capped by max_line */
  int jrc = rg_json_tree(&root, s, n, SIZE_MAX, EVENT_MAX_DEPTH, "Docker event", why);
  if (jrc == RG_ENOMEM) return rg_err(err, jrc, "out of memory");
  if (jrc) return rg_err(err, RG_EPROTO, "%s: '%s'", why, q);

  int rc = RG_OK;
  yajl_val v[F_N] = {0};
  struct rg_event ev = {0};
  const char *bad = get_fields(root, v);
  if (bad == NULL) bad = build_event(p, v, &ev, &rc);
  if (rc) {
    rg_err(err, rc, "out of memory");
  } else if (bad) {
    rc = rg_err(err, RG_EPROTO, "event field %s has the wrong type: '%s'", bad, q);
  } else if (ev.action[0] == '\0') {
    rc = rg_err(err, RG_EPROTO, "event without Action: '%s'", q);
  } else {
    p->count++;
    rc = p->fn(p->ud, &ev);
    if (rc) rg_err(err, rc, "the event callback stopped the stream (%d)", rc);
  }
  yajl_tree_free(root);
  return rc;
}

static int stop(struct rg_event_parser *p, int rc, const char *msg, char *err) {
  p->stopped = rc;
  snprintf(p->stop_err, sizeof p->stop_err, "%s", msg);
  rg_buf_reset(&p->line);
  return rg_err(err, rc, "%s", msg);
}

int rg_event_parser_feed(struct rg_event_parser *p, const char *data, size_t len, char *err) {
  if (p->stopped) return rg_err(err, p->stopped, "%s", p->stop_err);
  char msg[RG_ERRBUF];
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t n = nl ? (size_t)(nl - data) : len;
    if (n > p->max_line - p->line.len) {
      char q[QUOTE_MAX + 8];
      const char *start = p->line.len ? p->line.data : data;
      size_t qn = p->line.len ? p->line.len : n;
      rg_docker_quote(q, sizeof q, start, qn, QUOTE_MAX);
      snprintf(msg, sizeof msg, "event line longer than %zu bytes: '%s'", p->max_line, q);
      return stop(p, RG_ETOOBIG, msg, err);
    }
    int rc = rg_buf_append(&p->line, data, n);
    if (rc) return stop(p, rc, "out of memory buffering an event", err);
    if (nl == NULL) break;
    rc = p->line.len ? handle_line(p, p->line.data, p->line.len, msg) : RG_OK;
    rg_buf_reset(&p->line);
    if (rc) return stop(p, rc, msg, err);
    data += n + 1;
    len -= n + 1;
  }
  return RG_OK;
}

/* ---- the stream ---- */

struct rg_docker_stream {
  struct rg_docker *d;       /* borrowed */
  struct rg_event_parser *p; /* borrowed */
  CURL *h;
  long status;           /* HTTP status once the body starts, else 0 */
  struct rg_buf errbody; /* the body of a non-200 answer (truncated) */
  int feed_rc;
  char feed_err[RG_ERRBUF];
  char curl_err[CURL_ERROR_SIZE];
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud) {
  struct rg_docker_stream *s = ud;
  size_t n = size * nmemb;
  if (s->status == 0) curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
  if (s->status != 200) {
    size_t room = STREAM_ERR_BODY_MAX - s->errbody.len;
    return rg_buf_append(&s->errbody, data, n < room ? n : room) == RG_OK ? n : 0;
  }
  int rc = rg_event_parser_feed(s->p, data, n, s->feed_err);
  if (rc) {
    s->feed_rc = rc;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  return n;
}

int rg_docker_events_open(struct rg_docker *d, const char *since, struct rg_event_parser *p,
                          struct rg_docker_stream **out, char *err) {
  return rg_docker_events_open_filter(d, RG_DOCKER_EVENTS_FILTER, since, p, out, err);
}

int rg_docker_events_open_filter(struct rg_docker *d, const char *filter, const char *since,
                                 struct rg_event_parser *p, struct rg_docker_stream **out,
                                 char *err) {
  *out = NULL;
  struct rg_docker_stream *s = calloc(1, sizeof *s);
  if (s == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  s->d = d;
  s->p = p;
  s->errbody.max = STREAM_ERR_BODY_MAX;
  struct rg_buf path = {0};
  char *filters = NULL, *esc_since = NULL;
  int rc = RG_OK;
  if ((s->h = curl_easy_init()) == NULL ||
      (filters = curl_easy_escape(s->h, filter, 0)) == NULL ||
      (since && (esc_since = curl_easy_escape(s->h, since, 0)) == NULL) ||
      rg_buf_printf(&path, "/events?filters=%s%s%s", filters, since ? "&since=" : "",
                    since ? esc_since : ""))
    rc = rg_err(err, RG_ENOMEM, "out of memory");
  curl_free(filters);
  curl_free(esc_since);
  if (rc == RG_OK) rc = rg_docker_setup_easy(d, s->h, path.data, err);
  rg_buf_free(&path);
  if (rc) {
    rg_docker_stream_free(s);
    return rc;
  }
  curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->curl_err);
  curl_easy_setopt(s->h, CURLOPT_TCP_KEEPALIVE, 1L);
  *out = s;
  return RG_OK;
}

CURL *rg_docker_stream_handle(struct rg_docker_stream *s) { return s->h; }

int rg_docker_stream_result(struct rg_docker_stream *s, CURLcode rc, char *err) {
  const char *ep = rg_docker_endpoint(s->d);
  if (s->feed_rc)
    return rg_err(err, s->feed_rc, "Docker event stream at %s ended: %s", ep, s->feed_err);
  long status = s->status;
  if (status == 0) curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 0 && status != 200)
    return rg_docker_http_error(s->d, s->h, status, s->errbody.data, s->errbody.len,
                                "event stream", err);
  if (rc == CURLE_OK)
    return rg_err(err, RG_EIO, "Docker event stream at %s ended: Docker closed the stream", ep);
  struct rg_net_error ne;
  rg_curl_classify(s->h, rc, s->curl_err, strncmp(ep, "unix://", 7) == 0, &ne);
  if (ne.kind == RG_NET_UNREACHABLE)
    return rg_err(err, ne.code, "Docker event stream at %s ended: cannot connect: %s", ep, ne.detail);
  return rg_err(err, ne.code, "Docker event stream at %s ended: %s: %s", ep, rg_net_failure_name(ne.kind),
                ne.detail);
}

void rg_docker_stream_free(struct rg_docker_stream *s) {
  if (s == NULL) return;
  if (s->h) curl_easy_cleanup(s->h);
  rg_buf_free(&s->errbody);
  free(s);
}

int rg_docker_events_run(struct rg_docker *d, const char *since, struct rg_event_parser *p,
                         char *err) {
  struct rg_docker_stream *s;
  int rc = rg_docker_events_open(d, since, p, &s, err);
  if (rc) return rc;
  rc = rg_docker_stream_result(s, curl_easy_perform(s->h), err);
  rg_docker_stream_free(s);
  return rc;
}
