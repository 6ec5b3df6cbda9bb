/* The client's use of slots, backoff and monitor state, on top of dcc_lock
 * and dcc_state. */
#ifndef DCC_CLIENT_SLOTS_H
#define DCC_CLIENT_SLOTS_H

#include "client.h"
#include "proto/dcc_hosts.h"
#include "client/dcc_state.h"

struct dcc_slot {
    int index; /* slot number on its host, for the monitor */
    int fd;    /* held lock, -1 when none */
};

void dcc_slots_init(struct client *cl);
/* Removes the monitor state file. */
void dcc_slots_done(struct client *cl);
void dcc_slots_state(struct client *cl, enum dcc_phase phase, const char *file, const char *host,
                     int slot);

/* Loads the host list; 0, or 106 after printing why (quiet: without a
 * word, for local jobs that only want --localslots). */
int dcc_slots_load_hosts(struct client *cl, int quiet);

/* Waits for a free slot on a helper that has not failed this job and is not
 * backed off; NULL when none is left. */
const struct dcc_host *dcc_slots_pick(struct client *cl, struct dcc_slot *slot, const char *file);
/* 1 when a helper (not localhost) that has not failed this job and is not
 * backed off is left to try, so a failure can say whether the job goes on
 * to another helper or is built here. */
int dcc_slots_helper_left(struct client *cl);
void dcc_slots_acquire_local(struct client *cl, struct dcc_slot *slot);
void dcc_slots_acquire_cpp(struct client *cl, struct dcc_slot *slot);
void dcc_slots_release(struct dcc_slot *slot);

/* A helper is not to get this job (its toolchain does not fit): skipped by
 * dcc_slots_pick and dcc_slots_helper_left, without a backoff. */
void dcc_slots_exclude(struct client *cl, const struct dcc_host *host);

/* 1 when host is backed off (dcc_slots_pick passes it by). */
int dcc_slots_in_backoff(struct client *cl, const struct dcc_host *host);

/* A helper failed this job: skip it for now and for DISTCC_BACKOFF_PERIOD. */
void dcc_slots_backoff(struct client *cl, const struct dcc_host *host);
void dcc_slots_backoff_clear(struct client *cl, const struct dcc_host *host);

#endif
