/* One distccd job: read the request, check it, compile in a private
 * directory, reply, and leave nothing behind. */
#include "daemon.h"

#include "proto/dcc_args.h"
#include "proto/dcc_bulk.h"
#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "proto/dcc_optcat.h"
#include "daemon/dcc_pump.h"
#include "base/dcc_util.h"
#include "proto/dcc_whitelist.h"
#include "proto/dcc_wire.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
    char cwd[PATH_MAX];   /* the compiler's working directory: dir, or root + CDIR */
    char root[PATH_MAX];  /* protocol 3: the client's "/" inside dir */
    char deps[PATH_MAX];  /* protocol 3: the .d file the compiler writes, sent as DOTD */
    char *cdir;           /* protocol 3: the client's working directory */
    unsigned pump_dirs;   /* protocol 3: directories created under root */
    struct pump_link *links; /* protocol 3: the links made, checked once all are here */
    size_t nlinks, links_cap;
    /* protocol 3: stock's links to the client compiler's default include
     * directories, kept as names only (NULL-terminated) */
    char *system_dirs[DCC_PUMP_MAX_SYSTEM_DIRS + 1];
    size_t nsystem_dirs;
    char client_input[256]; /* the source name the client sent, for logs */
    char principal[128];    /* --auth: who the client proved to be */
    char refusal[600];    /* non-empty: why the job is refused */
    int refusal_exit;
    struct dcc_buf log_lines; /* distccd's own warnings for this job, sent in SERR */
    struct timespec started;
    long max_rss_kb;
    pid_t pid;     /* the compiler, once started */
    int source_fd; /* early start: our writing end of the input FIFO, else -1 */
    int early;     /* the input is a FIFO and the compiler runs already */
    int lifetime_over; /* --job-lifetime passed while the source was coming */
    int client_gone;   /* the client hung up while its source was coming */
    int abandoned;     /* the client closed cleanly where its source would start */
    int has_slot;      /* the daemon granted this job one of its --jobs slots */
    int left_in_queue; /* the client went away while the job waited for one */
    struct timespec spawned; /* when the compiler started (--job-lifetime) */
};

static volatile sig_atomic_t job_terminated;
static volatile sig_atomic_t slot_granted;

static void on_term(int sig)
{
    (void)sig;
    job_terminated = 1;
}

static void on_grant(int sig)
{
    (void)sig;
    slot_granted = 1;
}

static void capture_log(enum dcc_log_level level, const char *line, void *ctx)
{
    (void)level;
    dcc_buf_appends(ctx, line);
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void refuse(struct job *j, int exit_code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void refuse(struct job *j, int exit_code, const char *fmt, ...)
{
    if (j->refusal[0])
        return; /* the first reason is the one worth telling */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->refusal, sizeof j->refusal, fmt, ap);
    va_end(ap);
    j->refusal_exit = exit_code;
}

/* The rest of the request must come within --request-timeout of now. */
static void restart_deadline(struct job *j)
{
    j->conn.deadline_ms = j->cfg->request_timeout > 0 ? dcc_wire_now_ms() + (long long)j->cfg->request_timeout * 1000 : 0;
}

/* A job slot is taken only once the request's source is on its way (its
 * DOTI header, or protocol 3's NFIL): a connection that is idle or trickles
 * before that holds a process, never a slot. Asks the daemon over slot_fd
 * and sleeps until SIGUSR1 grants it, the client goes away, or the daemon
 * stops. 0, or -1. Under --inetd there is no daemon to ask. */
static int take_slot(struct job *j)
{
    if (j->has_slot || j->cfg->slot_fd < 0)
        return 0;
    pid_t me = getpid();
    if (write(j->cfg->slot_fd, &me, sizeof me) != (ssize_t)sizeof me) {
        refuse(j, DCC_EXIT_DISTCC_FAILED, "cannot ask the daemon for a job slot: %s", strerror(errno));
        return -1;
    }
    sigset_t waiting;
    sigprocmask(SIG_SETMASK, NULL, &waiting);
    sigdelset(&waiting, SIGUSR1);
    struct pollfd p = {.fd = j->conn.in_fd, .events = POLLRDHUP};
    struct timespec asked;
    clock_gettime(CLOCK_MONOTONIC, &asked);
    while (!slot_granted) {
        if (job_terminated)
            return -1;
        int n = ppoll(&p, 1, NULL, &waiting);
        if (n > 0 && (p.revents & (POLLHUP | POLLERR))) {
            j->client_gone = j->left_in_queue = 1;
            return -1;
        }
        if (n > 0 && (p.revents & POLLRDHUP))
            p.fd = -1; /* a half-close: the rest of the request may still be buffered */
    }
    j->has_slot = 1;
    /* Time in the queue is not the client's: its deadline starts again;
     * nor the compile's: an early-started compiler's --job-lifetime moves
     * on by that time. */
    restart_deadline(j);
    if (j->pid > 0) {
        long queued = elapsed_ms(&asked);
        j->spawned.tv_sec += queued / 1000;
        j->spawned.tv_nsec += (queued % 1000) * 1000000;
        if (j->spawned.tv_nsec >= 1000000000) {
            j->spawned.tv_sec++;
            j->spawned.tv_nsec -= 1000000000;
        }
    }
    return 0;
}

/* Gives the slot back once the compiler is done: sending the reply to a
 * slow reader holds no slot. */
static void release_slot(struct job *j)
{
    if (!j->has_slot)
        return;
    pid_t gone = -getpid();
    (void)!write(j->cfg->slot_fd, &gone, sizeof gone);
    j->has_slot = 0;
}

/* Removes the job directory and whatever the compiler left in it. Never
 * follows symlinks: only entries inside the directory are unlinked. Holds
 * two fds whatever the depth: it goes down into the first directory that is
 * not empty, back up with "..", and reads the parent again, where the
 * emptied directory now goes with rmdir. stuck[i] counts the directories at
 * depth i it came back from without emptying them (something in them
 * cannot be removed); they are passed over, in the order readdir gives. */
static void remove_tree_at(int dirfd)
{
    size_t depth = 0, cap = 16;
    unsigned *stuck = calloc(cap, sizeof *stuck);
    if (!stuck) {
        close(dirfd);
        return;
    }
    int fd = dirfd;
    while (fd >= 0) {
        DIR *d = fdopendir(fd);
        if (!d) {
            close(fd);
            break;
        }
        unsigned skip = stuck[depth];
        int next = -1, left = 0;
        struct dirent *e;
        while (next < 0 && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (unlinkat(fd, e->d_name, 0) == 0)
                continue;
            if (errno != EISDIR && errno != EPERM) {
                left = 1;
                continue;
            }
            if (unlinkat(fd, e->d_name, AT_REMOVEDIR) == 0)
                continue;
            left = 1;
            if (errno != ENOTEMPTY && errno != EEXIST)
                continue;
            if (skip > 0) {
                skip--;
                continue;
            }
            next = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next < 0)
                stuck[depth]++;
        }
        if (next >= 0) {
            closedir(d);
            if (depth + 1 == cap) {
                unsigned *grown = realloc(stuck, 2 * cap * sizeof *stuck);
                if (!grown) {
                    close(next);
                    break;
                }
                stuck = grown;
                cap *= 2;
            }
            stuck[++depth] = 0;
            fd = next;
            continue;
        }
        fd = depth > 0 ? openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        closedir(d);
        if (depth > 0)
            stuck[--depth] += left;
    }
    free(stuck);
}

