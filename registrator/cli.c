/* cli.c - the option table, argv parsing and validation. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/adapter.h"
#include "registrator/config.h"
#include "registrator/httpd.h"

enum opt_kind { OPT_BOOL, OPT_STRING, OPT_LONG };

struct opt {
  const char *name;
  enum opt_kind kind;
  size_t offset;
  long min, max; /* OPT_LONG */
  const char *arg;  /* placeholder in --help */
  const char *help;
};

#define F(field) offsetof(struct rg_config, field)

/* The single list of options (registrator's spelling). */
static const struct opt options[] = {
    {"ip", OPT_STRING, F(ip), 0, 0, "ADDR",
     "IP to register for published ports (default: the address of the default route's interface)"},
    {"internal", OPT_BOOL, F(internal), 0, 0, NULL,
     "register the container IP and exposed port instead of host IP and published port"},
    {"explicit", OPT_BOOL, F(explicit_), 0, 0, NULL,
     "only register ports that have a name (SERVICE_NAME or SERVICE_<port>_NAME)"},
    {"useIpFromLabel", OPT_STRING, F(use_ip_from_label), 0, 0, "LABEL",
     "take the IP from this container label (a /cidr suffix is dropped); beats -ip and -internal"},
    {"ttl", OPT_LONG, F(ttl), 0, 86400 * 365, "N", "TTL in seconds given to the registry (0: none)"},
    {"ttl-refresh", OPT_LONG, F(ttl_refresh), 0, 86400 * 365, "N",
     "refresh TTLs every N seconds; needs -ttl, which must be larger"},
    {"tags", OPT_STRING, F(tags), 0, 0, "LIST", "comma-separated tags appended to every service"},
    {"resync", OPT_LONG, F(resync), 0, 86400 * 365, "N",
     "full resync with Docker every N seconds (0: never)"},
    {"deregister", OPT_STRING, F(deregister), 0, 0, "MODE",
     "when to deregister on container death: always | on-success"},
    {"retry-attempts", OPT_LONG, F(retry_attempts), -1, 1000000000, "N",
     "extra attempts to reach the registry at start (-1: forever)"},
    {"retry-interval", OPT_LONG, F(retry_interval), 1, 86400000, "MS",
     "milliseconds between those attempts; also the cap of each registry's retry backoff"},
    {"cleanup", OPT_BOOL, F(cleanup), 0, 0, NULL,
     "remove this host's dangling services at start and on every resync"},
    {"deregister-on-exit", OPT_BOOL, F(deregister_on_exit), 0, 0, NULL,
     "deregister this host's services when registrator stops (default: leave them to their TTL)"},
    {"healthy-only", OPT_BOOL, F(healthy_only), 0, 0, NULL,
     "register a container that has a HEALTHCHECK only while Docker reports it healthy"},
    {"docker-timeout", OPT_LONG, F(docker_timeout), 1, 3600, "N",
     "seconds a request to Docker may take (default 30; the event stream is not limited)"},
    {"docker-connect-timeout", OPT_LONG, F(docker_connect_timeout), 1, 600, "N",
     "seconds to connect to Docker (default 5)"},
    {"max-in-flight", OPT_LONG, F(max_in_flight), 1, 64, "N",
     "requests in flight at once per registry (Consul, etcd v2 API, skydns2; default 8)"},
    {"hostname", OPT_STRING, F(hostname), 0, 0, "NAME",
     "host name used in service IDs (default: this host's name)"},
    {"config", OPT_STRING, F(config_file), 0, 0, "FILE",
     "read settings from this libconfig file (flags and REGISTRATOR_* variables win over it)"},
    {"metrics", OPT_STRING, F(metrics), 0, 0, "ADDR",
     "serve /metrics, /healthz and /readyz on HOST:PORT, e.g. 127.0.0.1:9585 (default: off)"},
    {"log-format", OPT_STRING, F(log_format), 0, 0, "FORMAT",
     "text (default) | json: one JSON object a line (ts, level, msg, container, service, registry)"},
    {"dry-run", OPT_BOOL, F(dry_run), 0, 0, NULL,
     "with 'resync': print the services as JSON Lines instead of registering them"},
};

void rg_config_init(struct rg_config *c) {
  memset(c, 0, sizeof *c);
  c->retry_interval = 2000;
  c->docker_timeout = 30;
  c->docker_connect_timeout = 5;
  c->max_in_flight = 8;
  c->deregister_mode = RG_DEREGISTER_ALWAYS;
}

