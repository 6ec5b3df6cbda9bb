/* One distccd job as its parts share it: the lifecycle (serve.c), the
 * compile (compile.c) and protocol 3's files (pumpfiles.c). */
#ifndef DCCD_JOB_H
#define DCCD_JOB_H

#include "daemon.h"

#include "proto/dcc_args.h"
#include "proto/dcc_bulk.h"
#include "proto/dcc_caps.h"
#include "daemon/dcc_pump.h"
#include "base/dcc_util.h"
#include "proto/dcc_wire.h"

#if DCC_WITH_JSON
#include <jansson.h>
#else
typedef struct json_t json_t; /* built without jansson: CAPS is off */
#endif
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* A LINK as the client sent it and as it was made. */
struct pump_link {
    char *name;
    char *sent;
    char *made;
};

struct job {
    const struct dccd_config *cfg;
    const char *peer;
    struct dcc_conn conn;
    uint32_t protover;
    unsigned features; /* DCC_FEAT_* the request uses (from DIST) */
    int caps_query;    /* CAPS instead of DIST: answered, no job */
    uint32_t caps_len; /* the CAPS question's length */
    int caps_load;     /* it asked how busy this distccd is */
    enum dcc_compress how;
    char **argv;
    struct dcc_scan scan;
    char compiler[128];
    char compiler_path[PATH_MAX];
    char dir[PATH_MAX - 256]; /* room for the file names inside it */
    char input[PATH_MAX];
    char output[PATH_MAX];
    char out_stdout[PATH_MAX];
    char out_stderr[PATH_MAX];
    char cwd[PATH_MAX];      /* the compiler's working directory: dir, or root + CDIR */
    char root[PATH_MAX];     /* protocol 3: the client's "/" inside dir */
    char deps[PATH_MAX];     /* protocol 3: the .d file the compiler writes, sent as DOTD */
    char *cdir;              /* protocol 3: the client's working directory */
    unsigned pump_dirs;      /* protocol 3: directories created under root */
    struct pump_link *links; /* protocol 3: the links made, checked once all are here */
    size_t nlinks, links_cap;
    /* protocol 3: stock's links to the client compiler's default include
     * directories, kept as names only (NULL-terminated) */
    char *system_dirs[DCC_PUMP_MAX_SYSTEM_DIRS + 1];
    size_t nsystem_dirs;
    char client_input[256]; /* the source name the client sent, for logs */
    char principal[128];    /* --auth: who the client proved to be */
    char refusal[600];      /* non-empty: why the job is refused */
    int refusal_exit;
    char auth_why[700];       /* --auth: why the client did not get in */
    struct dcc_buf log_lines; /* distccd's own warnings for this job, sent in SERR */
    struct timespec started;
    long max_rss_kb;
    pid_t pid;               /* the compiler, once started */
    int status;              /* its wait status, once it ended */
    int source_fd;           /* early start: our writing end of the input FIFO, else -1 */
    int early;               /* the input is a FIFO and the compiler runs already */
    int lifetime_over;       /* --job-lifetime passed while the source was coming */
    int client_gone;         /* the client hung up while its source was coming */
    int abandoned;           /* the client closed cleanly where its source would start */
    int has_slot;            /* the daemon granted this job one of its --jobs slots */
    int left_in_queue;       /* the client went away while the job waited for one */
    struct timespec spawned; /* when the compiler started (--job-lifetime) */
};

/* Set by SIGTERM or SIGINT: the daemon is stopping, the job ends. */
extern volatile sig_atomic_t dccd_job_terminated;

/* serve.c: the job's lifecycle. */
/* Refuses the job with exit_code; the first reason given is the one told. */
void dccd_refuse(struct job *j, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
long dccd_elapsed_ms(const struct timespec *since);
/* Waits for one of the daemon's --jobs slots; 0, or -1 (refused, the client
 * left or the daemon is stopping). */
int dccd_take_slot(struct job *j);

/* compile.c: running the compiler and sending what it made. */
enum run_result { RUN_DONE, RUN_TIMEOUT, RUN_DISCONNECT, RUN_TALKING, RUN_TERMINATED, RUN_FAILED };
/* Starts the compiler on a FIFO before the source arrives, when it can. */
void dccd_start_early(struct job *j);
/* The DOTI body of len bytes into the early-started compiler's FIFO. */
int dccd_feed_source(struct job *j, uint32_t len);
/* Runs the compiler (or waits for the early one) until it ends, the job
 * lifetime passes, the client leaves or talks, or the daemon stops; the
 * wait status goes into j->status. */
enum run_result dccd_run_compiler(struct job *j);
/* Stops a compiler that will not be waited for. */
void dccd_stop_compiler(struct job *j);
/* DONE, STAT, SERR (with extra after the compiler's), SOUT, DOTO and, for
 * protocol 3, DOTD. */
int dccd_send_reply(struct job *j, int status, const struct dcc_buf *serr_extra, int send_object);

/* caps.c: the CAPS answer. The features this distccd can offer
 * (DCC_FEAT_*); dccd_features: those it offers with its settings (hcache
 * only with a header cache, load only with the accept loop's bookkeeping,
 * not under --inetd). */
#define DCCD_FEATURES (DCC_FEAT_ZSTD | DCC_FEAT_DIRECTIVES | DCC_FEAT_HCACHE | DCC_FEAT_LOAD)
unsigned dccd_features(const struct dccd_config *cfg);
#if DCC_WITH_JSON
json_t *dccd_caps_document(const struct dccd_config *cfg);
#endif
/* Reads the question (question_len bytes, CAPS's value) and sends CAPS and
 * the document; 0, or the wire error. */
int dccd_answer_caps(struct job *j, uint32_t question_len);

/* pumpfiles.c: protocol 3's request. */
/* CDIR and the arguments, after DIST 3. 0, or the wire error. */
int dccd_pump_read_head(struct job *j);
/* NFIL and the files under the job's root, once the request is checked;
 * then the compiler's working directory and arguments are the client's
 * inside the root. 0, or the wire error when the request broke off. */
int dccd_pump_receive_files(struct job *j);
/* Frees what the files left in the job. */
void dccd_pump_free(struct job *j);

#endif
