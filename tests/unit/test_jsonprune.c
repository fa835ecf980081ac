/* test_jsonprune.c - docker/jsonprune.c: which members a keep list builds,
 * and that what it builds is what yajl_tree_parse() would have built
 * (numbers, duplicates, errors), checked against yajl_tree itself. */
#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <yajl/yajl_gen.h>

#include "docker/jsonprune.h"
#include "tests/unit/rg_test.h"

RG_SUITE(jsonprune);

/* A keep list: KEEP("a", "b/c"). */
#define KEEP(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- helpers ---- */

static void gen_value(yajl_gen g, yajl_val v) {
  switch (v->type) {
  case yajl_t_string:
    yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
    break;
  case yajl_t_number:
    yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    break;
  case yajl_t_object:
    yajl_gen_map_open(g);
    for (size_t i = 0; i < v->u.object.len; i++) {
      const char *k = v->u.object.keys[i];
      yajl_gen_string(g, (const unsigned char *)k, strlen(k));
      gen_value(g, v->u.object.values[i]);
    }
    yajl_gen_map_close(g);
    break;
  case yajl_t_array:
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len; i++) gen_value(g, v->u.array.values[i]);
    yajl_gen_array_close(g);
    break;
  case yajl_t_true:
  case yajl_t_false:
    yajl_gen_bool(g, v->type == yajl_t_true);
    break;
  default:
    yajl_gen_null(g);
    break;
  }
}

/* Asserts that doc pruned to keep reads back as want (compact JSON). */
static void expect_pruned(const char *doc, const char *const *keep, const char *want) {
  yajl_val root = NULL;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_json_parse(doc, strlen(doc), keep, &root, err), RG_OK, "%s: %s", doc, err);
  yajl_gen g = yajl_gen_alloc(NULL);
  gen_value(g, root);
  const unsigned char *out = NULL;
  size_t len = 0;
  yajl_gen_get_buf(g, &out, &len);
  cr_assert_str_eq((const char *)out, want, "pruning %s", doc);
  yajl_gen_free(g);
  rg_json_free(root);
}

/* rg_json_parse's code for doc; err gets its message; *out stays NULL. */
static int parse_error(const char *doc, size_t len, const char *const *keep, char *err) {
  yajl_val root = (yajl_val)1;
  int rc = rg_json_parse(doc, len, keep, &root, err);
  if (rc != RG_OK) cr_assert_null(root, "nothing is half-returned");
  rg_json_free(rc == RG_OK ? root : NULL);
  return rc;
}

static bool same_tree(yajl_val a, yajl_val b) {
  if (a->type != b->type) return false;
  switch (a->type) {
  case yajl_t_string:
    return strcmp(a->u.string, b->u.string) == 0;
  case yajl_t_number:
    return strcmp(a->u.number.r, b->u.number.r) == 0 && a->u.number.i == b->u.number.i &&
           a->u.number.flags == b->u.number.flags &&
           memcmp(&a->u.number.d, &b->u.number.d, sizeof a->u.number.d) == 0;
  case yajl_t_object:
    if (a->u.object.len != b->u.object.len) return false;
    for (size_t i = 0; i < a->u.object.len; i++)
      if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
          !same_tree(a->u.object.values[i], b->u.object.values[i]))
        return false;
    return true;
  case yajl_t_array:
    if (a->u.array.len != b->u.array.len) return false;
    for (size_t i = 0; i < a->u.array.len; i++)
      if (!same_tree(a->u.array.values[i], b->u.array.values[i])) return false;
    return true;
  default:
    return true;
  }
}

/* Asserts that the whole document (keep NULL) is what yajl_tree builds. */
static void expect_like_yajl_tree(const char *doc) {
  char yerr[256] = "", err[RG_ERRBUF] = "";
  yajl_val want = yajl_tree_parse(doc, yerr, sizeof yerr);
  cr_assert_not_null(want, "%s: %s", doc, yerr);
  yajl_val got = NULL;
  cr_assert_eq(rg_json_parse(doc, strlen(doc), NULL, &got, err), RG_OK, "%.60s: %s", doc, err);
  cr_assert(same_tree(got, want), "%.200s: differs from yajl_tree", doc);
  rg_json_free(got);
  yajl_tree_free(want);
}

