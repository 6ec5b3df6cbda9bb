/* distccd --zeroconf: what this helper announces over mDNS, and when it stops. */
#ifndef DCCD_ZEROCONF_H
#define DCCD_ZEROCONF_H

#include "daemon.h"

/* Starts announcing (port, slots, cc's target and version) and says how it
 * goes in the log; NULL when it cannot, after saying why (a build without
 * Avahi among them). The daemon goes on serving either way. */
struct dcc_zc_publisher *dccd_zeroconf_start(const struct dccd_config *cfg);
/* Withdraws the announcement; NULL is fine. */
void dccd_zeroconf_stop(struct dcc_zc_publisher *pub);

#endif
