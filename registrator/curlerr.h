/*
 * curlerr.h - the one classification of libcurl transfer failures, shared
 * by the Docker client, its event stream, the batch inspector
 * (docker/) and the registry HTTP client (adapters/http.c). Part of the
 * base layer: docker/ and adapters/ may include it.
 */
#ifndef RG_REGISTRATOR_CURLERR_H
#define RG_REGISTRATOR_CURLERR_H

#include <curl/curl.h>
#include <stdbool.h>

enum rg_net_failure {
  RG_NET_UNREACHABLE, /* no connection: refused, no such socket, unresolved, connect timed out */
  RG_NET_TIMEOUT,     /* connected, then the request timed out */
  RG_NET_TLS,         /* handshake, certificate or key problems */
  RG_NET_PROTOCOL,    /* connected, then a broken or cut answer */
};

struct rg_net_error {
  enum rg_net_failure kind;
  int code;         /* RG_ECONNECT when unreachable, else RG_EIO */
  char detail[256]; /* curl's message, or the OS error of a failed connect */
};

/* Classifies a failed transfer of h (cc is not CURLE_OK, nor an abort by a
 * callback, which the caller reports itself); curl_err is h's
 * CURLOPT_ERRORBUFFER or NULL. On a unix socket a failed connect is told by
 * its OS error ("No such file or directory"), which curl's text hides. */
void rg_curl_classify(CURL *h, CURLcode cc, const char *curl_err, bool unix_socket, struct rg_net_error *out);

/* How often a blocking transfer looks at its cancel flag. */
#define RG_CURL_CANCEL_POLL_MS 100

/* curl_easy_perform(c), but when cancel is given the transfer runs on
 * *waiter (a multi handle made on first use, the caller's to clean up after
 * c) polled every RG_CURL_CANCEL_POLL_MS, and a non-zero *cancel ends it
 * with CURLE_ABORTED_BY_CALLBACK. libcurl calls a progress callback only
 * about once a second while the server sends nothing, so a stop would
 * otherwise wait that long on a hung peer (README "Lifecycle": SIGTERM stops
 * within a second). The multi handle keeps the connection for the next
 * transfer, as the easy handle does. */
CURLcode rg_curl_perform(CURLM **waiter, CURL *c, const volatile int *cancel);

/* "unreachable", "timed out", "TLS error", "protocol error". */
const char *rg_net_failure_name(enum rg_net_failure kind);

#endif /* RG_REGISTRATOR_CURLERR_H */
