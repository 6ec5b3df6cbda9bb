/* Busy helpers: a job goes first where other clients leave slots free (DISTCC_HELPER_LOAD). */
#include "client.h"
#include "slots.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "client/dcc_busy.h"
#include "client/dcc_lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dcc_client_parse_load(const char *value, int *on)
{
    if (!value || !*value || strcmp(value, "on") == 0)
        *on = 1;
    else if (strcmp(value, "off") == 0)
        *on = 0;
    else
        return -1;
    return 0;
}

/* The slots of host this job may take while other helpers have room:
 * n_slots when its load is not known (stock helpers, other kinds of hosts,
 * no answer), as in list order. */
static int room_of(struct client *cl, const struct dcc_host *host, const char *file)
{
    int n = host->n_slots;
    /* Asked only over TCP without authentication: a question must cost no
     * more than a connection, and an ssh or GSS-API exchange costs more. */
    if (host->mode != DCC_HOST_TCP || host->auth || dcc_slots_in_backoff(cl, host))
        return n;
    struct dcc_busy_opts o = {.caps = dcc_client_hostcaps_opts(cl),
                              .ttl_ms = cl->set.num[DCC_SET_HELPER_LOAD_TTL]};
    struct dcc_hostcaps caps;
    char err[700];
    if (dcc_hostcaps_get(host, &o.caps, &caps, err, sizeof err) != 0)
        return n; /* the job's own connection will say what is wrong */
    unsigned offered = dcc_hostcaps_usable(&caps, DCC_FEAT_LOAD);
    dcc_hostcaps_free(&caps);
    if (!offered)
        return n; /* stock 3.4, or one of ours without the load question: never asked */
    struct dcc_caps_load l;
    if (dcc_busy_get(host, &o, &l, err, sizeof err) != 0) {
        dcc_debug("%s's load is unknown (%s): its slots are taken in list order", host->spec, err);
        return n;
    }
    int room = dcc_busy_room(&l, n);
    if (room == 0)
        dcc_debug("passing over %s for %s while another helper has room: other clients have %d "
                  "connections there and it runs %d jobs at once (%d running, %d waiting)",
                  host->spec, file, l.others, l.jobs, l.running, l.waiting);
    else if (room < n)
        dcc_debug("%s: %d of its %d slots for %s while another helper has room: other clients "
                  "have %d connections there and it runs %d jobs at once",
                  host->spec, room, n, file, l.others, l.jobs);
    return room;
}

int dcc_client_busy_pick(struct client *cl, const struct dcc_hostlist *view,
                         const struct dcc_lock_opts *lock_opts, struct dcc_lock *lock,
                         const char *file)
{
    if (!cl->load_aware || view->n < 2)
        return -1; /* a single helper has nowhere else to send the job */
    struct dcc_hostlist roomy = *view;
    struct dcc_host *hosts = calloc(view->n, sizeof *hosts);
    size_t *map = calloc(view->n, sizeof *map);
    if (!hosts || !map) {
        free(hosts);
        free(map);
        return -1;
    }
    roomy.n = 0;
    int capped = 0;
    for (size_t i = 0; i < view->n; i++) {
        int room = room_of(cl, &view->hosts[i], file);
        capped |= room < view->hosts[i].n_slots;
        if (room == 0)
            continue;
        map[roomy.n] = i;
        hosts[roomy.n] = view->hosts[i];
        hosts[roomy.n++].n_slots = room;
    }
    roomy.hosts = hosts;
    int rc = -1;
    if (capped && roomy.n > 0) {
        /* One look at the slots with room, without waiting: when they are
         * all taken, the job waits in list order as without load. */
        struct dcc_lock_opts once = *lock_opts;
        once.timeout_msec = 0;
        char err[512];
        if (dcc_lock_pick_host(&once, &roomy, lock, err, sizeof err) == 0) {
            lock->host_index = map[lock->host_index];
            rc = 0;
        }
    }
    if (capped && rc != 0)
        dcc_debug("every helper with room for %s is taken: waiting for a slot in list order "
                  "(as with DISTCC_HELPER_LOAD=off)",
                  file);
    free(hosts);
    free(map);
    return rc;
}
