/* How busy each of our helpers is (the CAPS load question), kept for a
 * moment under $DISTCC_DIR/helpers, and how many of its slots a client
 * takes while other helpers have room. */
#ifndef DCC_BUSY_H
#define DCC_BUSY_H

#include <stddef.h>

#include "client/dcc_hostcaps.h"
#include "proto/dcc_caps.h"
#include "proto/dcc_hosts.h"

#define DCC_BUSY_DEFAULT_TTL_MS 1000 /* DISTCC_HELPER_LOAD_TTL */
#define DCC_BUSY_ANSWER_MS 1000      /* longest wait for a connection and its answer */
#define DCC_BUSY_MAX_FILE 4096       /* a kept answer longer than this is ignored */
#define DCC_BUSY_GRACE 10            /* while another process asks, an answer this many TTLs old */

struct dcc_busy_opts {
    struct dcc_hostcaps_opts caps; /* where $DISTCC_DIR is, how to reach a helper */
    long ttl_ms;                   /* how long an answer is kept; 0: ask every time */
};

/* host's load: from $DISTCC_DIR/helpers/<lock name>.load when it was
 * learned less than ttl_ms ago, else asked (one connection, at most
 * DCC_BUSY_ANSWER_MS) and kept, an unanswered question too, so that the
 * client's other jobs do not ask again meanwhile. One question per helper
 * at a time: while another process asks, an answer up to DCC_BUSY_GRACE
 * TTLs old is taken, else the load is unknown. 0 with *out, or -1 with
 * err (no answer, or one that is not a load): the caller then picks as
 * stock does. Only for helpers that offered DCC_FEAT_LOAD. */
int dcc_busy_get(const struct dcc_host *host, const struct dcc_busy_opts *o,
                 struct dcc_caps_load *out, char *err, size_t errlen);

/* The slots of a helper listed with n_slots that this client takes while
 * another helper has room: its jobs less other clients' connections there,
 * at most n_slots, at least 0. */
int dcc_busy_room(const struct dcc_caps_load *l, int n_slots);

#endif