/* ---- what is kept ---- */

Test(jsonprune, keeps_only_the_named_members_at_every_level) {
  static const char doc[] =
      "{\"a\":1,\"b\":{\"c\":2,\"d\":{\"e\":3,\"f\":[4]},\"g\":\"x\"},\"h\":null,\"i\":{}}";
  expect_pruned(doc, KEEP("b/d/e", "h"), "{\"b\":{\"d\":{\"e\":3}},\"h\":null}");
  expect_pruned(doc, KEEP("b/c", "b/g", "i"), "{\"b\":{\"c\":2,\"g\":\"x\"},\"i\":{}}");
  expect_pruned(doc, KEEP("nothing/here"), "{}");
  expect_pruned(doc, (const char *[]){NULL}, "{}");
  expect_pruned(doc, KEEP("b/d/zz"), "{\"b\":{\"d\":{}}}");
}

Test(jsonprune, a_whole_pattern_keeps_everything_below_and_wins_over_longer_ones) {
  static const char doc[] = "{\"b\":{\"c\":[1,{\"x\":true}],\"d\":{\"e\":{\"f\":false}}},\"z\":0}";
  static const char b[] = "{\"b\":{\"c\":[1,{\"x\":true}],\"d\":{\"e\":{\"f\":false}}}}";
  expect_pruned(doc, KEEP("b"), b);
  expect_pruned(doc, KEEP("b/d/e", "b"), b);
  expect_pruned(doc, KEEP("b", "b/d/e"), b);
  expect_pruned(doc, KEEP("b/d"), "{\"b\":{\"d\":{\"e\":{\"f\":false}}}}");
}

Test(jsonprune, arrays_on_a_filtered_level_filter_their_items_and_keep_every_item) {
  expect_pruned("[{\"Id\":\"a\",\"Names\":[\"/x\"]},{\"Id\":\"b\",\"Ports\":[]},7,null,"
                "[{\"Id\":\"c\",\"Y\":{}}],{},\"s\"]",
                KEEP("Id"), "[{\"Id\":\"a\"},{\"Id\":\"b\"},7,null,[{\"Id\":\"c\"}],{},\"s\"]");
  expect_pruned("{\"n\":[{\"ip\":\"1\",\"mac\":\"m\"},[{\"ip\":\"2\"}]],\"o\":[1]}",
                KEEP("n/ip"), "{\"n\":[{\"ip\":\"1\"},[{\"ip\":\"2\"}]]}");
}

Test(jsonprune, whole_kept_arrays_and_objects_are_complete) {
  static const char doc[] = "{\"Config\":{\"Env\":[\"A=1\",\"B=\",[],{}],\"Labels\":{\"x\":{\"y\":"
                            "[1,{\"z\":true}]},\"w\":\"v\"},\"Cmd\":[\"sh\"]}}";
  expect_pruned(doc, KEEP("Config/Env", "Config/Labels"),
                "{\"Config\":{\"Env\":[\"A=1\",\"B=\",[],{}],\"Labels\":{\"x\":{\"y\":"
                "[1,{\"z\":true}]},\"w\":\"v\"}}}");
}

Test(jsonprune, a_scalar_where_a_pattern_goes_on_is_kept_as_it_is) {
  expect_pruned("{\"Config\":\"oops\",\"State\":[1,true],\"Other\":2}",
                KEEP("Config/Image", "State/Running"),
                "{\"Config\":\"oops\",\"State\":[1,true]}");
  expect_pruned("42", KEEP("a"), "42");
  expect_pruned("\"s\"", KEEP("a"), "\"s\"");
}

Test(jsonprune, a_star_segment_matches_any_key) {
  expect_pruned("{\"Nets\":{\"bridge\":{\"IP\":\"1\",\"Mac\":\"m\"},"
                "\"n2\":{\"IP\":\"2\",\"V6\":\"::\"},\"n3\":null,\"n4\":\"x\"},\"Nets2\":{}}",
                KEEP("Nets/*/IP", "Nets/*/V6"),
                "{\"Nets\":{\"bridge\":{\"IP\":\"1\"},\"n2\":{\"IP\":\"2\",\"V6\":\"::\"},"
                "\"n3\":null,\"n4\":\"x\"}}");
  expect_pruned("{\"a\":1,\"b\":{\"c\":2}}", KEEP("*"), "{\"a\":1,\"b\":{\"c\":2}}");
}

