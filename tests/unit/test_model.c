/* test_model.c - registrator/model.c (and metadata.c): every rule of
 * README "From containers to services" and its "SERVICE_* reference",
 * on documents recorded from dockerd (tests/fixtures/inspect) and small
 * variants of them made here. */
#include <stdio.h>
#include <string.h>

#include "tests/unit/model_util.h"

RG_SUITE(model);

/* ---- ports and addresses ---- */

Test(model, published_port_registers_the_binding_address_and_host_port) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("published-single", &opt);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:rgt-fix-published-single:80", "busybox", "127.0.0.1", 38080,
                 "tcp");
  cr_assert_str_eq(l.items[0].exposed_port, "80");
  cr_assert_str_eq(l.items[0].container_name, "rgt-fix-published-single");
  cr_assert_str_eq(l.items[0].container_id,
                   "18a978b28cdf76b0bdc017b3dcda0ced07cda1cd4c9483764304a0f6425b6995");
  assert_tags(&l.items[0], "");
  assert_kv(&l.items[0].attrs, "");
  assert_kv(&l.items[0].checks, "");
  done(&l);
}

Test(model, wildcard_port_listed_for_ipv4_and_ipv6_registers_once_at_the_host_address) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("published-dual", &opt);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:rgt-fix-published-dual:80", "busybox", DEFAULT_IP, 38081,
                 "tcp");
  done(&l);
}

Test(model, ip_option_overrides_wildcard_and_specific_binding_addresses) {
  struct rg_model_options opt = defaults();
  opt.host_ip = "203.0.113.5";
  struct rg_service_list l = model_of("published-dual", &opt);
  cr_assert_eq(l.n, 1);
  cr_assert_str_eq(l.items[0].ip, "203.0.113.5");
  done(&l);
  l = model_of("published-single", &opt);
  cr_assert_str_eq(l.items[0].ip, "203.0.113.5");
  cr_assert_eq(l.items[0].port, 38080);
  done(&l);
}

Test(model, wildcard_port_without_any_host_address_is_skipped_with_a_warning) {
  struct rg_model_options opt = defaults();
  opt.default_ip = NULL;
  struct rg_service_list l = model_of("published-dual", &opt);
  cr_assert_eq(l.n, 0);
  cr_assert(log_has("warn", "rgt-fix-published-dual"), "%s", logged.data);
  cr_assert(log_has("warn", "no address"), "%s", logged.data);
  done(&l);
  l = model_of("published-single", &opt); /* a specific address needs no host address */
  cr_assert_eq(l.n, 1);
  done(&l);
}

Test(model, exposed_only_port_is_skipped_without_internal) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("exposed-only", &opt);
  cr_assert_eq(l.n, 0);
  cr_assert(log_has("debug", "9000/tcp is not published"), "%s", logged.data);
  done(&l);
}

Test(model, several_ports_get_the_exposed_port_appended_to_the_name) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("multi-port", &opt);
  cr_assert_eq(l.n, 2, "9000 is exposed only");
  assert_service(&l.items[0], "host1:rgt-fix-multi-port:80", "busybox-80", DEFAULT_IP, 38082,
                 "tcp");
  assert_service(&l.items[1], "host1:rgt-fix-multi-port:443", "busybox-443", DEFAULT_IP, 38083,
                 "tcp");
  done(&l);
}

Test(model, internal_registers_container_ip_and_exposed_port_including_exposed_only_ones) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  opt.host_ip = "203.0.113.5"; /* no effect with -internal */
  struct rg_service_list l = model_of("multi-port", &opt);
  cr_assert_eq(l.n, 3);
  assert_service(&l.items[0], "host1:rgt-fix-multi-port:80", "busybox-80", "172.17.0.4", 80, "tcp");
  assert_service(&l.items[1], "host1:rgt-fix-multi-port:443", "busybox-443", "172.17.0.4", 443,
                 "tcp");
  assert_service(&l.items[2], "host1:rgt-fix-multi-port:9000", "busybox-9000", "172.17.0.4", 9000,
                 "tcp");
  done(&l);
}

