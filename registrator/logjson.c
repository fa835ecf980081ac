/* logjson.c - see logjson.h. */
#include "registrator/logjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "registrator/registry.h"

/* key: value; a value that is not UTF-8 goes out with every byte above
 * 0x7f as '?' (a line a shipper cannot parse would be lost whole). */
static void put(yajl_gen g, const char *key, const char *value) {
  if (value == NULL) return;
  yajl_gen_string(g, (const unsigned char *)key, strlen(key));
  size_t n = strlen(value);
  if (yajl_gen_string(g, (const unsigned char *)value, n) == yajl_gen_status_ok) return;
  char ascii[1024];
  if (n >= sizeof ascii) n = sizeof ascii - 1;
  for (size_t i = 0; i < n; i++) ascii[i] = (unsigned char)value[i] > 0x7f ? '?' : value[i];
  yajl_gen_string(g, (const unsigned char *)ascii, n);
}

int rg_log_json(struct rg_buf *out, const struct timespec *ts, enum rg_log_level level,
                const struct rg_log_fields *f, const char *msg) {
  char stamp[64] = "", when[32] = "";
  struct tm tm;
  if (gmtime_r(&ts->tv_sec, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(stamp, sizeof stamp, "%s.%03dZ", when, (int)(ts->tv_nsec / 1000000L % 1000));
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_config(g, yajl_gen_validate_utf8, 1);
  yajl_gen_map_open(g);
  put(g, "ts", stamp);
  put(g, "level", rg_log_level_name(level));
  put(g, "msg", msg);
  if (f) {
    put(g, "container", f->container);
    put(g, "service", f->service);
    char *registry = f->registry ? rg_uri_label(f->registry) : NULL; /* never a credential */
    put(g, "registry", registry);
    free(registry);
  }
  yajl_gen_map_close(g);
  const unsigned char *buf;
  size_t len;
  int rc = yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok ? rg_buf_append(out, buf, len) : RG_ENOMEM;
  yajl_gen_free(g);
  return rc;
}