void rg_config_free(struct rg_config *c) {
  for (size_t i = 0; i < RG_ARRAY_LEN(options); i++)
    if (options[i].kind == OPT_STRING) {
      char **p = (char **)((char *)c + options[i].offset);
      free(*p);
      *p = NULL;
    }
  rg_strlist_free(&c->registries);
}

static const struct opt *find_opt(const char *name, size_t len) {
  for (size_t i = 0; i < RG_ARRAY_LEN(options); i++)
    if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
      return &options[i];
  return NULL;
}

static int set_opt(struct rg_config *c, const struct opt *o, const char *value, char *err) {
  void *field = (char *)c + o->offset;
  switch (o->kind) {
    case OPT_BOOL:
      if (value == NULL) *(bool *)field = true;
      else if (rg_parse_bool(value, (bool *)field) != RG_OK)
        return rg_err(err, RG_EINVAL, "invalid boolean value \"%s\" for -%s (true or false)", value, o->name);
      return RG_OK;
    case OPT_LONG:
      if (rg_parse_long(value, o->min, o->max, (long *)field) != RG_OK)
        return rg_err(err, RG_EINVAL, "invalid value \"%s\" for -%s: want an integer from %ld to %ld",
                      value, o->name, o->min, o->max);
      return RG_OK;
    case OPT_STRING: {
      char *copy = rg_strdup(value);
      if (copy == NULL) return RG_ENOMEM;
      free(*(char **)field);
      *(char **)field = copy;
      return RG_OK;
    }
  }
  return RG_EINVAL;
}

/* "registry": white-space separated URIs replace the list; a URI given
 * twice is one registry. */
static int set_registries(struct rg_config *c, const char *value, char *err) {
  struct rg_strlist l = {0};
  int rc = RG_OK;
  for (const char *p = value ? value : ""; rc == RG_OK && *p;) {
    size_t skip = strspn(p, " \t\r\n"), len;
    p += skip;
    if ((len = strcspn(p, " \t\r\n")) == 0) break;
    char *one = rg_strndup(p, len);
    if (one == NULL) rc = RG_ENOMEM;
    else if (!rg_strlist_contains(&l, one)) rc = rg_strlist_add(&l, one);
    free(one);
    p += len;
  }
  if (rc) {
    rg_strlist_free(&l);
    return rg_err(err, rc, "out of memory");
  }
  rg_strlist_free(&c->registries);
  c->registries = l;
  return RG_OK;
}

int rg_config_set(struct rg_config *c, const char *name, const char *value, char *err) {
  if (strcmp(name, "registry") == 0) return set_registries(c, value, err);
  const struct opt *o = find_opt(name, strlen(name));
  if (o == NULL || strcmp(name, "config") == 0 || strcmp(name, "dry-run") == 0)
    return rg_err(err, RG_ENOTFOUND, "unknown setting \"%s\"", name);
  return set_opt(c, o, value, err);
}

