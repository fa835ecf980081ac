/* collect.c - see collect.h. */
#include "registrator/collect.h"

#include <string.h>

int rg_collect_container(struct rg_docker *d, const char *id, const struct rg_model_options *mo,
                         const struct rg_log *log, struct rg_service_list *out, char *err) {
  struct rg_container *c = NULL, *peer = NULL;
  int rc = rg_docker_inspect(d, id, &c, err);
  if (rc == RG_ENOTFOUND) {
    rg_log(log, RG_LOG_DEBUG, "container %.12s is gone; nothing to register", id);
    return RG_OK;
  }
  if (rc) return rc;
  static const char mode_prefix[] = "container:";
  if (c->network_mode && strncmp(c->network_mode, mode_prefix, sizeof mode_prefix - 1) == 0) {
    const char *peer_id = c->network_mode + sizeof mode_prefix - 1;
    char perr[RG_ERRBUF];
    int prc = rg_docker_inspect(d, peer_id, &peer, perr);
    if (prc == RG_ENOTFOUND) {
      rg_log(log, RG_LOG_WARN, "container %s shares the network of %s, which is gone", c->name,
             peer_id);
    } else if (prc) {
      rg_container_free(c);
      return rg_err(err, prc, "%s", perr);
    }
  }
  rc = rg_model_services(c, peer, mo, log, out, err);
  rg_container_free(peer);
  rg_container_free(c);
  return rc;
}

int rg_collect_all(struct rg_docker *d, const struct rg_model_options *mo, const struct rg_log *log,
                   struct rg_service_list *out, char *err) {
  struct rg_strlist ids = {0};
  int rc = rg_docker_list_running(d, &ids, err);
  for (size_t i = 0; rc == RG_OK && i < ids.n; i++) {
    rc = rg_collect_container(d, ids.items[i], mo, log, out, err);
    if (rc == RG_ETOOBIG) { /* labels over the caps: that container must not block the rest */
      rg_log(log, RG_LOG_ERROR, "skipping container %.12s: %s", ids.items[i], err);
      rc = RG_OK;
    }
  }
  rg_strlist_free(&ids);
  if (rc == RG_OK) rg_service_list_sort(out);
  return rc;
}
