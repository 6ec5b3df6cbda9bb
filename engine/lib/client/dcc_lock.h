/* Host slots and backoff: distcc's lock files under $DISTCC_DIR/lock, shared with stock clients. */
#ifndef DCC_LOCK_H
#define DCC_LOCK_H

#include <stddef.h>

#include "proto/dcc_hosts.h"
#include "proto/dcc_settings.h"

#define DCC_LOCK_NAME_MAX 320 /* "tcp_" + host name + "_" + port */

/* How locking behaves; dcc_lock_opts_init fills it from the environment. */
struct dcc_lock_opts {
    const char *distcc_dir; /* NULL: $DISTCC_DIR, else ~/.distcc */
    int pause_msec;         /* longest sleep between re-checks while every slot is busy */
    int backoff_period;     /* seconds a failed host is skipped; 0 disables backoff */
    int timeout_msec;       /* how long a wait may last; -1 forever (stock), 0 try once */
};

/* One held slot. fd is -1 when nothing is held. */
struct dcc_lock {
    int fd;
    size_t host_index; /* dcc_lock_pick_host: index into list->hosts */
    int slot;
    char name[DCC_LOCK_NAME_MAX]; /* lock stem: "localhost", "tcp_box_3632", "ssh_box" */
};

/* DISTCC_PAUSE_TIME_MSEC and DISTCC_BACKOFF_PERIOD from settings (a value
 * that is not a non-negative integer has kept the table's default there),
 * and DISTCC_DIR when set and not empty; waits are unbounded like stock
 * distcc's. */
void dcc_lock_opts_from_settings(struct dcc_lock_opts *o, const struct dcc_settings *s);

/* The same, reading the environment itself (for callers without settings). */
void dcc_lock_opts_init(struct dcc_lock_opts *o);

/* An empty handle (fd -1), safe to release. */
void dcc_lock_init(struct dcc_lock *lock);

/* Tries lock/cpu_<name>_<slot> once, without waiting. 0 with *lock held,
 * DCC_EXIT_BUSY when another process holds it, DCC_EXIT_IO_ERROR with err. */
int dcc_lock_try(const struct dcc_lock_opts *o, const char *name, int slot, struct dcc_lock *lock,
                 char *err, size_t errlen);

/* Chooses a host and slot from list (already shuffled if wanted), stock
 * order: hosts in backoff are skipped; slot 0 of every host in list order,
 * then slot 1 of those with n_slots > 1, and so on; the first free slot wins.
 * When every slot is busy it waits (see dcc_lock.c for how) for up to
 * o->timeout_msec. Returns 0 with *lock held and lock->host_index set;
 * DCC_EXIT_NO_HOSTS when the list is empty or every host is in backoff
 * (stock then compiles locally); DCC_EXIT_BUSY when the timeout passed;
 * DCC_EXIT_IO_ERROR / DCC_EXIT_OUT_OF_MEMORY with err. */
int dcc_lock_pick_host(const struct dcc_lock_opts *o, const struct dcc_hostlist *list,
                       struct dcc_lock *lock, char *err, size_t errlen);

/* A local slot for a job that must run here (n = list->local_slots, the
 * --localslots value) or for a local preprocessor run (n = list->local_slots_cpp).
 * Both count the cpu_localhost_N files that a "localhost" host entry also
 * uses, as stock does, so together they never run more than the largest limit
 * at once. Waits like dcc_lock_pick_host; 0 with *lock held (host_index 0),
 * DCC_EXIT_BUSY after the timeout, DCC_EXIT_IO_ERROR with err. n < 1 counts
 * as 1. Stock's deadlock rule applies: take the remote lock first, release
 * the local one first, and hold at most one of each. */
int dcc_lock_local_slot(const struct dcc_lock_opts *o, int n, struct dcc_lock *lock, char *err,
                        size_t errlen);
int dcc_lock_cpp_slot(const struct dcc_lock_opts *o, int n, struct dcc_lock *lock, char *err,
                      size_t errlen);

/* Unlocks and closes; lock->fd becomes -1. Safe on an empty handle. */
void dcc_lock_release(struct dcc_lock *lock);

/* Backoff marks: lock/backoff_<name>_0, its mtime is the last failure.
 * With o->backoff_period 0 these do nothing (and in_backoff says 0), as in
 * stock distcc. mark and clear return 0 or DCC_EXIT_IO_ERROR with err;
 * clearing a host that has no mark is fine. */
int dcc_lock_backoff_mark(const struct dcc_lock_opts *o, const struct dcc_host *h, char *err,
                          size_t errlen);
int dcc_lock_backoff_clear(const struct dcc_lock_opts *o, const struct dcc_host *h, char *err,
                           size_t errlen);
/* 1 while the mark is younger than o->backoff_period seconds, else 0. */
int dcc_lock_in_backoff(const struct dcc_lock_opts *o, const struct dcc_host *h);

#endif
