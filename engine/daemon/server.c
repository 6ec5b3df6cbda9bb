/* distccd's accept loop: the job workers it hands connections to (a
 * process serves one after another), its own answers to CAPS questions,
 * --max-per-address and its parked connections, the queue for the --jobs
 * slots, the statistics, and every job process stopped on the way out. */
#include "distccd.h"
#include "job.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "daemon/dcc_stats.h"
#include "proto/dcc_wire.h"
#include "zeroconf.h"
#include "base/dcc_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_STATS_CHILDREN 16
/* Stats connections one address may hold at once: a quarter of the port, so
 * clients trickling from one address leave the rest to everyone else (each
 * holds its process for 2 s at most, stats_http.c). A fixed number, not
 * --max-per-address: twice -j could be all 16. */
#define MAX_STATS_PER_ADDRESS 4

static volatile sig_atomic_t stop_requested;

/* The open-file limit the daemon was started with (fit_open_files raises
 * the loop's): its job processes and their compilers get it back. */
static struct rlimit started_nofile;
static int nofile_raised;

static int sigchld_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_child(int sig)
{
    (void)sig;
    int saved = errno;
    if (sigchld_pipe[1] >= 0)
        (void)!write(sigchld_pipe[1], "c", 1);
    errno = saved;
}

static void reset_child_signals(void)
{
    signal(SIGCHLD, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
}

/* A process serving connections: a stats page (one, then it ends), or a
 * job worker that serves job connections one after the other, up to
 * WORKER_CONNECTIONS, like stock's pre-forked children: a fork per
 * connection cost more CPU than the rest of the daemon's work for a job. */
struct child {
    pid_t pid;
    int is_stats;
    int ctl;              /* a worker: the loop's end of its socket pair; -1 = none */
    int busy;             /* a worker: serving a connection (peer's) */
    int retiring;         /* a worker: takes no more connections */
    int has_slot;         /* holds one of the --jobs slots */
    unsigned long ticket; /* its place in the queue for a slot; 0 = not waiting */
    char peer[64];
};

#define WORKER_CONNECTIONS 100

/* Room for one SCM_RIGHTS fd, aligned as CMSG_FIRSTHDR's struct cmsghdr
 * must be (a char array need not be, outside x86-64's ABI). */
union fd_cmsg {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
};

/* The loop to a worker, with the connection's fd. */
struct work {
    char peer[64];
    struct dcc_caps_load load;
};

/* A worker to the loop: a connection served. */
struct work_done {
    struct dcc_job_record rec;
    int last; /* the worker ends now */
};

/* A connection from an address that has its --max-per-address served
 * already: accepted (so it does not fill the backlog for everyone else) but
 * not read, until one of that address's connections ends. */
struct parked {
    int fd;
    long long since_ms;
    int behind_all; /* waits for the daemon's max_conns, not its address's */
    char peer[64];
};

#define MAX_PARKED 64

/* A new job connection whose first bytes have not come yet: if they are a
 * CAPS question (capabilities or load), the loop answers it itself, for a
 * process per question cost more than the answer. Held no longer than
 * PENDING_MS, then served like any connection. A bounded number, and
 * fewer from one address, so idle connections only cost the others that
 * shortcut, never their service. */
struct pending {
    int fd;
    long long until_ms;
    int lowat; /* its SO_RCVLOWAT: the bytes that wake the loop for it */
    char peer[64];
};

#define MAX_PENDING 64
#define ACCEPT_PAUSE_MS 100
#define MAX_PENDING_PER_ADDRESS 16
#define PENDING_MS 50

struct server {
    struct dccd_config *cfg;
    int listen_fd, stats_fd;
    int slot_pipe[2];
    struct pollfd *pfds; /* the loop's poll: 4 + MAX_PENDING + max_children */
    struct child *children;
    size_t max_children; /* max_conns + MAX_STATS_CHILDREN */
    int max_conns;       /* processes serving job connections */
    int conns, stats_running, slots_used;
    unsigned long next_ticket;
    struct parked parked[MAX_PARKED];
    size_t nparked;
    struct pending pending[MAX_PENDING];
    size_t npending;
    long long accept_after_ms; /* out of descriptors: the ports wait until then */
    int accept_failing;        /* said so in the log already */
    struct dcc_stats stats;
    char acl_text[512];
};

/* Whether c serves a connection now: a stats page, or a busy worker. */
static int serving(const struct child *c)
{
    return c->pid && (c->is_stats || c->busy);
}

/* Connections from peer being served: job ones, or with is_stats stats ones. */
static int conns_from(const struct server *s, const char *peer, int is_stats)
{
    int n = 0;
    for (size_t i = 0; i < s->max_children; i++)
        n += serving(&s->children[i]) && s->children[i].is_stats == is_stats &&
             strcmp(s->children[i].peer, peer) == 0;
    return n;
}

/* In a new child: every fd that belongs to the daemon or to other
 * connections goes, so a connection the daemon closes is really closed. */
static void close_daemon_fds(struct server *s)
{
    close(s->listen_fd);
    if (s->stats_fd >= 0)
        close(s->stats_fd);
    close(sigchld_pipe[0]);
    close(sigchld_pipe[1]);
    close(s->slot_pipe[0]);
    for (size_t i = 0; i < s->max_children; i++)
        if (s->children[i].pid && s->children[i].ctl >= 0)
            close(s->children[i].ctl);
    for (size_t i = 0; i < s->nparked; i++)
        close(s->parked[i].fd);
    for (size_t i = 0; i < s->npending; i++)
        close(s->pending[i].fd);
}

/* The daemon's load as it stands, for a CAPS load question (caps.c) from
 * peer: in the loop's own answer, or handed to the worker with the
 * connection. Nothing is asked of anyone. */
static void note_load(const struct server *s, const char *peer, struct dcc_caps_load *l)
{
    memset(l, 0, sizeof *l);
    l->jobs = s->cfg->jobs;
    l->running = s->slots_used;
    for (size_t i = 0; i < s->max_children; i++) {
        const struct child *c = &s->children[i];
        if (!serving(c) || c->is_stats)
            continue;
        l->waiting += c->ticket != 0;
        l->others += strcmp(c->peer, peer) != 0;
    }
    for (size_t i = 0; i < s->nparked; i++)
        l->others += strcmp(s->parked[i].peer, peer) != 0;
    for (size_t i = 0; i < s->npending; i++)
        l->others += strcmp(s->pending[i].peer, peer) != 0;
}

static struct child *free_entry(struct server *s)
{
    for (size_t i = 0; i < s->max_children; i++)
        if (!s->children[i].pid)
            return &s->children[i];
    return NULL;
}

/* A worker's life: a connection at a time from the loop (its fd over the
 * socket pair), served as a job process serves it, the record back. Ends
 * when the loop goes, the daemon stops, or after WORKER_CONNECTIONS. */
static void __attribute__((noreturn)) worker_main(struct server *s, int ctl)
{
    for (int n = 1; n <= WORKER_CONNECTIONS; n++) {
        struct work w;
        union fd_cmsg cbuf;
        struct iovec iov = {.iov_base = &w, .iov_len = sizeof w};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cbuf.buf,
                            .msg_controllen = sizeof cbuf.buf};
        ssize_t got;
        do
            got = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
        while (got < 0 && errno == EINTR && !stop_requested && !dccd_job_terminated);
        struct cmsghdr *cm = got == (ssize_t)sizeof w ? CMSG_FIRSTHDR(&mh) : NULL;
        if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(sizeof(int)))
            break;
        int fd;
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        w.peer[sizeof w.peer - 1] = '\0';
        s->cfg->load = w.load;
        s->cfg->load_known = 1;
        struct work_done done = {.last = n == WORKER_CONNECTIONS};
        dccd_serve_job(s->cfg, fd, fd, w.peer, &done.rec);
        done.last |= stop_requested || dccd_job_terminated;
        /* The record first: a client that asks the stats page as soon as
         * the connection ends finds its job counted. */
        ssize_t sent = send(ctl, &done, sizeof done, MSG_NOSIGNAL);
        close(fd);
        if (sent != (ssize_t)sizeof done || done.last)
            break;
    }
    _exit(0);
}

