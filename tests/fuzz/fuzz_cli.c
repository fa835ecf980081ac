/* fuzz_cli.c - command-line parsing (registrator/cli.c). The input is
 * split at '\n' into argv[1..]. Options naming a file (-config) are
 * skipped: reading arbitrary paths is not what is being tested here
 * (fuzz_config.c covers the file). A fake environment supplies a few
 * REGISTRATOR_* values derived from the input. */
#include <string.h>

#include "registrator/config.h"
#include "tests/fuzz/fuzz.h"

#define MAX_ARGS 64

static const char *env_ttl;

static const char *fake_getenv(const char *name) {
  if (strcmp(name, "REGISTRATOR_TTL") == 0) return env_ttl;
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char *text = rg_strndup((const char *)data, size);
  FUZZ_CHECK(text != NULL);
  char *argv[MAX_ARGS + 1] = {"registrator"};
  int argc = 1;
  for (char *p = text; argc < MAX_ARGS;) {
    argv[argc++] = p;
    char *nl = strchr(p, '\n');
    if (nl == NULL) break;
    *nl = '\0';
    p = nl + 1;
  }
  argv[argc] = NULL;
  for (int i = 1; i < argc; i++)
    if (strstr(argv[i], "config") != NULL) {
      free(text);
      return 0;
    }
  env_ttl = (fuzz_hash(data, size) & 3) == 0 ? "60" : NULL;

  struct rg_config c;
  char err[RG_ERRBUF] = "";
  rg_config_init(&c);
  int rc = rg_cli_parse(&c, argc, argv, fake_getenv, err);
  if (rc == RG_OK && c.command == RG_CMD_DAEMON) FUZZ_CHECK(c.registries.n > 0);
  for (size_t i = 0; rc == RG_OK && i < c.registries.n; i++)
    FUZZ_CHECK(strstr(c.registries.items[i], "://") != NULL);
  if (rc == RG_OK && c.ttl > 0) FUZZ_CHECK(c.ttl > c.ttl_refresh && c.ttl_refresh > 0);
  FUZZ_CHECK(rc == RG_OK || err[0] != '\0');
  rg_config_free(&c);
  if (rc == RG_OK && c.command == RG_CMD_HELP) {
    char *usage = rg_cli_usage(argv[0]);
    FUZZ_CHECK(usage != NULL);
    free(usage);
  }
  free(text);
  return 0;
}