static void remove_job_dir(struct job *j)
{
    if (!j->dir[0])
        return;
    int fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        remove_tree_at(fd);
    if (rmdir(j->dir) != 0 && errno != ENOENT)
        dcc_warn("cannot remove job directory %s: %s", j->dir, strerror(errno));
    j->dir[0] = '\0';
}

/* Everything about the request that can be decided before the source
 * arrives: compiler whitelist, argument policy, distributable at all. */
static void check_request(struct job *j)
{
    const struct dccd_config *cfg = j->cfg;
    char why[512];

    /* Scan first so every log line can name the source file. */
    char err[256];
    if (dcc_args_scan(&j->argv, &j->scan, err, sizeof err) != 0) {
        refuse(j, DCC_EXIT_OUT_OF_MEMORY, "%s", err);
        return;
    }
    if (j->scan.input)
        snprintf(j->client_input, sizeof j->client_input, "%s", j->scan.input);
    const char *argv0 = j->argv[0];
    if (cfg->tcp_insecure) {
        const char *b = strrchr(argv0, '/');
        snprintf(j->compiler, sizeof j->compiler, "%s", b ? b + 1 : argv0);
    } else if (dcc_whitelist_check(cfg->whitelist_dir, argv0, j->compiler, sizeof j->compiler, why, sizeof why)) {
        refuse(j, DCC_EXIT_COMPILER_MISSING, "%s", why);
        return;
    }
    /* Protocol 3 re-roots absolute -include/-imacros into the job. */
    struct dcc_optcat_policy policy = {.pump = j->protover == 3};
    if (dcc_optcat_check(j->argv, j->compiler, &policy, why, sizeof why) != 0) {
        refuse(j, DCC_EXIT_ACCESS_DENIED, "%s", why);
        return;
    }
    if (j->scan.local_only) {
        refuse(j, DCC_EXIT_BAD_ARGUMENTS, "this job cannot be compiled remotely: %s", j->scan.why_local);
        return;
    }
    /* "failed to exec" is stock's phrase for this, which admins grep for. */
    if (dcc_whitelist_find_compiler(j->compiler, cfg->compiler_path, cfg->whitelist_dir, j->compiler_path,
                                    sizeof j->compiler_path, why, sizeof why) != 0)
        refuse(j, DCC_EXIT_COMPILER_MISSING, "failed to exec %s: %s", j->compiler, why);
}

static int make_job_files(struct job *j)
{
    int n = snprintf(j->dir, sizeof j->dir, "%s/distccd_XXXXXX", j->cfg->tmpdir);
    if (n < 0 || (size_t)n >= sizeof j->dir || !mkdtemp(j->dir)) {
        int e = errno;
        j->dir[0] = '\0';
        refuse(j, DCC_EXIT_IO_ERROR, "cannot create a job directory in %s: %s", j->cfg->tmpdir, strerror(e));
        return -1;
    }
    /* The compiler's working directory is what getcwd() says (debug info's
     * comp_dir), so the job's paths are spelled the same way: a TMPDIR
     * with a symlink or a trailing slash would not match the prefix maps. */
    char real[PATH_MAX];
    if (realpath(j->dir, real) && strlen(real) < sizeof j->dir)
        memcpy(j->dir, real, strlen(real) + 1);
    /* The job's files keep the client's base name so compiler messages that
     * mention them still make sense; the directory makes them unique. */
    const char *base = strrchr(j->scan.input, '/');
    base = base ? base + 1 : j->scan.input;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (stem > 100)
        stem = 100;
    const char *ext = j->scan.preprocessed ? strrchr(base, '.') : dcc_args_preproc_ext(base);
    if (!ext)
        ext = ".i";
    snprintf(j->input, sizeof j->input, "%s/%.*s%s", j->dir, (int)stem, base, ext);
    snprintf(j->output, sizeof j->output, "%s/%.*s%s", j->dir, (int)stem, base, j->scan.has_dash_S ? ".s" : ".o");
    snprintf(j->out_stdout, sizeof j->out_stdout, "%s/compiler.stdout", j->dir);
    snprintf(j->out_stderr, sizeof j->out_stderr, "%s/compiler.stderr", j->dir);
    snprintf(j->cwd, sizeof j->cwd, "%s", j->dir);
    if (j->protover == 3) {
        /* The client's files go under root; what the compiler writes for
         * the reply stays beside it, out of the client's reach. */
        snprintf(j->root, sizeof j->root, "%s/root", j->dir);
        snprintf(j->deps, sizeof j->deps, "%s/deps.d", j->dir);
        if (mkdir(j->root, 0700) != 0) {
            refuse(j, DCC_EXIT_IO_ERROR, "cannot create %s: %s", j->root, strerror(errno));
            j->root[0] = '\0';
            return -1;
        }
    }
    return 0;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

enum client_state { CLIENT_WAITING, CLIENT_GONE, CLIENT_TALKING };

/* Whether the client went away (EOF or reset) or broke the protocol by
 * sending more after its request. */
static enum client_state client_state(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return CLIENT_GONE;
    if (n < 0)
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTSOCK ? CLIENT_GONE : CLIENT_WAITING;
    return CLIENT_TALKING;
}

static void kill_group(pid_t pid)
{
    kill(-pid, SIGTERM);
    for (int i = 0; i < 20; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

enum run_result { RUN_DONE, RUN_TIMEOUT, RUN_DISCONNECT, RUN_TALKING, RUN_TERMINATED, RUN_FAILED };

/* Ends a relay of the sandbox with the compiler's own wait status. */
static void __attribute__((noreturn)) end_like(int status)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        signal(sig, SIG_DFL);
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, sig);
        sigprocmask(SIG_UNBLOCK, &only, NULL);
        raise(sig);
        _exit(128 + sig); /* init of a pid namespace cannot die of it */
    }
    _exit(WEXITSTATUS(status));
}

