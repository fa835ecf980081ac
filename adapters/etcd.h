/*
 * etcd.h - the etcd adapter (schemes etcd = v3, etcd2 = v2 keys API).
 * Owned by the adapters.
 *
 *   etcd://h1:2379[,h2:2379,...]/prefix[?options]   (options: adapters/etcdkv.h)
 *
 * Key `<prefix>/<name>/<id>` = `<ip>:<port>` (`[<ip>]:<port>` for IPv6).
 * With a TTL every key of this registrator shares one v3 lease (v2: per-key
 * TTLs). list() reads `<prefix>/` back into services (name, ID, ip, port;
 * proto "udp" when the ID ends in ":udp", else "tcp") for -cleanup. The
 * adapter is a layout of the etcd-backed shell (adapters/kvshell.h).
 */
#ifndef RG_ADAPTERS_ETCD_H
#define RG_ADAPTERS_ETCD_H

#include "adapters/adapter.h"

extern const struct rg_adapter rg_adapter_etcd;

/* Pure helpers (unit-tested) --------------------------------------- */

/* The normalized prefix of a URI path: leading '/', no trailing or double
 * '/', "" for none. RG_EINVAL for "." / ".." segments. *out malloc()ed. */
int rg_etcd_prefix(const char *path, char **out, char *err);
/* Appends "<prefix>/<name>/<id>". */
int rg_etcd_key(struct rg_buf *out, const char *prefix, const char *name, const char *id);
/* Appends "ip:port" or "[ip]:port". */
int rg_etcd_value(struct rg_buf *out, const char *ip, int port);
/* Parses one listed entry under prefix into s (zeroed by the caller).
 * RG_EINVAL for keys not of the form <prefix>/<name>/<id> or bad values. */
int rg_etcd_parse_entry(const char *prefix, const char *key, const char *value, struct rg_service *s);

#endif /* RG_ADAPTERS_ETCD_H */
