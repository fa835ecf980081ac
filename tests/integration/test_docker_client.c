/* The Docker API client and event stream (docker/client.c, docker/events.c)
 * against the real dockerd. Containers are named it_name("rgt-docker") and
 * removed by each test's .fini; waits use deadlines. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker/client.h"
#include "docker/events.h"
#include "docker/internal.h"
#include "tests/integration/itest.h"

#define IMG "local/busybox"

static char g_name[128]; /* the container of the running test */

static void cleanup(void) {
  if (g_name[0]) it_docker_rm(g_name);
}

static void new_name(void) { snprintf(g_name, sizeof g_name, "%s", it_name("rgt-docker")); }

static struct rg_docker *open_docker(void) {
  struct rg_docker *d;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_open(&d, getenv("DOCKER_HOST"), NULL, err), RG_OK, "%s", err);
  return d;
}

/* The id `docker run -d` printed, without the newline. */
static char *run_container(const char *args) {
  char *id = it_sh_ok("docker run -d --name %s %s", g_name, args);
  id[strcspn(id, "\n")] = '\0';
  cr_assert_eq(strlen(id), 64, "unexpected id '%s'", id);
  return id;
}

/* 1.41 on Docker 20.10 and Podman 4.3; `make test-engines` sets RG_IT_API
 * to what the engine of each run must negotiate (1.45 on Docker 26). */
Test(docker_client, ping_negotiates_the_engines_version) {
  const char *want = getenv("RG_IT_API") && *getenv("RG_IT_API") ? getenv("RG_IT_API") : "1.41";
  struct rg_docker *d = open_docker();
  char err[RG_ERRBUF] = "";
  cr_assert_str_eq(rg_docker_api_version(d), "");
  cr_assert_eq(rg_docker_ping(d, err), RG_OK, "%s", err);
  cr_assert_str_eq(rg_docker_api_version(d), want);
  cr_assert_eq(rg_docker_ping(d, err), RG_OK, "a second ping on the kept-alive handle");
  rg_docker_close(d);
}

Test(docker_client, list_includes_a_started_container_and_inspect_reads_it, .fini = cleanup) {
  new_name();
  char *id = run_container("-p 127.0.0.1::80 -l SERVICE_NAME=x " IMG " httpd -f -p 80");
  struct rg_docker *d = open_docker();
  struct rg_strlist ids = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_list_running(d, &ids, err), RG_OK, "%s", err);
  cr_assert(rg_strlist_contains(&ids, id), "%s not listed among %zu", id, ids.n);
  struct rg_container *c = NULL;
  cr_assert_eq(rg_docker_inspect(d, id, &c, err), RG_OK, "%s", err);
  cr_assert_str_eq(c->id, id);
  cr_assert_str_eq(c->name, g_name);
  cr_assert(c->running);
  cr_assert_str_eq(rg_kvlist_get(&c->labels, "SERVICE_NAME"), "x");
  rg_container_free(c);
  /* By name too (Docker resolves names and id prefixes). */
  cr_assert_eq(rg_docker_inspect(d, g_name, &c, err), RG_OK, "%s", err);
  cr_assert_str_eq(c->id, id);
  rg_container_free(c);
  rg_strlist_free(&ids);
  rg_docker_close(d);
  free(id);
}

Test(docker_client, inspect_of_a_missing_container_is_enotfound_naming_it) {
  const char *name = it_name("rgt-docker-missing");
  struct rg_docker *d = open_docker();
  struct rg_container *c = (void *)1;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_inspect(d, name, &c, err), RG_ENOTFOUND, "%s", err);
  cr_assert_null(c);
  /* the engine's own message: dockerd's "No such container: x", Podman's
   * "no container with name or ID \"x\" found: no such container" */
  char want[256];
  snprintf(want, sizeof want, it_engine_podman() ? "no container with name or ID \"%s\" found"
                                                 : "No such container: %s", name);
  cr_assert(strstr(err, want) && strstr(err, rg_docker_endpoint(d)), "%s", err);
  rg_docker_close(d);
}

