/*
 * main.c - the registrator program. The only file that owns argv, stdout,
 * stderr, signals and exit codes; everything else is the library.
 *
 * Exit codes: 0 success, 1 runtime failure (Docker or the registry), 2 usage.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker/client.h"
#include "registrator/collect.h"
#include "registrator/config.h"
#include "registrator/daemon.h"
#include "registrator/hostinfo.h"
#include "registrator/model.h"
#include "registrator/registry.h"

/* Signal plumbing: main.c owns signals. The handler only sets a flag and
 * pokes the running daemon's self-pipe (async-signal safe). */
static volatile sig_atomic_t stop_requested;
static struct rg_daemon *volatile running_daemon;

static void on_signal(int sig) {
  if (sig != SIGHUP) stop_requested = 1;
  struct rg_daemon *d = running_daemon;
  if (d) rg_daemon_signal(d, sig == SIGHUP);
}

static void install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

static const char *getenv_const(const char *name) { return getenv(name); }

static void log_stderr(void *userdata, enum rg_log_level level, const char *msg) {
  (void)userdata;
  struct timespec ts;
  struct tm tm;
  char stamp[32] = "";
  clock_gettime(CLOCK_REALTIME, &ts);
  if (gmtime_r(&ts.tv_sec, &tm)) strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000L, rg_log_level_name(level),
          msg);
}

/* Host facts and the model's view of the configuration. */
struct setup {
  char hostname[256];
  char default_ip[64];
  struct rg_strlist tags;
  struct rg_model_options mo;
};

static int split_tags(const char *list, struct rg_strlist *out) {
  if (list == NULL) return RG_OK;
  const char *p = list;
  while (*p) {
    size_t n = strcspn(p, ",");
    const char *s = p, *e = p + n;
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (e > s) {
      char *tag = rg_strndup(s, (size_t)(e - s));
      if (tag == NULL) return RG_ENOMEM;
      int rc = rg_strlist_contains(out, tag) ? RG_OK : rg_strlist_add(out, tag);
      free(tag);
      if (rc) return rc;
    }
    p += n + (p[n] == ',');
  }
  return RG_OK;
}

static int setup_init(struct setup *s, const struct rg_config *cfg, const struct rg_log *log,
                      char *err) {
  memset(s, 0, sizeof *s);
  int rc;
  if (cfg->hostname && cfg->hostname[0]) {
    snprintf(s->hostname, sizeof s->hostname, "%s", cfg->hostname);
  } else if ((rc = rg_host_name(s->hostname, sizeof s->hostname, err)) != RG_OK) {
    return rc;
  }
  if (cfg->ip && cfg->ip[0]) {
    rg_log(log, RG_LOG_INFO, "using %s (from -ip) for published ports", cfg->ip);
  } else {
    char iface[64], derr[RG_ERRBUF];
    if (rg_host_default_ip(s->default_ip, sizeof s->default_ip, iface, sizeof iface, derr) == 0)
      rg_log(log, RG_LOG_INFO, "using %s (default route via %s) for ports bound to all addresses",
             s->default_ip, iface);
    else
      rg_log(log, RG_LOG_WARN, "%s", derr);
  }
  if ((rc = split_tags(cfg->tags, &s->tags)) != RG_OK) return rg_err(err, rc, "out of memory");
  s->mo.hostname = s->hostname;
  s->mo.host_ip = cfg->ip;
  s->mo.default_ip = s->default_ip[0] ? s->default_ip : NULL;
  s->mo.internal = cfg->internal;
  s->mo.explicit_ = cfg->explicit_;
  s->mo.use_ip_from_label = cfg->use_ip_from_label;
  s->mo.tags = &s->tags;
  s->mo.healthy_only = cfg->healthy_only;
  return RG_OK;
}

static void setup_free(struct setup *s) { rg_strlist_free(&s->tags); }

