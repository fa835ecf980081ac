/*
 * hostinfo.h - facts about the host registrator runs on (I/O, kept out of
 * the pure model): its name and the address of the default route.
 */
#ifndef RG_REGISTRATOR_HOSTINFO_H
#define RG_REGISTRATOR_HOSTINFO_H

#include <stddef.h>

#include "registrator/common.h"

/* The host name (gethostname) into buf. */
int rg_host_name(char *buf, size_t size, char *err);

/* The first IPv4 address of the interface that carries the IPv4 default
 * route (from /proc/net/route), else the first global IPv6 address of the
 * IPv6 default route's interface. *iface gets that interface's name.
 * RG_ENOTFOUND when there is no default route. */
int rg_host_default_ip(char *ip, size_t ipsize, char *iface, size_t ifsize, char *err);

#endif
