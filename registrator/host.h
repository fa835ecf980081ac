/*
 * host.h - the desired set and the decisions that change it, apart from
 * any I/O: what a Docker event does, which containers a resync must read,
 * what a create-time prediction holds. The daemon's loop does the reads
 * these decisions ask for and hands the results back; unit tests drive the
 * same functions with recorded event sequences (README, "Lifecycle").
 */
#ifndef RG_REGISTRATOR_HOST_H
#define RG_REGISTRATOR_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "registrator/config.h"
#include "registrator/service.h"

#define RG_HOST_PREDICTIONS 256 /* created, not yet started containers (a ring) */

/* What the loop must do after rg_host_event(): bits. */
enum {
  RG_HOST_READ = 1,    /* inspect the container, then rg_host_take() */
  RG_HOST_PREDICT = 2, /* inspect it, then rg_host_predict() (a `create`) */
};

struct rg_host_prediction {
  char *id;
  struct rg_service_list services;
};

struct rg_host {
  struct rg_service_list desired; /* sorted by id */
  struct rg_strlist known;        /* containers read into desired, sorted */
  struct rg_strlist recheck;      /* read again at the next resync: a Podman 4.3 bare
                                     "health_status" may come before its status is saved */
  struct rg_host_prediction predictions[RG_HOST_PREDICTIONS];
  size_t next_prediction;
  enum rg_deregister_mode deregister; /* -deregister */
  bool full;        /* the next resync reads every container again */
  uint64_t gen;     /* bumped on every change of desired */
  const struct rg_log *log;
};

void rg_host_init(struct rg_host *h, enum rg_deregister_mode mode, const struct rg_log *log);
void rg_host_free(struct rg_host *h);

/* Applies one Docker event to the desired set (die per -deregister,
 * destroy and pause drop, a `start` writes its prediction) and returns
 * what the loop must read (RG_HOST_* bits). */
unsigned rg_host_event(struct rg_host *h, const char *action, const char *id, int exit_code);

/* What Docker said of container id: rc RG_OK puts found (consumed) in the
 * desired set in place of the container's earlier services; RG_ENOTFOUND
 * drops the container; another rc keeps what was there, logs, and forgets
 * that the container was read (the next resync reads it). */
int rg_host_take(struct rg_host *h, const char *id, int rc, struct rg_service_list *found, const char *err);

/* A `create`'s prediction (consumed): written at the container's start. */
void rg_host_predict(struct rg_host *h, const char *id, struct rg_service_list *services);

/* A resync begins: running is every running container (sorted by id, as
 * listed). Drops containers gone since the last one (all of them for a
 * full resync) and fills unread with those that must be read, in order. */
int rg_host_resync(struct rg_host *h, const struct rg_strlist *running, struct rg_strlist *unread);

/* Drops the container's services (and prediction). */
void rg_host_drop(struct rg_host *h, const char *id);

#endif
