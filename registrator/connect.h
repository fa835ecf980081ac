/*
 * connect.h - registries opened from the settings, the same way for the
 * daemon, the one-shot resync and the library.
 */
#ifndef RG_REGISTRATOR_CONNECT_H
#define RG_REGISTRATOR_CONNECT_H

#include "registrator/engine.h"
#include "registrator/settings.h"

/* Opens the registry at uri with its family's credentials; when ping, pings
 * it, retried per -retry-attempts/-retry-interval while s->cancel is low. */
int rg_connect_registry(struct rg_registry **out, struct rg_settings *s, const char *uri, bool ping,
                        char *err);

/* The reconciler policy the settings give. */
void rg_connect_policy(const struct rg_settings *s, struct rg_reconciler_policy *p);

/* An engine with every registry of the settings, each pinged first (all
 * must answer: registrator's start-up rule). */
int rg_connect_engine(struct rg_engine **out, struct rg_settings *s, char *err);

/* Opens the registries new in s's list and retires those no longer in it
 * (deregistering their services with -deregister-on-exit): a reload. */
void rg_connect_update(struct rg_engine *e, struct rg_settings *s);

#endif
