/* jsonprune.c - see jsonprune.h.
 *
 * yajl's callbacks drive a stack of the containers being filled. Every kept
 * node is attached to its parent as soon as it is made, so that the tree
 * under the root is always whole and one rg_json_free() undoes a parse that
 * stops half-way. A skipped value only moves a counter: inside it, nothing
 * is copied or allocated. */
#include "docker/jsonprune.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* The keep list, split: segment s of pattern p is seg[p][s] (seglen bytes). */
struct patterns {
  const char *seg[RG_JSON_MAX_PATTERNS][RG_JSON_MAX_SEGMENTS];
  size_t seglen[RG_JSON_MAX_PATTERNS][RG_JSON_MAX_SEGMENTS];
  int nseg[RG_JSON_MAX_PATTERNS];
  int n;
};

/* Which children of a container are built: all (whole), or the members
 * whose key is segment `level` of a pattern in `active` (one bit each). */
_Static_assert(RG_JSON_MAX_PATTERNS <= 32, "one bit of a uint32_t a pattern");
struct filter {
  bool whole;
  uint32_t active;
  int level;
};

struct frame {
  yajl_val v;         /* the object or array being filled, already attached */
  size_t cap;         /* room in its keys/values arrays */
  struct filter f;    /* for its members or elements */
  char *key;          /* object: the kept key waiting for its value (owned) */
  struct filter next; /* object: the filter of that value */
  bool skip_next;     /* object: the value of the last key is skipped */
};

struct builder {
  const struct patterns *pat;
  struct filter rootf;
  yajl_val root;
  struct frame stack[RG_JSON_MAX_DEPTH];
  int top;        /* frames in use */
  size_t skip;    /* > 0: inside a skipped container, this deep */
  int rc;         /* why a callback stopped the parse (RG_OK: it did not) */
  const char *why;
};

/* ---- the keep list ---- */

static int split_patterns(const char *const *keep, struct patterns *pat, char *err) {
  for (pat->n = 0; keep[pat->n] != NULL; pat->n++) {
    if (pat->n == RG_JSON_MAX_PATTERNS)
      return rg_err(err, RG_EINVAL, "json: more than %d keep patterns", RG_JSON_MAX_PATTERNS);
    const char *s = keep[pat->n];
    int k = 0;
    for (;;) {
      size_t len = strcspn(s, "/");
      if (len == 0 || k == RG_JSON_MAX_SEGMENTS)
        return rg_err(err, RG_EINVAL, "json: bad keep pattern \"%.64s\"", keep[pat->n]);
      pat->seg[pat->n][k] = s;
      pat->seglen[pat->n][k++] = len;
      if (s[len] == '\0') break;
      s += len + 1;
    }
    pat->nseg[pat->n] = k;
  }
  return RG_OK;
}

static int lowest_bit(uint32_t x) {
#if defined(__GNUC__)
  return __builtin_ctz(x);
#else
  int i = 0;
  for (; !(x & 1); x >>= 1) i++;
  return i;
#endif
}

/* The filter for the value of member `key` of an object filtered by f;
 * false when the member is skipped. The key is matched as a C string, the
 * way readers of the tree see it ("a\u0000b" is "a" to strcmp). */
static bool member_filter(const struct patterns *pat, const struct filter *f,
                          const unsigned char *key, size_t len, struct filter *next) {
  if (f->whole) {
    *next = *f;
    return true;
  }
  uint32_t matched = 0;
  for (uint32_t left = f->active; left != 0; left &= left - 1) {
    int p = lowest_bit(left);
    const char *seg = pat->seg[p][f->level];
    size_t n = pat->seglen[p][f->level];
    bool star = n == 1 && seg[0] == '*';
    if (!star && (len < n || (len > n && key[n] != '\0') || memcmp(seg, key, n) != 0)) continue;
    if (f->level + 1 == pat->nseg[p]) {
      *next = (struct filter){.whole = true};
      return true;
    }
    matched |= UINT32_C(1) << p;
  }
  *next = (struct filter){.active = matched, .level = f->level + 1};
  return matched != 0;
}

/* ---- nodes ---- */

static yajl_val new_node(yajl_type type) {
  yajl_val v = calloc(1, sizeof *v);
  if (v != NULL) v->type = type;
  return v;
}

static char *copy_text(const void *s, size_t len) {
  char *t = malloc(len + 1);
  if (t == NULL) return NULL;
  memcpy(t, s, len);
  t[len] = '\0';
  return t;
}

/* A string node (or a number node without its values) holding a copy of s;
 * NULL when out of memory. */
static yajl_val text_node(yajl_type type, const void *s, size_t len) {
  yajl_val v = new_node(type);
  char *t = v ? copy_text(s, len) : NULL;
  if (t == NULL) {
    free(v);
    return NULL;
  }
  if (type == yajl_t_number)
    v->u.number.r = t;
  else
    v->u.string = t;
  return v;
}

