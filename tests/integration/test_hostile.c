/* Hostile input end to end: the real registrator binary ($RG_BIN) against a
 * misbehaving Docker endpoint (tests/hostile/fake_docker.py on a unix
 * socket) and against containers with hostile labels on the real dockerd;
 * etcd v3 at 127.0.0.1:2379, each test under its own key prefix.
 *
 * Timings are generous so that the same tests pass with the binary under
 * valgrind (make test-valgrind). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/itest.h"

#define IMG "local/busybox"
#define ETCDCTL "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379"
#define FAKE "tests/hostile/fake_docker.py"

/* ---- the fake Docker endpoint ---- */

struct fake {
  long pid;
  char sock[108];
  char log[256];
  char out[256];
  char inspect[256];
};

static bool file_has_ready(void *ud) {
  struct fake *f = ud;
  char *o = it_sh(NULL, "grep -c READY %s 2>/dev/null", f->log);
  bool ok = atoi(o) > 0;
  free(o);
  return ok;
}

/* Starts the fake in events mode `mode`; inspect_json (or NULL) maps the
 * listed container ids to inspect answers (see fake_docker.py). */
static void fake_start(struct fake *f, const char *mode, const char *inspect_json) {
  const char *n = it_name("rgt-h");
  snprintf(f->sock, sizeof f->sock, "/tmp/%s.sock", n);
  snprintf(f->log, sizeof f->log, "/tmp/%s.fake.log", n);
  snprintf(f->out, sizeof f->out, "/tmp/%s.fake.out", n);
  snprintf(f->inspect, sizeof f->inspect, "/tmp/%s.inspect.json", n);
  unlink(f->log);
  FILE *j = fopen(f->inspect, "w");
  cr_assert_not_null(j);
  fputs(inspect_json ? inspect_json : "{}", j);
  fclose(j);
  f->pid = it_spawn(f->out, "python3 %s %s %s %s %s", FAKE, f->sock, f->log, mode, f->inspect);
  cr_assert(it_wait(10, file_has_ready, f), "the fake Docker endpoint did not start");
}

static void fake_stop(struct fake *f) {
  kill((pid_t)f->pid, SIGTERM);
  it_wait_exit(f->pid, 5);
  unlink(f->sock);
  unlink(f->log);
  unlink(f->out);
  unlink(f->inspect);
}

/* How many lines of the fake's log contain s. */
static int fake_count(const struct fake *f, const char *s) {
  char *o = it_sh(NULL, "grep -cF -- '%s' %s", s, f->log);
  int n = atoi(o);
  free(o);
  return n;
}

/* ---- the daemon ---- */

struct daemon {
  long pid;
  char log[256];
  char prefix[128];
};

/* docker_host NULL: the real dockerd. */
static void daemon_start(struct daemon *d, const char *docker_host, const char *opts) {
  snprintf(d->prefix, sizeof d->prefix, "/%s", it_name("rgt-hd"));
  snprintf(d->log, sizeof d->log, "/tmp%s.log", d->prefix);
  unlink(d->log);
  char env[160] = "";
  if (docker_host) snprintf(env, sizeof env, "DOCKER_HOST=unix://%s", docker_host);
  /* small ASan and valgrind quarantines of freed blocks (8 MB and 4 MB,
   * instead of 256 MB and 20 MB), so that RSS measures the daemon, not
   * the tool it runs under */
  d->pid = it_spawn(d->log,
                    "env %s ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8\" "
                    "VALGRIND_OPTS=--freelist-vol=4000000 "
                    "%s -hostname hostile -ip 127.0.0.1 %s etcd://127.0.0.1:2379%s",
                    env, it_bin(), opts ? opts : "", d->prefix);
}

static bool alive(const struct daemon *d) { return kill((pid_t)d->pid, 0) == 0; }

struct log_wait {
  const char *path;
  const char *needle;
};

static bool log_has(void *ud) {
  struct log_wait *w = ud;
  char q[1024]; /* the needle in single quotes for sh: ' -> '\'' */
  size_t n = 0;
  for (const char *p = w->needle; *p && n + 5 < sizeof q; p++) {
    if (*p == '\'') {
      memcpy(q + n, "'\\''", 4);
      n += 4;
    } else {
      q[n++] = *p;
    }
  }
  q[n] = '\0';
  char *o = it_sh(NULL, "grep -cF -- '%s' %s 2>/dev/null", q, w->path);
  bool ok = atoi(o) > 0;
  free(o);
  return ok;
}

