/*
 * safename.h - the one check every adapter runs before a service's name or
 * ID becomes part of a registry key, so that no key can leave its prefix.
 * Owned by the adapters.
 */
#ifndef RG_ADAPTERS_SAFENAME_H
#define RG_ADAPTERS_SAFENAME_H

#include <stdbool.h>
#include <stddef.h>

#include "registrator/service.h"

#define RG_SEGMENT_MAX 512 /* bytes, for a name or an ID used as a key segment */

/* RG_OK when s can be used as one key segment: non-empty, at most
 * RG_SEGMENT_MAX bytes, valid UTF-8, no control characters, no '/', no
 * "..". Otherwise RG_EINVAL and *why (static string) says what is wrong. */
int rg_safename_check(const char *s, const char **why);

/* Checks s->name and s->id with rg_safename_check and the port range.
 * RG_EINVAL with err naming the service ID and container (both escaped to
 * printable ASCII, so a hostile name cannot forge log lines). */
int rg_safename_check_service(const struct rg_service *s, char *err);

/* Writes a printable, truncated copy of s into out[size]: bytes outside
 * 0x20-0x7e become "\xNN". Returns out. */
char *rg_safename_printable(const char *s, char *out, size_t size);

#endif /* RG_ADAPTERS_SAFENAME_H */
