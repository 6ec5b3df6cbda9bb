/* distccd's counters and their three renderings (distcc 3.x text page,
 * JSON, Prometheus text); the toolchain report on /toolchain is dcc_toolchain.h. */
#ifndef DCC_STATS_H
#define DCC_STATS_H

#include <stddef.h>
#include <time.h>

#include "base/dcc_util.h"

enum dcc_job_outcome {
    DCC_JOB_OK = 0,         /* compiled, status 0 */
    DCC_JOB_COMPILE_ERROR,  /* compiler ran and failed */
    DCC_JOB_TIMEOUT,        /* --job-lifetime or I/O timeout */
    DCC_JOB_CLI_DISCONNECT, /* client went away mid-job */
    DCC_JOB_BAD_REQUEST,    /* protocol error, bad length, garbage */
    DCC_JOB_REFUSED,        /* whitelist or argument policy said no */
    DCC_JOB_OTHER,          /* anything else (ENOMEM, disk full, ...) */
    DCC_JOB_DROPPED,        /* idle or too slow: no request in time, past
                             * --request-timeout or below --min-rate */
    DCC_JOB_QUERY,          /* no job: a client asked what we can do (CAPS) */
};

/* What a job child tells the parent when it ends (sent whole over a pipe, so
 * it stays a fixed-size plain struct). */
struct dcc_job_record {
    int outcome;         /* enum dcc_job_outcome */
    long msecs;          /* wall time of the job */
    long max_rss_kb;     /* of the compiler process */
    char file[128];      /* source basename */
    char compiler[64];   /* argv[0] basename */
    char principal[128]; /* --auth: the client's GSS-API principal, else "" */
    int auth_failed;     /* --auth: the client did not get in */
};

#define DCC_STATS_WINDOW 900    /* seconds kept for the 1/5/15 minute figures */
#define DCC_STATS_PRINCIPALS 32 /* principals counted one by one */

struct dcc_stats {
    time_t started;
    unsigned long tcp_accept, rej_bad_req, rej_overload, compile_ok, compile_error, compile_timeout,
        cli_disconnect, other, refused, dropped;
    unsigned long caps_queries; /* CAPS questions answered (no jobs) */
    char longest_job[128];      /* "" until a job is recorded */
    char longest_job_compiler[64];
    long longest_job_time_msecs; /* -1 until a job is recorded, as in stock */
    long max_rss_kb;             /* largest compiler RSS of any recorded job */
    char max_rss_name[64];       /* that job's compiler */
    int max_kids;                /* the --jobs limit (dcc_stats_set_max_kids); never below
                       * the most children ever seen running */
    int current_load;            /* running job children now */
    /* per-second ring buffers over the last DCC_STATS_WINDOW seconds; slot
     * t % DCC_STATS_WINDOW stands for second t */
    unsigned int compiles_per_sec[DCC_STATS_WINDOW];
    unsigned int kids_per_sec[DCC_STATS_WINDOW]; /* most children running in that second */
    time_t ring_time;                            /* the second the ring's newest slot stands for */
    /* --auth: connections that authenticated or did not, and the jobs of
     * each principal (the first DCC_STATS_PRINCIPALS seen; the jobs of
     * others count in principals_other) */
    unsigned long auth_ok, auth_failed, principals_other;
    struct {
        char name[128];
        unsigned long jobs;
    } principals[DCC_STATS_PRINCIPALS];
    size_t n_principals;
};

void dcc_stats_init(struct dcc_stats *st, time_t now);
/* Counts a finished job. Jobs that ran the compiler (ok, compile error,
 * timeout, client disconnect) count into the 1/5/15 minute compile figures,
 * as in stock; ok jobs compete for the longest job, every job for max RSS. */
void dcc_stats_record(struct dcc_stats *st, const struct dcc_job_record *rec, time_t now);
/* Called when a connection is accepted, and when the running-children count
 * changes (also fine to call once a second). */
void dcc_stats_accept(struct dcc_stats *st);
void dcc_stats_set_kids(struct dcc_stats *st, int running, time_t now);
/* The configured job limit, shown as dcc_max_kids like stock. */
void dcc_stats_set_max_kids(struct dcc_stats *st, int max_kids);
/* A connection turned away because every slot was busy, or its address had
 * its --max-per-address (dcc_rej_overload). */
void dcc_stats_overload(struct dcc_stats *st);
/* A connection dropped before its job was read: idle or too slow. */
void dcc_stats_dropped(struct dcc_stats *st);

/* The sliding-window figures as they stand at `now` (read-only: seconds
 * after the ring's newest slot count as no compiles and current_load
 * children). Seconds before st->started are not part of a window, so a
 * daemon up for 30 s averages over those 30 s. */
struct dcc_stats_windows {
    int secs[3];               /* 60, 300, 900 */
    unsigned long compiles[3]; /* jobs finished in the window */
    double avg_kids[3];        /* mean of the per-second children counts */
};
void dcc_stats_windows(const struct dcc_stats *st, time_t now, struct dcc_stats_windows *w);

/* Host figures read at render time (load average, free space, D-state
 * processes, disk io); the daemon fills them just before rendering so
 * rendering itself stays pure and testable. */
struct dcc_host_figures {
    double load[3];     /* -1 when getloadavg fails */
    long free_space_mb; /* of the job directory's file system; -1 when unknown */
    int procstate_D;    /* processes in uninterruptible sleep; 0 when unknown */
    long io_rate;       /* sectors/s, 0 when unknown */
};
/* Fills every field of fig. tmpdir NULL means $TMPDIR, else /tmp. The io rate
 * is the change since the previous call (0 on the first call, or when the
 * previous one was under a second ago, which returns the last rate again).
 * Returns 0, or -1 when some figure could not be read: those keep the
 * "unknown" values above and the rest are still filled. */