Test(model, udp_port_gets_the_udp_id_suffix_and_tag) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("udp", &opt);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:rgt-fix-udp:53:udp", "busybox", DEFAULT_IP, 38084, "udp");
  assert_tags(&l.items[0], "udp");
  done(&l);
}

Test(model, same_port_over_tcp_and_udp_gives_two_distinct_services) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("tcp-udp", &opt);
  cr_assert_eq(l.n, 2);
  assert_service(&l.items[0], "host1:rgt-fix-tcp-udp:53", "busybox-53", DEFAULT_IP, 38085, "tcp");
  assert_tags(&l.items[0], "");
  assert_service(&l.items[1], "host1:rgt-fix-tcp-udp:53:udp", "busybox-53", DEFAULT_IP, 38085,
                 "udp");
  assert_tags(&l.items[1], "udp");
  done(&l);
}

Test(model, per_port_key_applies_to_tcp_and_udp_of_that_port) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("tcp-udp");
  add_label(c, "SERVICE_53_NAME", "dns");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 2);
  cr_assert_str_eq(l.items[0].name, "dns", "a per-port name gets no suffix");
  cr_assert_str_eq(l.items[1].name, "dns");
  cr_assert_str_eq(l.items[1].id, "host1:rgt-fix-tcp-udp:53:udp");
  done(&l);
  rg_container_free(c);
}

Test(model, port_published_on_several_host_ports_registers_the_first) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("published-dual");
  struct rg_port *p = &c->ports[0];
  struct rg_port_binding *b = realloc(p->bindings, 4 * sizeof *b);
  cr_assert_not_null(b);
  p->bindings = b;
  /* as `-p [::]:9001:80 -p 9000:80` lists them: IPv6 first for 9001 */
  b[2] = (struct rg_port_binding){rg_strdup("::"), rg_strdup("9001")};
  b[3] = (struct rg_port_binding){rg_strdup("0.0.0.0"), rg_strdup("9000")};
  set_str(&b[0].host_ip, "::");
  set_str(&b[1].host_ip, "10.1.1.1");
  p->nbindings = 4;
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 1);
  cr_assert_eq(l.items[0].port, 38081);
  cr_assert_str_eq(l.items[0].ip, "10.1.1.1", "IPv4 preferred within a host port");
  cr_assert(log_has("info", "has several host ports; registering 38081"), "%s", logged.data);
  done(&l);
  rg_container_free(c);
}

Test(model, ipv6_only_binding_keeps_the_literal_address_without_brackets) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("ipv6-binding", &opt);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:rgt-fix-ipv6-binding:80", "busybox", "::1", 38099, "tcp");
  done(&l);
  struct rg_container *c = load("ipv6-binding");
  set_str(&c->ports[0].bindings[0].host_ip, "::");
  l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].ip, DEFAULT_IP, ":: alone is a wildcard too");
  done(&l);
  rg_container_free(c);
}

Test(model, bad_host_port_is_skipped_with_a_warning) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("multi-port");
  set_str(&c->ports[0].bindings[0].host_port, "80x");
  set_str(&c->ports[0].bindings[1].host_port, "80x");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 1);
  cr_assert_str_eq(l.items[0].name, "busybox-443");
  cr_assert(log_has("warn", "bad port \"80x\""), "%s", logged.data);
  done(&l);
  rg_container_free(c);
}

/* ---- network modes ---- */