static void exec_compiler(struct job *j)
{
    /* In the child: its own process group so one kill stops cc1 and as too. */
    setpgid(0, 0);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (chdir(j->cwd) != 0)
        _exit(DCC_EXIT_IO_ERROR);
    int in = open("/dev/null", O_RDONLY);
    int out = open(j->out_stdout, O_WRONLY | O_CREAT | O_EXCL, 0600);
    int err = open(j->out_stderr, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (in < 0 || out < 0 || err < 0)
        _exit(DCC_EXIT_IO_ERROR);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    /* All but the namespaces the sandbox joins (and then closes). */
    dcc_sandbox_close_fds(&j->cfg->sandbox);
    /* gcc's own temporary files land in the job directory too. */
    setenv("TMPDIR", j->dir, 1);
    /* With --sandbox=off this still sets the resource limits. */
    struct dcc_sandbox_job sj = {.dir = j->dir, .cwd = j->cwd, .compiler = j->compiler_path,
                                 .stdout_path = j->out_stdout, .stderr_path = j->out_stderr};
    char why[400];
    int status;
    int rc = dcc_sandbox_enter(&j->cfg->sandbox, &sj, &status, why, sizeof why);
    if (rc == 1)
        end_like(status);
    if (rc < 0) {
        dprintf(2, "distccd: cannot confine the compiler in its sandbox: %s\n", why);
        _exit(DCC_EXIT_DISTCC_FAILED);
    }
    execv(j->compiler_path, j->argv);
    dprintf(2, "distccd: cannot run %s: %s\n", j->compiler_path, strerror(errno));
    _exit(DCC_EXIT_COMPILER_MISSING);
}

/* Forks the compiler in its own process group. 0, or -1 with the job
 * refused. */
static int spawn_compiler(struct job *j)
{
    char why[300];
    if (dcc_sandbox_reaper(&j->cfg->sandbox, why, sizeof why) != 0) {
        refuse(j, DCC_EXIT_DISTCC_FAILED, "cannot contain the job's processes: %s", why);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        refuse(j, DCC_EXIT_OUT_OF_MEMORY, "cannot start the compiler: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        exec_compiler(j);
    setpgid(pid, pid); /* both sides, so kill(-pid) works at once */
    j->pid = pid;
    clock_gettime(CLOCK_MONOTONIC, &j->spawned);
    return 0;
}

/* Stops a compiler that will not be waited for (the request broke off, was
 * refused, or the daemon is stopping). */
static void stop_compiler(struct job *j)
{
    if (j->source_fd >= 0)
        close(j->source_fd);
    j->source_fd = -1;
    if (j->pid > 0)
        kill_group(j->pid);
    j->pid = 0;
    dcc_sandbox_reap();
}

/* Early start: when the request is acceptable, the compiler starts before
 * the source arrives, with a FIFO in place of the source file: the same name
 * and the same arguments, so it compiles exactly what it would compile from
 * the file, but its start-up (exec, dynamic linking, option and spec
 * processing, with -pipe the assembler's) overlaps the client's cpp and the
 * transfer. Anything in the way falls back to the file. */
static void start_early(struct job *j)
{
    if (!j->cfg->early_start || j->refusal[0])
        return;
    int rc = dcc_args_early_start(&j->argv, &j->scan);
    if (rc < 0)
        refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory rewriting the arguments");
    if (rc != 0)
        return;
    if (mkfifo(j->input, 0600) != 0) {
        dcc_info("cannot create a FIFO in the job directory (%s); the compiler starts once the source is here",
                 strerror(errno));
        return;
    }
    if (spawn_compiler(j) == 0)
        j->early = 1;
}

static int compiler_exited(const struct job *j)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    return waitid(P_PID, (id_t)j->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == j->pid;
}

/* Whether feeding must stop: the daemon is stopping, or the job lifetime is
 * over (it counts from the compiler's start, the wait for the source too). */
static int feed_cut_off(struct job *j)
{
    if (job_terminated)
        return 1;
    if (j->cfg->job_lifetime > 0 && elapsed_ms(&j->spawned) > (long)j->cfg->job_lifetime * 1000) {
        j->lifetime_over = 1;
        return 1;
    }
    return 0;
}

enum feed_state { FEED_WRITING, FEED_GONE, FEED_BROKEN };

/* Opens the FIFO for writing once the compiler has it open for reading
 * (before that, a non-blocking open fails with ENXIO; there is no event to
 * wait for, so it is retried: every 0.25 ms for the first 100 ms, which is
 * when a compiler normally gets there, so the source waits for no timer,
 * then every 10 ms). A compiler that exits without opening it is FEED_GONE:
 * its status and stderr are the answer. */
static enum feed_state open_source(struct job *j)
{
    struct timespec since;
    clock_gettime(CLOCK_MONOTONIC, &since);
    for (;;) {
        j->source_fd = open(j->input, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (j->source_fd >= 0)
            return FEED_WRITING;
        if (errno != ENXIO && errno != EINTR) {
            refuse(j, DCC_EXIT_IO_ERROR, "cannot open the compiler's input %s: %s", j->input, strerror(errno));
            return FEED_BROKEN;
        }
        if (compiler_exited(j))
            return FEED_GONE;
        if (feed_cut_off(j))
            return FEED_BROKEN;
        if (j->conn.timeout_ms > 0 && elapsed_ms(&since) > j->conn.timeout_ms) {
            refuse(j, DCC_EXIT_TIMEOUT, "the compiler did not open its source for %d s", j->conn.timeout_ms / 1000);
            return FEED_BROKEN;
        }
        struct pollfd p = {.fd = j->conn.in_fd, .events = POLLRDHUP};
        struct timespec pause = {0, elapsed_ms(&since) < 100 ? 250 * 1000 : 10 * 1000 * 1000};
        if (ppoll(&p, 1, &pause, NULL) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            j->client_gone = 1; /* a client that dies sends its end of stream */
            return FEED_BROKEN;
        }
    }
}

/* Writes to the FIFO. EPIPE means the compiler closed its input (it
 * exited): FEED_GONE, its status and stderr are the answer. A compiler that
 * stops reading for the I/O timeout, a write error, or a cut-off is
 * FEED_BROKEN, and the compiler is killed later: it must never get an end of
 * file after a partial source. */
static enum feed_state feed_compiler(struct job *j, const char *p, size_t n)
{
    while (n > 0) {
        if (feed_cut_off(j))
            return FEED_BROKEN;
        ssize_t w = write(j->source_fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EPIPE)
            return FEED_GONE;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf[2] = {{.fd = j->source_fd, .events = POLLOUT},
                                   {.fd = j->conn.in_fd, .events = POLLRDHUP}};
            int timeout = j->conn.timeout_ms > 0 ? j->conn.timeout_ms : -1;
            int r = poll(pf, 2, timeout);
            if (r > 0 && (pf[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) && !(pf[0].revents & POLLOUT)) {
                j->client_gone = 1;
                return FEED_BROKEN;
            }
            if (r > 0 || (r < 0 && errno == EINTR))
                continue; /* writable, or POLLERR: the next write says which */
            if (r == 0) {
                refuse(j, DCC_EXIT_TIMEOUT, "the compiler did not read its source for %d s", timeout / 1000);
                return FEED_BROKEN;
            }
        }
        refuse(j, DCC_EXIT_IO_ERROR, "cannot write the source to the compiler: %s", strerror(errno));
        return FEED_BROKEN;
    }
    return FEED_WRITING;
}

/* The DOTI body, into the compiler's FIFO. Bytes the compiler no longer
 * wants are still read, so the reply is not mixed with the request. Only a
 * complete source ends with an end of file for the compiler. */
static int feed_source(struct job *j, uint32_t len)
{
    enum feed_state st = open_source(j);
    dcc_wire_measure_from_now(&j->conn); /* what the compiler took to open it is not the client's */
    int rc = 0;
    if (j->how == DCC_COMPRESS_NONE) {
        static char chunk[64 * 1024];
        while (len > 0 && rc == 0) {
            size_t n = len < sizeof chunk ? len : sizeof chunk;
            rc = dcc_wire_read(&j->conn, chunk, n);
            if (rc == 0 && st == FEED_WRITING)
                st = feed_compiler(j, chunk, n);
            len -= (uint32_t)n;
        }
    } else {
        char *data = NULL;
        size_t dlen = 0;
        rc = dcc_bulk_recv_body_buf(&j->conn, len, j->how, &data, &dlen);
        if (rc == 0 && st == FEED_WRITING)
            st = feed_compiler(j, data, dlen);
        free(data);
    }
    if (st == FEED_BROKEN || (st == FEED_WRITING && (rc != 0 || job_terminated))) {
        stop_compiler(j); /* broken off: no end of file after a partial source */
    } else if (j->source_fd >= 0) {
        close(j->source_fd); /* complete, or the compiler is gone: end of file */
        j->source_fd = -1;
    }
    return rc;
}

static enum run_result run_compiler(struct job *j, int *status)
{
    if (j->pid == 0 && spawn_compiler(j) != 0)
        return RUN_FAILED;
    pid_t pid = j->pid;

    int pidfd = open_pidfd(pid);
    int watch_fd = j->conn.in_fd;
    enum run_result result = RUN_DONE;
    for (;;) {
        struct rusage ru;
        pid_t w = wait4(pid, status, WNOHANG, &ru);
        if (w == pid) {
            j->max_rss_kb = ru.ru_maxrss;
            break;
        }
        if (job_terminated) {
            result = RUN_TERMINATED;
            break;
        }
        int timeout = pidfd >= 0 ? -1 : 50;
        if (j->cfg->job_lifetime > 0) {
            long left = (long)j->cfg->job_lifetime * 1000 - elapsed_ms(&j->spawned);
            if (left <= 0) {
                result = RUN_TIMEOUT;
                break;
            }
            if (timeout < 0 || left < timeout)
                timeout = (int)(left > INT_MAX ? INT_MAX : left);
        }
        struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = watch_fd, .events = POLLIN | POLLRDHUP}};
        int n = poll(p, 2, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && watch_fd >= 0 && (p[1].revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))) {
            enum client_state cs = client_state(watch_fd);
            if (cs != CLIENT_WAITING) {
                result = cs == CLIENT_GONE ? RUN_DISCONNECT : RUN_TALKING;
                break;
            }
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    if (result != RUN_DONE)
        kill_group(pid);
    j->pid = 0;
    /* Whatever the compiler left behind (setsid or not) ends with it. */
    dcc_sandbox_reap();
    return result;
}

/* Sends a small file (SERR, SOUT, DOTD) plus extra; with strip_root, the
 * job's root is taken out of the file's text so it names the client's
 * paths. */
static int send_file_or_empty(struct job *j, const char *token, const char *path, const struct dcc_buf *extra,
                              int strip_root)
{
    /* SERR/SOUT are small: gather in memory so distccd's own lines can be
     * appended to what the compiler said. */
    struct dcc_buf b = {0};
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        char chunk[8192];
        ssize_t n;
        while ((n = read(fd, chunk, sizeof chunk)) > 0 && b.len < 16 * 1024 * 1024)
            dcc_buf_append(&b, chunk, (size_t)n);
        close(fd);
    }
    if (strip_root && b.data && j->root[0])
        b.len = dcc_pump_strip_root(b.data, b.len, j->root);
    if (extra && extra->len)
        dcc_buf_append(&b, extra->data, extra->len);
    int rc = dcc_bulk_send_buf(&j->conn, token, b.data ? b.data : "", b.len, j->how);
    dcc_buf_free(&b);
    return rc;
}

static int send_reply(struct job *j, int status, const struct dcc_buf *serr_extra, int send_object)
{
    struct dcc_conn *c = &j->conn;
    dcc_wire_cork(c->out_fd, 1);
    int rc = dcc_wire_write_token(c, DCC_TOK_DONE, j->protover);
    if (!rc)
        rc = dcc_wire_write_token(c, DCC_TOK_STAT, (uint32_t)status);
    if (!rc)
        rc = send_file_or_empty(j, DCC_TOK_SERR, j->dir[0] ? j->out_stderr : NULL, serr_extra, 1);
    if (!rc)
        rc = send_file_or_empty(j, DCC_TOK_SOUT, j->dir[0] ? j->out_stdout : NULL, NULL, 0);
    if (!rc) {
        struct stat st;
        if (send_object && stat(j->output, &st) == 0)
            rc = dcc_bulk_send_file(c, DCC_TOK_DOTO, j->output, j->how);
        else
            rc = dcc_bulk_send_buf(c, DCC_TOK_DOTO, "", 0, j->how);
    }
    /* Protocol 3: the dependency file, in the client's paths. */
    if (!rc && j->protover == 3 && status == 0)
        rc = send_file_or_empty(j, DCC_TOK_DOTD, j->dir[0] && j->deps[0] ? j->deps : NULL, NULL, 1);
    dcc_wire_cork(c->out_fd, 0);
    return rc;
}

static void summarise(struct job *j, struct dcc_job_record *rec, const char *what, int status)
{
    rec->msecs = elapsed_ms(&j->started);
    rec->max_rss_kb = j->max_rss_kb;
    const char *src = j->client_input[0] ? j->client_input : "-";
    const char *b = strrchr(src, '/');
    snprintf(rec->file, sizeof rec->file, "%.127s", b ? b + 1 : src);
    snprintf(rec->compiler, sizeof rec->compiler, "%.63s", j->compiler[0] ? j->compiler : "-");
    snprintf(rec->principal, sizeof rec->principal, "%s", j->principal);
    dcc_notice("job from %s%s%s: %s %s: %s, exit %d%s%s, %ld ms, %llu bytes in, %llu bytes out", j->peer,
               j->principal[0] ? " as " : "", j->principal, rec->compiler, rec->file, what, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
               WIFSIGNALED(status) ? " (signal)" : "", j->protover == 2 ? ", lzo" : j->protover == 3 ? ", pump" : "", rec->msecs,
               (unsigned long long)j->conn.bytes_in, (unsigned long long)j->conn.bytes_out);
}

/* Reads DOTI into the job directory, or throws it away when the job is already
 * refused. Returns 0, or the wire error when the request itself broke off. */
static int receive_source(struct job *j)
{
    uint32_t len;
    uint64_t before = j->conn.bytes_in;
    int rc = dcc_wire_read_token(&j->conn, DCC_TOK_DOTI, &len);
    /* Our client sends the arguments before its cpp ends; when cpp fails it
     * closes here, which is not a broken request. */
    j->abandoned = rc == DCC_EXIT_TRUNCATED && j->conn.bytes_in == before;
    if (rc)
        return rc;
    if (len > j->conn.limits.max_body) {
        snprintf(j->conn.err, sizeof j->conn.err, "DOTI of %u bytes exceeds the limit of %llu bytes", len,
                 (unsigned long long)j->conn.limits.max_body);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    if (j->refusal[0])
        return dcc_wire_discard(&j->conn, len);
    if (take_slot(j) != 0)
        return 0; /* the daemon is stopping or the client left: said by the caller */
    /* With a slot, the client has no reason left to pause: the rest of its
     * request keeps --min-rate as a whole, not packet by packet. */
    dcc_wire_measure_from_now(&j->conn);
    if (j->early)
        return feed_source(j, len);
    int fd = open(j->input, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        refuse(j, DCC_EXIT_IO_ERROR, "cannot create %s: %s", j->input, strerror(errno));
        return dcc_wire_discard(&j->conn, len);
    }
    /* A full disk here also ends the connection: the rest of the body is
     * still on the wire, and a client that backs off a helper whose disk is
     * full is doing the right thing. */
    rc = dcc_bulk_recv_body_fd(&j->conn, len, j->how, fd, NULL);
    if (close(fd) != 0 && !rc)
        refuse(j, DCC_EXIT_IO_ERROR, "cannot write %s: %s", j->input, strerror(errno));
    return rc;
}

/* ------------------------------------------------------------------------
 * Protocol 3 (pump): the client's files under jobdir/root
 * ------------------------------------------------------------------------ */

/* The body of a string packet whose header (len) has been read. NUL bytes
 * are kept for the caller to refuse with the name, instead of hanging up. */
static int read_string_body(struct dcc_conn *c, const char *token, uint32_t len, char **out)
{
    *out = NULL;
    if (len > c->limits.max_arg_len) {
        snprintf(c->err, sizeof c->err, "%s of %u bytes exceeds the limit of %u", token, len, c->limits.max_arg_len);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    char *s = malloc((size_t)len + 1);
    if (!s) {
        snprintf(c->err, sizeof c->err, "out of memory for a %u-byte %s", len, token);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    int rc = dcc_wire_read(c, s, len);
    if (rc) {
        free(s);
        return rc;
    }
    s[len] = '\0';
    *out = s;
    return 0;
}

/* Opens the directory that holds path (a checked client path) under the
 * root, or with whole the directory path itself, creating what is missing
 * one component at a time, at most DCC_PUMP_MAX_DIRS in all (*dirs counts
 * them for the job). Never follows a symlink: an earlier LINK cannot
 * redirect a later write. *last is the final component of path (without
 * whole). Returns an fd, or -1 with the reason in why. */
static int open_client_dir(int rootfd, const char *path, int whole, unsigned *dirs, const char **last, char *why,
                           size_t whylen)
{
    int fd = rootfd;
    const char *p = path + 1;
    for (;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (!whole && p[n] == '\0')) {
            *last = p;
            return fd == rootfd ? dup(rootfd) : fd;
        }
        char comp[256];
        snprintf(comp, sizeof comp, "%.*s", (int)n, p);
        int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 && errno == ENOENT) {
            if (*dirs >= DCC_PUMP_MAX_DIRS) {
                snprintf(why, whylen, "the job's files would need more than %d directories", DCC_PUMP_MAX_DIRS);
                if (fd != rootfd)
                    close(fd);
                return -1;
            }
            if (mkdirat(fd, comp, 0700) != 0) {
                snprintf(why, whylen, "cannot create %.*s: %s", (int)(p + n - path), path, strerror(errno));
                if (fd != rootfd)
                    close(fd);
                return -1;
            }
            (*dirs)++;
            sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (sub < 0) {
            struct stat st;
            int is_link = fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
            snprintf(why, whylen, "%.*s is %s", (int)(p + n - path), path,
                     is_link ? "a symbolic link" : "not a directory");
            if (fd != rootfd)
                close(fd);
            return -1;
        }
        if (fd != rootfd)
            close(fd);
        fd = sub;
        p += n;
        if (*p == '\0') {
            *last = p;
            return fd;
        }
        p++;
    }
}

/* Why name (the last component, in dirfd) cannot be created anew. */
static const char *exists_why(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return "it is a directory holding an earlier NAME";
    return "it was sent twice";
}

/* Creates NAME name under the root and writes the FILE body (wire_len bytes
 * on the wire) into it as it arrives, as DOTI is in protocols 1 and 2, and
 * adds its size to *total. 0, or the wire error when the body broke off or
 * could not be written (the rest of it is then still on the wire). */
static int store_pump_file(struct job *j, int rootfd, const char *name, uint32_t wire_len, uint64_t *total)
{
    struct dcc_conn *c = &j->conn;
    char why[400];
    const char *last;
    int dirfd = open_client_dir(rootfd, name, 0, &j->pump_dirs, &last, why, sizeof why);
    if (dirfd < 0) {
        refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name, why);
        return dcc_wire_discard(c, wire_len);
    }
    int fd = openat(dirfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name, exists_why(dirfd, last));
        else
            refuse(j, DCC_EXIT_IO_ERROR, "cannot create NAME \"%.300s\" in the job: %s", name, strerror(errno));
        close(dirfd);
        return dcc_wire_discard(c, wire_len);
    }
    close(dirfd);
    /* One body is bounded by --max-body-size (an LZO body is decompressed
     * within it); the sum is checked right after, so the job's files never
     * count more than the limit once it is accepted. */
    uint64_t len = 0;
    int rc = dcc_bulk_recv_body_fd(c, wire_len, j->how, fd, &len);
    if (rc && c->local_fault && j->how != DCC_COMPRESS_NONE) {
        /* An LZO body is all read before it is written: the request can
         * go on, and the client hears why (a full disk, say). */
        refuse(j, DCC_EXIT_IO_ERROR, "cannot write NAME \"%.300s\" in the job: %s", name, c->err);
        rc = 0;
    }
    if (close(fd) != 0 && !rc)
        refuse(j, DCC_EXIT_IO_ERROR, "cannot write NAME \"%.300s\" in the job: %s", name, strerror(errno));
    *total += len;
    return rc;
}

/* Makes the link (its target re-made by dcc_pump_link_target) and keeps it
 * for dcc_pump_check_link_beneath, once every file is in place. */
static void store_pump_link(struct job *j, int rootfd, const char *name, const char *target, size_t len)
{
    char why[400];
    char *to = dcc_pump_link_target(name, target, len, why, sizeof why);
    if (!to) {
        refuse(j, errno == ENOMEM ? DCC_EXIT_OUT_OF_MEMORY : DCC_EXIT_ACCESS_DENIED,
               "LINK \"%.300s\" -> \"%.200s\" is refused: %s", name, target, why);
        return;
    }
    if (j->nlinks == j->links_cap) {
        size_t cap = j->links_cap ? 2 * j->links_cap : 16;
        struct pump_link *grown = realloc(j->links, cap * sizeof *grown);
        if (!grown) {
            refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory for LINK \"%.300s\"", name);
            free(to);
            return;
        }
        j->links = grown;
        j->links_cap = cap;
    }
    struct pump_link *l = &j->links[j->nlinks];
    l->name = strdup(name);
    l->sent = strdup(target);
    l->made = to;
    if (!l->name || !l->sent) {
        refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory for LINK \"%.300s\"", name);
        free(l->name);
        free(l->sent);
        free(to);
        return;
    }
    j->nlinks++;
    const char *last;
    int dirfd = open_client_dir(rootfd, name, 0, &j->pump_dirs, &last, why, sizeof why);
    if (dirfd < 0) {
        refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name, why);
        return;
    }
    if (symlinkat(to, dirfd, last) != 0) {
        if (errno == EEXIST)
            refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name, exists_why(dirfd, last));
        else
            refuse(j, DCC_EXIT_IO_ERROR, "cannot create LINK \"%.300s\" in the job: %s", name, strerror(errno));
    }
    close(dirfd);
}

