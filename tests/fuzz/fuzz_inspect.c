/* fuzz_inspect.c - one inspect document -> struct -> services
 * (docker/inspect.c, registrator/model.c, registrator/metadata.c), then
 * the name check every adapter runs (adapters/safename.c).
 *
 * The input is the document itself (the recordings in tests/fixtures/inspect
 * are the seeds). A parsed container must satisfy what container.h
 * promises; each option combination must give services whose fields are
 * set, and a service the safe-name layer accepts must not be able to leave
 * its key prefix. */
#include <string.h>

#include "adapters/safename.h"
#include "docker/container.h"
#include "registrator/model.h"
#include "tests/fuzz/fuzz.h"

static void check_container(const struct rg_container *c) {
  FUZZ_CHECK(c->id && c->id[0] && c->name && c->name[0] && c->name[0] != '/');
  FUZZ_CHECK(c->image && c->hostname && c->network_mode && c->network_mode[0] && c->ip);
  FUZZ_CHECK(c->labels.n <= RG_CONTAINER_MAX_ENTRIES && c->env.n <= RG_CONTAINER_MAX_ENTRIES);
  FUZZ_CHECK(c->nnetworks <= RG_CONTAINER_MAX_NETWORKS);
  for (size_t i = 0; i < c->nports; i++) {
    long port = strtol(c->ports[i].port, NULL, 10);
    FUZZ_CHECK(port >= 1 && port <= 65535 && c->ports[i].proto[0]);
    if (i > 0) { /* sorted, unique */
      long prev = strtol(c->ports[i - 1].port, NULL, 10);
      FUZZ_CHECK(prev < port || (prev == port && strcmp(c->ports[i - 1].proto, c->ports[i].proto) < 0));
    }
    for (size_t b = 0; b < c->ports[i].nbindings; b++)
      FUZZ_CHECK(c->ports[i].bindings[b].host_ip && c->ports[i].bindings[b].host_port);
  }
  for (size_t i = 0; i < c->nnetworks; i++)
    FUZZ_CHECK(c->networks[i].name && c->networks[i].ip && c->networks[i].ip6);
}

static void check_services(const struct rg_service_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    const struct rg_service *s = &l->items[i];
    FUZZ_CHECK(s->id && s->name && s->ip && s->proto && s->container_id && s->container_name);
    FUZZ_CHECK(s->port >= 1 && s->port <= 65535);
    char err[RG_ERRBUF];
    if (rg_safename_check_service(s, err) == RG_OK) {
      const char *parts[] = {s->id, s->name};
      for (size_t k = 0; k < 2; k++) {
        FUZZ_CHECK(strchr(parts[k], '/') == NULL && strstr(parts[k], "..") == NULL);
        FUZZ_CHECK(parts[k][0] != '\0' && strlen(parts[k]) <= RG_SEGMENT_MAX);
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++)
          FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
      }
    } else {
      /* the rejection message is printable: it goes to the log */
      for (const unsigned char *p = (const unsigned char *)err; *p; p++)
        FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct rg_container *c = NULL;
  char err[RG_ERRBUF] = "";
  int rc = rg_container_parse((const char *)data, size, &c, err);
  if (rc != RG_OK) {
    FUZZ_CHECK(c == NULL && err[0] != '\0');
    return 0;
  }
  check_container(c);

  struct rg_strlist tags = {0};
  FUZZ_CHECK(rg_strlist_add(&tags, "extra") == RG_OK && rg_strlist_add(&tags, "udp") == RG_OK);
  const struct rg_model_options opts[] = {
      {.hostname = "host1", .default_ip = "10.0.0.1"},
      {.hostname = "host1", .internal = true, .explicit_ = true},
      {.hostname = "h", .host_ip = "192.0.2.7", .use_ip_from_label = "SERVICE_IP", .tags = &tags,
       .healthy_only = true},
      {.hostname = "h", .internal = true, .default_ip = "::1", .use_ip_from_label = "ip"},
  };
  for (size_t i = 0; i < RG_ARRAY_LEN(opts); i++) {
    struct rg_service_list out = {0};
    /* the last combination uses the container as its own network peer */
    const struct rg_container *peer = i == 3 ? c : NULL;
    rc = rg_model_services(c, peer, &opts[i], fuzz_log(), &out, err);
    FUZZ_CHECK(rc == RG_OK);
    check_services(&out);
    rg_service_list_sort(&out);
    rg_service_list_free(&out);
  }
  rg_strlist_free(&tags);
  rg_container_free(c);
  return 0;
}
