#include "tests/unit/rg_test.h"

#include <stdio.h>

char *rg_test_fixture(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "tests/fixtures/%s", name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "fixture %s is missing", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  cr_assert_not_null(buf);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  buf[n] = '\0';
  if (len) *len = (size_t)n;
  return buf;
}
