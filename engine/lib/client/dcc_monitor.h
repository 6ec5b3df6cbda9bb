/* The monitors' model: per-host load, per host/slot rows with phase history, and the job list, built from state polls. */
#ifndef DCC_MONITOR_H
#define DCC_MONITOR_H

#include <stddef.h>

#include "proto/dcc_hosts.h"
#include "client/dcc_state.h"
#include "base/dcc_util.h"

/* Bounds that keep a monitor's memory flat however busy the build is. */
#define DCC_MON_HISTORY 120         /* samples kept per slot row (one per poll) */
#define DCC_MON_MAX_ROWS 512        /* slot rows; more are counted, not kept */
#define DCC_MON_MAX_JOBS 4096       /* jobs of one poll; more are counted, not kept */
#define DCC_MON_MAX_LISTED_SLOTS 32 /* idle rows shown ahead for one listed host */
#define DCC_MON_IDLE 0xff           /* a history sample with no job on the slot */

/* One host: a name clients write in state files, with what the host list
 * says about it and what the polls saw. */
struct dcc_mon_host {
    char name[128];     /* as clients write it in the state file */
    char label[160];    /* as shown: "box:3632", "[::1]:3632", "user@box", "localhost" */
    int listed;         /* entries of the host list with this name */
    int slots;          /* their slots (0 when not listed) */
    int running;        /* jobs on it in the last poll */
    unsigned long done; /* jobs seen to leave it since the monitor started */
    int tcp_port;       /* the first TCP entry's port (0: none): where its stats live */
};

/* One host and slot, as stock's GTK monitor draws it: the job on it now and
 * the phases of the last DCC_MON_HISTORY polls, oldest first. */
struct dcc_mon_slot {
    char host[128];
    int slot;
    int listed; /* within the slots the host list gives the host */
    long pid;   /* 0: idle now */
    int phase;
    char file[128];
    unsigned char history[DCC_MON_HISTORY]; /* phases; DCC_MON_IDLE for none */
    int idle_polls;                         /* polls in a row without a job, to retire the row */
};

/* One running job. */
struct dcc_mon_job {
    long pid;
    int phase;
    int slot;
    char file[128];
    char host[128];
    double started;     /* the client's start (epoch seconds); first seen if unknown */
    double phase_since; /* when its current phase began */
};

struct dcc_monitor {
    struct dcc_mon_host *hosts; /* listed hosts in list order, then the others as first seen */
    size_t n_hosts;
    struct dcc_mon_slot *slots; /* sorted by host name, then slot */
    size_t n_slots;
    struct dcc_mon_job *jobs; /* the state reader's order: host, slot, pid */
    size_t n_jobs;
    size_t jobs_not_kept; /* jobs of the last poll beyond DCC_MON_MAX_JOBS */
    size_t rows_not_kept; /* slots of the last poll beyond DCC_MON_MAX_ROWS */
    unsigned long polls;
    unsigned long done; /* jobs seen to finish, all hosts */
    int local_slots;    /* --localslots of the host list, 0 without one */
};

void dcc_monitor_init(struct dcc_monitor *m);
void dcc_monitor_free(struct dcc_monitor *m);

/* Takes one poll: jobs as dcc_state_read_dir returned them, the host list
 * (NULL when there is none or it does not parse) and the time of the poll.
 * A job present in the last poll and gone now counts as done on its host.
 * 0, or -1 when out of memory (the model is then left as it was). */
int dcc_monitor_poll(struct dcc_monitor *m, const struct dcc_state_list *jobs,
                     const struct dcc_hostlist *hosts, double now);

/* Forgets everything (another state directory is being watched). */
void dcc_monitor_reset(struct dcc_monitor *m);

/* The host list as a monitor's environment finds it ($DISTCC_HOSTS,
 * $DISTCC_DIR/hosts, sysconfdir/distcc/hosts). 0 with *list filled, or -1
 * when there is none or it does not parse (*list is then empty). */
int dcc_monitor_load_hosts(const char *sysconfdir, struct dcc_hostlist *list);

/* distccmon-text's poll: stock's job line per job, then one load line per
 * host ("  box:3632  2/4 running"; "  box  1 running" for a host the list
 * does not give; hosts without jobs only when listed), then a blank line. */
int dcc_monitor_format_text(const struct dcc_monitor *m, struct dcc_buf *out);

/* "1.2s", "59s", "3m05s", "2h01m" */
void dcc_monitor_format_duration(double secs, char *buf, size_t len);

/* A helper's own figures, from its --stats port. */
struct dcc_mon_helper {
    char host[128];
    int port;
    int answered;    /* 1: /stats.json parsed */
    char error[256]; /* why not */
    unsigned long compile_ok, compile_error, compile_timeout, refused, overload;
    int kids_current, kids_max;
    double load1; /* the helper machine's 1-minute load average */
    unsigned long compiles_1m;
    char compilers[256]; /* "gcc 12.2.0, g++ 12.2.0" from /toolchain, "" unknown */
};

/* Fills h's figures from a /stats.json body, or its compilers from a
 * /toolchain body (jansson; needs DCC_WITH_JSON, else -1 with err). 0, or
 * -1 with err naming what is wrong. */
int dcc_monitor_parse_stats(const char *body, size_t len, struct dcc_mon_helper *h, char *err,
                            size_t errlen);
int dcc_monitor_parse_toolchain(const char *body, size_t len, struct dcc_mon_helper *h, char *err,
                                size_t errlen);

#endif
