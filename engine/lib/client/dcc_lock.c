/* Host slots and backoff: lock files in $DISTCC_DIR/lock that stock distcc clients also honour. */
#include "client/dcc_lock.h"
#include "client/dcc_paths.h"
#include "base/dcc_exit.h"
#include "proto/dcc_settings.h"

#include "base/dcc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Compatibility. Stock distcc takes a whole-file write lock with
 * fcntl(F_SETLK) on cpu_<name>_<slot>. We take the same whole-file write
 * lock, as an open-file-description lock (F_OFD_SETLK) where the kernel has
 * them (Linux 3.15+). The two kinds conflict with each other, so stock and
 * our clients exclude each other on the same files. OFD locks are preferred
 * because classic POSIX locks belong to the process: a second lock on a file
 * the process already holds "succeeds", and closing either fd drops both.
 * A client that holds cpu_localhost_0 as its chosen host and then asks for a
 * cpp slot would silently lose its first lock; with OFD locks it gets the
 * next slot instead. Either kind vanishes when the holder dies.
 *
 * Waiting. When every slot is busy, stock sleeps DISTCC_PAUSE_TIME_MSEC and
 * tries again. Our waiters form a queue, one per kind of request
 * (lock/wait_localhost_<n> for local and cpp slots, lock/wait_hosts_<hash>
 * for a host list): they block in flock(LOCK_EX) on the queue file, which
 * the kernel grants one waiter at a time, oldest first, and only the
 * holder, the head, watches the slots. With many more jobs than slots
 * (make -j 4N+1) this makes a release wake one process instead of every
 * waiter, each of which would re-scan every slot file. The head watches
 * the lock directory with inotify for IN_CLOSE_WRITE: every holder (ours or
 * stock's) opened its lock file for writing and closes it when it unlocks
 * or dies, so a release wakes the head at once, and the event names the
 * file, which the head then tries alone. The watch is set up before the
 * head's first full scan, so a release cannot slip between "all busy" and
 * "sleep". Slots are probed through a read-only descriptor (F_GETLK)
 * before they are locked, and the queue file is opened read-only: closing
 * either raises no IN_CLOSE_WRITE, so waiters' own attempts wake nobody.
 * The pause stays as the longest sleep, with a full scan after it, a
 * safety net for what inotify cannot see (a lock directory on NFS, a
 * holder that unlocks but keeps the file open), and is the only mechanism
 * when inotify is unavailable (fs.inotify.max_user_instances, 128 by
 * default; only heads use an instance now). A job that arrives while others
 * wait joins the queue without a scan; one that finds no queue scans once
 * first (it may take a freed slot ahead of a head, as a stock client may).
 * A head stopped by a signal holds up the waiters of its kind (not stock
 * clients nor ours with other host lists) until it goes on or dies. A wait with a timeout (tests, callers that try for a while)
 * does not queue, as flock cannot time out: it watches on its own.
 */

/* Cleared the first time the kernel refuses F_OFD_* (EINVAL before 3.15). */
static int ofd_locks = 1;

void dcc_lock_opts_from_settings(struct dcc_lock_opts *o, const struct dcc_settings *s)
{
    o->distcc_dir = NULL;
    if (s->str[DCC_SET_DIR] && *s->str[DCC_SET_DIR])
        o->distcc_dir = s->str[DCC_SET_DIR];
    o->pause_msec = (int)s->num[DCC_SET_PAUSE_TIME_MSEC];
    o->backoff_period = (int)s->num[DCC_SET_BACKOFF_PERIOD];
    o->timeout_msec = -1;
}

void dcc_lock_opts_init(struct dcc_lock_opts *o)
{
    struct dcc_settings s;
    char ignored[256];
    /* Only DISTCC_IO_TIMEOUT can be bad, and it is not ours. */
    (void)dcc_settings_load(&s, ignored, sizeof ignored);
    dcc_lock_opts_from_settings(o, &s);
}

void dcc_lock_init(struct dcc_lock *lock)
{
    lock->fd = -1;
    lock->host_index = 0;
    lock->slot = -1;
    lock->name[0] = '\0';
}

static int lock_dir(const struct dcc_lock_opts *o, char *dir, size_t dirlen, char *err,
                    size_t errlen)
{
    return dcc_paths_make_subdir(o->distcc_dir, "lock", dir, dirlen, err, errlen);
}

/* lock/<kind>_<name>_<slot>, the layout stock's dcc_make_lock_filename uses. */
static int file_path(char *buf, size_t buflen, const char *dir, const char *kind, const char *name,
                     int slot, char *err, size_t errlen)
{
    int n = snprintf(buf, buflen, "%s/%s_%s_%d", dir, kind, name, slot);
    if (n < 0 || (size_t)n >= buflen) {
        dcc_set_err(err, errlen, "lock file name in %s is too long", dir);
        return -1;
    }
    return 0;
}

/* Writable because a write lock needs it; O_NOFOLLOW and O_NONBLOCK so a
 * symlink or FIFO planted in a shared lock directory can neither redirect
 * the create nor hang the compiler. */
static int open_for_lock(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0666);
    if (fd < 0)
        dcc_set_err(err, errlen, "cannot open lock file %s: %s", path, strerror(errno));
    return fd;
}