/* A new worker, idle, or NULL with the reason logged. conn: the connection
 * about to be handed over, which the worker must not hold a copy of. */
static struct child *start_worker(struct server *s, int conn, const char *peer)
{
    struct child *c = free_entry(s);
    int sv[2] = {-1, -1};
    if (!c || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        dcc_error("cannot start a process for %s: %s", peer, c ? strerror(errno) : "too many");
        return NULL;
    }
    pid_t child = fork();
    if (child < 0) {
        dcc_error("cannot start a process for %s: %s", peer, strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    if (child == 0) {
        reset_child_signals();
        close_daemon_fds(s);
        close(conn);
        close(sv[0]);
        if (nofile_raised)
            setrlimit(RLIMIT_NOFILE, &started_nofile);
        worker_main(s, sv[1]);
    }
    close(sv[1]);
    memset(c, 0, sizeof *c);
    c->pid = child;
    c->ctl = sv[0];
    return c;
}

/* Hands fd to an idle worker (a new one when none is), and closes it here. */
static void start_job(struct server *s, int fd, const char *peer)
{
    struct child *c = NULL;
    for (size_t i = 0; i < s->max_children && !c; i++) {
        struct child *w = &s->children[i];
        if (w->pid && !w->is_stats && !w->busy && !w->retiring && w->ctl >= 0)
            c = w;
    }
    if (!c)
        c = start_worker(s, fd, peer);
    if (!c) {
        close(fd);
        return;
    }
    struct work w;
    memset(&w, 0, sizeof w);
    snprintf(w.peer, sizeof w.peer, "%s", peer);
    note_load(s, peer, &w.load);
    union fd_cmsg cbuf;
    memset(&cbuf, 0, sizeof cbuf);
    struct iovec iov = {.iov_base = &w, .iov_len = sizeof w};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cbuf.buf,
                        .msg_controllen = sizeof cbuf.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    /* An idle worker has nothing queued: the message goes at once. */
    if (sendmsg(c->ctl, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof w) {
        dcc_error("cannot hand the connection from %s to job process %ld: %s", peer, (long)c->pid,
                  strerror(errno));
        c->retiring = 1;
        kill(c->pid, SIGTERM);
        close(fd);
        return;
    }
    close(fd);
    c->busy = 1;
    c->ticket = 0;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    s->conns++;
}

/* Forks the process that serves one stats connection, and closes fd here. */
static void start_stats_child(struct server *s, int fd, const char *peer)
{
    struct child *c = free_entry(s);
    pid_t child = c ? fork() : -1;
    if (child < 0) {
        dcc_error("cannot start a process for %s: %s", peer, c ? strerror(errno) : "too many");
        close(fd);
        return;
    }
    if (child == 0) {
        reset_child_signals();
        close_daemon_fds(s);
        close(s->slot_pipe[1]);
        dccd_serve_stats(s->cfg, fd, peer, &s->stats);
        close(fd);
        _exit(0);
    }
    close(fd);
    memset(c, 0, sizeof *c);
    c->pid = child;
    c->ctl = -1;
    c->is_stats = 1;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    s->stats_running++;
}

static void read_slot_messages(struct server *s);

/* A worker's connection ended: its record counted, its slot (a grant that
 * came too late included) back, and the worker idle again, or retiring. */
static void end_work(struct server *s, struct child *c, const struct work_done *d)
{
    /* Its last slot messages were written before this record: taken first,
     * so none is left to count for its next connection. */
    read_slot_messages(s);
    dcc_stats_record(&s->stats, &d->rec, time(NULL));
    if (c->has_slot)
        s->slots_used--;
    c->has_slot = 0;
    c->ticket = 0;
    c->busy = 0;
    c->retiring |= d->last;
    s->conns--;
}

/* The record a busy worker sent, if there is one. */
static void read_worker(struct server *s, struct child *c)
{
    struct work_done d;
    ssize_t n = recv(c->ctl, &d, sizeof d, MSG_DONTWAIT);
    if (n == (ssize_t)sizeof d)
        end_work(s, c, &d);
    else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        /* Gone, or going: reaped when it has ended. */
        c->retiring = 1;
        close(c->ctl);
        c->ctl = -1;
    }
}

/* The workers whose socket poll saw ready (p: their entries of the poll). */
static void read_workers(struct server *s, const struct pollfd *p, size_t np)
{
    for (size_t k = 0; k < np; k++) {
        if (!p[k].revents)
            continue;
        for (size_t i = 0; i < s->max_children; i++) {
            struct child *c = &s->children[i];
            if (c->pid && !c->is_stats && c->busy && c->ctl == p[k].fd)
                read_worker(s, c);
        }
    }
}

static void reap_children(struct server *s)
{
    pid_t pid;
    int status;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < s->max_children; i++) {
            struct child *c = &s->children[i];
            if (c->pid != pid)
                continue;
            if (!c->is_stats && c->busy && c->ctl >= 0)
                read_worker(s, c); /* its record, sent before it ended */
            if (c->is_stats)
                s->stats_running--;
            else if (c->busy)
                s->conns--;
            if (c->has_slot)
                s->slots_used--;
            if (c->ctl >= 0)
                close(c->ctl);
            if (!c->is_stats && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                dcc_error("job process %ld ended abnormally (status 0x%x)", (long)pid,
                          (unsigned)status);
            memset(c, 0, sizeof *c);
        }
    }
}

static struct child *find_child(struct server *s, pid_t pid)
{
    for (size_t i = 0; i < s->max_children; i++)
        if (s->children[i].pid == pid && !s->children[i].is_stats && s->children[i].busy)
            return &s->children[i];
    return NULL;
}

/* A job process writes its pid to ask for a slot, minus its pid to give it
 * back; requests queue in the order they came. */
static void read_slot_messages(struct server *s)
{
    pid_t msg[64];
    ssize_t n;
    while ((n = read(s->slot_pipe[0], msg, sizeof msg)) > 0) {
        for (size_t k = 0; k < (size_t)n / sizeof msg[0]; k++) {
            struct child *c = find_child(s, msg[k] > 0 ? msg[k] : -msg[k]);
            if (!c)
                continue; /* already gone */
            if (msg[k] > 0 && !c->has_slot && !c->ticket)
                c->ticket = ++s->next_ticket;
            else if (msg[k] < 0 && c->has_slot) {
                c->has_slot = 0;
                s->slots_used--;
            }
        }
    }
}

static void grant_slots(struct server *s)
{
    while (s->slots_used < s->cfg->jobs) {
        struct child *first = NULL;
        for (size_t i = 0; i < s->max_children; i++) {
            struct child *c = &s->children[i];
            if (c->pid && c->ticket && (!first || c->ticket < first->ticket))
                first = c;
        }
        if (!first)
            return;
        first->ticket = 0;
        if (kill(first->pid, SIGUSR1) != 0)
            continue; /* gone; reaped on the next round */
        first->has_slot = 1;
        s->slots_used++;
    }
}

static long long parked_limit_ms(const struct server *s)
{
    return s->cfg->request_timeout > 0 ? (long long)s->cfg->request_timeout * 1000
                                       : s->cfg->io_timeout_ms;
}

/* Serves parked connections whose address is below its cap again, in the
 * order they came, and drops those that waited too long. */
static void serve_parked(struct server *s)
{
    long long now = dcc_now_ms();
    for (size_t i = 0; i < s->nparked; i++) {
        struct parked p = s->parked[i];
        if (s->conns < s->max_conns && conns_from(s, p.peer, 0) < s->cfg->max_per_address) {
            /* Out of the list first: the child must not close its own fd. */
            s->nparked--;
            memmove(&s->parked[i], &s->parked[i + 1], (s->nparked - i) * sizeof p);
            start_job(s, p.fd, p.peer);
            i--;
            continue;
        }
        if (now - p.since_ms > parked_limit_ms(s)) {
            if (p.behind_all)
                dcc_warn(
                    "dropped connection from %s: waited %lld s behind the %d connections served at once",
                    p.peer, (now - p.since_ms) / 1000, s->max_conns);
            else
                dcc_warn(
                    "dropped connection from %s: waited %lld s behind its address's %d connections (--max-per-address)",
                    p.peer, (now - p.since_ms) / 1000, s->cfg->max_per_address);
            dcc_stats_dropped(&s->stats);
            close(p.fd);
            s->nparked--;
            memmove(&s->parked[i], &s->parked[i + 1], (s->nparked - i) * sizeof p);
            i--;
            continue;
        }
    }
}

static void serve_connection(struct server *s, int fd, const char *peer);

static size_t pending_from(const struct server *s, const char *peer)
{
    size_t n = 0;
    for (size_t i = 0; i < s->npending; i++)
        n += strcmp(s->pending[i].peer, peer) == 0;
    return n;
}

enum first_bytes { FIRST_ANSWERED, FIRST_NOT_YET, FIRST_OTHER };

/* Has poll wake the loop for fd only once `bytes` are there (or it ends).
 * A question that stops short (a byte, a header without its body) would
 * otherwise be found readable again at once, and the loop go round and
 * round until PENDING_MS. 1 (the default) again before anyone reads fd:
 * its reads wait for that many bytes too. 0, or -1. */
static int wake_at(int fd, int bytes)
{
    return setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes);
}

