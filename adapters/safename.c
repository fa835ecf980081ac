/* safename.c - see safename.h. Owned by the adapters. */
#include "adapters/safename.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  unsigned v = c & (0xffu >> (len + 1));
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    v = v << 6 | (p[i] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  return len;
}

int rg_safename_check(const char *s, const char **why) {
  const char *dummy;
  if (why == NULL) why = &dummy;
  if (s == NULL || *s == '\0') return *why = "is empty", RG_EINVAL;
  size_t n = strlen(s);
  if (n > RG_SEGMENT_MAX) return *why = "is longer than 512 bytes", RG_EINVAL;
  if (strstr(s, "..") != NULL) return *why = "contains \"..\"", RG_EINVAL;
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    if (p[i] == '/') return *why = "contains '/'", RG_EINVAL;
    if (p[i] < 0x20 || p[i] == 0x7f) return *why = "contains a control character", RG_EINVAL;
    size_t l = utf8_len(p + i, n - i);
    if (l == 0) return *why = "is not valid UTF-8", RG_EINVAL;
    i += l;
  }
  if (strcmp(s, ".") == 0) return *why = "is \".\"", RG_EINVAL;
  if (s[0] == '.') return *why = "starts with '.' (a hidden key segment)", RG_EINVAL;
  return RG_OK;
}

char *rg_safename_printable(const char *s, char *out, size_t size) {
  static const char hex[] = "0123456789abcdef";
  size_t j = 0;
  if (size == 0) return out;
  for (const unsigned char *p = (const unsigned char *)(s ? s : "(null)"); *p && j + 5 < size; p++) {
    if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
      out[j++] = (char)*p;
    } else {
      out[j++] = '\\';
      out[j++] = 'x';
      out[j++] = hex[*p >> 4];
      out[j++] = hex[*p & 15];
    }
  }
  out[j] = '\0';
  return out;
}

int rg_safename_check_service(const struct rg_service *s, char *err) {
  char id[128], cname[96], bad[96];
  const char *why = NULL, *what = NULL, *value = NULL;
  if (rg_safename_check(s->id, &why) != RG_OK) what = "ID", value = s->id;
  else if (rg_safename_check(s->name, &why) != RG_OK) what = "name", value = s->name;
  if (what == NULL && (s->port < 1 || s->port > 65535)) {
    return rg_err(err, RG_EINVAL, "service %s (container %s): port %d is out of range",
                  rg_safename_printable(s->id, id, sizeof id),
                  rg_safename_printable(s->container_name, cname, sizeof cname), s->port);
  }
  if (what == NULL) return RG_OK;
  return rg_err(err, RG_EINVAL, "service %s (container %s) rejected: its %s \"%s\" %s",
                rg_safename_printable(s->id, id, sizeof id),
                rg_safename_printable(s->container_name, cname, sizeof cname), what,
                rg_safename_printable(value, bad, sizeof bad), why);
}
