/*
 * common.h - small internal helpers shared by every folder: error text,
 * logging through a sink, bounded buffers, key/value lists, strict number
 * parsing. docker/ and adapters/ may include this header, registrator.h
 * and the other base headers (registrator/json.h), nothing else of the core.
 */
#ifndef RG_REGISTRATOR_COMMON_H
#define RG_REGISTRATOR_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registrator/registrator.h"

#if defined(__GNUC__)
#define RG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RG_PRINTF(f, a)
#endif

#define RG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Where log lines go. A zeroed struct (or a NULL pointer) drops them. */
struct rg_log {
  rg_log_fn fn;
  void *userdata;
  enum rg_log_level min; /* lines below this level are dropped */
  rg_log_fields_fn fields_fn; /* when set, it gets every line instead of fn */
};

/* Formats one line (at most 1023 bytes) and hands it to the sink; control
 * characters (a newline in a hostile label) become '?'. */
void rg_log(const struct rg_log *log, enum rg_log_level level, const char *fmt, ...) RG_PRINTF(3, 4);
/* rg_log with what the line is about (f may be NULL), for structured sinks. */
void rg_log_ctx(const struct rg_log *log, enum rg_log_level level, const struct rg_log_fields *f,
                const char *fmt, ...) RG_PRINTF(4, 5);

/* Formats into err (RG_ERRBUF bytes) when err is not NULL; returns code so
 * that callers can write `return rg_err(err, RG_EINVAL, "...")`. */
int rg_err(char *err, int code, const char *fmt, ...) RG_PRINTF(3, 4);

/* A growable byte buffer with a hard cap. data is always NUL-terminated
 * when non-NULL. A zeroed struct is an empty buffer with no cap. */
struct rg_buf {
  char *data;
  size_t len;
  size_t cap;
  size_t max; /* 0: unlimited */
};

/* RG_ETOOBIG when the result would exceed max, RG_ENOMEM on allocation. */
int rg_buf_append(struct rg_buf *b, const void *data, size_t len);
int rg_buf_printf(struct rg_buf *b, const char *fmt, ...) RG_PRINTF(2, 3);
void rg_buf_reset(struct rg_buf *b); /* len = 0, memory kept */
void rg_buf_free(struct rg_buf *b);  /* back to a zeroed buffer, max kept */

/* malloc()ed copies the caller frees; NULL in -> NULL out. */
char *rg_strdup(const char *s);
char *rg_strndup(const char *s, size_t n);
/* Overwrites n bytes of a secret with zeros in a way the compiler may not
 * drop as a dead store (explicit_bzero). The one wipe for every secret. */
void rg_wipe(void *p, size_t n);

/* An ordered list of owned key/value strings. A zeroed struct is empty. */
struct rg_kv {
  char *key;
  char *value;
};
struct rg_kvlist {
  struct rg_kv *items;
  size_t n;
  size_t cap;
};

int rg_kvlist_add(struct rg_kvlist *l, const char *key, const char *value);
/* Replaces the value of key when present, else appends. */
int rg_kvlist_set(struct rg_kvlist *l, const char *key, const char *value);
/* The value of the first item with key, or NULL. Borrowed. */
const char *rg_kvlist_get(const struct rg_kvlist *l, const char *key);
void rg_kvlist_free(struct rg_kvlist *l);

/* A list of owned strings. */
struct rg_strlist {
  char **items;
  size_t n;
  size_t cap;
};
int rg_strlist_add(struct rg_strlist *l, const char *s);
bool rg_strlist_contains(const struct rg_strlist *l, const char *s);
void rg_strlist_free(struct rg_strlist *l);

/* The one boolean parser, for flags, the config file, the environment, URI
 * options and labels (README "Usage", booleans): the words of Go's
 * strconv.ParseBool, which gliderlabs/registrator read labels with:
 * 1 t T TRUE true True, 0 f F FALSE false False. RG_EINVAL for anything
 * else (NULL included), *out untouched. */
int rg_parse_bool(const char *s, bool *out);

/* Strict decimal parse of all of s into [min, max]. RG_EINVAL otherwise. */
int rg_parse_long(const char *s, long min, long max, long *out);

#endif /* RG_REGISTRATOR_COMMON_H */
