/* collect.c - see collect.h. */
#include "registrator/collect.h"

#include <stdio.h>
#include <string.h>

int rg_collect_inspected(struct rg_docker *d, struct rg_container *c, const struct rg_model_options *mo,
                         const struct rg_log *log, struct rg_service_list *out, char *err) {
  struct rg_container *peer = NULL;
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
  int rc = RG_OK;
  if (mo->swarm && rg_swarm_task_service_name(c) != NULL &&
      rg_swarm_task_view(c, rg_swarm_service_of(&mo->swarm->services, c)) != RG_OK)
    rc = rg_err(err, RG_ENOMEM, "out of memory");
  if (rc == RG_OK) rc = rg_model_services(c, peer, mo, log, out, err);
  rg_container_free(peer);
  rg_container_free(c);
  return rc;
}

int rg_collect_container(struct rg_docker *d, const char *id, const struct rg_model_options *mo,
                         const struct rg_log *log, struct rg_service_list *out, char *err) {
  struct rg_container *c = NULL;
  int rc = rg_docker_inspect(d, id, &c, err);
  if (rc == RG_ENOTFOUND) {
    rg_log(log, RG_LOG_DEBUG, "container %.12s is gone; nothing to register", id);
    return RG_OK;
  }
  return rc ? rc : rg_collect_inspected(d, c, mo, log, out, err);
}

struct all {
  struct rg_docker *d;
  char *const *ids;
  const struct rg_model_options *mo;
  const struct rg_log *log;
  struct rg_service_list *out;
  int rc; /* the first error that aborts */
  char *err;
};

static void on_inspected(void *ud, size_t i, int rc, struct rg_container *c, const char *ierr) {
  struct all *a = ud;
  char err[RG_ERRBUF] = "";
  if (a->rc != RG_OK) {
    rg_container_free(c);
    return;
  }
  if (rc == RG_ENOTFOUND) {
    rg_log(a->log, RG_LOG_DEBUG, "container %.12s is gone; nothing to register", a->ids[i]);
    return;
  }
  if (rc == RG_OK) rc = rg_collect_inspected(a->d, c, a->mo, a->log, a->out, err);
  else snprintf(err, sizeof err, "%s", ierr);
  if (rc == RG_ETOOBIG) { /* labels over the caps: that container must not block the rest */
    rg_log(a->log, RG_LOG_ERROR, "skipping container %.12s: %s", a->ids[i], err);
  } else if (rc != RG_OK) {
    a->rc = rg_err(a->err, rc, "%s", err);
  }
}

static const char *role_name(enum rg_docker_swarm_role r) {
  return r == RG_DOCKER_SWARM_MANAGER ? "a swarm manager" : r == RG_DOCKER_SWARM_WORKER ? "a swarm worker" : "not in a swarm";
}

int rg_collect_swarm_detect(struct rg_swarm *sw, struct rg_docker *d, const struct rg_log *log,
                            char *err) {
  enum rg_docker_swarm_role role;
  int rc = rg_docker_swarm_role(d, &role, err);
  if (rc) return rc;
  if (role != sw->role)
    rg_log(log, RG_LOG_INFO, "Docker at %s is %s", rg_docker_endpoint(d), role_name(role));
  if (role != RG_DOCKER_SWARM_MANAGER) rg_docker_swarm_services_free(&sw->services);
  if (role != RG_DOCKER_SWARM_WORKER) sw->worker_logged = false;
  sw->role = role;
  return RG_OK;
}

int rg_collect_swarm(struct rg_swarm *sw, struct rg_docker *d, const struct rg_model_options *mo,
                     const struct rg_log *log, struct rg_service_list *out, char *err) {
  int rc = RG_OK;
  sw->relabelled = false;
  if (sw->role == RG_DOCKER_SWARM_MANAGER) {
    struct rg_docker_swarm_services fresh = {0};
    rc = rg_docker_swarm_services(d, &fresh, err);
    if (rc == RG_EUNSUPPORTED) { /* demoted, or left the swarm: ask again */
      rg_log(log, RG_LOG_INFO, "%s", err);
      rc = rg_collect_swarm_detect(sw, d, log, err);
    } else if (rc == RG_OK) {
      sw->relabelled = rg_swarm_labels_changed(&sw->services, &fresh);
      rg_docker_swarm_services_free(&sw->services);
      sw->services = fresh;
    }
  }
  if (rc == RG_OK && sw->role == RG_DOCKER_SWARM_WORKER && !sw->worker_logged) {
    rg_log(log, RG_LOG_INFO,
           "Docker at %s is a swarm worker: only a manager lists services, so routing-mesh "
           "(ingress) ports are registered by the managers' registrators; this one registers "
           "the task containers",
           rg_docker_endpoint(d));
    sw->worker_logged = true;
  }
  if (rc == RG_OK && sw->role == RG_DOCKER_SWARM_MANAGER)
    rc = rg_swarm_ingress_services(&sw->services, mo, log, out, err);
  return rc;
}

int rg_collect_all(struct rg_docker *d, const struct rg_model_options *mo, const struct rg_log *log,
                   struct rg_service_list *out, char *err) {
  struct rg_strlist ids = {0};
  struct rg_service_list mesh = {0};
  int rc = RG_OK;
  if (mo->swarm) rc = rg_collect_swarm_detect(mo->swarm, d, log, err);
  if (rc == RG_OK && mo->swarm) rc = rg_collect_swarm(mo->swarm, d, mo, log, &mesh, err);
  if (rc == RG_OK) rc = rg_docker_list_running(d, &ids, err);
  struct all a = {.d = d, .ids = ids.items, .mo = mo, .log = log, .out = out, .err = err};
  if (rc == RG_OK) rc = rg_docker_inspect_many(d, ids.items, ids.n, RG_COLLECT_PARALLEL, on_inspected, &a, err);
  if (rc == RG_OK) rc = a.rc;
  if (rc == RG_OK) rc = rg_service_list_move(out, &mesh);
  rg_service_list_free(&mesh);
  rg_strlist_free(&ids);
  if (rc == RG_OK) rg_service_list_sort(out);
  return rc;
}
