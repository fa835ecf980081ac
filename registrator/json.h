/*
 * json.h - the one guard for JSON that comes from outside the process:
 * Docker's answers and events, registry answers (etcd, Consul), values
 * other hosts wrote (SkyDNS), container labels. Part of the base layer:
 * docker/ and adapters/ may include it (README "Security and limits", hostile input).
 *
 * yajl's tree parser and yajl_tree_free() recurse once per nesting level,
 * so a document nested a few hundred thousand levels deep overflows the
 * stack. Every outside document goes through rg_json_check() (size, NUL
 * bytes, nesting; no allocation, no recursion) before a parser sees it.
 */
#ifndef RG_REGISTRATOR_JSON_H
#define RG_REGISTRATOR_JSON_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "registrator/common.h"

/* The nesting limit of every outside document (a registry answer nests
 * under 10; Docker's inspect under 10). */
#define RG_JSON_DEPTH_MAX 64
/* The size limit of one small document: a value, a label, an error body. */
#define RG_JSON_SMALL_MAX ((size_t)64 << 10)

/* RG_OK when text (n bytes) is at most max_bytes long, holds no NUL byte
 * and nests objects and arrays at most max_depth deep (strings are skipped;
 * malformed JSON is left to the parser). Otherwise RG_ETOOBIG or RG_EPROTO
 * with "<source>: <why>" in err. */
int rg_json_check(const char *text, size_t n, size_t max_bytes, int max_depth, const char *source,
                  char *err);

/* rg_json_check(), then yajl_tree_parse() into *out (free it with
 * yajl_tree_free). text[n] must be '\0'. Not JSON: RG_EPROTO with
 * "<source>: not JSON: <yajl's reason>"; RG_ENOMEM. */
int rg_json_tree(yajl_val *out, const char *text, size_t n, size_t max_bytes, int max_depth,
                 const char *source, char *err);

/* Writing: a generator that refuses strings that are not UTF-8 (NULL when
 * out of memory), the code of a yajl_gen status (invalid string: RG_EINVAL,
 * other failures: RG_ENOMEM), and the finish that appends the document to
 * out when rc is RG_OK and frees g either way (returns rc, or the append's
 * code). */
yajl_gen rg_json_gen_new(void);
int rg_json_gen_rc(yajl_gen_status st);
int rg_json_gen_finish(yajl_gen g, int rc, struct rg_buf *out);

#endif /* RG_REGISTRATOR_JSON_H */
