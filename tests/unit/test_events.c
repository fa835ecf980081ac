/* test_events.c - the incremental event parser (docker/events.c) on event
 * streams recorded from dockerd 20.10 (API 1.41). Variants (split, CRLF,
 * newer-engine shape) are derived from the recorded bytes here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "docker/events.h"
#include "docker/internal.h"
#include "tests/unit/rg_test.h"

RG_SUITE(events);

#define LIFECYCLE "events/container-lifecycle.jsonl"
#define ALL_TYPES "events/all-types.jsonl"
#define ID_A "55e4638af1a693064874633b075d1c637856c58a9943b75ea471a09d0ca3ede4"

/* Collects a one-line signature of every event, and the last event's fields. */
struct sink {
  struct rg_buf sig;
  size_t n;
  int stop_at; /* return 42 from the callback for event number stop_at (1-based) */
  char action[64], id[80], name[80], image[40], type[20], label[20];
  int exit_code;
  int64_t time_nano;
};

static int collect(void *ud, const struct rg_event *ev) {
  struct sink *s = ud;
  s->n++;
  rg_buf_printf(&s->sig, "%s|%s|%s|%s|%s|%d|%" PRId64, ev->type, ev->action, ev->id, ev->name,
                ev->image, ev->exit_code, ev->time_nano);
  for (size_t i = 0; i < ev->attributes->n; i++)
    rg_buf_printf(&s->sig, "|%s=%s", ev->attributes->items[i].key, ev->attributes->items[i].value);
  rg_buf_append(&s->sig, "\n", 1);
  snprintf(s->action, sizeof s->action, "%s", ev->action);
  snprintf(s->id, sizeof s->id, "%s", ev->id);
  snprintf(s->name, sizeof s->name, "%s", ev->name);
  snprintf(s->image, sizeof s->image, "%s", ev->image);
  snprintf(s->type, sizeof s->type, "%s", ev->type);
  const char *l = rg_kvlist_get(ev->attributes, "SERVICE_NAME");
  snprintf(s->label, sizeof s->label, "%s", l ? l : "");
  s->exit_code = ev->exit_code;
  s->time_nano = ev->time_nano;
  return s->stop_at && (int)s->n == s->stop_at ? 42 : 0;
}

/* Feeds data in chunks of the given sizes (cycled); returns feed's code. */
static int feed_chunks(struct sink *s, const char *data, size_t len, const size_t *sizes,
                       size_t nsizes, size_t max_line, char *err) {
  struct rg_event_parser *p;
  cr_assert_eq(rg_event_parser_new(&p, max_line, collect, s), RG_OK);
  int rc = RG_OK;
  for (size_t off = 0, k = 0; off < len && rc == RG_OK; k++) {
    size_t n = sizes[k % nsizes];
    if (n > len - off) n = len - off;
    rc = rg_event_parser_feed(p, data + off, n, err);
    cr_assert_leq(rg_event_parser_buffered(p), max_line);
    off += n;
  }
  if (rc == RG_OK) cr_assert_eq(rg_event_parser_buffered(p), 0, "a partial line was left over");
  rg_event_parser_free(p);
  return rc;
}

static int feed_all(struct sink *s, const char *data, size_t len, char *err) {
  size_t whole = len ? len : 1;
  return feed_chunks(s, data, len, &whole, 1, RG_EVENT_MAX_LINE, err);
}

/* The n-th (0-based) line of text, without its '\n', malloc()ed. */
static char *nth_line(const char *text, int n) {
  const char *s = text;
  for (int i = 0; i < n; i++) {
    s = strchr(s, '\n');
    cr_assert_not_null(s);
    s++;
  }
  const char *e = strchr(s, '\n');
  return rg_strndup(s, e ? (size_t)(e - s) : strlen(s));
}

static char *fixture_line(const char *fixture, const char *needle) {
  char *all = rg_test_fixture(fixture, NULL);
  for (int i = 0;; i++) {
    char *line = nth_line(all, i);
    if (strstr(line, needle)) {
      free(all);
      return line;
    }
    free(line);
  }
}

/* ---- deriving variants: re-generate an event without some top-level keys ---- */

