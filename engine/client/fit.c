/* Toolchain-aware dispatch: which helpers may get a job, by DISTCC_TOOLCHAIN_MATCH. */
#include "client.h"
#include "slots.h"

#include "base/dcc_log.h"
#include "client/dcc_fit.h"
#include "client/dcc_hostcaps.h"

#include <stdio.h>
#include <string.h>

/* Whether host fits; 0 with why when it does not, and then *learned is
 * when its facts were learned (for naming it once). */
static int host_fits(const struct dcc_host *host, const char *name, const struct dcc_pf_row *local,
                     enum dcc_fit_policy policy, int need_known, const struct dcc_hostcaps_opts *o,
                     time_t *learned, char *why, size_t whylen)
{
    char err[700];
    const char *hostname = host->spec;
    struct dcc_hostcaps caps;
    int rc = dcc_hostcaps_get(host, o, &caps, err, sizeof err);
    if (rc != 0) {
        /* Unreachable: the job's own try fails there and backs it off. */
        dcc_debug("toolchain of %s not compared: %s", hostname, err);
        return 1;
    }
    *learned = caps.learned;
    struct dcc_pf_row remote;
    rc = dcc_fit_remote(host, &caps, name, o, &remote, err, sizeof err);
    dcc_hostcaps_free(&caps);
    if (rc == 0 || rc > 1) {
        if (rc > 1)
            dcc_debug("toolchain of %s not compared: %s", hostname, err);
        if (!need_known)
            return 1;
        snprintf(why, whylen, "helper %s's toolchain is unknown%s", hostname,
                 rc == 0 ? " (its CAPS answer has none)" : "");
        return 0;
    }
    return dcc_fit_judge(local, &remote, policy, hostname, why, whylen);
}

int dcc_client_fit_hosts(struct client *cl, const char *name, const char *real, int need_known,
                         char *why, size_t whylen)
{
    enum dcc_fit_policy policy = (enum dcc_fit_policy)cl->fit_policy;
    if (need_known && policy == DCC_FIT_OFF)
        policy = DCC_FIT_EXACT;
    int left = 0;
    why[0] = '\0';
    for (size_t i = 0; i < cl->hosts.n; i++)
        left += cl->hosts.hosts[i].mode != DCC_HOST_LOCAL;
    if (policy == DCC_FIT_OFF || left == 0)
        return left;
    struct dcc_hostcaps_opts o = dcc_client_hostcaps_opts(cl);
    struct dcc_pf_row local;
    char err[700];
    if (dcc_fit_local(real, name, o.distcc_dir, o.ttl_s, &local, err, sizeof err) != 0) {
        dcc_debug("helpers' toolchains not compared: %s", err);
        if (!need_known)
            return left;
        local.found = 0;
    }
    if (local.found != 1 && need_known) {
        snprintf(why, whylen, "this machine's %s is unknown, so no helper is known to fit", name);
        for (size_t i = 0; i < cl->hosts.n; i++)
            if (cl->hosts.hosts[i].mode != DCC_HOST_LOCAL)
                dcc_slots_exclude(cl, &cl->hosts.hosts[i]);
        return 0;
    }
    left = 0;
    for (size_t i = 0; i < cl->hosts.n; i++) {
        const struct dcc_host *host = &cl->hosts.hosts[i];
        if (host->mode == DCC_HOST_LOCAL)
            continue;
        char reason[700];
        time_t learned = 0;
        if (host_fits(host, name, &local, policy, need_known, &o, &learned, reason,
                      sizeof reason)) {
            left++;
            continue;
        }
        dcc_slots_exclude(cl, host);
        /* Named once per build (per answer learned), then only in the
         * verbose log. */
        if (dcc_fit_first_notice(host, name, learned, o.distcc_dir))
            dcc_warn("%s: skipping it for %s jobs (DISTCC_TOOLCHAIN_MATCH=%s)", reason, name,
                     dcc_fit_policy_name(policy));
        else
            dcc_debug("%s: skipping it (DISTCC_TOOLCHAIN_MATCH=%s)", reason,
                      dcc_fit_policy_name(policy));
        if (!why[0])
            snprintf(why, whylen, "no helper's toolchain fits: %s", reason);
    }
    if (left > 0)
        why[0] = '\0';
    return left;
}