int dcc_stats_read_host(struct dcc_host_figures *fig, const char *tmpdir);
/* Takes a disk sample for dcc_stats_read_host's io rate without reading the
 * rest. A daemon that renders in forked children calls this in the parent
 * now and then (a minute apart is plenty): each child inherits the sample
 * and reports the rate since it. 0, or -1 when /proc/diskstats is unusable. */
int dcc_stats_sample_io(void);

/* The same with its sources named, for tests: proc_dir stands for /proc, and
 * io carries the previous disk sample (zero it before the first call). */
struct dcc_io_sampler {
    int valid;
    unsigned long long sectors;
    double when; /* CLOCK_MONOTONIC seconds */
    long rate;
};
int dcc_stats_read_host_from(struct dcc_host_figures *fig, const char *tmpdir, const char *proc_dir,
                             struct dcc_io_sampler *io);
/* Sectors read + written over whole disks in a /proc/diskstats text
 * (partitions, loop, ram, zram, dm- and md devices are left out so nothing
 * counts twice); 0, or -1 if no line could be parsed. */
int dcc_stats_diskstats_sectors(const char *text, unsigned long long *sectors);

/* Renderers append to buf; 0, or -1 (ENOMEM) with buf as it was before.
 *
 * dcc_stats_render_text appends the whole stock reply, HTTP header included,
 * byte for byte what distccd 3.4 sends (stock monitors compare it):
 *   HTTP/1.0 200 OK\nContent-Type: text/plain\nConnection: close\n\n
 *   argv /distccd\n<distccstats>\n ... one "name value" line ... </distccstats>\n
 * Refused jobs are counted into dcc_other there (stock has no such line);
 * dcc_longest_job and dcc_longest_job_compiler read "none" before the first
 * job, dcc_max_RSS_name is the compiler in parentheses like stock's
 * /proc comm ("(cc1plus)"), "(none)" before the first job.
 *
 * dcc_stats_render_json and dcc_stats_render_prometheus append the body only
 * (ending in a newline);
 * the daemon puts dcc_stats_http_header() in front with DCC_STATS_JSON_TYPE or
 * DCC_STATS_PROMETHEUS_TYPE.
 *
 * JSON (one object, keys in this order):
 *   {"schema":1,
 *    "started":<epoch secs>, "uptime_secs":<now - started>,
 *    "counters":{"tcp_accept":N,"rej_bad_req":N,"rej_overload":N,"compile_ok":N,
 *                "compile_error":N,"compile_timeout":N,"cli_disconnect":N,
 *                "other":N,"refused":N,"dropped_slow":N},
 *                                    (other excludes refused here; dropped_slow
 *                                    is DCC_JOB_DROPPED, counted into
 *                                    dcc_rej_bad_req on the text page)
 *    "longest_job":{"file":"x.c"|null,"compiler":"gcc"|null,"msecs":N|-1},
 *    "max_rss":{"kb":N,"name":"cc1"|null},
 *    "kids":{"max":N,"current":N},
 *    "windows":{"1m":{"secs":60,"compiles":N,"avg_kids":D},
 *               "5m":{"secs":300,...},"15m":{"secs":900,...}},
 *    "host":{"load":[D,D,D],"free_space_mb":N,"procstate_D":N,"io_rate":N},
 *    "auth":{"ok":N,"failed":N,"principals":{"alice@REALM":N,...},
 *            "other_principals":N}}     (--auth: jobs per client principal)
 *
 * Prometheus text exposition 0.0.4, every family with # HELP and # TYPE:
 *   distccd_connections_total                 counter
 *   distccd_jobs_total{outcome="ok|compile_error|timeout|cli_disconnect|
 *                      bad_request|overload|refused|other|dropped_slow"}
 *                                                             counter
 *   distccd_start_time_seconds, distccd_uptime_seconds            gauge
 *   distccd_longest_job_seconds (-1 before the first job)         gauge
 *   distccd_max_rss_bytes                                         gauge
 *   distccd_children_limit, distccd_children_running              gauge
 *   distccd_children_average{window="1m|5m|15m"}                  gauge
 *   distccd_compiles{window="1m|5m|15m"}                          gauge
 *   distccd_load_average{window="1m|5m|15m"}                      gauge
 *   distccd_procs_blocked, distccd_io_sectors_per_second          gauge
 *   distccd_free_space_bytes (-1 when unknown)                    gauge
 */
int dcc_stats_render_text(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                          time_t now, struct dcc_buf *buf);
/* Only in a build with jansson (DCC_WITH_JSON, the Makefile's WITH_JSON). */
int dcc_stats_render_json(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                          time_t now, struct dcc_buf *buf);
int dcc_stats_render_prometheus(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                                time_t now, struct dcc_buf *buf);

#define DCC_STATS_TEXT_TYPE "text/plain"
#define DCC_STATS_JSON_TYPE "application/json"
#define DCC_STATS_PROMETHEUS_TYPE "text/plain; version=0.0.4"
/* Appends the stock-style reply header
 * "HTTP/1.0 200 OK\nContent-Type: TYPE\nConnection: close\n\n"; 0 or -1. */
int dcc_stats_http_header(struct dcc_buf *buf, const char *content_type);

#endif