/* Looks at what fd has sent so far, without taking it: a whole CAPS
 * question is answered here and fd closed (FIRST_ANSWERED); the start of
 * one, or nothing yet, is FIRST_NOT_YET, with *need the bytes it takes to
 * be whole (or one more look worth it); anything else (a request, a
 * question the loop will not read, an end of stream) is for a job process,
 * which reads, answers or refuses it as always. lowat: fd's SO_RCVLOWAT. */
static enum first_bytes answer_question(struct server *s, int fd, const char *peer, int lowat,
                                        int *need)
{
    char buf[DCC_HEADER_LEN + DCC_CAPS_MAX_QUESTION];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? FIRST_NOT_YET
                                                                         : FIRST_OTHER;
    size_t got = (size_t)n, tok = strlen(DCC_TOK_CAPS);
    if (got == 0 || memcmp(buf, DCC_TOK_CAPS, got < tok ? got : tok) != 0)
        return FIRST_OTHER;
    if (got < DCC_HEADER_LEN) {
        *need = DCC_HEADER_LEN;
        return FIRST_NOT_YET;
    }
    char token[DCC_TOKEN_LEN + 1];
    uint32_t len;
    if (dcc_wire_parse_header(buf, token, &len) != 0 || len == 0 || len > DCC_CAPS_MAX_QUESTION)
        return FIRST_OTHER;
    if (got < DCC_HEADER_LEN + (size_t)len) {
        *need = DCC_HEADER_LEN + (int)len;
        return FIRST_NOT_YET;
    }
    /* The answer (at most DCC_CAPS_MAX_BODY) fits in the send buffer, so
     * the writes do not wait for the client to read either. */
    int sndbuf = 4 * (int)DCC_CAPS_MAX_BODY;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0 ||
        (lowat != 1 && wake_at(fd, 1) != 0))
        return FIRST_OTHER;
    struct dcc_job_record rec;
    note_load(s, peer, &s->cfg->load);
    s->cfg->load_known = 1;
    dccd_answer_question(s->cfg, fd, peer, &rec);
    dcc_stats_record(&s->stats, &rec, time(NULL));
    close(fd);
    return FIRST_ANSWERED;
}

