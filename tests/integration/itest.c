#include "tests/integration/itest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static char *run(int *status, const char *fmt, va_list ap) {
  char cmd[8192];
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p, "popen failed: %s", cmd);
  size_t cap = 4096, len = 0;
  char *out = malloc(cap);
  cr_assert_not_null(out);
  size_t n;
  while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
    len += n;
    if (cap - len <= 1) {
      cap *= 2;
      out = realloc(out, cap);
      cr_assert_not_null(out);
    }
  }
  out[len] = '\0';
  int st = pclose(p);
  if (status) *status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
  return out;
}

char *it_sh(int *status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *out = run(status, fmt, ap);
  va_end(ap);
  return out;
}

char *it_sh_ok(const char *fmt, ...) {
  int st;
  va_list ap;
  va_start(ap, fmt);
  char *out = run(&st, fmt, ap);
  va_end(ap);
  cr_assert_eq(st, 0, "command failed (exit %d); output: %s", st, out);
  return out;
}

const char *it_bin(void) {
  const char *b = getenv("RG_BIN");
  return b && *b ? b : "build/registrator";
}

const char *it_name(const char *prefix) {
  static char slots[8][128];
  static unsigned n;
  char *s = slots[n % 8];
  snprintf(s, sizeof slots[0], "%s-%ld-%u", prefix, (long)getpid(), n);
  n++;
  return s;
}

bool it_wait(double seconds, bool (*cond)(void *ud), void *ud) {
  struct timespec start, now, pause = {0, 20 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (cond(ud)) return true;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double el = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    if (el > seconds) return false;
    nanosleep(&pause, NULL);
  }
}

void it_docker_rm(const char *names) {
  free(it_sh(NULL, "docker rm -f %s >/dev/null 2>&1", names));
}

void it_cleanup(void) {
  long pid = (long)getpid();
  free(it_sh(NULL,
             "ids=$(docker ps -aq --filter name=-%ld-); [ -z \"$ids\" ] || docker rm -f $ids "
             ">/dev/null 2>&1; nets=$(docker network ls -q --filter name=-%ld-); "
             "[ -z \"$nets\" ] || docker network rm $nets >/dev/null 2>&1",
             pid, pid));
}

long it_spawn(const char *log_path, const char *fmt, ...) {
  char cmd[8192] = "exec ";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd + 5, sizeof cmd - 5, fmt, ap);
  va_end(ap);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_neq(pid, -1, "fork failed");
  if (pid == 0) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int nul = open("/dev/null", O_RDONLY);
    if (fd < 0 || nul < 0) _exit(126);
    dup2(nul, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  return (long)pid;
}

int it_wait_exit(long pid, double seconds) {
  struct timespec start, now, pause = {0, 10 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int st;
    pid_t r = waitpid((pid_t)pid, &st, WNOHANG);
    if (r == (pid_t)pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0) return -2; /* not our child */
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 > seconds)
      return -1;
    nanosleep(&pause, NULL);
  }
}
