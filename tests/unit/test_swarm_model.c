/* test_swarm_model.c - swarm mode in the core (registrator/swarm.c and the
 * model's task rules) on the recorded task containers and services of a
 * one-node swarm (tests/fixtures/swarm/). */
#include <string.h>

#include "docker/swarm.h"
#include "registrator/collect.h"
#include "registrator/swarm.h"
#include "tests/unit/fake_docker.h"
#include "tests/unit/model_util.h"

RG_SUITE(swarm_model);

#define WEB_TASK "h16-fix-web.1.kk6btt8c4znu5p8xb5lnuqjhb"
#define HOST_TASK "h16-fix-host.1.0opymypdzqknh6es9tgs6351p"

static struct rg_container *task(const char *name) {
  char path[64];
  snprintf(path, sizeof path, "../swarm/%s", name); /* load() reads inspect/<name>.json */
  return load(path);
}

static struct rg_docker_swarm_services services(const char *fixture) {
  size_t len = 0;
  char *doc = rg_test_fixture(fixture, &len);
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_swarm_services_parse(doc, len, &l, err), RG_OK, "%s", err);
  free(doc);
  return l;
}

/* The services of a task container, seen with its service from services.json
 * (with_service) or without (as on a worker). */
static struct rg_service_list task_services(const char *name, bool with_service,
                                            const struct rg_model_options *opt) {
  struct rg_container *c = task(name);
  struct rg_docker_swarm_services l = services("swarm/services.json");
  const struct rg_docker_swarm_service *svc = rg_swarm_service_of(&l, c);
  cr_assert_not_null(svc, "%s: its service is in services.json", name);
  cr_assert_eq(rg_swarm_task_view(c, with_service ? svc : NULL), RG_OK);
  struct rg_service_list out = model(c, NULL, opt);
  rg_container_free(c);
  rg_docker_swarm_services_free(&l);
  return out;
}

Test(swarm_model, a_host_mode_task_is_named_after_its_service_at_the_host_address) {
  struct rg_model_options o = defaults();
  struct rg_service_list l = task_services("task-host", true, &o);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:" HOST_TASK ":80", "h16-fix-host", DEFAULT_IP, 32903, "tcp");
  cr_assert_str_eq(l.items[0].container_name, HOST_TASK);
  done(&l);
  l = task_services("task-host", false, &o); /* a worker names it the same */
  cr_assert_eq(l.n, 1);
  cr_assert_str_eq(l.items[0].name, "h16-fix-host");
  done(&l);
}

Test(swarm_model, service_name_still_wins_over_the_swarm_service) {
  struct rg_container *c = task("task-host");
  add_label(c, "SERVICE_NAME", "mine");
  struct rg_model_options o = defaults();
  struct rg_service_list l = model(c, NULL, &o);
  cr_assert_eq(l.n, 1);
  cr_assert_str_eq(l.items[0].name, "mine");
  done(&l);
  rg_container_free(c);
}

Test(swarm_model, a_task_on_the_routing_mesh_registers_nothing_itself) {
  struct rg_model_options o = defaults();
  struct rg_service_list l = task_services("task-web", true, &o);
  cr_assert_eq(l.n, 0); /* the service's once-per-node entries stand for it */
  done(&l);
}

Test(swarm_model, internal_registers_the_overlay_address_and_target_ports) {
  struct rg_model_options o = defaults();
  o.internal = true;
  struct rg_service_list l = task_services("task-web", true, &o);
  rg_service_list_sort(&l);
  cr_assert_eq(l.n, 3);
  /* networks h16-fix-back, h16-fix-net, ingress: the first by name that is not ingress */
  assert_service(&l.items[0], "host1:" WEB_TASK ":53:udp", "h16-fix-web-53", "10.0.2.5", 53, "udp");
  assert_service(&l.items[1], "host1:" WEB_TASK ":80", "h16-fix-web-80", "10.0.2.5", 80, "tcp");
  assert_service(&l.items[2], "host1:" WEB_TASK ":8080", "h16-fix-web-8080", "10.0.2.5", 8080, "tcp");
  done(&l);
  l = task_services("task-web", false, &o); /* a worker knows no target ports */
  cr_assert_eq(l.n, 0);
  done(&l);
}

