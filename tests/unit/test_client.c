/* test_client.c - the Docker API client (docker/client.c) and the event
 * stream (docker/events.c) against the fake server of fake_docker.h. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "docker/client.h"
#include "docker/events.h"
#include "docker/internal.h"
#include "tests/unit/fake_docker.h"
#include "tests/unit/rg_test.h"

RG_SUITE(client);

static int count_events(void *ud, const struct rg_event *ev) {
  (void)ev;
  ++*(size_t *)ud;
  return 0;
}

/* ---- DOCKER_HOST ---- */

Test(client, docker_host_accepts_unix_and_tcp_and_ipv6) {
  static const char *const cases[][2] = {
      {"", "unix:///var/run/docker.sock"},
      {"unix:///run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock"},
      {"tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375"},
      {"tcp://127.0.0.1:2375/", "tcp://127.0.0.1:2375"},
      {"tcp://localhost", "tcp://localhost:2375"},
      {"tcp://[::1]:2375", "tcp://[::1]:2375"},
      {"tcp://[::1]", "tcp://[::1]:2375"},
  };
  for (size_t i = 0; i < RG_ARRAY_LEN(cases); i++) {
    struct rg_docker *d = open_ok(cases[i][0]);
    cr_assert_str_eq(rg_docker_endpoint(d), cases[i][1]);
    cr_assert_str_eq(rg_docker_api_version(d), "");
    rg_docker_close(d);
  }
  struct rg_docker *d = open_ok(NULL);
  cr_assert_str_eq(rg_docker_endpoint(d), "unix:///var/run/docker.sock");
  rg_docker_close(d);
  rg_docker_close(NULL);
}

Test(client, docker_host_rejects_other_schemes_naming_the_value) {
  /* clang-format off */
  static const char *const bad[] = {
      "http://127.0.0.1:2375", "npipe:////./pipe/docker_engine", "ssh://me@host", "fd://",
      "/var/run/docker.sock", "tcp://", "tcp://h:0", "tcp://h:99999", "tcp://h:12ab",
      "tcp://[::1", "tcp://[::1]x", "tcp://h:2375/path", "tcp://user@h:1", "unix://"};
  /* clang-format on */
  for (size_t i = 0; i < RG_ARRAY_LEN(bad); i++) {
    struct rg_docker *d = (void *)1;
    char err[RG_ERRBUF] = "";
    cr_assert_eq(rg_docker_open(&d, bad[i], NULL, err), RG_EINVAL, "%s accepted", bad[i]);
    cr_assert_null(d);
    cr_assert(strstr(err, bad[i]), "'%s' does not name '%s'", err, bad[i]);
  }
}

Test(client, unix_socket_path_longer_than_107_bytes_is_refused) {
  char host[160] = "unix:///";
  memset(host + 8, 'a', 106); /* path = "/" + 106 = 107 bytes */
  struct rg_docker *d = open_ok(host);
  rg_docker_close(d);
  host[8 + 106] = 'b'; /* 108 bytes */
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_open(&d, host, NULL, err), RG_EINVAL);
  cr_assert(strstr(err, "108 bytes") && strstr(err, "107"), "%s", err);
}

Test(client, versions_compare_numerically) {
  cr_assert_lt(rg_docker_version_cmp("1.9", "1.41"), 0);
  cr_assert_gt(rg_docker_version_cmp("1.41", "1.9"), 0);
  cr_assert_eq(rg_docker_version_cmp("1.41", "1.41"), 0);
  cr_assert_gt(rg_docker_version_cmp("2.0", "1.99"), 0);
  cr_assert_lt(rg_docker_version_cmp("1.24", "1.41"), 0);
  cr_assert_lt(rg_docker_version_cmp("junk", "1.0"), 0);
  cr_assert_lt(rg_docker_version_cmp("1.x", "0.1"), 0);
}

/* ---- transport errors ---- */

Test(client, missing_socket_is_econnect_naming_the_socket) {
  struct rg_docker *d = open_ok("unix:///tmp/rg-no-such-dir/docker.sock");
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_ping(d, err), RG_ECONNECT);
  cr_assert(strstr(err,
                   "cannot connect to Docker at unix:///tmp/rg-no-such-dir/docker.sock: "
                   "No such file or directory"),
            "%s", err);
  struct rg_strlist ids = {0};
  cr_assert_eq(rg_docker_list_running(d, &ids, err), RG_ECONNECT, "lazy ping fails the same way");
  struct rg_event_parser *p;
  size_t n = 0;
  cr_assert_eq(rg_event_parser_new(&p, 1024, count_events, &n), RG_OK);
  cr_assert_eq(rg_docker_events_run(d, NULL, p, err), RG_ECONNECT);
  rg_event_parser_free(p);
  rg_docker_close(d);
}