static void gen_value(yajl_gen g, yajl_val v, const char *const *drop) {
  if (YAJL_IS_OBJECT(v)) {
    yajl_gen_map_open(g);
    for (size_t i = 0; i < v->u.object.len; i++) {
      bool skip = false;
      for (size_t k = 0; drop && drop[k]; k++) skip |= strcmp(drop[k], v->u.object.keys[i]) == 0;
      if (skip) continue;
      const char *key = v->u.object.keys[i];
      yajl_gen_string(g, (const unsigned char *)key, strlen(key));
      gen_value(g, v->u.object.values[i], NULL);
    }
    yajl_gen_map_close(g);
  } else if (YAJL_IS_ARRAY(v)) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len; i++) gen_value(g, v->u.array.values[i], NULL);
    yajl_gen_array_close(g);
  } else if (YAJL_IS_STRING(v)) {
    yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
  } else if (YAJL_IS_NUMBER(v)) {
    yajl_gen_number(g, YAJL_GET_NUMBER(v), strlen(YAJL_GET_NUMBER(v)));
  } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
    yajl_gen_bool(g, YAJL_IS_TRUE(v));
  } else {
    yajl_gen_null(g);
  }
}

/* line without the listed top-level keys, plus "\n"; malloc()ed. */
static char *without(const char *line, const char *const *drop) {
  yajl_val root = yajl_tree_parse(line, NULL, 0);
  cr_assert_not_null(root);
  yajl_gen g = yajl_gen_alloc(NULL);
  gen_value(g, root, drop);
  const unsigned char *out;
  size_t len;
  yajl_gen_get_buf(g, &out, &len);
  char *res = malloc(len + 2);
  memcpy(res, out, len);
  memcpy(res + len, "\n", 2);
  yajl_gen_free(g);
  yajl_tree_free(root);
  return res;
}

/* Replaces the first occurrence of from in line by to; malloc()ed, + "\n". */
static char *replaced(const char *line, const char *from, const char *to) {
  const char *at = strstr(line, from);
  cr_assert_not_null(at, "'%s' not in the recorded line", from);
  struct rg_buf b = {0};
  rg_buf_append(&b, line, (size_t)(at - line));
  rg_buf_printf(&b, "%s%s\n", to, at + strlen(from));
  return b.data;
}

/* ---- tests ---- */

Test(events, recorded_lifecycle_stream_yields_every_event_in_order) {
  size_t len;
  char *data = rg_test_fixture(LIFECYCLE, &len);
  struct sink s = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(feed_all(&s, data, len, err), RG_OK, "%s", err);
  cr_assert_eq(s.n, 17);
  static const char *const actions[] = {"create",  "start",   "rename",
                                        "pause",   "unpause", "health_status: healthy",
                                        "create",  "start",   "health_status: unhealthy",
                                        "kill",    "die",     "kill",
                                        "kill",    "die",     "stop",
                                        "destroy", "destroy"};
  const char *line = s.sig.data;
  for (size_t i = 0; i < RG_ARRAY_LEN(actions); i++) {
    char want[64];
    snprintf(want, sizeof want, "container|%s|", actions[i]);
    cr_assert(strncmp(line, want, strlen(want)) == 0, "event %zu: %.60s", i, line);
    line = strchr(line, '\n') + 1;
  }
  cr_assert(strstr(s.sig.data, "container|die|" ID_A "|rgt-events-a-3764-renamed|local/busybox|137|"
                               "1795637120588812882|SERVICE_80_TAGS=a,b|SERVICE_NAME=x|"
                               "exitCode=137|image=local/busybox|name=rgt-events-a-3764-renamed\n"),
            "%s", s.sig.data);
  cr_assert(strstr(s.sig.data, "|kill|" ID_A "|rgt-events-a-3764-renamed|local/busybox|-1|"));
  cr_assert(strstr(s.sig.data, "|oldName=/rgt-events-a-3764"), "rename keeps oldName");
  rg_buf_free(&s.sig);
  free(data);
}

Test(events, every_split_point_gives_the_same_events) {
  size_t len;
  char *data = rg_test_fixture(LIFECYCLE, &len);
  struct sink ref = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(feed_all(&ref, data, len, err), RG_OK, "%s", err);
  for (size_t cut = 0; cut <= len; cut++) {
    struct sink s = {0};
    struct rg_event_parser *p;
    cr_assert_eq(rg_event_parser_new(&p, 4096, collect, &s), RG_OK);
    cr_assert_eq(rg_event_parser_feed(p, data, cut, err), RG_OK, "cut %zu: %s", cut, err);
    cr_assert_eq(rg_event_parser_feed(p, data + cut, len - cut, err), RG_OK, "cut %zu", cut);
    cr_assert_str_eq(s.sig.data, ref.sig.data, "split at byte %zu differs", cut);
    rg_event_parser_free(p);
    rg_buf_free(&s.sig);
  }
  rg_buf_free(&ref.sig);
  free(data);
}