Test(swarm_model, service_network_picks_the_overlay) {
  struct rg_container *c = task("task-web");
  struct rg_docker_swarm_services sl = services("swarm/services.json");
  cr_assert_eq(rg_swarm_task_view(c, rg_swarm_service_of(&sl, c)), RG_OK);
  add_label(c, "SERVICE_NETWORK", "h16-fix-net");
  struct rg_model_options o = defaults();
  o.internal = true;
  struct rg_service_list l = model(c, NULL, &o);
  cr_assert_eq(l.n, 3);
  for (size_t i = 0; i < l.n; i++) cr_assert_str_eq(l.items[i].ip, "10.0.1.5");
  done(&l);
  rg_container_free(c);
  rg_docker_swarm_services_free(&sl);
}

Test(swarm_model, precedence_is_container_label_then_service_label_then_env) {
  struct rg_model_options o = defaults();
  o.internal = true;
  struct rg_service_list l = task_services("task-web", true, &o);
  cr_assert_eq(l.n, 3);
  /* region: container label; owner: service label over env; level: env */
  assert_kv(&l.items[0].attrs, "level=env-level|owner=svc-owner|region=ctr-region");
  assert_tags(&l.items[0], "svc-tag|udp");
  done(&l);
}

static struct rg_service_list mesh(const char *fixture, const struct rg_model_options *o) {
  struct rg_docker_swarm_services sl = services(fixture);
  struct rg_service_list out = {0};
  char err[RG_ERRBUF] = "";
  reset_log();
  cr_assert_eq(rg_swarm_ingress_services(&sl, o, &test_log, &out, err), RG_OK, "%s", err);
  rg_docker_swarm_services_free(&sl);
  rg_service_list_sort(&out);
  return out;
}

Test(swarm_model, each_ingress_port_is_registered_once_for_this_node) {
  struct rg_model_options o = defaults();
  struct rg_service_list l = mesh("swarm/services.json", &o);
  cr_assert_eq(l.n, 3, "only h16-fix-web publishes on the routing mesh");
  assert_service(&l.items[0], "host1:swarm:h16-fix-web:53:udp", "h16-fix-web-53", DEFAULT_IP, 32902, "udp");
  assert_service(&l.items[1], "host1:swarm:h16-fix-web:80", "h16-fix-web-80", DEFAULT_IP, 32901, "tcp");
  assert_service(&l.items[2], "host1:swarm:h16-fix-web:8080", "h16-fix-web-8080", DEFAULT_IP, 32904, "tcp");
  for (size_t i = 0; i < l.n; i++) {
    cr_assert_str_eq(l.items[i].container_id, "swarm:pca4zs8s0ey8fag11n5yrei53");
    cr_assert_str_eq(l.items[i].container_name, "h16-fix-web");
    cr_assert(rg_swarm_is_entry(&l.items[i]));
    assert_kv(&l.items[i].attrs, "level=env-level|owner=svc-owner|region=ctr-region");
  }
  assert_tags(&l.items[0], "svc-tag|udp");
  assert_tags(&l.items[1], "svc-tag");
  done(&l);
  o.host_ip = "192.0.2.99";
  l = mesh("swarm/services.json", &o);
  for (size_t i = 0; i < l.n; i++) cr_assert_str_eq(l.items[i].ip, "192.0.2.99");
  done(&l);
  o.internal = true; /* the tasks register themselves */
  l = mesh("swarm/services.json", &o);
  cr_assert_eq(l.n, 0);
  done(&l);
}

