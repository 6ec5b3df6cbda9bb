/* Binds the client's flow to dcc_lock (slots, backoff) and dcc_state (monitor). */
#include "slots.h"

#include "base/dcc_exit.h"
#include "client/dcc_lock.h"
#include "base/dcc_log.h"
#include "client/dcc_state.h"
#include "zeroconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct dcc_lock_opts lock_opts;
static unsigned char *failed; /* hosts that failed this job, by index */

/* For DISTCC_VERBOSE: the phase the job is in and since when, so each
 * phase's time is told as it ends. */
static struct {
    int phase; /* -1 before the first */
    double since, start;
} timing = {-1, 0, 0};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void note_time(enum dcc_phase phase)
{
    if (dcc_log_get_level() < DCC_LOG_DEBUG || (int)phase == timing.phase)
        return;
    double t = now_ms();
    if (timing.phase < 0)
        timing.start = t;
    else
        dcc_debug("phase %s took %.1f ms", dcc_state_phase_name(timing.phase), t - timing.since);
    if (phase == DCC_PHASE_DONE)
        dcc_debug("the job took %.1f ms in all", t - timing.start);
    timing.phase = phase == DCC_PHASE_DONE ? -1 : (int)phase;
    timing.since = t;
}

void dcc_slots_init(struct client *cl)
{
    dcc_lock_opts_from_settings(&lock_opts, &cl->set);
}

void dcc_slots_done(struct client *cl)
{
    (void)cl;
    dcc_state_remove();
    free(failed);
    failed = NULL;
}

void dcc_slots_state(struct client *cl, enum dcc_phase phase, const char *file, const char *host,
                     int slot)
{
    (void)cl;
    char err[512];
    note_time(phase);
    /* The monitor is a nicety: a full or read-only DISTCC_DIR must not stop
     * the build, so this is debug only. */
    if (dcc_state_update(lock_opts.distcc_dir, phase, file, host, slot, err, sizeof err) != 0)
        dcc_debug("%s", err);
}

int dcc_slots_load_hosts(struct client *cl, int quiet)
{
    char *text = NULL, path[4096], err[600];
    enum dcc_hosts_source src;
    if (dcc_hosts_find_in(&cl->set, DCC_SYSCONFDIR, &text, &src, path, sizeof path, err,
                          sizeof err) != 0) {
        if (!quiet)
            dcc_error("%s", err);
        return DCC_EXIT_BAD_HOSTSPEC;
    }
    int rc = 0;
    const char *where = src == DCC_HOSTS_FROM_ENV ? "$DISTCC_HOSTS" : path;
    if (!quiet && text) {
        /* One line, as the list may span lines with comments. */
        dcc_debug("read hosts from %s%s%s%s", src == DCC_HOSTS_FROM_ENV ? "" : "file ", where,
                  src == DCC_HOSTS_FROM_ENV ? ": " : "", src == DCC_HOSTS_FROM_ENV ? text : "");
    } else if (!quiet) {
        dcc_debug(
            "no host list: $DISTCC_HOSTS is unset, and there is no $DISTCC_DIR/hosts (default "
            "~/.distcc/hosts) or %s/distcc/hosts",
            DCC_SYSCONFDIR);
    }
    if (text && dcc_hosts_parse(text, &cl->hosts, err, sizeof err) != 0) {
        if (!quiet)
            dcc_error("%s (in %s)", err, where);
        rc = DCC_EXIT_BAD_HOSTSPEC;
    } else if (text && cl->hosts.zeroconf && !quiet) {
        /* Local jobs (quiet) need no helpers, so they do not browse. */
        dcc_client_zeroconf_add(&cl->hosts);
    } else if (text && cl->hosts.n == 0 && !quiet) {
        /* Stock's words, which admins grep for. */
        dcc_warn("%s contained no hosts; can't distribute work", where);
    }
    free(text);
    cl->hosts_source = (int)src;
    if (cl->hosts.randomize)
        dcc_hosts_shuffle(&cl->hosts, (unsigned int)getpid());
    free(failed);
    failed = calloc(cl->hosts.n + 1, 1);
    return rc;
}

