/*
 * metadata.h - the SERVICE_* metadata of a container, resolved for one
 * exposed port, and the small string rules around services (tag lists,
 * image names). Pure: no I/O. Used by the model (model.c).
 */
#ifndef RG_REGISTRATOR_METADATA_H
#define RG_REGISTRATOR_METADATA_H

#include <stdbool.h>

#include "docker/container.h"
#include "registrator/common.h"

/* The metadata that applies to one exposed port. */
struct rg_meta {
  struct rg_kvlist kv;         /* lower-case key without "SERVICE_" -> value */
  struct rg_strlist from_port; /* keys whose value came from SERVICE_<port>_<KEY> */
};

/* Resolves the SERVICE_* keys of c for the exposed port `port` ("80"; NULL:
 * global keys only) into a zeroed *out:
 *  - Config.Env is read first, then Config.Labels: a label beats an env var
 *    with the same key; within one source the later item wins.
 *  - Only keys that start with upper-case "SERVICE_" and have a non-empty
 *    value count; the rest of the key is lower-cased. An empty rest
 *    ("SERVICE_", "SERVICE_80_") is ignored.
 *  - "SERVICE_<digits>_<KEY>" applies only when <digits> is exactly port
 *    (string compare, as registrator), and beats the global <key>.
 *    "SERVICE_<digits>" alone is a global key named <digits> (as registrator).
 * RG_ENOMEM leaves *out empty. Free with rg_meta_free(). */
int rg_meta_collect(const struct rg_container *c, const char *port, struct rg_meta *out);

/* The value of key, or NULL when absent. Borrowed from m. */
const char *rg_meta_get(const struct rg_meta *m, const char *key);
/* True when key's value came from a per-port key. */
bool rg_meta_from_port(const struct rg_meta *m, const char *key);
void rg_meta_free(struct rg_meta *m); /* back to empty; accepts a zeroed one */

/* Appends the tags of a comma list to tags: "\," is a literal comma (any
 * other backslash is kept), each tag is trimmed of spaces and tabs, empty
 * tags are dropped, and a tag already in the list is not added again (the
 * first occurrence keeps its place). list NULL adds nothing. RG_ENOMEM. */
int rg_tags_append(struct rg_strlist *tags, const char *list);

/* The service name of an image reference: the last path segment without
 * registry host:port, tag or digest ("reg.example:5000/team/foo:1.0" ->
 * "foo", "foo@sha256:.." -> "foo"). malloc()ed, the caller frees; NULL on
 * allocation failure; "" for an empty reference. */
char *rg_image_base_name(const char *image);

#endif /* RG_REGISTRATOR_METADATA_H */