static int lock_cmd(int ofd_cmd, int posix_cmd, int fd, struct flock *fl)
{
    if (ofd_locks) {
        fl->l_pid = 0; /* required by F_OFD_* */
        if (fcntl(fd, ofd_cmd, fl) == 0)
            return 0;
        if (errno != EINVAL)
            return -1;
        ofd_locks = 0;
    }
    return fcntl(fd, posix_cmd, fl);
}

static int whole_file_lock(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    return lock_cmd(F_OFD_SETLK, F_SETLK, fd, &fl);
}

/* 0 held, DCC_EXIT_BUSY, or DCC_EXIT_IO_ERROR. */
static int try_path(const char *path, int *fd_out, char *err, size_t errlen)
{
    int fd = open_for_lock(path, err, errlen);
    if (fd < 0)
        return DCC_EXIT_IO_ERROR;
    if (whole_file_lock(fd, F_WRLCK) == 0) {
        *fd_out = fd;
        return 0;
    }
    int saved = errno;
    close(fd);
    if (saved == EAGAIN || saved == EACCES)
        return DCC_EXIT_BUSY;
    dcc_set_err(err, errlen, "cannot lock %s: %s", path, strerror(saved));
    return DCC_EXIT_IO_ERROR;
}

/* 1 when nobody seems to hold path. Read-only, so closing it raises no
 * IN_CLOSE_WRITE for other waiters; errors say "free" and let the real
 * attempt report them. */
static int looks_free(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0)
        return 1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int rc = lock_cmd(F_OFD_GETLK, F_GETLK, fd, &fl);
    close(fd);
    return rc != 0 || fl.l_type == F_UNLCK;
}

static int check_name(const char *name, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n == 0 || n >= DCC_LOCK_NAME_MAX || strchr(name, '/') || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0) {
        dcc_set_err(err, errlen, "bad lock name \"%.64s\"", name);
        return -1;
    }
    return 0;
}

static void fill_lock(struct dcc_lock *lock, int fd, size_t host_index, const char *name, int slot)
{
    lock->fd = fd;
    lock->host_index = host_index;
    lock->slot = slot;
    snprintf(lock->name, sizeof lock->name, "%s", name);
}

int dcc_lock_try(const struct dcc_lock_opts *o, const char *name, int slot, struct dcc_lock *lock,
                 char *err, size_t errlen)
{
    char dir[PATH_MAX], path[PATH_MAX + DCC_LOCK_NAME_MAX + 32];
    dcc_lock_init(lock);
    if (check_name(name, err, errlen) != 0 || slot < 0) {
        if (slot < 0)
            dcc_set_err(err, errlen, "bad lock slot %d", slot);
        return DCC_EXIT_IO_ERROR;
    }
    int rc = lock_dir(o, dir, sizeof dir, err, errlen);
    if (rc != 0)
        return rc;
    if (file_path(path, sizeof path, dir, "cpu", name, slot, err, errlen) != 0)
        return DCC_EXIT_IO_ERROR;
    int fd;
    rc = try_path(path, &fd, err, errlen);
    if (rc == 0)
        fill_lock(lock, fd, 0, name, slot);
    return rc;
}

