/* The compile of one distccd job: the compiler in its own process group
 * and sandbox, started early on a FIFO that the source is fed into as it
 * arrives, watched until it ends, and what it made sent back. */
#include "job.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"

#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

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
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTSOCK ? CLIENT_GONE
                                                                            : CLIENT_WAITING;
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
    struct dcc_sandbox_job sj = {.dir = j->dir,
                                 .cwd = j->cwd,
                                 .compiler = j->compiler_path,
                                 .stdout_path = j->out_stdout,
                                 .stderr_path = j->out_stderr};
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
        dccd_refuse(j, DCC_EXIT_DISTCC_FAILED, "cannot contain the job's processes: %s", why);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "cannot start the compiler: %s", strerror(errno));
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
void dccd_stop_compiler(struct job *j)
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
void dccd_start_early(struct job *j)
{
    if (!j->cfg->early_start || j->refusal[0])
        return;
    int rc = dcc_args_early_start(&j->argv, &j->scan);
    if (rc < 0)
        dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory rewriting the arguments");
    if (rc != 0)
        return;
    if (mkfifo(j->input, 0600) != 0) {
        dcc_info(
            "cannot create a FIFO in the job directory (%s); the compiler starts once the source is here",
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
    return waitid(P_PID, (id_t)j->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == j->pid;
}

/* Whether feeding must stop: the daemon is stopping, or the job lifetime is
 * over (it counts from the compiler's start, the wait for the source too). */
static int feed_cut_off(struct job *j)
{
    if (dccd_job_terminated)
        return 1;
    if (j->cfg->job_lifetime > 0 &&
        dccd_elapsed_ms(&j->spawned) > (long)j->cfg->job_lifetime * 1000) {
        j->lifetime_over = 1;
        return 1;
    }
    return 0;
}

enum feed_state { FEED_WRITING, FEED_GONE, FEED_BROKEN };

/* Interrupts the blocking open of the compiler's FIFO; nothing else. */
static void on_open_wake(int sig)
{
    (void)sig;
}

/* One pass of open_source's checks between two tries: FEED_WRITING to try
 * again, else how the wait ends. */
static enum feed_state source_wait_check(struct job *j, const struct timespec *since)
{
    if (compiler_exited(j))
        return FEED_GONE;
    if (feed_cut_off(j))
        return FEED_BROKEN;
    if (j->conn.timeout_ms > 0 && dccd_elapsed_ms(since) > j->conn.timeout_ms) {
        dccd_refuse(j, DCC_EXIT_TIMEOUT, "the compiler did not open its source for %d s",
                    j->conn.timeout_ms / 1000);
        return FEED_BROKEN;
    }
    struct pollfd p = {.fd = j->conn.in_fd, .events = POLLRDHUP};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        j->client_gone = 1; /* a client that dies sends its end of stream */
        return FEED_BROKEN;
    }
    return FEED_WRITING;
}

/* Opens the FIFO for writing once the compiler has it open for reading.
 * Usually it has (it started while the client preprocessed) and the first
 * try succeeds. Otherwise a blocking open waits for that very event, in the
 * kernel: no polling, which on a busy helper cost more CPU than the job
 * itself (the old loop tried every 0.25 ms). SIGCHLD (the compiler ended)
 * and a 50 ms interval timer interrupt it to check the compiler (a SIGCHLD
 * may come just before the open), the client and the cut-offs. A compiler
 * that exits without opening it is FEED_GONE: its status and stderr are the
 * answer. The fd is made non-blocking for feed_compiler. */
static enum feed_state open_source(struct job *j)
{
    j->source_fd = open(j->input, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (j->source_fd >= 0)
        return FEED_WRITING;
    if (errno != ENXIO && errno != EINTR) {
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot open the compiler's input %s: %s", j->input,
                    strerror(errno));
        return FEED_BROKEN;
    }
    struct timespec since;
    clock_gettime(CLOCK_MONOTONIC, &since);
    /* No SA_RESTART: the signals end the open with EINTR. */
    struct sigaction wake, old_chld, old_alrm;
    memset(&wake, 0, sizeof wake);
    wake.sa_handler = on_open_wake;
    sigemptyset(&wake.sa_mask);
    sigaction(SIGCHLD, &wake, &old_chld);
    sigaction(SIGALRM, &wake, &old_alrm);
    struct itimerval tick = {{0, 50 * 1000}, {0, 50 * 1000}}, off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &tick, NULL);
    enum feed_state st;
    for (;;) {
        /* Checked before each wait: a SIGCHLD that came before the open
         * blocks is caught by the next tick at the latest. */
        st = source_wait_check(j, &since);
        if (st != FEED_WRITING)
            break;
        j->source_fd = open(j->input, O_WRONLY | O_CLOEXEC);
        if (j->source_fd >= 0) {
            int fl = fcntl(j->source_fd, F_GETFL);
            if (fl < 0 || fcntl(j->source_fd, F_SETFL, fl | O_NONBLOCK) != 0) {
                dccd_refuse(j, DCC_EXIT_IO_ERROR,
                            "cannot make the compiler's input %s non-blocking: %s", j->input,
                            strerror(errno));
                close(j->source_fd);
                j->source_fd = -1;
                st = FEED_BROKEN;
            }
            break;
        }
        if (errno != EINTR) {
            dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot open the compiler's input %s: %s", j->input,
                        strerror(errno));
            st = FEED_BROKEN;
            break;
        }
    }
    /* A tick still pending is delivered on the way back from setitimer,
     * while on_open_wake still handles it. */
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old_alrm, NULL);
    sigaction(SIGCHLD, &old_chld, NULL);
    return st;
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
            if (r > 0 && (pf[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) &&
                !(pf[0].revents & POLLOUT)) {
                j->client_gone = 1;
                return FEED_BROKEN;
            }
            if (r > 0 || (r < 0 && errno == EINTR))
                continue; /* writable, or POLLERR: the next write says which */
            if (r == 0) {
                dccd_refuse(j, DCC_EXIT_TIMEOUT, "the compiler did not read its source for %d s",
                            timeout / 1000);
                return FEED_BROKEN;
            }
        }
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot write the source to the compiler: %s",
                    strerror(errno));
        return FEED_BROKEN;
    }
    return FEED_WRITING;
}