/* Pending connections whose bytes came (p: the loop's poll of them), or
 * whose time is up. Each leaves the list before it is served: a child must
 * not keep the fd of another connection, nor close its own. */
static void serve_pending(struct server *s, const struct pollfd *p, size_t np)
{
    long long now = dcc_now_ms();
    for (size_t i = 0; i < s->npending;) {
        struct pending q = s->pending[i];
        short revents = 0;
        for (size_t k = 0; k < np; k++)
            if (p[k].fd == q.fd)
                revents = p[k].revents;
        int need = q.lowat;
        enum first_bytes fb = revents ? answer_question(s, q.fd, q.peer, q.lowat, &need)
                                      : FIRST_NOT_YET;
        /* Its end of the stream came, or an error: no more bytes will. */
        if (fb == FIRST_NOT_YET && (revents & (POLLRDHUP | POLLHUP | POLLERR)))
            fb = FIRST_OTHER;
        if (fb == FIRST_NOT_YET && now < q.until_ms &&
            (need == q.lowat || wake_at(q.fd, need) == 0)) {
            s->pending[i++].lowat = need;
            continue;
        }
        s->npending--;
        memmove(&s->pending[i], &s->pending[i + 1], (s->npending - i) * sizeof q);
        if (fb == FIRST_ANSWERED)
            continue;
        if (q.lowat != 1 && wake_at(q.fd, 1) != 0) {
            dcc_error("cannot hand the connection from %s over: %s", q.peer, strerror(errno));
            close(q.fd);
            continue;
        }
        serve_connection(s, q.fd, q.peer);
    }
}

