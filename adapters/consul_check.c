/* consul_check.c - the Check object of a Consul agent registration, built
 * from a service's check_* keys, and script splitting. Pure; see consul.h.
 * Owned by the adapters.
 *
 * Keys (SERVICE_[<port>_]CHECK_*, lower-cased by the model), as
 * gliderlabs/registrator named them. One check per service; when several
 * kinds are set the first of http, https, cmd, script, ttl, tcp, grpc wins
 * and the others are reported as skipped.
 *   check_http=/path   check_https=/path  (a full URL is taken as is)
 *   check_tcp=true     check_grpc=true|<grpc service>  check_grpc_use_tls
 *   check_ttl=30s      check_script=<command>          check_cmd=<command>
 *   check_interval (default 10s), check_timeout, check_initial_status,
 *   check_deregister_after, check_method (or check_http_method /
 *   check_https_method), check_header ("Name: v; Name2: v2" or Consul's
 *   JSON {"Name":["v"]}), check_tls_skip_verify.
 * A bare number as a duration means seconds ("30" -> "30s").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

#include "adapters/consul.h"
#include "registrator/json.h"

#define GS(g, s) rg_consul_gen_str((g), (s))

bool rg_consul_truthy(const char *v) {
  bool b = false;
  return rg_parse_bool(v, &b) == RG_OK && b;
}

/* An on/off check kind (check_tcp, check_grpc): on for any value but a
 * false word, as a non-empty value turned it on in gliderlabs/registrator. */
static bool kind_on(const char *v) {
  bool b = true;
  return v && (rg_parse_bool(v, &b) != RG_OK || b);
}

/* ---- script splitting ---- */

/* Appends script with the $SERVICE_* placeholders replaced. */
static int substitute(struct rg_buf *out, const char *script, const char *ip, int port) {
  static const char *const names[] = {"${SERVICE_IP}", "$SERVICE_IP", "${SERVICE_PORT}", "$SERVICE_PORT"};
  int rc = rg_buf_append(out, "", 0);
  for (const char *p = script; rc == RG_OK && *p;) {
    size_t i = 0, n = 0;
    for (; i < RG_ARRAY_LEN(names); i++)
      if (strncmp(p, names[i], (n = strlen(names[i]))) == 0) break;
    if (i == RG_ARRAY_LEN(names)) {
      rc = rg_buf_append(out, p++, 1);
    } else {
      rc = i < 2 ? rg_buf_printf(out, "%s", ip ? ip : "") : rg_buf_printf(out, "%d", port);
      p += n;
    }
  }
  return rc;
}

/* Shell-like word splitting of s; *needs_shell when s uses anything a word
 * list cannot express. RG_EINVAL for an unterminated quote or escape. */
static int split_words(const char *s, struct rg_strlist *words, bool *needs_shell, const char **why) {
  struct rg_buf w = {0};
  bool in_word = false;
  int rc = RG_OK;
  char quote = 0;
  *needs_shell = false;
  for (const char *p = s; rc == RG_OK; p++) {
    char c = *p;
    if (c == '\0') {
      if (quote) return rg_buf_free(&w), *why = "unterminated quote", RG_EINVAL;
      break;
    }
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else rc = rg_buf_append(&w, p, 1);
      continue;
    }
    if (c == '\\') {
      char next = p[1];
      if (next == '\0') return rg_buf_free(&w), *why = "ends with a lone backslash", RG_EINVAL;
      if (quote == '"' && strchr("$`\"\\\n", next) == NULL) rc = rg_buf_append(&w, p, 1);
      if (rc == RG_OK) rc = rg_buf_append(&w, ++p, 1);
      in_word = true;
      continue;
    }
    if (quote == '"') {
      if (c == '"') quote = 0;
      else if (c == '$' || c == '`') *needs_shell = true;
      else rc = rg_buf_append(&w, p, 1);
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
      rc = rg_buf_append(&w, "", 0);
    } else if (c == ' ' || c == '\t') {
      if (in_word) rc = rg_strlist_add(words, w.data);
      in_word = false;
      rg_buf_reset(&w);
    } else {
      if (strchr("|&;<>()`$\n\r", c) != NULL) *needs_shell = true;
      rc = rg_buf_append(&w, p, 1);
      in_word = true;
    }
  }
  if (rc == RG_OK && in_word) rc = rg_strlist_add(words, w.data);
  rg_buf_free(&w);
  return rc;
}

