/* model_util.h - shared helpers of the model unit tests (test_model*.c). */
#ifndef RG_TESTS_MODEL_UTIL_H
#define RG_TESTS_MODEL_UTIL_H

#include <stdbool.h>

#include "docker/container.h"
#include "registrator/metadata.h"
#include "registrator/model.h"
#include "tests/unit/rg_test.h"

#define DEFAULT_IP "192.0.2.10"

extern struct rg_buf logged;
extern const struct rg_log test_log;
struct rg_container *load(const char *name);
struct rg_model_options defaults(void);
void collect_log(void *userdata, enum rg_log_level level, const char *msg);
void reset_log(void);
bool log_has(const char *level, const char *text);
struct rg_service_list model(const struct rg_container *c, const struct rg_container *peer, const struct rg_model_options *opt);
struct rg_service_list model_of(const char *fixture, const struct rg_model_options *opt);
void set_str(char **field, const char *value);
void add_label(struct rg_container *c, const char *key, const char *value);
void assert_tags(const struct rg_service *s, const char *want);
void assert_kv(const struct rg_kvlist *l, const char *want);
void assert_service(const struct rg_service *s, const char *id, const char *name, const char *ip, int port, const char *proto);
void done(struct rg_service_list *l);

#endif
