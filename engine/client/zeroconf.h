/* +zeroconf in the client: the helpers found over mDNS, from the list one client at a time refreshes. */
#ifndef DCC_CLIENT_ZEROCONF_H
#define DCC_CLIENT_ZEROCONF_H

#include "proto/dcc_hosts.h"

/* Puts the helpers of $DISTCC_DIR/zeroconf/list where +zeroconf stood in
 * list. A list older than DCC_ZC_CACHE_TTL is used as it is while one
 * detached process browses for the next; with no list yet, this client
 * browses (or waits for the one that does). Problems are warnings: the
 * build goes on with the other hosts. */
void dcc_client_zeroconf_add(struct dcc_hostlist *list);

#endif
