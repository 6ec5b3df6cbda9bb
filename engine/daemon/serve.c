/* One distccd job's lifecycle: read the request, check it, have it
 * compiled (compile.c; protocol 3's files: pumpfiles.c), reply, and leave
 * nothing behind. Every way a job ends is one row of job_ends. */
#include "job.h"
#include "proto/dcc_caps.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "proto/dcc_optcat.h"
#include "proto/dcc_whitelist.h"
#include "base/dcc_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t dccd_job_terminated;
static volatile sig_atomic_t slot_granted;

static void on_term(int sig)
{
    (void)sig;
    dccd_job_terminated = 1;
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

long dccd_elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

void dccd_refuse(struct job *j, int exit_code, const char *fmt, ...)
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
    j->conn.deadline_ms = j->cfg->request_timeout > 0
                              ? dcc_now_ms() + (long long)j->cfg->request_timeout * 1000
                              : 0;
}

/* A job slot is taken only once the request's source is on its way (its
 * DOTI header, or protocol 3's NFIL): a connection that is idle or trickles
 * before that holds a process, never a slot. Asks the daemon over slot_fd
 * and sleeps until SIGUSR1 grants it, the client goes away, or the daemon
 * stops. 0, or -1. Under --inetd there is no daemon to ask. */
int dccd_take_slot(struct job *j)
{
    if (j->has_slot || j->cfg->slot_fd < 0)
        return 0;
    pid_t me = getpid();
    if (write(j->cfg->slot_fd, &me, sizeof me) != (ssize_t)sizeof me) {
        dccd_refuse(j, DCC_EXIT_DISTCC_FAILED, "cannot ask the daemon for a job slot: %s",
                    strerror(errno));
        return -1;
    }
    sigset_t waiting;
    sigprocmask(SIG_SETMASK, NULL, &waiting);
    sigdelset(&waiting, SIGUSR1);
    struct pollfd p = {.fd = j->conn.in_fd, .events = POLLRDHUP};
    struct timespec asked;
    clock_gettime(CLOCK_MONOTONIC, &asked);
    while (!slot_granted) {
        if (dccd_job_terminated)
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
        long queued = dccd_elapsed_ms(&asked);
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
        dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "%s", err);
        return;
    }
    if (j->scan.input)
        snprintf(j->client_input, sizeof j->client_input, "%s", j->scan.input);
    const char *argv0 = j->argv[0];
    if (cfg->tcp_insecure) {
        const char *b = strrchr(argv0, '/');
        snprintf(j->compiler, sizeof j->compiler, "%s", b ? b + 1 : argv0);
    } else if (dcc_whitelist_check(cfg->whitelist_dir, argv0, j->compiler, sizeof j->compiler, why,
                                   sizeof why)) {
        dccd_refuse(j, DCC_EXIT_COMPILER_MISSING, "%s", why);
        return;
    }
    /* Protocol 3 re-roots absolute -include/-imacros into the job. */
    struct dcc_optcat_policy policy = {.pump = j->protover == 3};
    if (dcc_optcat_check(j->argv, j->compiler, &policy, why, sizeof why) != 0) {
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED, "%s", why);
        return;
    }
    if (j->scan.local_only) {
        dccd_refuse(j, DCC_EXIT_BAD_ARGUMENTS, "this job cannot be compiled remotely: %s",
                    j->scan.why_local);
        return;
    }
    /* "failed to exec" is stock's phrase for this, which admins grep for. */
    if (dcc_whitelist_find_compiler(j->compiler, cfg->compiler_path, cfg->whitelist_dir,
                                    j->compiler_path, sizeof j->compiler_path, why,
                                    sizeof why) != 0)
        dccd_refuse(j, DCC_EXIT_COMPILER_MISSING, "failed to exec %s: %s", j->compiler, why);
}

