/* Running a program: fork, exec (failures reported through a pipe), read, kill its group at a limit, reap. */
#include "base/dcc_run.h"
#include "base/dcc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How often a child is looked at when the kernel gives no pidfd to poll. */
#define NAP_MS 10
/* Reads of one stream per round, so a chatty child cannot keep us from
 * its deadline. */
#define READS_PER_ROUND 16

/* What failed in the child before its program ran; sent through the report
 * pipe, whose close-on-exec end closes unread when exec works. */
enum stage { STAGE_SETUP = 1, STAGE_DIR, STAGE_EXEC };
struct report {
    int stage;
    int error;
};

struct dcc_run {
    pid_t pid;
    int pidfd;     /* readable once the child exits; -1 without one */
    int report_fd; /* -1 once read */
    int fd[2];     /* read ends of captured stdout, stderr; -1 when closed */
    struct dcc_buf *buf[2];
    size_t cap, captured;
    unsigned flags;
    int timeout_ms;
    long long deadline; /* 0: none */
    char *name;         /* prog or argv[0], for the texts */
    char *dir;
    int exited;           /* a zombie we have not reaped yet, or lost */
    int lost;             /* reaped by someone else: its pid is not ours any more */
    struct report failed; /* error 0: the program ran */
    enum dcc_run_end end; /* set when we stopped it */
    int end_errno;
};

/* Everything the child needs, prepared before fork: after it, only
 * async-signal-safe calls. */
struct plan {
    const char *prog;
    char *const *argv;
    char *const *envp;
    const char *dir;
    int src[3]; /* what becomes 0, 1, 2; -1: left as it is */
    int merge;  /* 2 becomes a copy of 1 */
    int report_w;
    unsigned flags;
    sigset_t mask; /* the caller's signal mask, blocked entirely around fork */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* fd moved above stderr (a daemon may run with 0-2 closed, and the child's
 * dup2 onto 0-2 must not clobber one of ours), close-on-exec. */
static int above_stderr(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close(fd);
    errno = e;
    return moved;
}

/* A close-on-exec pipe with both ends above stderr; the read end does not
 * block. 0, or -1 with errno. */
static int make_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    p[0] = above_stderr(p[0]);
    p[1] = above_stderr(p[1]);
    if (p[0] < 0 || p[1] < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
        int e = errno;
        close_fd(&p[0]);
        close_fd(&p[1]);
        errno = e;
        return -1;
    }
    return 0;
}

static int same_name(const char *a, const char *b)
{
    size_t la = strcspn(a, "="), lb = strcspn(b, "=");
    return la == lb && memcmp(a, b, la) == 0;
}

/* The child's environment: the base without the names env_set mentions,
 * then env_set's assignments. Only the array is new (*owned). NULL on ENOMEM. */
static char **child_env(const struct dcc_run_opts *o, int *owned)
{
    static char *empty[] = {NULL};
    char *const *base = o->env ? o->env : environ ? environ : empty;
    *owned = 0;
    if (!o->env_set || !o->env_set[0])
        return (char **)base;
    size_t nb = 0, ns = 0;
    while (base[nb])
        nb++;
    while (o->env_set[ns])
        ns++;
    char **env = malloc((nb + ns + 1) * sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < nb; i++) {
        int changed = 0;
        for (size_t j = 0; j < ns && !changed; j++)
            changed = same_name(base[i], o->env_set[j]);
        if (!changed)
            env[k++] = base[i];
    }
    for (size_t j = 0; j < ns; j++)
        if (strchr(o->env_set[j], '='))
            env[k++] = (char *)o->env_set[j];
    env[k] = NULL;
    *owned = 1;
    return env;
}

/* ---- the child ---- */

__attribute__((noreturn)) static void child_fail(int report_w, enum stage stage, int error)
{
    struct report r = {stage, error};
    (void)!write(report_w, &r, sizeof r);
    _exit(127);
}

