/*
 * internal.h - what the files of docker/ share among themselves (client.c,
 * events.c, batch.c, inspect.c, swarm.c) and what the tests reach in with. Not for
 * other modules: the core includes docker/client.h, docker/events.h and
 * docker/container.h only.
 */
#ifndef RG_DOCKER_INTERNAL_H
#define RG_DOCKER_INTERNAL_H

#include <curl/curl.h>

#include "docker/client.h"
#include "docker/events.h"

/* Numeric comparison of API versions "MAJOR.MINOR": <0, 0 or >0 as a is
 * older than, equal to or newer than b ("1.9" < "1.41"). A string that is
 * not a version compares as older than every version. */
int rg_docker_version_cmp(const char *a, const char *b);

/* Prepares the fresh easy handle h for GET <versioned path> on d:
 * URL, unix socket, connect timeout, no proxy, no signals. Negotiates the
 * version first when needed. Sets no total timeout and no callbacks. */
int rg_docker_setup_easy(struct rg_docker *d, CURL *h, const char *path, char *err);

/* Total timeout of the short requests (ms), for handles set up elsewhere. */
long rg_docker_request_timeout(const struct rg_docker *d);

/* Makes h abandon its transfer when the cancel flag of d turns non-zero. */
void rg_docker_watch_cancel(struct rg_docker *d, CURL *h);

/* Maps a failed transfer (rc != CURLE_OK) of h to a code and a message:
 * RG_ECONNECT when Docker could not be reached, else RG_EIO. */
int rg_docker_transfer_error(struct rg_docker *d, CURL *h, CURLcode rc, const char *what,
                             const char *curl_err, char *err);

/* The two halves of rg_docker_inspect: path gets the unversioned
 * "/containers/<id>/json" and what the "inspect container <id>" used in
 * messages; the answer half parses a 200 body into *out. */
int rg_docker_inspect_request(struct rg_docker *d, const char *id, struct rg_buf *path, char *what,
                              size_t whatsize, char *err);
int rg_docker_inspect_answer(const struct rg_docker *d, const char *what, const char *body,
                             size_t len, struct rg_container **out, char *err);

/* GET /v<version><path> (negotiating first when needed): a 200 answer's
 * body into *body (zeroed by the caller; malloc()ed, NUL-terminated, the
 * caller frees it with rg_buf_free), at most max bytes (RG_ETOOBIG).
 * Another status is rg_docker_http_error()'s code and message; *status
 * tells which (0 when nothing answered). what names the request in
 * messages. Transport errors as the other calls. (swarm.c) */
int rg_docker_get(struct rg_docker *d, const char *path, size_t max, const char *what,
                  struct rg_buf *body, long *status, char *err);

/* The `Swarm` header of the last successful ping ("active/manager",
 * "inactive", ...), or "" when the engine sent none (before Docker 23).
 * Borrowed, valid until the next ping. (swarm.c reads it.) */
const char *rg_docker_swarm_status(const struct rg_docker *d);

/* Maps an HTTP error response of h's request to a code and a message in err:
 * "Docker at <endpoint>: <what>: <Docker's message> (HTTP <status>)".
 * The message is the body's JSON "message" when the body is JSON, the text
 * of an HTML body without its tags (a proxy's error page), else the
 * trimmed, truncated plain text. 404 -> RG_ENOTFOUND (so is Podman's 500
 * with "cause":"no such container", its answer for a container removed
 * meanwhile); 401/403 -> RG_EAUTH, naming the request that was refused
 * ("<what>: GET /v1.41/events refused: ..."), as a socket proxy's allow
 * list does; anything else -> RG_EPROTO. body need not be NUL-terminated;
 * h may be NULL (the path is then "?"). */
int rg_docker_http_error(const struct rg_docker *d, CURL *h, long status, const char *body,
                         size_t len, const char *what, char *err);

/* Copies at most max bytes of src (n bytes) into dst (dstsize bytes) for
 * quoting in a message: whitespace runs become one space, other control
 * bytes '?', leading/trailing space trimmed, "..." appended when cut. */
void rg_docker_quote(char *dst, size_t dstsize, const char *src, size_t n, size_t max);

/* ---- for tests ---- */

/* Bytes of an incomplete line held now (<= max_line). */
size_t rg_event_parser_buffered(const struct rg_event_parser *p);

/* Events delivered since creation or the last reset. */
size_t rg_event_parser_count(const struct rg_event_parser *p);

/* Opens a stream and runs it to its end (blocking), returning what
 * rg_docker_stream_result() says. To stop it, return non-zero from the
 * parser's callback (that value is returned). For tests and simple tools. */
int rg_docker_events_run(struct rg_docker *d, const char *since, struct rg_event_parser *p,
                         char *err);

#endif /* RG_DOCKER_INTERNAL_H */