Test(jsonprune, duplicate_keys_are_all_kept_in_document_order) {
  static const char doc[] = "{\"a\":1,\"b\":0,\"a\":{\"x\":2,\"y\":3},\"a\":null}";
  expect_pruned(doc, KEEP("a/x"), "{\"a\":1,\"a\":{\"x\":2},\"a\":null}");
  yajl_val root = NULL;
  cr_assert_eq(rg_json_parse(doc, strlen(doc), KEEP("a"), &root, NULL), RG_OK);
  cr_assert_eq(root->u.object.len, 3);
  yajl_val first = yajl_tree_get(root, (const char *[]){"a", NULL}, yajl_t_any);
  cr_assert(YAJL_IS_INTEGER(first) && YAJL_GET_INTEGER(first) == 1, "the first one is found");
  rg_json_free(root);
  expect_like_yajl_tree(doc);
}

Test(jsonprune, keys_match_as_the_c_strings_readers_see) {
  expect_pruned("{\"a\\u0000b\":1,\"ab\":2,\"a\":3}", KEEP("a"),
                "{\"a\":1,\"a\":3}");
}

Test(jsonprune, true_false_and_null_have_their_types) {
  static const char doc[] = "[true,false,null]";
  yajl_val root = NULL;
  cr_assert_eq(rg_json_parse(doc, strlen(doc), KEEP("x"), &root, NULL), RG_OK);
  cr_assert(YAJL_IS_ARRAY(root) && root->u.array.len == 3);
  cr_assert(YAJL_IS_TRUE(root->u.array.values[0]));
  cr_assert(YAJL_IS_FALSE(root->u.array.values[1]));
  cr_assert(YAJL_IS_NULL(root->u.array.values[2]));
  rg_json_free(root);
  expect_like_yajl_tree(doc);
}

/* ---- the same nodes as yajl_tree ---- */

Test(jsonprune, numbers_are_filled_exactly_as_yajl_tree_fills_them) {
  static const char *const nums[] = {
      "0", "-0", "7", "-7", "1.5", "-1.5", "1e3", "1E+3", "-2e-2", "0.1", "1e308", "1e309",
      "-1e999", "1e-400", "4.9e-324", "922337203685477580", "922337203685477587",
      "9223372036854775799", "9223372036854775807", "9223372036854775808", "9223372036854775810",
      "-9223372036854775807", "-9223372036854775808", "-9223372036854775809",
      "18446744073709551616", "99999999999999999999", "123456789012345678901234567890"};
  for (size_t k = 0; k < RG_ARRAY_LEN(nums); k++) {
    char doc[80];
    snprintf(doc, sizeof doc, "{\"n\":%s}", nums[k]);
    expect_like_yajl_tree(doc);
  }
  yajl_val root = NULL;
  static const char doc[] = "[42,-3.25,9223372036854775808,-9223372036854775809,1e999]";
  cr_assert_eq(rg_json_parse(doc, strlen(doc), NULL, &root, NULL), RG_OK);
  yajl_val *v = root->u.array.values;
  cr_assert(YAJL_IS_INTEGER(v[0]) && YAJL_IS_DOUBLE(v[0]) && YAJL_GET_INTEGER(v[0]) == 42);
  cr_assert(!YAJL_IS_INTEGER(v[1]) && YAJL_IS_DOUBLE(v[1]) && YAJL_GET_DOUBLE(v[1]) == -3.25);
  cr_assert_str_eq(YAJL_GET_NUMBER(v[1]), "-3.25");
  cr_assert(!YAJL_IS_INTEGER(v[2]) && YAJL_IS_DOUBLE(v[2]) && v[2]->u.number.i == LLONG_MAX);
  cr_assert(!YAJL_IS_INTEGER(v[3]) && v[3]->u.number.i == LLONG_MIN);
  cr_assert_eq(v[4]->u.number.flags, 0, "out of range for both");
  cr_assert_str_eq(YAJL_GET_NUMBER(v[4]), "1e999");
  rg_json_free(root);
}