Test(events, odd_chunk_sizes_and_single_bytes_give_the_same_events) {
  size_t len;
  char *data = rg_test_fixture(ALL_TYPES, &len);
  struct sink ref = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(feed_all(&ref, data, len, err), RG_OK, "%s", err);
  cr_assert_eq(ref.n, 33);
  static const size_t one[] = {1}, odd[] = {7, 1, 513, 2, 31, 4096, 3};
  struct sink a = {0}, b = {0};
  cr_assert_eq(feed_chunks(&a, data, len, one, 1, 4096, err), RG_OK, "%s", err);
  cr_assert_eq(feed_chunks(&b, data, len, odd, RG_ARRAY_LEN(odd), 4096, err), RG_OK, "%s", err);
  cr_assert_str_eq(a.sig.data, ref.sig.data);
  cr_assert_str_eq(b.sig.data, ref.sig.data);
  rg_buf_free(&ref.sig);
  rg_buf_free(&a.sig);
  rg_buf_free(&b.sig);
  free(data);
}

Test(events, other_event_types_are_delivered_with_their_actor) {
  char *line = fixture_line(ALL_TYPES, "\"Type\":\"network\",\"Action\":\"connect\"");
  char *in = replaced(line, "}", "}"); /* adds the '\n' */
  struct sink s = {0};
  char err[RG_ERRBUF];
  cr_assert_eq(feed_all(&s, in, strlen(in), err), RG_OK, "%s", err);
  cr_assert_str_eq(s.type, "network");
  cr_assert_str_eq(s.action, "connect");
  cr_assert_str_eq(s.id, "5ebc33cef09c59e4e927a0313a9138a1b8aa301af82b3b319692d078d2f314e9");
  cr_assert_str_eq(s.image, "");
  cr_assert_eq(s.exit_code, -1);
  rg_buf_free(&s.sig);
  free(in);
  free(line);
}

Test(events, crlf_and_blank_lines_are_tolerated) {
  size_t len;
  char *data = rg_test_fixture(LIFECYCLE, &len);
  struct sink ref = {0}, s = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(feed_all(&ref, data, len, err), RG_OK);
  struct rg_buf v = {0};
  rg_buf_append(&v, "\n\r\n  \n", 6);
  for (size_t i = 0; i < len; i++) {
    if (data[i] == '\n')
      rg_buf_append(&v, "\r\n\n \r\n", 6);
    else
      rg_buf_append(&v, data + i, 1);
  }
  static const size_t sizes[] = {5, 301, 1};
  cr_assert_eq(feed_chunks(&s, v.data, v.len, sizes, 3, 4096, err), RG_OK, "%s", err);
  cr_assert_str_eq(s.sig.data, ref.sig.data);
  rg_buf_free(&v);
  rg_buf_free(&ref.sig);
  rg_buf_free(&s.sig);
  free(data);
}

Test(events, over_long_line_is_refused_and_the_buffer_stays_bounded) {
  char *line = fixture_line(LIFECYCLE, "\"Action\":\"start\"");
  size_t n = strlen(line);
  struct sink s = {0};
  struct rg_event_parser *p;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_event_parser_new(&p, 100, collect, &s), RG_OK);
  int rc = RG_OK;
  size_t off = 0;
  while (off < n && rc == RG_OK) { /* no newline ever comes */
    rc = rg_event_parser_feed(p, line + off, n - off < 7 ? n - off : 7, err);
    cr_assert_leq(rg_event_parser_buffered(p), 100);
    off += 7;
  }
  cr_assert_eq(rc, RG_ETOOBIG);
  cr_assert_leq(off, 107, "refused as soon as the line passed 100 bytes");
  cr_assert(strstr(err, "longer than 100 bytes") && strstr(err, "{\"status\":\"start\""), "%s",
            err);
  cr_assert_eq(rg_event_parser_feed(p, "\n", 1, err), RG_ETOOBIG, "stays stopped");
  rg_event_parser_reset(p);
  cr_assert_eq(rg_event_parser_feed(p, "{\"Action\":\"x\"}\n", 15, err), RG_OK);
  cr_assert_eq(s.n, 1);
  rg_event_parser_free(p);
  rg_buf_free(&s.sig);
  free(line);
}