static void accept_connection(struct server *s, int is_stats)
{
    struct sockaddr_storage ss;
    socklen_t slen = sizeof ss;
    int fd = accept4(is_stats ? s->stats_fd : s->listen_fd, (struct sockaddr *)&ss, &slen,
                     SOCK_CLOEXEC);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
        /* The connection stays in the backlog and the port ready: poll
         * would return at once, round after round, until a descriptor is
         * free. */
        if (!s->accept_failing)
            dcc_warn("cannot accept a %s connection: %s; accepting again in %d ms",
                     is_stats ? "stats" : "job", strerror(errno), ACCEPT_PAUSE_MS);
        s->accept_failing = 1;
        s->accept_after_ms = dcc_now_ms() + ACCEPT_PAUSE_MS;
        return;
    }
    if (fd < 0)
        return;
    s->accept_failing = 0;
    char peer[64];
    dccd_peer_name(&ss, peer, sizeof peer);
    if (!dcc_acl_allows(&s->cfg->acl, (struct sockaddr *)&ss, slen)) {
        dcc_warn("refused %s connection from %s: not in the --allow list (%s)",
                 is_stats ? "stats" : "job", peer, s->acl_text);
        close(fd);
        return;
    }
    if (is_stats) {
        /* Closed at once, not parked: a page is cheap to ask for again, and
         * info, not a warning, since a scraper may well retry in a loop. */
        if (conns_from(s, peer, 1) >= MAX_STATS_PER_ADDRESS) {
            dcc_info(
                "refused stats connection from %s: %d of its stats connections are served already",
                peer, MAX_STATS_PER_ADDRESS);
            close(fd);
            return;
        }
        start_stats_child(s, fd, peer);
        return;
    }
    dcc_stats_accept(&s->stats);
    int need = 1;
    enum first_bytes fb = s->cfg->auth ? FIRST_OTHER : answer_question(s, fd, peer, 1, &need);
    if (fb == FIRST_ANSWERED)
        return;
    if (fb == FIRST_NOT_YET && s->npending < MAX_PENDING &&
        pending_from(s, peer) < MAX_PENDING_PER_ADDRESS && (need == 1 || wake_at(fd, need) == 0)) {
        struct pending *p = &s->pending[s->npending++];
        p->fd = fd;
        p->until_ms = dcc_now_ms() + PENDING_MS;
        p->lowat = need;
        snprintf(p->peer, sizeof p->peer, "%s", peer);
        return;
    }
    serve_connection(s, fd, peer);
}

