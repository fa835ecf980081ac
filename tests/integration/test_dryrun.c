/* `registrator resync --dry-run` against real containers on the real dockerd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "tests/integration/itest.h"

#define IMG "local/busybox"
#define HTTPD "httpd -f -p 80"

/* The services the dry run prints for one container, as parsed JSON. */
struct svcs {
  yajl_val items[16];
  size_t n;
};

static void svcs_free(struct svcs *s) {
  for (size_t i = 0; i < s->n; i++) yajl_tree_free(s->items[i]);
  s->n = 0;
}

static const char *str(yajl_val v, const char *key) {
  const char *path[] = {key, NULL};
  yajl_val x = yajl_tree_get(v, path, yajl_t_string);
  return x ? YAJL_GET_STRING(x) : NULL;
}

static long long num(yajl_val v, const char *key) {
  const char *path[] = {key, NULL};
  yajl_val x = yajl_tree_get(v, path, yajl_t_number);
  cr_assert_not_null(x, "no number field %s", key);
  return YAJL_GET_INTEGER(x);
}

static const char *attr(yajl_val v, const char *key) {
  const char *path[] = {"attrs", key, NULL};
  yajl_val x = yajl_tree_get(v, path, yajl_t_string);
  return x ? YAJL_GET_STRING(x) : NULL;
}

/* The tags of a service joined with ','. Static buffer. */
static const char *tags(yajl_val v) {
  static char buf[512];
  const char *path[] = {"tags", NULL};
  yajl_val a = yajl_tree_get(v, path, yajl_t_array);
  cr_assert_not_null(a);
  buf[0] = '\0';
  for (size_t i = 0; i < a->u.array.len; i++) {
    if (i) strncat(buf, ",", sizeof buf - strlen(buf) - 1);
    const char *t = YAJL_GET_STRING(a->u.array.values[i]);
    cr_assert_not_null(t, "a tag is not a string");
    strncat(buf, t, sizeof buf - strlen(buf) - 1);
  }
  return buf;
}

/* Runs the dry run with extra options and keeps the lines of `container`.
 * Also checks the output is sorted by id and has exactly the nine fields. */
static void dry_run(struct svcs *out, const char *opts, const char *container) {
  int st;
  char *o = it_sh(&st, "%s resync --dry-run -hostname testhost %s", it_bin(), opts);
  cr_assert_eq(st, 0, "dry run failed with %d: %s", st, o);
  out->n = 0;
  char prev[512] = "";
  for (char *line = strtok(o, "\n"); line; line = strtok(NULL, "\n")) {
    char eb[256];
    yajl_val v = yajl_tree_parse(line, eb, sizeof eb);
    cr_assert_not_null(v, "not JSON: %s (%s)", line, eb);
    cr_assert(YAJL_IS_OBJECT(v));
    cr_assert_eq(v->u.object.len, 9, "want exactly 9 fields: %s", line);
    const char *id = str(v, "id");
    cr_assert(strcmp(prev, id) <= 0, "not sorted by id: %s after %s", id, prev);
    snprintf(prev, sizeof prev, "%s", id);
    if (strcmp(str(v, "container_name"), container) == 0 && out->n < 16)
      out->items[out->n++] = v;
    else
      yajl_tree_free(v);
  }
  free(o);
}

/* The host port docker chose for a container port ("80/tcp"). */
static long host_port(const char *name, const char *port) {
  char *o = it_sh_ok("docker port %s %s | head -n1 | sed 's/.*://'", name, port);
  long p = strtol(o, NULL, 10);
  free(o);
  cr_assert_gt(p, 0);
  return p;
}

static char *full_id(const char *name) {
  char *o = it_sh_ok("docker inspect -f '{{.Id}}' %s", name);
  o[strcspn(o, "\n")] = '\0';
  return o;
}

static void run(const char *name, const char *args) {
  free(it_sh_ok("docker run -d --name %s %s >/dev/null", name, args));
}

IT_SUITE(dryrun);

Test(dryrun, published_port_becomes_one_service_with_every_field) {
  const char *n = it_name("rgt-dry-web");
  run(n, "-p 127.0.0.1::80 -l SERVICE_NAME=web -l SERVICE_TAGS=a,b -l SERVICE_REGION=eu " IMG
         " " HTTPD);
  long port = host_port(n, "80/tcp");
  char *id = full_id(n);
  struct svcs s;
  dry_run(&s, "", n);
  cr_assert_eq(s.n, 1);
  char want_id[256];
  snprintf(want_id, sizeof want_id, "testhost:%s:80", n);
  cr_expect_str_eq(str(s.items[0], "id"), want_id);
  cr_expect_str_eq(str(s.items[0], "name"), "web");
  cr_expect_str_eq(str(s.items[0], "ip"), "127.0.0.1");
  cr_expect_eq(num(s.items[0], "port"), port);
  cr_expect_str_eq(str(s.items[0], "proto"), "tcp");
  cr_expect_str_eq(tags(s.items[0]), "a,b");
  cr_expect_str_eq(attr(s.items[0], "region"), "eu");
  cr_expect_str_eq(str(s.items[0], "container_id"), id);
  free(id);
  svcs_free(&s);
  it_docker_rm(n);
}

