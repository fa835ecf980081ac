/*
 * config.h - every setting of registrator, and the command line that fills
 * them. The option table in cli.c is the single list of options: --help,
 * parsing and (later) the config file are all generated from it.
 */
#ifndef RG_REGISTRATOR_CONFIG_H
#define RG_REGISTRATOR_CONFIG_H

#include <stdbool.h>

#include "registrator/common.h"

enum rg_deregister_mode { RG_DEREGISTER_ALWAYS = 0, RG_DEREGISTER_ON_SUCCESS };

enum rg_command {
  RG_CMD_DAEMON = 0, /* registrator [options] <uri> [<uri> ...] */
  RG_CMD_RESYNC,     /* registrator resync [options] <uri> [<uri> ...] */
  RG_CMD_HELP,
  RG_CMD_VERSION,
  RG_CMD_HEALTHCHECK, /* registrator healthcheck [options]: asks -metrics ADDR's /healthz */
};

/* All strings are malloc()ed and owned; rg_config_free() releases them. */
struct rg_config {
  enum rg_command command;
  char *ip;                /* -ip */
  bool internal;           /* -internal */
  bool explicit_;          /* -explicit */
  char *use_ip_from_label; /* -useIpFromLabel */
  long ttl;                /* -ttl (seconds) */
  long ttl_refresh;        /* -ttl-refresh (seconds) */
  char *tags;              /* -tags (comma list) */
  long resync;             /* -resync (seconds, 0 never) */
  char *deregister;        /* -deregister: "always" | "on-success" */
  enum rg_deregister_mode deregister_mode;
  long retry_attempts;     /* -retry-attempts (-1 forever) */
  long retry_interval;     /* -retry-interval (ms) */
  bool cleanup;            /* -cleanup */
  char *hostname;          /* -hostname (default: gethostname) */
  bool deregister_on_exit; /* -deregister-on-exit */
  bool healthy_only;       /* -healthy-only */
  long docker_timeout;     /* -docker-timeout (seconds a Docker request may take) */
  long docker_connect_timeout; /* -docker-connect-timeout (seconds) */
  long max_in_flight;      /* -max-in-flight (requests per registry) */
  char *config_file;       /* -config */
  bool dry_run;            /* resync --dry-run */
  char *metrics;           /* -metrics HOST:PORT (NULL: no endpoint) */
  char *log_format;        /* -log-format: "text" (NULL) | "json" */
  struct rg_strlist registries; /* the registry URIs (positional), in order, no duplicates */
};

/* Sets every default. Allocates nothing. */
void rg_config_init(struct rg_config *c);
void rg_config_free(struct rg_config *c);

typedef const char *(*rg_getenv_fn)(const char *name);

/* Parses argv (argv[0] is the program). Accepts -opt and --opt, "-opt value"
 * and "-opt=value"; booleans take "-opt" or "-opt=true|false". Stops at
 * "--" or the first non-option after the URI.
 * Precedence: flag > environment (REGISTRATOR_<OPTION>, e.g.
 * REGISTRATOR_TTL_REFRESH, REGISTRATOR_REGISTRY; read through getenv_fn,
 * NULL for none) > config file (-config FILE or REGISTRATOR_CONFIG) > default.
 * Then validates: RG_EINVAL with a message naming the option, value, or
 * file and line (exit 2). */
int rg_cli_parse(struct rg_config *c, int argc, char **argv, rg_getenv_fn getenv_fn, char *err);

/* Sets one setting by its option name ("ttl-refresh") from its text form,
 * validating it. "registry" sets the registry URIs: one URI, or several
 * separated by white space (URIs hold none), replacing the earlier list.
 * RG_ENOTFOUND for unknown names. */
int rg_config_set(struct rg_config *c, const char *name, const char *value, char *err);
int rg_config_set_file(struct rg_config *c, const char *path, char *err);

/* Reads a libconfig file: every option has a setting of the same name with
 * '-' as '_' ("ttl_refresh = 10;"), plus "registry" for the URIs: a string
 * or a list of strings (registry = ["etcd://...", "consul://..."];). Errors
 * name the file and line. (configfile.c) */
int rg_config_load_file(struct rg_config *c, const char *path, char *err);

/* Cross-option checks (URI present, ttl/ttl-refresh, deregister mode,
 * scheme handled by an adapter). Called by rg_cli_parse. */
int rg_config_validate(struct rg_config *c, char *err);

/* --help text, generated from the option table: a malloc()ed string. */
char *rg_cli_usage(const char *prog);

#endif /* RG_REGISTRATOR_CONFIG_H */
