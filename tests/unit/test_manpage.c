/* doc/registrator.8 documents every option of the option table (--help). */
#include <stdio.h>
#include <string.h>

#include "registrator/config.h"
#include "tests/unit/rg_test.h"

RG_SUITE(manpage);

Test(manpage, names_every_option_of_help) {
  FILE *f = fopen("doc/registrator.8", "r");
  cr_assert_not_null(f, "doc/registrator.8 (run from the repository root)");
  static char man[65536];
  size_t n = fread(man, 1, sizeof man - 1, f);
  fclose(f);
  man[n] = '\0';
  char *usage = rg_cli_usage("registrator");
  cr_assert_not_null(usage);
  int seen = 0;
  for (char *line = strtok(usage, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "  -", 3) != 0) continue;
    char want[64] = "\\-", *w = want + 2;
    for (const char *p = line + 3; *p && *p != ' ' && w < want + sizeof want - 3; p++) {
      if (*p == '-') *w++ = '\\';
      *w++ = *p;
    }
    *w = '\0';
    cr_expect(strstr(man, want) != NULL, "registrator(8) does not mention %s", want);
    seen++;
  }
  cr_assert_gt(seen, 15);
  free(usage);
}
