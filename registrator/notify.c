/* notify.c - see notify.h. */
#include "registrator/notify.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct rg_notify {
  int fd;
  struct sockaddr_un addr;
  socklen_t addrlen;
  int64_t watchdog_ms;
};

int rg_notify_new(struct rg_notify **out, const char *socket_path, long long watchdog_usec,
                  long watchdog_pid, char *err) {
  *out = NULL;
  if (socket_path == NULL || socket_path[0] == '\0') return RG_OK;
  size_t len = strlen(socket_path);
  struct rg_notify *n = calloc(1, sizeof *n);
  if (n == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  n->fd = -1;
  if ((socket_path[0] != '/' && socket_path[0] != '@') || len >= sizeof n->addr.sun_path) {
    free(n);
    return rg_err(err, RG_EINVAL, "NOTIFY_SOCKET: want an absolute path or @name of fewer than %zu bytes",
                  sizeof n->addr.sun_path);
  }
  n->addr.sun_family = AF_UNIX;
  memcpy(n->addr.sun_path, socket_path, len);
  if (socket_path[0] == '@') n->addr.sun_path[0] = '\0'; /* abstract: no terminating NUL */
  n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (socket_path[0] == '/'));
  n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (n->fd < 0) {
    free(n);
    return rg_err(err, RG_EIO, "NOTIFY_SOCKET: cannot create a socket");
  }
  if (watchdog_usec > 0 && (watchdog_pid == 0 || watchdog_pid == (long)getpid())) {
    n->watchdog_ms = watchdog_usec / 2000;
    if (n->watchdog_ms < 1) n->watchdog_ms = 1;
  }
  *out = n;
  return RG_OK;
}

void rg_notify_free(struct rg_notify *n) {
  if (n == NULL) return;
  rg_notify_send(n, "STOPPING=1");
  close(n->fd);
  free(n);
}

int rg_notify_send(struct rg_notify *n, const char *msg) {
  if (n == NULL) return RG_OK;
  ssize_t sent = sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
                        (const struct sockaddr *)&n->addr, n->addrlen);
  return sent == (ssize_t)strlen(msg) ? RG_OK : RG_EIO;
}

int64_t rg_notify_watchdog_ms(const struct rg_notify *n) { return n ? n->watchdog_ms : 0; }
