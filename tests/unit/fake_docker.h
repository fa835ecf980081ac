/* fake_docker.h - a tiny forked HTTP server on a unix socket or
 * 127.0.0.1/::1 answering canned responses: the test double of Docker's
 * transport for test_client*.c. Canned error bodies are the ones dockerd
 * 20.10 sends. */
#ifndef RG_TESTS_UNIT_FAKE_DOCKER_H
#define RG_TESTS_UNIT_FAKE_DOCKER_H

#include <sys/types.h>

#include "docker/client.h"

struct route {
  const char *target;   /* exact request target ("/v1.41/containers/json") */
  const char *response; /* raw bytes; NULL: never answer */
  size_t len;           /* 0: strlen(response) */
};

struct server {
  pid_t pid;
  char dir[64];
  char sock[100];
  char host[160]; /* the DOCKER_HOST value */
};

#define PING(v) "HTTP/1.1 200 OK\r\nApi-Version: " v "\r\nContent-Length: 2\r\n\r\nOK"
#define JSON(status, body)                                      \
  "HTTP/1.1 " status                                            \
  "\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n" \
  "Content-Length: " #body "\r\n\r\n"
#define NOT_FOUND_BODY "{\"message\":\"page not found\"}\n"

/* A whole response with a Content-Length; the caller frees it. */
char *http(const char *status, const char *ctype, const char *body);

/* Starts a server answering routes (borrowed; they must outlive it), one
 * process per connection; tcp: 0 unix socket, 4 127.0.0.1, 6 ::1. A target
 * without a route gets Docker's 404; a route without a response never
 * answers; a response without Content-Length ends the connection. */
struct server serve(int tcp, const struct route *routes, size_t nroutes);

/* A route whose response is built per request: every target starting with
 * prefix gets what answer() returns for the whole target (malloc()ed raw
 * bytes; an engine's own filtering, for instance). */
struct built_route {
  const char *prefix;
  char *(*answer)(const char *target);
};

/* serve() with one built route, tried after the fixed ones. */
struct server serve_built(int tcp, const struct route *routes, size_t nroutes,
                          const struct built_route *built);
void stop_server(struct server *s);

/* A client of host with 2 s connect and 5 s request timeouts. */
struct rg_docker *open_ok(const char *host);

#endif
