/*
 * uri.c - registry URI parsing (see adapter.h): scheme://h1:p1,h2:p2/path?k=v
 *
 * Owned by the adapters. Accepted forms:
 *   etcd://127.0.0.1:2379,[::1]:2379/services?cacert=%2Fetc%2Fca.pem
 *   consul-unix:///var/run/consul.sock     (no host, path only)
 * The scheme is lower-cased; hosts keep their "[v6]:port" spelling; the path
 * and the query are percent-decoded. Errors name the offending part.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/adapter.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) into a malloc()ed string (*out). Rejects bad
 * escapes and control characters (which includes a decoded NUL). */
static int decode(const char *s, size_t n, char **out, const char *what, char *err) {
  char *d = malloc(n + 1);
  if (d == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%') {
      int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
      int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        free(d);
        return rg_err(err, RG_EINVAL, "invalid percent escape in the URI %s", what);
      }
      c = (unsigned char)(hi * 16 + lo);
      i += 2;
    }
    if (c < 0x20 || c == 0x7f) {
      free(d);
      return rg_err(err, RG_EINVAL, "control character in the URI %s", what);
    }
    d[j++] = (char)c;
  }
  d[j] = '\0';
  *out = d;
  return RG_OK;
}

static int check_port(const char *p, size_t n, const char *host, char *err) {
  char buf[8];
  long v;
  if (n == 0 || n >= sizeof buf) return rg_err(err, RG_EINVAL, "invalid port in URI host \"%s\"", host);
  memcpy(buf, p, n);
  buf[n] = '\0';
  if (rg_parse_long(buf, 1, 65535, &v) != RG_OK || !isdigit((unsigned char)buf[0]))
    return rg_err(err, RG_EINVAL, "invalid port \"%s\" in URI host \"%s\" (1-65535)", buf, host);
  return RG_OK;
}

/* One element of the host list: name, name:port, [v6] or [v6]:port. */
static int check_host(const char *h, char *err) {
  size_t n = strlen(h);
  if (n == 0) return rg_err(err, RG_EINVAL, "empty host in the URI host list");
  if (h[0] == '[') {
    const char *close = strchr(h, ']');
    if (close == NULL) return rg_err(err, RG_EINVAL, "unterminated IPv6 literal in URI host \"%s\"", h);
    if (close == h + 1) return rg_err(err, RG_EINVAL, "empty IPv6 literal in URI host \"%s\"", h);
    for (const char *p = h + 1; p < close; p++)
      if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
        return rg_err(err, RG_EINVAL, "invalid character in IPv6 literal of URI host \"%s\"", h);
    if (close[1] == '\0') return RG_OK;
    if (close[1] != ':') return rg_err(err, RG_EINVAL, "unexpected text after ']' in URI host \"%s\"", h);
    return check_port(close + 2, strlen(close + 2), h, err);
  }
  const char *colon = strchr(h, ':');
  size_t hn = colon ? (size_t)(colon - h) : n;
  if (colon && strchr(colon + 1, ':') != NULL)
    return rg_err(err, RG_EINVAL, "URI host \"%s\": IPv6 addresses must be in brackets ([::1]:2379)", h);
  if (hn == 0) return rg_err(err, RG_EINVAL, "missing host name in URI host \"%s\"", h);
  for (size_t i = 0; i < hn; i++) {
    unsigned char c = (unsigned char)h[i];
    if (!isalnum(c) && c != '.' && c != '-' && c != '_')
      return rg_err(err, RG_EINVAL, "invalid character in URI host \"%.*s\"", (int)hn, h);
  }
  if (colon == NULL) return RG_OK;
  return check_port(colon + 1, strlen(colon + 1), h, err);
}

static int parse_hosts(const char *s, size_t n, struct rg_uri *out, char *err) {
  if (n == 0) return RG_OK;
  const char *end = s + n;
  while (s <= end) {
    const char *comma = memchr(s, ',', (size_t)(end - s));
    const char *e = comma ? comma : end;
    char *h = rg_strndup(s, (size_t)(e - s));
    if (h == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
    int rc = check_host(h, err);
    if (rc == RG_OK && rg_strlist_add(&out->hosts, h) != RG_OK) rc = rg_err(err, RG_ENOMEM, "out of memory");
    free(h);
    if (rc) return rc;
    if (comma == NULL) break;
    s = comma + 1;
  }
  return RG_OK;
}

static int parse_query(const char *q, struct rg_uri *out, char *err) {
  while (*q) {
    size_t n = strcspn(q, "&");
    if (n > 0) {
      const char *eq = memchr(q, '=', n);
      size_t kn = eq ? (size_t)(eq - q) : n;
      char *k = NULL, *v = NULL;
      int rc = decode(q, kn, &k, "query key", err);
      if (rc == RG_OK && k[0] == '\0') rc = rg_err(err, RG_EINVAL, "empty key in the URI query");
      if (rc == RG_OK)
        rc = eq ? decode(eq + 1, n - kn - 1, &v, "query value", err) : ((v = rg_strdup("")) ? RG_OK : RG_ENOMEM);
      if (rc == RG_OK && rg_kvlist_add(&out->query, k, v) != RG_OK) rc = RG_ENOMEM;
      if (rc == RG_ENOMEM) rg_err(err, rc, "out of memory");
      free(k);
      free(v);
      if (rc) return rc;
    }
    q += n;
    if (*q == '&') q++;
  }
  return RG_OK;
}

int rg_uri_parse(const char *s, struct rg_uri *out, char *err) {
  if (s == NULL || *s == '\0') return rg_err(err, RG_EINVAL, "empty registry URI");
  const char *sep = strstr(s, "://");
  if (sep == NULL || sep == s)
    return rg_err(err, RG_EINVAL, "the registry URI has no scheme (expected scheme://host/path)");
  size_t sn = (size_t)(sep - s);
  for (size_t i = 0; i < sn; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!(isalpha(c) || (i > 0 && (isdigit(c) || c == '+' || c == '-' || c == '.'))))
      return rg_err(err, RG_EINVAL, "invalid scheme \"%.*s\" in registry URI", (int)sn, s);
  }
  if ((out->scheme = rg_strndup(s, sn)) == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  for (char *p = out->scheme; *p; p++) *p = (char)tolower((unsigned char)*p);

  const char *auth = sep + 3;
  size_t an = strcspn(auth, "/?#");
  if (memchr(auth, '@', an) != NULL) /* never echo them: they may hold a password */
    return rg_err(err, RG_EINVAL,
                  "credentials in the registry URI are not supported (use the username/password settings)");
  int rc = parse_hosts(auth, an, out, err);
  if (rc) return rc;
  const char *rest = auth + an;
  if (strchr(rest, '#') != NULL) return rg_err(err, RG_EINVAL, "fragments (#...) are not allowed in a registry URI");
  size_t pn = strcspn(rest, "?");
  if ((rc = decode(rest, pn, &out->path, "path", err)) != RG_OK) return rc;
  if (rest[pn] == '?') return parse_query(rest + pn + 1, out, err);
  return RG_OK;
}

void rg_uri_free(struct rg_uri *u) {
  if (u == NULL) return;
  free(u->scheme);
  free(u->path);
  rg_strlist_free(&u->hosts);
  rg_kvlist_free(&u->query);
  memset(u, 0, sizeof *u);
}
