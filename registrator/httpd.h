/*
 * httpd.h - the -metrics endpoint: /metrics (Prometheus text), /healthz,
 * /readyz over libmicrohttpd (README "Metrics, health and readiness").
 *
 * The server runs on libmicrohttpd's own internal polling thread (one
 * thread, epoll, every connection multiplexed on it), not inside the event
 * loop: the loop blocks in Docker and registry requests (a resync's
 * inspects, a write to a registry that hangs until its timeout), and
 * /healthz must still answer then, saying the loop is stalled, rather than
 * stall with it; nor can a slow or hostile client hold the loop up. The
 * thread only reads the metrics snapshot (metrics.h: atomics and one short
 * mutex), so it needs nothing else from the daemon.
 *
 * Limits: RG_HTTPD_MAX_CONNECTIONS at once (more are refused at accept), a
 * per-connection memory pool of RG_HTTPD_CONN_MEMORY bytes (a larger request
 * head gets 431 and the connection closes), RG_HTTPD_TIMEOUT_S seconds of
 * inactivity before a connection is closed, GET and HEAD only.
 */
#ifndef RG_REGISTRATOR_HTTPD_H
#define RG_REGISTRATOR_HTTPD_H

#include <sys/socket.h>

#include "registrator/metrics.h"

#define RG_HTTPD_MAX_CONNECTIONS 32
#define RG_HTTPD_CONN_MEMORY (16 * 1024)
#define RG_HTTPD_TIMEOUT_S 5
#define RG_HTTPD_MAX_BODY (4 * 1024 * 1024) /* /metrics; many registries stay far below */

struct rg_httpd;

/* Checks and resolves addr: "HOST:PORT" or "[IPV6]:PORT"; HOST is required
 * (0.0.0.0 or [::] bind every address, and only when written so). */
int rg_httpd_parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len, char *err);

/* Binds addr and starts serving m (borrowed: must outlive the server).
 * Errors name the address. Stop with rg_httpd_stop (accepts NULL). */
int rg_httpd_start(struct rg_httpd **out, const char *addr, struct rg_metrics *m, char *err);
void rg_httpd_stop(struct rg_httpd *h);

/* The client side (registrator healthcheck, the image's HEALTHCHECK): GET
 * http://addr/healthz within timeout_ms (0.0.0.0 and [::] are asked on
 * loopback). RG_OK on 200; otherwise err says what answered. Needs
 * curl_global_init. */
int rg_httpd_check(const char *addr, long timeout_ms, char *err);

#endif
