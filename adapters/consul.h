/*
 * consul.h - the Consul adapter. Owned by the adapters.
 *
 *   consul://host:8500            agent API (PUT /v1/agent/service/register);
 *                                 no host: 127.0.0.1:8500 (8501 for TLS)
 *   consul-tls://host:8501        the same over HTTPS (CA/client cert from
 *                                 rg_adapter_config; verification on)
 *   consul-unix:///path/agent.sock  the agent API over a unix socket
 *   consul-catalog://host:8500    catalog API, no local agent: services go
 *                                 under the node cfg->hostname, the first
 *                                 service's IP as the node address
 *
 * The ACL token (cfg->token) goes out as X-Consul-Token and is never logged.
 * Checks come from a service's check_* keys (gliderlabs/registrator's
 * names); TTL checks are heartbeated by refresh(). With cfg->ttl > 0 a
 * service with no check of its own gets a TTL check of cfg->ttl seconds
 * that deregisters it after max(1m, 3 x ttl) critical, so a dead host's
 * entries are reaped. Catalog mode registers no checks (nobody would run
 * them). Registrations, deregistrations and heartbeats of many services go
 * out at once, up to cfg->max_in_flight requests in flight on separate
 * connections (adapters/http_multi.h); each service gets its own outcome.
 *
 * Files: consul.c (adapter I/O), consul_body.c (request bodies, pure),
 * consul_check.c (the check object and script splitting, pure),
 * consul_parse.c (list responses, error mapping, pure),
 * consul_transport.c (TCP/TLS through adapters/http.h, or a unix socket).
 */
#ifndef RG_ADAPTERS_CONSUL_H
#define RG_ADAPTERS_CONSUL_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>

#include "adapters/adapter.h"
#include "adapters/http_multi.h"

extern const struct rg_adapter rg_adapter_consul;

#define RG_CONSUL_DEFAULT_INTERVAL "10s"
#define RG_CONSUL_META_MAX_PAIRS 64
#define RG_CONSUL_META_MAX_KEY 128
#define RG_CONSUL_META_MAX_VALUE 512

/* What building a body noticed, for the caller to log (once). */
struct rg_consul_notes {
  struct rg_kvlist skipped; /* key -> why it was not sent ("check_script" -> "...") */
  bool ttl_check;           /* the body carries a TTL check: heartbeat service:<ID> */
  bool auto_ttl;            /* ... and it is the one -ttl added */
};
void rg_consul_notes_free(struct rg_consul_notes *n);

/* Pure helpers (unit-tested) --------------------------------------- */

/* yajl_gen_string of a C string: 0, or 1 when yajl refused it (invalid
 * UTF-8). Callers OR the results and fail the body as a whole, because a
 * refused key or value would shift every later one. */
int rg_consul_gen_str(yajl_gen g, const char *s);

/* Whether key/value may be sent as Service Meta (Consul's rules: key
 * [A-Za-z0-9_-]{1,128} without the "consul-" prefix, value <= 512 bytes).
 * *why (static) says what is wrong. */
bool rg_consul_meta_valid(const char *key, const char *value, const char **why);

/* A boolean label value (enable_tag_override, check_tls_skip_verify, ...):
 * true only for a true word of rg_parse_bool, as gliderlabs/registrator's
 * strconv.ParseBool read it. */
bool rg_consul_truthy(const char *value);

/* Splits a SERVICE_CHECK_SCRIPT into the check's Args, after replacing
 * $SERVICE_IP / ${SERVICE_IP} and $SERVICE_PORT / ${SERVICE_PORT} with the
 * service's address. Words split like the shell ('..', "..", \x); a
 * script that needs a shell (unquoted | & ; < > ( ) ` $ or a newline) is
 * run as ["/bin/sh", "-c", <script>]. RG_EINVAL (*why static) for an
 * unterminated quote or an empty script. Appends to out. */
int rg_consul_script_args(const char *script, const char *ip, int port, struct rg_strlist *out,
                          const char **why);

