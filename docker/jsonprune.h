/*
 * jsonprune.h - JSON text -> a pruned tree of yajl_tree's shape
 * (docker/jsonprune.c).
 *
 * Docker's documents are large and we read a handful of their members.
 * rg_json_parse() runs yajl's callback parser and builds only the members
 * the caller names; the rest is lexed (so it is still validated) but never
 * allocated. The result is made of plain `yajl_val` nodes, so the readers
 * written for yajl_tree (YAJL_IS_OBJECT, u.object.keys, YAJL_GET_INTEGER,
 * ...) work on it unchanged; it is freed with rg_json_free(), never with
 * yajl_tree_free().
 *
 * Keep patterns: NULL-terminated strings, each a path of object keys
 * separated by '/', e.g. "Config/Labels". A member whose path matches a
 * whole pattern is kept with everything below it. A member whose path is a
 * proper prefix of a pattern ("Config") is kept, and if it is an object only
 * its members that continue a pattern are kept in turn; if it is an array
 * its elements are filtered at the same level (arrays are transparent), and
 * if it is a scalar it is kept as it is. Other members are skipped. A
 * segment "*" matches any key: "NetworkSettings/Networks/x/IPAddress" with
 * x = "*" keeps the IPAddress of every network. The root value is always
 * kept, and so is every element of a kept array (a scalar in a filtered
 * array stays, so that indexes keep their meaning).
 *
 * Same as yajl_tree_parse(): comments are allowed, strings must be valid
 * UTF-8, one value with nothing after it, duplicate keys are all kept in
 * document order, numbers carry u.number.r (the text), i and d with
 * YAJL_NUMBER_INT_VALID / YAJL_NUMBER_DOUBLE_VALID set exactly when yajl
 * sets them.
 */
#ifndef RG_DOCKER_JSONPRUNE_H
#define RG_DOCKER_JSONPRUNE_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "registrator/common.h"

/* Built containers nest at most this deep (skipped values may nest deeper:
 * they cost nothing). Callers check their own, smaller limit first. */
#define RG_JSON_MAX_DEPTH 128
/* At most this many keep patterns, each of at most RG_JSON_MAX_SEGMENTS keys. */
#define RG_JSON_MAX_PATTERNS 32
#define RG_JSON_MAX_SEGMENTS 8

/* Parses len bytes of text (need not be NUL-terminated) into *out, a tree
 * the caller frees with rg_json_free(). keep: the patterns above, or NULL
 * to keep the whole document (what yajl_tree_parse() builds).
 * Errors (*out is NULL, err gets a one-line message without the input):
 * RG_EPROTO for malformed JSON (yajl's message, e.g. "parse error: trailing
 * garbage") or nesting deeper than RG_JSON_MAX_DEPTH, RG_ENOMEM, RG_EINVAL
 * for a bad pattern list. */
int rg_json_parse(const char *text, size_t len, const char *const *keep, yajl_val *out,
                  char *err);

/* Frees a tree of rg_json_parse(); accepts NULL. */
void rg_json_free(yajl_val v);

#endif /* RG_DOCKER_JSONPRUNE_H */
