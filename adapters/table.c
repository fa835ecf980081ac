/* table.c - the one table mapping URI schemes to adapters. */
#include <string.h>

#include "adapters/adapter.h"
#include "adapters/consul.h"
#include "adapters/etcd.h"
#include "adapters/skydns.h"

const struct rg_adapter *const rg_adapters[] = {
    &rg_adapter_etcd,   /* etcd, etcd2 */
    &rg_adapter_skydns, /* skydns, skydns2 */
    &rg_adapter_consul, /* consul, consul-tls, consul-unix, consul-catalog */
    NULL,
};

const struct rg_adapter *rg_adapter_find(const char *scheme) {
  if (scheme == NULL) return NULL;
  for (size_t i = 0; rg_adapters[i] != NULL; i++)
    for (const char *const *s = rg_adapters[i]->schemes; *s != NULL; s++)
      if (strcmp(*s, scheme) == 0) return rg_adapters[i];
  return NULL;
}
