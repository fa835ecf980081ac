/*
 * kvshell.h - the one adapter shell of the etcd-backed backends (etcd and
 * SkyDNS): open, ping, register, deregister, refresh, list and the own-lease
 * read for drift repair, over the store of adapters/etcdkv.h. A backend
 * writes only its layout: the key prefix of its URI path, the key and the
 * value of a service, and the parse of a listed entry back into a service.
 * A fix here lands in every etcd-backed backend at once. Owned by the
 * adapters.
 */
#ifndef RG_ADAPTERS_KVSHELL_H
#define RG_ADAPTERS_KVSHELL_H

#include "adapters/adapter.h"

struct rg_kvshell_layout {
  const char *name;      /* "etcd", "SkyDNS": in messages */
  const char *v2_scheme; /* the scheme that selects the v2 keys API ("etcd2") */
  /* The key prefix for a URI path; *out malloc()ed. */
  int (*prefix)(const char *path, char **out, char *err);
  /* Appends the key of s under prefix after the backend's own checks (the
   * shell has already run rg_safename_check_service): RG_EINVAL with the
   * reason in err, RG_ENOMEM. */
  int (*key)(const char *prefix, const struct rg_service *s, struct rg_buf *key, char *err);
  /* Appends the value of s (s->ip is set; ttl: seconds, 0 none). */
  int (*value)(const struct rg_service *s, long ttl, struct rg_buf *value);
  /* A listed entry back into a service (out zeroed by the caller): RG_OK
   * ours; RG_EINVAL not of this layout (left alone, silently); RG_EPROTO
   * or RG_ETOOBIG a value the JSON guard refused (err names the key; the
   * shell logs it and reads on); RG_ENOMEM. */
  int (*parse)(const char *prefix, const char *key, const char *value, struct rg_service *out, char *err);
};

/* The vtable entries of an etcd-backed adapter. open takes the layout, so
 * each backend wraps it; every other entry is the shell's own. */
int rg_kvshell_open(void **state, const struct rg_kvshell_layout *layout, const struct rg_uri *uri,
                    const struct rg_adapter_config *cfg, char *err);
int rg_kvshell_ping(void *state, char *err);
int rg_kvshell_register(void *state, const struct rg_service *s, char *err);
int rg_kvshell_register_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                             char (*errs)[RG_ERRBUF], char *err);
int rg_kvshell_deregister(void *state, const struct rg_service *s, char *err);
int rg_kvshell_deregister_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                               char (*errs)[RG_ERRBUF], char *err);
int rg_kvshell_refresh(void *state, char *err);
/* Every entry of the layout under the prefix (for -cleanup). */
int rg_kvshell_list(void *state, struct rg_service_list *out, char *err);
/* v3 with a TTL: only the keys on this instance's lease (one request,
 * whatever else the prefix holds), read back from what it wrote.
 * RG_EUNSUPPORTED otherwise (the core lists instead). */
int rg_kvshell_list_own(void *state, struct rg_service_list *out, char *err);
void rg_kvshell_close(void *state);

#define RG_KVSHELL_ADAPTER(name_, schemes_, open_)                                                  \
  {                                                                                                 \
    .name = (name_), .schemes = (schemes_), .open = (open_), .ping = rg_kvshell_ping,              \
    .register_service = rg_kvshell_register, .register_many = rg_kvshell_register_many,             \
    .deregister_service = rg_kvshell_deregister, .deregister_many = rg_kvshell_deregister_many,     \
    .refresh = rg_kvshell_refresh,                                                                  \
    .list = rg_kvshell_list, .list_own = rg_kvshell_list_own, .close = rg_kvshell_close,            \
  }

#endif /* RG_ADAPTERS_KVSHELL_H */
