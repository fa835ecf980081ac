/* base64.c - see base64.h. */
#include "adapters/base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int rg_base64_encode(const void *data, size_t len, struct rg_buf *out) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < len) v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < len) v |= p[i + 2];
    char q[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
                 i + 1 < len ? alphabet[(v >> 6) & 63] : '=', i + 2 < len ? alphabet[v & 63] : '='};
    int rc = rg_buf_append(out, q, 4);
    if (rc) return rc;
  }
  return out->data ? RG_OK : rg_buf_append(out, "", 0);
}

static int value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int rg_base64_decode(const char *s, size_t len, struct rg_buf *out) {
  if (len % 4 != 0) return RG_EINVAL;
  for (size_t i = 0; i < len; i += 4) {
    bool last = i + 4 == len;
    int a = value(s[i]), b = value(s[i + 1]), c = value(s[i + 2]), d = value(s[i + 3]);
    if (a < 0 || b < 0) return RG_EINVAL;
    size_t n = 3;
    if (last && s[i + 3] == '=') {
      n = s[i + 2] == '=' ? 1 : 2;
      if (n == 2 && c < 0) return RG_EINVAL;
      /* unused bits must be zero (canonical encoding) */
      if ((n == 1 && (b & 15)) || (n == 2 && (c & 3))) return RG_EINVAL;
      if (n == 1) c = 0;
      d = 0;
    } else if (c < 0 || d < 0) {
      return RG_EINVAL;
    }
    unsigned v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 | (unsigned)d;
    unsigned char q[3] = {(unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    int rc = rg_buf_append(out, q, n);
    if (rc) return rc;
  }
  return out->data ? RG_OK : rg_buf_append(out, "", 0);
}