static int make_job_files(struct job *j)
{
    int n = snprintf(j->dir, sizeof j->dir, "%s/distccd_XXXXXX", j->cfg->tmpdir);
    if (n < 0 || (size_t)n >= sizeof j->dir || !mkdtemp(j->dir)) {
        int e = errno;
        j->dir[0] = '\0';
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot create a job directory in %s: %s", j->cfg->tmpdir,
                    strerror(e));
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
    snprintf(j->output, sizeof j->output, "%s/%.*s%s", j->dir, (int)stem, base,
             j->scan.has_dash_S ? ".s" : ".o");
    snprintf(j->out_stdout, sizeof j->out_stdout, "%s/compiler.stdout", j->dir);
    snprintf(j->out_stderr, sizeof j->out_stderr, "%s/compiler.stderr", j->dir);
    snprintf(j->cwd, sizeof j->cwd, "%s", j->dir);
    if (j->protover == 3) {
        /* The client's files go under root; what the compiler writes for
         * the reply stays beside it, out of the client's reach. Its tree
         * (a few dozen directories and files made and removed per job)
         * goes to a block group of its own: the job directory is marked
         * for that (dcc_dir_spread_subdirs), and ext4 starts its search
         * from the hash of the new directory's name, so root carries the
         * job directory's random suffix ("root_XXXXXX"). */
        const char *tag = strrchr(j->dir, '_');
        snprintf(j->root, sizeof j->root, "%s/root_%s", j->dir, tag ? tag + 1 : "");
        snprintf(j->deps, sizeof j->deps, "%s/deps.d", j->dir);
        int dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dirfd >= 0) {
            (void)dcc_dir_spread_subdirs(dirfd);
            close(dirfd);
        }
        if (mkdir(j->root, 0700) != 0) {
            dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot create %s: %s", j->root, strerror(errno));
            j->root[0] = '\0';
            return -1;
        }
    }
    return 0;
}