Test(jsonprune, whole_documents_are_what_yajl_tree_builds) {
  DIR *dir = opendir("tests/fixtures/inspect");
  cr_assert_not_null(dir);
  size_t n = 0;
  for (struct dirent *e; (e = readdir(dir)) != NULL;) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
    char name[300];
    snprintf(name, sizeof name, "inspect/%s", e->d_name);
    char *doc = rg_test_fixture(name, NULL);
    expect_like_yajl_tree(doc);
    free(doc);
    n++;
  }
  closedir(dir);
  cr_assert_gt(n, 10);
  expect_like_yajl_tree("/* comments */ {\"a\":[1,\"\\u00e9\\n\"] // as yajl_tree allows\n}");
  expect_like_yajl_tree("\"\\u0041\\ud83d\\ude00\"");
}

Test(jsonprune, skipped_members_hold_no_memory) {
  static const char small[] = "{\"Id\":\"abc\"}";
  static const char big[] = "{\"Skip\":{\"a\":[1,2,3,{\"b\":\"long string value\"}],\"c\":null},"
                            "\"Id\":\"abc\",\"More\":[[[[\"x\"]]]]}";
  size_t used[3];
  const char *docs[3] = {small, small, big}; /* the first run warms up libc */
  for (int k = 0; k < 3; k++) {
    yajl_val root = NULL;
    size_t before = mallinfo2().uordblks;
    cr_assert_eq(rg_json_parse(docs[k], strlen(docs[k]), KEEP("Id"), &root, NULL),
                 RG_OK);
    used[k] = mallinfo2().uordblks - before;
    rg_json_free(root);
  }
  cr_assert_eq(used[1], used[2], "%zu bytes for the small document, %zu for the big one", used[1],
               used[2]);
}

/* ---- errors ---- */

Test(jsonprune, malformed_input_fails_with_yajls_message_on_one_line) {
  static const char *const bad[] = {
      "",      " ",          "{",        "{\"a\":",         "{\"a\":1,}", "[1,]",
      "{} {}", "hello",      "nul",      "{\"a\":tru}",     "\"\\u00\"",  "{\"a\":\"\xff\xfe\"}",
      "[01]",  "{\"a\" 1}",  "[\"\x01\"]", "{\"skip\":{\"x\":[1,}},\"a\":1}",
      "{\"skip\":\"\xc3\",\"a\":1}"};
  for (size_t k = 0; k < RG_ARRAY_LEN(bad); k++) {
    char err[RG_ERRBUF] = "", yerr[512] = "";
    cr_assert_null(yajl_tree_parse(bad[k], yerr, sizeof yerr), "yajl_tree accepts case %zu", k);
    yerr[strcspn(yerr, "\r\n")] = '\0';
    cr_assert_eq(parse_error(bad[k], strlen(bad[k]), KEEP("a"), err), RG_EPROTO,
                 "case %zu", k);
    cr_assert_str_eq(err, yerr, "case %zu: the first line of yajl_tree's message", k);
    cr_assert_null(strchr(err, '\n'));
  }
}

Test(jsonprune, empty_input_is_an_error) {
  char err[RG_ERRBUF] = "";
  cr_assert_eq(parse_error("", 0, NULL, err), RG_EPROTO);
  cr_assert_str_eq(err, "parse error: premature EOF");
  cr_assert_eq(parse_error(NULL, 0, NULL, err), RG_EPROTO);
  cr_assert_eq(parse_error("{\"a\":1}", 0, NULL, err), RG_EPROTO, "len counts, not the NUL");
  cr_assert_eq(parse_error(NULL, 3, NULL, err), RG_EINVAL);
}