Test(dryrun, all_address_binding_is_one_service_on_the_ip_given) {
  const char *n = it_name("rgt-dry-any");
  run(n, "-p 80 " IMG " " HTTPD); /* 0.0.0.0 and :: */
  long port = host_port(n, "80/tcp");
  struct svcs s;
  dry_run(&s, "-ip 192.0.2.77", n);
  cr_assert_eq(s.n, 1, "0.0.0.0 and :: bindings must collapse into one service");
  cr_expect_str_eq(str(s.items[0], "ip"), "192.0.2.77");
  cr_expect_eq(num(s.items[0], "port"), port);
  cr_expect_str_eq(str(s.items[0], "name"), "busybox");
  svcs_free(&s);
  it_docker_rm(n);
}

Test(dryrun, all_address_binding_without_ip_uses_the_default_route_address) {
  const char *n = it_name("rgt-dry-defip");
  run(n, "-p 80 " IMG " " HTTPD);
  char *want = it_sh_ok("ip -4 -o addr show dev \"$(ip -4 route show default | awk '{print $5; "
                        "exit}')\" | awk '{split($4,a,\"/\"); print a[1]; exit}'");
  want[strcspn(want, "\n")] = '\0';
  struct svcs s;
  dry_run(&s, "", n);
  cr_assert_eq(s.n, 1);
  cr_expect_str_eq(str(s.items[0], "ip"), want);
  free(want);
  svcs_free(&s);
  it_docker_rm(n);
}

Test(dryrun, several_ports_get_port_suffixes_and_udp_is_distinct) {
  const char *n = it_name("rgt-dry-multi");
  run(n, "-p 127.0.0.1::80 -p 127.0.0.1::81 -p 127.0.0.1::53/udp " IMG " " HTTPD);
  struct svcs s;
  dry_run(&s, "-tags x", n);
  cr_assert_eq(s.n, 3);
  /* sorted by id: ...:53:udp, ...:80, ...:81 */
  cr_expect_str_eq(str(s.items[0], "name"), "busybox-53");
  cr_expect_str_eq(str(s.items[0], "proto"), "udp");
  cr_expect(strstr(str(s.items[0], "id"), ":53:udp") != NULL, "%s", str(s.items[0], "id"));
  cr_expect_str_eq(tags(s.items[0]), "x,udp");
  cr_expect_eq(num(s.items[0], "port"), host_port(n, "53/udp"));
  cr_expect_str_eq(str(s.items[1], "name"), "busybox-80");
  cr_expect_str_eq(tags(s.items[1]), "x");
  cr_expect_str_eq(str(s.items[2], "name"), "busybox-81");
  svcs_free(&s);
  it_docker_rm(n);
}

Test(dryrun, label_beats_env_and_per_port_beats_global) {
  const char *n = it_name("rgt-dry-meta");
  run(n, "-p 127.0.0.1::80 -p 127.0.0.1::81 -e SERVICE_NAME=fromenv -l SERVICE_NAME=fromlabel "
         "-e SERVICE_81_NAME=admin -l 'SERVICE_TAGS=x\\,y,z' -e SERVICE_81_ID=custom-id " IMG
         " " HTTPD);
  struct svcs s;
  dry_run(&s, "", n);
  cr_assert_eq(s.n, 2);
  /* sorted by id: "custom-id" < "testhost:..." */
  cr_expect_str_eq(str(s.items[0], "id"), "custom-id");
  cr_expect_str_eq(str(s.items[0], "name"), "admin");
  cr_expect_str_eq(str(s.items[1], "name"), "fromlabel-80");
  cr_expect_str_eq(tags(s.items[1]), "x,y,z");
  svcs_free(&s);
  it_docker_rm(n);
}

Test(dryrun, ignore_and_explicit_drop_ports) {
  const char *a = it_name("rgt-dry-ign");
  const char *b = it_name("rgt-dry-expl");
  run(a, "-p 127.0.0.1::80 -p 127.0.0.1::81 -l SERVICE_80_IGNORE=1 " IMG " " HTTPD);
  run(b, "-p 127.0.0.1::80 -p 127.0.0.1::81 -l SERVICE_81_NAME=named " IMG " " HTTPD);
  struct svcs s;
  dry_run(&s, "", a);
  cr_assert_eq(s.n, 1);
  cr_expect(strstr(str(s.items[0], "id"), ":81") != NULL);
  svcs_free(&s);
  dry_run(&s, "-explicit", b);
  cr_assert_eq(s.n, 1);
  cr_expect_str_eq(str(s.items[0], "name"), "named");
  svcs_free(&s);
  it_docker_rm(a);
  it_docker_rm(b);
}