Test(events, a_line_of_exactly_max_line_bytes_is_accepted) {
  char *line = fixture_line(LIFECYCLE, "\"Action\":\"start\"");
  char *in = replaced(line, "}", "}");
  size_t n = strlen(line);
  struct sink s = {0};
  char err[RG_ERRBUF] = "";
  size_t whole = n + 1;
  cr_assert_eq(feed_chunks(&s, in, n + 1, &whole, 1, n, err), RG_OK, "%s", err);
  cr_assert_eq(s.n, 1);
  cr_assert_eq(feed_chunks(&s, in, n + 1, &whole, 1, n - 1, err), RG_ETOOBIG);
  rg_buf_free(&s.sig);
  free(in);
  free(line);
}

Test(events, malformed_json_is_eproto_and_quotes_the_line) {
  static const char *const bad[] = {
      "{\"status\":\"start\",\"id\":\"abc\"\n",
      "not json at all\n",
      "{\"Action\":\"start\"} {}\n",
      "{\"Action\":\"start\",}\n",
      "\"just a string\"\n",
      "[1,2]\n",
      "{\"Action\":\"st\0rt\"}\n",
      "{\"Actor\":{\"Attributes\":[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]}}\n",
      "{\"Type\":\"container\"}\n" /* no Action */};
  for (size_t i = 0; i < RG_ARRAY_LEN(bad); i++) {
    struct sink s = {0};
    char err[RG_ERRBUF] = "";
    size_t len = i == 6 ? 19 : strlen(bad[i]);
    cr_assert_eq(feed_all(&s, bad[i], len, err), RG_EPROTO, "case %zu", i);
    cr_assert_eq(s.n, 0);
    char prefix[6];
    snprintf(prefix, sizeof prefix, "%.5s", bad[i]);
    cr_assert(strstr(err, prefix), "case %zu: '%s' does not quote the line", i, err);
  }
}

Test(events, wrong_types_are_eproto_naming_the_field) {
  char *die = fixture_line(LIFECYCLE, "\"Action\":\"die\"");
  static const char *const cases[][3] = {
      {"\"Action\":\"die\"", "\"Action\":7", "Action"},
      {"\"Actor\":{", "\"Actor\":\"x\",\"y\":{", "Actor"},
      {"\"Attributes\":{", "\"Attributes\":[],\"x\":{", "Actor.Attributes"},
      {"\"SERVICE_NAME\":\"x\"", "\"SERVICE_NAME\":1", "Actor.Attributes value"},
      {"\"timeNano\":1795637120588812882", "\"timeNano\":\"1795637120588812882\"", "timeNano"},
      {"\"timeNano\":1795637120588812882", "\"timeNano\":1.5", "timeNano"},
      {"\"exitCode\":\"137\"", "\"exitCode\":\"boom\"", "exitCode"},
      {"\"ID\":\"", "\"ID\":5,\"IDx\":\"", "Actor.ID"},
  };
  for (size_t i = 0; i < RG_ARRAY_LEN(cases); i++) {
    char *in = replaced(die, cases[i][0], cases[i][1]);
    struct sink s = {0};
    char err[RG_ERRBUF] = "";
    int rc = feed_all(&s, in, strlen(in), err);
    cr_assert_eq(rc, RG_EPROTO, "case %zu (%s): rc %d %s", i, cases[i][2], rc, err);
    char want[64];
    snprintf(want, sizeof want, "field %s has the wrong type", cases[i][2]);
    cr_assert(strstr(err, want) && strstr(err, "'{\"status\":\"die\""), "case %zu: %s", i, err);
    cr_assert_eq(s.n, 0);
    free(in);
  }
  free(die);
}

Test(events, time_nano_above_2_pow_53_is_exact) {
  char *line = fixture_line(LIFECYCLE, "\"Action\":\"create\"");
  char *in = replaced(line, "}", "}");
  struct sink s = {0};
  char err[RG_ERRBUF];
  cr_assert_eq(feed_all(&s, in, strlen(in), err), RG_OK, "%s", err);
  cr_assert_eq(s.time_nano, INT64_C(1795637117901569344)); /* not a double */
  rg_buf_free(&s.sig);
  free(in);
  /* Without timeNano, the seconds are used. */
  in = without(line, (const char *const[]){"timeNano", NULL});
  s = (struct sink){0};
  cr_assert_eq(feed_all(&s, in, strlen(in), err), RG_OK, "%s", err);
  cr_assert_eq(s.time_nano, INT64_C(1795637117000000000));
  rg_buf_free(&s.sig);
  free(in);
  free(line);
}

