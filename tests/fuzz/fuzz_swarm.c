/* fuzz_swarm.c - a GET /services document -> services (docker/swarm.c) ->
 * routing-mesh entries (registrator/swarm.c, registrator/model.c), and the
 * same bytes as a GET /info document.
 *
 * The recordings in tests/fixtures/swarm are the seeds. A parsed list must
 * satisfy what swarm.h promises, a copy must equal it, and every entry must
 * have its fields set and be owned by its service. */
#include <string.h>

#include "docker/swarm.h"
#include "registrator/model.h"
#include "registrator/swarm.h"
#include "tests/fuzz/fuzz.h"

static void check_list(const struct rg_docker_swarm_services *l) {
  FUZZ_CHECK(l->n <= RG_DOCKER_SWARM_MAX_SERVICES);
  for (size_t i = 0; i < l->n; i++) {
    const struct rg_docker_swarm_service *s = &l->items[i];
    FUZZ_CHECK(s->id && s->id[0] && s->name && s->name[0]);
    FUZZ_CHECK(s->labels.n <= RG_CONTAINER_MAX_ENTRIES && s->env.n <= RG_CONTAINER_MAX_ENTRIES);
    FUZZ_CHECK(s->nports <= RG_DOCKER_SWARM_MAX_PORTS);
    for (size_t k = 0; k < s->nports; k++) {
      const struct rg_docker_swarm_port *p = &s->ports[k];
      FUZZ_CHECK(p->proto && p->proto[0] && p->target >= 1 && p->target <= 65535);
      FUZZ_CHECK(p->published >= 0 && p->published <= 65535);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[RG_ERRBUF] = "";
  enum rg_docker_swarm_role role;
  if (rg_docker_swarm_info_parse((const char *)data, size, &role, err) != RG_OK)
    FUZZ_CHECK(err[0] != '\0');
  struct rg_docker_swarm_services l = {0}, copy = {0};
  if (rg_docker_swarm_services_parse((const char *)data, size, &l, err) != RG_OK) {
    FUZZ_CHECK(l.n == 0 && l.items == NULL && err[0] != '\0');
    return 0;
  }
  check_list(&l);
  FUZZ_CHECK(rg_docker_swarm_services_copy(&copy, &l) == RG_OK && copy.n == l.n);
  for (size_t i = 0; i < l.n; i++)
    FUZZ_CHECK(strcmp(copy.items[i].id, l.items[i].id) == 0 && copy.items[i].nports == l.items[i].nports);
  rg_docker_swarm_services_free(&copy);

  const struct rg_model_options opts[] = {
      {.hostname = "host1", .default_ip = "10.0.0.1"},
      {.hostname = "h", .host_ip = "192.0.2.7", .explicit_ = true, .use_ip_from_label = "SERVICE_IP"},
      {.hostname = "h"}, /* no address: every port skipped */
  };
  for (size_t i = 0; i < RG_ARRAY_LEN(opts); i++) {
    struct rg_service_list out = {0};
    FUZZ_CHECK(rg_swarm_ingress_services(&l, &opts[i], fuzz_log(), &out, err) == RG_OK);
    for (size_t k = 0; k < out.n; k++) {
      const struct rg_service *s = &out.items[k];
      FUZZ_CHECK(s->id && s->name && s->ip && s->proto && s->container_name);
      FUZZ_CHECK(rg_swarm_is_entry(s) && s->port >= 1 && s->port <= 65535);
    }
    struct rg_service_list desired = {0};
    FUZZ_CHECK(rg_swarm_replace(&desired, &out, NULL) == RG_OK && desired.n <= out.n);
    FUZZ_CHECK(rg_swarm_replace(&desired, &(struct rg_service_list){0}, NULL) == RG_OK && desired.n == 0);
    rg_service_list_free(&desired);
    rg_service_list_free(&out);
  }
  rg_docker_swarm_services_free(&l);
  return 0;
}