/* registrator resync --dry-run: the desired set as JSON Lines on stdout. */
static int run_dry_run(struct rg_docker *d, const struct setup *s, const struct rg_log *log) {
  char err[RG_ERRBUF];
  struct rg_service_list services = {0};
  int rc = rg_collect_all(d, &s->mo, log, &services, err);
  if (rc) {
    rg_log(log, RG_LOG_ERROR, "%s", err);
    rg_service_list_free(&services);
    return 1;
  }
  struct rg_buf line = {0};
  for (size_t i = 0; rc == RG_OK && i < services.n; i++) {
    rg_buf_reset(&line);
    rc = rg_service_to_json(&services.items[i], &line);
    if (rc == RG_OK) rc = rg_buf_append(&line, "\n", 1);
    if (rc == RG_OK && fwrite(line.data, 1, line.len, stdout) != line.len) rc = RG_EIO;
    if (rc) rg_log(log, RG_LOG_ERROR, "cannot print service %s: %s", services.items[i].id,
                   rg_strerror(rc));
  }
  if (fflush(stdout) != 0) rc = RG_EIO;
  rg_buf_free(&line);
  rg_service_list_free(&services);
  return rc ? 1 : 0;
}

/* Credentials and TLS files from the environment (never from argv, so
 * they stay out of the process list). */
static void adapter_config(struct rg_adapter_config *ac, const struct rg_config *cfg,
                           const struct setup *s, const struct rg_log *log) {
  memset(ac, 0, sizeof *ac);
  ac->hostname = s->hostname;
  ac->ttl = (int)cfg->ttl;
  ac->ttl_refresh = (int)cfg->ttl_refresh;
  ac->log = log;
  if (strncmp(cfg->uri, "consul", 6) == 0) {
    ac->ca_file = getenv("CONSUL_CACERT");
    ac->cert_file = getenv("CONSUL_CLIENT_CERT");
    ac->key_file = getenv("CONSUL_CLIENT_KEY");
    ac->token = getenv("CONSUL_HTTP_TOKEN");
  } else {
    ac->ca_file = getenv("ETCDCTL_CACERT");
    ac->cert_file = getenv("ETCDCTL_CERT");
    ac->key_file = getenv("ETCDCTL_KEY");
    ac->username = getenv("ETCDCTL_USER");
    ac->password = getenv("ETCDCTL_PASSWORD");
  }
}