void dcc_lock_release(struct dcc_lock *lock)
{
    if (lock->fd < 0)
        return;
    /* Unlock before close: with an OFD lock a forked child that still has
     * the descriptor would otherwise keep the slot. */
    (void)whole_file_lock(lock->fd, F_UNLCK);
    /* Waiters wake on IN_CLOSE_WRITE, which only the last close of the
     * open file raises; after a fork the child may still share it. A
     * throw-away writable open makes the event certain. */
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", lock->fd);
    int nudge = open(self, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (nudge >= 0)
        close(nudge);
    close(lock->fd);
    lock->fd = -1;
}

/* Where lock/ is, without creating it: checking or clearing a mark needs
 * no directory, and a scan checks every host. */
static int lock_dir_name(const struct dcc_lock_opts *o, char *dir, size_t dirlen, char *err,
                         size_t errlen)
{
    return dcc_paths_subdir_name(o->distcc_dir, "lock", dir, dirlen, err, errlen);
}

static int backoff_file(const char *dir, const struct dcc_host *h, char *path, size_t pathlen,
                        char *err, size_t errlen)
{
    char name[DCC_LOCK_NAME_MAX];
    if (dcc_hosts_lock_name(h, name, sizeof name) != 0 || check_name(name, err, errlen) != 0) {
        dcc_set_err(err, errlen, "cannot make a lock name for host \"%.64s\"",
                    h->spec ? h->spec : "");
        return DCC_EXIT_IO_ERROR;
    }
    return file_path(path, pathlen, dir, "backoff", name, 0, err, errlen) == 0 ? 0
                                                                               : DCC_EXIT_IO_ERROR;
}

static int in_backoff_at(const char *dir, int period, const struct dcc_host *h)
{
    char path[PATH_MAX + DCC_LOCK_NAME_MAX + 32], ignored[256];
    struct stat st;
    if (period <= 0)
        return 0;
    if (backoff_file(dir, h, path, sizeof path, ignored, sizeof ignored) != 0 ||
        stat(path, &st) != 0)
        return 0;
    double age = difftime(time(NULL), st.st_mtime);
    /* A mark from a clock far in the future (a shared directory, a wrong
     * clock) would otherwise bar the host until that date. */
    return age < period && age > -(double)period;
}

/* What a scan may lock: a stem with its slot count, or a skipped host. */
struct target {
    char name[DCC_LOCK_NAME_MAX];
    int n_slots;
    int usable;
};

struct request {
    const struct dcc_lock_opts *o;
    const struct dcc_hostlist *list; /* NULL: the local pseudo-host */
    int local_slots;
    struct target *targets;
    size_t n_targets;
    char dir[PATH_MAX];
};

/* Re-evaluated before every scan so a host that failed for another client
 * while we waited is no longer chosen. 0, or DCC_EXIT_NO_HOSTS. */
static int refresh_targets(struct request *r)
{
    size_t usable = 0;
    if (!r->list) {
        r->targets[0].usable = 1;
        return 0;
    }
    for (size_t i = 0; i < r->n_targets; i++) {
        r->targets[i].usable = !in_backoff_at(r->dir, r->o->backoff_period, &r->list->hosts[i]);
        usable += (size_t)r->targets[i].usable;
    }
    return usable ? 0 : DCC_EXIT_NO_HOSTS;
}

/* Slot-major, host-minor: slot 0 of every host before any slot 1. */
static int scan(struct request *r, int probe_first, struct dcc_lock *lock, char *err, size_t errlen)
{
    char path[PATH_MAX + DCC_LOCK_NAME_MAX + 32];
    int max_slots = 0;
    int rc = refresh_targets(r);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < r->n_targets; i++)
        if (r->targets[i].usable && r->targets[i].n_slots > max_slots)
            max_slots = r->targets[i].n_slots;
    for (int slot = 0; slot < max_slots; slot++) {
        for (size_t i = 0; i < r->n_targets; i++) {
            const struct target *t = &r->targets[i];
            if (!t->usable || slot >= t->n_slots)
                continue;
            if (file_path(path, sizeof path, r->dir, "cpu", t->name, slot, err, errlen) != 0)
                return DCC_EXIT_IO_ERROR;
            if (probe_first && !looks_free(path))
                continue;
            int fd;
            rc = try_path(path, &fd, err, errlen);
            if (rc == 0) {
                fill_lock(lock, fd, i, t->name, slot);
                return 0;
            }
            if (rc != DCC_EXIT_BUSY)
                return rc;
        }
    }
    return DCC_EXIT_BUSY;
}

