/*
 * service.h - a service as registrator registers it, and lists of them.
 */
#ifndef RG_REGISTRATOR_SERVICE_H
#define RG_REGISTRATOR_SERVICE_H

#include <stddef.h>

#include "registrator/common.h"

struct rg_service {
  char *id;    /* "<hostname>:<container>:<port>[:udp]" or SERVICE_ID */
  char *name;  /* "web", "web-80", or SERVICE_NAME */
  char *ip;    /* "10.0.0.5" or an IPv6 literal without brackets */
  int port;    /* host port, or the exposed port with -internal */
  char *proto; /* "tcp", "udp" */
  struct rg_strlist tags;  /* in order, de-duplicated */
  struct rg_kvlist attrs;  /* other SERVICE_* keys, lower-case, sorted by key */
  struct rg_kvlist checks; /* "check_*" keys (for Consul), lower-case, sorted */
  char *container_id;      /* full id */
  char *container_name;    /* without '/' */
  char *exposed_port;      /* the container-side port, "80" */
};

struct rg_service_list {
  struct rg_service *items;
  size_t n;
  size_t cap;
};

/* Appends a zeroed service and returns it through *out (owned by the list). */
int rg_service_list_push(struct rg_service_list *l, struct rg_service **out);
/* Moves every item of src to the end of dst; src is left empty. */
int rg_service_list_move(struct rg_service_list *dst, struct rg_service_list *src);
void rg_service_list_sort(struct rg_service_list *l); /* by id, then ip, then port */
void rg_service_list_free(struct rg_service_list *l); /* back to empty */
void rg_service_clear(struct rg_service *s);          /* frees fields, zeroes */

/* Deep copy of src into dst (zeroed or cleared by the caller). */
int rg_service_copy(struct rg_service *dst, const struct rg_service *src);

/* Appends a deep copy of s (the list's order is not kept). */
int rg_service_list_push_copy(struct rg_service_list *l, const struct rg_service *s);

/* On a list sorted by id: the service with this id, or NULL (borrowed). */
struct rg_service *rg_service_list_find(const struct rg_service_list *l, const char *id);
/* On a list sorted by id: replaces or inserts a copy of s, keeping order. */
int rg_service_list_upsert(struct rg_service_list *l, const struct rg_service *s);
/* On a list sorted by id: removes (and frees) the service with this id. */
void rg_service_list_remove(struct rg_service_list *l, const char *id);

/* One JSON object, no newline:
 * {"id","name","ip","port","proto","tags":[..],"attrs":{..},"container_id","container_name"}
 * Appended to out. */
int rg_service_to_json(const struct rg_service *s, struct rg_buf *out);

/* Every service of l as JSON Lines (one object and '\n' each), appended. */
int rg_service_list_to_jsonl(const struct rg_service_list *l, struct rg_buf *out);

#endif /* RG_REGISTRATOR_SERVICE_H */
