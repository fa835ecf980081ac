/*
 * registrator.h - the public interface of libregistrator.
 *
 * This is the one header an orchestrator includes. It compiles alone as C11
 * and as C++. Every function returns 0 on success or a negative RG_E* code;
 * detail goes into a caller-supplied buffer of RG_ERRBUF bytes.
 *
 * Error codes are generated from one X-macro list and never renumbered.
 */
#ifndef RG_REGISTRATOR_REGISTRATOR_H
#define RG_REGISTRATOR_REGISTRATOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RG_EXPORT __attribute__((visibility("default")))
#else
#define RG_EXPORT
#endif

#define RG_VERSION "0.1.0"

/* Size of every caller-supplied error buffer (char err[RG_ERRBUF]). */
#define RG_ERRBUF 512

/* X(name, value, description). Append only; never renumber. */
#define RG_ERRORS(X)                                                   \
  X(OK, 0, "success")                                                  \
  X(EINVAL, -1, "invalid argument")                                    \
  X(ENOMEM, -2, "out of memory")                                       \
  X(EIO, -3, "I/O error")                                              \
  X(EAGAIN, -4, "temporary failure, retry later")                      \
  X(ENOTFOUND, -5, "not found")                                        \
  X(EPROTO, -6, "protocol error (unexpected response)")                \
  X(ECONNECT, -7, "cannot connect")                                    \
  X(ETOOBIG, -8, "input exceeds its size limit")                       \
  X(EUNSUPPORTED, -9, "unsupported")                                   \
  X(EAUTH, -10, "authentication or permission denied")                 \
  X(ESTOPPED, -11, "stopped")

enum rg_error {
#define RG_ERROR_ENUM(name, value, desc) RG_##name = (value),
  RG_ERRORS(RG_ERROR_ENUM)
#undef RG_ERROR_ENUM
};

/* A static string describing code; never NULL. */
RG_EXPORT const char *rg_strerror(int code);

enum rg_log_level { RG_LOG_DEBUG = 0, RG_LOG_INFO, RG_LOG_WARN, RG_LOG_ERROR };

/* A log sink: receives one NUL-terminated line without a trailing newline.
 * It is called from the registries' worker threads too: make it thread-safe.
 * The library never prints; without a sink, messages are dropped. */
typedef void (*rg_log_fn)(void *userdata, enum rg_log_level level, const char *msg);

/* What a log line is about, for structured sinks (-log-format json); any
 * field may be NULL. The same facts are in the message text too. The
 * registry is named without credentials or query. */
struct rg_log_fields {
  const char *container; /* a container ID or name */
  const char *service;   /* a service ID */
  const char *registry;  /* a registry URI */
};
typedef void (*rg_log_fields_fn)(void *userdata, enum rg_log_level level, const struct rg_log_fields *fields,
                                 const char *msg);

/* "debug", "info", "warn", "error". */
RG_EXPORT const char *rg_log_level_name(enum rg_log_level level);

/* Frees memory the library returned (strings, JSON Lines). NULL is fine. */
RG_EXPORT void rg_free(void *p);

/* ---- settings: the context every other call takes ---------------------- */

struct rg_settings; /* opaque */

/* *out gets a settings handle with every default; free it with
 * rg_settings_free() after every object made from it is gone. */
RG_EXPORT int rg_settings_new(struct rg_settings **out);
RG_EXPORT void rg_settings_free(struct rg_settings *s); /* accepts NULL */

/* Sets one setting from its text form, validated as the command line does.
 * Names are the command-line options without dashes ("ttl", "ttl-refresh",
 * "hostname", "tags", "internal", "deregister", ...) and "registry" for the
 * registry URI; plus settings that never belong on a command line:
 * "docker-host", "ca-file", "cert-file", "key-file", "username", "password",
 * "token", "tls-insecure". Values are copied. RG_ENOTFOUND: unknown name;
 * RG_EINVAL: bad value (err says why, never echoing a secret). */
RG_EXPORT int rg_settings_set(struct rg_settings *s, const char *name, const char *value, char *err);

/* Async-signal safe: makes connection retries in progress (and later ones)
 * give up, e.g. on SIGTERM before the daemon runs. */
RG_EXPORT void rg_settings_cancel(struct rg_settings *s);