/* A job connection that is no question for the loop: its own process, or
 * parked behind its address's --max-per-address, or refused. One that
 * waited for its first bytes was accepted while the daemon had room, which
 * it may not have now: it is parked behind all of them then, for the
 * processes are no more than max_conns (the rest of the table is the stats
 * port's). */
static void serve_connection(struct server *s, int fd, const char *peer)
{
    int behind_all = s->conns >= s->max_conns;
    if (!behind_all && conns_from(s, peer, 0) < s->cfg->max_per_address) {
        start_job(s, fd, peer);
        return;
    }
    if (s->nparked < MAX_PARKED) {
        struct parked *p = &s->parked[s->nparked++];
        p->fd = fd;
        p->since_ms = dcc_now_ms();
        p->behind_all = behind_all;
        snprintf(p->peer, sizeof p->peer, "%s", peer);
        if (behind_all)
            dcc_info("connection from %s waits: %d connections are served already", peer,
                     s->max_conns);
        else
            dcc_info(
                "connection from %s waits: %d of its connections are served already (--max-per-address)",
                peer, s->cfg->max_per_address);
        return;
    }
    if (behind_all)
        dcc_warn("refused job connection from %s: %d connections are served and too many waiting",
                 peer, s->max_conns);
    else
        dcc_warn(
            "refused job connection from %s: it has %d connections served and too many waiting (--max-per-address)",
            peer, s->cfg->max_per_address);
    dcc_stats_overload(&s->stats);
    close(fd);
}

