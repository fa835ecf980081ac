/* Consul adapter: SERVICE_CHECK_SCRIPT splitting (consul_check.c). */
#include <string.h>

#include "adapters/consul.h"
#include "tests/unit/rg_test.h"

RG_SUITE(consul_script);

/* Splits script for 10.0.0.5:8080 and compares with the NULL-terminated want. */
static void expect_args(const char *script, const char *const *want) {
  struct rg_strlist out = {0};
  const char *why = NULL;
  cr_assert_eq(rg_consul_script_args(script, "10.0.0.5", 8080, &out, &why), RG_OK, "%s: %s", script,
               why ? why : "");
  size_t n = 0;
  while (want[n]) n++;
  cr_expect_eq(out.n, n, "%s: %zu words", script, out.n);
  for (size_t i = 0; i < n && i < out.n; i++) cr_expect_str_eq(out.items[i], want[i], "%s: word %zu", script, i);
  rg_strlist_free(&out);
}

static void expect_invalid(const char *script, const char *why_want) {
  struct rg_strlist out = {0};
  const char *why = NULL;
  cr_expect_eq(rg_consul_script_args(script, "10.0.0.5", 8080, &out, &why), RG_EINVAL, "%s", script);
  cr_expect_str_eq(why, why_want);
  cr_expect_eq(out.n, 0);
  rg_strlist_free(&out);
}

Test(consul_script, words_split_on_runs_of_blanks) {
  expect_args("  /bin/check   a\tb  ", (const char *[]){"/bin/check", "a", "b", NULL});
}

Test(consul_script, placeholders_are_substituted_in_both_spellings) {
  expect_args("curl http://$SERVICE_IP:${SERVICE_PORT}/x ${SERVICE_IP}",
              (const char *[]){"curl", "http://10.0.0.5:8080/x", "10.0.0.5", NULL});
}

Test(consul_script, quotes_group_words_like_the_shell) {
  expect_args("echo 'a b' \"c d\" e\\ f '' \"x\\\"y\" 'it''s'",
              (const char *[]){"echo", "a b", "c d", "e f", "", "x\"y", "its", NULL});
}

Test(consul_script, backslash_in_double_quotes_is_literal_before_ordinary_characters) {
  expect_args("grep \"a\\.b\"", (const char *[]){"grep", "a\\.b", NULL});
}

Test(consul_script, quoted_operators_stay_plain_words) {
  expect_args("echo '|' \"a;b\" x\\&y", (const char *[]){"echo", "|", "a;b", "x&y", NULL});
}

Test(consul_script, shell_syntax_runs_the_whole_script_under_sh) {
  expect_args("test -f /ok && echo $SERVICE_PORT",
              (const char *[]){"/bin/sh", "-c", "test -f /ok && echo 8080", NULL});
  expect_args("echo $HOME", (const char *[]){"/bin/sh", "-c", "echo $HOME", NULL});
  expect_args("echo \"$(date)\"", (const char *[]){"/bin/sh", "-c", "echo \"$(date)\"", NULL});
  expect_args("a > /dev/null", (const char *[]){"/bin/sh", "-c", "a > /dev/null", NULL});
}

Test(consul_script, unterminated_quotes_and_empty_scripts_are_rejected) {
  expect_invalid("echo 'a", "unterminated quote");
  expect_invalid("echo \"a", "unterminated quote");
  expect_invalid("echo a\\", "ends with a lone backslash");
  expect_invalid("   ", "is empty");
}
