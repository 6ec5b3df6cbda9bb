/* Running a program: argv, env changes, timeout, output cap, own process group, where output goes; several at once. */
#ifndef DCC_RUN_H
#define DCC_RUN_H

#include <stddef.h>
#include <sys/types.h>

#include "base/dcc_util.h"

/* Where the child's stdout or stderr goes. */
enum dcc_run_stream {
    DCC_RUN_NULL = 0, /* /dev/null */
    DCC_RUN_CAPTURE,  /* appended to out_buf / err_buf */
    DCC_RUN_MERGE,    /* stderr only: wherever stdout goes, in the order written (2>&1) */
    DCC_RUN_INHERIT,  /* the caller's own fd 1 / 2 */
    DCC_RUN_FD,       /* out_fd / err_fd, lent by the caller; err_fd 1 is the caller's
                       * stdout even when stdout itself goes elsewhere */
};

/* Where the child's stdin comes from. */
enum dcc_run_input {
    DCC_RUN_IN_NULL = 0, /* /dev/null */
    DCC_RUN_IN_FILE,     /* in_file, opened for reading */
    DCC_RUN_IN_INHERIT,  /* the caller's fd 0 */
};

enum {
    /* prog (or argv[0]) without a '/' is looked up on the caller's PATH as
     * execvp does: a file without "#!" runs with /bin/sh, an unexecutable
     * entry does not hide a later one. Without it, prog is run as given. */
    DCC_RUN_SEARCH_PATH = 1 << 0,
    /* Stays in the caller's process group (a terminal's Ctrl-C reaches it);
     * a timeout then kills only the child. By default the child leads a
     * group of its own, and the group is killed. */
    DCC_RUN_SAME_GROUP = 1 << 1,
    /* Signals the caller ignores stay ignored (nohup, "cmd &"), and the
     * signal mask is kept; only SIGPIPE, which we ignore for our sockets,
     * gets its default back. By default every signal is reset to its
     * default action and none is blocked. */
    DCC_RUN_KEEP_SIGNALS = 1 << 2,
    /* The caller's descriptors without close-on-exec are inherited (make's
     * jobserver). By default everything above stderr is closed. */
    DCC_RUN_KEEP_FDS = 1 << 3,
    /* Output past cap is read and dropped, not an error. */
    DCC_RUN_TRUNCATE = 1 << 4,
};

struct dcc_run_opts {
    char *const *argv;          /* NULL-terminated; argv[0] is the name the program sees */
    const char *prog;           /* the file to run; NULL: argv[0] */
    char *const *env;           /* the whole environment; NULL: environ */
    const char *const *env_set; /* then, NULL-terminated: "NAME=VALUE" replaces NAME,
                                 * a bare "NAME" removes it; may be NULL */
    const char *dir;            /* working directory of the child; NULL: ours */
    enum dcc_run_input in;
    const char *in_file; /* DCC_RUN_IN_FILE */
    enum dcc_run_stream out, err;
    int out_fd, err_fd;                /* DCC_RUN_FD */
    struct dcc_buf *out_buf, *err_buf; /* DCC_RUN_CAPTURE; appended to, NUL-terminated */
    size_t cap;                        /* bytes captured in all (stdout and stderr); 0: no limit */
    int timeout_ms;                    /* from the start; 0: none */
    unsigned flags;                    /* DCC_RUN_* above */
};

/* How a run ended. Every result except DCC_RUN_OK comes with a text in the
 * caller's err; NOT_RUN, SYSTEM and LOST leave the cause in errno. */
enum dcc_run_end {
    DCC_RUN_OK = 0,   /* it ran and was reaped: *wstatus is its wait status */
    DCC_RUN_NOT_RUN,  /* "cannot run PROG: WHY": exec failed (precisely, from the
                       * child), or dir or in_file were not usable */
    DCC_RUN_TIMEOUT,  /* "PROG did not finish within N ms": killed with its
                       * group; *wstatus is how it ended ("PROG exited, but a
                       * process it left kept its output open past N ms" when
                       * it had ended by itself) */
    DCC_RUN_OVER_CAP, /* "PROG printed more than N bytes": killed with its group */
    DCC_RUN_NOMEM,    /* "out of memory": killed with its group */
    DCC_RUN_SYSTEM,   /* "cannot run PROG: cannot create a pipe|cannot fork: WHY",
                       * or "cannot wait for PROG: WHY" (poll failed; killed) */
    DCC_RUN_LOST,     /* "cannot wait for PROG: No child processes": it ran, but
                       * someone else reaped it (SIGCHLD ignored, waitpid(-1));
                       * *wstatus is 0 and the output is complete */
};

/* Runs the program to its end: start + poll + finish. Returns a dcc_run_end;
 * wstatus may be NULL. Every descriptor it opened is closed and the child is
 * reaped on every path. */
int dcc_run(const struct dcc_run_opts *o, int *wstatus, char *err, size_t errlen);

/* ---- several at once ---- */

struct dcc_run;

/* Forks and starts the program; the options are read now, except the
 * buffers, which must outlive the handle. DCC_RUN_OK with *h, or an end
 * with err (then nothing is left running or open). */
int dcc_run_start(const struct dcc_run_opts *o, struct dcc_run **h, char *err, size_t errlen);

/* The child's pid (its process group too, without DCC_RUN_SAME_GROUP). */
pid_t dcc_run_pid(const struct dcc_run *h);

/* Waits (poll) until any of the n handles has something to read or ends,
 * or a deadline passes, and does what is due for each: reads what is ready,
 * notes an exit, kills at the timeout or the cap. NULL entries are skipped.
 * Returns how many are still running; call it until 0, then finish each. */
size_t dcc_run_poll(struct dcc_run *const *hs, size_t n);

/* 1 once the handle has nothing more to wait for. */
int dcc_run_done(const struct dcc_run *h);

/* Waits until done, reaps the child, closes and frees everything.
 * Returns a dcc_run_end as dcc_run does. */
int dcc_run_finish(struct dcc_run *h, int *wstatus, char *err, size_t errlen);

/* Waits only until the program was exec'd (or failed to be): 0, or -1 with
 * "cannot run PROG: WHY" in err and errno (then finish it). */
int dcc_run_started(struct dcc_run *h, char *err, size_t errlen);

/* Gives up the handle without waiting: closes its descriptors (captured
 * output ends there) and returns the pid, which the caller now reaps. */
pid_t dcc_run_detach(struct dcc_run *h);

#endif