static void close_range_or_loop(unsigned lo, unsigned hi)
{
    if (lo > hi || close_range(lo, hi, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (long fd = lo; fd < max && fd <= (long)hi; fd++)
        close((int)fd);
}

/* Every signal arrives blocked (dcc_run_start blocks them around fork), so
 * no handler of the caller's can run in the child: handlers go back to the
 * default before the mask opens. */
static void child_signals(const struct plan *p)
{
    struct sigaction dfl, cur;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    int keep = p->flags & DCC_RUN_KEEP_SIGNALS;
    /* Ignored signals survive exec: a daemon's ignored SIGCHLD would break
     * the program's own waits, our ignored SIGPIPE its pipelines. With
     * KEEP_SIGNALS the ignored ones stay (as exec keeps them), but SIGPIPE. */
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &cur) != 0)
            continue; /* EINVAL for the C library's own is fine */
        if (!keep || sig == SIGPIPE || cur.sa_handler != SIG_IGN)
            sigaction(sig, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, keep ? &p->mask : &none, NULL);
}

__attribute__((noreturn)) static void child(const struct plan *p)
{
    if (!(p->flags & DCC_RUN_SAME_GROUP))
        setpgid(0, 0);
    child_signals(p);

    /* A source that sits on another stream's number (err_fd 1 while stdout
     * is redirected) is copied out of the way before anything is replaced. */
    int src[3] = {p->src[0], p->src[1], p->src[2]};
    for (int i = 0; i < 3; i++) {
        if (src[i] >= 0 && src[i] < 3 && src[i] != i) {
            src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
            if (src[i] < 0)
                child_fail(p->report_w, STAGE_SETUP, errno);
        }
    }
    for (int i = 0; i < 3; i++) {
        int rc = 0;
        if (i == 2 && p->merge)
            rc = dup2(1, 2);
        else if (src[i] == i)
            rc = fcntl(i, F_SETFD, 0); /* lent as it is: keep it across exec */
        else if (src[i] >= 0)
            rc = dup2(src[i], i);
        if (rc < 0)
            child_fail(p->report_w, STAGE_SETUP, errno);
    }
    if (p->dir && chdir(p->dir) != 0)
        child_fail(p->report_w, STAGE_DIR, errno);
    if (!(p->flags & DCC_RUN_KEEP_FDS)) {
        close_range_or_loop(3, (unsigned)p->report_w - 1);
        close_range_or_loop((unsigned)p->report_w + 1, ~0U);
    }
    if (p->flags & DCC_RUN_SEARCH_PATH)
        execvpe(p->prog, p->argv, p->envp);
    else
        execve(p->prog, p->argv, p->envp);
    child_fail(p->report_w, STAGE_EXEC, errno);
}

/* ---- the parent ---- */

/* vfork: the child borrows our memory until it execs, so no page tables are
 * copied and neither side takes copy-on-write faults afterwards (a large
 * share of a short client's CPU). child() only reads the plan, makes
 * async-signal-safe calls with every signal blocked and ends in exec or
 * _exit; its own frame lives below this one, which holds nothing the
 * parent needs back. */
__attribute__((noinline)) static pid_t start_child(const struct plan *p)
{
    pid_t pid = vfork();
    if (pid == 0)
        child(p);
    return pid;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

static void free_handle(struct dcc_run *h)
{
    close_fd(&h->pidfd);
    close_fd(&h->report_fd);
    close_fd(&h->fd[0]);
    close_fd(&h->fd[1]);
    free(h->name);
    free(h->dir);
    free(h);
}

/* Kills the child (its group unless it shares ours) and stops reading;
 * the first reason stays. */
static void stop(struct dcc_run *h, enum dcc_run_end end, int error)
{
    if (h->end != DCC_RUN_OK)
        return;
    h->end = end;
    h->end_errno = error;
    /* Not reaped yet, so the pid (and the group's id) is still ours. */
    if (!h->lost) {
        if (!(h->flags & DCC_RUN_SAME_GROUP))
            kill(-h->pid, SIGKILL);
        kill(h->pid, SIGKILL);
    }
    close_fd(&h->fd[0]);
    close_fd(&h->fd[1]);
}

static void read_report(struct dcc_run *h)
{
    struct report r;
    ssize_t got;
    do
        got = read(h->report_fd, &r, sizeof r);
    while (got < 0 && errno == EINTR);
    if (got < 0 && errno == EAGAIN)
        return;
    if (got == (ssize_t)sizeof r && r.error != 0)
        h->failed = r;
    close_fd(&h->report_fd);
}

static void keep_output(struct dcc_run *h, int k, const char *data, size_t len)
{
    size_t room = len;
    if (h->cap)
        room = h->cap > h->captured ? h->cap - h->captured : 0;
    size_t take = len < room ? len : room;
    if (take && dcc_buf_append(h->buf[k], data, take) != 0) {
        stop(h, DCC_RUN_NOMEM, ENOMEM);
        return;
    }
    h->captured += take;
    /* Past the cap the rest is read and dropped, so a chatty program is not
     * left blocked on a full pipe, or it is an error. */
    if (take < len && !(h->flags & DCC_RUN_TRUNCATE))
        stop(h, DCC_RUN_OVER_CAP, 0);
}

static void read_stream(struct dcc_run *h, int k)
{
    char chunk[8192];
    for (int round = 0; round < READS_PER_ROUND && h->fd[k] >= 0; round++) {
        ssize_t got = read(h->fd[k], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == EAGAIN)
            return;
        if (got <= 0) {
            close_fd(&h->fd[k]);
            return;
        }
        keep_output(h, k, chunk, (size_t)got);
    }
}

/* Notes an exit without reaping: the zombie keeps the pid, so a later kill
 * of its group cannot reach a stranger. */
static void look_for_exit(struct dcc_run *h)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int rc = waitid(P_PID, (id_t)h->pid, &si, WEXITED | WNOHANG | WNOWAIT);
    if (rc < 0 && errno == EINTR)
        return;
    if (rc < 0)
        h->exited = h->lost = 1; /* ECHILD: reaped elsewhere */
    else if (si.si_pid == h->pid)
        h->exited = 1;
    if (h->exited)
        close_fd(&h->pidfd);
}

