#include <string.h>

#include "registrator/common.h"
#include "registrator/service.h"
#include "tests/unit/rg_test.h"

RG_SUITE(common);

Test(common, buf_refuses_to_grow_past_its_cap) {
  struct rg_buf b = {.max = 8};
  cr_assert_eq(rg_buf_append(&b, "12345", 5), RG_OK);
  cr_assert_eq(rg_buf_append(&b, "6789", 4), RG_ETOOBIG);
  cr_assert_str_eq(b.data, "12345");
  rg_buf_free(&b);
}

Test(common, parse_long_rejects_trailing_garbage_and_range) {
  long v = 0;
  cr_assert_eq(rg_parse_long("42", 0, 100, &v), RG_OK);
  cr_assert_eq(v, 42);
  cr_assert_eq(rg_parse_long("42x", 0, 100, &v), RG_EINVAL);
  cr_assert_eq(rg_parse_long("", 0, 100, &v), RG_EINVAL);
  cr_assert_eq(rg_parse_long("101", 0, 100, &v), RG_EINVAL);
}

Test(common, strerror_names_every_code) {
  cr_assert_str_eq(rg_strerror(RG_ETOOBIG), "input exceeds its size limit");
  cr_assert_str_eq(rg_strerror(12345), "unknown error");
}

Test(common, service_json_has_exactly_the_documented_fields) {
  struct rg_service s = {0};
  s.id = rg_strdup("h:web:80");
  s.name = rg_strdup("web");
  s.ip = rg_strdup("127.0.0.1");
  s.port = 8080;
  s.proto = rg_strdup("tcp");
  rg_strlist_add(&s.tags, "a\"b");
  rg_kvlist_add(&s.attrs, "region", "eu");
  s.container_id = rg_strdup("abc");
  s.container_name = rg_strdup("web");
  struct rg_buf b = {0};
  cr_assert_eq(rg_service_to_json(&s, &b), RG_OK);
  cr_assert_str_eq(b.data,
                   "{\"id\":\"h:web:80\",\"name\":\"web\",\"ip\":\"127.0.0.1\",\"port\":8080,"
                   "\"proto\":\"tcp\",\"tags\":[\"a\\\"b\"],\"attrs\":{\"region\":\"eu\"},"
                   "\"container_id\":\"abc\",\"container_name\":\"web\"}");
  rg_buf_free(&b);
  rg_service_clear(&s);
}

/* One boolean parser for flags, config, environment, URI options and labels:
 * exactly the words of Go's strconv.ParseBool (README "Usage", booleans). */
Test(common, parse_bool_takes_the_words_of_go_parsebool) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  static const char *const neither[] = {"", "yes", "no", "on", "off", "tRUE", "2", " true", "true ", "y"};
  for (size_t i = 0; i < RG_ARRAY_LEN(yes); i++) {
    bool b = false;
    cr_assert_eq(rg_parse_bool(yes[i], &b), RG_OK, "%s", yes[i]);
    cr_assert(b, "%s", yes[i]);
    cr_assert_eq(rg_parse_bool(no[i], &b), RG_OK, "%s", no[i]);
    cr_assert_not(b, "%s", no[i]);
  }
  for (size_t i = 0; i < RG_ARRAY_LEN(neither); i++) {
    bool b = true;
    cr_assert_eq(rg_parse_bool(neither[i], &b), RG_EINVAL, "\"%s\"", neither[i]);
    cr_assert(b, "untouched on error");
  }
  bool b = true;
  cr_assert_eq(rg_parse_bool(NULL, &b), RG_EINVAL);
}
