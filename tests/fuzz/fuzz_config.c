/* fuzz_config.c - the libconfig settings file (registrator/configfile.c)
 * and validation (registrator/cli.c). The input is the file's content,
 * written to a temporary file. Inputs with '@' are skipped: libconfig's
 * @include would read arbitrary files (the config file is the operator's,
 * not hostile; the fuzzer just must not hang on /dev/stdin). */
#include <string.h>
#include <unistd.h>

#include "registrator/config.h"
#include "tests/fuzz/fuzz.h"

static char path[64];

static void cleanup(void) {
  if (path[0]) unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (memchr(data, '@', size) != NULL) return 0;
  if (path[0] == '\0') {
    snprintf(path, sizeof path, "/tmp/rg-fuzz-config-%ld.cfg", (long)getpid());
    atexit(cleanup);
  }
  FILE *f = fopen(path, "wb");
  FUZZ_CHECK(f != NULL);
  FUZZ_CHECK(fwrite(data, 1, size, f) == size || size == 0);
  FUZZ_CHECK(fclose(f) == 0);

  struct rg_config c;
  char err[RG_ERRBUF] = "";
  rg_config_init(&c);
  int rc = rg_config_load_file(&c, path, err);
  if (rc == RG_OK) {
    FUZZ_CHECK(c.ttl >= 0 && c.ttl_refresh >= 0 && c.resync >= 0 && c.retry_interval >= 1);
    rc = rg_config_validate(&c, err);
  }
  FUZZ_CHECK(rc == RG_OK || err[0] != '\0');
  rg_config_free(&c);
  return 0;
}
