/* Toolchain-aware dispatch: which helpers may get a job, by DISTCC_TOOLCHAIN_MATCH. */
#include "client.h"
#include "slots.h"

#include "base/dcc_log.h"
#include "client/dcc_hostcaps.h"
#include "proto/dcc_march.h"
#include "proto/dcc_whitelist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !DCC_WITH_JSON
/* Built without jansson (WITH_JSON=0): no helper's toolchain is known, so
 * every helper takes a job as with stock distcc, and a job that needs a
 * known toolchain (-march=native) stays here. */
int dcc_client_fit_hosts(struct client *cl, const char *file, const char *name, const char *real,
                         int need_known, int *failure, char *why, size_t whylen)
{
    (void)file, (void)name, (void)real, (void)failure;
    int left = 0;
    why[0] = '\0';
    for (size_t i = 0; i < cl->hosts.n; i++)
        left += cl->hosts.hosts[i].mode != DCC_HOST_LOCAL;
    if (need_known && left) {
        snprintf(why, whylen,
                 "helpers' toolchains are unknown to a distcc built without jansson (WITH_JSON=0)");
        return 0;
    }
    return left;
}

int dcc_client_expand_native(struct client *cl, char ***argvp, char *why, size_t whylen)
{
    (void)cl;
    why[0] = '\0';
    if (!dcc_march_args_want_native(*argvp))
        return 0;
    snprintf(why, whylen,
             "-march=native is not expanded by a distcc built without jansson (WITH_JSON=0)");
    return -1;
}
#else
#include "client/dcc_fit.h"

/* The helper's row for name: 1 with row, 0 when its toolchain is unknown,
 * -1 when it could not be asked (err says why). */
static int remote_row(const struct dcc_host *host, const char *name,
                      const struct dcc_hostcaps_opts *o, struct dcc_pf_row *row, time_t *learned,
                      int *failure, char *err, size_t errlen)
{
    struct dcc_hostcaps caps;
    int rc = dcc_hostcaps_get(host, o, &caps, err, errlen);
    if (rc != 0) {
        *failure = rc;
        return -1;
    }
    *learned = caps.learned;
    rc = dcc_fit_remote(host, &caps, name, o, row, err, errlen);
    dcc_hostcaps_free(&caps);
    if (rc > 1)
        *failure = rc;
    return rc > 1 ? -1 : rc;
}

/* A helper that could not be asked failed this job as a compile there
 * would have: backed off, and said so in the same words. */
static void asking_failed(struct client *cl, const struct dcc_host *host, const char *file,
                          const char *err)
{
    char hostname[600];
    dcc_hosts_format(host, hostname, sizeof hostname);
    dcc_slots_backoff(cl, host);
    /* A connection closed at CAPS looked like stock 3.4; a helper that then
     * does not answer its probe either (not in its --allow list, stopped)
     * is not known to be anything: ask again next time. */
    dcc_hostcaps_forget(host, NULL);
    if (dcc_slots_helper_left(cl))
        dcc_warn("failed to distribute %s to %s (%s), trying another helper", file, hostname, err);
    else if (cl->fallback)
        dcc_warn("failed to distribute %s to %s (%s), running locally instead", file, hostname,
                 err);
    else
        dcc_warn("failed to distribute %s to %s (%s)", file, hostname, err);
}