int dcc_run_done(const struct dcc_run *h)
{
    return h->end != DCC_RUN_OK || (h->exited && h->fd[0] < 0 && h->fd[1] < 0);
}

static void service(struct dcc_run *h, long long now)
{
    if (dcc_run_done(h))
        return;
    if (h->report_fd >= 0)
        read_report(h);
    for (int k = 0; k < 2 && h->end == DCC_RUN_OK; k++)
        if (h->fd[k] >= 0)
            read_stream(h, k);
    if (!h->exited)
        look_for_exit(h);
    /* Output still open after the exit (a background grandchild holds it)
     * is waited for, as a shell's $(...) does, up to the deadline. */
    if (!dcc_run_done(h) && h->deadline && now >= h->deadline)
        stop(h, DCC_RUN_TIMEOUT, 0);
}

size_t dcc_run_poll(struct dcc_run *const *hs, size_t n)
{
    struct pollfd small[16], *fds = n * 4 <= 16 ? small : malloc(n * 4 * sizeof *fds);
    nfds_t nfds = 0;
    size_t running = 0;
    long long now = dcc_now_ms();
    int timeout = -1;
    for (size_t i = 0; i < n; i++) {
        struct dcc_run *h = hs[i];
        if (!h || dcc_run_done(h))
            continue;
        running++;
        int watch[4] = {h->report_fd, h->fd[0], h->fd[1], h->exited ? -1 : h->pidfd};
        for (int w = 0; fds && w < 4; w++)
            if (watch[w] >= 0)
                fds[nfds++] = (struct pollfd){.fd = watch[w], .events = POLLIN};
        if (h->deadline) {
            long long left = h->deadline > now ? h->deadline - now : 0;
            if (timeout < 0 || left < timeout)
                timeout = (int)(left > 1000000 ? 1000000 : left);
        }
        if ((!h->exited && h->pidfd < 0) || !fds)
            timeout = timeout < 0 || timeout > NAP_MS ? NAP_MS : timeout;
    }
    if (running == 0) {
        if (fds != small)
            free(fds);
        return 0;
    }
    int rc = poll(fds ? fds : small, nfds, timeout);
    int e = errno;
    if (fds != small)
        free(fds);
    now = dcc_now_ms();
    running = 0;
    for (size_t i = 0; i < n; i++) {
        struct dcc_run *h = hs[i];
        if (!h || dcc_run_done(h))
            continue;
        if (rc < 0 && e != EINTR)
            stop(h, DCC_RUN_SYSTEM, e); /* cannot watch it any more */
        service(h, now);
        if (!dcc_run_done(h))
            running++;
    }
    return running;
}

