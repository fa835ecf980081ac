/* test_model_whole.c - registrator/model.c: image names, containers as a
 * whole, and the create-time prediction (test_model.c has ports, network
 * modes and SERVICE_* metadata), on recorded fixtures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/model_util.h"

RG_SUITE(model_whole);

/* ---- names ---- */

Test(model_whole, name_is_the_image_basename_without_registry_path_or_tag) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("image-registry", &opt);
  cr_assert_str_eq(l.items[0].name, "app");
  done(&l);
  l = model_of("image-registry2", &opt);
  cr_assert_str_eq(l.items[0].name, "web");
  done(&l);
}

Test(model_whole, image_base_name_drops_registry_tag_and_digest) {
  static const char *const cases[][2] = {
      {"gliderlabs/foo:1.0", "foo"},
      {"foo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "foo"},
      {"reg.example:5000/team/foo:1.0", "foo"},
      {"reg.example:5000/team/foo:1.0@sha256:0123", "foo"},
      {"localhost:5000/foo", "foo"},
      {"foo", "foo"},
      {"foo/", "foo"},
      {"", ""},
  };
  for (size_t i = 0; i < RG_ARRAY_LEN(cases); i++) {
    char *name = rg_image_base_name(cases[i][0]);
    cr_assert_str_eq(name, cases[i][1], "%s", cases[i][0]);
    free(name);
  }
}

Test(model_whole, digest_reference_image_is_named_without_the_digest) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("published-single");
  set_str(&c->image,
          "reg.example:5000/team/api@sha256:"
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].name, "api");
  done(&l);
  set_str(&c->image, "");
  l = model(c, NULL, &opt);
  cr_assert_str_eq(l.items[0].name, "rgt-fix-published-single", "no image: the container name");
  done(&l);
  rg_container_free(c);
}

/* ---- containers as a whole ---- */

Test(model_whole, stopped_container_yields_no_services) {
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_service_list l = model_of("stopped", &opt);
  cr_assert_eq(l.n, 0);
  done(&l);
}

Test(model_whole, container_with_a_healthcheck_registers_like_any_other) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = model_of("health", &opt);
  cr_assert_eq(l.n, 1);
  assert_service(&l.items[0], "host1:rgt-fix-health:80", "busybox", DEFAULT_IP, 38103, "tcp");
  done(&l);
}

Test(model_whole, healthy_only_registers_a_checked_container_only_while_healthy) {
  struct rg_model_options opt = defaults();
  opt.healthy_only = true;
  struct rg_container *c = load("health");
  cr_assert_str_eq(c->health, "healthy");
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 1);
  done(&l);
  set_str(&c->health, "unhealthy");
  l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 0, "unhealthy must not register");
  done(&l);
  set_str(&c->health, "starting");
  l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 0, "starting must not register");
  done(&l);
  opt.healthy_only = false;
  l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 1, "without -healthy-only health does not matter");
  done(&l);
  rg_container_free(c);
  /* a container without a HEALTHCHECK registers as usual */
  opt.healthy_only = true;
  l = model_of("published-single", &opt);
  cr_assert_eq(l.n, 1);
  done(&l);
}

Test(model_whole, services_are_appended_to_what_the_list_holds) {
  struct rg_model_options opt = defaults();
  struct rg_container *a = load("tcp-udp"), *b = load("published-single");
  struct rg_service_list l = {0};
  cr_assert_eq(rg_model_services(a, NULL, &opt, NULL, &l, NULL), RG_OK);
  cr_assert_eq(rg_model_services(b, NULL, &opt, NULL, &l, NULL), RG_OK);
  cr_assert_eq(l.n, 3);
  cr_assert_str_eq(l.items[2].id, "host1:rgt-fix-published-single:80");
  rg_service_list_free(&l);
  rg_container_free(a);
  rg_container_free(b);
}

Test(model_whole, missing_hostname_or_arguments_are_refused) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("published-single");
  struct rg_service_list l = {0};
  char err[RG_ERRBUF] = "";
  opt.hostname = "";
  cr_assert_eq(rg_model_services(c, NULL, &opt, NULL, &l, err), RG_EINVAL);
  cr_assert_not_null(strstr(err, "hostname"));
  cr_assert_eq(rg_model_services(NULL, NULL, &opt, NULL, &l, err), RG_EINVAL);
  cr_assert_eq(l.n, 0);
  rg_container_free(c);
}

Test(model_whole, metadata_collect_resolves_one_port) {
  struct rg_container *c = load("metadata");
  struct rg_meta m;
  cr_assert_eq(rg_meta_collect(c, "443", &m), RG_OK);
  cr_assert_str_eq(rg_meta_get(&m, "id"), "shop-tls-1");
  cr_assert(rg_meta_from_port(&m, "name"));
  cr_assert_not(rg_meta_from_port(&m, "region"));
  cr_assert_null(rg_meta_get(&m, "empty"));
  cr_assert_null(rg_meta_get(&m, "80_name"));
  rg_meta_free(&m);
  cr_assert_eq(rg_meta_collect(c, NULL, &m), RG_OK);
  cr_assert_str_eq(rg_meta_get(&m, "name"), "shop");
  cr_assert_null(rg_meta_get(&m, "id"));
  rg_meta_free(&m);
  rg_container_free(c);
}

/* ---- prediction at create time ---- */

Test(model_whole, created_container_with_explicit_bindings_predicts_what_start_gives) {
  struct rg_model_options opt = defaults();
  struct rg_container *c = load("created-explicit");
  cr_assert_not(c->running);
  cr_assert_eq(c->nrequested, 2);
  struct rg_service_list l = {0};
  cr_assert_eq(rg_model_predict(c, &opt, NULL, &l, NULL), RG_OK);
  cr_assert_eq(l.n, 2);
  rg_service_list_sort(&l);
  assert_service(&l.items[0], "host1:rgt-fix-created-explicit:80", "pred-80", "127.0.0.1", 38104, "tcp");
  assert_service(&l.items[1], "host1:rgt-fix-created-explicit:81", "pred-81", DEFAULT_IP, 38105, "tcp");
  rg_service_list_free(&l);
  struct rg_service_list none = model(c, NULL, &opt);
  cr_assert_eq(none.n, 0, "the model itself still registers only running containers");
  done(&none);
  rg_container_free(c);
}

Test(model_whole, prediction_declines_what_only_the_start_decides) {
  struct rg_model_options opt = defaults();
  struct rg_service_list l = {0};
  struct rg_container *c = load("created-ephemeral");
  cr_assert_eq(rg_model_predict(c, &opt, NULL, &l, NULL), RG_EAGAIN, "Docker picks the host port");
  cr_assert_eq(l.n, 0);
  rg_container_free(c);
  c = load("created-explicit");
  opt.internal = true;
  cr_assert_eq(rg_model_predict(c, &opt, NULL, &l, NULL), RG_EAGAIN, "-internal needs the start's IP");
  opt.internal = false;
  opt.healthy_only = true;
  cr_assert_eq(rg_model_predict(c, &opt, NULL, &l, NULL), RG_EAGAIN);
  cr_assert_eq(l.n, 0);
  rg_container_free(c);
}