/* Sets up the watch; -1 when inotify is unavailable and sleeping must do. */
static int watch_lock_dir(const char *dir)
{
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return -1;
    if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The target and slot a lock file name "cpu_<stem>_<slot>" stands for in
 * this request; 0 when it is none of ours. */
static int named_slot(const struct request *r, const char *name, size_t *index, int *slot)
{
    const char *sep = strrchr(name, '_');
    if (strncmp(name, "cpu_", 4) != 0 || !sep || sep < name + 5 || !sep[1])
        return 0;
    long v = 0;
    for (const char *p = sep + 1; *p; p++) {
        if (*p < '0' || *p > '9' || v > INT_MAX / 10)
            return 0;
        v = v * 10 + (*p - '0');
    }
    size_t stem = (size_t)(sep - (name + 4));
    for (size_t i = 0; i < r->n_targets; i++) {
        const struct target *t = &r->targets[i];
        if (strlen(t->name) == stem && memcmp(t->name, name + 4, stem) == 0 && v < t->n_slots) {
            *index = i;
            *slot = (int)v;
            return 1;
        }
    }
    return 0;
}

/* After a wake-up: tries only the slots whose files were just closed by a
 * writer, i.e. released. 0 with *lock held, else DCC_EXIT_BUSY; *rescan is
 * set when the events were lost (queue overflow) and a full scan is due. */
static int try_released(struct request *r, int ino, struct dcc_lock *lock, int *rescan)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    char path[PATH_MAX + DCC_LOCK_NAME_MAX + 32], ignored[256];
    int got = 0;
    ssize_t len;
    while ((len = read(ino, buf, sizeof buf)) > 0) {
        for (char *p = buf; p + sizeof(struct inotify_event) <= buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW)
                *rescan = 1;
            size_t i;
            int slot;
            if (got || ev->len == 0 || p > buf + len || ev->name[ev->len - 1] != '\0' ||
                !named_slot(r, ev->name, &i, &slot))
                continue;
            if (r->list && in_backoff_at(r->dir, r->o->backoff_period, &r->list->hosts[i]))
                continue;
            if (file_path(path, sizeof path, r->dir, "cpu", r->targets[i].name, slot, ignored,
                          sizeof ignored) != 0 ||
                !looks_free(path))
                continue;
            int fd;
            if (try_path(path, &fd, ignored, sizeof ignored) == 0) {
                fill_lock(lock, fd, i, r->targets[i].name, slot);
                got = 1; /* the rest of the events are read and dropped */
            }
        }
    }
    return got ? 0 : DCC_EXIT_BUSY;
}

/* Waits at the head of the queue, the one waiter of its kind that watches
 * the slots. 0 with *lock held, or what scan returned, or DCC_EXIT_BUSY at
 * the deadline. */
static int wait_as_head(struct request *r, long long deadline, int pause, struct dcc_lock *lock,
                        char *err, size_t errlen)
{
    int ino = watch_lock_dir(r->dir);
    int rc, rescan = 1;
    if (ino < 0 && r->o->pause_msec <= 0)
        pause = 1; /* without inotify, a 1 ms nap for stock's spin keeps a core free */
    for (;;) {
        if (rescan) {
            rc = scan(r, 1, lock, err, errlen);
            if (rc != DCC_EXIT_BUSY)
                break;
        }
        int wait_ms = pause;
        if (deadline >= 0) {
            long long left = deadline - dcc_now_ms();
            if (left <= 0) {
                rc = DCC_EXIT_BUSY;
                break;
            }
            if (left < wait_ms)
                wait_ms = (int)left;
        }
        rescan = 1;
        if (ino >= 0) {
            struct pollfd p = {.fd = ino, .events = POLLIN};
            if (poll(&p, 1, wait_ms) > 0) {
                rescan = 0;
                if (try_released(r, ino, lock, &rescan) == 0) {
                    rc = 0;
                    break;
                }
            }
        } else {
            sleep_ms(wait_ms);
        }
    }
    if (ino >= 0)
        close(ino);
    return rc;
}