Test(jsonprune, bad_keep_patterns_are_refused) {
  static const char *const bad[] = {"", "a//b", "/a", "a/", "1/2/3/4/5/6/7/8/9"};
  char err[RG_ERRBUF] = "";
  for (size_t k = 0; k < RG_ARRAY_LEN(bad); k++) {
    cr_assert_eq(parse_error("{}", 2, KEEP("ok", bad[k]), err), RG_EINVAL,
                 "pattern \"%s\"", bad[k]);
    cr_assert_not_null(strstr(err, "pattern"), "%s", err);
  }
  const char *many[RG_JSON_MAX_PATTERNS + 2];
  for (size_t k = 0; k <= RG_JSON_MAX_PATTERNS; k++) many[k] = "k";
  many[RG_JSON_MAX_PATTERNS + 1] = NULL;
  cr_assert_eq(parse_error("{}", 2, many, err), RG_EINVAL);
  many[RG_JSON_MAX_PATTERNS] = NULL;
  expect_pruned("{\"k\":1,\"j\":2}", many, "{\"k\":1}");
}

/* "[[[...1...]]]" nested depth deep, inside prefix/suffix (malloc()ed). */
static char *nested(const char *prefix, size_t depth, const char *suffix) {
  struct rg_buf b = {0};
  cr_assert_eq(rg_buf_append(&b, prefix, strlen(prefix)), RG_OK);
  for (size_t i = 0; i < depth; i++) cr_assert_eq(rg_buf_append(&b, "[", 1), RG_OK);
  cr_assert_eq(rg_buf_append(&b, "1", 1), RG_OK);
  for (size_t i = 0; i < depth; i++) cr_assert_eq(rg_buf_append(&b, "]", 1), RG_OK);
  cr_assert_eq(rg_buf_append(&b, suffix, strlen(suffix)), RG_OK);
  return b.data;
}

Test(jsonprune, built_nesting_is_bounded_and_skipped_nesting_is_free) {
  char err[RG_ERRBUF] = "";
  char *ok = nested("", RG_JSON_MAX_DEPTH, "");
  yajl_val root = NULL;
  cr_assert_eq(rg_json_parse(ok, strlen(ok), NULL, &root, err), RG_OK, "%s", err);
  rg_json_free(root);
  free(ok);
  char *deep = nested("{\"a\":", RG_JSON_MAX_DEPTH, "}");
  cr_assert_eq(parse_error(deep, strlen(deep), NULL, err), RG_EPROTO);
  cr_assert_not_null(strstr(err, "nested deeper than"), "%s", err);
  cr_assert_eq(parse_error(deep, strlen(deep), KEEP("a"), err), RG_EPROTO);
  free(deep);
  char *skipped = nested("{\"skip\":", 10000, ",\"a\":[true]}");
  expect_pruned(skipped, KEEP("a"), "{\"a\":[true]}");
  free(skipped);
}

Test(jsonprune, out_of_memory_is_an_error_not_a_crash) {
#if defined(__SANITIZE_ADDRESS__)
  cr_skip_test("RLIMIT_AS does not mix with AddressSanitizer's shadow memory");
#else
  size_t n = 2u << 20; /* [0,0,...]: ~100 MB as a tree */
  char *doc = malloc(2 * n + 2);
  cr_assert_not_null(doc);
  doc[0] = '[';
  for (size_t i = 0; i < n; i++) memcpy(doc + 1 + 2 * i, "0,", 2);
  doc[2 * n] = ']';
  doc[2 * n + 1] = '\0';
  unsigned long pages = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  cr_assert_not_null(f);
  cr_assert_eq(fscanf(f, "%lu", &pages), 1);
  fclose(f);
  struct rlimit old, low;
  cr_assert_eq(getrlimit(RLIMIT_AS, &old), 0);
  low = old;
  low.rlim_cur = (rlim_t)pages * 4096u + (32u << 20);
  cr_assert_eq(setrlimit(RLIMIT_AS, &low), 0);
  char err[RG_ERRBUF] = "";
  yajl_val root = (yajl_val)1;
  int rc = rg_json_parse(doc, 2 * n + 1, NULL, &root, err);
  setrlimit(RLIMIT_AS, &old);
  cr_assert_eq(rc, RG_ENOMEM, "%d: %s", rc, err);
  cr_assert_null(root);
  cr_assert_str_eq(err, "out of memory");
  free(doc);
#endif
}
