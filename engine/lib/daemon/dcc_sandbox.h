/* The job sandbox: what the kernel offers (user, mount, pid and network
 * namespaces, Landlock, seccomp), which of it a daemon uses, and confining
 * one compiler process between fork and exec. */
#ifndef DCC_SANDBOX_H
#define DCC_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum dcc_sandbox_mode { DCC_SANDBOX_AUTO, DCC_SANDBOX_REQUIRED, DCC_SANDBOX_OFF };

/* One bit per mechanism, in the order of dcc_sandbox_mechanisms. */
enum {
    DCC_SBX_USERNS = 1u << 0,
    DCC_SBX_MOUNTNS = 1u << 1,
    DCC_SBX_PIDNS = 1u << 2,
    DCC_SBX_NETNS = 1u << 3,
    DCC_SBX_LANDLOCK = 1u << 4,
    DCC_SBX_SECCOMP = 1u << 5,
};
#define DCC_SBX_ALL 0x3fu
#define DCC_SBX_COUNT 6

/* Names as the log, the stats pages and distcc-preflight spell them:
 * "user", "mount", "pid", "net", "landlock", "seccomp". */
extern const char *const dcc_sandbox_mechanisms[DCC_SBX_COUNT];

/* What the kernel (and this build) offers to an unprivileged job user. */
struct dcc_sandbox_probe {
    unsigned have;               /* DCC_SBX_* bits */
    int landlock_abi;            /* 0: none */
    char why[DCC_SBX_COUNT][96]; /* for each missing one: why */
};

/* Per-job resource limits; 0 means no limit. */
struct dcc_sandbox_limits {
    uint64_t memory;    /* bytes of address space (RLIMIT_AS) */
    uint64_t file_size; /* bytes of one written file (RLIMIT_FSIZE) */
    long cpu_seconds;   /* CPU time of each process (RLIMIT_CPU) */
    long processes;     /* processes of the job (RLIMIT_NPROC, per job with a user namespace) */
};

/* Everything prepared once in the daemon; jobs only read it after fork. */
struct dcc_sandbox {
    unsigned use; /* mechanisms in use (DCC_SBX_*) */
    int landlock_abi;
    struct dcc_sandbox_limits limits;
    char **read_paths; /* existing system directories and files to read */
    size_t nread;
    char **exec_paths; /* toolchain directories and files to execute (and read) */
    size_t nexec;
    /* The paths above opened once (O_PATH) with the Landlock rights each
     * gets, so a job adds its rules without looking a path up. */
    int *rule_fds;
    uint64_t *rule_rights;
    size_t nrules;
    void *bpf; /* the seccomp program (struct sock_filter[]), or NULL */
    unsigned short bpf_len;
    /* The namespaces every job joins (dcc_sandbox_share): user, mount
     * (the job root mounted noexec) and network, made once because a new
     * network namespace costs milliseconds; -1 when not shared. */
    int ns_fd[3];
};

/* One job: where it may write, and what it runs. */
struct dcc_sandbox_job {
    const char *dir;      /* the job directory: read-write, mounted noexec */
    const char *cwd;      /* the compiler's working directory (inside dir) */
    const char *compiler; /* full path of the whitelisted compiler */
    /* The files already open as fds 1 and 2 (in dir), or NULL: opened again
     * through the noexec mount, so no fd leads to the job's files through
     * the old one. */
    const char *stdout_path, *stderr_path;
};

/* Tries each mechanism in a child process, as the job user (uid/gid; with
 * (uid_t)-1 the caller's own), with dir (the job TMPDIR) for the noexec
 * mount. Fills p; 0, or -1 with err when the probe itself could not run. */
int dcc_sandbox_probe(const char *dir, uid_t uid, gid_t gid, struct dcc_sandbox_probe *p, char *err,
                      size_t errlen);

/* The mechanisms to use for mode, given what the probe found. auto: all
 * there are, and msg names the missing ones with their reasons (empty when
 * none are); off: none, msg empty; required: all, or -1 with msg naming
 * what is missing. */
int dcc_sandbox_decide(enum dcc_sandbox_mode mode, const struct dcc_sandbox_probe *p, unsigned *use,
                       char *msg, size_t msglen);

/* "user,mount,pid,net,landlock,seccomp" for the bits in mask, or "none". */
void dcc_sandbox_describe(unsigned mask, char *buf, size_t len);

/* Parses "auto", "required" or "off". 0, or -1. */
int dcc_sandbox_mode_parse(const char *text, enum dcc_sandbox_mode *mode);

/* Fills sb for use (from dcc_sandbox_decide): the system paths that exist,
 * the toolchain directories, the seccomp program. 0, or -1 with err. */
int dcc_sandbox_prepare(struct dcc_sandbox *sb, unsigned use, int landlock_abi,
                        const struct dcc_sandbox_limits *limits, char *err, size_t errlen);

/* Makes, once, the user, mount and network namespaces that every job
 * joins (those of sb->use), as the job user (uid/gid; (uid_t)-1: the
 * caller's own), with dir (the root of all job directories) mounted
 * noexec, nosuid and nodev in them. Each job still gets its own user and
 * IPC namespace inside. 0 (also when sb uses no user namespace: nothing to
 * share), or -1 with err. */
int dcc_sandbox_share(struct dcc_sandbox *sb, const char *dir, uid_t uid, gid_t gid, char *err,
                      size_t errlen);

/* Closes every descriptor from 3 up except the sandbox's own (the shared
 * namespaces, the paths of its rules), in a child before
 * dcc_sandbox_enter. */
void dcc_sandbox_close_fds(const struct dcc_sandbox *sb);

void dcc_sandbox_free(struct dcc_sandbox *sb);

/* Process containment ("pid") takes one of two forms. With Landlock ABI 6
 * or later the process that forks the compiler (the daemon's process for
 * one connection) becomes the job's reaper, once, by dcc_sandbox_reaper: a
 * child subreaper in a Landlock domain of its own that scopes signals. Every
 * process of the job, setsid or not, stays its descendant and can signal
 * nothing outside the job, and dcc_sandbox_reap ends them all with one
 * kill(-1) that reaches only the reaper's domain. Before ABI 6 each job gets
 * a pid namespace (see dcc_sandbox_enter).
 *
 * dcc_sandbox_reaper: makes the caller the reaper when sb needs one (a
 * no-op otherwise, and when it already is). 0, or -1 with err. Do not use it
 * in a process that has children it wants to keep: they can be reaped. */
int dcc_sandbox_reaper(const struct dcc_sandbox *sb, char *err, size_t errlen);

/* In the reaper, once a job's compiler is done or stopped: kills every
 * process left of the job and reaps them all. No-op without a reaper. */
void dcc_sandbox_reap(void);

/* Confines the calling process (a child that is about to exec the
 * compiler, with its cwd and fds set up). Under a reaper it confines this
 * process and returns 0. With a pid namespace it forks twice: the caller's
 * process stays outside and relays the compiler's wait status, a second
 * becomes init of the namespace, the third is the compiler. Returns
 *    0   in the compiler's process, now confined: exec the compiler;
 *    1   in a relay whose work is done: end with *status (a raw wait
 *        status) as the process's own;
 *   -1   with err: the sandbox could not be set up (this process must
 *        not run the compiler).
 * A relay outside the namespace kills it when it gets SIGTERM, SIGINT or
 * SIGHUP, so stopping the caller's process group stops the whole job. */
int dcc_sandbox_enter(const struct dcc_sandbox *sb, const struct dcc_sandbox_job *job, int *status,
                      char *err, size_t errlen);

#endif
