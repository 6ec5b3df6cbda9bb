/* One compile on one helper: cpp runs here while we connect, the source goes
 * out, the object comes back and is put where gcc would put it (dcc_output). */
#ifndef DCC_REMOTE_H
#define DCC_REMOTE_H

#include <stddef.h>
#include <sys/types.h>

#include "proto/dcc_args.h"
#include "proto/dcc_hosts.h"
#include "client/dcc_incscan.h"
#include "client/dcc_net.h"
#include "base/dcc_util.h"

/* The local preprocessing of one job, shared by every helper it is tried on. */
struct dcc_cpp {
    char path[4096];     /* the .i file (or the source when already preprocessed) */
    pid_t pid;           /* running cpp, 0 when finished or not needed */
    int status;          /* cpp's wait status once finished */
    int owns_file;       /* path is our temporary and is removed by dcc_cpp_cleanup */
    int slot_fd;         /* a held lock (cpp slot) closed once cpp finishes, or -1 */
    int directives_only; /* set before dcc_cpp_start: gcc -E -fdirectives-only (the
                          * helper expands the macros; DCC_FEAT_DIRECTIVES) */
    const char *cc1_dir; /* set before dcc_cpp_start: run cc1 without the driver where
                          * dcc_cc1 knows its line (kept there); NULL: the driver */
    char **canon_argv;   /* cc1's line with gcc's default canonical system header
                          * names, run again when dcc_cc1_canon_differs (or NULL) */
};

/* Starts cpp for argv into a temporary file in tmpdir (unless the input is
 * already preprocessed). 0, or an exit code with err. */
int dcc_cpp_start(char *const *argv, const struct dcc_scan *scan, const char *tmpdir,
                  struct dcc_cpp *cpp, char *err, size_t errlen);
/* Waits for cpp if it still runs (and runs cc1 again for canonical system
 * header names when dcc_cc1_canon_differs, its stderr dropped: the first
 * run's messages are out), then drops slot_fd; returns cpp's wait status.
 * The connection to a helper is made while cpp runs. */
int dcc_cpp_finish(struct dcc_cpp *cpp);
/* Removes the temporary (unless keep), killing cpp if it still runs. */
void dcc_cpp_cleanup(struct dcc_cpp *cpp, int keep);

enum dcc_remote_outcome {
    DCC_REMOTE_DONE,        /* the helper answered; *status is its STAT */
    DCC_REMOTE_HOST_FAILED, /* connect, I/O or protocol trouble: try elsewhere */
    DCC_REMOTE_CPP_FAILED,  /* cpp failed here; *status is cpp's status */
    DCC_REMOTE_LOCAL_ERROR, /* our side failed (disk full, ...): build locally */
};

struct dcc_remote_result {
    enum dcc_remote_outcome outcome;
    int status;          /* raw wait status from STAT (or cpp) */
    struct dcc_buf serr; /* the helper's stderr */
    struct dcc_buf sout; /* the helper's stdout */
    char err[600];       /* why, for HOST_FAILED / LOCAL_ERROR */
    int exit_code;       /* distcc exit code for err (103, 107, 109, 118...) */
};

struct dcc_remote_opts {
    int io_timeout_ms;
    struct dcc_net_opts net; /* connect timeout, DISTCC_SSH, DISTCC_PRINCIPAL */
    int tcp_cork;
    /* DCC_FEAT_* this request uses, only ones the helper offered (the
     * caller asked it, client/dcc_hostcaps.h): DCC_FEAT_ZSTD sends and
     * receives zstd frames instead of LZO blocks, at zstd_level (0: the
     * default); DCC_FEAT_DIRECTIVES says the source is directives-only
     * (cpp->directives_only; pump mode sends no such source). */
    unsigned features;
    int zstd_level;
    /* Told each phase the job enters (enum dcc_phase: Connect, Preprocess
     * while cpp is still running, Send, Compile, Receive), for the monitor;
     * NULL for none. */
    void (*phase)(void *ctx, int phase);
    void *phase_ctx;
};

/* Runs the job on host. argv is the normalised client argv (after
 * dcc_args_scan). On DONE with status 0 the object is in place. */
void dcc_remote_compile(char *const *argv, const struct dcc_scan *scan, const struct dcc_host *host,
                        struct dcc_cpp *cpp, const struct dcc_remote_opts *opts,
                        struct dcc_remote_result *res);
/* Pump mode (protocol 3): the helper preprocesses. files lists the source
 * and the headers it reads that are not system headers (dcc_incscan_run);
 * directories go as an empty "forcing_technique_271828" file inside them,
 * as stock distcc's include server sends them. */
struct dcc_pump_request {
    const struct dcc_inc_list *files;
    const char *cwd;       /* the client's working directory (CDIR) */
    const char *deps_file; /* where the helper's dependency file goes, or NULL */
    /* The helper offers "hcache" (its CAPS answer): files go by digest
     * (DIST 0x203, dcc_hcsend), digests kept in digest_dir (may be NULL). */
    int hcache;
    const char *digest_dir;
};

/* Runs the job on a ",cpp,lzo" host in protocol 3. argv as for
 * dcc_remote_compile (-MF is dropped here). Same outcomes, without
 * DCC_REMOTE_CPP_FAILED; on DONE with status 0 the object and the
 * dependency file are in place. */
void dcc_remote_compile_pump(char *const *argv, const struct dcc_scan *scan,
                             const struct dcc_host *host, const struct dcc_pump_request *pump,
                             const struct dcc_remote_opts *opts, struct dcc_remote_result *res);
void dcc_remote_result_free(struct dcc_remote_result *res);

/* When SERR is the daemon's refusal ("distccd on HOST refused this job: ..."),
 * returns a pointer to that line inside serr, else NULL. */
const char *dcc_remote_refusal(const struct dcc_buf *serr);

#endif