/* ---- the event stream in a multi handle, as the daemon loop runs it ---- */

struct seen {
  char id[80];
  bool start, die;
  int exit_code;
  int64_t start_nano;
};

static int on_event(void *ud, const struct rg_event *ev) {
  struct seen *s = ud;
  if (strcmp(ev->type, "container") != 0 || strcmp(ev->name, g_name) != 0) return 0;
  snprintf(s->id, sizeof s->id, "%s", ev->id);
  if (strcmp(ev->action, "start") == 0) {
    s->start = true;
    s->start_nano = ev->time_nano;
  } else if (strcmp(ev->action, "die") == 0) {
    s->die = true;
    s->exit_code = ev->exit_code;
  }
  return 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs the multi handle until *flag (or, flag NULL, until the stream has
 * answered 200) or the deadline; fails the test if the stream ends. */
static bool pump(CURLM *m, struct rg_docker_stream *st, const bool *flag, double seconds) {
  double end = now() + seconds;
  while (now() < end) {
    int running, left;
    curl_multi_perform(m, &running);
    CURLMsg *msg = curl_multi_info_read(m, &left);
    if (msg && msg->msg == CURLMSG_DONE) {
      char err[RG_ERRBUF];
      rg_docker_stream_result(st, msg->data.result, err);
      cr_assert_fail("the event stream ended early: %s", err);
    }
    long code = 0;
    curl_easy_getinfo(rg_docker_stream_handle(st), CURLINFO_RESPONSE_CODE, &code);
    if (flag ? *flag : code == 200) return true;
    curl_multi_poll(m, NULL, 0, 100, NULL);
  }
  return false;
}

Test(docker_client, event_stream_delivers_start_and_die, .fini = cleanup, .timeout = 60) {
  new_name();
  struct rg_docker *d = open_docker();
  struct seen seen = {.exit_code = -2};
  struct rg_event_parser *p;
  struct rg_docker_stream *st;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_event_parser_new(&p, RG_EVENT_MAX_LINE, on_event, &seen), RG_OK);
  cr_assert_eq(rg_docker_events_open(d, NULL, p, &st, err), RG_OK, "%s", err);
  CURLM *m = curl_multi_init();
  curl_multi_add_handle(m, rg_docker_stream_handle(st));
  cr_assert(pump(m, st, NULL, 10), "the event stream did not answer");

  char *id = run_container(IMG " sleep 600");
  cr_assert(pump(m, st, &seen.start, 15), "no start event for %s", g_name);
  cr_assert_str_eq(seen.id, id);
  cr_assert_gt(seen.start_nano, INT64_C(1000000000) * 1000000000, "timeNano in nanoseconds");
  free(it_sh_ok("docker kill %s", g_name));
  cr_assert(pump(m, st, &seen.die, 15), "no die event for %s", g_name);
  cr_assert_eq(seen.exit_code, 137);

  curl_multi_remove_handle(m, rg_docker_stream_handle(st));
  curl_multi_cleanup(m);
  rg_docker_stream_free(st);
  rg_event_parser_free(p);
  rg_docker_close(d);
  free(id);
}

static int stop_on_start(void *ud, const struct rg_event *ev) {
  (void)ud;
  return strcmp(ev->name, g_name) == 0 && strcmp(ev->action, "start") == 0 ? RG_ESTOPPED : 0;
}

Test(docker_client, blocking_run_replays_since_and_stops_from_the_callback, .fini = cleanup,
     .timeout = 30) {
  new_name();
  char since[32];
  snprintf(since, sizeof since, "%lld", (long long)time(NULL) - 1);
  free(run_container(IMG " sleep 600"));
  struct rg_docker *d = open_docker();
  struct rg_event_parser *p;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_event_parser_new(&p, RG_EVENT_MAX_LINE, stop_on_start, NULL), RG_OK);
  cr_assert_eq(rg_docker_events_run(d, since, p, err), RG_ESTOPPED, "%s", err);
  rg_event_parser_free(p);
  rg_docker_close(d);
}
