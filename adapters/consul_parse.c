/* consul_parse.c - what the Consul adapter reads back: status codes, plain
 * text error bodies, service listings. Pure; see consul.h. Owned by the
 * adapters. */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "adapters/consul.h"
#include "registrator/json.h"

#define MESSAGE_MAX 200 /* bytes of Consul's message kept in an error */

int rg_consul_status_rc(long status) {
  if (status >= 200 && status < 300) return RG_OK;
  if (status == 400) return RG_EINVAL;
  if (status == 401 || status == 403) return RG_EAUTH;
  if (status == 404) return RG_ENOTFOUND;
  if (status == 429 || status >= 500) return RG_EAGAIN;
  return RG_EPROTO;
}

int rg_consul_message(struct rg_buf *out, const char *body, size_t len, const char *secret) {
  static const char hex[] = "0123456789abcdef";
  size_t slen = secret ? strlen(secret) : 0, kept = 0;
  int rc = rg_buf_append(out, "", 0);
  while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' ')) len--;
  for (size_t i = 0; rc == RG_OK && i < len; i++) {
    if (kept >= MESSAGE_MAX) {
      rc = rg_buf_append(out, "...", 3);
      break;
    }
    if (slen > 0 && len - i >= slen && memcmp(body + i, secret, slen) == 0) {
      rc = rg_buf_append(out, "<redacted>", 10);
      i += slen - 1;
      kept += 10;
      continue;
    }
    unsigned char c = (unsigned char)body[i];
    if (c == '\n' || c == '\r' || c == '\t') {
      rc = rg_buf_append(out, " ", 1);
    } else if (c >= 0x20 && c < 0x7f && c != '\\') {
      rc = rg_buf_append(out, body + i, 1);
    } else {
      char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      rc = rg_buf_append(out, e, 4);
    }
    kept++;
  }
  return rc;
}

static const char *str_field(yajl_val obj, const char *name) {
  const char *path[] = {name, NULL};
  yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
  return v ? YAJL_GET_STRING(v) : NULL;
}

/* One listed service object into a new list entry. */
static int add_service(struct rg_service_list *out, const char *key, yajl_val v, const char *node_addr) {
  if (!YAJL_IS_OBJECT(v)) return RG_EPROTO;
  const char *id = str_field(v, "ID"), *name = str_field(v, "Service"), *addr = str_field(v, "Address");
  const char *port_path[] = {"Port", NULL}, *tags_path[] = {"Tags", NULL};
  yajl_val port = yajl_tree_get(v, port_path, yajl_t_number);
  yajl_val tags = yajl_tree_get(v, tags_path, yajl_t_array);
  if (id == NULL || *id == '\0') id = key;
  if (addr == NULL || *addr == '\0') addr = node_addr ? node_addr : "";
  struct rg_service *s;
  int rc = rg_service_list_push(out, &s);
  if (rc) return rc;
  bool udp = false;
  size_t idn = strlen(id);
  for (size_t i = 0; rc == RG_OK && tags && i < tags->u.array.len; i++) {
    const char *t = YAJL_GET_STRING(tags->u.array.values[i]);
    if (t == NULL) continue;
    udp = udp || strcmp(t, "udp") == 0;
    rc = rg_strlist_add(&s->tags, t);
  }
  udp = udp || (idn > 4 && strcmp(id + idn - 4, ":udp") == 0);
  s->id = rg_strdup(id);
  s->name = rg_strdup(name ? name : "");
  s->ip = rg_strdup(addr);
  s->proto = rg_strdup(udp ? "udp" : "tcp");
  s->port = port && YAJL_IS_INTEGER(port) ? (int)YAJL_GET_INTEGER(port) : 0;
  if (rc == RG_OK && (!s->id || !s->name || !s->ip || !s->proto)) rc = RG_ENOMEM;
  return rc;
}

int rg_consul_parse_services(const char *json, size_t len, bool catalog, struct rg_service_list *out,
                             char *err) {
  char *doc = rg_strndup(json ? json : "", len);
  if (doc == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  yajl_val root = NULL; /* the base guard first (registrator/json.h); the transport caps the size */
  int jrc = rg_json_tree(&root, doc, len, SIZE_MAX, RG_JSON_DEPTH_MAX, "Consul's service list", err);
  free(doc);
  if (jrc) return jrc;
  int rc = RG_OK;
  yajl_val map = root;
  const char *node_addr = NULL;
  if (catalog && YAJL_IS_NULL(root)) {
    map = NULL; /* an unknown node: no services */
  } else if (catalog && YAJL_IS_OBJECT(root)) {
    const char *services[] = {"Services", NULL}, *addr[] = {"Node", "Address", NULL};
    yajl_val a = yajl_tree_get(root, addr, yajl_t_string);
    node_addr = a ? YAJL_GET_STRING(a) : NULL;
    map = yajl_tree_get(root, services, yajl_t_any);
    if (map && YAJL_IS_NULL(map)) map = NULL;
  } else if (catalog) {
    rc = RG_EPROTO;
  }
  if (rc == RG_OK && map != NULL && !YAJL_IS_OBJECT(map)) rc = RG_EPROTO;
  for (size_t i = 0; rc == RG_OK && map && i < map->u.object.len; i++)
    rc = add_service(out, map->u.object.keys[i], map->u.object.values[i], node_addr);
  yajl_tree_free(root);
  if (rc == RG_ENOMEM) return rg_err(err, rc, "out of memory");
  if (rc) return rg_err(err, rc, "Consul answered a service list of an unexpected shape");
  return RG_OK;
}