int dcc_run_start(const struct dcc_run_opts *o, struct dcc_run **hp, char *err, size_t errlen)
{
    *hp = NULL;
    const char *name = o->prog ? o->prog : o->argv && o->argv[0] ? o->argv[0] : "(nothing)";
    int null_fd = -1, in_fd = -1, report[2] = {-1, -1}, pipes[2][2] = {{-1, -1}, {-1, -1}};
    int owned = 0, rc = DCC_RUN_SYSTEM, e = 0;
    char **envp = NULL;
    const char *what = NULL; /* the step that failed, for the text */
    enum dcc_run_stream mode[2] = {o->out, o->err};
    struct dcc_buf *bufs[2] = {o->out_buf, o->err_buf};

    struct dcc_run *h = calloc(1, sizeof *h);
    if (!h) {
        dcc_set_err(err, errlen, "out of memory");
        return DCC_RUN_NOMEM;
    }
    h->pidfd = h->report_fd = h->fd[0] = h->fd[1] = -1;
    if (!o->argv || !o->argv[0] || o->out == DCC_RUN_MERGE ||
        (o->in == DCC_RUN_IN_FILE && !o->in_file) || (mode[0] == DCC_RUN_CAPTURE && !bufs[0]) ||
        (mode[1] == DCC_RUN_CAPTURE && !bufs[1])) {
        e = EINVAL;
        goto fail;
    }
    h->name = strdup(name);
    h->dir = o->dir ? strdup(o->dir) : NULL;
    envp = child_env(o, &owned);
    if (!h->name || (o->dir && !h->dir) || !envp)
        goto nomem;
    for (int k = 0; k < 2; k++) {
        /* Captured text is a string from the start, even when nothing comes. */
        if (mode[k] == DCC_RUN_CAPTURE && dcc_buf_append(bufs[k], "", 0) != 0)
            goto nomem;
    }

    if (o->in == DCC_RUN_IN_FILE) {
        in_fd = above_stderr(open(o->in_file, O_RDONLY | O_CLOEXEC));
        if (in_fd < 0) {
            e = errno;
            rc = DCC_RUN_NOT_RUN;
            dcc_set_err(err, errlen, "cannot run %s: cannot open %s: %s", name, o->in_file,
                        strerror(e));
            goto out;
        }
    }
    if (o->in == DCC_RUN_IN_NULL || mode[0] == DCC_RUN_NULL || mode[1] == DCC_RUN_NULL) {
        null_fd = above_stderr(open("/dev/null", O_RDWR | O_CLOEXEC));
        if (null_fd < 0) {
            what = "cannot open /dev/null";
            e = errno;
            goto fail;
        }
    }
    for (int k = 0; k < 2; k++) {
        if (mode[k] == DCC_RUN_CAPTURE && make_pipe(pipes[k]) != 0) {
            what = "cannot create a pipe";
            e = errno;
            goto fail;
        }
    }
    if (make_pipe(report) != 0) {
        what = "cannot create a pipe";
        e = errno;
        goto fail;
    }

    struct plan plan = {.prog = name,
                        .argv = o->argv,
                        .envp = envp,
                        .dir = o->dir,
                        .merge = o->err == DCC_RUN_MERGE,
                        .report_w = report[1],
                        .flags = o->flags};
    plan.src[0] = o->in == DCC_RUN_IN_NULL ? null_fd : o->in == DCC_RUN_IN_FILE ? in_fd : -1;
    for (int k = 0; k < 2; k++) {
        int lent = k == 0 ? o->out_fd : o->err_fd;
        plan.src[k + 1] = mode[k] == DCC_RUN_NULL      ? null_fd
                          : mode[k] == DCC_RUN_CAPTURE ? pipes[k][1]
                          : mode[k] == DCC_RUN_FD      ? lent
                                                       : -1;
    }

    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &plan.mask);
    pid_t pid = start_child(&plan);
    e = errno;
    sigprocmask(SIG_SETMASK, &plan.mask, NULL);
    if (pid < 0) {
        what = "cannot fork";
        goto fail;
    }
    /* Also from here, so a kill of the group cannot race the child's own. */
    if (!(o->flags & DCC_RUN_SAME_GROUP))
        setpgid(pid, pid);
    h->pid = pid;
    h->pidfd = open_pidfd(pid);
    h->report_fd = report[0];
    report[0] = -1;
    for (int k = 0; k < 2; k++) {
        h->fd[k] = pipes[k][0];
        pipes[k][0] = -1;
        h->buf[k] = mode[k] == DCC_RUN_CAPTURE ? bufs[k] : NULL;
    }
    h->cap = o->cap;
    h->flags = o->flags;
    h->timeout_ms = o->timeout_ms;
    h->deadline = o->timeout_ms > 0 ? dcc_now_ms() + o->timeout_ms : 0;
    *hp = h;
    h = NULL;
    rc = DCC_RUN_OK;
    goto out;