Test(swarm_model, docker_26_tasks_and_services_give_the_same_entries) {
  struct rg_model_options o = defaults();
  struct rg_service_list l = mesh("swarm/docker26/services.json", &o);
  cr_assert_eq(l.n, 3);
  assert_service(&l.items[1], "host1:swarm:h16-fix-web:80", "h16-fix-web-80", DEFAULT_IP, 32901, "tcp");
  done(&l);
  struct rg_container *c = task("docker26/task-web");
  struct rg_docker_swarm_services sl = services("swarm/docker26/services.json");
  cr_assert_eq(rg_swarm_task_view(c, rg_swarm_service_of(&sl, c)), RG_OK);
  o.internal = true;
  l = model(c, NULL, &o);
  rg_service_list_sort(&l);
  cr_assert_eq(l.n, 3);
  assert_service(&l.items[1], "host1:h16-fix-web.1.ybxobh5ferqtyurjynwhnvlq4:80", "h16-fix-web-80",
                 "10.0.2.5", 80, "tcp");
  assert_kv(&l.items[1].attrs, "level=env-level|owner=svc-owner|region=ctr-region");
  done(&l);
  rg_container_free(c);
  c = task("docker26/task-host");
  o.internal = false;
  l = model(c, NULL, &o);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:h16-fix-host.1.i465pf7u8m9wo4znppigctdqr:80", "h16-fix-host",
                 DEFAULT_IP, 32903, "tcp");
  done(&l);
  rg_container_free(c);
  rg_docker_swarm_services_free(&sl);
}

Test(swarm_model, a_stack_service_is_registered_by_its_name) {
  struct rg_model_options o = defaults();
  struct rg_service_list l = mesh("swarm/services-stack.json", &o);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:swarm:h16-fix-stack_app:80", "h16-fix-stack_app", DEFAULT_IP, 32905, "tcp");
  assert_tags(&l.items[0], "from-stack");
  done(&l);
}

Test(swarm_model, per_port_keys_and_explicit_apply_to_the_target_port) {
  struct rg_docker_swarm_services sl = services("swarm/services.json");
  struct rg_docker_swarm_service *web = NULL;
  for (size_t i = 0; i < sl.n; i++)
    if (strcmp(sl.items[i].name, "h16-fix-web") == 0) web = &sl.items[i];
  cr_assert_eq(rg_kvlist_add(&web->labels, "SERVICE_80_NAME", "www"), RG_OK);
  cr_assert_eq(rg_kvlist_add(&web->labels, "SERVICE_53_IGNORE", "1"), RG_OK);
  struct rg_model_options o = defaults();
  o.explicit_ = true;
  struct rg_service_list out = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_swarm_ingress_services(&sl, &o, &test_log, &out, err), RG_OK, "%s", err);
  cr_assert_eq(out.n, 1);
  assert_service(&out.items[0], "host1:swarm:h16-fix-web:80", "www", DEFAULT_IP, 32901, "tcp");
  done(&out);
  rg_docker_swarm_services_free(&sl);
}

Test(swarm_model, a_target_published_twice_registers_the_first) {
  const char *doc = "[{\"ID\":\"s1\",\"Spec\":{\"Name\":\"two\"},\"Endpoint\":{\"Ports\":["
                    "{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":9001,\"PublishMode\":\"ingress\"},"
                    "{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":9002,\"PublishMode\":\"ingress\"},"
                    "{\"Protocol\":\"tcp\",\"TargetPort\":81,\"PublishedPort\":0}]}}]";
  struct rg_docker_swarm_services sl = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_swarm_services_parse(doc, strlen(doc), &sl, err), RG_OK, "%s", err);
  struct rg_model_options o = defaults();
  struct rg_service_list out = {0};
  reset_log();
  cr_assert_eq(rg_swarm_ingress_services(&sl, &o, &test_log, &out, err), RG_OK, "%s", err);
  cr_assert_eq(out.n, 1);
  assert_service(&out.items[0], "host1:swarm:two:80", "two", DEFAULT_IP, 9001, "tcp");
  cr_assert(log_has("info", "several host ports; registering 9001"), "%s", logged.data);
  done(&out);
  rg_docker_swarm_services_free(&sl);
}

