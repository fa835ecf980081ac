/*
 * jsonread.h - the border guard and small typed readers shared by the
 * parsers of Docker's documents (inspect.c, swarm.c). docker/jsonread.c.
 *
 * Every message starts with the document's name ("inspect", "services")
 * and names the member by its dotted path ("Config.Env[3]").
 */
#ifndef RG_DOCKER_JSONREAD_H
#define RG_DOCKER_JSONREAD_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "registrator/common.h"

/* The guard before a tree is built of an outside document: rg_json_check()
 * (registrator/json.h: at most max_body bytes, no NUL byte, nesting no
 * deeper than max_depth), valid JSON; then the members named by keep
 * (docker/jsonprune.h) are built into *root, which the caller frees with
 * rg_json_free(). doc names the document in messages. */
int rg_json_read_doc(const char *json, size_t len, size_t max_body, int max_depth,
                     const char *const *keep, const char *doc, yajl_val *root, char *err);

/* The member key of obj, or NULL when obj is not an object, or the member
 * is absent or JSON null. Borrowed from obj. */
yajl_val rg_json_member(yajl_val obj, const char *key);

/* Appends an array of "K=V" strings (Config.Env) to env, split at the first
 * '=' (an item without one gets value ""). v NULL adds nothing. At most
 * max_items items of at most max_entry bytes each (RG_ETOOBIG); a value that
 * is not an array of strings is RG_EPROTO. */
int rg_json_read_env(yajl_val v, const char *doc, const char *path, size_t max_items,
                     size_t max_entry, struct rg_kvlist *env, char *err);

/* Appends an object of string values (Config.Labels) to labels in document
 * order. v NULL adds nothing. Limits as rg_json_read_env (key + value count
 * against max_entry). */
int rg_json_read_labels(yajl_val v, const char *doc, const char *path, size_t max_items,
                        size_t max_entry, struct rg_kvlist *labels, char *err);

#endif /* RG_DOCKER_JSONREAD_H */