/* Sleeps ms, waking early when a stop is requested. */
static void pause_ms(long ms) {
  while (ms > 0 && !stop_requested) {
    long step = ms < 100 ? ms : 100;
    struct timespec ts = {0, step * 1000000L};
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

/* Opens the registry and pings it, -retry-attempts more times if needed. */
static int open_registry(struct rg_registry **out, const struct rg_config *cfg,
                         const struct rg_adapter_config *ac, const struct rg_log *log) {
  char err[RG_ERRBUF] = "";
  int rc = rg_registry_open(out, cfg->uri, ac, err);
  if (rc) {
    rg_log(log, RG_LOG_ERROR, "%s", err);
    return rc;
  }
  for (long attempt = 0;; attempt++) {
    rc = rg_registry_ping(*out, err);
    if (rc == RG_OK || stop_requested) break;
    if (cfg->retry_attempts != -1 && attempt >= cfg->retry_attempts) {
      rg_log(log, RG_LOG_ERROR, "cannot reach the registry: %s", err);
      break;
    }
    rg_log(log, RG_LOG_WARN, "cannot reach the registry (attempt %ld): %s; retrying in %ld ms",
           attempt + 1, err, cfg->retry_interval);
    pause_ms(cfg->retry_interval);
  }
  if (rc == RG_OK && stop_requested) rc = RG_ESTOPPED;
  if (rc) {
    rg_registry_close(*out);
    *out = NULL;
  }
  return rc;
}

/* registrator resync <uri>: one pass, exit 0 only when every write held. */
static int run_resync(struct rg_docker *d, struct rg_registry *r, const struct rg_config *cfg,
                      const struct setup *s, const struct rg_log *log) {
  char err[RG_ERRBUF] = "";
  struct rg_service_list desired = {0};
  if (rg_collect_all(d, &s->mo, log, &desired, err) != RG_OK) {
    rg_log(log, RG_LOG_ERROR, "%s", err);
    rg_service_list_free(&desired);
    return 1;
  }
  size_t failed = rg_registry_apply(r, &desired);
  if (cfg->ttl > 0 && rg_registry_refresh(r, err) != RG_OK) {
    rg_log(log, RG_LOG_ERROR, "TTL refresh failed: %s", err);
    failed++;
  }
  if (cfg->cleanup) failed += rg_registry_cleanup(r, &desired, s->hostname);
  rg_log(log, failed ? RG_LOG_ERROR : RG_LOG_INFO, "resync: %zu service(s), %zu failed write(s)",
         desired.n, failed);
  rg_service_list_free(&desired);
  return failed ? 1 : 0;
}

static int run_daemon(struct rg_docker *docker, struct rg_registry *r, const struct rg_config *cfg,
                      const struct setup *s, const struct rg_log *log) {
  char err[RG_ERRBUF] = "";
  struct rg_daemon *d = NULL;
  if (rg_daemon_new(&d, docker, r, cfg, &s->mo, log, err) != RG_OK) {
    rg_log(log, RG_LOG_ERROR, "%s", err);
    return 1;
  }
  running_daemon = d;
  if (stop_requested) rg_daemon_signal(d, 0);
  int rc = rg_daemon_run(d, err);
  running_daemon = NULL;
  if (rc) rg_log(log, RG_LOG_ERROR, "%s", err);
  rg_daemon_free(d);
  rg_log(log, RG_LOG_INFO, "stopped");
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  struct rg_log log = {.fn = log_stderr, .min = RG_LOG_INFO};
  if (getenv("RG_DEBUG")) log.min = RG_LOG_DEBUG;
  char err[RG_ERRBUF] = "";
  struct rg_config cfg;
  rg_config_init(&cfg);
  if (rg_cli_parse(&cfg, argc, argv, getenv_const, err) != RG_OK) {
    fprintf(stderr, "registrator: %s\n", err);
    rg_config_free(&cfg);
    return 2;
  }
  if (cfg.command == RG_CMD_HELP || cfg.command == RG_CMD_VERSION) {
    char *usage = cfg.command == RG_CMD_HELP ? rg_cli_usage("registrator") : NULL;
    if (usage) fputs(usage, stdout);
    else puts("registrator " RG_VERSION);
    free(usage);
    rg_config_free(&cfg);
    return 0;
  }

  install_signals();
  curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before anything else uses curl */
  int status = 1;
  struct setup s;
  struct rg_docker *docker = NULL;
  struct rg_registry *registry = NULL;
  struct rg_adapter_config ac;
  if (setup_init(&s, &cfg, &log, err) != RG_OK) {
    rg_log(&log, RG_LOG_ERROR, "%s", err);
  } else if (rg_docker_open(&docker, getenv("DOCKER_HOST"), &log, err) != RG_OK) {
    rg_log(&log, RG_LOG_ERROR, "%s", err);
  } else if (cfg.dry_run) {
    if (rg_docker_ping(docker, err) != RG_OK) rg_log(&log, RG_LOG_ERROR, "%s", err);
    else status = run_dry_run(docker, &s, &log);
  } else if (adapter_config(&ac, &cfg, &s, &log), open_registry(&registry, &cfg, &ac, &log) == RG_OK) {
    if (cfg.command == RG_CMD_RESYNC) {
      if (rg_docker_ping(docker, err) != RG_OK) rg_log(&log, RG_LOG_ERROR, "%s", err);
      else status = run_resync(docker, registry, &cfg, &s, &log);
    } else {
      status = run_daemon(docker, registry, &cfg, &s, &log);
    }
  }
  rg_registry_close(registry);
  rg_docker_close(docker);
  setup_free(&s);
  rg_config_free(&cfg);
  curl_global_cleanup();
  return status;
}
