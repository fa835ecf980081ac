/* configfile.c - settings from a libconfig file (see config.h). */
#include <libconfig.h>
#include <stdio.h>
#include <string.h>

#include "registrator/config.h"

/* A setting's value as the text a flag would carry. */
static int setting_text(const config_setting_t *s, char *buf, size_t size, const char **out) {
  switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
      snprintf(buf, size, "%lld", config_setting_get_int64(s));
      *out = buf;
      return RG_OK;
    case CONFIG_TYPE_BOOL:
      *out = config_setting_get_bool(s) ? "true" : "false";
      return RG_OK;
    case CONFIG_TYPE_STRING:
      *out = config_setting_get_string(s);
      return *out ? RG_OK : RG_EINVAL;
    default:
      return RG_EINVAL;
  }
}

/* registry = ["uri", "uri"]; (a list or an array of strings). */
static int registry_list(struct rg_config *c, const char *path, const config_setting_t *s, char *err) {
  struct rg_buf b = {0};
  int rc = RG_OK;
  for (int i = 0; rc == RG_OK && i < config_setting_length(s); i++) {
    const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
    const char *uri = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
    if (uri == NULL || uri[0] == '\0' || strpbrk(uri, " \t\r\n"))
      rc = rg_err(err, RG_EINVAL, "config file %s:%u: registry: each entry must be one URI string", path,
                  config_setting_source_line(e));
    else if (rg_buf_printf(&b, "%s%s", b.len ? " " : "", uri) != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
  }
  if (rc == RG_OK) rc = rg_config_set(c, "registry", b.data ? b.data : "", err);
  rg_buf_free(&b);
  return rc;
}

int rg_config_load_file(struct rg_config *c, const char *path, char *err) {
  config_t cf;
  config_init(&cf);
  int rc = RG_OK;
  if (config_read_file(&cf, path) != CONFIG_TRUE) {
    if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
      rc = rg_err(err, RG_EINVAL, "config file %s: cannot read it", path);
    else
      rc = rg_err(err, RG_EINVAL, "config file %s:%d: %s", path, config_error_line(&cf),
                  config_error_text(&cf));
    config_destroy(&cf);
    return rc;
  }
  config_setting_t *root = config_root_setting(&cf);
  for (int i = 0; rc == RG_OK && i < config_setting_length(root); i++) {
    config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
    const char *raw = config_setting_name(s);
    char name[64], num[32], e2[RG_ERRBUF];
    size_t n = 0;
    for (; raw && raw[n] && n < sizeof name - 1; n++) name[n] = raw[n] == '_' ? '-' : raw[n];
    name[n] = '\0';
    const char *value = NULL;
    if (strcmp(name, "registry") == 0 && config_setting_is_aggregate(s)) {
      rc = registry_list(c, path, s, err);
    } else if (setting_text(s, num, sizeof num, &value) != RG_OK) {
      rc = rg_err(err, RG_EINVAL, "config file %s:%u: setting \"%s\" must be a number, boolean or string",
                  path, config_setting_source_line(s), raw ? raw : "?");
    } else if ((rc = rg_config_set(c, name, value, e2)) != RG_OK) {
      rc = rg_err(err, RG_EINVAL, "config file %s:%u: %s", path, config_setting_source_line(s), e2);
    }
  }
  config_destroy(&cf);
  return rc;
}
