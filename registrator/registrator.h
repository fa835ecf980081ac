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
 * The library never prints; without a sink, messages are dropped. */
typedef void (*rg_log_fn)(void *userdata, enum rg_log_level level, const char *msg);

/* "debug", "info", "warn", "error". */
RG_EXPORT const char *rg_log_level_name(enum rg_log_level level);

#ifdef __cplusplus
}
#endif
#endif /* RG_REGISTRATOR_REGISTRATOR_H */
