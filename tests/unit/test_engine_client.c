/* test_engine_client.c - the client (docker/client.c, docker/events.c)
 * against fake engines that answer as Docker 27, 28 and 29 do (README
 * "Engines": tested against recordings only), against Podman's and a socket
 * proxy's errors. The fakes serve the Docker 26 recordings (API 1.46-1.51
 * change nothing registrator reads) and, from API 1.52, their derived 1.52
 * shape; they refuse versions outside their range with dockerd's messages. */
#include <stdio.h>
#include <string.h>

#include "docker/internal.h"
#include "tests/unit/fake_docker.h"
#include "tests/unit/rg_test.h"

RG_SUITE(engine_client);

struct engine {
  const char *version, *api, *min_api;
};

/* Docker 27.5, 28.5 and 29.1: their newest API and the oldest they accept
 * (29 refuses clients older than 1.44). */
static const struct engine engines[] = {
    {"27.5.1", "1.47", "1.24"}, {"28.5.1", "1.51", "1.24"}, {"29.1.2", "1.52", "1.44"}};

/* The engine the fake of this test answers as (a forked server reads it). */
static const struct engine *serving;
/* the Id of inspect/docker-26/published-single.json */
static const char *const fixture_id =
    "bbc463f8a5385574bbb926c7743599b05ddce8d0cc7d703321c3952884af45ac";

static char *reply(const char *status, const char *ctype, const char *body) {
  struct rg_buf b = {0};
  rg_buf_printf(&b,
                "HTTP/1.1 %s\r\nApi-Version: %s\r\nServer: Docker/%s (linux)\r\nContent-Type: %s\r\n"
                "Content-Length: %zu\r\n\r\n%s",
                status, serving->api, serving->version, ctype, strlen(body), body);
  return b.data;
}

static char *engine_answer(const char *target) {
  if (strcmp(target, "/_ping") == 0) return reply("200 OK", "text/plain; charset=utf-8", "OK");
  const char *v = target + 2, *slash = strchr(target + 1, '/');
  char ver[16] = "";
  if (target[1] == 'v' && slash && (size_t)(slash - v) < sizeof ver)
    memcpy(ver, v, (size_t)(slash - v));
  char msg[256];
  if (rg_docker_version_cmp(ver, serving->min_api) < 0) {
    snprintf(msg, sizeof msg,
             "{\"message\":\"client version %s is too old. Minimum supported API version is %s, "
             "please upgrade your client to a newer version\"}\n",
             ver, serving->min_api);
    return reply("400 Bad Request", "application/json", msg);
  }
  if (rg_docker_version_cmp(ver, serving->api) > 0) {
    snprintf(msg, sizeof msg,
             "{\"message\":\"client version %s is too new. Maximum supported API version is %s\"}\n",
             ver, serving->api);
    return reply("400 Bad Request", "application/json", msg);
  }
  bool v152 = rg_docker_version_cmp(ver, "1.52") >= 0;
  if (strncmp(slash, "/containers/json", 16) == 0) {
    snprintf(msg, sizeof msg, "[{\"Id\":\"%s\",\"Names\":[\"/rgt-fix-published-single\"]}]",
             fixture_id);
    return reply("200 OK", "application/json", msg);
  }
  if (strncmp(slash, "/containers/", 12) == 0) {
    char *doc = rg_test_fixture(v152 ? "inspect/docker-29/published-single.json"
                                     : "inspect/docker-26/published-single.json",
                                NULL);
    char *r = reply("200 OK", "application/json", doc);
    free(doc);
    return r;
  }
  if (strncmp(slash, "/events?", 8) == 0) { /* the stream, then the end */
    char *data = rg_test_fixture(v152 ? "events/docker-29-lifecycle.jsonl"
                                      : "events/docker-26-lifecycle.jsonl",
                                 NULL);
    struct rg_buf b = {0};
    rg_buf_printf(&b, "HTTP/1.1 200 OK\r\nApi-Version: %s\r\nContent-Type: %s\r\n"
                      "Connection: close\r\n\r\n%s",
                  serving->api, v152 ? "application/x-ndjson" : "application/json", data);
    free(data);
    return b.data;
  }
  return reply("404 Not Found", "application/json", "{\"message\":\"page not found\"}\n");
}

static int count(void *ud, const struct rg_event *ev) {
  if (strcmp(ev->type, "container") == 0 && ev->id[0])
    (*(size_t *)ud)++;
  return 0;
}