static void expect_log(const struct daemon *d, const char *needle, double seconds) {
  struct log_wait w = {d->log, needle};
  if (!it_wait(seconds, log_has, &w)) {
    char *o = it_sh(NULL, "tail -c 3000 %s", d->log);
    cr_expect(false, "the daemon log lacks \"%s\"; its tail:\n%s", needle, o);
    free(o);
  }
}

/* SIGTERM: exits 0 (a memcheck error under valgrind makes it 99), no
 * sanitizer report, and the test's keys are removed. */
static void daemon_stop(struct daemon *d) {
  cr_expect(alive(d), "the daemon died");
  kill((pid_t)d->pid, SIGTERM);
  int st = it_wait_exit(d->pid, 20);
  char *log = it_sh(NULL, "tail -c 4000 %s", d->log);
  cr_expect_eq(st, 0, "the daemon did not exit 0 on SIGTERM (status %d); log tail:\n%s", st, log);
  cr_expect(strstr(log, "Sanitizer") == NULL, "sanitizer report in the daemon log:\n%s", log);
  free(log);
  free(it_sh(NULL, "%s del --prefix %s/ >/dev/null; rm -f %s", ETCDCTL, d->prefix, d->log));
}

/* A /proc/<pid>/status field in kB ("VmRSS:", "RssAnon:"), 0 if absent. */
static long status_kb(long pid, const char *field) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, strlen(field)) == 0) kb = strtol(line + strlen(field), NULL, 10);
  if (f) fclose(f);
  return kb;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

IT_SUITE(hostile);

/* ---- the event stream ---- */

struct count_wait {
  const struct fake *f;
  const char *what;
  int n;
};

static bool count_reached(void *ud) {
  struct count_wait *w = ud;
  return fake_count(w->f, w->what) >= w->n;
}

/* The event connections are re-opened with a backoff that doubles:
 * 250, 500, 1000 ms between the first four. */
static void expect_backoff(const struct fake *f) {
  struct count_wait w = {f, "GET /v1.41/events", 4};
  cr_assert(it_wait(30, count_reached, &w), "fewer than 4 event connections in 30 s (%d)",
            fake_count(f, "GET /v1.41/events"));
  char *o = it_sh(NULL, "grep -F 'GET /v1.41/events' %s | head -n4 | cut -d' ' -f1", f->log);
  double t[4] = {0};
  char *p = o;
  for (int i = 0; i < 4; i++) t[i] = strtod(p, &p);
  free(o);
  double g1 = t[1] - t[0], g3 = t[3] - t[2];
  cr_expect(g1 >= 0.2, "the first reconnect came after %.3f s, before any backoff", g1);
  cr_expect(g3 >= 1.5 * g1, "no growing backoff: gaps %.3f s then %.3f s", g1, g3);
}

static void stream_garbage_case(const char *mode, const char *logged) {
  struct fake f;
  fake_start(&f, mode, NULL);
  struct daemon d;
  daemon_start(&d, f.sock, "");
  expect_backoff(&f);
  expect_log(&d, logged, 5);
  expect_log(&d, "reconnecting in", 5);
  daemon_stop(&d);
  fake_stop(&f);
}

Test(hostile, non_json_event_lines_drop_the_stream_and_reconnect_with_backoff) {
  stream_garbage_case("garbage", "Docker event: not JSON");
}

Test(hostile, events_of_the_wrong_json_types_drop_the_stream) {
  stream_garbage_case("wrongtypes", "event field Action has the wrong type");
}

Test(hostile, a_stream_that_closes_cleanly_is_reopened_with_backoff) {
  stream_garbage_case("close", "Docker closed the stream");
}

Test(hostile, a_stream_cut_mid_event_is_reopened_with_backoff) {
  stream_garbage_case("cut", "Docker event stream at unix://");
}

/* A 50 MB line: the parser refuses it at MAX_EVENT_LINE (256 KiB) and the
 * connection is dropped; memory never holds the line. Bound: 24 MB of
 * anonymous memory above the idle daemon (the cap is 256 KiB; the rest is
 * room for curl's buffers and allocator slack, under ASan too). Holding the
 * line would need 50 MB. */
/* The peak RssAnon (kB) of the daemon above its level 1.2 s after the first
 * event connection (the fake waits 2.5 s before it sends), while it is fed
 * until done(f) or 120 s. */