const struct dcc_host *dcc_slots_pick(struct client *cl, struct dcc_slot *slot, const char *file)
{
    slot->fd = -1;
    slot->index = 0;
    /* A view of the list without the helpers that already failed this job,
     * so a disabled backoff cannot send it back to them. */
    struct dcc_hostlist view = cl->hosts;
    struct dcc_host *hosts = calloc(cl->hosts.n + 1, sizeof *hosts);
    size_t *map = calloc(cl->hosts.n + 1, sizeof *map);
    if (!hosts || !map || !failed) {
        free(hosts);
        free(map);
        return NULL;
    }
    view.n = 0;
    char considered[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < cl->hosts.n; i++) {
        if (dcc_log_get_level() >= DCC_LOG_DEBUG && used < sizeof considered) {
            char name[600];
            dcc_hosts_format(&cl->hosts.hosts[i], name, sizeof name);
            const char *note = failed[i] ? " (failed this job)"
                               : dcc_lock_in_backoff(&lock_opts, &cl->hosts.hosts[i])
                                   ? " (in backoff)"
                                   : "";
            int n = snprintf(considered + used, sizeof considered - used, "%s%s%s",
                             used ? ", " : "", name, note);
            used += n > 0 ? (size_t)n : 0;
        }
        if (failed[i])
            continue;
        map[view.n] = i;
        hosts[view.n++] = cl->hosts.hosts[i];
    }
    if (considered[0])
        dcc_debug("hosts for %s: %s", file, considered);
    view.hosts = hosts;
    const struct dcc_host *chosen = NULL;
    if (view.n > 0) {
        dcc_slots_state(cl, DCC_PHASE_BLOCKED, file, NULL, -1);
        struct dcc_lock lock;
        dcc_lock_init(&lock);
        char err[512];
        int rc = dcc_client_busy_pick(cl, &view, &lock_opts, &lock, file) == 0
                     ? 0
                     : dcc_lock_pick_host(&lock_opts, &view, &lock, err, sizeof err);
        if (rc == 0) {
            chosen = &cl->hosts.hosts[map[lock.host_index]];
            slot->fd = lock.fd;
            slot->index = lock.slot;
            char name[600];
            dcc_hosts_format(chosen, name, sizeof name);
            dcc_debug("picked %s slot %d for %s", name, lock.slot, file);
        } else if (rc == DCC_EXIT_NO_HOSTS) {
            dcc_debug("no host is left for %s: %s", file, err);
        } else {
            dcc_warn("cannot take a slot: %s", err);
        }
    }
    free(hosts);
    free(map);
    return chosen;
}

int dcc_slots_helper_left(struct client *cl)
{
    for (size_t i = 0; failed && i < cl->hosts.n; i++)
        if (!failed[i] && !dcc_lock_in_backoff(&lock_opts, &cl->hosts.hosts[i]) &&
            cl->hosts.hosts[i].mode != DCC_HOST_LOCAL)
            return 1;
    return 0;
}

static void acquire_local(int cpp, struct client *cl, struct dcc_slot *slot)
{
    struct dcc_lock lock;
    dcc_lock_init(&lock);
    char err[512];
    int n = cpp ? cl->hosts.local_slots_cpp : cl->hosts.local_slots;
    if (n <= 0) /* no host list loaded: the defaults */
        n = cpp ? DCC_DEFAULT_LOCAL_SLOTS_CPP : DCC_DEFAULT_LOCAL_SLOTS;
    int rc = cpp ? dcc_lock_cpp_slot(&lock_opts, n, &lock, err, sizeof err)
                 : dcc_lock_local_slot(&lock_opts, n, &lock, err, sizeof err);
    if (rc != 0)
        dcc_debug("running without a local slot: %s", err);
    slot->fd = rc == 0 ? lock.fd : -1;
    slot->index = rc == 0 ? lock.slot : 0;
}

void dcc_slots_acquire_local(struct client *cl, struct dcc_slot *slot)
{
    acquire_local(0, cl, slot);
}
void dcc_slots_acquire_cpp(struct client *cl, struct dcc_slot *slot)
{
    acquire_local(1, cl, slot);
}

void dcc_slots_release(struct dcc_slot *slot)
{
    struct dcc_lock lock;
    dcc_lock_init(&lock);
    lock.fd = slot->fd;
    dcc_lock_release(&lock);
    slot->fd = -1;
}

int dcc_slots_in_backoff(struct client *cl, const struct dcc_host *host)
{
    (void)cl;
    return dcc_lock_in_backoff(&lock_opts, host);
}

void dcc_slots_exclude(struct client *cl, const struct dcc_host *host)
{
    size_t i = (size_t)(host - cl->hosts.hosts);
    if (failed && i < cl->hosts.n)
        failed[i] = 1;
}

void dcc_slots_backoff(struct client *cl, const struct dcc_host *host)
{
    size_t i = (size_t)(host - cl->hosts.hosts);
    if (failed && i < cl->hosts.n)
        failed[i] = 1;
    char err[512];
    if (dcc_lock_backoff_mark(&lock_opts, host, err, sizeof err) != 0)
        dcc_debug("%s", err);
}

void dcc_slots_backoff_clear(struct client *cl, const struct dcc_host *host)
{
    (void)cl;
    char err[512];
    if (dcc_lock_backoff_clear(&lock_opts, host, err, sizeof err) != 0)
        dcc_debug("%s", err);
}