int rg_consul_script_args(const char *script, const char *ip, int port, struct rg_strlist *out,
                          const char **why) {
  const char *dummy;
  if (why == NULL) why = &dummy;
  struct rg_buf sub = {0};
  struct rg_strlist words = {0};
  bool shell = false;
  int rc = substitute(&sub, script ? script : "", ip, port);
  if (rc == RG_OK) rc = split_words(sub.data, &words, &shell, why);
  if (rc == RG_OK && words.n == 0) *why = "is empty", rc = RG_EINVAL;
  if (rc == RG_OK && shell) {
    rc = rg_strlist_add(out, "/bin/sh");
    if (rc == RG_OK) rc = rg_strlist_add(out, "-c");
    if (rc == RG_OK) rc = rg_strlist_add(out, sub.data);
  }
  for (size_t i = 0; rc == RG_OK && !shell && i < words.n; i++) rc = rg_strlist_add(out, words.items[i]);
  rg_strlist_free(&words);
  rg_buf_free(&sub);
  return rc;
}

/* ---- headers ---- */

static bool header_name_ok(const char *s, size_t n) {
  if (n == 0 || n > 256) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
    if (!ok) return false;
  }
  return true;
}

static bool header_value_ok(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f) return false;
  return true;
}

static int trimmed_kv(struct rg_kvlist *out, const char *k, size_t kn, const char *v, size_t vn) {
  while (kn && (*k == ' ' || *k == '\t')) k++, kn--;
  while (kn && (k[kn - 1] == ' ' || k[kn - 1] == '\t')) kn--;
  while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
  while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t')) vn--;
  if (!header_name_ok(k, kn)) return RG_EINVAL;
  char *key = rg_strndup(k, kn), *val = rg_strndup(v, vn);
  int rc = key && val ? (header_value_ok(val) ? rg_kvlist_add(out, key, val) : RG_EINVAL) : RG_ENOMEM;
  free(key);
  free(val);
  return rc;
}

/* "Name: v; Name2: v2" or {"Name":"v"|["v",..]} into ordered pairs. */
static int parse_headers(const char *v, struct rg_kvlist *out, const char **why) {
  *why = "is not \"Name: value[; Name: value]\" or a JSON object of header names";
  if (v[strspn(v, " \t")] != '{') {
    for (const char *p = v; *p;) {
      size_t n = strcspn(p, ";");
      const char *colon = memchr(p, ':', n);
      if (colon == NULL && n > strspn(p, " \t;")) return RG_EINVAL;
      int rc = colon ? trimmed_kv(out, p, (size_t)(colon - p), colon + 1, n - (size_t)(colon - p) - 1) : RG_OK;
      if (rc) return rc;
      p += n;
      if (*p == ';') p++;
    }
    return out->n ? RG_OK : RG_EINVAL;
  }
  yajl_val root = NULL; /* a label is outside input: the base guard first (registrator/json.h) */
  int jrc = rg_json_check(v, strlen(v), RG_JSON_SMALL_MAX, RG_JSON_DEPTH_MAX, "label", NULL);
  if (jrc == RG_ETOOBIG) *why = "is a JSON document over 64 KiB";
  else if (jrc) *why = "is JSON nested deeper than 64 levels";
  else jrc = rg_json_tree(&root, v, strlen(v), RG_JSON_SMALL_MAX, RG_JSON_DEPTH_MAX, "label", NULL);
  if (jrc == RG_ENOMEM) return jrc;
  int rc = YAJL_IS_OBJECT(root) && root->u.object.len > 0 ? RG_OK : RG_EINVAL;
  for (size_t i = 0; rc == RG_OK && i < root->u.object.len; i++) {
    const char *k = root->u.object.keys[i];
    yajl_val val = root->u.object.values[i];
    if (YAJL_IS_STRING(val)) {
      rc = trimmed_kv(out, k, strlen(k), val->u.string, strlen(val->u.string));
    } else if (YAJL_IS_ARRAY(val)) {
      for (size_t j = 0; rc == RG_OK && j < val->u.array.len; j++) {
        yajl_val e = val->u.array.values[j];
        rc = YAJL_IS_STRING(e) ? trimmed_kv(out, k, strlen(k), e->u.string, strlen(e->u.string)) : RG_EINVAL;
      }
    } else {
      rc = RG_EINVAL;
    }
  }
  yajl_tree_free(root);
  return rc;
}

/* "Header":{"Name":["v",..],..} grouping repeated names in first order. */
static int gen_headers(yajl_gen g, const struct rg_kvlist *h) {
  int bad = GS(g, "Header") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
  for (size_t i = 0; i < h->n; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) seen = strcasecmp(h->items[j].key, h->items[i].key) == 0;
    if (seen) continue;
    bad |= GS(g, h->items[i].key);
    yajl_gen_array_open(g);
    for (size_t j = i; j < h->n; j++)
      if (strcasecmp(h->items[j].key, h->items[i].key) == 0) bad |= GS(g, h->items[j].value);
    yajl_gen_array_close(g);
  }
  return bad | (yajl_gen_map_close(g) != yajl_gen_status_ok);
}

