/* fuzz_events.c - the incremental event stream parser (docker/events.c).
 *
 * The input is a stream body. It is fed once whole and once in chunks
 * split at positions derived from the input; both runs must deliver the
 * same events (compared by a hash of every field) and end with the same
 * code, and the parser must never buffer more than max_line bytes. */
#include <string.h>

#include "docker/events.h"
#include "docker/internal.h"
#include "tests/fuzz/fuzz.h"

struct run {
  size_t n;
  uint64_t h;
};

static void mix(struct run *r, const char *s) {
  FUZZ_CHECK(s != NULL);
  r->h = (r->h ^ fuzz_hash((const uint8_t *)s, strlen(s) + 1)) * 31;
}

static int on_event(void *ud, const struct rg_event *ev) {
  struct run *r = ud;
  r->n++;
  FUZZ_CHECK(ev->action != NULL && ev->action[0] != '\0');
  mix(r, ev->type);
  mix(r, ev->action);
  mix(r, ev->id);
  mix(r, ev->name);
  mix(r, ev->image);
  r->h = (r->h ^ (uint64_t)ev->exit_code ^ (uint64_t)ev->time_nano) * 31;
  for (size_t i = 0; i < ev->attributes->n; i++) {
    mix(r, ev->attributes->items[i].key);
    mix(r, ev->attributes->items[i].value);
  }
  /* an event whose action is "stop" stops the stream, as a callback may */
  return strcmp(ev->action, "fuzz-stop") == 0 ? 7 : 0;
}

static int feed_chunked(struct rg_event_parser *p, const uint8_t *data, size_t size, uint64_t seed,
                        size_t max_line) {
  size_t off = 0;
  int rc = RG_OK;
  while (off < size) {
    size_t want = (size_t)(fuzz_next(&seed) % 7 == 0 ? 1 : fuzz_next(&seed) % 97 + 1);
    size_t n = size - off < want ? size - off : want;
    char err[RG_ERRBUF] = "";
    rc = rg_event_parser_feed(p, (const char *)data + off, n, err);
    FUZZ_CHECK(rg_event_parser_buffered(p) <= max_line);
    if (rc) {
      FUZZ_CHECK(err[0] != '\0');
      /* stopped: every later feed returns the same code */
      FUZZ_CHECK(rg_event_parser_feed(p, "{}\n", 3, err) == rc);
      return rc;
    }
    off += n;
  }
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t seed = fuzz_hash(data, size);
  size_t max_line = seed & 1 ? 4096 : 512;
  struct run whole = {0}, parts = {0};
  struct rg_event_parser *p1 = NULL, *p2 = NULL;
  FUZZ_CHECK(rg_event_parser_new(&p1, max_line, on_event, &whole) == RG_OK);
  FUZZ_CHECK(rg_event_parser_new(&p2, max_line, on_event, &parts) == RG_OK);

  char err[RG_ERRBUF] = "";
  int rc1 = rg_event_parser_feed(p1, (const char *)data, size, err);
  FUZZ_CHECK(rg_event_parser_buffered(p1) <= max_line);
  int rc2 = feed_chunked(p2, data, size, seed, max_line);
  FUZZ_CHECK(rc1 == rc2);
  FUZZ_CHECK(whole.n == parts.n && whole.h == parts.h);
  FUZZ_CHECK(rg_event_parser_count(p1) == whole.n);

  /* after a reset the parser starts afresh and behaves the same again */
  rg_event_parser_reset(p2);
  parts = (struct run){0};
  FUZZ_CHECK(rg_event_parser_buffered(p2) == 0 && rg_event_parser_count(p2) == 0);
  FUZZ_CHECK(rg_event_parser_feed(p2, (const char *)data, size, err) == rc1);
  FUZZ_CHECK(parts.n == whole.n && parts.h == whole.h);

  rg_event_parser_free(p1);
  rg_event_parser_free(p2);
  return 0;
}