Test(dryrun, internal_uses_container_ip_and_exposed_port) {
  const char *n = it_name("rgt-dry-int");
  run(n, "--expose 9000 -p 127.0.0.1::80 " IMG " " HTTPD);
  /* its one network: "bridge" on Docker, "podman" on Podman */
  char *ip = it_sh_ok("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' %s",
                      n);
  ip[strcspn(ip, "\n")] = '\0';
  struct svcs s;
  dry_run(&s, "-internal", n);
  cr_assert_eq(s.n, 2);
  cr_expect_str_eq(str(s.items[0], "ip"), ip);
  cr_expect_eq(num(s.items[0], "port"), 80);
  cr_expect_eq(num(s.items[1], "port"), 9000);
  svcs_free(&s);
  dry_run(&s, "", n);
  cr_expect_eq(s.n, 1, "without -internal an exposed-only port is skipped");
  svcs_free(&s);
  free(ip);
  it_docker_rm(n);
}

Test(dryrun, host_network_registers_exposed_ports_as_published) {
  IT_SKIP_ON_PODMAN("Podman 4.3 drops --expose in host network mode (Config.ExposedPorts is null)");
  const char *n = it_name("rgt-dry-host");
  run(n, "--net host --expose 18089 " IMG " sleep 600");
  struct svcs s;
  dry_run(&s, "-ip 192.0.2.9", n);
  cr_assert_eq(s.n, 1);
  cr_expect_eq(num(s.items[0], "port"), 18089);
  cr_expect_str_eq(str(s.items[0], "ip"), "192.0.2.9");
  svcs_free(&s);
  it_docker_rm(n);
}

Test(dryrun, service_network_label_picks_the_network) {
  const char *net1 = it_name("rgt-dry-neta");
  const char *net2 = it_name("rgt-dry-netb");
  char n1[128], n2[128];
  snprintf(n1, sizeof n1, "%s", net1);
  snprintf(n2, sizeof n2, "%s", net2);
  free(it_sh_ok("docker network create %s >/dev/null && docker network create %s >/dev/null", n1,
                n2));
  const char *n = it_name("rgt-dry-nets");
  char lbl[512];
  snprintf(lbl, sizeof lbl, "--net %s -l SERVICE_NETWORK=%s --expose 80 " IMG " sleep 600", n1, n2);
  run(n, lbl);
  free(it_sh_ok("docker network connect %s %s", n2, n));
  char *ip = it_sh_ok("docker inspect -f '{{(index .NetworkSettings.Networks \"%s\").IPAddress}}' %s",
                      n2, n);
  ip[strcspn(ip, "\n")] = '\0';
  struct svcs s;
  dry_run(&s, "-internal", n);
  cr_assert_eq(s.n, 1);
  cr_expect_str_eq(str(s.items[0], "ip"), ip);
  svcs_free(&s);
  free(ip);
  it_docker_rm(n);
  free(it_sh(NULL, "docker network rm %s %s >/dev/null 2>&1", n1, n2));
}

Test(dryrun, no_docker_names_the_socket) {
  int st;
  char *o = it_sh(&st, "DOCKER_HOST=unix:///tmp/rgt-no-such.sock %s resync --dry-run 2>&1",
                  it_bin());
  cr_expect_neq(st, 0);
  cr_expect(strstr(o, "/tmp/rgt-no-such.sock") != NULL, "%s", o);
  free(o);
}

Test(dryrun, usage_errors_exit_2_with_a_message) {
  static const char *const cases[][2] = {
      {"", "missing registry URI"},
      {"-ttl 10 -ttl-refresh 20 etcd://127.0.0.1:2379/x", "-ttl"},
      {"-deregister never etcd://127.0.0.1:2379/x", "never"},
      {"nosuch://127.0.0.1/x", "nosuch"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int st;
    char *o = it_sh(&st, "%s %s 2>&1", it_bin(), cases[i][0]);
    cr_expect_eq(st, 2, "'%s' exit %d", cases[i][0], st);
    cr_expect(strstr(o, cases[i][1]) != NULL, "'%s': %s", cases[i][0], o);
    free(o);
  }
  char *o = it_sh_ok("%s --help", it_bin());
  cr_expect(strstr(o, "Usage:") != NULL);
  free(o);
}