/* A stock client's link to one of its compiler's default include
 * directories: no link is made (nothing in the job points out of it); path
 * options under the directory keep naming the helper's own. */
static void keep_system_dir(struct job *j, const char *name)
{
    if (j->nsystem_dirs >= DCC_PUMP_MAX_SYSTEM_DIRS) {
        refuse(j, DCC_EXIT_ACCESS_DENIED, "LINK \"%.300s\" is refused: more than %d system directories", name,
               DCC_PUMP_MAX_SYSTEM_DIRS);
        return;
    }
    char *copy = strdup(name);
    if (!copy) {
        refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory for LINK \"%.300s\"", name);
        return;
    }
    j->system_dirs[j->nsystem_dirs++] = copy;
}

static void free_system_dirs(struct job *j)
{
    for (size_t i = 0; i < j->nsystem_dirs; i++)
        free(j->system_dirs[i]);
    j->nsystem_dirs = 0;
    j->system_dirs[0] = NULL;
}

static void free_pump_links(struct job *j)
{
    for (size_t i = 0; i < j->nlinks; i++) {
        free(j->links[i].name);
        free(j->links[i].sent);
        free(j->links[i].made);
    }
    free(j->links);
    j->links = NULL;
    j->nlinks = j->links_cap = 0;
}

