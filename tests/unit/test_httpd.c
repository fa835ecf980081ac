/* The -metrics endpoint (registrator/httpd.c) on a real libmicrohttpd
 * bound to 127.0.0.1, asked over plain sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "registrator/httpd.h"
#include "tests/unit/rg_test.h"

RG_SUITE(httpd);

#define ADDR "127.0.0.1:29586"

static int dial(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(29586)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  struct timeval tv = {3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect " ADDR);
  return fd;
}

/* Sends req (len bytes), reads until the server closes; the response in
 * resp (NUL-terminated, cut), the status code returned (0: none). */
static int exchange(const char *req, size_t len, char *resp, size_t size) {
  int fd = dial();
  for (size_t off = 0; off < len;) {
    ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
    if (n <= 0) break; /* the server may close on a request it refuses */
    off += (size_t)n;
  }
  shutdown(fd, SHUT_WR);
  size_t got = 0;
  ssize_t n;
  while (got < size - 1 && (n = recv(fd, resp + got, size - 1 - got, 0)) > 0) got += (size_t)n;
  resp[got] = '\0';
  close(fd);
  int code = 0;
  sscanf(resp, "HTTP/1.%*d %d", &code);
  return code;
}

static int get(const char *path, char *resp, size_t size) {
  char req[256];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
  return exchange(req, (size_t)n, resp, size);
}

struct fixture {
  struct rg_metrics *m;
  struct rg_httpd *h;
};

static void start(struct fixture *f) {
  char err[RG_ERRBUF];
  cr_assert_eq(rg_metrics_new(&f->m, "9.9", err), RG_OK);
  cr_assert_eq(rg_httpd_start(&f->h, ADDR, f->m, err), RG_OK, "%s", err);
}

static void stop(struct fixture *f) {
  rg_httpd_stop(f->h);
  rg_metrics_free(f->m);
}

Test(httpd, serves_metrics_health_and_readiness_with_their_status_codes) {
  struct fixture f;
  start(&f);
  static char r[65536];
  cr_assert_eq(get("/metrics", r, sizeof r), 200);
  cr_assert(strstr(r, "Content-Type: text/plain; version=0.0.4") != NULL, "%s", r);
  cr_assert(strstr(r, "registrator_build_info{version=\"9.9\"} 1\n") != NULL);
  cr_assert_eq(get("/healthz", r, sizeof r), 503); /* the loop never turned */
  rg_metrics_heartbeat(f.m);
  cr_assert_eq(get("/healthz", r, sizeof r), 200);
  cr_assert_eq(get("/readyz", r, sizeof r), 503);
  cr_assert(strstr(r, "first sync not done") != NULL, "%s", r);
  rg_metrics_first_sync(f.m);
  rg_metrics_stream(f.m, true);
  cr_assert_eq(get("/readyz", r, sizeof r), 200);
  cr_assert_eq(get("/nothing", r, sizeof r), 404);
  cr_assert_eq(get("/metrics?x=1", r, sizeof r), 200);
  const char post[] = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  cr_assert_eq(exchange(post, sizeof post - 1, r, sizeof r), 405);
  cr_assert(strstr(r, "Allow: GET, HEAD") != NULL, "%s", r);
  stop(&f);
}

Test(httpd, garbage_and_a_1mb_header_get_an_error_and_the_server_goes_on) {
  struct fixture f;
  start(&f);
  static char r[65536];
  const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n";
  int code = exchange(junk, sizeof junk - 1, r, sizeof r);
  cr_assert(code == 0 || code == 400, "garbage answered %d", code);
  size_t big = 1024 * 1024;
  char *req = malloc(big + 128);
  int n = snprintf(req, 128, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
  memset(req + n, 'a', big);
  memcpy(req + n + big, "\r\n\r\n", 4);
  code = exchange(req, (size_t)n + big + 4, r, sizeof r);
  free(req);
  cr_assert(code == 0 || code == 431 || code == 413, "a 1 MB header answered %d", code);
  rg_metrics_heartbeat(f.m);
  cr_assert_eq(get("/healthz", r, sizeof r), 200);
  stop(&f);
}

Test(httpd, binds_only_where_told) {
  struct sockaddr_storage ss;
  socklen_t len;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_httpd_parse_addr("127.0.0.1:9585", &ss, &len, err), RG_OK);
  cr_assert_eq(ss.ss_family, AF_INET);
  cr_assert_eq(rg_httpd_parse_addr("[::1]:9585", &ss, &len, err), RG_OK);
  cr_assert_eq(ss.ss_family, AF_INET6);
  cr_assert_eq(rg_httpd_parse_addr(":9585", &ss, &len, err), RG_EINVAL); /* "everywhere" must be said */
  cr_assert_eq(rg_httpd_parse_addr("127.0.0.1", &ss, &len, err), RG_EINVAL);
  cr_assert_eq(rg_httpd_parse_addr("127.0.0.1:0", &ss, &len, err), RG_EINVAL);
  cr_assert_eq(rg_httpd_parse_addr("127.0.0.1:99999", &ss, &len, err), RG_EINVAL);
  cr_assert_eq(rg_httpd_parse_addr("[::1:9585", &ss, &len, err), RG_EINVAL);
  struct rg_metrics *m = NULL;
  struct rg_httpd *h = NULL;
  cr_assert_eq(rg_metrics_new(&m, "x", err), RG_OK);
  cr_assert_eq(rg_httpd_start(&h, "192.0.2.250:29587", m, err), RG_EIO); /* not an address of this host */
  cr_assert(strstr(err, "192.0.2.250:29587") != NULL, "%s", err);
  rg_metrics_free(m);
}