static long rss_growth(const struct daemon *d, const struct fake *f, const char *done, int n) {
  struct count_wait first = {f, "GET /v1.41/events", 1}, w = {f, done, n};
  cr_assert(it_wait(20, count_reached, &first), "the daemon never subscribed to events");
  sleep_ms(1200);
  long base = status_kb(d->pid, "RssAnon:"), peak = base;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    long kb = status_kb(d->pid, "RssAnon:");
    if (kb > peak) peak = kb;
    sleep_ms(20);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while (!count_reached(&w) && alive(d) && now.tv_sec - start.tv_sec < 120);
  cr_expect(count_reached(&w), "the fake never logged %d x \"%s\"", n, done);
  cr_log_info("RssAnon %ld kB -> peak %ld kB", base, peak);
  return peak - base;
}

/* A 50 MB line: the parser refuses it at MAX_EVENT_LINE (256 KiB) and the
 * connection is dropped; memory never holds the line. Bound: 24 MB of
 * anonymous memory above the idle daemon (the cap is 256 KiB; the rest is
 * room for curl's buffers and allocator slack, under ASan and valgrind
 * too). Holding the line would take 50 MB. */
Test(hostile, a_line_of_50_megabytes_is_refused_with_memory_bounded) {
  struct fake f;
  fake_start(&f, "hugeline", NULL);
  struct daemon d;
  daemon_start(&d, f.sock, "");
  long growth = rss_growth(&d, &f, "EVENTS-END", 2);
  cr_expect(growth < 24 * 1024, "RssAnon grew by %ld kB over a 50 MB line", growth);
  expect_log(&d, "event line longer than 262144 bytes", 5);
  expect_log(&d, "reconnecting in", 5);
  daemon_stop(&d);
  fake_stop(&f);
}

/* 50 MB of valid ~200 KB events in one connection: all parsed (the fake
 * says when it has sent them all), memory bounded as above, the stream
 * kept. */
Test(hostile, fifty_megabytes_of_big_events_keep_memory_bounded) {
  struct fake f;
  fake_start(&f, "bigevents", NULL);
  struct daemon d;
  daemon_start(&d, f.sock, "");
  long growth = rss_growth(&d, &f, "EVENTS-BIG-DONE", 1);
  cr_expect(growth < 24 * 1024, "RssAnon grew by %ld kB over 50 MB of events", growth);
  cr_expect_eq(fake_count(&f, "GET /v1.41/events"), 1, "the valid stream was dropped");
  daemon_stop(&d);
  fake_stop(&f);
}

/* A stream that sends nothing: no timeout drops it (by design), the daemon
 * still resyncs and stops at once on SIGTERM. */
Test(hostile, a_stalled_stream_does_not_block_resync_or_shutdown) {
  struct fake f;
  fake_start(&f, "stall", NULL);
  struct daemon d;
  daemon_start(&d, f.sock, "-resync 1");
  struct count_wait w = {&f, "GET /v1.41/containers/json", 3};
  cr_expect(it_wait(20, count_reached, &w), "no periodic resync while the stream stalls");
  daemon_stop(&d);
  fake_stop(&f);
}

/* ---- inspect answers ---- */

/* A valid inspect document of a running container publishing 80/tcp on
 * 127.0.0.1:<port>, with label SERVICE_NAME=<name>; `name` is put into the
 * JSON as is (it may hold escapes). */
static char *inspect_doc(const char *id, const char *cname, const char *name, int port) {
  char *s = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&s, &n);
  fprintf(f,
          "{\\\"Id\\\":\\\"%s\\\",\\\"Name\\\":\\\"/%s\\\",\\\"Config\\\":{\\\"Image\\\":"
          "\\\"local/busybox\\\",\\\"Labels\\\":{\\\"SERVICE_NAME\\\":\\\"%s\\\"},"
          "\\\"ExposedPorts\\\":{\\\"80/tcp\\\":{}}},\\\"HostConfig\\\":{\\\"NetworkMode\\\":"
          "\\\"default\\\"},\\\"NetworkSettings\\\":{\\\"Ports\\\":{\\\"80/tcp\\\":[{\\\"HostIp\\\":"
          "\\\"127.0.0.1\\\",\\\"HostPort\\\":\\\"%d\\\"}]}},\\\"State\\\":{\\\"Running\\\":true}}",
          id, cname, name, port);
  fclose(f);
  return s;
}

