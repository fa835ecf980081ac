/*
 * main.c - the registrator program. The only file that owns argv, stdout,
 * stderr, signals and exit codes; everything else is the library, used here
 * through the same calls an orchestrator makes (registrator.h).
 *
 * Exit codes: 0 success, 1 runtime failure (Docker or the registry), 2 usage.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registrator/config.h"
#include "registrator/daemon.h"
#include "registrator/httpd.h"
#include "registrator/logjson.h"
#include "registrator/settings.h"

/* Signal plumbing. The handler only touches async-signal-safe state. */
static struct rg_settings *volatile current_settings;
static struct rg_daemon *volatile running_daemon;

static void on_signal(int sig) {
  struct rg_daemon *d = running_daemon;
  struct rg_settings *s = current_settings;
  if (sig == SIGHUP) {
    if (d) rg_daemon_resync(d);
    return;
  }
  if (s) rg_settings_cancel(s);
  if (d) rg_daemon_stop(d);
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

/* -log-format json: one object a line (logjson.h), written whole. */
static void log_stderr_json(void *userdata, enum rg_log_level level, const struct rg_log_fields *f,
                            const char *msg) {
  (void)userdata;
  struct timespec ts;
  struct rg_buf line = {0};
  clock_gettime(CLOCK_REALTIME, &ts);
  if (rg_log_json(&line, &ts, level, f, msg) == RG_OK && rg_buf_append(&line, "\n", 1) == RG_OK)
    fwrite(line.data, 1, line.len, stderr);
  rg_buf_free(&line);
}

/* argv, kept for SIGHUP: the config file and environment are read again
 * and the flags applied on top, exactly as at start. */
struct reload_ctx {
  struct rg_settings *s;
  int argc;
  char **argv;
};

static bool same_str(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

/* What takes a restart: -metrics and -log-format (the endpoint and the
 * log sink were set up at start) are kept from the running settings, with a
 * warning. Registry URIs added or removed, and registries whose settings
 * changed (-ttl, -ttl-refresh, TLS, credentials), are the daemon's to open,
 * close or reopen (connect.c); the Docker timeouts its client's. */
static void keep_restart_only(struct rg_settings *run, struct rg_settings *fresh) {
  if (!same_str(fresh->cfg.metrics, run->cfg.metrics) || !same_str(fresh->cfg.log_format, run->cfg.log_format))
    rg_log(&run->log, RG_LOG_WARN, "reload: a new -metrics or -log-format takes a restart; kept");
  char *swap[2] = {fresh->cfg.metrics, fresh->cfg.log_format}; /* the new ones go with the old settings */
  fresh->cfg.metrics = run->cfg.metrics;
  fresh->cfg.log_format = run->cfg.log_format;
  run->cfg.metrics = swap[0];
  run->cfg.log_format = swap[1];
}

/* SIGHUP: complete new settings are built from argv, the environment and
 * the config file, exactly as at start, before anything switches to them;
 * when building fails the running settings stay untouched. */
static int reload(void *ud) {
  struct reload_ctx *r = ud;
  char err[RG_ERRBUF] = "";
  struct rg_settings *fresh = NULL;
  if (rg_settings_build(&fresh, r->argc, r->argv, getenv_const, &r->s->log, err) != RG_OK) {
    rg_log(&r->s->log, RG_LOG_ERROR, "reload: %s; keeping the running settings", err);
    return 1;
  }
  keep_restart_only(r->s, fresh);
  rg_settings_adopt(r->s, fresh);
  rg_log(&r->s->log, RG_LOG_INFO, "reloaded the settings; resyncing");
  return 0;
}

static int run(struct rg_settings *s, int argc, char **argv) {
  char err[RG_ERRBUF] = "";
  if (s->cfg.dry_run) {
    char *jsonl = NULL;
    if (rg_dry_run(s, &jsonl, err) != RG_OK) {
      rg_log(&s->log, RG_LOG_ERROR, "%s", err);
      return 1;
    }
    size_t n = strlen(jsonl);
    int ok = fwrite(jsonl, 1, n, stdout) == n && fflush(stdout) == 0;
    rg_free(jsonl);
    return ok ? 0 : 1;
  }
  if (s->cfg.command == RG_CMD_RESYNC) {
    size_t failed = 0;
    if (rg_resync_once(s, &failed, err) != RG_OK) {
      rg_log(&s->log, RG_LOG_ERROR, "%s", err);
      return 1;
    }
    return 0;
  }
  struct rg_daemon *d = NULL;
  if (rg_daemon_create(&d, s, err) != RG_OK) {
    rg_log(&s->log, RG_LOG_ERROR, "%s", err);
    return 1;
  }
  struct reload_ctx rc = {s, argc, argv};
  rg_daemon_set_reload(d, reload, &rc);
  running_daemon = d;
  if (s->cancel) rg_daemon_stop(d);
  int status = rg_daemon_run(d, err) == RG_OK ? 0 : 1;
  running_daemon = NULL;
  if (status) rg_log(&s->log, RG_LOG_ERROR, "%s", err);
  rg_daemon_destroy(d);
  rg_log(&s->log, RG_LOG_INFO, "stopped");
  return status;
}

int main(int argc, char **argv) {
  char err[RG_ERRBUF] = "";
  struct rg_settings *s = NULL;
  if (rg_settings_new(&s) != RG_OK) {
    fputs("registrator: out of memory\n", stderr);
    return 1;
  }
  rg_settings_set_log(s, log_stderr, NULL, getenv("RG_DEBUG") ? RG_LOG_DEBUG : RG_LOG_INFO);
  if (rg_cli_parse(&s->cfg, argc, argv, getenv_const, err) != RG_OK) {
    fprintf(stderr, "registrator: %s\n", err);
    rg_settings_free(s);
    return 2;
  }
  if (s->cfg.log_format && strcmp(s->cfg.log_format, "json") == 0)
    rg_settings_set_log_fields(s, log_stderr_json, NULL, s->log.min);
  if (s->cfg.command == RG_CMD_HELP || s->cfg.command == RG_CMD_VERSION) {
    char *usage = s->cfg.command == RG_CMD_HELP ? rg_cli_usage("registrator") : NULL;
    if (usage) fputs(usage, stdout);
    else puts("registrator " RG_VERSION);
    free(usage);
    rg_settings_free(s);
    return 0;
  }
  if (s->cfg.command == RG_CMD_HEALTHCHECK) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = rg_httpd_check(s->cfg.metrics, 2000, err);
    curl_global_cleanup();
    if (rc) fprintf(stderr, "registrator: healthcheck: %s\n", err);
    rg_settings_free(s);
    return rc ? 1 : 0;
  }
  int status = 1;
  if (rg_settings_load_env(s, getenv_const, err) != RG_OK) {
    fprintf(stderr, "registrator: %s\n", err);
    status = 2;
  } else {
    current_settings = s;
    install_signals();
    curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before anything else uses curl */
    status = run(s, argc, argv);
    curl_global_cleanup();
    current_settings = NULL;
  }
  rg_settings_free(s);
  return status;
}