/* Every link, now that all are in place: one that passed the lexical check
 * alone can still lead out through another ("t -> s/../..", "s -> ..."),
 * and the compiler follows links when it writes its dump files. */
static void check_pump_links(struct job *j, int rootfd)
{
    char why[300];
    for (size_t i = 0; i < j->nlinks && !j->refusal[0]; i++) {
        const struct pump_link *l = &j->links[i];
        if (dcc_pump_check_link_beneath(rootfd, l->name, l->made, why, sizeof why) != 0)
            refuse(j, errno == ENOMEM ? DCC_EXIT_OUT_OF_MEMORY : DCC_EXIT_ACCESS_DENIED,
                   "LINK \"%.300s\" -> \"%.200s\" is refused: %s", l->name, l->sent, why);
    }
}

/* Adds n bytes to the job's total; refuses the job (naming name) once the
 * files and the names and link targets that came with them exceed
 * --max-body-size. */
static void count_pump_bytes(struct job *j, const char *name, uint64_t *total, uint64_t n)
{
    *total += n;
    if (*total > j->conn.limits.max_body)
        refuse(j, DCC_EXIT_ACCESS_DENIED,
               "NAME \"%.300s\" is refused: the job's files, names and links add up to more than the limit of "
               "%llu bytes (--max-body-size)", name, (unsigned long long)j->conn.limits.max_body);
}

