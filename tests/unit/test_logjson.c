/* The -log-format json line (registrator/logjson.c) and the structured log
 * path (rg_log_ctx in registrator/common.c). */
#include <stdio.h>
#include <string.h>

#include "registrator/logjson.h"
#include "tests/unit/rg_test.h"

RG_SUITE(logjson);

static char *line(enum rg_log_level level, const struct rg_log_fields *f, const char *msg) {
  struct rg_buf b = {0};
  struct timespec ts = {1796114684, 456789000}; /* 2026-12-01T08:44:44.456Z */
  cr_assert_eq(rg_log_json(&b, &ts, level, f, msg), RG_OK);
  return b.data;
}

Test(logjson, one_object_with_ts_level_msg_and_the_fields_that_apply) {
  struct rg_log_fields f = {.container = "web-1", .service = "h:web-1:80", .registry = "etcd://127.0.0.1:2379/s"};
  char *l = line(RG_LOG_WARN, &f, "register \"x\" failed\\");
  cr_assert_str_eq(l, "{\"ts\":\"2026-12-01T08:44:44.456Z\",\"level\":\"warn\",\"msg\":\"register \\\"x\\\" failed\\\\\","
                      "\"container\":\"web-1\",\"service\":\"h:web-1:80\",\"registry\":\"etcd://127.0.0.1:2379/s\"}");
  free(l);
  l = line(RG_LOG_INFO, NULL, "stopped");
  cr_assert_str_eq(l, "{\"ts\":\"2026-12-01T08:44:44.456Z\",\"level\":\"info\",\"msg\":\"stopped\"}");
  free(l);
}

Test(logjson, a_registry_uri_loses_its_credentials_and_query) {
  struct rg_log_fields f = {.registry = "etcd://root:h15-MARKER@127.0.0.1:2379/s?token=h15-MARKER"};
  char *l = line(RG_LOG_ERROR, &f, "x");
  cr_assert(strstr(l, "h15-MARKER") == NULL, "%s", l);
  cr_assert(strstr(l, "\"registry\":\"etcd://127.0.0.1:2379/s\"") != NULL, "%s", l);
  free(l);
}

Test(logjson, bytes_that_are_not_utf8_still_give_valid_json) {
  struct rg_log_fields f = {.container = "caf\xe9"};
  char *l = line(RG_LOG_INFO, &f, "label \xff\xfe value");
  cr_assert(strstr(l, "\"msg\":\"label ?? value\"") != NULL, "%s", l);
  cr_assert(strstr(l, "\"container\":\"caf?\"") != NULL, "%s", l);
  free(l);
}

struct seen {
  char msg[128];
  const char *container;
  int calls;
};

static void sink(void *ud, enum rg_log_level level, const struct rg_log_fields *f, const char *msg) {
  (void)level;
  struct seen *s = ud;
  snprintf(s->msg, sizeof s->msg, "%s", msg);
  s->container = f ? f->container : NULL;
  s->calls++;
}

Test(logjson, a_fields_sink_gets_plain_lines_too_and_the_level_filter_holds) {
  struct seen s = {0};
  struct rg_log log = {.fields_fn = sink, .userdata = &s, .min = RG_LOG_INFO};
  rg_log(&log, RG_LOG_INFO, "plain %d", 1);
  cr_assert_str_eq(s.msg, "plain 1");
  cr_assert_null(s.container);
  rg_log_ctx(&log, RG_LOG_WARN, &(struct rg_log_fields){.container = "c1"}, "about\n%s", "c1");
  cr_assert_str_eq(s.msg, "about?c1");
  cr_assert_str_eq(s.container, "c1");
  rg_log_ctx(&log, RG_LOG_DEBUG, NULL, "dropped");
  cr_assert_eq(s.calls, 2);
}
