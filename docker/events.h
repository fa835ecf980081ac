/*
 * events.h - Docker's event stream (docker/events.c).
 *
 * Two layers:
 *  - rg_event_parser: an incremental parser of the body of GET /events
 *    (one JSON object per '\n'-terminated line, arriving in arbitrary
 *    chunks). No I/O; feed it bytes, it calls back once per event.
 *  - rg_docker_stream: a CURL easy handle for GET /v<api>/events whose
 *    write callback feeds a parser. The caller may add it to its own curl
 *    multi handle (the daemon loop) or run it with rg_docker_events_run().
 *
 * Any end of a stream (clean end, connection closed, parse error) means:
 * drop it, reset the parser, resync from a fresh list, reconnect.
 */
#ifndef RG_DOCKER_EVENTS_H
#define RG_DOCKER_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "docker/client.h"
#include "registrator/common.h"

/* One event. Every field is borrowed and valid only during the callback;
 * strings are never NULL ("" when absent). */
struct rg_event {
  const char *type;                   /* Type: "container", "network", ... */
  const char *action;                 /* Action (else status): "start", "die",
                                         "health_status: healthy", "exec_start: sh -c true";
                                         Podman's "remove" and "died" read as Docker's
                                         "destroy" and "die" (README "Engines") */
  const char *id;                     /* Actor.ID, falling back to the top-level "id" */
  const char *name;                   /* Actor.Attributes.name (no leading '/') */
  const char *image;                  /* Actor.Attributes.image, falling back to "from" */
  int exit_code;                      /* a die's Attributes.exitCode, else Podman's
                                         containerExitCode; -1 when absent or not a die */
  int64_t time_nano;                  /* timeNano, else time * 1e9, else 0 */
  const struct rg_kvlist *attributes; /* Actor.Attributes (labels, name,
                                         image, exitCode, signal, ...) */
};

/* Called once per event. Returning non-zero stops the parser: feed()
 * returns that value (use a negative RG_E* code such as RG_ESTOPPED, or
 * any positive value of your own). */
typedef int (*rg_event_fn)(void *ud, const struct rg_event *ev);

struct rg_event_parser;

#define RG_EVENT_MAX_LINE ((size_t)1 << 20) /* a sane default for max_line */

/* Creates a parser; *out gets a malloc()ed parser the caller frees with
 * rg_event_parser_free(). max_line (> 0) bounds one line (without its
 * '\n'): the parser never buffers more. fn is called for each event with ud. */
int rg_event_parser_new(struct rg_event_parser **out, size_t max_line, rg_event_fn fn, void *ud);

/* Feeds len bytes of the stream. Complete lines are parsed and delivered
 * in order; a partial line is kept for the next call. Blank lines are
 * skipped, "\r\n" is accepted, and so is a line that starts with RFC 7464's
 * record separator (0x1E; application/json-seq, API 1.52). Returns RG_OK,
 * RG_ETOOBIG (a line longer than max_line), RG_EPROTO (malformed JSON or
 * wrong types; err quotes a short prefix of the line), RG_ENOMEM, or the
 * callback's non-zero value.
 * After any non-zero return the parser is stopped: every later feed
 * returns the same code until rg_event_parser_reset(). */
int rg_event_parser_feed(struct rg_event_parser *p, const char *data, size_t len, char *err);

/* Drops any partial line and the stopped state (for a new connection). */
void rg_event_parser_reset(struct rg_event_parser *p);

/* Frees p; accepts NULL. */
void rg_event_parser_free(struct rg_event_parser *p);

/* The filter of every stream: container events the registrator acts on.
 * Podman matches the event filter against its own names before its
 * Docker-compatible API renames them, so its "died" and "remove" are asked
 * for beside Docker's "die" and "destroy" (an engine ignores a name it
 * does not have). */
#define RG_DOCKER_EVENTS_FILTER                                                       \
  "{\"type\":[\"container\"],\"event\":[\"start\",\"die\",\"died\",\"pause\"," \
  "\"unpause\",\"health_status\",\"destroy\",\"remove\",\"rename\",\"create\"]}"

/* The same plus swarm service events (create, update, remove; README
 * "Swarm mode"), for an engine in a swarm. A container's `update` (docker
 * update) also passes and is ignored. */
#define RG_DOCKER_EVENTS_FILTER_SWARM                                         \
  "{\"type\":[\"container\",\"service\"],\"event\":[\"start\",\"die\"," \
  "\"pause\",\"unpause\",\"health_status\",\"destroy\",\"rename\",\"create\"," \
  "\"update\",\"remove\"]}"

struct rg_docker_stream;

/* Builds (does not start) GET /v<api>/events?filters=<RG_DOCKER_EVENTS_FILTER>
 * [&since=<since>] on a new easy handle with a connect timeout and no total
 * timeout; its write callback feeds p. Pings d first when the version is
 * not negotiated yet (blocking, bounded by d's timeouts). since is Docker's
 * "<sec>[.<nsec>]" or NULL. d and p are borrowed and must outlive the
 * stream. *out gets a malloc()ed stream the caller frees with
 * rg_docker_stream_free(). Reset p before reusing it on a new stream. */
int rg_docker_events_open(struct rg_docker *d, const char *since, struct rg_event_parser *p,
                          struct rg_docker_stream **out, char *err);

/* rg_docker_events_open with another filter (a JSON object as Docker's
 * `filters` parameter takes it; borrowed for the call). */
int rg_docker_events_open_filter(struct rg_docker *d, const char *filter, const char *since,
                                 struct rg_event_parser *p, struct rg_docker_stream **out,
                                 char *err);

/* The stream's easy handle, to add to the caller's multi handle. Borrowed:
 * remove it from the multi handle before rg_docker_stream_free(). */
CURL *rg_docker_stream_handle(struct rg_docker_stream *s);

/* Given the CURLcode that curl_multi_info_read() (or curl_easy_perform())
 * reported for the stream, explains why it ended. Always non-zero:
 * RG_ECONNECT (Docker unreachable), RG_EIO (the stream ended or broke),
 * RG_EPROTO / RG_ETOOBIG (bad event or bad HTTP answer), RG_ENOTFOUND /
 * RG_EAUTH (HTTP error), or the event callback's non-zero value. err gets
 * "Docker event stream at <endpoint> ended: ...". */
int rg_docker_stream_result(struct rg_docker_stream *s, CURLcode rc, char *err);

/* Frees s and its easy handle; accepts NULL. */
void rg_docker_stream_free(struct rg_docker_stream *s);

#endif /* RG_DOCKER_EVENTS_H */
