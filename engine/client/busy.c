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

/* How many of its slots this job may take on host while another helper
 * has room (its room), and *known: whether the helper told its load. An
 * unknown load (stock helpers, localhost, ssh, no answer) is n_slots, as in
 * list order. */
static int room_of(struct client *cl, const struct dcc_host *host, const char *file, int *known,
                   int *idle)
{
    int n = host->n_slots;
    *known = 0;
    *idle = 0;
    /* Asked only over TCP without authentication: a question must cost no
     * more than a connection, and an ssh or GSS-API exchange costs more. */
    if (host->mode != DCC_HOST_TCP || host->auth)
        return n;
    struct dcc_busy_opts o = {.caps = dcc_client_hostcaps_opts(cl),
                              .ttl_ms = cl->set.num[DCC_SET_HELPER_LOAD_TTL]};
    o.caps.no_wait = 1; /* another job asking it now: its load is unknown for this one */
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
    *known = 1;
    *idle = l.jobs - l.running - l.waiting;
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

/* This client's lowest free slot among the first room of host, held in
 * *lock; -1 when all of them are taken. */
static int lowest_free_slot(const struct dcc_lock_opts *lo, const struct dcc_host *host, int room,
                            struct dcc_lock *lock)
{
    char name[DCC_LOCK_NAME_MAX], err[512];
    dcc_lock_init(lock);
    if (dcc_hosts_lock_name(host, name, sizeof name) != 0)
        return -1;
    for (int k = 0; k < room; k++)
        if (dcc_lock_try(lo, name, k, lock, err, sizeof err) == 0)
            return k;
    return -1;
}

int dcc_client_busy_pick(struct client *cl, const struct dcc_hostlist *view,
                         const struct dcc_lock_opts *lock_opts, struct dcc_lock *lock,
                         const char *file)
{
    if (!cl->load_aware || view->n < 2)
        return -1; /* a single helper has nowhere else to send the job */
    int any_known = 0, best_slot = -1, best_idle = 0, best_known = 0;
    size_t best = 0;
    struct dcc_lock best_lock;
    dcc_lock_init(&best_lock);
    /* Stock's order (slot 0 of every host in list order, then slot 1 ...)
     * over each helper's room; at the same slot, the helper that had the
     * most idle slots when it answered (a slow helper's jobs keep its
     * slots longer), then the first in the list. A host that did not tell
     * (localhost, stock, no answer) keeps its place in the list: a helper
     * after it never goes first at the same slot. */
    for (size_t i = 0; i < view->n; i++) {
        const struct dcc_host *h = &view->hosts[i];
        if (dcc_slots_in_backoff(cl, h))
            continue; /* not picked, so not asked */
        int known, idle, room = room_of(cl, h, file, &known, &idle);
        any_known |= known;
        struct dcc_lock l;
        int k = room > 0 ? lowest_free_slot(lock_opts, h, room, &l) : -1;
        if (k < 0)
            continue;
        if (best_slot < 0 || k < best_slot ||
            (k == best_slot && known && best_known && idle > best_idle)) {
            dcc_lock_release(&best_lock);
            best_lock = l, best_slot = k, best_idle = idle, best_known = known, best = i;
        } else {
            dcc_lock_release(&l);
        }
    }
    if (!any_known) {
        /* Nothing learned (stock helpers, no answers): exactly as without. */
        dcc_lock_release(&best_lock);
        return -1;
    }
    if (best_slot < 0) {
        dcc_debug("every helper with room for %s is taken: waiting for a slot in list order "
                  "(as with DISTCC_HELPER_LOAD=off)",
                  file);
        return -1;
    }
    *lock = best_lock;
    lock->host_index = best;
    return 0;
}
