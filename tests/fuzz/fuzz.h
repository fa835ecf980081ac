/* fuzz.h - shared bits of the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput. It is linked either with
 * libFuzzer (clang -fsanitize=fuzzer: `make fuzz`) or with replay.c, a
 * plain main() that feeds it files (`make fuzz-replay`, any compiler).
 * A broken invariant calls FUZZ_CHECK, which aborts so both drivers see a
 * crash. */
#ifndef RG_TESTS_FUZZ_FUZZ_H
#define RG_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "registrator/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                      \
    }                                                                               \
  } while (0)

/* A log sink that checks every formatted line: non-empty, and no control
 * characters (a hostile label must not be able to forge log lines). */
static inline void fuzz_log_fn(void *ud, enum rg_log_level level, const char *msg) {
  (void)ud;
  (void)level;
  FUZZ_CHECK(msg != NULL);
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
    FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
}
static inline const struct rg_log *fuzz_log(void) {
  static const struct rg_log log = {.fn = fuzz_log_fn, .min = RG_LOG_DEBUG};
  return &log;
}

/* FNV-1a, to derive split points and options from the input itself. */
static inline uint64_t fuzz_hash(const uint8_t *data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

static inline uint64_t fuzz_next(uint64_t *s) { /* xorshift64 */
  uint64_t x = *s ? *s : 88172645463325252ull;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

#endif