Test(model, host_network_registers_exposed_ports_as_published_on_the_same_port) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("host", &opt);
  cr_assert_eq(l.n, 2);
  assert_service(&l.items[0], "host1:rgt-fix-host:38093", "busybox-38093", DEFAULT_IP, 38093,
                 "tcp");
  assert_service(&l.items[1], "host1:rgt-fix-host:38094:udp", "busybox-38094", DEFAULT_IP, 38094,
                 "udp");
  done(&l);
  opt.host_ip = "203.0.113.5";
  opt.internal = true;
  l = model_of("host", &opt);
  cr_assert_eq(l.n, 2);
  cr_assert_str_eq(l.items[0].ip, "203.0.113.5", "with -internal the container IP is the host's");
  cr_assert_eq(l.items[0].port, 38093);
  done(&l);
}

Test(model, none_network_registers_nothing) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("none", &opt);
  cr_assert_eq(l.n, 0);
  done(&l);
  opt.internal = true;
  l = model_of("none", &opt);
  cr_assert_eq(l.n, 0);
  cr_assert(log_has("warn", "no container IP"), "%s", logged.data);
  done(&l);
}

Test(model, container_network_mode_takes_the_peer_container_ip) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_container *c = load("container-mode"), *peer = load("container-peer");
  struct rg_service_list l = model(c, peer, &opt);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:rgt-fix-sidecar:9100", "sidecar", "172.17.0.12", 9100, "tcp");
  done(&l);
  l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 0);
  cr_assert(log_has("warn", "was not inspected"), "%s", logged.data);
  done(&l);
  opt.internal = false; /* no bindings of its own */
  l = model(c, peer, &opt);
  cr_assert_eq(l.n, 0);
  done(&l);
  rg_container_free(c);
  rg_container_free(peer);
}

Test(model, several_networks_without_bridge_use_the_first_by_name) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_service_list l = model_of("two-networks", &opt);
  cr_assert_eq(l.n, 1);
  cr_assert_str_eq(l.items[0].ip, "172.19.0.2", "rgt-fix-net-a sorts first");
  done(&l);
}

Test(model, bridge_network_is_preferred_among_several) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_service_list l = model_of("bridge-plus", &opt);
  cr_assert_str_eq(l.items[0].ip, "172.17.0.13");
  done(&l);
}

Test(model, service_network_label_or_env_chooses_the_network) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_container *c = load("two-networks");
  cr_assert_eq(rg_kvlist_add(&c->env, "SERVICE_NETWORK", "rgt-fix-net-b"), RG_OK);
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].ip, "172.18.0.2");
  assert_kv(&l.items[0].attrs, "network=rgt-fix-net-b");
  done(&l);
  rg_container_free(c);
  c = load("bridge-plus");
  add_label(c, "SERVICE_NETWORK", "rgt-fix-net-a");
  l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].ip, "172.19.0.3", "beats bridge");
  done(&l);
  rg_container_free(c);
}

Test(model, service_network_naming_an_unknown_network_falls_back_with_a_warning) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_container *c = load("bridge-plus");
  add_label(c, "SERVICE_NETWORK", "nope");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].ip, "172.17.0.13");
  cr_assert(log_has("warn", "SERVICE_NETWORK=nope: no such network"), "%s", logged.data);
  done(&l);
  rg_container_free(c);
}

Test(model, ipv4_address_is_preferred_on_a_dual_stack_network) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_service_list l = model_of("ipv6", &opt);
  cr_assert_str_eq(l.items[0].ip, "172.20.0.2");
  done(&l);
}

Test(model, global_ipv6_address_is_used_when_the_network_has_no_ipv4) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_container *c = load("ipv6");
  set_str(&c->networks[0].ip, "");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].ip, "fd00:5eed:1::2");
  done(&l);
  rg_container_free(c);
}

Test(model, top_level_ip_address_is_the_last_resort_for_the_container_ip) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_container *c = load("published-single");
  set_str(&c->networks[0].ip, "");
  set_str(&c->ip, "172.17.9.9");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].ip, "172.17.9.9");
  done(&l);
  rg_container_free(c);
}

