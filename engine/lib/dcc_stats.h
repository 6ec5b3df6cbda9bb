/* distccd's counters and their three renderings (distcc 3.x text page,
 * JSON, Prometheus text), plus the toolchain report served on /toolchain. */
#ifndef DCC_STATS_H
#define DCC_STATS_H

#include <stddef.h>
#include <time.h>

#include "dcc_util.h"

enum dcc_job_outcome {
    DCC_JOB_OK = 0,         /* compiled, status 0 */
    DCC_JOB_COMPILE_ERROR,  /* compiler ran and failed */
    DCC_JOB_TIMEOUT,        /* --job-lifetime or I/O timeout */
    DCC_JOB_CLI_DISCONNECT, /* client went away mid-job */
    DCC_JOB_BAD_REQUEST,    /* protocol error, bad length, garbage */
    DCC_JOB_REFUSED,        /* whitelist or argument policy said no */
    DCC_JOB_OTHER,          /* anything else (ENOMEM, disk full, ...) */
};

/* What a job child tells the parent when it ends (sent whole over a pipe, so
 * it stays a fixed-size plain struct). */
struct dcc_job_record {
    int outcome;              /* enum dcc_job_outcome */
    long msecs;               /* wall time of the job */
    long max_rss_kb;          /* of the compiler process */
    char file[128];           /* source basename */
    char compiler[64];        /* argv[0] basename */
};

#define DCC_STATS_WINDOW 900 /* seconds kept for the 1/5/15 minute figures */

struct dcc_stats {
    time_t started;
    unsigned long tcp_accept, rej_bad_req, rej_overload, compile_ok, compile_error,
        compile_timeout, cli_disconnect, other, refused;
    char longest_job[128];
    char longest_job_compiler[64];
    long longest_job_time_msecs;
    long max_rss_kb;
    char max_rss_name[64];
    int max_kids;
    int current_load; /* running job children now */
    /* per-second ring buffers over the last DCC_STATS_WINDOW seconds */
    unsigned int compiles_per_sec[DCC_STATS_WINDOW];
    unsigned int kids_per_sec[DCC_STATS_WINDOW];
    time_t ring_time; /* the second the ring's newest slot stands for */
};

void dcc_stats_init(struct dcc_stats *st, time_t now);
/* Counts a finished job. */
void dcc_stats_record(struct dcc_stats *st, const struct dcc_job_record *rec, time_t now);
/* Called when a connection is accepted, and when the running-children count
 * changes (also fine to call once a second). */
void dcc_stats_accept(struct dcc_stats *st);
void dcc_stats_set_kids(struct dcc_stats *st, int running, time_t now);

/* Host figures read at render time (load average, free space, D-state
 * processes, disk io); the daemon fills them just before rendering so
 * rendering itself stays pure and testable. */
struct dcc_host_figures {
    double load[3];
    long free_space_mb;  /* of the job directory's file system */
    int procstate_D;
    long io_rate;        /* sectors/s, 0 when unknown */
};
int dcc_stats_read_host(struct dcc_host_figures *fig, const char *tmpdir);

/* Renderers append to buf; 0 or -1 (ENOMEM). argv0 is the daemon path
 * shown as "argv /distccd" on the text page. */
int dcc_stats_render_text(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                          time_t now, struct dcc_buf *buf);
int dcc_stats_render_json(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                          time_t now, struct dcc_buf *buf);
int dcc_stats_render_prometheus(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                                time_t now, struct dcc_buf *buf);

#endif