Test(client, socket_nobody_listens_on_is_connection_refused) {
  char dir[] = "/tmp/rg-client-XXXXXX", host[128];
  cr_assert_not_null(mkdtemp(dir));
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s/docker.sock", dir);
  snprintf(host, sizeof host, "unix://%s", a.sun_path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0); /* bound, never listen()ed */
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  struct rg_docker *d = open_ok(host);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_ping(d, err), RG_ECONNECT);
  cr_assert(strstr(err, a.sun_path) && strstr(err, "Connection refused"), "%s", err);
  rg_docker_close(d);
  close(fd);
  unlink(a.sun_path);
  rmdir(dir);
}

Test(client, request_timeout_is_eio) {
  struct route r[] = {{"/_ping", NULL, 0}};
  struct server s = serve(0, r, 1);
  struct rg_docker *d = open_ok(s.host);
  rg_docker_set_timeouts(d, 0, 300);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_ping(d, err), RG_EIO);
  cr_assert(strstr(err, s.sock) && strstr(err, "ping"), "%s", err);
  rg_docker_close(d);
  stop_server(&s);
}

/* ---- version negotiation ---- */

Test(client, ping_negotiates_from_the_api_version_header) {
  static const struct {
    const char *response;
    int rc;
    const char *want; /* the version, or a part of the message */
  } cases[] = {
      {PING("1.54"), RG_OK, "1.52"}, /* newer than ours: ours */
      {PING("1.52"), RG_OK, "1.52"}, /* Docker 29, minimum 1.44 */
      {PING("1.41"), RG_OK, "1.41"},
      {PING("1.30"), RG_OK, "1.30"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", RG_OK, "1.24"}, /* no header */
      {PING("1.9"), RG_EUNSUPPORTED, "speaks API 1.9, older than the minimum 1.24"},
      {PING("banana"), RG_EPROTO, "sent an invalid Api-Version header 'banana'"},
  };
  for (size_t i = 0; i < RG_ARRAY_LEN(cases); i++) {
    struct route r[] = {{"/_ping", cases[i].response, 0}};
    struct server s = serve(0, r, 1);
    struct rg_docker *d = open_ok(s.host);
    char err[RG_ERRBUF] = "";
    cr_assert_eq(rg_docker_ping(d, err), cases[i].rc, "case %zu: %s", i, err);
    if (cases[i].rc == RG_OK) {
      cr_assert_str_eq(rg_docker_api_version(d), cases[i].want);
    } else {
      cr_assert(strstr(err, cases[i].want) && strstr(err, s.sock), "%s", err);
      cr_assert_str_eq(rg_docker_api_version(d), "");
    }
    rg_docker_close(d);
    stop_server(&s);
  }
}

Test(client, calls_ping_lazily_and_use_the_negotiated_version_in_paths) {
  static const char list[] = JSON("200 OK", 3) "[]\n";
  struct route r[] = {{"/_ping", PING("1.30"), 0}, {"/v1.30/containers/json", list, 0}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  struct rg_strlist ids = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_list_running(d, &ids, err), RG_OK, "%s", err);
  cr_assert_str_eq(rg_docker_api_version(d), "1.30");
  cr_assert_eq(ids.n, 0);
  rg_docker_close(d);
  stop_server(&s);
}

Test(client, ping_over_tcp_ipv4_and_ipv6_loopback) {
  struct route r[] = {{"/_ping", PING("1.41"), 0}};
  for (int fam = 4; fam <= 6; fam += 2) {
    struct server s = serve(fam, r, 1);
    struct rg_docker *d = open_ok(s.host);
    char err[RG_ERRBUF] = "";
    cr_assert_eq(rg_docker_ping(d, err), RG_OK, "%s: %s", s.host, err);
    cr_assert_str_eq(rg_docker_endpoint(d), s.host);
    rg_docker_close(d);
    stop_server(&s);
  }
}

/* ---- HTTP errors and bodies ---- */

Test(client, list_returns_full_ids) {
  static const char list[] =
      JSON("200 OK", 43) "[{\"Id\":\"aaa\",\"Names\":[\"/x\"]},{\"Id\":\"bbb\"}]\n";
  struct route r[] = {{"/_ping", PING("1.41"), 0}, {"/v1.41/containers/json", list, 0}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  struct rg_strlist ids = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_list_running(d, &ids, err), RG_OK, "%s", err);
  cr_assert_eq(ids.n, 2);
  cr_assert_str_eq(ids.items[0], "aaa");
  cr_assert_str_eq(ids.items[1], "bbb");
  rg_strlist_free(&ids);
  rg_docker_close(d);
  stop_server(&s);
}

/* One request to /v1.41/containers/json answered with response. */
static int list_with(const char *response, char *err) {
  struct route r[] = {{"/_ping", PING("1.41"), 0}, {"/v1.41/containers/json", response, 0}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  struct rg_strlist ids = {0};
  int rc = rg_docker_list_running(d, &ids, err);
  cr_assert(strstr(err, s.host), "'%s' does not name the endpoint", err);
  rg_strlist_free(&ids);
  rg_docker_close(d);
  stop_server(&s);
  return rc;
}

Test(client, http_errors_carry_dockers_message_json_or_plain_text) {
  char err[RG_ERRBUF] = "";
  char *resp = http("400 Bad Request", "text/plain; charset=utf-8",
                    "client version 1.11 is too old. Minimum supported API version is 1.12, "
                    "please upgrade your client to a newer version\n");
  cr_assert_eq(list_with(resp, err), RG_EPROTO);
  cr_assert(strstr(err,
                   "list containers: client version 1.11 is too old. Minimum supported API "
                   "version is 1.12, please upgrade your client to a newer version (HTTP 400)"),
            "%s", err);
  free(resp);
  resp = http("500 Internal Server Error", "application/json",
              "{\"message\":\"Error response from daemon: \\n boom\"}\n");
  cr_assert_eq(list_with(resp, err), RG_EPROTO);
  cr_assert(strstr(err, ": Error response from daemon: boom (HTTP 500)"), "%s", err);
  free(resp);
  resp = http("500 Internal Server Error", "text/html", "");
  cr_assert_eq(list_with(resp, err), RG_EPROTO);
  cr_assert(strstr(err, "(empty body) (HTTP 500)"), "%s", err);
  free(resp);
  struct rg_buf long_text = {0};
  for (int i = 0; i < 100; i++) rg_buf_printf(&long_text, "line %d\r\n", i);
  resp = http("503 Service Unavailable", "text/plain", long_text.data);
  cr_assert_eq(list_with(resp, err), RG_EPROTO);
  cr_assert(strstr(err, "line 0 line 1 line 2") && strstr(err, "... (HTTP 503)"), "%s", err);
  cr_assert_lt(strlen(err), 400);
  free(resp);
  rg_buf_free(&long_text);
  resp = http("403 Forbidden", "application/json", "{\"message\":\"authorization denied\"}");
  cr_assert_eq(list_with(resp, err), RG_EAUTH);
  free(resp);
}

Test(client, bodies_that_are_not_the_json_expected_are_eproto) {
  /* clang-format off */
  static const char *const bodies[] = {
      "<html>oops</html>", "{\"Id\":\"a\"}", "[{\"Id\":5}]", "[\"x\"]", "[{\"Id\":\"a\"}] x", "",
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
      "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"};
  /* clang-format on */
  for (size_t i = 0; i < RG_ARRAY_LEN(bodies); i++) {
    char err[RG_ERRBUF] = "";
    char *resp = http("200 OK", "application/json", bodies[i]);
    cr_assert_eq(list_with(resp, err), RG_EPROTO, "body %zu", i);
    cr_assert(strstr(err, "list containers"), "%s", err);
    free(resp);
  }
}

Test(client, inspect_of_a_missing_container_is_enotfound_with_dockers_message) {
  static const char nf[] = JSON("404 Not Found", 38) "{\"message\":\"No such container: nope\"}\n";
  static const char esc[] = JSON("404 Not Found", 33) "{\"message\":\"escaped as expected\"}";
  struct route r[] = {{"/_ping", PING("1.41"), 0},
                      {"/v1.41/containers/nope/json", nf, 0},
                      {"/v1.41/containers/a%2Fb%20c%3F%23/json", esc, 0}};
  struct server s = serve(0, r, 3);
  struct rg_docker *d = open_ok(s.host);
  struct rg_container *c = (void *)1;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_inspect(d, "nope", &c, err), RG_ENOTFOUND);
  cr_assert_null(c);
  char want[300];
  snprintf(want, sizeof want,
           "Docker at %s: inspect container nope: No such container: nope (HTTP 404)", s.host);
  cr_assert_str_eq(err, want);
  cr_assert_eq(rg_docker_inspect(d, "a/b c?#", &c, err), RG_ENOTFOUND, "%s", err);
  cr_assert(strstr(err, "inspect container a/b c?#: escaped as expected"), "%s", err);
  cr_assert_eq(rg_docker_inspect(d, "", &c, err), RG_EINVAL);
  rg_docker_close(d);
  stop_server(&s);
}

Test(client, inspect_body_over_its_cap_is_etoobig) {
  size_t body = RG_DOCKER_INSPECT_MAX + 1;
  struct rg_buf resp = {0};
  rg_buf_printf(&resp,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                body);
  size_t head = resp.len;
  char *big = malloc(head + body);
  memcpy(big, resp.data, head);
  memset(big + head, ' ', body);
  struct route r[] = {{"/_ping", PING("1.41"), 0},
                      {"/v1.41/containers/big/json", big, head + body}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  struct rg_container *c;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_inspect(d, "big", &c, err), RG_ETOOBIG);
  cr_assert(strstr(err, "inspect container big: response exceeds 4194304 bytes"), "%s", err);
  rg_docker_close(d);
  stop_server(&s);
  free(big);
  rg_buf_free(&resp);
}

/* ---- the event stream over the fake server ---- */

/* The recorded stream as chunked HTTP in 100-byte chunks, with the
 * terminating chunk when clean_end. malloc()ed. */
static char *chunked_events(bool clean_end, size_t *n_events) {
  size_t len;
  char *body = rg_test_fixture("events/container-lifecycle.jsonl", &len);
  struct rg_buf b = {0};
  rg_buf_printf(&b,
                "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n");
  for (size_t off = 0; off < len; off += 100) {
    size_t n = len - off < 100 ? len - off : 100;
    rg_buf_printf(&b, "%zx\r\n", n);
    rg_buf_append(&b, body + off, n);
    rg_buf_printf(&b, "\r\n");
  }
  if (clean_end) rg_buf_printf(&b, "0\r\n\r\n");
  *n_events = 17;
  free(body);
  return b.data;
}

#define EVENTS_TARGET \
  "/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%" \
  "22start%22%2C%22die%22%2C%22died%22%2C%22pause%22%2C%22unpause%22%2C%22health_st" \
  "atus%22%2C%22destroy%22%2C%22remove%22%2C%22rename%22%2C%22create%22%5D%7D"

static int run_events(const char *response, const char *since, size_t *count, char *err,
                      struct server *out) {
  struct route r[] = {{"/_ping", PING("1.41"), 0},
                      {EVENTS_TARGET, response, 0},
                      {EVENTS_TARGET "&since=1795637117.5", response, 0}};
  *out = serve(0, r, 3);
  struct rg_docker *d = open_ok(out->host);
  struct rg_event_parser *p;
  cr_assert_eq(rg_event_parser_new(&p, 4096, count_events, count), RG_OK);
  int rc = rg_docker_events_run(d, since, p, err);
  rg_event_parser_free(p);
  rg_docker_close(d);
  stop_server(out);
  return rc;
}

Test(client, event_stream_delivers_events_then_reports_the_end) {
  size_t want, n = 0;
  struct server s;
  char err[RG_ERRBUF] = "";
  char *resp = chunked_events(false, &want);
  cr_assert_eq(run_events(resp, NULL, &n, err, &s), RG_EIO);
  cr_assert_eq(n, want);
  cr_assert(strstr(err, "Docker event stream at ") && strstr(err, s.sock) && strstr(err, "ended"),
            "%s", err);
  free(resp);
  resp = chunked_events(true, &want);
  n = 0;
  cr_assert_eq(run_events(resp, "1795637117.5", &n, err, &s), RG_EIO);
  cr_assert_eq(n, want);
  cr_assert(strstr(err, "ended: Docker closed the stream"), "%s", err);
  free(resp);
}

Test(client, event_stream_errors_are_mapped) {
  size_t n = 0;
  struct server s;
  char err[RG_ERRBUF] = "";
  char *resp =
      http("400 Bad Request", "application/json", "{\"message\":\"invalid filter 'evnt'\"}\n");
  cr_assert_eq(run_events(resp, NULL, &n, err, &s), RG_EPROTO);
  cr_assert(strstr(err, "event stream: invalid filter 'evnt' (HTTP 400)"), "%s", err);
  free(resp);
  static const char garbage[] =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "f\r\n{\"Action\":\"x\"}\n\r\n"
      "d\r\nnot an event\n\r\n";
  cr_assert_eq(run_events(garbage, NULL, &n, err, &s), RG_EPROTO);
  cr_assert_eq(n, 1);
  cr_assert(strstr(err, "ended: Docker event: not JSON: "), "%s", err);
}

static int stop_second(void *ud, const struct rg_event *ev) {
  (void)ev;
  return ++*(size_t *)ud == 2 ? RG_ESTOPPED : 0;
}

Test(client, event_stream_in_a_caller_multi_handle_and_stopped_by_the_callback) {
  size_t want, n = 0;
  char *resp = chunked_events(false, &want);
  struct route r[] = {{"/_ping", PING("1.41"), 0}, {EVENTS_TARGET, resp, 0}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  struct rg_event_parser *p;
  struct rg_docker_stream *st;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_event_parser_new(&p, 4096, stop_second, &n), RG_OK);
  cr_assert_eq(rg_docker_events_open(d, NULL, p, &st, err), RG_OK, "%s", err);
  CURLM *m = curl_multi_init();
  curl_multi_add_handle(m, rg_docker_stream_handle(st));
  int running = 1, rc = 0;
  CURLMsg *msg = NULL;
  while (msg == NULL) {
    curl_multi_perform(m, &running);
    int left;
    msg = curl_multi_info_read(m, &left);
    if (msg == NULL) curl_multi_poll(m, NULL, 0, 1000, NULL);
  }
  cr_assert_eq(msg->easy_handle, rg_docker_stream_handle(st));
  rc = rg_docker_stream_result(st, msg->data.result, err);
  cr_assert_eq(rc, RG_ESTOPPED, "%d %s", rc, err);
  cr_assert_eq(n, 2);
  cr_assert(strstr(err, "callback"), "%s", err);
  curl_multi_remove_handle(m, rg_docker_stream_handle(st));
  curl_multi_cleanup(m);
  rg_docker_stream_free(st);
  /* The server is gone now: a new stream cannot connect. */
  stop_server(&s);
  rg_event_parser_reset(p);
  cr_assert_eq(rg_docker_events_open(d, NULL, p, &st, err), RG_OK, "already negotiated");
  rc = rg_docker_stream_result(st, curl_easy_perform(rg_docker_stream_handle(st)), err);
  cr_assert_eq(rc, RG_ECONNECT, "%s", err);
  cr_assert(strstr(err, "Docker event stream at ") && strstr(err, "cannot connect"), "%s", err);
  rg_docker_stream_free(st);
  rg_event_parser_free(p);
  rg_docker_close(d);
  free(resp);
}

/* -docker-timeout reaches the client the library opens: a dockerd that
 * never answers costs the option's second, not the 30 s default. */
Test(client, the_docker_timeout_option_limits_a_request) {
  static const struct route routes[] = {{"/_ping", NULL, 0}};
  struct server srv = serve(0, routes, 1);
  struct rg_settings *s = NULL;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_settings_new(&s), RG_OK);
  cr_assert_eq(rg_settings_set(s, "docker-host", srv.host, err), RG_OK);
  cr_assert_eq(rg_settings_set(s, "docker-timeout", "1", err), RG_OK, "%s", err);
  cr_assert_eq(rg_settings_set(s, "hostname", "h", err), RG_OK);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char *jsonl = NULL;
  int rc = rg_dry_run(s, &jsonl, err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  cr_expect_neq(rc, RG_OK);
  cr_expect(took >= 0.9 && took < 5, "the request gave up after %.2f s", took);
  rg_free(jsonl);
  rg_settings_free(s);
  stop_server(&srv);
}
