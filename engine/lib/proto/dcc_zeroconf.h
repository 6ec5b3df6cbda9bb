/* Zeroconf (DNS-SD over mDNS, through Avahi): the _distcc._tcp TXT record, which helpers a client may use, the client's cached list, browsing and publishing. */
#ifndef DCC_ZEROCONF_H
#define DCC_ZEROCONF_H

#include <stddef.h>
#include <time.h>

#include "base/dcc_util.h"

#define DCC_ZC_SERVICE_TYPE "_distcc._tcp"
/* Seconds a found list is used before one client refreshes it; stock's
 * browsing process also lives this long after its list was last read. */
#define DCC_ZC_CACHE_TTL 20
/* How long one browse may take: avahi-daemon says "all for now" about a
 * second after the first query; resolving takes a few ms per helper. */
#define DCC_ZC_BROWSE_MS 3000
#define DCC_ZC_MAX_SERVICES 1024     /* more answers than this are ignored */
#define DCC_ZC_LIST_MAX (256 * 1024) /* a larger cached list is refused */

/* What is 1 in the build: DCC_WITH_ZEROCONF (the Makefile's WITH_ZEROCONF). */
int dcc_zc_available(void);

/* One resolved service: the stock 3.4 TXT keys, each value cut at the
 * buffer size (an over-long value is dropped, not truncated). */
struct dcc_zc_service {
    char name[64];    /* the instance name, "distcc@HOST" (a DNS label: at most 63 bytes) */
    char address[64]; /* numeric IPv4 or IPv6 */
    int is_ipv6;
    int link_local; /* fe80::/10: unusable without its interface */
    int port;
    int txtvers;         /* "txtvers", 0 when absent */
    int cpus, jobs;      /* "cpus" and "jobs", 0 when absent or not 1..DCC_MAX_SLOTS */
    char distcc[32];     /* "distcc": the helper's version */
    char gnuhost[64];    /* "gnuhost": the triple distccd was built for */
    char cc_machine[64]; /* "cc_machine": its cc -dumpmachine */
    char cc_version[64]; /* "cc_version": its cc -dumpversion */
};

/* Reads one TXT item ("key=value", length-delimited, not NUL-terminated, may
 * hold any byte) into s. Unknown keys, items without '=', values with a NUL
 * or control character and over-long values are ignored. */
void dcc_zc_txt_item(struct dcc_zc_service *s, const void *item, size_t len);

/* The slots a client gives a helper, as stock does: "jobs", else 4 x "cpus",
 * else 4 (DCC_DEFAULT_REMOTE_SLOTS). */
int dcc_zc_slots(const struct dcc_zc_service *s);

/* 1 when two GNU triples name the same target: equal, or equal once a vendor
 * field ("pc", "unknown", ...) is taken out, so Gentoo's x86_64-pc-linux-gnu
 * and Debian's x86_64-linux-gnu agree. */
int dcc_zc_same_target(const char *a, const char *b);

/* Whether a client whose cc is machine/version may send jobs to s: its
 * cc_machine (else its gnuhost) must be the same target, and its cc_version,
 * when it says one, the same version. 1, or 0 with the reason in why
 * ("compiler x86_64-linux-gnu 11, not 12"). version may be NULL or "" (not
 * known here: any version passes). */
int dcc_zc_usable(const struct dcc_zc_service *s, const char *machine, const char *version,
                  char *why, size_t whylen);

/* Stock's DNS-SD subtype for a compiler, "_<machine>--<version>._sub._distcc._tcp"
 * with every byte but [a-z0-9] made '-' (A-Z lowered): stock 3.4 clients
 * browse only this. 0, or -1 when out is too small or an input is empty. */
int dcc_zc_subtype(const char *machine, const char *version, char *out, size_t outlen);

/* The client's list, as a host list any distcc reads: one "ADDR:PORT/N"
 * per usable service (each name once: IPv4 first, never link-local IPv6),
 * in name order, each with a comment naming the service and its compiler,
 * and a comment line for each service left out and why. header, when not
 * NULL, becomes the first comment line. 0, or -1 on ENOMEM. */
