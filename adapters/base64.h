/*
 * base64.h - standard base64 (RFC 4648, with padding), as the etcd v3 JSON
 * gateway uses for keys and values. Owned by the adapters.
 */
#ifndef RG_ADAPTERS_BASE64_H
#define RG_ADAPTERS_BASE64_H

#include <stddef.h>

#include "registrator/common.h"

/* Appends the encoding of data[0..len) to out. RG_ENOMEM / RG_ETOOBIG. */
int rg_base64_encode(const void *data, size_t len, struct rg_buf *out);

/* Appends the decoding of s[0..len) to out (NUL-terminated by rg_buf).
 * Strict: padding required, no whitespace. RG_EINVAL on bad input. */
int rg_base64_decode(const char *s, size_t len, struct rg_buf *out);

#endif /* RG_ADAPTERS_BASE64_H */