Test(engine_client, docker_27_28_29_negotiate_their_api_and_answer_list_inspect_events) {
  struct built_route all = {"/", engine_answer};
  for (size_t i = 0; i < RG_ARRAY_LEN(engines); i++) {
    serving = &engines[i];
    struct server s = serve_built(0, NULL, 0, &all);
    struct rg_docker *d = open_ok(s.host);
    char err[RG_ERRBUF] = "";
    cr_assert_eq(rg_docker_ping(d, err), RG_OK, "Docker %s: %s", serving->version, err);
    cr_expect_str_eq(rg_docker_api_version(d), serving->api, "Docker %s", serving->version);
    struct rg_strlist ids = {0};
    cr_assert_eq(rg_docker_list_running(d, &ids, err), RG_OK, "Docker %s: %s", serving->version,
                 err);
    cr_assert_eq(ids.n, 1);
    struct rg_container *c = NULL;
    cr_assert_eq(rg_docker_inspect(d, ids.items[0], &c, err), RG_OK, "Docker %s: %s",
                 serving->version, err);
    cr_expect_str_eq(c->name, "rgt-fix-published-single");
    cr_expect(c->running);
    cr_assert_eq(c->nports, 1);
    cr_assert_eq(c->ports[0].nbindings, 1);
    cr_expect_str_eq(c->ports[0].bindings[0].host_ip, "127.0.0.1");
    cr_expect_str_eq(c->ports[0].bindings[0].host_port, "38080");
    rg_container_free(c);
    rg_strlist_free(&ids);
    size_t n = 0;
    struct rg_event_parser *p;
    cr_assert_eq(rg_event_parser_new(&p, RG_EVENT_MAX_LINE, count, &n), RG_OK);
    cr_expect_eq(rg_docker_events_run(d, NULL, p, err), RG_EIO, "%s", err);
    cr_expect_eq(n, 28, "Docker %s: %zu container events", serving->version, n);
    rg_event_parser_free(p);
    rg_docker_close(d);
    stop_server(&s);
  }
}

/* A Docker 29 whose /_ping lost its Api-Version header (a proxy that drops
 * it): the client assumes 1.24, and Docker's refusal is what the user sees. */
Test(engine_client, docker_29_refuses_an_old_version_with_its_message) {
  serving = &engines[2];
  struct route ping = {"/_ping", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", 0};
  struct built_route all = {"/", engine_answer};
  struct server s = serve_built(0, &ping, 1, &all);
  struct rg_docker *d = open_ok(s.host);
  struct rg_strlist ids = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_list_running(d, &ids, err), RG_EPROTO, "%s", err);
  cr_expect_str_eq(rg_docker_api_version(d), "1.24");
  cr_expect(strstr(err, "list containers: client version 1.24 is too old. Minimum supported API "
                        "version is 1.44") && strstr(err, "(HTTP 400)"),
            "%s", err);
  rg_strlist_free(&ids);
  rg_docker_close(d);
  stop_server(&s);
}

/* Podman answers an inspect of a container removed meanwhile with a 500
 * whose cause is "no such container" (seen on Podman 4.3.1): not found. */
Test(engine_client, podmans_500_no_such_container_is_not_found) {
  static const char body[] =
      "{\"cause\":\"no such container\",\"message\":\"container 151386ec2fc0 does not exist in "
      "database: no such container\",\"response\":500}\n";
  char *resp = http("500 Internal Server Error", "application/json", body);
  struct route r[] = {{"/_ping", PING("1.41"), 0}, {"/v1.41/containers/151386ec2fc0/json", resp, 0}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  struct rg_container *c = NULL;
  char err[RG_ERRBUF] = "";
  cr_expect_eq(rg_docker_inspect(d, "151386ec2fc0", &c, err), RG_ENOTFOUND, "%s", err);
  cr_expect(strstr(err, "does not exist in database: no such container (HTTP 500)"), "%s", err);
  rg_docker_close(d);
  stop_server(&s);
  free(resp);
}

/* HAProxy's 403 page: the error names the request refused, in plain words. */
Test(engine_client, a_proxys_403_names_the_refused_request) {
  char *resp = http("403 Forbidden", "text/html",
                    "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative "
                    "rules.\n</body></html>\n");
  struct route r[] = {{"/_ping", PING("1.41"), 0}, {"/v1.41/containers/json", resp, 0}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  struct rg_strlist ids = {0};
  char err[RG_ERRBUF] = "";
  cr_expect_eq(rg_docker_list_running(d, &ids, err), RG_EAUTH, "%s", err);
  char want[512];
  snprintf(want, sizeof want,
           "Docker at %s: list containers: GET /v1.41/containers/json refused: 403 Forbidden "
           "Request forbidden by administrative rules. (HTTP 403)",
           s.host);
  cr_expect_str_eq(err, want);
  rg_strlist_free(&ids);
  rg_docker_close(d);
  stop_server(&s);
  free(resp);
}
