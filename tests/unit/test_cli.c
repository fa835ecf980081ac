#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "registrator/config.h"
#include "tests/unit/rg_test.h"

RG_SUITE(cli);

/* Parses a NULL-terminated argument list (program name added). */
static int parse(struct rg_config *c, char *err, const char *const *args) {
  char *argv[32] = {"registrator"};
  int argc = 1;
  while (args[argc - 1]) {
    argv[argc] = (char *)args[argc - 1];
    argc++;
  }
  rg_config_init(c);
  err[0] = '\0';
  return rg_cli_parse(c, argc, argv, NULL, err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(cli, defaults_match_registrator) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("resync", "--dry-run")), RG_OK, "%s", err);
  cr_assert_eq(c.command, RG_CMD_RESYNC);
  cr_assert(c.dry_run);
  cr_assert_eq(c.retry_interval, 2000);
  cr_assert_eq(c.retry_attempts, 0);
  cr_assert_eq(c.deregister_mode, RG_DEREGISTER_ALWAYS);
  cr_assert_eq(c.ttl, 0);
  cr_assert_not(c.internal);
  rg_config_free(&c);
}

Test(cli, one_or_two_dashes_with_space_or_equals) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("resync", "-ip", "10.0.0.1", "--tags=a,b", "-internal",
                                   "--explicit=true", "-hostname=h1", "--useIpFromLabel", "L",
                                   "-dry-run")),
               RG_OK, "%s", err);
  cr_assert_str_eq(c.ip, "10.0.0.1");
  cr_assert_str_eq(c.tags, "a,b");
  cr_assert_str_eq(c.hostname, "h1");
  cr_assert_str_eq(c.use_ip_from_label, "L");
  cr_assert(c.internal);
  cr_assert(c.explicit_);
  rg_config_free(&c);
}

Test(cli, a_repeated_option_keeps_the_last_value_without_leaking) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("resync", "-dry-run", "-ip", "1.1.1.1", "-ip=2.2.2.2")), RG_OK);
  cr_assert_str_eq(c.ip, "2.2.2.2");
  rg_config_free(&c);
}

Test(cli, missing_uri_is_a_usage_error) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("-ttl", "30", "-ttl-refresh", "10")), RG_EINVAL);
  cr_assert(strstr(err, "missing registry URI"), "%s", err);
  rg_config_free(&c);
}

Test(cli, ttl_refresh_needs_a_larger_ttl) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("resync", "-dry-run", "-ttl-refresh", "10")), RG_EINVAL);
  cr_assert(strstr(err, "-ttl-refresh"), "%s", err);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("resync", "-dry-run", "-ttl", "10", "-ttl-refresh", "10")),
               RG_EINVAL);
  cr_assert(strstr(err, "must be greater"), "%s", err);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("resync", "-dry-run", "-ttl", "30", "-ttl-refresh", "10")),
               RG_OK, "%s", err);
  rg_config_free(&c);
}

Test(cli, bad_deregister_mode_is_named) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("resync", "-dry-run", "-deregister", "sometimes")), RG_EINVAL);
  cr_assert(strstr(err, "sometimes"), "%s", err);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("resync", "-dry-run", "-deregister=on-success")), RG_OK);
  cr_assert_eq(c.deregister_mode, RG_DEREGISTER_ON_SUCCESS);
  rg_config_free(&c);
}

Test(cli, unknown_scheme_is_named) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("zookeeper://127.0.0.1:2181/x")), RG_EINVAL);
  cr_assert(strstr(err, "\"zookeeper\""), "%s", err);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("127.0.0.1:2379")), RG_EINVAL);
  cr_assert(strstr(err, "no scheme"), "%s", err);
  rg_config_free(&c);
}

Test(cli, bad_numbers_and_unknown_options_are_named) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("-ttl", "3x", "etcd://h/p")), RG_EINVAL);
  cr_assert(strstr(err, "\"3x\"") && strstr(err, "-ttl"), "%s", err);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("-retry-attempts", "-2", "etcd://h/p")), RG_EINVAL);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("-nope", "etcd://h/p")), RG_EINVAL);
  cr_assert(strstr(err, "-nope"), "%s", err);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("-ttl")), RG_EINVAL);
  cr_assert(strstr(err, "needs a value"), "%s", err);
  rg_config_free(&c);
}

Test(cli, help_and_version_win) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("--help")), RG_OK);
  cr_assert_eq(c.command, RG_CMD_HELP);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("-version")), RG_OK);
  cr_assert_eq(c.command, RG_CMD_VERSION);
  rg_config_free(&c);
  char *u = rg_cli_usage("registrator");
  cr_assert(strstr(u, "-ttl-refresh N") && strstr(u, "-useIpFromLabel LABEL"), "%s", u);
  free(u);
}