Test(model, use_ip_from_label_beats_ip_and_internal_and_drops_the_cidr_suffix) {
  struct rg_model_options opt = defaults();
  opt.use_ip_from_label = "com.example.ip";
  opt.host_ip = "203.0.113.5";
  struct rg_container *c = load("multi-port");
  add_label(c, "com.example.ip", "10.9.8.7/24");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 2);
  assert_service(&l.items[0], "host1:rgt-fix-multi-port:80", "busybox-80", "10.9.8.7", 38082,
                 "tcp");
  done(&l);
  opt.internal = true;
  l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 3);
  assert_service(&l.items[2], "host1:rgt-fix-multi-port:9000", "busybox-9000", "10.9.8.7", 9000,
                 "tcp");
  done(&l);
  rg_container_free(c);
}

Test(model, use_ip_from_label_missing_keeps_the_other_rules_with_a_warning) {
  struct rg_model_options opt = defaults();
  opt.use_ip_from_label = "com.example.ip";
  struct rg_service_list l = model_of("published-single", &opt);
  cr_assert_str_eq(l.items[0].ip, "127.0.0.1");
  cr_assert(log_has("warn", "label com.example.ip is missing"), "%s", logged.data);
  done(&l);
}

/* ---- SERVICE_* metadata ---- */

Test(model, metadata_from_env_and_labels_with_per_port_keys) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("metadata", &opt);
  cr_assert_eq(l.n, 3);
  /* 80: SERVICE_80_NAME (label), SERVICE_80_TAGS (env) beat the globals */
  assert_service(&l.items[0], "host1:rgt-fix-metadata:80", "www", DEFAULT_IP, 38086, "tcp");
  assert_tags(&l.items[0], "a,b|c|a");
  assert_kv(&l.items[0].attrs, "owner=team-env|region=eu-west|version=2");
  assert_kv(&l.items[0].checks, "check_http=/health|check_interval=15s");
  /* 443: SERVICE_443_ID and SERVICE_443_NAME */
  assert_service(&l.items[1], "shop-tls-1", "shop-tls", DEFAULT_IP, 38087, "tcp");
  assert_tags(&l.items[1], "env1|env2");
  /* 8080: the global name (label beats env) with the port suffix */
  assert_service(&l.items[2], "host1:rgt-fix-metadata:8080", "shop-8080", DEFAULT_IP, 38088, "tcp");
  assert_kv(&l.items[2].attrs, "owner=team-env|region=us|version=2");
  done(&l);
}

Test(model, label_beats_env_for_the_same_key) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("published-single");
  cr_assert_eq(rg_kvlist_add(&c->env, "SERVICE_NAME", "from-env"), RG_OK);
  cr_assert_eq(rg_kvlist_add(&c->env, "SERVICE_ZONE", "env-zone"), RG_OK);
  add_label(c, "SERVICE_NAME", "from-label");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].name, "from-label");
  assert_kv(&l.items[0].attrs, "zone=env-zone");
  done(&l);
  rg_container_free(c);
}

Test(model, per_port_key_beats_the_global_key_whatever_the_order) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("published-single");
  add_label(c, "SERVICE_80_REGION", "port");
  cr_assert_eq(rg_kvlist_add(&c->env, "SERVICE_REGION", "env-global"), RG_OK);
  add_label(c, "SERVICE_REGION", "label-global");
  add_label(c, "SERVICE_81_REGION", "other-port");
  struct rg_service_list l = model(c, NULL, &opt);
  assert_kv(&l.items[0].attrs, "region=port");
  done(&l);
  rg_container_free(c);
}

Test(model, only_upper_case_service_prefix_with_a_value_counts) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("published-single");
  add_label(c, "service_name", "lower");
  add_label(c, "Service_Name", "mixed");
  add_label(c, "SERVICE_TAGS", "");
  add_label(c, "SERVICE_", "nokey");
  add_label(c, "SERVICE_80_", "nokey");
  add_label(c, "SERVICE_Check_TCP", "true");
  add_label(c, "SERVICE_80", "digits-only-key");
  cr_assert_eq(rg_kvlist_add(&c->env, "SERVICE_TAGS", "kept"), RG_OK);
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].name, "busybox");
  assert_tags(&l.items[0], "kept"); /* an empty label does not hide the env var */
  assert_kv(&l.items[0].attrs, "80=digits-only-key");
  assert_kv(&l.items[0].checks, "check_tcp=true");
  done(&l);
  rg_container_free(c);
}