nomem:
    rc = DCC_RUN_NOMEM;
    e = ENOMEM;
    dcc_set_err(err, errlen, "out of memory");
    goto out;
fail:
    rc = DCC_RUN_SYSTEM;
    if (what)
        dcc_set_err(err, errlen, "cannot run %s: %s: %s", name, what, strerror(e));
    else
        dcc_set_err(err, errlen, "cannot run %s: %s", name, strerror(e));
out:
    close_fd(&null_fd);
    close_fd(&in_fd);
    close_fd(&report[0]);
    close_fd(&report[1]);
    for (int k = 0; k < 2; k++) {
        close_fd(&pipes[k][0]);
        close_fd(&pipes[k][1]);
    }
    if (owned)
        free(envp);
    if (h)
        free_handle(h);
    if (rc != DCC_RUN_OK)
        errno = e;
    return rc;
}

pid_t dcc_run_pid(const struct dcc_run *h)
{
    return h->pid;
}

int dcc_run_started(struct dcc_run *h, char *err, size_t errlen)
{
    if (h->report_fd >= 0) {
        /* Blocking: the child execs (or fails to) at once. */
        int fl = fcntl(h->report_fd, F_GETFL);
        if (fl >= 0)
            fcntl(h->report_fd, F_SETFL, fl & ~O_NONBLOCK);
        read_report(h);
    }
    if (!h->failed.error)
        return 0;
    if (h->failed.stage == STAGE_DIR)
        dcc_set_err(err, errlen, "cannot run %s in %s: %s", h->name, h->dir,
                    strerror(h->failed.error));
    else
        dcc_set_err(err, errlen, "cannot run %s: %s", h->name, strerror(h->failed.error));
    errno = h->failed.error;
    return -1;
}

int dcc_run_finish(struct dcc_run *h, int *wstatus, char *err, size_t errlen)
{
    while (!dcc_run_done(h))
        dcc_run_poll(&h, 1);
    int st = 0;
    while (!h->lost && waitpid(h->pid, &st, 0) < 0) {
        if (errno != EINTR) {
            h->lost = 1;
            st = 0;
        }
    }
    if (h->report_fd >= 0)
        read_report(h); /* the child is gone: it is complete, or EOF */
    if (wstatus)
        *wstatus = st;

    int rc = DCC_RUN_OK, e = 0;
    if (dcc_run_started(h, err, errlen) != 0) {
        rc = DCC_RUN_NOT_RUN;
        e = h->failed.error;
    } else if (h->end != DCC_RUN_OK) {
        rc = (int)h->end;
        e = h->end_errno;
        if (h->end == DCC_RUN_TIMEOUT && h->exited)
            dcc_set_err(err, errlen,
                        "%s exited, but a process it left kept its output open past %d ms", h->name,
                        h->timeout_ms);
        else if (h->end == DCC_RUN_TIMEOUT)
            dcc_set_err(err, errlen, "%s did not finish within %d ms", h->name, h->timeout_ms);
        else if (h->end == DCC_RUN_OVER_CAP)
            dcc_set_err(err, errlen, "%s printed more than %zu bytes", h->name, h->cap);
        else if (h->end == DCC_RUN_NOMEM)
            dcc_set_err(err, errlen, "out of memory");
        else
            dcc_set_err(err, errlen, "cannot wait for %s: %s", h->name, strerror(e));
    } else if (h->lost) {
        rc = DCC_RUN_LOST;
        e = ECHILD;
        dcc_set_err(err, errlen, "cannot wait for %s: %s", h->name, strerror(e));
    }
    free_handle(h);
    errno = e;
    return rc;
}

pid_t dcc_run_detach(struct dcc_run *h)
{
    pid_t pid = h->pid;
    free_handle(h);
    return pid;
}

int dcc_run(const struct dcc_run_opts *o, int *wstatus, char *err, size_t errlen)
{
    struct dcc_run *h = NULL;
    int rc = dcc_run_start(o, &h, err, errlen);
    if (rc != DCC_RUN_OK) {
        if (wstatus)
            *wstatus = 0;
        return rc;
    }
    return dcc_run_finish(h, wstatus, err, errlen);
}