Test(cli, dry_run_only_with_resync) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("-dry-run")), RG_EINVAL);
  rg_config_free(&c);
}

/* A fake environment for precedence tests. */
static const char *fake_env(const char *name) {
  if (strcmp(name, "REGISTRATOR_TTL") == 0) return "40";
  if (strcmp(name, "REGISTRATOR_TAGS") == 0) return "from-env";
  if (strcmp(name, "REGISTRATOR_DOCKER_CONNECT_TIMEOUT") == 0) return "3";
  return NULL;
}

static const char *write_file(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/rg-cli-test-%d.cfg", (int)getpid());
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

Test(cli, config_file_sets_every_option_by_its_underscore_name) {
  const char *path = write_file("hostname = \"h1\";\nttl = 30;\nttl_refresh = 10;\n"
                                "tags = \"a,b\";\ninternal = true;\nuseIpFromLabel = \"L\";\n"
                                "registry = \"nosuch-yet://127.0.0.1:2379/services\";\n");
  struct rg_config c;
  char err[RG_ERRBUF];
  const char *argv[] = {"registrator", "resync", "-dry-run", "-config", path, NULL};
  rg_config_init(&c);
  int rc = rg_cli_parse(&c, 5, (char **)argv, NULL, err);
  /* the URI's scheme is checked, and named, after the file was read */
  cr_assert_eq(rc, RG_EINVAL);
  cr_assert(strstr(err, "nosuch-yet"), "%s", err);
  cr_assert_str_eq(c.hostname, "h1");
  cr_assert_eq(c.ttl, 30);
  cr_assert_eq(c.ttl_refresh, 10);
  cr_assert_str_eq(c.tags, "a,b");
  cr_assert(c.internal);
  cr_assert_str_eq(c.use_ip_from_label, "L");
  rg_config_free(&c);
  remove(path);
}

Test(cli, flag_beats_environment_beats_file) {
  const char *path = write_file("ttl = 30;\nttl_refresh = 10;\ntags = \"from-file\";\nip = \"1.1.1.1\";\n"
                                "docker_timeout = 12;\ndocker_connect_timeout = 9;\n");
  struct rg_config c;
  char err[RG_ERRBUF];
  const char *argv[] = {"registrator", "resync", "-dry-run", "--config", path, "-tags=flag", NULL};
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 6, (char **)argv, fake_env, err), RG_OK, "%s", err);
  cr_expect_eq(c.ttl, 40, "environment beats file");
  cr_expect_str_eq(c.tags, "flag", "flag beats environment");
  cr_expect_str_eq(c.ip, "1.1.1.1", "file beats default");
  cr_expect_eq(c.docker_timeout, 12, "the Docker timeout from the file");
  cr_expect_eq(c.docker_connect_timeout, 3, "REGISTRATOR_DOCKER_CONNECT_TIMEOUT beats the file");
  rg_config_free(&c);
  remove(path);
}

Test(cli, config_file_errors_name_file_and_line) {
  const char *path = write_file("ttl = 30;\nttl_refresh = 10;\nbogus = 1;\n");
  struct rg_config c;
  char err[RG_ERRBUF];
  const char *argv[] = {"registrator", "resync", "-dry-run", "-config", path, NULL};
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 5, (char **)argv, NULL, err), RG_EINVAL);
  char want[128];
  snprintf(want, sizeof want, "%s:3:", path);
  cr_expect(strstr(err, want) && strstr(err, "bogus"), "%s", err);
  rg_config_free(&c);

  write_file("ttl = 30\nttl_refresh = ;\n");
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 5, (char **)argv, NULL, err), RG_EINVAL);
  cr_expect(strstr(err, path) && strstr(err, ":2:"), "syntax error names the line: %s", err);
  rg_config_free(&c);

  write_file("ttl = \"abc\";\n");
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 5, (char **)argv, NULL, err), RG_EINVAL);
  cr_expect(strstr(err, ":1:") && strstr(err, "abc"), "%s", err);
  rg_config_free(&c);
  remove(path);

  const char *missing[] = {"registrator", "resync", "-dry-run", "-config", "/nonexistent/x.cfg", NULL};
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 5, (char **)missing, NULL, err), RG_EINVAL);
  cr_expect(strstr(err, "/nonexistent/x.cfg"), "%s", err);
  rg_config_free(&c);
}

Test(cli, shipped_example_config_parses) {
  struct rg_config c;
  char err[RG_ERRBUF];
  const char *argv[] = {"registrator", "-config", "contrib/registrator.cfg", NULL};
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 3, (char **)argv, NULL, err), RG_OK, "%s", err);
  cr_assert_eq(c.registries.n, 1);
  cr_expect_str_eq(c.registries.items[0], "etcd://127.0.0.1:2379/services");
  cr_expect_eq(c.ttl, 30);
  cr_expect(c.cleanup);
  rg_config_free(&c);
}

