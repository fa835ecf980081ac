/*
 * notify.h - systemd's service notification protocol (sd_notify(3)): one
 * datagram per message ("READY=1", "STATUS=...", "WATCHDOG=1") to the unix
 * socket named by $NOTIFY_SOCKET ("@name" is in the abstract namespace).
 *
 * Written here rather than linked from libsystemd: the protocol is a single
 * sendto() and documented as stable, and the program then needs no systemd
 * library at run time (the image and hosts without systemd stay as they are).
 * Driven by the metrics module (metrics.h): READY=1 after the first sync,
 * STATUS= when the summary changes, WATCHDOG=1 at half $WATCHDOG_USEC while
 * the event loop turns.
 */
#ifndef RG_REGISTRATOR_NOTIFY_H
#define RG_REGISTRATOR_NOTIFY_H

#include <stdint.h>

#include "registrator/common.h"

struct rg_notify;

/* *out gets a notifier for socket_path, or NULL (and RG_OK) when
 * socket_path is NULL or empty: not started by systemd. watchdog_usec is
 * $WATCHDOG_USEC (0: no watchdog); watchdog_pid is $WATCHDOG_PID (0: unset),
 * and a watchdog meant for another process is ignored. RG_EINVAL for a path
 * that does not fit a sockaddr_un. Free with rg_notify_free (NULL is fine),
 * which sends STOPPING=1. */
int rg_notify_new(struct rg_notify **out, const char *socket_path, long long watchdog_usec,
                  long watchdog_pid, char *err);
void rg_notify_free(struct rg_notify *n);

/* Sends one message; RG_EIO when the datagram could not be sent (systemd
 * gone: harmless, nothing retries). n NULL: RG_OK, nothing sent. */
int rg_notify_send(struct rg_notify *n, const char *msg);

/* Milliseconds between WATCHDOG=1 (half of $WATCHDOG_USEC), 0: none. */
int64_t rg_notify_watchdog_ms(const struct rg_notify *n);

#endif