static void summarise(struct job *j, struct dcc_job_record *rec, const char *what, int status)
{
    rec->msecs = dccd_elapsed_ms(&j->started);
    rec->max_rss_kb = j->max_rss_kb;
    const char *src = j->client_input[0] ? j->client_input : "-";
    const char *b = strrchr(src, '/');
    snprintf(rec->file, sizeof rec->file, "%.127s", b ? b + 1 : src);
    snprintf(rec->compiler, sizeof rec->compiler, "%.63s", j->compiler[0] ? j->compiler : "-");
    snprintf(rec->principal, sizeof rec->principal, "%s", j->principal);
    dcc_notice("job from %s%s%s: %s %s: %s, exit %d%s%s%s, %ld ms, %llu bytes in, %llu bytes out",
               j->peer, j->principal[0] ? " as " : "", j->principal, rec->compiler, rec->file, what,
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
               WIFSIGNALED(status) ? " (signal)" : "",
               j->protover == 2   ? (j->how == DCC_COMPRESS_ZSTD ? ", zstd" : ", lzo")
               : j->protover == 3 ? (j->how == DCC_COMPRESS_ZSTD ? ", pump, zstd" : ", pump")
                                  : "",
               j->features & DCC_FEAT_DIRECTIVES ? ", directives-only" : "", rec->msecs,
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
        snprintf(j->conn.err, sizeof j->conn.err,
                 "DOTI of %u bytes exceeds the limit of %llu bytes", len,
                 (unsigned long long)j->conn.limits.max_body);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    if (j->refusal[0])
        return dcc_wire_discard(&j->conn, len);
    if (dccd_take_slot(j) != 0)
        return 0; /* the daemon is stopping or the client left: said by the caller */
    /* With a slot, the client has no reason left to pause: the rest of its
     * request keeps --min-rate as a whole, not packet by packet. */
    dcc_wire_measure_from_now(&j->conn);
    if (j->early)
        return dccd_feed_source(j, len);
    int fd = open(j->input, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot create %s: %s", j->input, strerror(errno));
        return dcc_wire_discard(&j->conn, len);
    }
    /* A full disk here also ends the connection: the rest of the body is
     * still on the wire, and a client that backs off a helper whose disk is
     * full is doing the right thing. */
    rc = dcc_bulk_recv_body_fd(&j->conn, len, j->how, fd, NULL);
    if (close(fd) != 0 && !rc)
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot write %s: %s", j->input, strerror(errno));
    return rc;
}

/* ------------------------------------------------------------------------
 * The ways a job ends
 * ------------------------------------------------------------------------ */

enum job_end {
    END_SHUTDOWN,        /* the daemon is stopping */
    END_DROPPED,         /* no request in time, --request-timeout, --min-rate */
    END_NO_REQUEST,      /* closed before its first byte (a port probe) */
    END_BAD_REQUEST,     /* garbage, or a request that broke off */
    END_REQUEST_TIMEOUT, /* the same, by the I/O timeout */
    END_LEFT_IN_QUEUE,   /* the client left while its job waited for a slot */
    END_DISCONNECTED,    /* the client left during the compile */
    END_ABANDONED,       /* the client closed where its source would start */
    END_TALKING,         /* the client sent more after its source */
    END_REFUSED,         /* the whitelist, the argument policy, ... said no */
    END_COMPILED,
    END_COMPILE_FAILED,
    END_LIFETIME,        /* --job-lifetime passed */
    END_START_FAILED,    /* the compiler could not be started */
    END_AUTH_NO_REQUEST, /* --auth: closed before its first byte */
    END_AUTH_REFUSED,    /* --auth: not who may come in */
    END_AUTH_BAD,        /* --auth: the exchange broke */
    END_CAPS,            /* CAPS: told what this distccd can do */
    END_LOAD,            /* CAPS load question: told how busy it is */
    END_COUNT
};

/* Where the wait status in the summary (and STAT) comes from. */
enum end_status { STATUS_EXIT, STATUS_WIRE, STATUS_REFUSAL, STATUS_COMPILER };

static const char *detail_conn_err(const struct job *j, char *buf, size_t len)
{
    (void)buf, (void)len;
    return j->conn.err;
}

static const char *detail_refusal(const struct job *j, char *buf, size_t len)
{
    (void)buf, (void)len;
    return j->refusal;
}

static const char *detail_auth(const struct job *j, char *buf, size_t len)
{
    (void)buf, (void)len;
    return j->auth_why;
}

static const char *detail_load(const struct job *j, char *buf, size_t len)
{
    const struct dcc_caps_load *l = &j->cfg->load;
    snprintf(buf, len, "%d of %d slots running, %d waiting, %d connections from others", l->running,
             l->jobs, l->waiting, l->others);
    return buf;
}

/* The wire's reason and the limit that cut the request: the handshake wait
 * names none. */
static const char *detail_dropped(const struct job *j, char *buf, size_t len)
{
    if (j->conn.cut == DCC_WIRE_CUT_RATE)
        snprintf(buf, len, "%s (--min-rate)", j->conn.err);
    else if (!j->protover)
        snprintf(buf, len, "%s", j->conn.err);
    else
        snprintf(buf, len, "%s (--request-timeout %d s)", j->conn.err, j->cfg->request_timeout);
    return buf;
}

static void serr_refused(const struct job *j, struct dcc_buf *b)
{
    dcc_buf_printf(b, "distccd on %s refused this job: %s\n", j->cfg->hostname, j->refusal);
}

static void serr_lifetime(const struct job *j, struct dcc_buf *b)
{
    dcc_buf_printf(b,
                   "distccd on %s: the compile exceeded the job lifetime of %d s and was killed\n",
                   j->cfg->hostname, j->cfg->job_lifetime);
}

static void serr_start_failed(const struct job *j, struct dcc_buf *b)
{
    dcc_buf_printf(b, "distccd on %s: %s\n", j->cfg->hostname, j->refusal);
}

/* One way out: the line naming the client (before, the peer, " as " the
 * principal with with_principal, after, the detail), the outcome counted,
 * the summary's word and status, and whether the client gets an answer. */
struct job_end_row {
    enum dcc_log_level level;
    const char *before; /* NULL: the summary alone */
    int with_principal;
    const char *after;
    const char *(*detail)(const struct job *j, char *buf, size_t len);
    enum dcc_job_outcome outcome;
    const char *what;
    enum end_status status;
    int exit_code; /* with STATUS_EXIT */
    int reply;     /* DONE ... with the status */
    void (*serr)(const struct job *j,
                 struct dcc_buf *b); /* distccd's line after the compiler's stderr */
    int forget_principal;            /* counted as a failure, not as a job of that principal */
};

static const struct job_end_row job_ends[END_COUNT] = {
    [END_SHUTDOWN] = {.outcome = DCC_JOB_OTHER,
                      .what = "daemon shutting down",
                      .status = STATUS_EXIT,
                      .exit_code = DCC_EXIT_GONE},
    [END_DROPPED] = {DCC_LOG_WARNING, "dropped connection from ", 0, ": ", detail_dropped,
                     .outcome = DCC_JOB_DROPPED, .what = "dropped", .status = STATUS_WIRE},
    [END_NO_REQUEST] = {DCC_LOG_INFO, "connection from ", 0, " closed without a request", NULL,
                        .outcome = DCC_JOB_BAD_REQUEST, .what = "bad request",
                        .status = STATUS_WIRE},
    [END_BAD_REQUEST] = {DCC_LOG_WARNING, "bad request from ", 0, ": ", detail_conn_err,
                         .outcome = DCC_JOB_BAD_REQUEST, .what = "bad request",
                         .status = STATUS_WIRE},
    [END_REQUEST_TIMEOUT] = {DCC_LOG_WARNING, "bad request from ", 0, ": ", detail_conn_err,
                             .outcome = DCC_JOB_TIMEOUT, .what = "bad request",
                             .status = STATUS_WIRE},
    [END_LEFT_IN_QUEUE] = {DCC_LOG_WARNING, "client ", 0,
                           " went away while its job waited for a slot", NULL,
                           .outcome = DCC_JOB_CLI_DISCONNECT, .what = "client disconnected",
                           .status = STATUS_EXIT, .exit_code = DCC_EXIT_IO_ERROR},
    [END_DISCONNECTED] = {DCC_LOG_WARNING, "client ", 0,
                          " disconnected during the compile; compiler killed", NULL,
                          .outcome = DCC_JOB_CLI_DISCONNECT, .what = "client disconnected",
                          .status = STATUS_EXIT, .exit_code = DCC_EXIT_IO_ERROR},
    [END_ABANDONED] =
        {DCC_LOG_INFO, "client ", 0,
         " closed the connection before sending its source (its preprocessor failed?)", NULL,
         .outcome = DCC_JOB_CLI_DISCONNECT, .what = "abandoned by the client",
         .status = STATUS_EXIT, .exit_code = DCC_EXIT_IO_ERROR},
    [END_TALKING] = {DCC_LOG_WARNING, "bad request from ", 0,
                     ": it sent more data after its source; compiler killed", NULL,
                     .outcome = DCC_JOB_BAD_REQUEST, .what = "bad request", .status = STATUS_EXIT,
                     .exit_code = DCC_EXIT_PROTOCOL_ERROR},
    [END_REFUSED] = {DCC_LOG_WARNING, "refused job from ", 0, ": ", detail_refusal,
                     .outcome = DCC_JOB_REFUSED, .what = "refused", .status = STATUS_REFUSAL,
                     .reply = 1, .serr = serr_refused},
    [END_COMPILED] = {.outcome = DCC_JOB_OK,
                      .what = "compiled",
                      .status = STATUS_COMPILER,
                      .reply = 1},
    [END_COMPILE_FAILED] = {.outcome = DCC_JOB_COMPILE_ERROR,
                            .what = "compile failed",
                            .status = STATUS_COMPILER,
                            .reply = 1},
    [END_LIFETIME] = {.outcome = DCC_JOB_TIMEOUT,
                      .what = "killed after the job lifetime",
                      .status = STATUS_EXIT,
                      .exit_code = DCC_EXIT_TIMEOUT,
                      .reply = 1,
                      .serr = serr_lifetime},
    [END_START_FAILED] = {.outcome = DCC_JOB_OTHER,
                          .what = "failed to start the compiler",
                          .status = STATUS_REFUSAL,
                          .reply = 1,
                          .serr = serr_start_failed},
    [END_AUTH_NO_REQUEST] = {DCC_LOG_INFO, "connection from ", 0, " closed without a request", NULL,
                             .outcome = DCC_JOB_BAD_REQUEST, .what = "not authenticated",
                             .status = STATUS_WIRE, .forget_principal = 1},
    [END_AUTH_REFUSED] = {DCC_LOG_WARNING, "refused connection from ", 1, ": ", detail_auth,
                          .outcome = DCC_JOB_REFUSED, .what = "not authenticated",
                          .status = STATUS_WIRE, .forget_principal = 1},
    [END_AUTH_BAD] = {DCC_LOG_WARNING, "refused connection from ", 1, ": ", detail_auth,
                      .outcome = DCC_JOB_BAD_REQUEST, .what = "not authenticated",
                      .status = STATUS_WIRE, .forget_principal = 1},
    [END_CAPS] = {DCC_LOG_INFO, "told ", 0, " what this distccd can do", NULL,
                  .outcome = DCC_JOB_QUERY, .what = "capabilities asked", .status = STATUS_EXIT},
    [END_LOAD] = {DCC_LOG_INFO, "told ", 0, " how busy this distccd is: ", detail_load,
                  .outcome = DCC_JOB_QUERY, .what = "load asked", .status = STATUS_EXIT},
};

/* How each result of running the compiler ends the job (RUN_DONE: by the
 * compiler's status). */
static const enum job_end run_ends[] = {
    [RUN_DONE] = END_COMPILED,           [RUN_TIMEOUT] = END_LIFETIME,
    [RUN_DISCONNECT] = END_DISCONNECTED, [RUN_TALKING] = END_TALKING,
    [RUN_TERMINATED] = END_SHUTDOWN,     [RUN_FAILED] = END_START_FAILED,
};

/* Whether the request (rc: its wire status) ends the job here, and how.
 * head: only DIST and protocol 1/2's arguments are in; a stopping daemon
 * then ends it before a cut does. */
static int request_ends(const struct job *j, int rc, int head, enum job_end *end)
{
    if (head && rc && dccd_job_terminated)
        *end = END_SHUTDOWN;
    else if (rc && j->conn.cut)
        *end = END_DROPPED;
    /* A request cut short is a bad request (below), with the bytes
     * missing; a whole request whose client then hung up is a disconnect. */
    else if (!rc && j->client_gone && !dccd_job_terminated)
        *end = j->left_in_queue ? END_LEFT_IN_QUEUE : END_DISCONNECTED;
    else if (dccd_job_terminated && !head)
        *end = END_SHUTDOWN;
    else if (rc && j->abandoned)
        *end = END_ABANDONED;
    else if (rc == DCC_EXIT_TRUNCATED && j->conn.bytes_in == 0)
        *end = END_NO_REQUEST;
    else if (rc)
        *end = rc == DCC_EXIT_TIMEOUT ? END_REQUEST_TIMEOUT : END_BAD_REQUEST;
    else
        return 0;
    return 1;
}

static void end_job(struct job *j)
{
    dccd_pump_free(j);
    remove_job_dir(j);
    dcc_argv_free(j->argv);
    free(j->cdir);
    dcc_buf_free(&j->log_lines);
}

/* The one way out: the row's line, its answer, the summary, and nothing
 * left behind. rc is the wire status the request ended with. */
static void finish_job(struct job *j, struct dcc_job_record *rec, enum job_end end, int rc)
{
    const struct job_end_row *row = &job_ends[end];
    if (row->before) {
        char buf[sizeof j->conn.err + 96];
        int as = row->with_principal && j->principal[0];
        dcc_log(row->level, "%s%s%s%s%s%s", row->before, j->peer, as ? " as " : "",
                as ? j->principal : "", row->after,
                row->detail ? row->detail(j, buf, sizeof buf) : "");
    }
    rec->outcome = row->outcome;
    int status = row->status == STATUS_COMPILER  ? j->status
                 : row->status == STATUS_REFUSAL ? W_EXITCODE(j->refusal_exit, 0)
                 : row->status == STATUS_WIRE    ? W_EXITCODE(rc, 0)
                                                 : W_EXITCODE(row->exit_code, 0);
    if (row->serr)
        row->serr(j, &j->log_lines);
    if (row->reply && dccd_send_reply(j, status, &j->log_lines, end == END_COMPILED) != 0) {
        dcc_warn("cannot send the result to %s: %s", j->peer, j->conn.err);
        if (rec->outcome == DCC_JOB_OK || rec->outcome == DCC_JOB_COMPILE_ERROR)
            rec->outcome = DCC_JOB_CLI_DISCONNECT;
    }
    summarise(j, rec, row->what, status);
    if (row->forget_principal)
        rec->principal[0] = '\0';
    end_job(j);
}

/* ------------------------------------------------------------------------
 * The job
 * ------------------------------------------------------------------------ */

/* --auth: the client proves who it is, and we who we are, before its
 * request (dcc_auth_accept). 0, or the wire status with *end saying how the
 * job ends. */
static int authenticate(struct job *j, struct dcc_job_record *rec, enum job_end *end)
{
    int rc = dcc_auth_accept(&j->cfg->auth_server, &j->conn,
                             j->cfg->principals_given ? &j->cfg->principals : NULL, j->principal,
                             sizeof j->principal, j->auth_why, sizeof j->auth_why);
    if (rc == 0) {
        dcc_info("client %s authenticated as %s", j->peer, j->principal);
        return 0;
    }
    /* A connection closed before its first byte (a port probe) is no
     * failed authentication. */
    rec->auth_failed = j->conn.bytes_in > 0;
    if (j->conn.cut)
        *end = END_DROPPED;
    else if (rc == DCC_EXIT_TRUNCATED && j->conn.bytes_in == 0)
        *end = END_AUTH_NO_REQUEST;
    else
        *end = rc == DCC_EXIT_ACCESS_DENIED || rc == DCC_EXIT_GSSAPI_FAILED ? END_AUTH_REFUSED
                                                                            : END_AUTH_BAD;
    return rc;
}

/* DIST, and protocol 1 and 2's arguments; protocol 3's come with its
 * CDIR, later. */
static int read_head(struct job *j)
{
    int caps = 0;
    uint32_t value = 0;
    int rc = dcc_wire_read_token_or(&j->conn, DCC_TOK_DIST, DCC_TOK_CAPS, &caps, &value);
    if (rc && j->conn.cut == DCC_WIRE_CUT_DEADLINE && j->conn.bytes_in == 0)
        snprintf(j->conn.err, sizeof j->conn.err, "no request within %g s",
                 j->cfg->handshake_ms / 1000.0);
    restart_deadline(j);
    if (rc == 0 && caps) {
        j->caps_query = 1;
        j->caps_len = value;
        return 0;
    }
    /* Our clients name the features a request uses in DIST's upper bits,
     * and only to a distccd that offered them. zstd replaces protocol 2 and
     * 3's LZO: protocol 1 has no compression to replace. Directives-only
     * source is for plain mode (in pump mode this machine preprocesses);
     * the header cache is for protocol 3's files. */
    if (rc == 0 && (dcc_caps_dist_split(value, &j->protover, &j->features) != 0 ||
                    (j->features & ~dccd_features(j->cfg)) ||
                    ((j->features & DCC_FEAT_ZSTD) && j->protover < 2) ||
                    ((j->features & DCC_FEAT_DIRECTIVES) && j->protover == 3) ||
                    ((j->features & DCC_FEAT_HCACHE) && j->protover != 3))) {
        snprintf(j->conn.err, sizeof j->conn.err, "unsupported protocol version %u", value);
        rc = DCC_EXIT_PROTOCOL_ERROR;
    }
    if (rc == 0 && j->protover < 3)
        rc = dcc_wire_read_argv(&j->conn, &j->argv);
    return rc;
}

/* A directives-only source (gcc -E -fdirectives-only on the client) is
 * compiled with the flags that expand its macros here. They are added after
 * the argument policy has passed the client's arguments, which may not hold
 * them: only the DIST value asks for them. */
static int add_directives_only(struct job *j)
{
    static const char *const flags[] = {"-fpreprocessed", "-fdirectives-only"};
    if (!(j->features & DCC_FEAT_DIRECTIVES))
        return 0;
    return dcc_argv_insert(&j->argv, 1, flags, 2);
}

/* The rest of the request, checked as it comes: the source (started on
 * early when it may), or protocol 3's files. */
static int read_rest(struct job *j)
{
    j->how = dcc_bulk_how(j->protover, j->features);
    if (j->protover < 3) {
        check_request(j);
        if (!j->refusal[0] && make_job_files(j) == 0 &&
            (dcc_args_set_files(j->argv, &j->scan, j->input, j->output) != 0 ||
             add_directives_only(j) != 0))
            dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory rewriting the arguments");
        dccd_start_early(j);
        return receive_source(j);
    }
    /* No early start: the compiler needs every file first. */
    int rc = dccd_pump_read_head(j);
    if (rc)
        return rc;
    check_request(j);
    if (!j->refusal[0])
        make_job_files(j);
    return dccd_pump_receive_files(j);
}

/* The compiler, with a slot, distccd's own warnings meanwhile kept for SERR. */
static enum job_end compile(struct job *j)
{
    dcc_log_set_hook(capture_log, DCC_LOG_WARNING, &j->log_lines);
    /* A lifetime that ran out while the source came in ends the same way. */
    enum run_result r = j->lifetime_over         ? RUN_TIMEOUT
                        : dccd_take_slot(j) != 0 ? (dccd_job_terminated ? RUN_TERMINATED
                                                    : j->client_gone    ? RUN_DISCONNECT
                                                                        : RUN_FAILED)
                                                 : dccd_run_compiler(j);
    release_slot(j);
    dcc_log_set_hook(NULL, DCC_LOG_WARNING, NULL);
    if (r == RUN_DONE && j->status != 0)
        return END_COMPILE_FAILED;
    return run_ends[r];
}

/* From the first byte to the way the job ends; *rc: the request's wire
 * status. */
static enum job_end run_job(struct job *j, struct dcc_job_record *rec, int *rc)
{
    enum job_end end;
    /* The first header soon, or the connection goes: a client sends it
     * as soon as it connects. */
    j->conn.deadline_ms = j->cfg->handshake_ms > 0 ? dcc_now_ms() + j->cfg->handshake_ms : 0;
    if (j->cfg->auth) {
        if ((*rc = authenticate(j, rec, &end)) != 0)
            return end;
        j->conn.deadline_ms = j->cfg->handshake_ms > 0 ? dcc_now_ms() + j->cfg->handshake_ms : 0;
    }
    *rc = read_head(j);
    if (request_ends(j, *rc, 1, &end))
        return end;
    if (j->caps_query) {
        *rc = dccd_answer_caps(j, j->caps_len);
        return *rc ? END_BAD_REQUEST : j->caps_load ? END_LOAD : END_CAPS;
    }
    *rc = read_rest(j);
    j->conn.deadline_ms = 0; /* the request is in */
    j->conn.whole_rate = 0;
    if (*rc || j->refusal[0] || dccd_job_terminated || j->client_gone || j->lifetime_over)
        dccd_stop_compiler(j);
    if (request_ends(j, *rc, 0, &end))
        return end;
    if (j->refusal[0])
        return END_REFUSED;
    return compile(j);
}

/* A worker serves one connection after another: a grant meant for the
 * last one (sent as its client left the queue) must not count for this
 * one. The daemon sent it before it handed this connection over, so it is
 * pending by now. */
static void forget_grants(void)
{
    slot_granted = 0;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    struct timespec now = {0, 0};
    while (sigtimedwait(&usr1, NULL, &now) == SIGUSR1)
        ;
}

static void catch_signals(void)
{
    struct sigaction sa = {.sa_handler = on_term};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* The daemon's grant of a slot arrives only inside dccd_take_slot's wait. */
    sa.sa_handler = on_grant;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t grant;
    sigemptyset(&grant);
    sigaddset(&grant, SIGUSR1);
    sigprocmask(SIG_BLOCK, &grant, NULL);
}

/* One connection, in its own process (in_loop 0: its signals are the
 * job's) or in the accept loop (in_loop: a question whose bytes are all
 * here, every wait at most DCCD_IN_LOOP_WAIT_MS, no signal handler
 * touched). */
static void serve(const struct dccd_config *cfg, int in_fd, int out_fd, const char *peer,
                  struct dcc_job_record *rec, int in_loop)
{
    struct job j;
    memset(&j, 0, sizeof j);
    memset(rec, 0, sizeof *rec);
    j.cfg = cfg;
    j.peer = peer;
    j.source_fd = -1;
    clock_gettime(CLOCK_MONOTONIC, &j.started);
    dcc_conn_init(&j.conn, in_fd, out_fd, cfg->io_timeout_ms);
    j.conn.cancel = &dccd_job_terminated; /* SIGTERM ends a wait for the client */
    j.conn.limits.max_body = cfg->max_body;
    if (cfg->max_body_mem)
        j.conn.limits.max_body_mem = cfg->max_body_mem;
    j.conn.min_rate = cfg->min_rate;
    j.conn.rate_grace_ms = DCCD_RATE_GRACE_MS;
    if (in_loop)
        j.conn.timeout_ms = DCCD_IN_LOOP_WAIT_MS;
    else {
        catch_signals();
        forget_grants();
    }

    int rc = 0;
    enum job_end end = run_job(&j, rec, &rc);
    finish_job(&j, rec, end, rc);
}

void dccd_serve_job(const struct dccd_config *cfg, int in_fd, int out_fd, const char *peer,
                    struct dcc_job_record *rec)
{
    serve(cfg, in_fd, out_fd, peer, rec, 0);
}

void dccd_answer_question(const struct dccd_config *cfg, int fd, const char *peer,
                          struct dcc_job_record *rec)
{
    serve(cfg, fd, fd, peer, rec, 1);
}