Test(cli, several_registry_uris_in_order_without_duplicates) {
  struct rg_config c;
  char err[RG_ERRBUF];
  const char *argv[] = {"registrator", "-ttl", "30", "-ttl-refresh", "10", "etcd://127.0.0.1:2379/a",
                        "consul://127.0.0.1:8500", "etcd://127.0.0.1:2379/a", NULL};
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 8, (char **)argv, NULL, err), RG_OK, "%s", err);
  cr_assert_eq(c.registries.n, 2, "a URI given twice is one registry");
  cr_expect_str_eq(c.registries.items[0], "etcd://127.0.0.1:2379/a");
  cr_expect_str_eq(c.registries.items[1], "consul://127.0.0.1:8500");
  rg_config_free(&c);
}

Test(cli, options_after_the_uris_and_bad_schemes_are_usage_errors) {
  struct rg_config c;
  char err[RG_ERRBUF];
  const char *late[] = {"registrator", "etcd://127.0.0.1:2379/a", "-ttl", "5", NULL};
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 4, (char **)late, NULL, err), RG_EINVAL);
  cr_expect(strstr(err, "-ttl"), "%s", err);
  rg_config_free(&c);
  const char *bad[] = {"registrator", "etcd://127.0.0.1:2379/a", "zk://127.0.0.1:2181/b", NULL};
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 3, (char **)bad, NULL, err), RG_EINVAL);
  cr_expect(strstr(err, "\"zk\""), "the second URI is checked too: %s", err);
  rg_config_free(&c);
}

Test(cli, config_file_takes_a_list_of_registries) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/rg-cli-list-%d.cfg", (int)getpid());
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("registry = [\"etcd2://127.0.0.1:2379/old\", \"etcd://127.0.0.1:2379/new\"];\n", f);
  fclose(f);
  struct rg_config c;
  char err[RG_ERRBUF];
  const char *argv[] = {"registrator", "-config", path, NULL};
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 3, (char **)argv, NULL, err), RG_OK, "%s", err);
  cr_assert_eq(c.registries.n, 2);
  cr_expect_str_eq(c.registries.items[0], "etcd2://127.0.0.1:2379/old");
  cr_expect_str_eq(c.registries.items[1], "etcd://127.0.0.1:2379/new");
  rg_config_free(&c);
  f = fopen(path, "w");
  fputs("registry = (\"etcd://a/x\", 5);\n", f);
  fclose(f);
  rg_config_init(&c);
  cr_assert_eq(rg_cli_parse(&c, 3, (char **)argv, NULL, err), RG_EINVAL);
  cr_expect(strstr(err, ":1:") && strstr(err, "registry"), "names the file line: %s", err);
  rg_config_free(&c);
  remove(path);
}

/* The Docker timeouts: defaults, flags, and the one boolean parser's words
 * for the boolean flags (Go's strconv.ParseBool). */
Test(cli, docker_timeouts_and_boolean_words) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("resync", "--dry-run")), RG_OK, "%s", err);
  cr_expect_eq(c.docker_timeout, 30);
  cr_expect_eq(c.docker_connect_timeout, 5);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("resync", "--dry-run", "-docker-timeout", "7", "-docker-connect-timeout=2",
                                   "-internal=T", "-cleanup=False")),
               RG_OK, "%s", err);
  cr_expect_eq(c.docker_timeout, 7);
  cr_expect_eq(c.docker_connect_timeout, 2);
  cr_expect(c.internal);
  cr_expect_not(c.cleanup);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("resync", "--dry-run", "-docker-timeout", "0")), RG_EINVAL);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("resync", "--dry-run", "-internal=yes")), RG_EINVAL);
  cr_expect_str_eq(err, "invalid boolean value \"yes\" for -internal (true or false)");
  rg_config_free(&c);
}

Test(cli, max_in_flight_defaults_to_8_and_takes_1_to_64) {
  struct rg_config c;
  char err[RG_ERRBUF];
  cr_assert_eq(parse(&c, err, ARGS("etcd2://h/p")), RG_OK, "%s", err);
  cr_assert_eq(c.max_in_flight, 8);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("-max-in-flight", "64", "consul://h")), RG_OK, "%s", err);
  cr_assert_eq(c.max_in_flight, 64);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("-max-in-flight=1", "consul://h")), RG_OK, "%s", err);
  cr_assert_eq(c.max_in_flight, 1);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("-max-in-flight", "0", "consul://h")), RG_EINVAL);
  cr_assert(strstr(err, "-max-in-flight"), "%s", err);
  rg_config_free(&c);
  cr_assert_eq(parse(&c, err, ARGS("-max-in-flight", "65", "consul://h")), RG_EINVAL);
  rg_config_free(&c);
}