static void run_server(struct server *s)
{
    struct dccd_config *cfg = s->cfg;
    dcc_stats_init(&s->stats, time(NULL));
    dcc_stats_set_max_kids(&s->stats, cfg->jobs);
    dcc_stats_sample_io();
    time_t last_io_sample = time(NULL);
    time_t started = time(NULL);

    while (!stop_requested) {
        if (cfg->lifetime > 0 && time(NULL) - started >= cfg->lifetime) {
            dcc_notice("--lifetime of %d s reached; exiting", cfg->lifetime);
            break;
        }
        /* A full table of connections leaves the rest in the backlog. */
        struct pollfd *p = s->pfds;
        long long paused = s->accept_after_ms - dcc_now_ms();
        int accepting = paused <= 0;
        p[0] = (struct pollfd){.fd = sigchld_pipe[0], .events = POLLIN};
        p[1] = (struct pollfd){.fd = s->slot_pipe[0], .events = POLLIN};
        p[2] = (struct pollfd){.fd = accepting && s->conns < s->max_conns ? s->listen_fd : -1,
                               .events = POLLIN};
        p[3] = (struct pollfd){.fd = accepting && s->stats_fd >= 0 &&
                                             s->stats_running < MAX_STATS_CHILDREN
                                         ? s->stats_fd
                                         : -1,
                               .events = POLLIN};
        size_t np = 4;
        int wait_ms = accepting ? 1000 : (int)paused;
        for (size_t i = 0; i < s->npending; i++) {
            p[np++] = (struct pollfd){.fd = s->pending[i].fd, .events = POLLIN | POLLRDHUP};
            long long left = s->pending[i].until_ms - dcc_now_ms();
            if (left < wait_ms)
                wait_ms = left > 0 ? (int)left : 0;
        }
        size_t workers_at = np;
        for (size_t i = 0; i < s->max_children; i++)
            if (s->children[i].busy && s->children[i].ctl >= 0)
                p[np++] = (struct pollfd){.fd = s->children[i].ctl, .events = POLLIN};
        int n = poll(p, np, wait_ms);
        if (n < 0 && errno != EINTR)
            dccd_die(DCC_EXIT_DISTCC_FAILED, "poll failed: %s", strerror(errno));
        char drain[64];
        while (read(sigchld_pipe[0], drain, sizeof drain) > 0)
            ;
        read_slot_messages(s);
        if (n > 0)
            read_workers(s, p + workers_at, np - workers_at);
        reap_children(s);
        serve_pending(s, p + 4, workers_at - 4);
        serve_parked(s);
        grant_slots(s);
        dcc_stats_set_kids(&s->stats, s->slots_used, time(NULL));
        if (cfg->stats && time(NULL) - last_io_sample >= 60) {
            /* Stats pages render in children: they inherit the last sample. */
            dcc_stats_sample_io();
            last_io_sample = time(NULL);
        }
        if (n <= 0)
            continue;
        if (p[2].revents & POLLIN)
            accept_connection(s, 0);
        if (p[3].revents & POLLIN)
            accept_connection(s, 1);
        dcc_stats_set_kids(&s->stats, s->slots_used, time(NULL));
    }
}