/* The DOTI body, into the compiler's FIFO. Bytes the compiler no longer
 * wants are still read, so the reply is not mixed with the request. Only a
 * complete source ends with an end of file for the compiler. */
int dccd_feed_source(struct job *j, uint32_t len)
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
    if (st == FEED_BROKEN || (st == FEED_WRITING && (rc != 0 || dccd_job_terminated))) {
        dccd_stop_compiler(j); /* broken off: no end of file after a partial source */
    } else if (j->source_fd >= 0) {
        close(j->source_fd); /* complete, or the compiler is gone: end of file */
        j->source_fd = -1;
    }
    return rc;
}

enum run_result dccd_run_compiler(struct job *j)
{
    if (j->pid == 0 && spawn_compiler(j) != 0)
        return RUN_FAILED;
    pid_t pid = j->pid;

    int pidfd = open_pidfd(pid);
    int watch_fd = j->conn.in_fd;
    enum run_result result = RUN_DONE;
    for (;;) {
        struct rusage ru;
        pid_t w = wait4(pid, &j->status, WNOHANG, &ru);
        if (w == pid) {
            j->max_rss_kb = ru.ru_maxrss;
            break;
        }
        if (dccd_job_terminated) {
            result = RUN_TERMINATED;
            break;
        }
        int timeout = pidfd >= 0 ? -1 : 50;
        if (j->cfg->job_lifetime > 0) {
            long left = (long)j->cfg->job_lifetime * 1000 - dccd_elapsed_ms(&j->spawned);
            if (left <= 0) {
                result = RUN_TIMEOUT;
                break;
            }
            if (timeout < 0 || left < timeout)
                timeout = (int)(left > INT_MAX ? INT_MAX : left);
        }
        struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
                              {.fd = watch_fd, .events = POLLIN | POLLRDHUP}};
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
static int send_file_or_empty(struct job *j, const char *token, const char *path,
                              const struct dcc_buf *extra, int strip_root)
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

int dccd_send_reply(struct job *j, int status, const struct dcc_buf *serr_extra, int send_object)
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
