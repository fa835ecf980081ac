/* fake_docker.c - see fake_docker.h. */
#define _GNU_SOURCE /* memmem */
#include "tests/unit/fake_docker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/rg_test.h"

char *http(const char *status, const char *ctype, const char *body) {
  struct rg_buf b = {0};
  rg_buf_printf(
      &b, "HTTP/1.1 %s\r\nApi-Version: 1.41\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
      status, ctype, strlen(body), body);
  return b.data;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void serve_conn(int c, const struct route *routes, size_t nroutes,
                       const struct built_route *built) {
  char buf[16384];
  size_t len = 0;
  for (;;) {
    char *end;
    while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
      if (len == sizeof buf) return;
      ssize_t r = read(c, buf + len, sizeof buf - len);
      if (r <= 0) return;
      len += (size_t)r;
    }
    char target[2048] = "";
    char *sp = memchr(buf, ' ', len),
         *sp2 = sp ? memchr(sp + 1, ' ', (size_t)(end - sp - 1)) : NULL;
    if (sp && sp2 && (size_t)(sp2 - sp - 1) < sizeof target)
      memcpy(target, sp + 1, (size_t)(sp2 - sp - 1));
    size_t used = (size_t)(end + 4 - buf);
    memmove(buf, buf + used, len - used);
    len -= used;
    const struct route *r = NULL;
    for (size_t i = 0; i < nroutes && r == NULL; i++)
      if (strcmp(routes[i].target, target) == 0) r = &routes[i];
    if (r == NULL && built && strncmp(target, built->prefix, strlen(built->prefix)) == 0) {
      char *resp = built->answer(target);
      size_t n = strlen(resp);
      write_all(c, resp, n);
      bool stream = memmem(resp, n, "Content-Length:", 15) == NULL;
      free(resp);
      if (stream) return;
      continue;
    }
    if (r == NULL) {
      static const char nf[] = JSON("404 Not Found", 29) NOT_FOUND_BODY;
      write_all(c, nf, sizeof nf - 1);
      continue;
    }
    if (r->response == NULL) pause();
    size_t n = r->len ? r->len : strlen(r->response);
    write_all(c, r->response, n);
    if (memmem(r->response, n, "Content-Length:", 15) == NULL) return; /* streams end here */
  }
}

struct server serve(int tcp, const struct route *routes, size_t nroutes) {
  return serve_built(tcp, routes, nroutes, NULL);
}

struct server serve_built(int tcp, const struct route *routes, size_t nroutes,
                          const struct built_route *built) {
  struct server s = {0};
  int fd;
  if (tcp == 0) {
    snprintf(s.dir, sizeof s.dir, "/tmp/rg-client-XXXXXX");
    cr_assert_not_null(mkdtemp(s.dir));
    snprintf(s.sock, sizeof s.sock, "%s/docker.sock", s.dir);
    snprintf(s.host, sizeof s.host, "unix://%s", s.sock);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", s.sock);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  } else if (tcp == 4) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    snprintf(s.host, sizeof s.host, "tcp://127.0.0.1:%d", ntohs(a.sin_port));
  } else {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t al = sizeof a;
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) cr_skip_test("no IPv6 loopback");
    getsockname(fd, (struct sockaddr *)&a, &al);
    snprintf(s.host, sizeof s.host, "tcp://[::1]:%d", ntohs(a.sin6_port));
  }
  cr_assert_eq(listen(fd, 8), 0);
  s.pid = fork();
  cr_assert_neq(s.pid, -1);
  if (s.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    alarm(60);
    for (;;) {
      int c = accept(fd, NULL, NULL);
      if (c < 0) _exit(0);
      if (fork() == 0) { /* one process per connection: keep-alive + streams */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(fd);
        serve_conn(c, routes, nroutes, built);
        _exit(0);
      }
      close(c);
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
    }
  }
  close(fd);
  return s;
}

void stop_server(struct server *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
  }
  if (s->sock[0]) unlink(s->sock);
  if (s->dir[0]) rmdir(s->dir);
}

struct rg_docker *open_ok(const char *host) {
  struct rg_docker *d;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_open(&d, host, NULL, err), RG_OK, "%s", err);
  rg_docker_set_timeouts(d, 2000, 5000);
  return d;
}