/* REGISTRATOR_<NAME>: the option name upper-cased, '-' as '_'. */
static int apply_env(struct rg_config *c, rg_getenv_fn getenv_fn, char *err) {
  if (getenv_fn == NULL) return RG_OK;
  for (size_t i = 0; i <= RG_ARRAY_LEN(options); i++) {
    const char *name = i < RG_ARRAY_LEN(options) ? options[i].name : "registry";
    if (strcmp(name, "config") == 0 || strcmp(name, "dry-run") == 0) continue;
    char var[64] = "REGISTRATOR_";
    size_t n = strlen(var);
    for (const char *p = name; *p && n < sizeof var - 1; p++)
      var[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    var[n] = '\0';
    const char *v = getenv_fn(var);
    if (v == NULL) continue;
    char e2[RG_ERRBUF];
    int rc = rg_config_set(c, name, v, e2);
    if (rc) return rg_err(err, rc, "environment %s: %s", var, e2);
  }
  return RG_OK;
}

/* One option given on the command line, applied after file and env. */
struct flag {
  const struct opt *o;
  const char *value;
};

int rg_cli_parse(struct rg_config *c, int argc, char **argv, rg_getenv_fn getenv_fn, char *err) {
  struct flag *flags = calloc((size_t)argc + 1, sizeof *flags);
  if (flags == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  size_t nflags = 0;
  struct rg_buf uris = {0}; /* the positional URIs, space-separated */
  int rc = RG_OK, i = 1;
  if (i < argc && strcmp(argv[i], "resync") == 0) {
    c->command = RG_CMD_RESYNC;
    i++;
  } else if (i < argc && strcmp(argv[i], "healthcheck") == 0) {
    c->command = RG_CMD_HEALTHCHECK;
    i++;
  }
  for (; rc == RG_OK && i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break; /* first positional */
    const char *name = a + 1 + (a[1] == '-');
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    if ((len == 4 && strncmp(name, "help", 4) == 0) || (len == 1 && name[0] == 'h')) {
      c->command = RG_CMD_HELP;
      free(flags);
      return RG_OK;
    }
    if (len == 7 && strncmp(name, "version", 7) == 0) {
      c->command = RG_CMD_VERSION;
      free(flags);
      return RG_OK;
    }
    const struct opt *o = find_opt(name, len);
    if (o == NULL) {
      rc = rg_err(err, RG_EINVAL, "unknown option: %s (see --help)", a);
      break;
    }
    const char *value = eq ? eq + 1 : NULL;
    if (value == NULL && o->kind != OPT_BOOL) {
      if (i + 1 >= argc) {
        rc = rg_err(err, RG_EINVAL, "option -%s needs a value", o->name);
        break;
      }
      value = argv[++i];
    }
    flags[nflags].o = o;
    flags[nflags++].value = value;
  }
  for (; rc == RG_OK && i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1] != '\0')
      rc = rg_err(err, RG_EINVAL, "options go before the registry URIs: %s", argv[i]);
    else if (argv[i][0] == '\0' || strpbrk(argv[i], " \t\r\n"))
      rc = rg_err(err, RG_EINVAL, "a registry URI cannot be empty or hold white space");
    else if (rg_buf_printf(&uris, "%s%s", uris.len ? " " : "", argv[i]) != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
  }
  /* precedence: default < file < environment < flags */
  for (size_t k = 0; rc == RG_OK && k < nflags; k++)
    if (strcmp(flags[k].o->name, "config") == 0) rc = set_opt(c, flags[k].o, flags[k].value, err);
  if (rc == RG_OK && c->config_file == NULL && getenv_fn && getenv_fn("REGISTRATOR_CONFIG"))
    rc = rg_config_set_file(c, getenv_fn("REGISTRATOR_CONFIG"), err);
  if (rc == RG_OK && c->config_file) rc = rg_config_load_file(c, c->config_file, err);
  if (rc == RG_OK) rc = apply_env(c, getenv_fn, err);
  for (size_t k = 0; rc == RG_OK && k < nflags; k++) rc = set_opt(c, flags[k].o, flags[k].value, err);
  if (rc == RG_OK && uris.len) rc = rg_config_set(c, "registry", uris.data, err);
  rg_buf_free(&uris);
  free(flags);
  return rc ? rc : rg_config_validate(c, err);
}

int rg_config_set_file(struct rg_config *c, const char *path, char *err) {
  (void)err;
  char *copy = rg_strdup(path);
  if (copy == NULL) return RG_ENOMEM;
  free(c->config_file);
  c->config_file = copy;
  return RG_OK;
}

/* The scheme of uri, lower-cased into buf; "" when uri has no "://". */
static void uri_scheme(const char *uri, char *buf, size_t size) {
  const char *sep = strstr(uri, "://");
  size_t n = sep ? (size_t)(sep - uri) : 0;
  if (n >= size) n = size - 1;
  for (size_t i = 0; i < n; i++) buf[i] = (char)tolower((unsigned char)uri[i]);
  buf[n] = '\0';
}

/* The URI as error messages may quote it: never one that could hold
 * credentials ("user:password@host"). */
static const char *quotable_uri(const char *uri) {
  return strchr(uri, '@') ? "(not shown: it contains '@')" : uri;
}

int rg_config_validate(struct rg_config *c, char *err) {
  if (c->dry_run && c->command != RG_CMD_RESYNC)
    return rg_err(err, RG_EINVAL, "-dry-run only goes with 'registrator resync'");
  if ((c->ttl > 0) != (c->ttl_refresh > 0))
    return rg_err(err, RG_EINVAL, "-ttl and -ttl-refresh must be specified together or not at all");
  if (c->ttl > 0 && c->ttl <= c->ttl_refresh)
    return rg_err(err, RG_EINVAL, "-ttl (%ld) must be greater than -ttl-refresh (%ld)", c->ttl,
                  c->ttl_refresh);
  if (c->deregister == NULL || strcmp(c->deregister, "always") == 0) {
    c->deregister_mode = RG_DEREGISTER_ALWAYS;
  } else if (strcmp(c->deregister, "on-success") == 0) {
    c->deregister_mode = RG_DEREGISTER_ON_SUCCESS;
  } else {
    return rg_err(err, RG_EINVAL, "-deregister must be \"always\" or \"on-success\", not \"%s\"",
                  c->deregister);
  }
  if (c->log_format && strcmp(c->log_format, "text") != 0 && strcmp(c->log_format, "json") != 0)
    return rg_err(err, RG_EINVAL, "-log-format must be \"text\" or \"json\", not \"%s\"", c->log_format);
  if (c->metrics && c->metrics[0] == '\0') {
    free(c->metrics); /* "-metrics ''" (e.g. REGISTRATOR_METRICS=) turns it off */
    c->metrics = NULL;
  }
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (c->metrics && rg_httpd_parse_addr(c->metrics, &ss, &sslen, err) != RG_OK) return RG_EINVAL;
  if (c->command == RG_CMD_HEALTHCHECK)
    return c->metrics ? RG_OK : rg_err(err, RG_EINVAL, "healthcheck: no -metrics address to ask");
  if (c->registries.n == 0) {
    if (c->dry_run) return RG_OK; /* a dry run needs no registry */
    return rg_err(err, RG_EINVAL, "missing registry URI (e.g. etcd://127.0.0.1:2379/services)");
  }
  for (size_t i = 0; i < c->registries.n; i++) {
    const char *uri = c->registries.items[i];
    char scheme[64];
    uri_scheme(uri, scheme, sizeof scheme);
    if (scheme[0] == '\0')
      return rg_err(err, RG_EINVAL, "registry URI \"%s\" has no scheme (e.g. etcd://host:2379/prefix)",
                    quotable_uri(uri));
    if (rg_adapter_find(scheme) == NULL)
      return rg_err(err, RG_EINVAL, "unrecognized registry scheme \"%s\" in \"%s\"", scheme,
                    quotable_uri(uri));
  }
  return RG_OK;
}

char *rg_cli_usage(const char *prog) {
  struct rg_buf b = {0};
  int rc = rg_buf_printf(&b,
                         "Usage: %s [options] <registry-uri> [<registry-uri> ...]\n"
                         "       %s resync [--dry-run] [options] [<registry-uri> ...]\n"
                         "       %s healthcheck [-metrics ADDR]  (exit 0 when ADDR/healthz answers 200)\n\n"
                         "Registers the services of running Docker containers in service "
                         "registries\nand keeps each of them in step with Docker's events, "
                         "on its own: a registry\nthat is down or slow delays neither Docker's "
                         "events nor the other registries.\n\n"
                         "Migrating from one registry to another: run with both URIs, switch "
                         "the readers\nto the new one, then drop the old URI (SIGHUP reloads "
                         "the list without a restart).\n\n"
                         "Options (one or two dashes; -opt value or -opt=value):\n",
                         prog, prog, prog);
  for (size_t i = 0; rc == RG_OK && i < RG_ARRAY_LEN(options); i++) {
    const struct opt *o = &options[i];
    char left[48];
    snprintf(left, sizeof left, "-%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    rc = rg_buf_printf(&b, "  %-24s %s\n", left, o->help);
  }
  if (rc == RG_OK)
    rc = rg_buf_printf(&b,
                       "  %-24s %s\n  %-24s %s\n\n"
                       "Registry URIs:\n",
                       "-version", "print the version and exit", "-help", "print this help");
  for (size_t i = 0; rc == RG_OK && rg_adapters[i] != NULL; i++)
    for (const char *const *s = rg_adapters[i]->schemes; rc == RG_OK && *s; s++)
      rc = rg_buf_printf(&b, "  %s://...\n", *s);
  if (rc == RG_OK)
    rc = rg_buf_printf(&b,
                       "\nEnvironment:\n"
                       "  DOCKER_HOST            unix:///path or tcp://host:port "
                       "(default unix:///var/run/docker.sock)\n"
                       "  REGISTRATOR_<OPTION>   any option, e.g. REGISTRATOR_TTL_REFRESH=10, "
                       "REGISTRATOR_REGISTRY=\"<uri> <uri>\"\n"
                       "                         (precedence: flag > environment > -config file "
                       "> default)\n");
  if (rc != RG_OK) {
    rg_buf_free(&b);
    return NULL;
  }
  return b.data;
}
