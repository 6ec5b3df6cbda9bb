/* The client's settings for one invocation and its build flow. */
#ifndef DCC_CLIENT_H
#define DCC_CLIENT_H

#include "client/dcc_hostcaps.h"
#include "proto/dcc_hosts.h"
#include "proto/dcc_settings.h"

struct client {
    struct dcc_settings set; /* the environment, read once in main */
    int verbose, logging_to_file;
    int fallback, skip_local_retry, save_temps, tcp_cork;
    int io_timeout_ms;
    const char *tmpdir;
    char **local_argv; /* the command as given (argv[0] resolved before running) */
    struct dcc_hostlist hosts;
    int hosts_source; /* enum dcc_hosts_source */
    char distcc_dir[4096];
    const char *pump_dir; /* under `pump`: the build's directory, else NULL */
    int max_discrepancy;  /* DISTCC_MAX_DISCREPANCY */
    int fit_policy;       /* DISTCC_TOOLCHAIN_MATCH: enum dcc_fit_policy */
    int load_aware;       /* DISTCC_HELPER_LOAD=on */
};

/* How this client learns what its helpers are (dcc_hostcaps_get). */
struct dcc_hostcaps_opts dcc_client_hostcaps_opts(const struct client *cl);

/* Toolchain-aware dispatch (fit.c): leaves out of this job's picks every
 * helper whose toolchain for compiler name (real: this machine's file) does
 * not fit this machine's under cl->fit_policy, naming each once per build;
 * with need_known (an expanded -march=native) a helper whose toolchain is
 * unknown is left out too, whatever the policy. A helper that cannot be
 * asked is backed off as a failed job would back it off (file names the job
 * in the warning; *failure gets the exit code of that failure). Returns how many helpers (not localhost) are left; when
 * none is, why says why. */
int dcc_client_fit_hosts(struct client *cl, const char *file, const char *name, const char *real,
                         int need_known, int *failure, char *why, size_t whylen);

/* -march=native and -mtune=native in *argv expanded into explicit flags
 * (fit.c, cached per compiler and CPU): 1 when *argv was replaced, 0 when it
 * has neither, -1 with why when they cannot be expanded (clang) and the job
 * stays here. */
int dcc_client_expand_native(struct client *cl, char ***argv, char *why, size_t whylen);

/* DISTCC_HELPER_LOAD's value (busy.c): "on" (or unset) sets *on, "off"
 * clears it; -1 for anything else. */
int dcc_client_parse_load(const char *value, int *on);

/* Busy helpers (busy.c): with cl->load_aware and more than one host in
 * view, each helper of ours that offers the load question is asked how
 * busy it is (kept DISTCC_HELPER_LOAD_TTL ms) and may take at most its
 * jobs less other clients' connections (its room). The job takes a free
 * slot in stock's order (slot 0 of every host in list order, then slot 1
 * ...) within each helper's room, at the same slot the helper with the
 * most idle slots when it answered first, without waiting. 0 with *lock
 * held (host_index into view), -1 when the job is to be placed as without
 * load (no load learned, or every slot with room taken). */
struct dcc_lock;
struct dcc_lock_opts;
int dcc_client_busy_pick(struct client *cl, const struct dcc_hostlist *view,
                         const struct dcc_lock_opts *lock_opts, struct dcc_lock *lock,
                         const char *file);

/* Builds the job described by *argv somewhere; returns the exit code. */
int dcc_client_build(struct client *cl, char ***argv);

/* distcc --scan-includes COMPILER ARGS: prints what pump mode would send,
 * one "FILE|DIRECTORY|SYSTEMDIR path" line each; returns the exit code. */
int dcc_client_scan_includes(struct client *cl, char ***argv);

#endif