/* i, d and the flags from u.number.r, as yajl_tree sets them: i is valid
 * when the text is a decimal integer that fits in long long (else it is
 * LLONG_MAX, or LLONG_MIN for a '-'), d when strtod() reads all of the text
 * without a range error. */
static void number_values(yajl_val v) {
  const char *r = v->u.number.r;
  bool neg = r[0] == '-', ok = true;
  long long i = 0;
  for (const char *p = r + neg; ok && *p != '\0'; p++) {
    int digit = *p - '0';
    ok = digit >= 0 && digit <= 9 && i <= (LLONG_MAX - digit) / 10;
    if (ok) i = i * 10 + digit;
  }
  v->u.number.flags = 0;
  v->u.number.i = ok ? (neg ? -i : i) : (neg ? LLONG_MIN : LLONG_MAX);
  if (ok) v->u.number.flags |= YAJL_NUMBER_INT_VALID;
  int saved = errno;
  char *end = NULL;
  errno = 0;
  v->u.number.d = strtod(r, &end);
  if (errno == 0 && end != NULL && *end == '\0') v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
  errno = saved;
}

/* ---- building ---- */

static int stop(struct builder *b, int rc, const char *why) {
  b->rc = rc;
  b->why = why;
  return 0; /* yajl: cancel the parse */
}

/* The filter of the value that starts now; false when it is skipped. */
static bool value_start(struct builder *b, struct filter *f) {
  if (b->skip > 0) return false;
  if (b->top == 0) {
    *f = b->rootf;
    return true;
  }
  struct frame *fr = &b->stack[b->top - 1];
  if (YAJL_IS_ARRAY(fr->v)) {
    *f = fr->f; /* transparent */
    return true;
  }
  if (fr->skip_next) {
    fr->skip_next = false;
    return false;
  }
  *f = fr->next;
  return true;
}

static int grow(struct frame *fr) {
  yajl_val c = fr->v;
  size_t cap = fr->cap ? fr->cap * 2 : 4;
  if (YAJL_IS_OBJECT(c)) {
    const char **keys = realloc((void *)c->u.object.keys, cap * sizeof *keys);
    if (keys == NULL) return RG_ENOMEM;
    c->u.object.keys = keys;
    yajl_val *values = realloc(c->u.object.values, cap * sizeof *values);
    if (values == NULL) return RG_ENOMEM;
    c->u.object.values = values;
  } else {
    yajl_val *values = realloc(c->u.array.values, cap * sizeof *values);
    if (values == NULL) return RG_ENOMEM;
    c->u.array.values = values;
  }
  fr->cap = cap;
  return RG_OK;
}

/* Adds the new node v (NULL: out of memory) to the container on top, with
 * the pending key when that is an object, or makes it the root. Returns
 * yajl's 1 (go on) or 0; v is freed on failure. */
static int attach(struct builder *b, yajl_val v) {
  if (v == NULL) return stop(b, RG_ENOMEM, "out of memory");
  if (b->top == 0) {
    if (b->root != NULL) { /* yajl refuses a second value first; be sure */
      rg_json_free(v);
      return stop(b, RG_EPROTO, "parse error: trailing garbage");
    }
    b->root = v;
    return 1;
  }
  struct frame *fr = &b->stack[b->top - 1];
  yajl_val c = fr->v;
  size_t len = YAJL_IS_OBJECT(c) ? c->u.object.len : c->u.array.len;
  if (len == fr->cap && grow(fr) != RG_OK) {
    rg_json_free(v);
    return stop(b, RG_ENOMEM, "out of memory");
  }
  if (YAJL_IS_OBJECT(c)) {
    c->u.object.keys[len] = fr->key;
    c->u.object.values[len] = v;
    c->u.object.len++;
    fr->key = NULL;
  } else {
    c->u.array.values[len] = v;
    c->u.array.len++;
  }
  return 1;
}

static int on_null(void *ud) {
  struct filter f;
  return value_start(ud, &f) ? attach(ud, new_node(yajl_t_null)) : 1;
}

static int on_boolean(void *ud, int value) {
  struct filter f;
  return value_start(ud, &f) ? attach(ud, new_node(value ? yajl_t_true : yajl_t_false)) : 1;
}

static int on_string(void *ud, const unsigned char *s, size_t len) {
  struct filter f;
  return value_start(ud, &f) ? attach(ud, text_node(yajl_t_string, s, len)) : 1;
}

static int on_number(void *ud, const char *s, size_t len) {
  struct filter f;
  if (!value_start(ud, &f)) return 1;
  yajl_val v = text_node(yajl_t_number, s, len);
  if (v != NULL) number_values(v);
  return attach(ud, v);
}

