/* hostinfo.c - see hostinfo.h. */
#include "registrator/hostinfo.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rg_host_name(char *buf, size_t size, char *err) {
  if (gethostname(buf, size) != 0 || buf[0] == '\0')
    return rg_err(err, RG_EIO, "cannot read this host's name; set -hostname");
  buf[size - 1] = '\0';
  return RG_OK;
}

/* Interface of the default route in a /proc/net/{route,ipv6_route} table. */
static int default_iface(bool v6, char *iface, size_t ifsize) {
  FILE *f = fopen(v6 ? "/proc/net/ipv6_route" : "/proc/net/route", "r");
  if (f == NULL) return RG_ENOTFOUND;
  char line[512];
  int rc = RG_ENOTFOUND;
  while (rc != RG_OK && fgets(line, sizeof line, f)) {
    char name[IF_NAMESIZE + 1];
    if (v6) {
      /* dest/len src/len nexthop metric refcnt use flags iface */
      char dest[33], plen[3];
      if (sscanf(line, "%32s %2s %*s %*s %*s %*s %*s %*s %*s %16s", dest, plen, name) == 3 &&
          strcmp(dest, "00000000000000000000000000000000") == 0 && strcmp(plen, "00") == 0 &&
          strcmp(name, "lo") != 0)
        rc = RG_OK;
    } else {
      char dest[9];
      if (sscanf(line, "%16s %8s", name, dest) == 2 && strcmp(dest, "00000000") == 0) rc = RG_OK;
    }
    if (rc == RG_OK) snprintf(iface, ifsize, "%s", name);
  }
  fclose(f);
  return rc;
}

static int iface_addr(const char *iface, int family, char *ip, size_t ipsize) {
  struct ifaddrs *all;
  if (getifaddrs(&all) != 0) return RG_EIO;
  int rc = RG_ENOTFOUND;
  for (struct ifaddrs *a = all; a && rc != RG_OK; a = a->ifa_next) {
    if (a->ifa_addr == NULL || a->ifa_addr->sa_family != family || strcmp(a->ifa_name, iface))
      continue;
    const void *src;
    if (family == AF_INET) {
      src = &((struct sockaddr_in *)(void *)a->ifa_addr)->sin_addr;
    } else {
      const struct in6_addr *a6 = &((struct sockaddr_in6 *)(void *)a->ifa_addr)->sin6_addr;
      if (IN6_IS_ADDR_LINKLOCAL(a6)) continue;
      src = a6;
    }
    if (inet_ntop(family, src, ip, (socklen_t)ipsize) != NULL) rc = RG_OK;
  }
  freeifaddrs(all);
  return rc;
}

int rg_host_default_ip(char *ip, size_t ipsize, char *iface, size_t ifsize, char *err) {
  if (default_iface(false, iface, ifsize) == RG_OK && iface_addr(iface, AF_INET, ip, ipsize) == RG_OK)
    return RG_OK;
  if (default_iface(true, iface, ifsize) == RG_OK && iface_addr(iface, AF_INET6, ip, ipsize) == RG_OK)
    return RG_OK;
  return rg_err(err, RG_ENOTFOUND, "no default route with an address; set -ip");
}
