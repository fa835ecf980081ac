/* rg_test.h - shared bits of the Criterion unit tests. Every test file
 * declares its suite with RG_SUITE(name): under AddressSanitizer a leak
 * check runs after each test and aborts its teardown, naming the test.
 * Criterion 2.4 still counts such a test as passing, so tests/run.sh
 * fails the run on the report it prints. */
#ifndef RG_TESTS_RG_TEST_H
#define RG_TESTS_RG_TEST_H

#include <criterion/criterion.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
static inline void rg_test_leak_check(void) {
  if (__lsan_do_recoverable_leak_check()) abort();
}
#else
static inline void rg_test_leak_check(void) {}
#endif

#define RG_SUITE(name) TestSuite(name, .fini = rg_test_leak_check)

/* Reads tests/fixtures/<name> into a malloc()ed NUL-terminated buffer;
 * fails the test when missing. *len gets the size (may be NULL). */
char *rg_test_fixture(const char *name, size_t *len);

#endif
