/*
 * logjson.h - the -log-format json line: one JSON object a line, built with
 * yajl_gen, that log shippers read as it is:
 *   {"ts":"2026-12-01T08:44:44.450Z","level":"info","msg":"...",
 *    "container":"...","service":"...","registry":"..."}
 * The last three only where the line is about one; the registry goes
 * through rg_uri_label (no user:password@, no ?query), so a URI
 * never carries a secret into a log.
 */
#ifndef RG_REGISTRATOR_LOGJSON_H
#define RG_REGISTRATOR_LOGJSON_H

#include <time.h>

#include "registrator/common.h"

/* Appends the object (without a newline) to out. ts: CLOCK_REALTIME. */
int rg_log_json(struct rg_buf *out, const struct timespec *ts, enum rg_log_level level,
                const struct rg_log_fields *f, const char *msg);

#endif
