/* model_util.c - shared helpers of the model unit tests. */
#include "tests/unit/model_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct rg_container *load(const char *name) {
  char path[128];
  size_t len = 0;
  snprintf(path, sizeof path, "inspect/%s.json", name);
  char *doc = rg_test_fixture(path, &len);
  struct rg_container *c = NULL;
  char err[RG_ERRBUF] = "";
  int rc = rg_container_parse(doc, len, &c, err);
  free(doc);
  cr_assert_eq(rc, RG_OK, "%s: %s", name, err);
  return c;
}

struct rg_model_options defaults(void) {
  return (struct rg_model_options){.hostname = "host1", .default_ip = DEFAULT_IP};
}

/* Log lines collected for assertions. */
struct rg_buf logged;

/* The engine's workers log from their own threads: one line at a time. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void collect_log(void *userdata, enum rg_log_level level, const char *msg) {
  (void)userdata;
  pthread_mutex_lock(&log_mu);
  rg_buf_printf(&logged, "%s: %s\n", rg_log_level_name(level), msg);
  pthread_mutex_unlock(&log_mu);
}

const struct rg_log test_log = {.fn = collect_log, .min = RG_LOG_DEBUG};

void reset_log(void) { rg_buf_free(&logged); }

bool log_has(const char *level, const char *text) {
  for (const char *line = logged.data; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    char *copy = rg_strndup(line, n);
    bool hit = copy && strncmp(copy, level, strlen(level)) == 0 && strstr(copy, text);
    free(copy);
    if (hit) return true;
    line += n + (end != NULL);
  }
  return false;
}

/* The services of container c (with peer) under opt, appended to a fresh list. */
struct rg_service_list model(const struct rg_container *c, const struct rg_container *peer,
                                    const struct rg_model_options *opt) {
  struct rg_service_list l = {0};
  char err[RG_ERRBUF] = "";
  reset_log();
  int rc = rg_model_services(c, peer, opt, &test_log, &l, err);
  cr_assert_eq(rc, RG_OK, "%s", err);
  return l;
}

struct rg_service_list model_of(const char *fixture, const struct rg_model_options *opt) {
  struct rg_container *c = load(fixture);
  struct rg_service_list l = model(c, NULL, opt);
  rg_container_free(c);
  return l;
}

void set_str(char **field, const char *value) {
  free(*field);
  *field = rg_strdup(value);
  cr_assert_not_null(*field);
}

void add_label(struct rg_container *c, const char *key, const char *value) {
  cr_assert_eq(rg_kvlist_set(&c->labels, key, value), RG_OK);
}

/* Asserts the tags, given as one "a|b|c" string ("" for none). */
void assert_tags(const struct rg_service *s, const char *want) {
  struct rg_buf b = {0};
  for (size_t i = 0; i < s->tags.n; i++)
    cr_assert_eq(rg_buf_printf(&b, "%s%s", i ? "|" : "", s->tags.items[i]), RG_OK);
  cr_assert_str_eq(b.data ? b.data : "", want, "%s: tags", s->id);
  rg_buf_free(&b);
}

/* Asserts a kv list, given as "k=v|k=v" ("" for none). */
void assert_kv(const struct rg_kvlist *l, const char *want) {
  struct rg_buf b = {0};
  for (size_t i = 0; i < l->n; i++)
    cr_assert_eq(rg_buf_printf(&b, "%s%s=%s", i ? "|" : "", l->items[i].key, l->items[i].value),
                 RG_OK);
  cr_assert_str_eq(b.data ? b.data : "", want);
  rg_buf_free(&b);
}

void assert_service(const struct rg_service *s, const char *id, const char *name,
                           const char *ip, int port, const char *proto) {
  cr_assert_str_eq(s->id, id);
  cr_assert_str_eq(s->name, name, "%s", id);
  cr_assert_str_eq(s->ip, ip, "%s", id);
  cr_assert_eq(s->port, port, "%s: port %d", id, s->port);
  cr_assert_str_eq(s->proto, proto, "%s", id);
}

void done(struct rg_service_list *l) {
  rg_service_list_free(l);
  reset_log();
}