/* ---- the check ---- */

struct check {
  const char *field;      /* "HTTP", "TCP", "GRPC", "TTL", "Args" */
  struct rg_buf target;   /* value of field (not Args) */
  struct rg_strlist args; /* Args */
  const char *method;
  struct rg_kvlist headers;
  bool tls_skip, grpc_tls, interval_check;
  char interval[32], timeout[32], ttl[32], dereg[32];
  const char *interval_s, *timeout_s, *status_s, *dereg_s; /* point at the arrays or the keys */
};

static void check_free(struct check *c) {
  rg_buf_free(&c->target);
  rg_strlist_free(&c->args);
  rg_kvlist_free(&c->headers);
}

static int note(struct rg_consul_notes *n, const char *key, const char *why) {
  return rg_kvlist_set(&n->skipped, key, why);
}

/* A duration as Consul wants it: bare digits get an "s". */
static const char *duration(const char *v, char *buf, size_t size) {
  size_t n = strlen(v);
  if (n == 0 || n + 2 > size || strspn(v, "0123456789") != n) return v;
  memcpy(buf, v, n);
  buf[n] = 's';
  buf[n + 1] = '\0';
  return buf;
}

static int host_port(struct rg_buf *b, const struct rg_service *s) {
  const char *ip = s->ip ? s->ip : "";
  return strchr(ip, ':') ? rg_buf_printf(b, "[%s]:%d", ip, s->port) : rg_buf_printf(b, "%s:%d", ip, s->port);
}

/* The fields of one check kind with value v. RG_EINVAL (noted) when v
 * cannot make a check. */
static int build_kind(const struct rg_service *s, const char *kind, const char *v, struct check *c,
                      struct rg_consul_notes *notes) {
  const struct rg_kvlist *k = &s->checks;
  const char *why = NULL;
  int rc = RG_OK;
  bool http = strcmp(kind, "check_http") == 0, https = strcmp(kind, "check_https") == 0;
  c->interval_check = true;
  if (http || https) {
    c->field = "HTTP";
    if (strstr(v, "://") != NULL) rc = rg_buf_printf(&c->target, "%s", v);
    else if ((rc = rg_buf_printf(&c->target, "%s://", https ? "https" : "http")) == RG_OK &&
             (rc = host_port(&c->target, s)) == RG_OK)
      rc = rg_buf_printf(&c->target, "%s%s", v[0] == '/' ? "" : "/", v);
    c->method = rg_kvlist_get(k, https ? "check_https_method" : "check_http_method");
    if (c->method == NULL) c->method = rg_kvlist_get(k, "check_method");
    const char *h = rg_kvlist_get(k, "check_header");
    if (rc == RG_OK && h && (rc = parse_headers(h, &c->headers, &why)) != RG_OK) {
      rg_kvlist_free(&c->headers);
      rc = rc == RG_ENOMEM ? rc : note(notes, "check_header", why);
    }
    c->tls_skip = rg_consul_truthy(rg_kvlist_get(k, "check_tls_skip_verify"));
  } else if (strcmp(kind, "check_tcp") == 0) {
    c->field = "TCP";
    rc = host_port(&c->target, s);
  } else if (strcmp(kind, "check_grpc") == 0) {
    c->field = "GRPC";
    rc = host_port(&c->target, s);
    if (rc == RG_OK && !rg_consul_truthy(v))
      rc = rg_buf_printf(&c->target, "/%s", v); /* a gRPC service name */
    c->grpc_tls = rg_consul_truthy(rg_kvlist_get(k, "check_grpc_use_tls"));
    c->tls_skip = c->grpc_tls && rg_consul_truthy(rg_kvlist_get(k, "check_tls_skip_verify"));
  } else if (strcmp(kind, "check_ttl") == 0) {
    c->field = "TTL";
    c->interval_check = false;
    rc = rg_buf_printf(&c->target, "%s", duration(v, c->ttl, sizeof c->ttl));
  } else if (strcmp(kind, "check_script") == 0) {
    c->field = "Args";
    rc = rg_consul_script_args(v, s->ip, s->port, &c->args, &why);
    if (rc == RG_EINVAL) {
      rc = note(notes, kind, why);
      return rc ? rc : RG_EINVAL;
    }
  } else { /* check_cmd: registrator's check-cmd convention */
    c->field = "Args";
    char cid[13] = "";
    if (s->container_id) snprintf(cid, sizeof cid, "%s", s->container_id);
    rc = rg_strlist_add(&c->args, "check-cmd");
    if (rc == RG_OK) rc = rg_strlist_add(&c->args, cid);
    if (rc == RG_OK) rc = rg_strlist_add(&c->args, s->exposed_port ? s->exposed_port : "");
    if (rc == RG_OK) rc = rg_strlist_add(&c->args, v);
  }
  return rc;
}