/* Writes the "Check" key and object of an agent registration into g, or
 * nothing when s has no check (and ttl is 0). ttl: cfg->ttl. Invalid check
 * keys are reported in notes (NULL: not reported) and the check is left
 * out. RG_EINVAL when a string is not valid UTF-8. */
int rg_consul_gen_check(yajl_gen g, const struct rg_service *s, int ttl, struct rg_consul_notes *notes);

/* Appends the agent registration body of s:
 * {"ID","Name","Tags","Address","Port"[,"Meta"][,"EnableTagOverride"][,"Check"]}.
 * Meta comes from s->attrs (valid keys only, at most 64, enable_tag_override
 * excluded); EnableTagOverride from the enable_tag_override attr. notes is
 * required; RG_EINVAL when a string is not valid UTF-8. */
int rg_consul_agent_body(struct rg_buf *out, const struct rg_service *s, int ttl,
                         struct rg_consul_notes *notes);

/* Appends the catalog registration body of s under node:
 * {"Node","Address","Service":{"ID","Service","Tags","Address","Port"[,"Meta"]
 *  [,"EnableTagOverride"]},"SkipNodeUpdate":true}. The node address is the
 * service's IP; SkipNodeUpdate keeps the first one when services of this
 * host have different IPs. Check keys are reported as skipped. */
int rg_consul_catalog_body(struct rg_buf *out, const char *node, const struct rg_service *s,
                           struct rg_consul_notes *notes);

/* Appends {"Node":node,"ServiceID":id}. */
int rg_consul_catalog_deregister_body(struct rg_buf *out, const char *node, const char *id);

/* The RG_* code of a Consul answer: 2xx RG_OK; 400 RG_EINVAL; 401/403
 * RG_EAUTH; 404 RG_ENOTFOUND; 429 and 5xx RG_EAGAIN; else RG_EPROTO. */
int rg_consul_status_rc(long status);

/* Appends Consul's plain-text error body as a printable, single-line,
 * truncated message; any occurrence of secret (the token) is replaced by
 * "<redacted>". */
int rg_consul_message(struct rg_buf *out, const char *body, size_t len, const char *secret);

/* Parses GET /v1/agent/services (catalog false: a map of ID -> service) or
 * GET /v1/catalog/node/<node> (catalog true: {"Node":..,"Services":{..}}, or
 * null for an unknown node) into out: id, name, ip, port, tags, proto
 * ("udp" when the ID ends in ":udp" or a tag is "udp", else "tcp"). */
int rg_consul_parse_services(const char *json, size_t len, bool catalog, struct rg_service_list *out,
                             char *err);

/* Transport (consul_transport.c) ------------------------------------ */

struct rg_consul_transport; /* opaque */

/* One connection to the agent: unix_path non-NULL for a unix socket, else
 * hosts over http(s) with the options of o. The token is kept private and
 * sent as X-Consul-Token. *out freed with rg_consul_transport_free. */
int rg_consul_transport_open(struct rg_consul_transport **out, const char *unix_path,
                             const struct rg_strlist *hosts, const struct rg_adapter_config *cfg,
                             bool tls, char *err);
void rg_consul_transport_free(struct rg_consul_transport *t);

/* method path (escaped) with an optional JSON body. RG_OK when an answer
 * arrived (*status and body set, body capped at 8 MiB), RG_ECONNECT /
 * RG_ETOOBIG otherwise with err set. */
int rg_consul_transport_request(struct rg_consul_transport *t, const char *method, const char *path,
                                const char *body, size_t body_len, long *status, struct rg_buf *resp,
                                char *err);

/* Several requests at once on separate connections (adapters/http_multi.h),
 * at most cfg->max_in_flight in flight; the bodies go as JSON. */
int rg_consul_transport_many(struct rg_consul_transport *t, struct rg_http_call *calls, size_t n,
                             rg_http_judge_fn judge, void *ud, char *err);

/* Where requests go, for log lines ("http://127.0.0.1:8500", "unix:/p"). */
const char *rg_consul_transport_where(const struct rg_consul_transport *t);

#endif /* RG_ADAPTERS_CONSUL_H */
