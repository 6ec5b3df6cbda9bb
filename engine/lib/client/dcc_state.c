/* Monitor state files: writing this process's binstate_<pid>, reading everyone's for the monitors. */
#include "client/dcc_state.h"

#include "client/dcc_cleanup.h"
#include "base/dcc_exit.h"
#include "client/dcc_paths.h"
#include "proto/dcc_hosts.h"
#include "base/dcc_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__aarch64__)
/* The offsets stock distcc's readers expect on the common 64-bit targets. */
_Static_assert(sizeof(struct dcc_state_record) == 296, "binstate record must be 296 bytes");
_Static_assert(offsetof(struct dcc_state_record, file) == 24, "file at 24");
_Static_assert(offsetof(struct dcc_state_record, host) == 152, "host at 152");
_Static_assert(offsetof(struct dcc_state_record, slot) == 280, "slot at 280");
_Static_assert(offsetof(struct dcc_state_record, phase) == 284, "phase at 284");
_Static_assert(offsetof(struct dcc_state_record, next) == 288, "next at 288");
#endif

static const char *const phase_names[] = {
    [DCC_PHASE_STARTUP] = "Startup", [DCC_PHASE_BLOCKED] = "Blocked",
    [DCC_PHASE_CONNECT] = "Connect", [DCC_PHASE_CPP] = "Preprocess",
    [DCC_PHASE_SEND] = "Send",       [DCC_PHASE_COMPILE] = "Compile",
    [DCC_PHASE_RECEIVE] = "Receive", [DCC_PHASE_DONE] = "Done",
};

const char *dcc_state_phase_name(int phase)
{
    if (phase < 0 || (size_t)phase >= sizeof phase_names / sizeof phase_names[0])
        return "Unknown";
    return phase_names[phase];
}

/* What this process last recorded: stock keeps file and host between calls
 * so later phases need not repeat them. */
static struct dcc_state_record my_state;
static char my_path[PATH_MAX];
static volatile pid_t my_path_pid;
/* The state file, kept open after its first write so each later phase is
 * one pwrite over the whole record (see dcc_state_update). Owned by
 * my_fd_pid: a forked child leaves its parent's copy alone. */
static volatile int my_fd = -1;
static volatile pid_t my_fd_pid;

static void forget_fd(void)
{
    int fd = my_fd;
    my_fd = -1;
    if (fd >= 0)
        close(fd);
}

