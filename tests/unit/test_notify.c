/* systemd's notification protocol (registrator/notify.c), driven by the
 * metrics module, against a NOTIFY_SOCKET listener of the test's own. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "registrator/metrics.h"
#include "registrator/notify.h"
#include "tests/unit/rg_test.h"

RG_SUITE(notify);

struct listener {
  int fd;
  char path[108];
};

/* A datagram socket at path ("@name": abstract), reads time out after 2 s. */
static void listen_at(struct listener *l, const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  size_t n = strlen(path);
  snprintf(l->path, sizeof l->path, "%s", path);
  memcpy(a.sun_path, path, n);
  if (path[0] == '@') a.sun_path[0] = '\0';
  else unlink(path);
  l->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  cr_assert(l->fd >= 0);
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
  cr_assert_eq(bind(l->fd, (struct sockaddr *)&a, len), 0, "bind %s", path);
  struct timeval tv = {2, 0};
  setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static void listener_close(struct listener *l) {
  close(l->fd);
  if (l->path[0] == '/') unlink(l->path);
}

/* The next datagram, "" on timeout. */
static const char *next_msg(struct listener *l) {
  static char buf[512];
  ssize_t n = recv(l->fd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

static bool nothing_pending(struct listener *l) {
  char b[64];
  return recv(l->fd, b, sizeof b, MSG_DONTWAIT) < 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static struct rg_metrics *metrics_with(const char *path, long long wd_usec, long wd_pid) {
  struct rg_metrics *m = NULL;
  struct rg_notify *n = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_metrics_new(&m, "t", err), RG_OK);
  cr_assert_eq(rg_notify_new(&n, path, wd_usec, wd_pid, err), RG_OK, "%s", err);
  cr_assert_not_null(n);
  rg_metrics_set_notify(m, n);
  return m;
}

Test(notify, ready_after_the_first_sync_with_a_status_line_then_stopping) {
  char path[108];
  snprintf(path, sizeof path, "/tmp/h15-notify-%d.sock", (int)getpid());
  struct listener l;
  listen_at(&l, path);
  struct rg_metrics *m = metrics_with(path, 0, 0);
  rg_metrics_registry_state(rg_metrics_registry_open(m, "etcd://x"), true, 2, 0, true);
  rg_metrics_stream(m, true);
  rg_metrics_heartbeat(m); /* no watchdog: only the first STATUS= */
  cr_assert_str_eq(next_msg(&l), "STATUS=2 service(s) in 1/1 registry up; docker stream up");
  rg_metrics_heartbeat(m);
  cr_assert(nothing_pending(&l), "a heartbeat within the second sent again");
  rg_metrics_first_sync(m);
  cr_assert_str_eq(next_msg(&l), "STATUS=2 service(s) in 1/1 registry up; docker stream up");
  cr_assert_str_eq(next_msg(&l), "READY=1");
  rg_metrics_first_sync(m); /* once */
  cr_assert(nothing_pending(&l));
  rg_metrics_stream(m, false);
  sleep_ms(1050);
  rg_metrics_heartbeat(m);
  cr_assert_str_eq(next_msg(&l), "STATUS=2 service(s) in 1/1 registry up; docker stream down");
  rg_metrics_free(m);
  cr_assert_str_eq(next_msg(&l), "STOPPING=1");
  listener_close(&l);
}

Test(notify, watchdog_at_half_the_interval_only_while_the_loop_turns) {
  char path[108];
  snprintf(path, sizeof path, "@h15-notify-wd-%d", (int)getpid());
  struct listener l;
  listen_at(&l, path);
  struct rg_metrics *m = metrics_with(path, 200000, (long)getpid()); /* 200 ms: WATCHDOG=1 every 100 */
  cr_assert_eq(rg_metrics_poll_timeout(m, 1000), 0); /* due now */
  rg_metrics_heartbeat(m);
  cr_assert_str_eq(next_msg(&l), "WATCHDOG=1");
  long t = rg_metrics_poll_timeout(m, 1000); /* the loop must turn in time for the next one */
  cr_assert(t > 50 && t <= 100, "poll timeout %ld ms with WATCHDOG=1 due in 100", t);
  cr_assert_eq(rg_metrics_poll_timeout(NULL, 1000), 1000);
  cr_assert_str_eq(next_msg(&l), "STATUS=0 service(s) in 0/0 registries up; docker stream down");
  int seen = 0;
  for (int i = 0; i < 50; i++) { /* 500 ms of loop turns every 10 ms: about 5 */
    rg_metrics_heartbeat(m);
    sleep_ms(10);
  }
  while (!nothing_pending(&l)) seen++;
  cr_assert(seen >= 3 && seen <= 6, "%d WATCHDOG=1 in 500 ms at a 100 ms interval", seen);
  sleep_ms(400); /* a stalled loop: no heartbeat, no WATCHDOG=1 */
  cr_assert(nothing_pending(&l), "WATCHDOG=1 sent while the loop did not turn");
  rg_metrics_free(m);
  listener_close(&l);
}

Test(notify, a_watchdog_for_another_pid_or_no_socket_is_ignored) {
  struct rg_notify *n = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_notify_new(&n, "/run/x", 1000000, (long)getpid() + 1, err), RG_OK);
  cr_assert_eq(rg_notify_watchdog_ms(n), 0);
  rg_notify_free(n);
  cr_assert_eq(rg_notify_new(&n, "/run/x", 1000000, 0, err), RG_OK);
  cr_assert_eq(rg_notify_watchdog_ms(n), 500);
  rg_notify_free(n);
  cr_assert_eq(rg_notify_new(&n, NULL, 1000000, 0, err), RG_OK);
  cr_assert_null(n);
  cr_assert_eq(rg_notify_new(&n, "relative/path", 0, 0, err), RG_EINVAL);
  cr_assert_null(n);
}
