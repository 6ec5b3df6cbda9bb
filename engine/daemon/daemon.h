/* distccd's settings and the entry points of its parts. */
#ifndef DCCD_DAEMON_H
#define DCCD_DAEMON_H

#include <stdint.h>

#include "daemon/dcc_acl.h"
#include "daemon/dcc_hcache.h"
#include "proto/dcc_auth.h"
#include "proto/dcc_caps.h"
#include "base/dcc_log.h"
#include "daemon/dcc_sandbox.h"
#include "daemon/dcc_stats.h"

/* Defaults of the per-job limits. */
#define DCCD_DEFAULT_JOB_LIFETIME 600
#define DCCD_DEFAULT_JOB_CPU 600
#define DCCD_DEFAULT_JOB_PROCESSES 64
#define DCCD_DEFAULT_JOB_MEMORY (4ULL << 30)
#define DCCD_DEFAULT_JOB_FILE_SIZE (2ULL << 30)
/* A read in progress (a header or a body begun) may take this long before
 * --min-rate applies to it: enough for TCP to retransmit a lost segment a
 * few times over. */
#define DCCD_RATE_GRACE_MS 5000

struct dccd_config {
    struct dcc_acl acl;
    int acl_given;           /* --allow or --allow-private seen */
    const char *listen_addr; /* NULL: every address */
    int port;
    int jobs;
    int nice;
    const char *user;
    int daemon_mode, no_detach, inetd, log_stderr, no_fork;
    const char *pid_file;
    const char *log_file;
    enum dcc_log_level log_level;
    int job_lifetime;                   /* seconds, 0 = none */
    enum dcc_sandbox_mode sandbox_mode; /* --sandbox */
    struct dcc_sandbox_limits
        limits;                 /* --job-memory, --job-cpu, --job-file-size, --job-processes */
    struct dcc_sandbox sandbox; /* what every job is confined with (limits too) */
    struct dcc_sandbox_probe sandbox_probe; /* what the kernel offers, and why not the rest */
    char sandbox_missing[600];              /* auto: the mechanisms the kernel lacks, and why */
    int lifetime;                           /* seconds the daemon lives, 0 = forever */
    int stats, stats_port;
    int zeroconf;
    int tcp_insecure; /* --enable-tcp-insecure: no whitelist */
    const char *whitelist_dir;
    uint64_t max_body;
    uint64_t max_body_mem; /* --max-body-memory: one body in memory, per job */
    int request_timeout;   /* seconds a request may take, waits for a slot apart */
    int handshake_ms;      /* the first header must come this soon */
    uint32_t min_rate;     /* --min-rate, bytes/s; 0 = any */
    int max_per_address;   /* --max-per-address: connections served at once per client */
    int slot_fd; /* job processes ask the daemon for a job slot here; -1 = no daemon (--inetd) */
    int early_start; /* start the compiler before the source arrives */
    int io_timeout_ms;
    const char *tmpdir;
    const char *compiler_path;  /* PATH used to find compilers */
    const char *principal_name; /* $DISTCCD_PRINCIPAL, or NULL */
    char hostname[128];
    int auth;                           /* --auth: GSS-API mutual authentication first */
    struct dcc_auth_server auth_server; /* its acceptor credentials */
    struct dcc_auth_list principals;    /* --whitelist / --blacklist */
    int principals_given;
    const char *hcache_dir;    /* --header-cache-dir; NULL: DCCD_HCACHE_DEFAULT_DIR if usable */
    uint64_t hcache_size;      /* --header-cache-size; 0: no header cache */
    struct dcc_hcache *hcache; /* the open header cache, or NULL */
    char *
        toolchain_json; /* the /toolchain report for CAPS, made once before serving; NULL: not yet */
    /* In a connection's process: how busy the daemon was when it accepted
     * the connection (its own bookkeeping, copied at the fork), for the
     * load question. load_known is 0 under --inetd, which has none. */
    struct dcc_caps_load load;
    int load_known;
};

/* The header cache's place when --header-cache-dir is not given: used
 * when its parent exists and the daemon's user may write there (systemd's
 * CacheDirectory=distccd, the OpenRC service's checkpath). */
#define DCCD_HCACHE_DEFAULT_PARENT "/var/cache/distccd"
#define DCCD_HCACHE_DEFAULT_DIR DCCD_HCACHE_DEFAULT_PARENT "/headers"

/* Serves one job on the given fds (a socket, or stdin/stdout under ssh).
 * peer names the client in logs. Fills rec for the statistics. */
void dccd_serve_job(const struct dccd_config *cfg, int in_fd, int out_fd, const char *peer,
                    struct dcc_job_record *rec);

/* The accept loop's own answer to a CAPS question (server.c): fd is
 * non-blocking and the whole question is in its receive buffer already, so
 * nothing waits for the client; a write that cannot go out gives up after
 * DCCD_IN_LOOP_WAIT_MS. Logs and fills rec as a job process would. */
#define DCCD_IN_LOOP_WAIT_MS 20
void dccd_answer_question(const struct dccd_config *cfg, int fd, const char *peer,
                          struct dcc_job_record *rec);

/* caps.c: makes the toolchain report the CAPS answer carries, once, in the
 * daemon before it forks per connection, so an answer runs no compiler. */
void dccd_caps_prepare(struct dccd_config *cfg);

/* Answers one HTTP request on the stats port with a snapshot of st. */
void dccd_serve_stats(const struct dccd_config *cfg, int fd, const char *peer,
                      const struct dcc_stats *st);

#endif
