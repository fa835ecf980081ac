/* test_consul_double.h - helpers of the Consul integration tests: start and
 * stop the Consul protocol double (tests/consul-double/consul_double.py, not
 * Consul), read what it stored, and run the registrator daemon against it.
 * Everything listens on 127.0.0.1 or a unix socket under /tmp. */
#ifndef RG_TESTS_TEST_CONSUL_DOUBLE_H
#define RG_TESTS_TEST_CONSUL_DOUBLE_H

#include <stdbool.h>

struct cdouble {
  long pid;
  int port;
  char log[256];
  char sock[128];   /* the --unix path, when the caller gives one in opts */
  char cacert[256]; /* non-empty: the double serves HTTPS with this CA's cert */
};

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int cd_free_port(void);
/* Starts the double on port (0: a free one) with extra options, and waits
 * until it answers. Set d->cacert (and pass --tls-cert/--tls-key in opts)
 * before, or zero it. */
void cd_start(struct cdouble *d, int port, const char *opts);
/* Stops it (SIGTERM), reaps it and removes its log. */
void cd_stop(struct cdouble *d);
/* The value at PATH walked by KEYS (a shell word list, e.g.
 * "'testhost:web:80' Port"): a malloc()ed string, "" when missing. */
char *cd_get(const struct cdouble *d, const char *token, const char *path, const char *keys);
/* Waits until cd_get equals want (NULL: until it is missing). */
bool cd_wait(const struct cdouble *d, const char *token, const char *path, const char *keys,
             const char *want, double seconds);

struct rgd {
  long pid;
  char log[256];
};
/* Runs `env ENV registrator -hostname testhost OPTS URI` in the background. */
void rgd_start(struct rgd *r, const char *env, const char *opts, const char *uri);
/* SIGTERM, reap, fail on a sanitizer report in its log, remove the log. */
void rgd_stop(struct rgd *r);
/* SIGKILL and reap (the log is kept until rgd_stop... or removed here). */
void rgd_kill(struct rgd *r);
/* The daemon's log so far (malloc()ed). */
char *rgd_log(const struct rgd *r);
/* Waits until the daemon's log contains s. */
bool rgd_wait_log(struct rgd *r, const char *s, double seconds);

/* docker run -d --name NAME -p 127.0.0.1::80 LABELS local/busybox httpd;
 * returns the published host port. */
long web_start(const char *name, const char *labels);

#endif
