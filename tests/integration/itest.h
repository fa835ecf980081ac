/* itest.h - helpers for the integration tests (real dockerd, real etcd).
 *
 * Tests drive the registrator binary named by $RG_BIN (default
 * build/registrator) and the docker CLI. Every test names the containers it
 * creates with it_name() and removes them itself; waits use deadlines. */
#ifndef RG_TESTS_ITEST_H
#define RG_TESTS_ITEST_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>

/* Runs `sh -c CMD` and returns its stdout as a malloc()ed string (never
 * NULL); *status gets the exit status (or -1) when status is not NULL.
 * stderr goes to the test's stderr unless the command redirects it. */
char *it_sh(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like it_sh but fails the test when the command exits non-zero. */
char *it_sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The binary under test: $RG_BIN or build/registrator. */
const char *it_bin(void);

/* A name unique to this process and call: "<prefix>-<pid>-<n>". Static
 * storage of 8 slots, rotating; copy it if you keep more than 8. */
const char *it_name(const char *prefix);

/* Polls cond(ud) every 20 ms until it is true or `seconds` pass. */
bool it_wait(double seconds, bool (*cond)(void *ud), void *ud);

/* Removes the named containers (force), ignoring ones already gone. */
void it_docker_rm(const char *names);

/* Starts `exec CMD` through sh in the background, stdout and stderr
 * appended to log_path; returns the pid (of CMD itself, thanks to exec). */
long it_spawn(const char *log_path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Waits up to `seconds` for a process started by it_spawn to exit and reaps
 * it. Returns its exit status, 128+N when killed by signal N, or -1 when it
 * is still running at the deadline. */
int it_wait_exit(long pid, double seconds);

/* ---- a registrator daemon under test, against etcd v3 ---- */

#define IT_ETCD "127.0.0.1:2379"
#define IT_IMG "local/busybox"

struct it_daemon {
  long pid;        /* 0: not running */
  char tag[64];    /* unique: names this test's containers ("<tag>-...") */
  char prefix[96]; /* "/<tag>": the registry prefix */
  char log[128];   /* "/tmp/<tag>.log": the daemon's stderr */
};

/* Names a daemon for this test from `what` (no process yet). */
void it_daemon_init(struct it_daemon *d, const char *what);
/* Starts `$RG_BIN -hostname testhost OPTS etcd://ENDPOINT<prefix>`. */
void it_daemon_start(struct it_daemon *d, const char *endpoint, const char *opts);
/* SIGTERM; expects exit 0 within 5 s and no sanitizer report in the log. */
void it_daemon_stop(struct it_daemon *d);
/* it_daemon_stop, then deletes the prefix from etcd at endpoint. */
void it_daemon_finish(struct it_daemon *d, const char *endpoint);
/* True once the daemon's log contains text. */
bool it_daemon_logged(struct it_daemon *d, const char *text, double seconds);

/* The value of an etcd v3 key at endpoint, "" when absent (malloc()ed). */
char *it_etcd_get(const char *endpoint, const char *key);
/* Waits until key holds want (NULL: until it is absent). */
bool it_etcd_wait(const char *endpoint, const char *key, const char *want, double seconds);

/* docker run -d --name NAME -p 127.0.0.1::80 EXTRA local/busybox httpd. */
void it_run_web(const char *name, const char *extra);
/* The host port Docker published for a container port ("80/tcp"). */
long it_host_port(const char *name, const char *port);

/* ---- a private etcd, so that a test may kill or stop it ---- */

struct it_etcd {
  long pid;     /* 0: not running */
  int port;     /* client port; the peer port is port + 1 */
  char endpoint[32]; /* "127.0.0.1:<port>" */
  char dir[128];
};

/* Starts it on 127.0.0.1:port with a fresh data folder and waits until it
 * answers (fails the test otherwise). */
void it_etcd_start(struct it_etcd *e, int port);
/* After a SIGKILL: starts it again on the same data, waits until it answers. */
void it_etcd_restart(struct it_etcd *e);
/* Resumes it if stopped, stops it and removes its data. */
void it_etcd_end(struct it_etcd *e);

/* ---- the registry against Docker's truth ---- */

/* Where to read a registry: etcd v3 under prefix at endpoint, or (consul
 * set) the Consul double's agent services on consul_port. */
struct it_where {
  const char *endpoint, *prefix;
  int consul_port;
  const char *ignore; /* entries containing this are not compared */
};

/* Waits until the registry holds exactly what `resync --dry-run` derives
 * for the containers named "<tag>-...", as sorted "/name/id=ip:port"
 * lines; on a miss, fails (cr_expect) naming when and both sides. */
bool it_expect_truth(const char *tag, const struct it_where *w, double seconds, const char *when);

/* ---- engines (README "Engines") ---- */

/* True when the engine the docker CLI talks to is Podman (its /version
 * lists a "Podman Engine" component). Asked once per process. */
bool it_engine_podman(void);

/* Skips the running test on Podman, printing why (never silently). */
#define IT_SKIP_ON_PODMAN(why)                                              \
  do {                                                                      \
    if (it_engine_podman()) cr_skip_test("skipped on Podman: %s", (why)); \
  } while (0)

/* Kills the processes it_spawn started that still run, and removes every
 * container and network whose name carries this process's "-<pid>-" tag
 * (it_name), so a failed test leaves nothing behind. Use as
 * the .fini of every integration suite: IT_SUITE(name). */
void it_cleanup(void);
#define IT_SUITE(name) TestSuite(name, .timeout = 180, .fini = it_cleanup)

#endif
