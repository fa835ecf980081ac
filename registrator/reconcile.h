/*
 * reconcile.h - desired vs registered: the writes that bring a registry in
 * step with Docker. Pure: no I/O.
 */
#ifndef RG_REGISTRATOR_RECONCILE_H
#define RG_REGISTRATOR_RECONCILE_H

#include <stdbool.h>

#include "registrator/service.h"

enum rg_op_kind { RG_OP_REGISTER, RG_OP_DEREGISTER };

/* One write; `service` points into the desired list (register) or the
 * registered list (deregister) given to rg_reconcile: borrowed. */
struct rg_op {
  enum rg_op_kind kind;
  const struct rg_service *service;
};

struct rg_op_list {
  struct rg_op *items;
  size_t n, cap;
};

/* True when a and b would be written identically (every field). */
bool rg_service_equal(const struct rg_service *a, const struct rg_service *b);

/* Appends to ops: a deregister for each registered id absent from desired,
 * and a register for each desired service absent from registered or
 * different from it. Both lists must be sorted by id (rg_service_list_sort).
 * A service whose name changed is also deregistered (under its old name)
 * before it is registered again. Deregisters come first. */
int rg_reconcile(const struct rg_service_list *desired, const struct rg_service_list *registered,
                 struct rg_op_list *ops);

void rg_op_list_free(struct rg_op_list *ops);

#endif