/* lock/wait_<kind>: one queue per kind of request, so a job that holds a
 * helper slot and waits for a cpp slot never queues behind jobs that wait
 * for a helper slot (that would deadlock). Local requests are named by
 * their slot count, host lists by a hash of their names and counts; two
 * lists that share a hash share a queue, which is slower, never wrong, as
 * every host-list waiter holds no other slot. */
static int queue_path(const struct request *r, char *path, size_t len)
{
    int n;
    if (!r->list) {
        n = snprintf(path, len, "%s/wait_localhost_%d", r->dir, r->targets[0].n_slots);
    } else {
        uint64_t h = 14695981039346656037ULL; /* FNV-1a */
        for (size_t i = 0; i < r->n_targets; i++) {
            for (const char *c = r->targets[i].name; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ULL;
            h = (h ^ (unsigned)r->targets[i].n_slots) * 1099511628211ULL;
            h = (h ^ 0xffu) * 1099511628211ULL;
        }
        n = snprintf(path, len, "%s/wait_hosts_%016llx", r->dir, (unsigned long long)h);
    }
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* 1 when the queue has a head, that is, jobs wait for this kind of slot. */
static int queue_is_held(const struct request *r)
{
    char path[PATH_MAX + 64];
    if (queue_path(r, path, sizeof path) != 0)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    int held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* drops the shared lock if it was granted */
    return held;
}

/* Blocks until this process heads the queue; returns the queue file's
 * descriptor, whose close lets the next in. -1 when the queue file cannot
 * be used: then this waiter watches on its own, as all did before. It is
 * opened read-only, so neither the create nor the close wakes a head;
 * flock waiters are let in one at a time, oldest first. */
static int join_queue(const struct request *r)
{
    char path[PATH_MAX + 64];
    struct stat st;
    if (queue_path(r, path, sizeof path) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0666);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        for (;;) {
            if (flock(fd, LOCK_EX) == 0)
                return fd;
            if (errno != EINTR)
                break;
        }
    }
    close(fd);
    return -1;
}

static int acquire(struct request *r, struct dcc_lock *lock, char *err, size_t errlen)
{
    const struct dcc_lock_opts *o = r->o;
    dcc_lock_init(lock);
    int rc = lock_dir(o, r->dir, sizeof r->dir, err, errlen);
    if (rc != 0)
        return rc;
    /* flock has no timeout, so only unbounded waits (the client's) queue;
     * one with a timeout watches on its own. Jobs that already wait are
     * owed the next slots: join them without a scan (one scan per waiter
     * and release is what the queue saves). Else one scan, probing first,
     * as a busy slot's failed attempt would wake the heads. */
    int queued = o->timeout_msec < 0;
    if (!queued || !queue_is_held(r)) {
        rc = scan(r, 1, lock, err, errlen);
        if (rc != DCC_EXIT_BUSY || o->timeout_msec == 0)
            return rc;
    }
    long long deadline = o->timeout_msec > 0 ? dcc_now_ms() + o->timeout_msec : -1;
    /* A zero pause makes stock spin; we need none (see wait_as_head). */
    int pause = o->pause_msec > 0 ? o->pause_msec
                                  : (int)dcc_settings_table[DCC_SET_PAUSE_TIME_MSEC].def_num;
    int queue = queued ? join_queue(r) : -1;
    rc = wait_as_head(r, deadline, pause, lock, err, errlen);
    if (queue >= 0)
        close(queue); /* the next in the queue becomes the head */
    return rc;
}

int dcc_lock_pick_host(const struct dcc_lock_opts *o, const struct dcc_hostlist *list,
                       struct dcc_lock *lock, char *err, size_t errlen)
{
    dcc_lock_init(lock);
    if (!list || list->n == 0) {
        dcc_set_err(err, errlen, "no hosts to choose from");
        return DCC_EXIT_NO_HOSTS;
    }
    struct request r = {.o = o, .list = list, .n_targets = list->n};
    r.targets = calloc(list->n, sizeof *r.targets);
    if (!r.targets) {
        dcc_set_err(err, errlen, "out of memory choosing a host");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    for (size_t i = 0; i < list->n; i++) {
        if (dcc_hosts_lock_name(&list->hosts[i], r.targets[i].name, sizeof r.targets[i].name) !=
                0 ||
            check_name(r.targets[i].name, err, errlen) != 0) {
            dcc_set_err(err, errlen, "cannot make a lock name for host \"%.64s\"",
                        list->hosts[i].spec);
            free(r.targets);
            return DCC_EXIT_IO_ERROR;
        }
        r.targets[i].n_slots = list->hosts[i].n_slots;
    }
    int rc = acquire(&r, lock, err, errlen);
    if (rc == DCC_EXIT_NO_HOSTS)
        dcc_set_err(err, errlen, "every host is in backoff after a recent failure");
    else if (rc == DCC_EXIT_BUSY)
        dcc_set_err(err, errlen, "every host slot is still busy after %d ms", o->timeout_msec);
    free(r.targets);
    return rc;
}

static int local_slot(const struct dcc_lock_opts *o, int n, struct dcc_lock *lock, char *err,
                      size_t errlen)
{
    struct target t = {.name = "localhost", .n_slots = n < 1 ? 1 : n};
    struct request r = {.o = o, .targets = &t, .n_targets = 1};
    int rc = acquire(&r, lock, err, errlen);
    if (rc == DCC_EXIT_BUSY)
        dcc_set_err(err, errlen, "every local slot is still busy after %d ms", o->timeout_msec);
    return rc;
}

int dcc_lock_local_slot(const struct dcc_lock_opts *o, int n, struct dcc_lock *lock, char *err,
                        size_t errlen)
{
    return local_slot(o, n, lock, err, errlen);
}

int dcc_lock_cpp_slot(const struct dcc_lock_opts *o, int n, struct dcc_lock *lock, char *err,
                      size_t errlen)
{
    return local_slot(o, n, lock, err, errlen);
}

int dcc_lock_backoff_mark(const struct dcc_lock_opts *o, const struct dcc_host *h, char *err,
                          size_t errlen)
{
    char dir[PATH_MAX], path[PATH_MAX + DCC_LOCK_NAME_MAX + 32];
    if (o->backoff_period == 0)
        return 0;
    int rc = lock_dir(o, dir, sizeof dir, err, errlen);
    if (rc == 0)
        rc = backoff_file(dir, h, path, sizeof path, err, errlen);
    if (rc != 0)
        return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0666);
    if (fd < 0) {
        dcc_set_err(err, errlen, "cannot mark %s: %s", path, strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    /* Opening an existing file does not touch its mtime; the mtime is the mark. */
    rc = futimens(fd, NULL);
    int saved = errno;
    close(fd);
    if (rc != 0) {
        dcc_set_err(err, errlen, "cannot set the time of %s: %s", path, strerror(saved));
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

int dcc_lock_backoff_clear(const struct dcc_lock_opts *o, const struct dcc_host *h, char *err,
                           size_t errlen)
{
    char dir[PATH_MAX], path[PATH_MAX + DCC_LOCK_NAME_MAX + 32];
    if (o->backoff_period == 0)
        return 0;
    int rc = lock_dir_name(o, dir, sizeof dir, err, errlen);
    if (rc == 0)
        rc = backoff_file(dir, h, path, sizeof path, err, errlen);
    if (rc != 0)
        return rc;
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR) {
        dcc_set_err(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

int dcc_lock_in_backoff(const struct dcc_lock_opts *o, const struct dcc_host *h)
{
    char dir[PATH_MAX], ignored[256];
    if (o->backoff_period <= 0 || lock_dir_name(o, dir, sizeof dir, ignored, sizeof ignored) != 0)
        return 0;
    return in_backoff_at(dir, o->backoff_period, h);
}