struct key_wait {
  char key[512];
};

static bool key_exists(void *ud) {
  struct key_wait *w = ud;
  char *v = it_sh(NULL, "%s get --keys-only %s", ETCDCTL, w->key);
  bool ok = strstr(v, w->key) != NULL;
  free(v);
  return ok;
}

/* Over-size inspect bodies (> 4 MiB) and names that are not valid UTF-8
 * (a lone surrogate, which yajl decodes to ED B2 80) are refused and
 * logged; the good container next to them is still registered. */
Test(hostile, oversized_and_invalid_utf8_inspect_answers_do_not_block_the_others) {
  char *good = inspect_doc("good1", "good-c", "good-svc", 18080);
  char *utf8 = inspect_doc("utf8", "utf8-c", "x\\\\udc80y", 18081);
  char json[8192];
  snprintf(json, sizeof json,
           "{\"big\":{\"huge\":6000000},\"utf8\":{\"body\":\"%s\"},\"good1\":{\"body\":\"%s\"}}",
           utf8, good);
  free(good);
  free(utf8);
  struct fake f;
  fake_start(&f, "quiet", json);
  struct daemon d;
  daemon_start(&d, f.sock, "");
  struct key_wait w;
  snprintf(w.key, sizeof w.key, "%s/good-svc/hostile:good-c:80", d.prefix);
  cr_expect(it_wait(20, key_exists, &w), "the good container was not registered: %s", w.key);
  expect_log(&d, "response exceeds 4194304 bytes", 5);
  expect_log(&d, "cannot inspect container big", 5);
  expect_log(&d, "(container utf8-c) rejected: its name \"x\\xed\\xb2\\x80y\" is not valid UTF-8", 5);
  daemon_stop(&d);
  fake_stop(&f);
}

Test(hostile, inspect_answers_of_the_wrong_types_are_logged) {
  struct fake f;
  fake_start(&f, "quiet",
             "{\"bad\":{\"body\":\"{\\\"Id\\\":5,\\\"Name\\\":[],\\\"Config\\\":7}\"},"
             "\"notjson\":{\"body\":\"<html>proxy error</html>\"}}");
  struct daemon d;
  daemon_start(&d, f.sock, "-resync 1");
  expect_log(&d, "inspect: Id is not a string", 20);
  struct count_wait w = {&f, "GET /v1.41/containers/json", 3};
  cr_expect(it_wait(20, count_reached, &w), "no resync after the bad inspect");
  daemon_stop(&d);
  fake_stop(&f);
}

/* ---- hostile labels on real containers ---- */

static bool docker_up(void) {
  int st;
  free(it_sh(&st, "docker info >/dev/null 2>&1"));
  return st == 0;
}

/* No etcd key mentions marker except the good container's entries. Other
 * tests' daemons, running meanwhile on the same dockerd, may register it
 * under their own prefixes too; none may write a hostile name anywhere. */
static void expect_no_escape(const char *marker, const char *good) {
  char *o = it_sh_ok("%s get '' --prefix --keys-only | grep -aF -- '%s' | grep -avF -- '%s' || true",
                     ETCDCTL, marker, good);
  cr_expect_str_empty(o, "keys with hostile names:\n%s", o);
  free(o);
}