Test(swarm_model, replace_swaps_only_the_routing_mesh_entries) {
  struct rg_model_options o = defaults();
  struct rg_service_list desired = model_of("published-single", &o);
  struct rg_service_list old = mesh("swarm/services.json", &o);
  for (size_t i = 0; i < old.n; i++) cr_assert_eq(rg_service_list_upsert(&desired, &old.items[i]), RG_OK);
  rg_service_list_sort(&desired);
  cr_assert_eq(desired.n, 4);
  struct rg_service_list fresh = mesh("swarm/services-stack.json", &o);
  bool changed = false;
  cr_assert_eq(rg_swarm_replace(&desired, &fresh, &changed), RG_OK);
  cr_assert(changed);
  cr_assert_eq(desired.n, 2);
  cr_assert_eq(rg_swarm_replace(&desired, &fresh, &changed), RG_OK);
  cr_assert(!changed, "the same entries again change nothing");
  cr_assert_eq(desired.n, 2);
  cr_assert_not_null(rg_service_list_find(&desired, "host1:swarm:h16-fix-stack_app:80"));
  cr_assert_null(rg_service_list_find(&desired, "host1:swarm:h16-fix-web:80"));
  cr_assert(!rg_swarm_is_entry(&desired.items[0]) || !rg_swarm_is_entry(&desired.items[1]));
  struct rg_service_list none = {0};
  cr_assert_eq(rg_swarm_replace(&desired, &none, &changed), RG_OK); /* swarm off, service rm */
  cr_assert(changed);
  cr_assert_eq(desired.n, 1);
  cr_assert(!rg_swarm_is_entry(&desired.items[0]));
  rg_service_list_free(&old);
  rg_service_list_free(&fresh);
  done(&desired);
}

Test(swarm_model, a_changed_service_label_asks_for_the_tasks_again) {
  struct rg_docker_swarm_services a = services("swarm/services.json");
  struct rg_docker_swarm_services b = services("swarm/services.json");
  struct rg_docker_swarm_services stack = services("swarm/services-stack.json");
  cr_assert(!rg_swarm_labels_changed(&a, &b));
  cr_assert(!rg_swarm_labels_changed(&a, &stack), "a new service's tasks are read when they start");
  cr_assert(!rg_swarm_labels_changed(&(struct rg_docker_swarm_services){0}, &a));
  struct rg_docker_swarm_service *quiet = &b.items[0];
  cr_assert_str_eq(quiet->name, "h16-fix-quiet");
  cr_assert_eq(rg_kvlist_add(&quiet->labels, "other.label", "x"), RG_OK);
  cr_assert(!rg_swarm_labels_changed(&a, &b), "only SERVICE_* labels count");
  cr_assert_eq(rg_kvlist_add(&quiet->labels, "SERVICE_TAGS", "new"), RG_OK);
  cr_assert(rg_swarm_labels_changed(&a, &b));
  cr_assert(rg_swarm_labels_changed(&b, &a), "a removed label counts too");
  rg_docker_swarm_services_free(&a);
  rg_docker_swarm_services_free(&b);
  rg_docker_swarm_services_free(&stack);
}

static int count_service_events(void *ud, const struct rg_event *ev) {
  size_t *n = ud;
  if (rg_swarm_event_changes_services(ev)) n[0]++;
  n[1]++;
  return 0;
}

Test(swarm_model, recorded_service_events_change_the_services_and_container_events_do_not) {
  size_t len = 0, n[2] = {0, 0};
  char *doc = rg_test_fixture("swarm/events-service.jsonl", &len);
  struct rg_event_parser *p = NULL;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_event_parser_new(&p, RG_EVENT_MAX_LINE, count_service_events, n), RG_OK);
  cr_assert_eq(rg_event_parser_feed(p, doc, len, err), RG_OK, "%s", err);
  cr_assert_eq(n[1], 13);
  cr_assert_eq(n[0], 13);
  free(doc);
  doc = rg_test_fixture("events/container-lifecycle.jsonl", &len);
  n[0] = n[1] = 0;
  rg_event_parser_reset(p);
  cr_assert_eq(rg_event_parser_feed(p, doc, len, err), RG_OK, "%s", err);
  cr_assert_gt(n[1], 0);
  cr_assert_eq(n[0], 0);
  free(doc);
  rg_event_parser_free(p);
}

Test(swarm_model, service_events_are_asked_for_only_in_a_swarm) {
  struct rg_swarm sw = {0};
  cr_assert_str_eq(rg_swarm_events_filter(NULL), RG_DOCKER_EVENTS_FILTER);
  cr_assert_str_eq(rg_swarm_events_filter(&sw), RG_DOCKER_EVENTS_FILTER);
  sw.role = RG_DOCKER_SWARM_WORKER;
  cr_assert_str_eq(rg_swarm_events_filter(&sw), RG_DOCKER_EVENTS_FILTER_SWARM);
  sw.role = RG_DOCKER_SWARM_MANAGER;
  cr_assert(strstr(rg_swarm_events_filter(&sw), "\"service\""));
  cr_assert(strstr(rg_swarm_events_filter(&sw), "\"remove\""));
  rg_swarm_free(&sw);
  rg_swarm_free(NULL);
}