Test(model, tags_split_on_commas_keep_order_and_are_deduplicated) {
  struct rg_model_options opt = defaults();
  struct rg_strlist extra = {0};
  cr_assert_eq(rg_strlist_add(&extra, "blue"), RG_OK);
  cr_assert_eq(rg_strlist_add(&extra, "udp"), RG_OK);
  cr_assert_eq(rg_strlist_add(&extra, "green"), RG_OK);
  opt.tags = &extra;
  struct rg_container *c = load("udp");
  add_label(c, "SERVICE_TAGS", "z,a\\,b,,  y ,z,blue,c\\d");
  struct rg_service_list l = model(c, NULL, &opt);
  assert_tags(&l.items[0], "z|a,b|y|blue|c\\d|udp|green");
  done(&l);
  rg_container_free(c);
  rg_strlist_free(&extra);
}

Test(model, tags_option_is_added_to_every_service) {
  struct rg_model_options opt = defaults();
  struct rg_strlist extra = {0};
  cr_assert_eq(rg_strlist_add(&extra, "prod"), RG_OK);
  opt.tags = &extra;
  struct rg_service_list l = model_of("tcp-udp", &opt);
  assert_tags(&l.items[0], "prod");
  assert_tags(&l.items[1], "prod|udp");
  done(&l);
  rg_strlist_free(&extra);
}

Test(model, ignore_on_one_port_drops_only_that_port) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("ignore-port", &opt);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:rgt-fix-ignore-port:81", "busybox-81", DEFAULT_IP, 38090,
                 "tcp");
  cr_assert(log_has("debug", "port 80/tcp ignored"), "%s", logged.data);
  done(&l);
}

Test(model, global_ignore_drops_every_port) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("ignore-all", &opt);
  cr_assert_eq(l.n, 0);
  done(&l);
}

Test(model, service_ignore_false_still_ignores_and_logs_a_warning) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("ignore-false", &opt);
  cr_assert_eq(l.n, 0);
  cr_assert(log_has("warn", "container rgt-fix-ignore-false (d01743599a41)"), "%s", logged.data);
  cr_assert(log_has("warn", "SERVICE_IGNORE=false still ignores"), "%s", logged.data);
  done(&l);
}

Test(model, explicit_registers_only_ports_with_a_name) {
  struct rg_model_options opt = defaults();
  opt.explicit_ = true;
  struct rg_service_list l = model_of("multi-port", &opt);
  cr_assert_eq(l.n, 0);
  done(&l);
  struct rg_container *c = load("multi-port");
  add_label(c, "SERVICE_443_NAME", "tls");
  l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:rgt-fix-multi-port:443", "tls", DEFAULT_IP, 38083, "tcp");
  done(&l);
  add_label(c, "SERVICE_NAME", "app");
  l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 2);
  cr_assert_str_eq(l.items[0].name, "app-80");
  cr_assert_str_eq(l.items[1].name, "tls");
  done(&l);
  rg_container_free(c);
}

Test(model, service_id_replaces_the_generated_id) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("udp");
  add_label(c, "SERVICE_ID", "my-dns");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].id, "my-dns", "no :udp suffix on a user ID");
  done(&l);
  rg_container_free(c);
}

Test(model, id_uses_the_options_hostname_not_the_container_hostname) {
  struct rg_model_options opt = defaults();
  opt.hostname = "node-7.example";
  struct rg_service_list l = model_of("published-single", &opt);
  cr_assert_str_eq(l.items[0].id, "node-7.example:rgt-fix-published-single:80");
  done(&l);
}