Test(hostile, labels_that_try_to_leave_the_key_prefix_are_refused_and_logged) {
  cr_assert(docker_up(), "dockerd is not running (tests/servers.sh start)");
  char marker[64], names[8][128], cmd[16384];
  snprintf(marker, sizeof marker, "%s", it_name("esc"));
  for (int i = 0; i < 8; i++) snprintf(names[i], sizeof names[i], "%s", it_name("rgt-hl"));
  char longname[700];
  memset(longname, 'n', 600);
  snprintf(longname + 600, sizeof longname - 600, "%s", marker);
  char labels[7][800];
  snprintf(labels[0], sizeof labels[0], "-l 'SERVICE_NAME=../../%s'", marker);
  snprintf(labels[1], sizeof labels[1], "-l 'SERVICE_NAME=a/%s'", marker);
  snprintf(labels[2], sizeof labels[2], "-l \"SERVICE_NAME=$(printf 'ctl\\001\\n%s')\"", marker);
  snprintf(labels[3], sizeof labels[3], "-l 'SERVICE_NAME=%s'", longname);
  snprintf(labels[4], sizeof labels[4], "-l 'SERVICE_NAME=%s-id' -l 'SERVICE_ID=../../../%s'",
           marker, marker);
  snprintf(labels[5], sizeof labels[5], "-l 'SERVICE_NAME=..' -l 'SERVICE_ID=.'");
  snprintf(labels[6], sizeof labels[6], "-l 'SERVICE_NAME=%s-good'", marker);
  for (int i = 0; i < 7; i++) {
    snprintf(cmd, sizeof cmd, "docker run -d --name %s -p 127.0.0.1::80 %s %s httpd -f -p 80 >/dev/null",
             names[i], labels[i], IMG);
    free(it_sh_ok("%s", cmd));
  }
  /* more labels than RG_CONTAINER_MAX_ENTRIES (4096): skipped, others go on */
  char lf[256];
  snprintf(lf, sizeof lf, "/tmp/%s.labels", names[7]);
  free(it_sh_ok("for i in $(seq 4100); do echo L$i=v; done > %s; echo 'SERVICE_NAME=%s-many' >> %s; "
                "docker run -d --name %s -p 127.0.0.1::80 --label-file %s %s httpd -f -p 80 >/dev/null; "
                "rm -f %s",
                lf, marker, lf, names[7], lf, IMG, lf));

  struct daemon d;
  daemon_start(&d, NULL, "");
  struct key_wait w;
  snprintf(w.key, sizeof w.key, "%s/%s-good/hostile:%s:80", d.prefix, marker, names[6]);
  cr_expect(it_wait(30, key_exists, &w), "the good container was not registered: %s", w.key);
  for (int i = 0; i < 6; i++) {
    char want[1200];
    snprintf(want, sizeof want, "(container %s) refused", names[i]);
    expect_log(&d, want, 10);
  }
  expect_log(&d, "contains \"..\"", 1);
  expect_log(&d, "contains '/'", 1);
  expect_log(&d, "contains a control character", 1);
  expect_log(&d, "is longer than 512 bytes", 1);
  expect_log(&d, "Config.Labels has 4101 keys (limit 4096)", 1);
  char good[160];
  snprintf(good, sizeof good, "%s-good", marker);
  expect_no_escape(marker, good);
  /* a forged log line would start a line of its own */
  char *forged = it_sh(NULL, "grep -c '^%s' %s", marker, d.log);
  cr_expect_eq(atoi(forged), 0, "a label forged a log line");
  free(forged);
  daemon_stop(&d);
  for (int i = 0; i < 8; i++) it_docker_rm(names[i]);
}

/* ---- secrets ---- */

/* The etcd password and the Consul token appear in no output, whatever
 * fails: unreachable registry, etcd without auth enabled, a URI with
 * credentials, debug logging on. */
Test(hostile, passwords_and_tokens_never_reach_the_output) {
  const char *secret = "s3cr3t-xyz";
  /* {environment, registry URI}; each run is cut off after 8 s */
  const char *runs[][2] = {
      {"ETCDCTL_USER=root ETCDCTL_PASSWORD=s3cr3t-xyz", "etcd://127.0.0.1:1/p"},
      {"ETCDCTL_USER=root:s3cr3t-xyz", "etcd://127.0.0.1:2379/p"},
      {"ETCDCTL_USER=root ETCDCTL_PASSWORD=s3cr3t-xyz", "etcd2://127.0.0.1:2379/p"},
      {"CONSUL_HTTP_TOKEN=s3cr3t-xyz", "consul://127.0.0.1:1"},
      {"CONSUL_HTTP_TOKEN=s3cr3t-xyz", "consul://127.0.0.1:2379"},
      {"X=1", "etcd://root:s3cr3t-xyz@127.0.0.1:1/p"},
      {"X=1", "nosuch://root:s3cr3t-xyz@127.0.0.1:1/p"},
  };
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    char *out = it_sh(NULL,
                      "RG_DEBUG=1 %s timeout -s TERM 8 %s -retry-attempts 1 -retry-interval 50 "
                      "-hostname secrets %s 2>&1",
                      runs[i][0], it_bin(), runs[i][1]);
    cr_expect(strstr(out, secret) == NULL, "run %zu (%s %s): the secret is in the output:\n%s", i,
              runs[i][0], runs[i][1], out);
    free(out);
  }
}
