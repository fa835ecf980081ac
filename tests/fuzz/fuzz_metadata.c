/* fuzz_metadata.c - SERVICE_* parsing (registrator/metadata.c) and the
 * model on top of it, with labels and env built from the input.
 *
 * Input: lines. The first line is the exposed port; then "E<item>" is a
 * Config.Env item ("KEY=value"), "L<key>=<value>" a label, "I<image>" the
 * image and "T<list>" a tag list. tests/fuzz/mkseeds.sh writes seeds in
 * this form from the recordings in tests/fixtures/inspect. */
#include <string.h>

#include "adapters/safename.h"
#include "registrator/metadata.h"
#include "registrator/model.h"
#include "tests/fuzz/fuzz.h"

static void split_add(struct rg_kvlist *l, const char *item) {
  const char *eq = strchr(item, '=');
  char *key = rg_strndup(item, eq ? (size_t)(eq - item) : strlen(item));
  FUZZ_CHECK(key != NULL);
  FUZZ_CHECK(rg_kvlist_add(l, key, eq ? eq + 1 : "") == RG_OK);
  free(key);
}

static void check_meta(const struct rg_meta *m) {
  for (size_t i = 0; i < m->kv.n; i++) {
    const char *k = m->kv.items[i].key;
    FUZZ_CHECK(k[0] != '\0' && m->kv.items[i].value[0] != '\0');
    for (const char *p = k; *p; p++) FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
    FUZZ_CHECK(rg_meta_get(m, k) != NULL);
  }
  for (size_t i = 0; i < m->from_port.n; i++)
    FUZZ_CHECK(rg_meta_get(m, m->from_port.items[i]) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  FUZZ_CHECK(text != NULL);
  memcpy(text, data, size);
  text[size] = '\0';
  for (size_t i = 0; i < size; i++)
    if (text[i] == '\0') text[i] = '\n'; /* Docker strings hold no NUL */

  char port[8] = "80", image[256] = "", tcp[] = "tcp", hip[] = "0.0.0.0";
  struct rg_strlist tags = {0};
  struct rg_container c = {0};
  char *save = NULL;
  size_t line = 0;
  for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save), line++) {
    if (line == 0) {
      snprintf(port, sizeof port, "%s", l);
      continue;
    }
    switch (l[0]) {
      case 'E': split_add(&c.env, l + 1); break;
      case 'L': split_add(&c.labels, l + 1); break;
      case 'I': snprintf(image, sizeof image, "%s", l + 1); break;
      case 'T': FUZZ_CHECK(rg_tags_append(&tags, l + 1) == RG_OK); break;
      default: break;
    }
  }
  for (size_t i = 0; i < tags.n; i++) { /* trimmed, non-empty, unique */
    size_t n = strlen(tags.items[i]);
    FUZZ_CHECK(n > 0 && tags.items[i][0] != ' ' && tags.items[i][n - 1] != ' ');
    for (size_t j = 0; j < i; j++) FUZZ_CHECK(strcmp(tags.items[i], tags.items[j]) != 0);
  }
  char *base = rg_image_base_name(image);
  FUZZ_CHECK(base != NULL && strchr(base, '/') == NULL && strchr(base, '@') == NULL);
  free(base);
  bool flag;
  (void)rg_parse_bool(port, &flag);

  struct rg_meta m;
  FUZZ_CHECK(rg_meta_collect(&c, port, &m) == RG_OK);
  check_meta(&m);
  rg_meta_free(&m);
  FUZZ_CHECK(rg_meta_collect(&c, NULL, &m) == RG_OK);
  check_meta(&m);
  FUZZ_CHECK(m.from_port.n == 0);
  rg_meta_free(&m);

  /* the same metadata through the model: one published port */
  char id[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  char name[] = "fuzz", mode[] = "default", empty[] = "";
  struct rg_port_binding b = {hip, port};
  struct rg_port p = {port, tcp, &b, 1};
  c.id = id;
  c.name = name;
  c.image = image;
  c.hostname = name;
  c.network_mode = mode;
  c.ip = empty;
  c.running = true;
  c.ports = &p;
  c.nports = 1;
  const struct rg_model_options opts[] = {
      {.hostname = "host1", .default_ip = "10.0.0.1", .tags = &tags},
      {.hostname = "host1", .internal = true, .explicit_ = true},
  };
  for (size_t i = 0; i < RG_ARRAY_LEN(opts); i++) {
    struct rg_service_list out = {0};
    char err[RG_ERRBUF] = "";
    FUZZ_CHECK(rg_model_services(&c, NULL, &opts[i], fuzz_log(), &out, err) == RG_OK);
    for (size_t k = 0; k < out.n; k++) {
      FUZZ_CHECK(out.items[k].name && out.items[k].id);
      if (rg_safename_check_service(&out.items[k], err) == RG_OK)
        FUZZ_CHECK(strchr(out.items[k].name, '/') == NULL && strstr(out.items[k].id, "..") == NULL);
    }
    rg_service_list_free(&out);
  }
  rg_kvlist_free(&c.env);
  rg_kvlist_free(&c.labels);
  rg_strlist_free(&tags);
  free(text);
  return 0;
}