Test(events, health_status_action_is_kept_raw) {
  char *line = fixture_line(LIFECYCLE, "health_status: unhealthy");
  char *in = replaced(line, "}", "}");
  struct sink s = {0};
  char err[RG_ERRBUF];
  cr_assert_eq(feed_all(&s, in, strlen(in), err), RG_OK, "%s", err);
  cr_assert_str_eq(s.action, "health_status: unhealthy");
  cr_assert_str_eq(s.id, "a8a8a42c961c04855c3c21ef2e141077ec7a8fc7effeceddfd6833f4b9726435");
  cr_assert_str_eq(s.name, "rgt-events-b-3764");
  rg_buf_free(&s.sig);
  free(in);
  free(line);
}

Test(events, newer_engine_shape_without_status_id_from_gives_the_same_event) {
  char *line = fixture_line(LIFECYCLE, "\"Action\":\"die\"");
  char *old = replaced(line, "}", "}");
  char *neu = without(line, (const char *const[]){"status", "id", "from", NULL});
  cr_assert_null(strstr(neu, "\"status\""));
  struct sink a = {0}, b = {0};
  char err[RG_ERRBUF];
  cr_assert_eq(feed_all(&a, old, strlen(old), err), RG_OK, "%s", err);
  cr_assert_eq(feed_all(&b, neu, strlen(neu), err), RG_OK, "%s", err);
  cr_assert_str_eq(a.sig.data, b.sig.data);
  cr_assert_str_eq(b.action, "die");
  cr_assert_str_eq(b.id, ID_A);
  cr_assert_str_eq(b.image, "local/busybox");
  cr_assert_str_eq(b.label, "x");
  cr_assert_eq(b.exit_code, 137);
  rg_buf_free(&a.sig);
  rg_buf_free(&b.sig);
  free(old);
  free(neu);
  free(line);
}

Test(events, oldest_shape_with_only_status_id_from_falls_back) {
  char *line = fixture_line(LIFECYCLE, "\"Action\":\"start\"");
  char *in = without(line, (const char *const[]){"Type", "Action", "Actor", NULL});
  struct sink s = {0};
  char err[RG_ERRBUF];
  cr_assert_eq(feed_all(&s, in, strlen(in), err), RG_OK, "%s", err);
  cr_assert_str_eq(s.action, "start");
  cr_assert_str_eq(s.id, ID_A);
  cr_assert_str_eq(s.image, "local/busybox");
  cr_assert_str_eq(s.name, "");
  cr_assert_str_eq(s.type, "");
  rg_buf_free(&s.sig);
  free(in);
  free(line);
}

Test(events, callback_return_stops_the_feed_until_reset) {
  size_t len;
  char *data = rg_test_fixture(LIFECYCLE, &len);
  struct sink s = {.stop_at = 3};
  struct rg_event_parser *p;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_event_parser_new(&p, 4096, collect, &s), RG_OK);
  cr_assert_eq(rg_event_parser_feed(p, data, len, err), 42);
  cr_assert_eq(s.n, 3);
  cr_assert_str_eq(s.action, "rename");
  cr_assert(strstr(err, "callback"), "%s", err);
  cr_assert_eq(rg_event_parser_feed(p, data, len, err), 42);
  cr_assert_eq(s.n, 3);
  rg_event_parser_reset(p);
  s.stop_at = 0;
  cr_assert_eq(rg_event_parser_feed(p, data, len, err), RG_OK, "%s", err);
  cr_assert_eq(s.n, 20);
  cr_assert_eq(rg_event_parser_count(p), 17);
  rg_event_parser_free(p);
  rg_buf_free(&s.sig);
  free(data);
}

Test(events, parser_rejects_bad_arguments_and_free_accepts_null) {
  struct rg_event_parser *p = (void *)1;
  cr_assert_eq(rg_event_parser_new(&p, 0, collect, NULL), RG_EINVAL);
  cr_assert_null(p);
  cr_assert_eq(rg_event_parser_new(&p, 10, NULL, NULL), RG_EINVAL);
  rg_event_parser_free(NULL);
}