/* ---- the collector's swarm calls (registrator/collect.c) ---- */

Test(swarm_model, off_a_swarm_collecting_makes_no_request) {
  /* a socket nobody listens on: any request would fail */
  struct rg_docker *d = open_ok("unix:///nonexistent/h16-docker.sock");
  struct rg_swarm sw = {0};
  struct rg_model_options o = defaults();
  struct rg_service_list out = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_collect_swarm(&sw, d, &o, &test_log, &out, err), RG_OK, "%s", err);
  cr_assert_eq(out.n, 0);
  sw.role = RG_DOCKER_SWARM_WORKER; /* a worker: said once, no request either */
  reset_log();
  cr_assert_eq(rg_collect_swarm(&sw, d, &o, &test_log, &out, err), RG_OK, "%s", err);
  cr_assert(log_has("info", "is a swarm worker"), "%s", logged.data);
  reset_log();
  cr_assert_eq(rg_collect_swarm(&sw, d, &o, &test_log, &out, err), RG_OK, "%s", err);
  cr_assert(!log_has("info", "swarm worker"), "logged twice: %s", logged.data);
  cr_assert_eq(out.n, 0);
  rg_docker_close(d);
  rg_swarm_free(&sw);
  reset_log();
}

#define PING_AS(v) "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nSwarm: " v "\r\nContent-Length: 2\r\n\r\nOK"

/* A fake engine whose ping says ping_swarm and whose GET /services answers
 * status with the fixture; the caller ends it with engine_stop. */
struct engine {
  char *body, *resp;
  struct route r[2];
  struct server s;
  struct rg_docker *d;
};

static void engine_start(struct engine *e, const char *ping, const char *status, const char *fixture) {
  size_t len = 0;
  e->body = rg_test_fixture(fixture, &len);
  e->resp = http(status, "application/json", e->body);
  e->r[0] = (struct route){"/_ping", ping, 0};
  e->r[1] = (struct route){"/v1.41/services", e->resp, 0};
  e->s = serve(0, e->r, 2);
  e->d = open_ok(e->s.host);
  reset_log();
}

static void engine_stop(struct engine *e) {
  rg_docker_close(e->d);
  stop_server(&e->s);
  free(e->resp);
  free(e->body);
  reset_log();
}

Test(swarm_model, a_manager_gets_its_routing_mesh_entries) {
  struct engine e;
  engine_start(&e, PING_AS("active/manager"), "200 OK", "swarm/services.json");
  struct rg_swarm sw = {0};
  struct rg_model_options o = defaults();
  struct rg_service_list out = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_collect_swarm_detect(&sw, e.d, &test_log, err), RG_OK, "%s", err);
  cr_assert_eq(sw.role, RG_DOCKER_SWARM_MANAGER);
  cr_assert(log_has("info", "is a swarm manager"), "%s", logged.data);
  cr_assert_eq(rg_collect_swarm(&sw, e.d, &o, &test_log, &out, err), RG_OK, "%s", err);
  cr_assert_eq(out.n, 3);
  cr_assert_eq(sw.services.n, 3, "kept for the task containers");
  rg_service_list_free(&out);
  rg_swarm_free(&sw);
  engine_stop(&e);
}

Test(swarm_model, a_manager_that_refuses_the_list_is_asked_its_role_again) {
  struct engine e;
  engine_start(&e, PING_AS("active/worker"), "503 Service Unavailable", "swarm/services-inactive.txt");
  struct rg_swarm sw = {.role = RG_DOCKER_SWARM_MANAGER};
  struct rg_model_options o = defaults();
  struct rg_service_list out = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_collect_swarm(&sw, e.d, &o, &test_log, &out, err), RG_OK, "%s", err);
  cr_assert_eq(sw.role, RG_DOCKER_SWARM_WORKER);
  cr_assert_eq(out.n, 0);
  cr_assert(log_has("info", "not a swarm manager"), "%s", logged.data);
  cr_assert(log_has("info", "is a swarm worker"), "%s", logged.data);
  rg_swarm_free(&sw);
  engine_stop(&e);
}
