/*
 * client.h - a small client of the Docker Engine API (docker/client.c).
 *
 * One struct rg_docker per daemon: it parses DOCKER_HOST, keeps one reusable
 * CURL easy handle (keep-alive) for short requests, negotiates the API
 * version on the first call and afterwards calls versioned paths only
 * (/v1.41/...). Every error names the endpoint ("unix:///var/run/docker.sock")
 * and, where relevant, the container. Not thread-safe: one thread per handle.
 *
 * The event stream, which runs on its own easy handle, is in events.h.
 */
#ifndef RG_DOCKER_CLIENT_H
#define RG_DOCKER_CLIENT_H

#include <stddef.h>


#include "docker/container.h"
#include "registrator/common.h"

/* The newest API version we speak; negotiation picks min(server, this).
 * 1.52 is Docker 29's, which refuses versions older than 1.44. What we read
 * is the same from 1.24 to 1.52: inspect's Id, Name, State, Config (Image,
 * Hostname, Env, Labels, ExposedPorts), HostConfig (NetworkMode,
 * PortBindings), NetworkSettings (Ports, Networks; the top-level IPAddress
 * only as a fallback), the list's Id, and the events' Type, Action, Actor
 * and timeNano (1.52 dropped the old status/id/from, read only as a
 * fallback). */
#define RG_DOCKER_API_VERSION "1.52"
/* The oldest API accepted: 1.24 (Docker 1.12) is the first with health
 * checks, and events there already carry Type/Action/Actor. */
#define RG_DOCKER_API_MIN "1.24"
/* Assumed when /_ping has no Api-Version header (as Docker's own client does). */
#define RG_DOCKER_API_FALLBACK "1.24"

#define RG_DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"
#define RG_DOCKER_CONNECT_TIMEOUT_MS 5000L
#define RG_DOCKER_REQUEST_TIMEOUT_MS 30000L
#define RG_DOCKER_INSPECT_MAX ((size_t)4 << 20) /* bytes of one inspect body */
#define RG_DOCKER_LIST_MAX ((size_t)64 << 20)   /* bytes of one list body */

struct rg_docker;

/* Opens a client for docker_host, the DOCKER_HOST value as given (the
 * library never reads the environment): NULL or "" means
 * unix:///var/run/docker.sock; "unix:///path" (path <= 107 bytes);
 * "tcp://host[:port]" (port 2375 by default; "tcp://[::1]:2375" for IPv6).
 * Anything else is RG_EINVAL naming the value. No I/O happens here.
 * *out gets a handle the caller frees with rg_docker_close(). log may be
 * NULL; it is borrowed and must outlive the handle. */
int rg_docker_open(struct rg_docker **out, const char *docker_host, const struct rg_log *log,
                   char *err);

/* Frees d; accepts NULL. Streams opened on d must be freed first. */
void rg_docker_close(struct rg_docker *d);

/* Connect and total timeouts of the short requests, in milliseconds
 * (values <= 0 keep the current one). The event stream uses only the
 * connect timeout. */
void rg_docker_set_timeouts(struct rg_docker *d, long connect_ms, long request_ms);

/* A flag watched during requests: when it turns non-zero the request in
 * flight is abandoned with RG_ESTOPPED (so a hung dockerd cannot delay a
 * stop). Borrowed; NULL to stop watching. */
void rg_docker_set_cancel(struct rg_docker *d, const volatile int *cancel);

/* The endpoint for messages, e.g. "unix:///var/run/docker.sock" or
 * "tcp://127.0.0.1:2375". Borrowed, valid until rg_docker_close(). */
const char *rg_docker_endpoint(const struct rg_docker *d);

/* The negotiated API version ("1.41" with Docker 20.10), or "" before a successful ping.
 * Borrowed, valid until rg_docker_close(). */
const char *rg_docker_api_version(const struct rg_docker *d);

/* GET /_ping: reads the Api-Version header and negotiates
 * min(server, RG_DOCKER_API_VERSION). RG_EUNSUPPORTED when the server is
 * older than RG_DOCKER_API_MIN, RG_ECONNECT when Docker is unreachable.
 * The other calls ping by themselves when not yet negotiated. */
int rg_docker_ping(struct rg_docker *d, char *err);

/* GET /containers/json (running containers only): appends the full id of
 * each to ids (which the caller owns and frees). On error, ids may hold
 * some of the ids. */
int rg_docker_list_running(struct rg_docker *d, struct rg_strlist *ids, char *err);

/* GET /containers/{id}/json parsed by rg_container_parse(). *out gets a
 * malloc()ed container the caller frees with rg_container_free(), or
 * NULL on error. A missing container is RG_ENOTFOUND with Docker's
 * message ("No such container: x"). */
int rg_docker_inspect(struct rg_docker *d, const char *id, struct rg_container **out, char *err);

/* Called by rg_docker_inspect_many for each id, in the order of ids: rc is
 * what rg_docker_inspect would have returned for it, c the container (the
 * callee owns it and frees it with rg_container_free) or NULL, err the
 * message when rc != RG_OK. */
typedef void rg_docker_inspect_fn(void *ud, size_t i, int rc, struct rg_container *c,
                                  const char *err);

/* Inspects ids[0..n) over up to `parallel` connections at once (1: one
 * after the other), delivering each result to done() in the order of ids
 * (at most 2 x parallel results are held meanwhile). Per-container errors go
 * to done(); the return value is RG_OK, or the error that stopped the batch
 * (RG_ESTOPPED when cancelled, RG_ENOMEM, or the version negotiation's
 * error), after which the ids not yet delivered are not. (docker/batch.c) */
int rg_docker_inspect_many(struct rg_docker *d, char *const *ids, size_t n, int parallel,
                           rg_docker_inspect_fn *done, void *ud, char *err);

#endif /* RG_DOCKER_CLIENT_H */