/* Zero-filled so a shorter name leaves nothing of the longer one behind. */
static void copy_field(char *dst, size_t dstlen, const char *src)
{
    size_t n = strnlen(src, dstlen - 1);
    memset(dst, 0, dstlen);
    memcpy(dst, src, n);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The temporary name must not start with "binstate_": stock monitors read
 * every file that does. */
static int write_record(const char *dir, pid_t pid, char *path, size_t pathlen, char *err,
                        size_t errlen)
{
    char tmp[PATH_MAX + 64];
    int n1 = snprintf(path, pathlen, "%s/" DCC_STATE_PREFIX "%ld", dir, (long)pid);
    int n2 = snprintf(tmp, sizeof tmp, "%s/." DCC_STATE_PREFIX "%ld.tmp", dir, (long)pid);
    if (n1 < 0 || (size_t)n1 >= pathlen || n2 < 0 || (size_t)n2 >= sizeof tmp) {
        dcc_set_err(err, errlen, "state directory name %s is too long", dir);
        return -1;
    }
    /* Registered before it exists: a client interrupted from here on
     * leaves no .tmp. */
    dcc_cleanup_add_file(tmp);
    int fd = open(
        tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0666);
    if (fd < 0) {
        int saved = errno;
        dcc_cleanup_forget_file(tmp);
        dcc_set_err(err, errlen, "cannot write state file %s: %s", tmp, strerror(saved));
        errno = saved;
        return -1;
    }
    ssize_t w = write(fd, &my_state, sizeof my_state);
    int saved = errno;
    if (w != (ssize_t)sizeof my_state) {
        close(fd);
        dcc_set_err(err, errlen, "cannot write state file %s: %s", tmp,
                    w < 0 ? strerror(saved) : "short write");
        unlink(tmp);
        dcc_cleanup_forget_file(tmp);
        errno = EIO;
        return -1;
    }
    /* dcc_state_remove (also from a signal handler) knows the path before
     * the file is there. The pid marks it as whole, so it is cleared while
     * the path changes. */
    pid_t me = getpid();
    if (my_path_pid != me || strcmp(my_path, path) != 0) {
        my_path_pid = 0;
        atomic_signal_fence(memory_order_seq_cst);
        copy_field(my_path, sizeof my_path, path);
        atomic_signal_fence(memory_order_seq_cst);
        my_path_pid = me;
    }
    if (rename(tmp, path) != 0) {
        saved = errno;
        close(fd);
        dcc_set_err(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(saved));
        unlink(tmp);
        dcc_cleanup_forget_file(tmp);
        errno = EIO;
        return -1;
    }
    dcc_cleanup_forget_file(tmp);
    /* The descriptor now names the file under its real name: later phases
     * write through it. */
    forget_fd();
    my_fd_pid = me;
    my_fd = fd;
    return 0;
}

/* One phase after the first: the whole record over the open file, in place.
 * 0, or -1 when the file must be made again (gone, moved, or the write
 * failed). */
static int rewrite_in_place(const char *path)
{
    struct stat st;
    int fd = my_fd;
    if (fd < 0 || my_fd_pid != getpid() || my_path_pid != getpid() || strcmp(my_path, path) != 0)
        return -1;
    /* A stock monitor unlinks files not written for a minute (a long
     * compile): a write to the unlinked file would be seen by no one. */
    if (fstat(fd, &st) != 0 || st.st_nlink == 0)
        return -1;
    if (pwrite(fd, &my_state, sizeof my_state, 0) != (ssize_t)sizeof my_state)
        return -1;
    return 0;
}

int dcc_state_update(const char *distcc_dir, enum dcc_phase phase, const char *file,
                     const char *host, int slot, char *err, size_t errlen)
{
    char top[PATH_MAX], dir[PATH_MAX + 16], path[PATH_MAX + 64];
    pid_t pid = getpid();

    memset(&my_state.next, 0, sizeof my_state.next);
    my_state.struct_size = sizeof my_state;
    my_state.magic = DCC_STATE_MAGIC;
    my_state.cpid = (unsigned long)pid;
    my_state.phase = (int)phase;
    if (file)
        copy_field(my_state.file, sizeof my_state.file, base_name(file));
    if (host)
        copy_field(my_state.host, sizeof my_state.host, host);
    if (slot >= 0)
        my_state.slot = slot;

    if (!distcc_dir) {
        if (dcc_hosts_distcc_dir(top, sizeof top, err, errlen) != 0)
            return DCC_EXIT_IO_ERROR;
        distcc_dir = top;
    }
    int n = snprintf(dir, sizeof dir, "%s/state", distcc_dir);
    if (n < 0 || (size_t)n >= sizeof dir) {
        dcc_set_err(err, errlen, "the distcc directory name %s is too long", distcc_dir);
        return DCC_EXIT_IO_ERROR;
    }
    n = snprintf(path, sizeof path, "%s/" DCC_STATE_PREFIX "%ld", dir, (long)pid);
    if (n > 0 && (size_t)n < sizeof path && rewrite_in_place(path) == 0)
        return 0;
    if (my_fd >= 0 && my_fd_pid != pid)
        forget_fd(); /* a forked child's copy of its parent's descriptor */
    /* state/ exists on every call but the first; create it only when the
     * write says it is missing. */
    if (write_record(dir, pid, path, sizeof path, err, errlen) != 0) {
        if (errno != ENOENT)
            return DCC_EXIT_IO_ERROR;
        if (dcc_paths_make_subdir(distcc_dir, "state", dir, sizeof dir, err, errlen) != 0 ||
            write_record(dir, pid, path, sizeof path, err, errlen) != 0)
            return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

void dcc_state_remove(void)
{
    /* A forked child inherits my_path but did not write it; its exit must
     * not take the parent's file away. */
    if (!my_path[0] || my_path_pid != getpid())
        return;
    int saved = errno;
    unlink(my_path);
    my_path[0] = '\0';
    if (my_fd_pid == getpid())
        forget_fd();
    errno = saved;
}

/* Host and file names are printed to terminals; whoever can write the state
 * directory must not be able to send escape sequences. */
static void copy_printable(char *dst, const char *src, size_t size)
{
    size_t i = 0;
    for (; i + 1 < size && src[i]; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[i] = '\0';
}

static int pid_alive(unsigned long cpid)
{
    /* 0 and negative values would make kill() signal process groups. */
    if (cpid == 0 || cpid > (unsigned long)INT_MAX)
        return 0;
    return kill((pid_t)cpid, 0) == 0 || errno == EPERM;
}

/* When the process started, in seconds since the epoch, from the start time
 * in /proc/PID/stat (clock ticks since boot); -1 when unknown. */
static double process_start_time(unsigned long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%lu/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* The command name may hold anything; fields resume after its last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return -1;
    char *end;
    unsigned long long ticks = strtoull(p + 1, &end, 10);
    long hz = sysconf(_SC_CLK_TCK);
    struct timespec boot, real;
    if (end == p + 1 || hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0 ||
        clock_gettime(CLOCK_REALTIME, &real) != 0)
        return -1;
    double since_boot = (double)boot.tv_sec + boot.tv_nsec / 1e9;
    double now = (double)real.tv_sec + real.tv_nsec / 1e9;
    return now - since_boot + (double)ticks / (double)hz;
}

/* An old state file still describes a running job (a long compile) when its
 * writer lives: the pid exists and started before the file was written. A
 * pid started later is a reuse of a crashed client's pid. */
static int writer_alive(unsigned long cpid, time_t written)
{
    if (!pid_alive(cpid))
        return 0;
    double started = process_start_time(cpid);
    return started < 0 || started <= (double)written + 1.0;
}

static int is_leftover_temp(const char *name)
{
    return name[0] == '.' && dcc_str_startswith(name + 1, DCC_STATE_PREFIX) &&
           dcc_str_endswith(name, ".tmp");
}

/* 1 with *e filled, 0 when the file is not a live job. */
/* Removes name if it still holds the file fstat'ed as st, not a fresh one
 * a client renamed into place meanwhile. */
static void unlink_if_same(int dfd, const char *name, const struct stat *st)
{
    struct stat cur;
    if (fstatat(dfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_ino == st->st_ino &&
        cur.st_dev == st->st_dev)
        unlinkat(dfd, name, 0);
}

static int read_one(int dfd, const char *name, time_t now, int max_age, struct dcc_state_entry *e)
{
    struct stat st;
    struct dcc_state_record rec;
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0)
        return 0; /* gone since readdir, or not ours to read */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    ssize_t got = st.st_size == (off_t)sizeof rec ? read(fd, &rec, sizeof rec) : -1;
    close(fd);
    int valid = got == (ssize_t)sizeof rec && rec.magic == DCC_STATE_MAGIC &&
                rec.struct_size == sizeof rec;
    if (difftime(now, st.st_mtime) > max_age) {
        /* Old: a leftover, unless its writer still runs (a long compile
         * writes no new phase for minutes). */
        if (!valid || !writer_alive(rec.cpid, st.st_mtime)) {
            unlink_if_same(dfd, name, &st);
            return 0;
        }
    }
    if (!valid)
        return 0;
    /* Unsigned like stock's enum, so a negative phase also reads as Compile. */
    if ((unsigned)rec.phase > DCC_PHASE_DONE)
        rec.phase = DCC_PHASE_COMPILE;
    if (rec.phase == DCC_PHASE_DONE || !pid_alive(rec.cpid))
        return 0;
    rec.file[sizeof rec.file - 1] = '\0';
    rec.host[sizeof rec.host - 1] = '\0';
    e->pid = (long)rec.cpid;
    e->phase = rec.phase;
    e->slot = rec.slot;
    copy_printable(e->file, rec.file, sizeof e->file);
    copy_printable(e->host, rec.host, sizeof e->host);
    e->since = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
    e->started = process_start_time(rec.cpid);
    return 1;
}

static int by_host_slot(const void *a, const void *b)
{
    const struct dcc_state_entry *x = a, *y = b;
    int c = strcmp(x->host, y->host);
    if (c)
        return c;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

int dcc_state_read_dir(const char *state_dir, struct dcc_state_list *out, char *err, size_t errlen)
{
    return dcc_state_read_dir_aged(state_dir, DCC_STATE_MAX_AGE, out, err, errlen);
}

int dcc_state_read_dir_aged(const char *state_dir, int max_age, struct dcc_state_list *out,
                            char *err, size_t errlen)
{
    out->items = NULL;
    out->n = 0;
    DIR *d = opendir(state_dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        dcc_set_err(err, errlen, "cannot read state directory %s: %s", state_dir, strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    size_t cap = 0;
    time_t now = time(NULL);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (is_leftover_temp(name)) {
            struct stat st;
            /* A client killed between write and rename leaves one behind. */
            if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                difftime(now, st.st_mtime) > max_age)
                unlinkat(dirfd(d), name, 0);
            continue;
        }
        if (!dcc_str_startswith(name, DCC_STATE_PREFIX))
            continue;
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct dcc_state_entry *p = realloc(out->items, ncap * sizeof *p);
            if (!p) {
                dcc_set_err(err, errlen, "out of memory reading %s", state_dir);
                rc = DCC_EXIT_OUT_OF_MEMORY;
                break;
            }
            out->items = p;
            cap = ncap;
        }
        out->n += (size_t)read_one(dirfd(d), name, now, max_age, &out->items[out->n]);
    }
    closedir(d);
    if (rc != 0) {
        dcc_state_list_free(out);
        return rc;
    }
    if (out->n > 1)
        qsort(out->items, out->n, sizeof *out->items, by_host_slot);
    return 0;
}

void dcc_state_list_free(struct dcc_state_list *list)
{
    free(list->items);
    list->items = NULL;
    list->n = 0;
}
