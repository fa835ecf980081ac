/* register - registers one service through the installed libregistrator.
 *
 *   cc register.c $(pkg-config --cflags --libs registrator) -o register
 *   ./register etcd://127.0.0.1:2379/services web 10.0.0.5 8080
 *
 * Exit 0 when the registry holds the service. */
#include <registrator/registrator.h>
#include <stdio.h>
#include <stdlib.h>

static void log_line(void *ud, enum rg_log_level level, const char *msg) {
  (void)ud;
  fprintf(stderr, "%s: %s\n", rg_log_level_name(level), msg);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <uri> <name> <ip> <port>\n", argv[0]);
    return 2;
  }
  char err[RG_ERRBUF] = "";
  char id[256];
  snprintf(id, sizeof id, "example:%s:%s", argv[2], argv[4]);
  char *end = NULL;
  long port = strtol(argv[4], &end, 10);
  if (*end != '\0' || port < 1 || port > 65535) {
    fprintf(stderr, "register: bad port \"%s\"\n", argv[4]);
    return 2;
  }
  struct rg_service_desc svc = {.id = id, .name = argv[2], .ip = argv[3], .port = (int)port};
  struct rg_settings *s = NULL;
  struct rg_registry *r = NULL;
  int rc = rg_settings_new(&s);
  if (rc == RG_OK) {
    rg_settings_set_log(s, log_line, NULL, RG_LOG_WARN);
    rc = rg_settings_set(s, "registry", argv[1], err);
  }
  if (rc == RG_OK) rc = rg_registry_connect(&r, s, err);
  if (rc == RG_OK) rc = rg_registry_add(r, &svc, err);
  if (rc != RG_OK) fprintf(stderr, "register: %s (%s)\n", err, rg_strerror(rc));
  rg_registry_close(r);
  rg_settings_free(s);
  return rc == RG_OK ? 0 : 1;
}
