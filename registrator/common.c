/* common.c - see common.h. */
#include "registrator/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rg_strerror(int code) {
  switch (code) {
#define RG_ERROR_CASE(name, value, desc) \
  case (value):                          \
    return (desc);
    RG_ERRORS(RG_ERROR_CASE)
#undef RG_ERROR_CASE
  }
  return "unknown error";
}

const char *rg_log_level_name(enum rg_log_level level) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  return (unsigned)level < RG_ARRAY_LEN(names) ? names[level] : "?";
}

RG_PRINTF(4, 0)
static void vlog(const struct rg_log *log, enum rg_log_level level, const struct rg_log_fields *f,
                 const char *fmt, va_list ap) {
  char line[1024];
  vsnprintf(line, sizeof line, fmt, ap);
  /* labels and names end up in messages: one line, no terminal escapes */
  for (char *p = line; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
  if (log->fields_fn) log->fields_fn(log->userdata, level, f, line);
  else log->fn(log->userdata, level, line);
}

void rg_log(const struct rg_log *log, enum rg_log_level level, const char *fmt, ...) {
  if (log == NULL || (log->fn == NULL && log->fields_fn == NULL) || level < log->min) return;
  va_list ap;
  va_start(ap, fmt);
  vlog(log, level, NULL, fmt, ap);
  va_end(ap);
}

void rg_log_ctx(const struct rg_log *log, enum rg_log_level level, const struct rg_log_fields *f,
                const char *fmt, ...) {
  if (log == NULL || (log->fn == NULL && log->fields_fn == NULL) || level < log->min) return;
  va_list ap;
  va_start(ap, fmt);
  vlog(log, level, f, fmt, ap);
  va_end(ap);
}

int rg_err(char *err, int code, const char *fmt, ...) {
  if (err != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, RG_ERRBUF, fmt, ap);
    va_end(ap);
  }
  return code;
}

static int buf_reserve(struct rg_buf *b, size_t extra) {
  if (b->max && (b->len + extra > b->max || b->len + extra < b->len)) return RG_ETOOBIG;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return RG_OK;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  char *p = realloc(b->data, cap);
  if (p == NULL) return RG_ENOMEM;
  b->data = p;
  b->cap = cap;
  return RG_OK;
}

int rg_buf_append(struct rg_buf *b, const void *data, size_t len) {
  int rc = buf_reserve(b, len);
  if (rc) return rc;
  if (len) memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return RG_OK;
}

int rg_buf_printf(struct rg_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return RG_EINVAL;
  int rc = buf_reserve(b, (size_t)n);
  if (rc) return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return RG_OK;
}

void rg_buf_reset(struct rg_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

void rg_buf_free(struct rg_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *rg_strdup(const char *s) { return s ? rg_strndup(s, strlen(s)) : NULL; }

void rg_wipe(void *p, size_t n) {
  if (p && n) explicit_bzero(p, n);
}

char *rg_strndup(const char *s, size_t n) {
  if (s == NULL) return NULL;
  char *p = malloc(n + 1);
  if (p == NULL) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

int rg_kvlist_add(struct rg_kvlist *l, const char *key, const char *value) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    struct rg_kv *p = realloc(l->items, cap * sizeof *p);
    if (p == NULL) return RG_ENOMEM;
    l->items = p;
    l->cap = cap;
  }
  char *k = rg_strdup(key), *v = rg_strdup(value ? value : "");
  if (k == NULL || v == NULL) {
    free(k);
    free(v);
    return RG_ENOMEM;
  }
  l->items[l->n].key = k;
  l->items[l->n].value = v;
  l->n++;
  return RG_OK;
}

int rg_kvlist_set(struct rg_kvlist *l, const char *key, const char *value) {
  for (size_t i = 0; i < l->n; i++) {
    if (strcmp(l->items[i].key, key) == 0) {
      char *v = rg_strdup(value ? value : "");
      if (v == NULL) return RG_ENOMEM;
      free(l->items[i].value);
      l->items[i].value = v;
      return RG_OK;
    }
  }
  return rg_kvlist_add(l, key, value);
}

const char *rg_kvlist_get(const struct rg_kvlist *l, const char *key) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].key, key) == 0) return l->items[i].value;
  return NULL;
}

void rg_kvlist_free(struct rg_kvlist *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].key);
    free(l->items[i].value);
  }
  free(l->items);
  l->items = NULL;
  l->n = l->cap = 0;
}

int rg_strlist_add(struct rg_strlist *l, const char *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    char **p = realloc(l->items, cap * sizeof *p);
    if (p == NULL) return RG_ENOMEM;
    l->items = p;
    l->cap = cap;
  }
  char *c = rg_strdup(s);
  if (c == NULL) return RG_ENOMEM;
  l->items[l->n++] = c;
  return RG_OK;
}

bool rg_strlist_contains(const struct rg_strlist *l, const char *s) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i], s) == 0) return true;
  return false;
}

void rg_strlist_free(struct rg_strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = l->cap = 0;
}

int rg_parse_long(const char *s, long min, long max, long *out) {
  if (s == NULL || *s == '\0') return RG_EINVAL;
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return RG_EINVAL;
  *out = v;
  return RG_OK;
}

int rg_parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; s && i < RG_ARRAY_LEN(yes); i++) {
    if (strcmp(s, yes[i]) == 0) return *out = true, RG_OK;
    if (strcmp(s, no[i]) == 0) return *out = false, RG_OK;
  }
  return RG_EINVAL;
}