/* Where log lines go (the library never prints). fn NULL drops them. */
RG_EXPORT void rg_settings_set_log(struct rg_settings *s, rg_log_fn fn, void *userdata,
                                   enum rg_log_level min);

/* Like rg_settings_set_log, for a sink that takes the fields apart (fields
 * is NULL on lines about nothing in particular). Replaces the plain sink. */
RG_EXPORT void rg_settings_set_log_fields(struct rg_settings *s, rg_log_fields_fn fn, void *userdata,
                                          enum rg_log_level min);

/* ---- services ------------------------------------------------------------ */

/* A service an orchestrator describes itself. Everything is borrowed for
 * the duration of the call. attrs is key, value, key, value... (2*nattrs). */
struct rg_service_desc {
  const char *id;    /* unique: "<host>:<container>:<port>" by convention */
  const char *name;  /* service name */
  const char *ip;    /* IPv4 or IPv6 literal */
  int port;
  const char *proto; /* "tcp" (NULL) or "udp" */
  const char *const *tags;
  size_t ntags;
  const char *const *attrs;
  size_t nattrs;
};

/* The services of one inspected container (the body of Docker's
 * GET /containers/{id}/json), by the rules registrator applies, as JSON
 * Lines sorted by id into *jsonl (malloc()ed: free with rg_free). No I/O;
 * a "container:<id>" network mode gets no peer address this way. */
RG_EXPORT int rg_services_from_inspect(const struct rg_settings *s, const char *json, size_t len,
                                       char **jsonl, char *err);

/* ---- a registry ---------------------------------------------------------- */

struct rg_registry; /* opaque */

/* Opens the registry named by the "registry" setting (the first, when it
 * names several) and checks that it answers, retrying per
 * "retry-attempts"/"retry-interval". s must outlive the handle. Free with
 * rg_registry_close(). rg_registry_add/remove follow the daemon's rules: a
 * service the registry refused is remembered and, unchanged, refused again
 * without a request (RG_EINVAL); removing a service the registry does not
 * hold succeeds. */
RG_EXPORT int rg_registry_connect(struct rg_registry **out, struct rg_settings *s, char *err);
RG_EXPORT int rg_registry_add(struct rg_registry *r, const struct rg_service_desc *d, char *err);
RG_EXPORT int rg_registry_remove(struct rg_registry *r, const struct rg_service_desc *d, char *err);
/* TTL keep-alive (one request on etcd v3 whatever the number of services). */
RG_EXPORT int rg_registry_refresh(struct rg_registry *r, char *err);
RG_EXPORT void rg_registry_close(struct rg_registry *r); /* accepts NULL */

/* ---- Docker -> registry ---------------------------------------------------- */

/* One resync: registers every running container's services in every
 * registry of the "registry" setting (each written at once by its own
 * thread), and with "cleanup" removes this host's dangling entries. *failed
 * gets the number of writes that did not hold, a registry that could not be
 * reached or verified counting one (0: every registry in step); err then
 * names each registry not in step. */
RG_EXPORT int rg_resync_once(struct rg_settings *s, size_t *failed, char *err);

/* What the running containers would become, as JSON Lines sorted by id
 * (malloc()ed into *jsonl: free with rg_free). Needs Docker, no registry. */
RG_EXPORT int rg_dry_run(struct rg_settings *s, char **jsonl, char *err);

struct rg_daemon; /* opaque */

/* Connects to Docker and the registry (retrying per the settings) and
 * returns a daemon ready to run. s must outlive it. */
RG_EXPORT int rg_daemon_create(struct rg_daemon **out, struct rg_settings *s, char *err);
/* Runs the event loop until rg_daemon_stop(); RG_OK on a requested stop. */
RG_EXPORT int rg_daemon_run(struct rg_daemon *d, char *err);
/* Async-signal safe, callable from any thread: stop, or resync now. */
RG_EXPORT void rg_daemon_stop(struct rg_daemon *d);
RG_EXPORT void rg_daemon_resync(struct rg_daemon *d);
/* Frees the daemon and the connections it opened; accepts NULL. */
RG_EXPORT void rg_daemon_destroy(struct rg_daemon *d);

#ifdef __cplusplus
}
#endif
#endif /* RG_REGISTRATOR_REGISTRATOR_H */