/* One NAME and its FILE or LINK. Once the job is refused, bodies are read
 * and thrown away, so the refusal can still be answered. */
static int receive_pump_file(struct job *j, int rootfd, uint64_t *total)
{
    struct dcc_conn *c = &j->conn;
    uint32_t len;
    char *name = NULL, *target = NULL;
    int rc = dcc_wire_read_token(c, DCC_TOK_NAME, &len);
    if (!rc)
        rc = read_string_body(c, DCC_TOK_NAME, len, &name);
    int which;
    uint32_t blen;
    if (!rc)
        rc = dcc_wire_read_either(c, DCC_TOK_FILE, DCC_TOK_LINK, &which, &blen);
    if (rc)
        goto out;
    uint64_t cap = which == 0 ? c->limits.max_body : c->limits.max_arg_len;
    if (blen > cap) {
        snprintf(c->err, sizeof c->err, "%s of %u bytes exceeds the limit of %llu", which ? DCC_TOK_LINK : DCC_TOK_FILE, blen,
                 (unsigned long long)cap);
        rc = DCC_EXIT_PROTOCOL_ERROR;
        goto out;
    }
    char why[300];
    if (!j->refusal[0] && dcc_pump_check_path(name, len, 0, why, sizeof why) != 0)
        refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name, why);
    if (!j->refusal[0] && rootfd >= 0 && strlen(j->root) + len >= PATH_MAX)
        refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: it is too long inside the job directory",
               name);
    if (!j->refusal[0])
        count_pump_bytes(j, name, total, (uint64_t)len + (which == 1 ? blen : 0));
    if (j->refusal[0] || rootfd < 0) {
        rc = dcc_wire_discard(c, blen);
        goto out;
    }
    if (which == 1) {
        rc = read_string_body(c, DCC_TOK_LINK, blen, &target);
        if (!rc && dcc_pump_is_system_link(name, target, blen))
            keep_system_dir(j, name);
        else if (!rc)
            store_pump_link(j, rootfd, name, target, blen);
        goto out;
    }
    rc = store_pump_file(j, rootfd, name, blen, total);
    if (!rc && !j->refusal[0])
        count_pump_bytes(j, name, total, 0);
out:
    free(name);
    free(target);
    return rc;
}

/* The request after DIST 3: CDIR, ARGC/ARGV, NFIL, the files. Checks as
 * protocol 2 does, writes the files under jobdir/root, makes root + CDIR the
 * compiler's working directory and rewrites the arguments to match. A
 * refused request is read to its end. 0, or the wire error when the request
 * itself broke off. */