/* Stop: jobs in flight are told to end (they kill their compilers). */
static void stop_children(struct server *s)
{
    for (size_t i = 0; i < s->nparked; i++)
        close(s->parked[i].fd);
    s->nparked = 0;
    for (size_t i = 0; i < s->npending; i++)
        close(s->pending[i].fd);
    s->npending = 0;
    for (size_t i = 0; i < s->max_children; i++)
        if (s->children[i].pid)
            kill(s->children[i].pid, SIGTERM);
    for (int tries = 0; tries < 50; tries++) {
        int left = 0;
        for (size_t i = 0; i < s->max_children; i++) {
            if (s->children[i].pid &&
                waitpid(s->children[i].pid, NULL, WNOHANG) == s->children[i].pid)
                s->children[i].pid = 0;
            left += s->children[i].pid != 0;
        }
        if (!left)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Descriptors open now (the ports, the log, the sandbox's), or a guess on
 * the safe side. */
static rlim_t open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 256;
    rlim_t n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n > 3 ? n - 3 : 0; /* ".", ".." and the directory's own */
}

/* The loop keeps a socket per job process, besides its pending and parked
 * connections: a descriptor short, accept and socketpair fail (connections
 * are dropped, and poll finds the port ready again and again). Raises the
 * soft open-file limit to what s->max_conns needs, or, when the hard limit
 * is lower, serves fewer connections at once and says so. */
static void fit_open_files(struct server *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    started_nofile = rl;
    /* Sixteen spare: an accepted connection, a socket pair being made, a
     * worker that is ending, --zeroconf's Avahi client (opened later). */
    rlim_t fixed = open_fds() + MAX_PENDING + MAX_PARKED + 16;
    rlim_t need = fixed + (rlim_t)s->max_conns;
    if (rl.rlim_cur >= need)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        nofile_raised = 1;
    else
        rl = started_nofile;
    if (rl.rlim_cur >= need)
        return;
    int fit = rl.rlim_cur > fixed ? (int)(rl.rlim_cur - fixed) : 1;
    dcc_warn(
        "the open-file limit of %llu lets this daemon serve %d connections at once, not %d: raise it (ulimit -n, LimitNOFILE=) to %llu",
        (unsigned long long)rl.rlim_cur, fit, s->max_conns, (unsigned long long)need);
    s->max_conns = fit;
}

/* The daemon's life after binding: the pipes and signals the loop and its
 * job processes share, the loop until a signal or --lifetime, and every
 * job process ended before returning. */
void dccd_serve_forever(struct dccd_config *cfg, int listen_fd, int stats_fd)
{
    static struct server srv;
    srv.cfg = cfg;
    srv.listen_fd = listen_fd;
    srv.stats_fd = stats_fd;
    dcc_acl_describe(&cfg->acl, srv.acl_text, sizeof srv.acl_text);
    dcc_notice("distccd %s listening on %s port %d, %d jobs, allowing %s%s", DCC_VERSION,
               cfg->listen_addr ? cfg->listen_addr : "all addresses", cfg->port, cfg->jobs,
               srv.acl_text, cfg->stats ? ", stats enabled" : "");

    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
        pipe2(srv.slot_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        dccd_die(DCC_EXIT_DISTCC_FAILED, "cannot create pipes: %s", strerror(errno));
    /* Job processes write whole pids, which a blocking write keeps whole. */
    fcntl(srv.slot_pipe[1], F_SETFL, fcntl(srv.slot_pipe[1], F_GETFL) & ~O_NONBLOCK);
    cfg->slot_fd = srv.slot_pipe[1];
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    /* SIGUSR1 grants a job process its slot; blocked from the fork on, so
     * one can only arrive where the job process waits for it. */
    sigset_t grant;
    sigemptyset(&grant);
    sigaddset(&grant, SIGUSR1);
    sigprocmask(SIG_BLOCK, &grant, NULL);

    /* Connections are served (read, queued for a slot, answered) by more
     * processes than there are slots: only a job whose source is coming
     * takes a slot, so idle and slow clients cannot hold them. */
    srv.max_conns = cfg->jobs * 4 + 8;
    fit_open_files(&srv);
    srv.max_children = (size_t)srv.max_conns + MAX_STATS_CHILDREN;
    srv.children = calloc(srv.max_children, sizeof *srv.children);
    srv.pfds = calloc(4 + MAX_PENDING + srv.max_children, sizeof *srv.pfds);
    if (!srv.children || !srv.pfds)
        dccd_die(DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    struct dcc_zc_publisher *zc = cfg->zeroconf ? dccd_zeroconf_start(cfg) : NULL;
    run_server(&srv);
    dccd_zeroconf_stop(zc); /* first, so no new client comes */
    stop_children(&srv);
    free(srv.children);
    free(srv.pfds);
}
