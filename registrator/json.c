/* json.c - see json.h. */
#include "registrator/json.h"

#include <string.h>

static bool depth_ok(const char *s, size_t n, int max_depth) {
  const char *p = s, *end = s + n;
  int depth = 0;
  while (p < end) {
    char c = *p++;
    if (c == '"') { /* to the next quote not escaped; memchr does the long run */
      for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (q == NULL) return true; /* unterminated: the parser's error */
        size_t bs = 0;
        while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\') bs++;
        p = q + 1;
        if (bs % 2 == 0) break;
      }
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  return true;
}

int rg_json_check(const char *text, size_t n, size_t max_bytes, int max_depth, const char *source,
                  char *err) {
  const char *src = source ? source : "JSON document";
  if (text == NULL) return rg_err(err, RG_EPROTO, "%s: no document", src);
  if (n > max_bytes)
    return rg_err(err, RG_ETOOBIG, "%s: JSON document of %zu bytes exceeds the limit of %zu", src, n,
                  max_bytes);
  if (memchr(text, '\0', n) != NULL) return rg_err(err, RG_EPROTO, "%s: JSON document holds a NUL byte", src);
  if (!depth_ok(text, n, max_depth))
    return rg_err(err, RG_EPROTO, "%s: JSON nested deeper than %d levels", src, max_depth);
  return RG_OK;
}

int rg_json_tree(yajl_val *out, const char *text, size_t n, size_t max_bytes, int max_depth,
                 const char *source, char *err) {
  *out = NULL;
  int rc = rg_json_check(text, n, max_bytes, max_depth, source, err);
  if (rc) return rc;
  char why[128] = "";
  *out = yajl_tree_parse(text, why, sizeof why);
  if (*out != NULL) return RG_OK;
  if (strstr(why, "memory")) return rg_err(err, RG_ENOMEM, "%s: out of memory", source ? source : "JSON");
  why[strcspn(why, "\n")] = '\0';
  return rg_err(err, RG_EPROTO, "%s: not JSON: %s", source ? source : "JSON document",
                why[0] ? why : "parse error");
}

yajl_gen rg_json_gen_new(void) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g) yajl_gen_config(g, yajl_gen_validate_utf8, 1);
  return g;
}

int rg_json_gen_rc(yajl_gen_status st) {
  return st == yajl_gen_status_ok ? RG_OK : st == yajl_gen_invalid_string ? RG_EINVAL : RG_ENOMEM;
}

int rg_json_gen_finish(yajl_gen g, int rc, struct rg_buf *out) {
  const unsigned char *buf;
  size_t len;
  if (rc == RG_OK) rc = rg_json_gen_rc(yajl_gen_get_buf(g, &buf, &len));
  if (rc == RG_OK) rc = rg_buf_append(out, buf, len);
  yajl_gen_free(g);
  return rc;
}