static int receive_pump_request(struct job *j)
{
    struct dcc_conn *c = &j->conn;
    uint32_t len;
    char why[300];
    int rc = dcc_wire_read_token(c, DCC_TOK_CDIR, &len);
    if (!rc)
        rc = read_string_body(c, DCC_TOK_CDIR, len, &j->cdir);
    if (rc)
        return rc;
    if (dcc_pump_check_path(j->cdir, len, 1, why, sizeof why) != 0)
        refuse(j, DCC_EXIT_ACCESS_DENIED, "CDIR \"%.300s\" is refused: %s", j->cdir, why);
    rc = dcc_wire_read_argv(c, &j->argv);
    if (rc)
        return rc;
    check_request(j);
    if (!j->refusal[0])
        make_job_files(j);

    uint32_t nfil;
    rc = dcc_wire_read_token(c, DCC_TOK_NFIL, &nfil);
    if (rc)
        return rc;
    if (nfil > c->limits.max_files) {
        /* Not read to its end: that could take any time. */
        snprintf(c->err, sizeof c->err, "NFIL %u exceeds the limit of %u", nfil, c->limits.max_files);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    if (!j->refusal[0] && take_slot(j) != 0)
        return 0;
    if (j->has_slot)
        dcc_wire_measure_from_now(c); /* as for DOTI: no pauses from here */
    int rootfd = -1;
    if (!j->refusal[0] && j->root[0]) {
        rootfd = open(j->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfd < 0)
            refuse(j, DCC_EXIT_IO_ERROR, "cannot open %s: %s", j->root, strerror(errno));
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < nfil && rc == 0; i++)
        rc = receive_pump_file(j, rootfd, &total);
    if (!rc && rootfd >= 0)
        check_pump_links(j, rootfd);
    free_pump_links(j);
    if (rc || j->refusal[0]) {
        if (rootfd >= 0)
            close(rootfd);
        return rc;
    }

    const char *last;
    int cwdfd = open_client_dir(rootfd, j->cdir, 1, &j->pump_dirs, &last, why, sizeof why);
    close(rootfd);
    if (cwdfd < 0) {
        refuse(j, DCC_EXIT_ACCESS_DENIED, "CDIR \"%.300s\" is refused: %s", j->cdir, why);
        return 0;
    }
    close(cwdfd);
    int n = snprintf(j->cwd, sizeof j->cwd, "%s%s", j->root, strcmp(j->cdir, "/") == 0 ? "" : j->cdir);
    if (n < 0 || (size_t)n >= sizeof j->cwd) {
        refuse(j, DCC_EXIT_ACCESS_DENIED, "CDIR \"%.300s\" is refused: it is too long inside the job directory",
               j->cdir);
        return 0;
    }
    struct dcc_pump_paths paths = {.root = j->root, .output = j->output, .deps = j->deps,
                                   .system_dirs = j->system_dirs};
    char err[200];
    int rewrite = dcc_pump_rewrite_args(&j->argv, &j->scan, &paths, err, sizeof err);
    if (rewrite != 0)
        refuse(j, rewrite == -2 ? DCC_EXIT_ACCESS_DENIED : DCC_EXIT_OUT_OF_MEMORY, "%s", err);
    /* The files are all here, so nothing can start early; -pipe still
     * lets the assembler run beside the compiler instead of after it. */
    else if (j->cfg->early_start && dcc_args_early_start(&j->argv, &j->scan) < 0)
        refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory rewriting the arguments");
    return 0;
}

/* A request cut by the handshake wait, --request-timeout or --min-rate:
 * one line naming the client and the limit, and no answer (the client is
 * not listening, or not a distcc client). */
static void drop_slow(struct job *j, struct dcc_job_record *rec, int rc)
{
    char limit[96];
    if (j->conn.cut == DCC_WIRE_CUT_RATE)
        snprintf(limit, sizeof limit, " (--min-rate)");
    else if (!j->protover)
        limit[0] = '\0';
    else
        snprintf(limit, sizeof limit, " (--request-timeout %d s)", j->cfg->request_timeout);
    dcc_warn("dropped connection from %s: %s%s", j->peer, j->conn.err, limit);
    rec->outcome = DCC_JOB_DROPPED;
    summarise(j, rec, "dropped", W_EXITCODE(rc, 0));
}

/* What every way out of a job undoes. */
/* --auth: the client proves who it is, and we who we are, before its
 * request (dcc_auth_accept). 0, or -1 when the job ends here. */
static int authenticate(struct job *j, struct dcc_job_record *rec)
{
    char why[700];
    int rc = dcc_auth_accept(&j->cfg->auth_server, &j->conn, j->cfg->principals_given ? &j->cfg->principals : NULL,
                             j->principal, sizeof j->principal, why, sizeof why);
    if (rc == 0) {
        dcc_info("client %s authenticated as %s", j->peer, j->principal);
        return 0;
    }
    /* A connection closed before its first byte (a port probe) is no
     * failed authentication. */
    rec->auth_failed = j->conn.bytes_in > 0;
    if (j->conn.cut) {
        drop_slow(j, rec, rc);
        return -1;
    }
    if (rc == DCC_EXIT_TRUNCATED && j->conn.bytes_in == 0) {
        dcc_info("connection from %s closed without a request", j->peer);
        rec->outcome = DCC_JOB_BAD_REQUEST;
    } else {
        dcc_warn("refused connection from %s%s%s: %s", j->peer, j->principal[0] ? " as " : "", j->principal, why);
        rec->outcome = rc == DCC_EXIT_ACCESS_DENIED || rc == DCC_EXIT_GSSAPI_FAILED ? DCC_JOB_REFUSED
                                                                                     : DCC_JOB_BAD_REQUEST;
    }
    summarise(j, rec, "not authenticated", W_EXITCODE(rc, 0));
    rec->principal[0] = '\0'; /* counted as a failure, not as a job of that principal */
    return -1;
}

static void end_job(struct job *j)
{
    free_system_dirs(j);
    remove_job_dir(j);
    dcc_argv_free(j->argv);
    free(j->cdir);
}

void dccd_serve_job(const struct dccd_config *cfg, int in_fd, int out_fd, const char *peer,
                    struct dcc_job_record *rec)
{
    struct job j;
    memset(&j, 0, sizeof j);
    memset(rec, 0, sizeof *rec);
    j.cfg = cfg;
    j.peer = peer;
    j.source_fd = -1;
    clock_gettime(CLOCK_MONOTONIC, &j.started);
    dcc_conn_init(&j.conn, in_fd, out_fd, cfg->io_timeout_ms);
    j.conn.cancel = &job_terminated; /* SIGTERM ends a wait for the client */
    j.conn.limits.max_body = cfg->max_body;
    if (cfg->max_body_mem)
        j.conn.limits.max_body_mem = cfg->max_body_mem;
    j.conn.min_rate = cfg->min_rate;
    j.conn.rate_grace_ms = DCCD_RATE_GRACE_MS;

    struct sigaction sa = {.sa_handler = on_term};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* The daemon's grant of a slot arrives only inside take_slot's wait. */
    sa.sa_handler = on_grant;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t grant;
    sigemptyset(&grant);
    sigaddset(&grant, SIGUSR1);
    sigprocmask(SIG_BLOCK, &grant, NULL);

    /* The first header soon, or the connection goes: a client sends it
     * as soon as it connects. */
    j.conn.deadline_ms = cfg->handshake_ms > 0 ? dcc_wire_now_ms() + cfg->handshake_ms : 0;
    if (cfg->auth) {
        if (authenticate(&j, rec) != 0) {
            end_job(&j); /* no job directory yet */
            return;
        }
        j.conn.deadline_ms = cfg->handshake_ms > 0 ? dcc_wire_now_ms() + cfg->handshake_ms : 0;
    }
    int rc = dcc_wire_read_token(&j.conn, DCC_TOK_DIST, &j.protover);
    if (rc && j.conn.cut == DCC_WIRE_CUT_DEADLINE && j.conn.bytes_in == 0)
        snprintf(j.conn.err, sizeof j.conn.err, "no request within %g s", cfg->handshake_ms / 1000.0);
    restart_deadline(&j);
    if (rc == 0 && (j.protover < 1 || j.protover > 3)) {
        snprintf(j.conn.err, sizeof j.conn.err, "unsupported protocol version %u", j.protover);
        rc = DCC_EXIT_PROTOCOL_ERROR;
    }
    if (rc == 0 && j.protover < 3)
        rc = dcc_wire_read_argv(&j.conn, &j.argv);
    if (rc && job_terminated) {
        rec->outcome = DCC_JOB_OTHER;
        summarise(&j, rec, "daemon shutting down", W_EXITCODE(DCC_EXIT_GONE, 0));
        end_job(&j); /* no job directory yet */
        return;
    }
    if (rc && j.conn.cut) {
        drop_slow(&j, rec, rc);
        end_job(&j); /* no job directory yet */
        return;
    }
    if (rc) {
        /* Garbage or a broken peer: nothing sensible to answer. A port
         * probe that closes without a byte is not worth a warning. */
        if (j.conn.bytes_in == 0 && rc == DCC_EXIT_TRUNCATED)
            dcc_info("connection from %s closed without a request", peer);
        else
            dcc_warn("bad request from %s: %s", peer, j.conn.err);
        rec->outcome = rc == DCC_EXIT_TIMEOUT ? DCC_JOB_TIMEOUT : DCC_JOB_BAD_REQUEST;
        summarise(&j, rec, "bad request", W_EXITCODE(rc, 0));
        end_job(&j); /* no job directory yet */
        return;
    }
    j.how = j.protover >= 2 ? DCC_COMPRESS_LZO1X : DCC_COMPRESS_NONE;

    if (j.protover < 3) {
        check_request(&j);
        if (!j.refusal[0] && make_job_files(&j) == 0 &&
            dcc_args_set_files(j.argv, &j.scan, j.input, j.output) != 0)
            refuse(&j, DCC_EXIT_OUT_OF_MEMORY, "out of memory rewriting the arguments");
        start_early(&j);
        rc = receive_source(&j);
    } else {
        /* No early start: the compiler needs every file first. */
        rc = receive_pump_request(&j);
    }
    j.conn.deadline_ms = 0; /* the request is in */
    j.conn.whole_rate = 0;
    if (rc || j.refusal[0] || job_terminated || j.client_gone || j.lifetime_over)
        stop_compiler(&j);
    if (rc && j.conn.cut) {
        drop_slow(&j, rec, rc);
        end_job(&j);
        return;
    }
    /* A request cut short is a bad request (below), with the bytes missing;
     * a whole request whose client then hung up is a disconnect. */
    if (j.client_gone && !job_terminated && rc == 0) {
        rec->outcome = DCC_JOB_CLI_DISCONNECT;
        if (j.left_in_queue)
            dcc_warn("client %s went away while its job waited for a slot", peer);
        else
            dcc_warn("client %s disconnected during the compile; compiler killed", peer);
        summarise(&j, rec, "client disconnected", W_EXITCODE(DCC_EXIT_IO_ERROR, 0));
        end_job(&j);
        return;
    }
    if (job_terminated) {
        rec->outcome = DCC_JOB_OTHER;
        summarise(&j, rec, "daemon shutting down", W_EXITCODE(DCC_EXIT_GONE, 0));
        end_job(&j);
        return;
    }
    if (rc && j.abandoned) {
        rec->outcome = DCC_JOB_CLI_DISCONNECT;
        dcc_info("client %s closed the connection before sending its source (its preprocessor failed?)", peer);
        summarise(&j, rec, "abandoned by the client", W_EXITCODE(DCC_EXIT_IO_ERROR, 0));
        end_job(&j);
        return;
    }
    if (rc) {
        /* The request broke off: the client is gone or not speaking distcc. */
        dcc_warn("bad request from %s: %s", peer, j.conn.err);
        rec->outcome = rc == DCC_EXIT_TIMEOUT ? DCC_JOB_TIMEOUT : DCC_JOB_BAD_REQUEST;
        summarise(&j, rec, "bad request", W_EXITCODE(rc, 0));
        end_job(&j);
        return;
    }

    struct dcc_buf serr_extra = {0};
    int status;
    const char *what;
    int send_object = 0;
    if (j.refusal[0]) {
        dcc_warn("refused job from %s: %s", peer, j.refusal);
        dcc_buf_printf(&serr_extra, "distccd on %s refused this job: %s\n", cfg->hostname, j.refusal);
        status = W_EXITCODE(j.refusal_exit, 0);
        rec->outcome = DCC_JOB_REFUSED;
        what = "refused";
    } else {
        dcc_log_set_hook(capture_log, DCC_LOG_WARNING, &serr_extra);
        /* A lifetime that ran out while the source came in ends the same way. */
        enum run_result r = j.lifetime_over ? RUN_TIMEOUT
                            : take_slot(&j) != 0 ? (job_terminated ? RUN_TERMINATED : j.client_gone ? RUN_DISCONNECT : RUN_FAILED)
                                                 : run_compiler(&j, &status);
        release_slot(&j);
        dcc_log_set_hook(NULL, DCC_LOG_WARNING, NULL);
        switch (r) {
        case RUN_DONE:
            send_object = status == 0;
            rec->outcome = status == 0 ? DCC_JOB_OK : DCC_JOB_COMPILE_ERROR;
            what = status == 0 ? "compiled" : "compile failed";
            break;
        case RUN_TIMEOUT:
            dcc_buf_printf(&serr_extra, "distccd on %s: the compile exceeded the job lifetime of %d s and was killed\n",
                           cfg->hostname, cfg->job_lifetime);
            status = W_EXITCODE(DCC_EXIT_TIMEOUT, 0);
            rec->outcome = DCC_JOB_TIMEOUT;
            what = "killed after the job lifetime";
            break;
        case RUN_DISCONNECT:
            rec->outcome = DCC_JOB_CLI_DISCONNECT;
            dcc_warn("client %s disconnected during the compile; compiler killed", peer);
            summarise(&j, rec, "client disconnected", W_EXITCODE(DCC_EXIT_IO_ERROR, 0));
            goto out;
        case RUN_TALKING:
            rec->outcome = DCC_JOB_BAD_REQUEST;
            dcc_warn("bad request from %s: it sent more data after its source; compiler killed", peer);
            summarise(&j, rec, "bad request", W_EXITCODE(DCC_EXIT_PROTOCOL_ERROR, 0));
            goto out;
        case RUN_TERMINATED:
            rec->outcome = DCC_JOB_OTHER;
            summarise(&j, rec, "daemon shutting down", W_EXITCODE(DCC_EXIT_GONE, 0));
            goto out;
        default:
            dcc_buf_printf(&serr_extra, "distccd on %s: %s\n", cfg->hostname, j.refusal);
            status = W_EXITCODE(j.refusal_exit, 0);
            rec->outcome = DCC_JOB_OTHER;
            what = "failed to start the compiler";
            break;
        }
    }
    rc = send_reply(&j, status, &serr_extra, send_object);
    if (rc) {
        dcc_warn("cannot send the result to %s: %s", peer, j.conn.err);
        if (rec->outcome == DCC_JOB_OK || rec->outcome == DCC_JOB_COMPILE_ERROR)
            rec->outcome = DCC_JOB_CLI_DISCONNECT;
    }
    summarise(&j, rec, what, status);
out:
    dcc_buf_free(&serr_extra);
    end_job(&j);
}
