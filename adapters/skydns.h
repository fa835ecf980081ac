/*
 * skydns.h - the SkyDNS adapter (schemes skydns = etcd v3, leased, what
 * CoreDNS's etcd plugin reads; skydns2 = etcd v2 keys API, SkyDNS 2).
 * Owned by the adapters.
 *
 *   skydns://h:2379/skydns.local[?options]   (options: adapters/etcdkv.h)
 *
 * Key:   /skydns/<domain labels reversed>/<name>/<id-label>
 *        e.g. web in skydns.local -> /skydns/local/skydns/web/<id-label>
 * Value: {"host":"<ip>","port":<port>,"ttl":<ttl>,"registrator_id":"<id>"}
 *        built with yajl_gen. "registrator_id" is this registrator's
 *        ownership marker: DNS servers ignore fields they do not know
 *        (CoreDNS and SkyDNS decode into a struct), and list() reads it
 *        back, so -cleanup works here too (it only ever touches entries
 *        whose marker matches the key they sit under). With a TTL on v3,
 *        drift repair reads only the keys on this instance's lease.
 * The adapter is a layout of the etcd-backed shell (adapters/kvshell.h).
 *        ttl is always present: the -ttl value, or 0 without -ttl (0 tells
 *        the DNS server to use its default TTL). Older CoreDNS derived a TTL
 *        from the lease ID when "ttl" was absent, hence always written.
 * Name:  lower-cased; must then be a valid DNS label ([a-z0-9-]{1,63}, no
 *        leading or trailing '-'), else the service is rejected and logged.
 * id-label (a DNS label derived from the service ID; stable, unique):
 *        1. lower-case the ID, turn every run of bytes outside [a-z0-9] into
 *           one '-', trim '-' at both ends, keep at most 50 characters (and
 *           trim a '-' left at the cut);
 *        2. append '-' and 12 hex digits of the 64-bit FNV-1a hash of the
 *           full, unmodified ID (only the hash when step 1 left nothing).
 *        "host:web:80" -> "host-web-80-<12 hex>": readable, at most 63
 *        characters, [a-z0-9-], and two IDs that sanitize alike ("a:b",
 *        "a.b") still differ by the hash of their exact bytes.
 */
#ifndef RG_ADAPTERS_SKYDNS_H
#define RG_ADAPTERS_SKYDNS_H

#include <stdbool.h>

#include "adapters/adapter.h"

#define RG_SKYDNS_LABEL_MAX 63

extern const struct rg_adapter rg_adapter_skydns;

/* Pure helpers (unit-tested) --------------------------------------- */

bool rg_skydns_valid_label(const char *s);
/* The id-label of id into out (RG_SKYDNS_LABEL_MAX + 1 bytes). */
void rg_skydns_id_label(const char *id, char out[RG_SKYDNS_LABEL_MAX + 1]);
/* "skydns.local" -> "/skydns/local/skydns" (lower-cased; every label
 * checked; leading/trailing '/' and a trailing '.' ignored). */
int rg_skydns_base(const char *domain, struct rg_buf *out, char *err);
/* Lower-cased name into out when it is a valid DNS label, else RG_EINVAL. */
int rg_skydns_name(const char *name, char out[RG_SKYDNS_LABEL_MAX + 1]);
/* Appends "<base>/<name>/<id-label>" (name lower-cased and checked). */
int rg_skydns_key(struct rg_buf *out, const char *base, const char *name, const char *id);
/* Appends {"host":"<ip>","port":<port>,"ttl":<ttl>,"registrator_id":"<id>"}
 * (no marker when id is NULL). */
int rg_skydns_value(struct rg_buf *out, const char *ip, int port, long ttl, const char *id);
/* One listed entry back into a service (id, name, ip, port): RG_OK only for
 * "<base>/<name>/<label>" whose value carries a registrator_id that derives
 * that label; RG_EINVAL for anything else (someone else's entry). A value
 * the JSON guard refuses (registrator/json.h: over 64 KiB, or nested deeper
 * than RG_JSON_DEPTH_MAX) is RG_ETOOBIG / RG_EPROTO with "SkyDNS entry
 * <key>: ..." in err (may be NULL). */
int rg_skydns_parse_entry(const char *base, const char *key, const char *value, struct rg_service *out,
                          char *err);

#endif /* RG_ADAPTERS_SKYDNS_H */