/* The user's check; RG_ENOTFOUND when none (or no valid one) is set. The
 * first valid kind in registrator's order wins; later ones are noted. */
static int user_check(const struct rg_service *s, struct check *c, struct rg_consul_notes *notes) {
  static const char *const kinds[] = {"check_http", "check_https", "check_cmd", "check_script",
                                      "check_ttl", "check_tcp", "check_grpc"};
  const struct rg_kvlist *k = &s->checks;
  const char *winner = NULL;
  for (size_t i = 0; i < RG_ARRAY_LEN(kinds); i++) {
    const char *val = rg_kvlist_get(k, kinds[i]);
    bool on_off = strcmp(kinds[i], "check_tcp") == 0 || strcmp(kinds[i], "check_grpc") == 0;
    if (val == NULL || (on_off && !kind_on(val))) continue;
    int rc = winner ? note(notes, kinds[i], "ignored: one check per service, and an earlier kind "
                                            "(http, https, cmd, script, ttl, tcp, grpc) is set")
                    : build_kind(s, kinds[i], val, c, notes);
    if (rc == RG_EINVAL) { /* noted; the next kind may do */
      check_free(c);
      memset(c, 0, sizeof *c);
      continue;
    }
    if (rc) return rc;
    if (winner == NULL) winner = kinds[i];
  }
  if (winner == NULL) return RG_ENOTFOUND;
  if (c->interval_check) {
    const char *iv = rg_kvlist_get(k, "check_interval");
    c->interval_s = iv ? duration(iv, c->interval, sizeof c->interval) : RG_CONSUL_DEFAULT_INTERVAL;
    const char *to = rg_kvlist_get(k, "check_timeout");
    c->timeout_s = to ? duration(to, c->timeout, sizeof c->timeout) : NULL;
  }
  const char *st = rg_kvlist_get(k, "check_initial_status");
  c->status_s = st ? st : (strcmp(c->field, "TTL") == 0 ? "passing" : NULL);
  const char *da = rg_kvlist_get(k, "check_deregister_after");
  c->dereg_s = da ? duration(da, c->dereg, sizeof c->dereg) : NULL;
  return RG_OK;
}

static int gen(yajl_gen g, const struct check *c) {
  int bad = GS(g, "Check") | (yajl_gen_map_open(g) != yajl_gen_status_ok) | GS(g, c->field);
  if (strcmp(c->field, "Args") == 0) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < c->args.n; i++) bad |= GS(g, c->args.items[i]);
    yajl_gen_array_close(g);
  } else {
    bad |= GS(g, c->target.data);
  }
  if (c->method) bad |= GS(g, "Method") | GS(g, c->method);
  if (c->headers.n) bad |= gen_headers(g, &c->headers);
  if (c->tls_skip) bad |= GS(g, "TLSSkipVerify") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
  if (c->grpc_tls) bad |= GS(g, "GRPCUseTLS") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
  if (c->interval_s) bad |= GS(g, "Interval") | GS(g, c->interval_s);
  if (c->timeout_s) bad |= GS(g, "Timeout") | GS(g, c->timeout_s);
  if (c->status_s) bad |= GS(g, "Status") | GS(g, c->status_s);
  if (c->dereg_s) bad |= GS(g, "DeregisterCriticalServiceAfter") | GS(g, c->dereg_s);
  bad |= yajl_gen_map_close(g) != yajl_gen_status_ok;
  return bad ? RG_EINVAL : RG_OK;
}

int rg_consul_gen_check(yajl_gen g, const struct rg_service *s, int ttl, struct rg_consul_notes *notes) {
  struct check c = {0};
  struct rg_consul_notes local = {0};
  if (notes == NULL) notes = &local;
  int rc = user_check(s, &c, notes);
  if (rc == RG_ENOTFOUND && ttl > 0) { /* -ttl: the liveness of this registrator */
    check_free(&c);
    memset(&c, 0, sizeof c);
    c.field = "TTL";
    c.status_s = "passing";
    rc = rg_buf_printf(&c.target, "%ds", ttl);
    snprintf(c.dereg, sizeof c.dereg, "%lds", ttl >= 20 ? 3L * ttl : 60L);
    c.dereg_s = c.dereg;
    notes->auto_ttl = true;
  }
  if (rc == RG_OK) {
    notes->ttl_check = strcmp(c.field, "TTL") == 0;
    rc = gen(g, &c);
  }
  check_free(&c);
  rg_consul_notes_free(&local);
  return rc == RG_ENOTFOUND ? RG_OK : rc;
}
