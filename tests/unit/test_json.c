/* The one guard for outside JSON (registrator/json.h). */
#include <stdlib.h>
#include <string.h>

#include "registrator/json.h"
#include "tests/unit/rg_test.h"

RG_SUITE(json);

Test(json, depth_counts_brackets_outside_strings_only) {
  static const struct {
    const char *json;
    int depth; /* the nesting of the text */
  } cases[] = {
      {"[[[]]]", 3},
      {"{\"a\":[{}]}", 3},
      {"[\"[[[[\"]", 1},              /* brackets in a string */
      {"[\"\\\"[[[[\"]", 1},          /* an escaped quote does not end the string */
      {"[\"\\\\\",[[]]]", 3},         /* an escaped backslash does not escape the quote */
      {"[\"\\\\\\\"[[\",[]]", 2},     /* \\ then \" : still inside */
      {"[\"[[[", 1},                  /* unterminated string: the parser's business */
      {"", 0},
  };
  char err[RG_ERRBUF];
  for (size_t i = 0; i < RG_ARRAY_LEN(cases); i++) {
    const char *j = cases[i].json;
    cr_assert_eq(rg_json_check(j, strlen(j), 100, cases[i].depth, "t", err), RG_OK, "case %zu: %s", i, j);
    if (cases[i].depth > 0)
      cr_assert_eq(rg_json_check(j, strlen(j), 100, cases[i].depth - 1, "t", err), RG_EPROTO, "case %zu: %s",
                   i, j);
  }
}

/* A document nested 400,000 levels deep: refused before any parser (whose
 * tree free recurses once per level) sees it; the error names the source. */
Test(json, refuses_deep_big_and_nul_naming_the_source) {
  size_t n = 800000;
  char *deep = malloc(n + 1);
  cr_assert_not_null(deep);
  memset(deep, '[', n / 2);
  memset(deep + n / 2, ']', n / 2);
  deep[n] = '\0';
  char err[RG_ERRBUF];
  yajl_val v = NULL;
  cr_assert_eq(rg_json_tree(&v, deep, n, (size_t)1 << 20, RG_JSON_DEPTH_MAX, "SkyDNS entry /x", err),
               RG_EPROTO);
  cr_assert_null(v);
  cr_assert_str_eq(err, "SkyDNS entry /x: JSON nested deeper than 64 levels");
  cr_assert_eq(rg_json_tree(&v, deep, n, 1000, RG_JSON_DEPTH_MAX, "etcd answer", err), RG_ETOOBIG);
  cr_assert_not_null(strstr(err, "etcd answer: JSON document of 800000 bytes exceeds the limit of 1000"),
                     "%s", err);
  free(deep);
  cr_assert_eq(rg_json_check("{\"a\":\"\0\"}", 9, 100, 4, "label", err), RG_EPROTO);
  cr_assert_str_eq(err, "label: JSON document holds a NUL byte");
  cr_assert_eq(rg_json_tree(&v, "{\"a\":", 5, 100, 4, "Consul answer", err), RG_EPROTO);
  cr_assert_not_null(strstr(err, "Consul answer: not JSON: "), "%s", err);
  cr_assert_eq(rg_json_tree(&v, "{\"a\":[1]}", 9, 100, 4, "x", err), RG_OK);
  cr_assert(YAJL_IS_OBJECT(v));
  yajl_tree_free(v);
}
