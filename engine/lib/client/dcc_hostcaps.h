/* What the client knows of each helper: ours (and its CAPS answer) or stock,
 * learned once and kept under $DISTCC_DIR/helpers for a while. */
#ifndef DCC_HOSTCAPS_H
#define DCC_HOSTCAPS_H

#if DCC_WITH_JSON
#include <jansson.h>
#else
typedef struct json_t json_t; /* built without jansson: CAPS is off */
#endif
#include <stddef.h>
#include <time.h>

#include "client/dcc_net.h"
#include "proto/dcc_caps.h"
#include "proto/dcc_hosts.h"

#define DCC_HOSTCAPS_SUBDIR "helpers"
#define DCC_HOSTCAPS_DEFAULT_TTL 600 /* seconds; DISTCC_HELPER_TTL */
#define DCC_HOSTCAPS_MAX_FILE 262144 /* a cache file longer than this is ignored */

struct dcc_hostcaps {
    int ours;             /* answered CAPS; 0: stock 3.4 (or another distccd) */
    struct dcc_caps caps; /* its answer; all zero for stock */
    json_t *doc;          /* the whole answer (owned), NULL for stock */
    time_t learned;       /* when it was asked */
    int from_cache;       /* read from $DISTCC_DIR/helpers, not asked now */
};

struct dcc_hostcaps_opts {
    const char *distcc_dir;  /* NULL: the usual place */
    long ttl_s;              /* how long an answer is kept; 0: ask every time, keep nothing */
    int io_timeout_ms;       /* waiting for the answer */
    struct dcc_net_opts net; /* how to reach the helper */
    int no_wait;             /* another process of the client asking the same helper: do not
                                wait for its answer, DCC_EXIT_BUSY at once */
};

/* What host is: from the cache when an answer younger than ttl_s is there,
 * else by asking it (a connection of its own, CAPS, its answer or stock's
 * closed connection), then kept. 0 with *out filled (free it with
 * dcc_hostcaps_free), or an exit code with err when the helper could not
 * be reached or answered nonsense (nothing is kept then). localhost is
 * never asked: 0 with ours set and no features. One question per helper at
 * a time (a turn, below): a process that finds another asking waits for
 * its answer (at most as long as asking takes) and takes it, or its
 * failure, instead of asking too; with o->no_wait it does not wait. */
int dcc_hostcaps_get(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                     struct dcc_hostcaps *out, char *err, size_t errlen);

/* One CAPS exchange with host: question (a JSON object's text, at most
 * DCC_CAPS_MAX_QUESTION bytes) sent, the answer read, bounded by
 * DCC_CAPS_MAX_BODY, and parsed as JSON. 0 with *answer (owned; NULL when
 * the helper closed the connection unanswered, as stock 3.4 does), or an
 * exit code with err ("asking HOST <what>: why" once connected). */
int dcc_hostcaps_exchange(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                          const char *question, const char *what, json_t **answer, char *err,
                          size_t errlen);

/* Asks host now, without the cache. Same results. */
int dcc_hostcaps_ask(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                     struct dcc_hostcaps *out, char *err, size_t errlen);

/* $DISTCC_DIR/helpers/<host's lock name><suffix> into path (the directory
 * made first with make_dir): 0, or an exit code with err. Shared by what
 * is kept of a helper (".json") and of its load (".load", dcc_busy). */
int dcc_hostcaps_file(const struct dcc_host *host, const char *distcc_dir, const char *suffix,
                      int make_dir, char *path, size_t len, char *err, size_t errlen);

/* A turn to ask host a question (single flight): the client's processes
 * (a make -j of them) ask each helper one at a time, so a build's first
 * wave does not send a helper more questions at once than it takes
 * connections. The turn is a lock on $DISTCC_DIR/helpers/<lock name>
 * <suffix> (".asking" for CAPS, ".load.asking" for the load); a question
 * that fails leaves its reason there for the processes that waited. */
struct dcc_hostcaps_turn {
    int fd;       /* the lock held; -1 when there is none (asking goes on unshared) */
    int waited;   /* another process held it when this one came: look first at what it kept */
    time_t since; /* when this process came */
};

/* Takes host's turn: 0 with t held (or with t->fd -1 when no lock file
 * could be made: each process then asks for itself, as without turns), 1
 * when another process held it for wait_ms (0: not waited for at all). */
int dcc_hostcaps_turn_take(const struct dcc_host *host, const char *distcc_dir, const char *suffix,
                           long wait_ms, struct dcc_hostcaps_turn *t);

/* After waiting: 1 with *rc and err when the process before failed to get
 * an answer since this one came, else 0. */
int dcc_hostcaps_turn_failed(const struct dcc_hostcaps_turn *t, int *rc, char *err, size_t errlen);

/* Ends the turn: with rc != 0 leaves rc and err for the processes waiting,
 * with rc 0 clears what a failure left; rc -1 without err leaves it as it
 * is. */
void dcc_hostcaps_turn_end(struct dcc_hostcaps_turn *t, int rc, const char *err);

/* Forgets what is kept for host (a request that used its features failed
 * as if it no longer had them). */
void dcc_hostcaps_forget(const struct dcc_host *host, const char *distcc_dir);

/* The features of host that a request may use: the intersection of want and
 * what it offered (0 for stock helpers). */
unsigned dcc_hostcaps_usable(const struct dcc_hostcaps *c, unsigned want);

void dcc_hostcaps_free(struct dcc_hostcaps *c);

#endif