static int on_start(struct builder *b, yajl_type type) {
  struct filter f;
  if (!value_start(b, &f)) {
    b->skip++;
    return 1;
  }
  if (b->top == RG_JSON_MAX_DEPTH)
    return stop(b, RG_EPROTO, "JSON nested deeper than " STR(RG_JSON_MAX_DEPTH) " levels");
  yajl_val v = new_node(type);
  if (!attach(b, v)) return 0;
  b->stack[b->top++] = (struct frame){.v = v, .f = f};
  return 1;
}

static int on_start_map(void *ud) { return on_start(ud, yajl_t_object); }

static int on_start_array(void *ud) { return on_start(ud, yajl_t_array); }

static int on_end(void *ud) {
  struct builder *b = ud;
  if (b->skip > 0)
    b->skip--;
  else if (b->top > 0)
    b->top--;
  return 1;
}

static int on_map_key(void *ud, const unsigned char *key, size_t len) {
  struct builder *b = ud;
  if (b->skip > 0 || b->top == 0) return 1;
  struct frame *fr = &b->stack[b->top - 1];
  if (fr->key != NULL) { /* only if yajl sent two keys in a row */
    free(fr->key);
    fr->key = NULL;
  }
  if (!member_filter(b->pat, &fr->f, key, len, &fr->next)) {
    fr->skip_next = true;
    return 1;
  }
  fr->key = copy_text(key, len);
  return fr->key ? 1 : stop(b, RG_ENOMEM, "out of memory");
}

/* ---- public ---- */

/* err = yajl's message for the failed parse, its first line only (the
 * others quote the input). */
static int yajl_message(yajl_handle h, const char *text, size_t len, char *err) {
  unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)text, len);
  const char *s = msg ? (const char *)msg : "parse error";
  rg_err(err, RG_EPROTO, "%.*s", (int)strcspn(s, "\r\n"), s);
  if (msg) yajl_free_error(h, msg);
  return RG_EPROTO;
}

int rg_json_parse(const char *text, size_t len, const char *const *keep, yajl_val *out,
                  char *err) {
  static const yajl_callbacks callbacks = {
      .yajl_null = on_null,
      .yajl_boolean = on_boolean,
      .yajl_number = on_number,
      .yajl_string = on_string,
      .yajl_start_map = on_start_map,
      .yajl_map_key = on_map_key,
      .yajl_end_map = on_end,
      .yajl_start_array = on_start_array,
      .yajl_end_array = on_end,
  };
  if (out != NULL) *out = NULL;
  if (out == NULL || (text == NULL && len > 0)) return rg_err(err, RG_EINVAL, "json: no input");
  struct patterns pat;
  struct builder b = {.pat = &pat, .rootf = {.whole = true}};
  if (keep != NULL) {
    int rc = split_patterns(keep, &pat, err);
    if (rc) return rc;
    uint32_t all = pat.n == 32 ? UINT32_MAX : (UINT32_C(1) << pat.n) - 1; /* n <= 32 */
    b.rootf = (struct filter){.active = all};
  }
  yajl_handle h = yajl_alloc(&callbacks, NULL, &b);
  if (h == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  yajl_config(h, yajl_allow_comments, 1);
  yajl_status st = yajl_parse(h, (const unsigned char *)(text ? text : ""), len);
  if (st == yajl_status_ok) st = yajl_complete_parse(h);
  int rc = RG_OK;
  if (b.rc != RG_OK)
    rc = rg_err(err, b.rc, "%s", b.why);
  else if (st != yajl_status_ok)
    rc = yajl_message(h, text, len, err);
  else if (b.root == NULL)
    rc = rg_err(err, RG_EPROTO, "parse error: no value");
  yajl_free(h);
  for (int i = 0; i < b.top; i++) free(b.stack[i].key);
  if (rc) {
    rg_json_free(b.root);
    return rc;
  }
  *out = b.root;
  return RG_OK;
}

void rg_json_free(yajl_val v) {
  if (v == NULL) return;
  switch (v->type) {
  case yajl_t_string:
    free(v->u.string);
    break;
  case yajl_t_number:
    free(v->u.number.r);
    break;
  case yajl_t_object:
    for (size_t i = 0; i < v->u.object.len; i++) {
      free((char *)v->u.object.keys[i]);
      rg_json_free(v->u.object.values[i]);
    }
    free((void *)v->u.object.keys);
    free(v->u.object.values);
    break;
  case yajl_t_array:
    for (size_t i = 0; i < v->u.array.len; i++) rg_json_free(v->u.array.values[i]);
    free(v->u.array.values);
    break;
  default:
    break;
  }
  free(v);
}