int dcc_client_fit_hosts(struct client *cl, const char *file, const char *name, const char *real,
                         int need_known, int *failure, char *why, size_t whylen)
{
    enum dcc_fit_policy policy = (enum dcc_fit_policy)cl->fit_policy;
    if (need_known && policy == DCC_FIT_OFF)
        policy = DCC_FIT_EXACT;
    size_t n = cl->hosts.n;
    int left = 0;
    why[0] = '\0';
    for (size_t i = 0; i < n; i++)
        left += cl->hosts.hosts[i].mode != DCC_HOST_LOCAL;
    if (policy == DCC_FIT_OFF || left == 0)
        return left;
    struct dcc_hostcaps_opts o = dcc_client_hostcaps_opts(cl);
    struct dcc_pf_row *rows = calloc(n, sizeof *rows);
    int *known = calloc(n, sizeof *known);
    time_t *learned = calloc(n, sizeof *learned);
    if (!rows || !known || !learned) {
        free(rows);
        free(known);
        free(learned);
        return left;
    }
    /* This machine's compiler runs only when a helper names the same
     * compiler: a helper that does not know it has nothing to compare. */
    int comparable = 0;
    for (size_t i = 0; i < n; i++) {
        const struct dcc_host *host = &cl->hosts.hosts[i];
        /* A backed-off helper is not picked: nothing to ask it. */
        if (host->mode == DCC_HOST_LOCAL || dcc_slots_in_backoff(cl, host)) {
            known[i] = -2;
            continue;
        }
        char err[700];
        known[i] = remote_row(host, name, &o, &rows[i], &learned[i], failure, err, sizeof err);
        if (known[i] < 0)
            asking_failed(cl, host, file, err);
        comparable |= known[i] == 1 && rows[i].found == 1;
    }
    struct dcc_pf_row local = {.found = 0};
    char err[700];
    if (comparable &&
        dcc_fit_local(real, name, o.distcc_dir, o.ttl_s, &local, err, sizeof err) != 0) {
        dcc_debug("helpers' toolchains not compared: %s", err);
        local.found = 0;
    }
    left = 0;
    for (size_t i = 0; i < n; i++) {
        const struct dcc_host *host = &cl->hosts.hosts[i];
        if (host->mode == DCC_HOST_LOCAL || known[i] < 0)
            continue; /* localhost, backed off, or just failed and backed off */
        char reason[700];
        int fits;
        if (known[i] == 1 && local.found == 1)
            fits = dcc_fit_judge(&local, &rows[i], policy, host->spec, reason, sizeof reason);
        else if (!need_known)
            fits = 1;
        else if (known[i] != 1 || rows[i].found != 1)
            fits = 0,
            snprintf(reason, sizeof reason, "helper %s's %s is unknown", host->spec, name);
        else
            fits = 0, snprintf(reason, sizeof reason, "this machine's %s is unknown", name);
        if (fits) {
            left++;
            continue;
        }
        dcc_slots_exclude(cl, host);
        /* Named once per build (per answer learned), then only in the
         * verbose log. */
        if (dcc_fit_first_notice(host, name, learned[i], o.distcc_dir))
            dcc_warn("%s: skipping it for %s jobs (DISTCC_TOOLCHAIN_MATCH=%s)", reason, name,
                     dcc_fit_policy_name(policy));
        else
            dcc_debug("%s: skipping it (DISTCC_TOOLCHAIN_MATCH=%s)", reason,
                      dcc_fit_policy_name(policy));
        if (!why[0])
            snprintf(why, whylen, "no helper's toolchain fits: %s", reason);
    }
    free(rows);
    free(known);
    free(learned);
    if (left > 0)
        why[0] = '\0';
    return left;
}

int dcc_client_expand_native(struct client *cl, char ***argvp, char *why, size_t whylen)
{
    why[0] = '\0';
    if (!dcc_march_args_want_native(*argvp))
        return 0;
    /* The compiler this machine runs: what -march=native means is its answer. */
    char real[PATH_MAX], err[600];
    const char *cc = cl->local_argv[0];
    if (!strchr(cc, '/')) {
        if (dcc_whitelist_find_compiler(cc, getenv("PATH"), NULL, real, sizeof real, err,
                                        sizeof err) != 0) {
            snprintf(why, whylen, "-march=native is not expanded: %s", err);
            return -1;
        }
        cc = real;
    }
    struct dcc_march_native reduced;
    int rc = dcc_fit_native(cc, NULL, &reduced, err, sizeof err);
    if (rc != DCC_MARCH_OK) {
        snprintf(why, whylen, "-march=native is not expanded: %s", err);
        return -1;
    }
    char **out = NULL;
    rc = dcc_march_substitute(*argvp, &reduced, 0, &out, err, sizeof err);
    dcc_march_native_free(&reduced);
    if (rc != DCC_MARCH_OK) {
        snprintf(why, whylen, "-march=native is not expanded: %s", err);
        return -1;
    }
    if (dcc_log_get_level() >= DCC_LOG_DEBUG) {
        char *line = dcc_argv_join(out);
        dcc_debug("expanded -march=native/-mtune=native: %s", line ? line : out[0]);
        free(line);
    }
    dcc_argv_free(*argvp);
    *argvp = out;
    return 1;
}
#endif