int dcc_zc_format_list(const struct dcc_zc_service *s, size_t n, const char *machine,
                       const char *version, const char *header, struct dcc_buf *out);

/* ---- the cached list: $DISTCC_DIR/zeroconf/list ---------------------- */

enum dcc_zc_cache_state { DCC_ZC_CACHE_MISSING, DCC_ZC_CACHE_STALE, DCC_ZC_CACHE_FRESH };

/* Writes $DISTCC_DIR/zeroconf into dir, creating it. 0, or -1 with err. */
int dcc_zc_dir(const char *distcc_dir, char *dir, size_t dirlen, char *err, size_t errlen);

/* The list's age against ttl seconds at now: missing, stale (older, or
 * dated in the future by more than ttl, a clock that jumped back) or fresh. */
enum dcc_zc_cache_state dcc_zc_cache_state(const char *dir, int ttl, time_t now);

/* Reads the list (at most DCC_ZC_LIST_MAX bytes) into *text (caller frees).
 * 0, or -1 with err (missing, unreadable, too large). */
int dcc_zc_cache_read(const char *dir, char **text, char *err, size_t errlen);

/* Replaces the list with text: a temporary file renamed into place, so a
 * reader sees the old list or the new one, never half of one. 0 or -1. */
int dcc_zc_cache_write(const char *dir, const char *text, char *err, size_t errlen);

/* The refresh lock, dir/refresh.lock (flock, so it is released when its
 * holder dies): only its holder browses. wait_ms 0 tries once. Returns the
 * held fd, -2 when another process holds it past wait_ms, -1 with err. */
int dcc_zc_refresh_lock(const char *dir, int wait_ms, char *err, size_t errlen);

/* ---- Avahi (DCC_WITH_ZEROCONF; otherwise these fail saying so) -------- */

/* Browses type (DCC_ZC_SERVICE_TYPE, or a subtype) through avahi-daemon
 * for at most timeout_ms, resolving every service found, and returns them
 * in *out (caller frees; *n of them; a service on several interfaces or
 * addresses comes once each). 0, or -1 with err (no avahi-daemon, no
 * system bus). Runs avahi's own loop; starts no process and no thread. */
int dcc_zc_browse(const char *type, int timeout_ms, struct dcc_zc_service **out, size_t *n,
                  char *err, size_t errlen);

/* What a helper publishes. */
struct dcc_zc_publish_opts {
    const char *hostname; /* the instance is "distcc@<hostname>", as stock names it */
    int port;
    int cpus, jobs;
    const char *distcc_version;
    const char *gnuhost;
    const char *cc_machine; /* NULL or "": not known (then no subtype either) */
    const char *cc_version;
    /* Called from the publisher's thread for what happens later (the name
     * taken, a collision, avahi-daemon gone and back); error 1 for failures. */
    void (*report)(int error, const char *line, void *ctx);
    void *report_ctx;
};

struct dcc_zc_publisher;

/* Publishes the service (TXT txtvers, cpus, jobs, distcc, gnuhost,
 * cc_machine, cc_version, and stock's subtype) from a thread of avahi's that
 * keeps it published: another name on a collision, again when avahi-daemon
 * restarts (it may also start later than the helper). 0 with *pub, or -1
 * with err. */
int dcc_zc_publish_start(const struct dcc_zc_publish_opts *opts, struct dcc_zc_publisher **pub,
                         char *err, size_t errlen);
/* Withdraws the service and stops the thread; NULL is fine. */
void dcc_zc_publish_stop(struct dcc_zc_publisher *pub);

/* Builds the TXT items a helper publishes into items (each a NUL-terminated
 * "key=value" in buf); returns how many, at most max. For tests and for
 * dcc_zc_publish_start. */
size_t dcc_zc_txt_build(const struct dcc_zc_publish_opts *opts, char buf[][96], size_t max);

#endif
