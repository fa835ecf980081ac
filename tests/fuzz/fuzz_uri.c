/* fuzz_uri.c - registry URI parsing (adapters/uri.c). The input is the
 * URI; on success the parts must be what adapter.h promises, and an error
 * must never echo credentials ('@' in the authority). */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "adapters/adapter.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = rg_strndup((const char *)data, size); /* stops at a NUL, as a C string would */
  FUZZ_CHECK(s != NULL);
  struct rg_uri u = {0};
  char err[RG_ERRBUF] = "";
  int rc = rg_uri_parse(s, &u, err);
  if (rc == RG_OK) {
    FUZZ_CHECK(u.scheme && u.scheme[0] && u.path);
    for (const char *p = u.scheme; *p; p++) FUZZ_CHECK(!isupper((unsigned char)*p));
    for (const unsigned char *p = (const unsigned char *)u.path; *p; p++)
      FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
    for (size_t i = 0; i < u.hosts.n; i++)
      FUZZ_CHECK(u.hosts.items[i][0] && strpbrk(u.hosts.items[i], "@/?#,") == NULL);
    for (size_t i = 0; i < u.query.n; i++) FUZZ_CHECK(u.query.items[i].key[0]);
  } else {
    FUZZ_CHECK(rc < 0 && err[0]);
    /* credentials in the authority: refused with a fixed message that
     * quotes nothing of the URI (it may hold a password) */
    const char *sep = strstr(s, "://");
    if (sep && memchr(sep + 3, '@', strcspn(sep + 3, "/?#")) != NULL) {
      bool scheme_ok = true;
      for (const char *p = s; p < sep; p++)
        scheme_ok = scheme_ok && (isalpha((unsigned char)*p) ||
                                  (p > s && (isdigit((unsigned char)*p) || strchr("+-.", *p))));
      if (scheme_ok && sep > s)
        FUZZ_CHECK(strcmp(err, "credentials in the registry URI are not supported (use the "
                               "username/password settings)") == 0);
    }
  }
  rg_uri_free(&u);
  free(s);
  return 0;
}
