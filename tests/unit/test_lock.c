/* Unit tests for dcc_lock: slot files, fill order, contention between processes, waiting, backoff. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "client/dcc_lock.h"
#include "test_helpers.h"

/* ---- fixture and helpers ------------------------------------------------ */

struct fixture {
    char dir[64];
    struct dcc_lock_opts o;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/dcc-lock-test.XXXXXX") != 0) {
        free(f);
        return -1;
    }
    unsetenv("DISTCC_PAUSE_TIME_MSEC");
    unsetenv("DISTCC_BACKOFF_PERIOD");
    dcc_lock_opts_init(&f->o);
    f->o.distcc_dir = f->dir;
    f->o.timeout_msec = 0;
    umask(022);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dcc_test_rmtree(f->dir);
    free(f);
    return 0;
}

static void path_in(const struct fixture *f, const char *rel, char *buf, size_t len)
{
    dcc_test_path_in(buf, len, f->dir, rel);
}

static int exists(const struct fixture *f, const char *rel)
{
    char p[PATH_MAX];
    path_in(f, rel, p, sizeof p);
    return dcc_test_exists(p);
}

static void parse_hosts(const char *text, struct dcc_hostlist *list)
{
    char err[256] = "";
    if (dcc_hosts_parse(text, list, err, sizeof err) != 0)
        fail_msg("parsing \"%s\": %s", text, err);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits (bounded) for one byte from a child so tests never hang. */
static char read_byte(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c = 0;
    if (poll(&p, 1, 10000) != 1 || read(fd, &c, 1) != 1)
        fail_msg("child did not report within 10 s");
    return c;
}

static void write_byte(int fd, char c)
{
    if (write(fd, &c, 1) != 1)
        _exit(90);
}

static int reap(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A child that takes cpu_<name>_<slot>, says 'L' (or 'B' if busy), then
 * waits for a byte on `go` and exits, releasing the lock as it goes. */
static pid_t spawn_holder(struct fixture *f, const char *name, int slot, int *report, int *go)
{
    int up[2], down[2];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        struct dcc_lock l;
        char err[256];
        int rc = dcc_lock_try(&f->o, name, slot, &l, err, sizeof err);
        write_byte(up[1], rc == 0 ? 'L' : rc == DCC_EXIT_BUSY ? 'B' : 'E');
        char c;
        if (read(down[0], &c, 1) == 1 && c == 'r') {
            /* Release while staying alive: waking must not depend on exit. */
            dcc_lock_release(&l);
            write_byte(up[1], 'R');
            (void)read(down[0], &c, 1);
        }
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    *report = up[0];
    *go = down[1];
    return pid;
}

/* ---- lock files ---------------------------------------------------------- */

static void test_lock_file_is_named_like_stock_and_kept(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock l;
    char err[256] = "", p[PATH_MAX];
    struct stat st;

    assert_int_equal(dcc_lock_try(&f->o, "tcp_box_3632", 2, &l, err, sizeof err), 0);
    assert_true(l.fd >= 0);
    assert_int_equal(l.slot, 2);
    assert_string_equal(l.name, "tcp_box_3632");

    path_in(f, "lock/cpu_tcp_box_3632_2", p, sizeof p);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    path_in(f, "lock", p, sizeof p);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);

    /* The descriptor must not leak into compilers the client runs. */
    assert_int_equal(fcntl(l.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

    dcc_lock_release(&l);
    assert_int_equal(l.fd, -1);
    dcc_lock_release(&l); /* twice is harmless */
    assert_true(exists(f, "lock/cpu_tcp_box_3632_2"));
}

static void test_group_writable_umask_gives_group_writable_files(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock l;
    char err[256] = "", p[PATH_MAX];
    struct stat st;

    umask(002);
    assert_int_equal(dcc_lock_try(&f->o, "localhost", 0, &l, err, sizeof err), 0);
    dcc_lock_release(&l);
    path_in(f, "lock/cpu_localhost_0", p, sizeof p);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0664);
    path_in(f, "lock", p, sizeof p);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0775);
}

static void test_directory_errors_reach_the_caller_of_a_lock(void **state)
{
    struct fixture *f = *state;
    char base[PATH_MAX], bad[PATH_MAX + 16], err[512] = "";

    /* A regular file where a directory should be. */
    path_in(f, "plain", base, sizeof base);
    int fd = open(base, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    close(fd);
    snprintf(bad, sizeof bad, "%s/sub", base);

    struct dcc_lock l;
    struct dcc_lock_opts o = f->o;
    o.distcc_dir = bad;
    assert_int_equal(dcc_lock_local_slot(&o, 4, &l, err, sizeof err), DCC_EXIT_IO_ERROR);
    assert_int_equal(l.fd, -1);
    assert_non_null(strstr(err, "Not a directory"));
}

static void test_bad_names_are_refused(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock l;
    char err[256] = "";
    assert_int_equal(dcc_lock_try(&f->o, "../x", 0, &l, err, sizeof err), DCC_EXIT_IO_ERROR);
    assert_string_equal(err, "bad lock name \"../x\"");
    assert_int_equal(dcc_lock_try(&f->o, "", 0, &l, err, sizeof err), DCC_EXIT_IO_ERROR);
    assert_int_equal(dcc_lock_try(&f->o, "x", -1, &l, err, sizeof err), DCC_EXIT_IO_ERROR);
    assert_string_equal(err, "bad lock slot -1");
}

static void test_options_come_from_the_environment(void **state)
{
    (void)state;
    struct dcc_lock_opts o;
    unsetenv("DISTCC_DIR");
    setenv("DISTCC_PAUSE_TIME_MSEC", "250", 1);
    setenv("DISTCC_BACKOFF_PERIOD", "0", 1);
    dcc_lock_opts_init(&o);
    assert_null(o.distcc_dir); /* later: $HOME/.distcc */
    assert_int_equal(o.pause_msec, 250);
    assert_int_equal(o.backoff_period, 0);
    assert_int_equal(o.timeout_msec, -1);

    /* A typo keeps the default instead of becoming 0 (no backoff, spinning). */
    setenv("DISTCC_PAUSE_TIME_MSEC", "1s", 1);
    setenv("DISTCC_BACKOFF_PERIOD", "-5", 1);
    dcc_lock_opts_init(&o);
    assert_int_equal(o.pause_msec, 1000);
    assert_int_equal(o.backoff_period, 60);
    unsetenv("DISTCC_PAUSE_TIME_MSEC");
    unsetenv("DISTCC_BACKOFF_PERIOD");
    dcc_lock_opts_init(&o);
    assert_int_equal(o.pause_msec, 1000);
    assert_int_equal(o.backoff_period, 60);

    /* DISTCC_DIR comes with the settings; empty means unset. */
    setenv("DISTCC_DIR", "/var/tmp/portage/.distcc", 1);
    dcc_lock_opts_init(&o);
    assert_string_equal(o.distcc_dir, "/var/tmp/portage/.distcc");
    setenv("DISTCC_DIR", "", 1);
    dcc_lock_opts_init(&o);
    assert_null(o.distcc_dir);
    unsetenv("DISTCC_DIR");
}

/* ---- choosing a host ------------------------------------------------------- */

static void test_slot_zero_of_every_host_fills_first(void **state)
{
    struct fixture *f = *state;
    struct dcc_hostlist list;
    parse_hosts("a/2 b/3 localhost/1", &list);
    static const struct {
        size_t host;
        int slot;
        const char *name;
    } want[] = {
        {0, 0, "tcp_a_3632"}, {1, 0, "tcp_b_3632"}, {2, 0, "localhost"},
        {0, 1, "tcp_a_3632"}, {1, 1, "tcp_b_3632"}, {1, 2, "tcp_b_3632"},
    };
    struct dcc_lock held[6];
    char err[256] = "";
    /* Each lock belongs to its own open file, so one process filling every
     * slot sees the same order as six clients would. */
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(dcc_lock_pick_host(&f->o, &list, &held[i], err, sizeof err), 0);
        assert_int_equal(held[i].host_index, want[i].host);
        assert_int_equal(held[i].slot, want[i].slot);
        assert_string_equal(held[i].name, want[i].name);
    }
    struct dcc_lock extra;
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &extra, err, sizeof err), DCC_EXIT_BUSY);
    assert_string_equal(err, "every host slot is still busy after 0 ms");
    assert_int_equal(extra.fd, -1);

    /* A freed slot is the next one handed out, even a late one. */
    dcc_lock_release(&held[4]);
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &extra, err, sizeof err), 0);
    assert_int_equal(extra.host_index, 1);
    assert_int_equal(extra.slot, 1);
    dcc_lock_release(&extra);
    for (size_t i = 0; i < 6; i++)
        dcc_lock_release(&held[i]);
    assert_true(exists(f, "lock/cpu_tcp_b_3632_2"));
    assert_false(exists(f, "lock/cpu_tcp_a_3632_2"));
    dcc_hosts_free(&list);
}

static void test_empty_list_has_no_hosts(void **state)
{
    struct fixture *f = *state;
    struct dcc_hostlist list;
    struct dcc_lock l;
    char err[256] = "";
    parse_hosts("", &list);
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &l, err, sizeof err), DCC_EXIT_NO_HOSTS);
    assert_string_equal(err, "no hosts to choose from");
    dcc_hosts_free(&list);
}

static void test_two_processes_never_share_a_slot(void **state)
{
    struct fixture *f = *state;
    int report, go;
    pid_t child = spawn_holder(f, "tcp_a_3632", 0, &report, &go);
    assert_int_equal(read_byte(report), 'L');

    struct dcc_hostlist list;
    struct dcc_lock l;
    char err[256] = "";
    parse_hosts("a/2", &list);
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &l, err, sizeof err), 0);
    assert_int_equal(l.slot, 1);

    /* Now a second child finds both taken. */
    int report2, go2;
    pid_t child2 = spawn_holder(f, "tcp_a_3632", 1, &report2, &go2);
    assert_int_equal(read_byte(report2), 'B');
    write_byte(go2, 'x');
    assert_int_equal(reap(child2), 0);

    dcc_lock_release(&l);
    write_byte(go, 'x');
    assert_int_equal(reap(child), 0);
    close(report), close(go), close(report2), close(go2);
    dcc_hosts_free(&list);
}

/* Stock distcc 3.4 locks with fcntl(F_SETLK, F_WRLCK) on the same files;
 * each side must see the other's locks. */
static void test_classic_fcntl_locks_and_ours_exclude_each_other(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock l;
    char err[256] = "", p[PATH_MAX];

    assert_int_equal(dcc_lock_try(&f->o, "tcp_a_3632", 0, &l, err, sizeof err), 0);
    path_in(f, "lock/cpu_tcp_a_3632_0", p, sizeof p);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(p, O_WRONLY);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        _exit(fd >= 0 && fcntl(fd, F_SETLK, &fl) == -1 && (errno == EAGAIN || errno == EACCES) ? 0
                                                                                               : 1);
    }
    assert_int_equal(reap(pid), 0);
    dcc_lock_release(&l);

    /* The other way round: a stock-style holder in a child. */
    int up[2], down[2];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(p, O_WRONLY);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        write_byte(up[1], fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0 ? 'L' : 'E');
        char c;
        (void)read(down[0], &c, 1);
        _exit(0);
    }
    assert_int_equal(read_byte(up[0]), 'L');
    assert_int_equal(dcc_lock_try(&f->o, "tcp_a_3632", 0, &l, err, sizeof err), DCC_EXIT_BUSY);
    write_byte(down[1], 'x');
    assert_int_equal(reap(pid), 0);
    assert_int_equal(dcc_lock_try(&f->o, "tcp_a_3632", 0, &l, err, sizeof err), 0);
    dcc_lock_release(&l);
    close(up[0]), close(up[1]), close(down[0]), close(down[1]);
}

static void test_killed_holder_leaves_no_stale_lock(void **state)
{
    struct fixture *f = *state;
    int report, go;
    pid_t child = spawn_holder(f, "localhost", 0, &report, &go);
    assert_int_equal(read_byte(report), 'L');

    struct dcc_lock l;
    char err[256] = "";
    assert_int_equal(dcc_lock_local_slot(&f->o, 1, &l, err, sizeof err), DCC_EXIT_BUSY);
    assert_string_equal(err, "every local slot is still busy after 0 ms");
    kill(child, SIGKILL);
    assert_int_equal(reap(child), 128 + SIGKILL);
    assert_int_equal(dcc_lock_local_slot(&f->o, 1, &l, err, sizeof err), 0);
    assert_string_equal(l.name, "localhost");
    assert_int_equal(l.slot, 0);
    dcc_lock_release(&l);
    close(report), close(go);
}

/* ---- local and cpp slots ------------------------------------------------ */

static void test_local_and_cpp_slots_share_the_localhost_files(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock job, cpp, more[3];
    char err[256] = "";

    assert_int_equal(dcc_lock_local_slot(&f->o, 4, &job, err, sizeof err), 0);
    assert_int_equal(job.slot, 0);
    assert_int_equal(job.host_index, 0);
    assert_int_equal(dcc_lock_cpp_slot(&f->o, 8, &cpp, err, sizeof err), 0);
    assert_int_equal(cpp.slot, 1);
    assert_true(exists(f, "lock/cpu_localhost_1"));

    /* A "localhost/2" host entry now finds both of its slots in use. */
    struct dcc_hostlist list;
    struct dcc_lock l;
    parse_hosts("localhost", &list);
    assert_int_equal(list.hosts[0].n_slots, 2);
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &l, err, sizeof err), DCC_EXIT_BUSY);

    /* --localslots=4 stops at four, --localslots_cpp=8 goes on. */
    assert_int_equal(dcc_lock_local_slot(&f->o, 4, &more[0], err, sizeof err), 0);
    assert_int_equal(dcc_lock_local_slot(&f->o, 4, &more[1], err, sizeof err), 0);
    assert_int_equal(more[1].slot, 3);
    assert_int_equal(dcc_lock_local_slot(&f->o, 4, &l, err, sizeof err), DCC_EXIT_BUSY);
    assert_int_equal(dcc_lock_cpp_slot(&f->o, 8, &more[2], err, sizeof err), 0);
    assert_int_equal(more[2].slot, 4);
    /* n < 1 counts as one slot, which is taken. */
    assert_int_equal(dcc_lock_local_slot(&f->o, 0, &l, err, sizeof err), DCC_EXIT_BUSY);

    dcc_lock_release(&job);
    dcc_lock_release(&cpp);
    for (int i = 0; i < 3; i++)
        dcc_lock_release(&more[i]);
    dcc_hosts_free(&list);
}

/* ---- waiting --------------------------------------------------------------- */

/* With a 30 s pause, only the wake-up on release can return within 5 s. */
static void wait_for_release(struct fixture *f, int by_exit)
{
    int report, go;
    pid_t child = spawn_holder(f, "localhost", 0, &report, &go);
    assert_int_equal(read_byte(report), 'L');

    f->o.pause_msec = 30000;
    f->o.timeout_msec = 20000;
    pid_t releaser = fork();
    assert_true(releaser >= 0);
    if (releaser == 0) {
        usleep(300 * 1000);
        write_byte(go, by_exit ? 'x' : 'r');
        _exit(0);
    }
    struct dcc_lock l;
    char err[256] = "";
    long long t0 = now_ms();
    int rc = dcc_lock_local_slot(&f->o, 1, &l, err, sizeof err);
    long long took = now_ms() - t0;
    assert_int_equal(rc, 0);
    assert_int_equal(l.slot, 0);
    assert_true(took >= 250);
    assert_true(took < 5000);
    if (!by_exit)
        assert_int_equal(read_byte(report), 'R');
    dcc_lock_release(&l);
    if (!by_exit)
        write_byte(go, 'x');
    assert_int_equal(reap(releaser), 0);
    assert_int_equal(reap(child), 0);
    close(report), close(go);
}

static void test_waiter_wakes_when_holder_exits(void **state)
{
    wait_for_release(*state, 1);
}

static void test_waiter_wakes_when_holder_releases(void **state)
{
    wait_for_release(*state, 0);
}

static void test_wait_gives_up_at_the_timeout(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock held, l;
    char err[256] = "";
    struct dcc_hostlist list;
    parse_hosts("a/1", &list);
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &held, err, sizeof err), 0);
    f->o.timeout_msec = 300;
    f->o.pause_msec = 100;
    long long t0 = now_ms();
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &l, err, sizeof err), DCC_EXIT_BUSY);
    long long took = now_ms() - t0;
    assert_true(took >= 300);
    assert_true(took < 5000);
    assert_string_equal(err, "every host slot is still busy after 300 ms");
    dcc_lock_release(&held);
    dcc_hosts_free(&list);
}

static double cpu_seconds(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 + (double)ru->ru_stime.tv_sec +
           ru->ru_stime.tv_usec / 1e6;
}

/* Two waiters must sleep, not wake each other up with their own attempts. */
static void test_waiters_do_not_spin(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock held;
    char err[256] = "";
    struct rusage before, after;
    assert_int_equal(getrusage(RUSAGE_CHILDREN, &before), 0);
    assert_int_equal(dcc_lock_local_slot(&f->o, 1, &held, err, sizeof err), 0);
    f->o.pause_msec = 30000;
    f->o.timeout_msec = 20000;
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            struct dcc_lock l;
            char e[256];
            int rc = dcc_lock_local_slot(&f->o, 1, &l, e, sizeof e);
            usleep(50 * 1000);
            _exit(rc);
        }
    }
    usleep(1500 * 1000);
    dcc_lock_release(&held);
    assert_int_equal(reap(kids[0]), 0);
    assert_int_equal(reap(kids[1]), 0);
    assert_int_equal(getrusage(RUSAGE_CHILDREN, &after), 0);
    double cpu = cpu_seconds(&after) - cpu_seconds(&before);
    /* Spinning for 1.5 s would cost about 3 s of CPU; sleeping costs nearly none. */
    assert_true(cpu < 0.8);
}

/* ---- the waiters' queue ------------------------------------------------ */

/* Who holds the flock on lock/<rel> and who is blocked waiting for it, as
 * the kernel tells in /proc/locks. */
struct queue_view {
    int held;
    int n_waiting;
    pid_t waiting[8];
};

/* The next flock entry of /proc/locks: 1 with its pid, inode and whether
 * it is a blocked request; 0 at the end. */
static int next_flock(FILE *in, int *waiting, pid_t *pid, unsigned long long *ino)
{
    char line[256];
    while (fgets(line, sizeof line, in)) {
        char *save = NULL, *tok = strtok_r(line, " \n", &save); /* "7:" */
        *waiting = 0;
        tok = strtok_r(NULL, " \n", &save);
        if (tok && strcmp(tok, "->") == 0) {
            *waiting = 1;
            tok = strtok_r(NULL, " \n", &save);
        }
        if (!tok || strcmp(tok, "FLOCK") != 0)
            continue;
        strtok_r(NULL, " \n", &save); /* ADVISORY */
        strtok_r(NULL, " \n", &save); /* WRITE */
        char *p = strtok_r(NULL, " \n", &save), *dev_ino = strtok_r(NULL, " \n", &save);
        const char *i = dev_ino ? strrchr(dev_ino, ':') : NULL;
        if (!p || !i)
            continue;
        *pid = (pid_t)atoi(p);
        *ino = strtoull(i + 1, NULL, 10);
        return 1;
    }
    return 0;
}

static void view_queue(struct fixture *f, const char *rel, struct queue_view *v)
{
    char p[PATH_MAX];
    struct stat st;
    memset(v, 0, sizeof *v);
    path_in(f, rel, p, sizeof p);
    if (stat(p, &st) != 0)
        return;
    FILE *in = fopen("/proc/locks", "r");
    assert_non_null(in);
    int waiting;
    pid_t pid;
    unsigned long long ino;
    while (next_flock(in, &waiting, &pid, &ino)) {
        if (ino != (unsigned long long)st.st_ino)
            continue;
        if (!waiting)
            v->held = 1;
        else if (v->n_waiting < 8)
            v->waiting[v->n_waiting++] = pid;
    }
    fclose(in);
}

/* Waits (bounded) until pid holds a flock (1) or waits for one (2). */
static int await_flock_of(pid_t pid)
{
    for (int i = 0; i < 1000; i++) {
        FILE *in = fopen("/proc/locks", "r");
        assert_non_null(in);
        int waiting, found = 0;
        pid_t p;
        unsigned long long ino;
        while (!found && next_flock(in, &waiting, &p, &ino))
            if (p == pid)
                found = waiting ? 2 : 1;
        fclose(in);
        if (found)
            return found;
        usleep(10 * 1000);
    }
    fail_msg("process %d never queued", (int)pid);
    return 0;
}

/* Waits (bounded) until the queue has a head and n waiters behind it. */
static void await_queue(struct fixture *f, const char *rel, int n, struct queue_view *v)
{
    for (int i = 0; i < 1000; i++) {
        view_queue(f, rel, v);
        if (v->held && v->n_waiting == n)
            return;
        usleep(10 * 1000);
    }
    fail_msg("%s never had a head and %d waiters (head %d, %d waiting)", rel, n, v->held,
             v->n_waiting);
}

/* A child that waits, with no timeout as the client does, for a slot of
 * list, or when list is NULL for a local (or with cpp set, a cpp) slot of
 * 1; writes its letter to report once it has it, then waits for a byte on
 * its go pipe and exits. */
static pid_t spawn_waiter(struct fixture *f, const struct dcc_hostlist *list, int cpp, char letter,
                          int report, int *go)
{
    int down[2];
    assert_int_equal(pipe(down), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* It never gives up: it must not outlive a failed test. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(down[1]);
        struct dcc_lock l;
        char err[256], c;
        f->o.timeout_msec = -1;
        int rc = list  ? dcc_lock_pick_host(&f->o, list, &l, err, sizeof err)
                 : cpp ? dcc_lock_cpp_slot(&f->o, 1, &l, err, sizeof err)
                       : dcc_lock_local_slot(&f->o, 1, &l, err, sizeof err);
        write_byte(report, rc == 0 ? letter : 'E');
        (void)read(down[0], &c, 1);
        _exit(0);
    }
    close(down[0]);
    *go = down[1];
    return pid;
}

static void test_waiters_are_served_in_the_order_they_came(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock held;
    struct queue_view v;
    char err[256] = "";
    int up[2], go[3];
    pid_t kids[3];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(dcc_lock_local_slot(&f->o, 1, &held, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        kids[i] = spawn_waiter(f, NULL, 0, (char)('A' + i), up[1], &go[i]);
        /* The first heads the queue, the others wait behind it. */
        await_queue(f, "lock/wait_localhost_1", i, &v);
    }
    dcc_lock_release(&held);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(read_byte(up[0]), 'A' + i);
        write_byte(go[i], 'x'); /* it exits, and its slot goes to the next */
        assert_int_equal(reap(kids[i]), 0);
        close(go[i]);
    }
    close(up[0]), close(up[1]);
}

static long ctxt_switches(pid_t pid)
{
    char p[64], line[256];
    long n = -1;
    snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
    FILE *in = fopen(p, "r");
    assert_non_null(in);
    while (fgets(line, sizeof line, in))
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
            break;
    fclose(in);
    return n;
}

/* Only the head wakes when a slot file is closed; the queued waiters sleep
 * in the kernel until it is their turn. */
static void test_only_the_head_wakes_on_a_release(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock held;
    struct queue_view v;
    char err[256] = "", slot_file[PATH_MAX];
    int up[2], go[3];
    pid_t kids[3];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(dcc_lock_local_slot(&f->o, 1, &held, err, sizeof err), 0);
    for (int i = 0; i < 3; i++) {
        kids[i] = spawn_waiter(f, NULL, 0, 'W', up[1], &go[i]);
        await_queue(f, "lock/wait_localhost_1", i, &v);
    }
    long before[2] = {ctxt_switches(v.waiting[0]), ctxt_switches(v.waiting[1])};
    long head_before = ctxt_switches(kids[0]);
    /* What a release looks like to the watchers, while the slot stays
     * held: its file closed after a write-open. */
    path_in(f, "lock/cpu_localhost_0", slot_file, sizeof slot_file);
    for (int i = 0; i < 1000 && ctxt_switches(kids[0]) == head_before; i++) {
        int fd = open(slot_file, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        close(fd);
        usleep(10 * 1000);
    }
    assert_true(ctxt_switches(kids[0]) > head_before);
    for (int i = 0; i < 20; i++) {
        int fd = open(slot_file, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        close(fd);
    }
    assert_int_equal(ctxt_switches(v.waiting[0]), before[0]);
    assert_int_equal(ctxt_switches(v.waiting[1]), before[1]);
    view_queue(f, "lock/wait_localhost_1", &v);
    assert_int_equal(v.n_waiting, 2);
    dcc_lock_release(&held);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(read_byte(up[0]), 'W');
        write_byte(go[i], 'x');
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(reap(kids[i]), 0);
        close(go[i]);
    }
    close(up[0]), close(up[1]);
}

/* A job holding a helper slot waits for a cpp slot; it must not queue
 * behind jobs waiting for helper slots, which wait for it (a deadlock). */
static void test_cpp_waiters_do_not_queue_behind_host_waiters(void **state)
{
    struct fixture *f = *state;
    struct dcc_lock remote, cpp;
    struct dcc_hostlist list;
    char err[256] = "";
    int up[2], go[2];
    assert_int_equal(pipe(up), 0);
    parse_hosts("a/1", &list);
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &remote, err, sizeof err), 0);
    assert_int_equal(dcc_lock_cpp_slot(&f->o, 1, &cpp, err, sizeof err), 0);

    pid_t host_waiter = spawn_waiter(f, &list, 0, 'H', up[1], &go[0]);
    assert_int_equal(await_flock_of(host_waiter), 1); /* it heads its queue */

    pid_t cpp_waiter = spawn_waiter(f, NULL, 1, 'C', up[1], &go[1]);
    await_flock_of(cpp_waiter);
    dcc_lock_release(&cpp);
    assert_int_equal(read_byte(up[0]), 'C');
    dcc_lock_release(&remote);
    assert_int_equal(read_byte(up[0]), 'H');
    for (int i = 0; i < 2; i++)
        write_byte(go[i], 'x'), close(go[i]);
    assert_int_equal(reap(cpp_waiter), 0);
    assert_int_equal(reap(host_waiter), 0);
    close(up[0]), close(up[1]);
    dcc_hosts_free(&list);
}

/* ---- backoff ----------------------------------------------------------- */

static void age_file(struct fixture *f, const char *rel, int seconds)
{
    char p[PATH_MAX];
    path_in(f, rel, p, sizeof p);
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= seconds;
    t[1] = t[0];
    assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
}

static void test_backoff_skips_a_failed_host_for_the_period(void **state)
{
    struct fixture *f = *state;
    struct dcc_hostlist list;
    struct dcc_lock l;
    char err[256] = "", p[PATH_MAX];
    struct stat st;
    parse_hosts("a b", &list);

    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 0);
    assert_int_equal(dcc_lock_backoff_mark(&f->o, &list.hosts[0], err, sizeof err), 0);
    path_in(f, "lock/backoff_tcp_a_3632_0", p, sizeof p);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 1);
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[1]), 0);

    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &l, err, sizeof err), 0);
    assert_int_equal(l.host_index, 1);
    dcc_lock_release(&l);

    age_file(f, "lock/backoff_tcp_a_3632_0", 59);
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 1);
    age_file(f, "lock/backoff_tcp_a_3632_0", 61);
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 0);
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &l, err, sizeof err), 0);
    assert_int_equal(l.host_index, 0);
    dcc_lock_release(&l);

    /* Marking again renews an old mark. */
    assert_int_equal(dcc_lock_backoff_mark(&f->o, &list.hosts[0], err, sizeof err), 0);
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 1);

    /* A mark far in the future is someone's wrong clock, not a failure. */
    age_file(f, "lock/backoff_tcp_a_3632_0", -3600);
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 0);

    /* Success clears it; clearing twice is fine. */
    assert_int_equal(dcc_lock_backoff_mark(&f->o, &list.hosts[0], err, sizeof err), 0);
    assert_int_equal(dcc_lock_backoff_clear(&f->o, &list.hosts[0], err, sizeof err), 0);
    assert_false(exists(f, "lock/backoff_tcp_a_3632_0"));
    assert_int_equal(dcc_lock_backoff_clear(&f->o, &list.hosts[0], err, sizeof err), 0);
    dcc_hosts_free(&list);
}

static void test_backoff_period_is_configurable(void **state)
{
    struct fixture *f = *state;
    struct dcc_hostlist list;
    char err[256] = "";
    parse_hosts("user@sshbox", &list);
    f->o.backoff_period = 5;
    assert_int_equal(dcc_lock_backoff_mark(&f->o, &list.hosts[0], err, sizeof err), 0);
    assert_true(exists(f, "lock/backoff_ssh_sshbox_0"));
    age_file(f, "lock/backoff_ssh_sshbox_0", 4);
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 1);
    age_file(f, "lock/backoff_ssh_sshbox_0", 6);
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 0);
    dcc_hosts_free(&list);
}

static void test_zero_backoff_period_keeps_no_marks(void **state)
{
    struct fixture *f = *state;
    struct dcc_hostlist list;
    char err[256] = "";
    parse_hosts("a", &list);
    f->o.backoff_period = 0;
    assert_int_equal(dcc_lock_backoff_mark(&f->o, &list.hosts[0], err, sizeof err), 0);
    assert_false(exists(f, "lock/backoff_tcp_a_3632_0"));
    /* A mark left by a client with backoff on is ignored too. */
    f->o.backoff_period = 60;
    assert_int_equal(dcc_lock_backoff_mark(&f->o, &list.hosts[0], err, sizeof err), 0);
    f->o.backoff_period = 0;
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 0);
    assert_int_equal(dcc_lock_backoff_clear(&f->o, &list.hosts[0], err, sizeof err), 0);
    assert_true(exists(f, "lock/backoff_tcp_a_3632_0"));
    dcc_hosts_free(&list);
}

static void test_all_hosts_in_backoff_means_no_hosts(void **state)
{
    struct fixture *f = *state;
    struct dcc_hostlist list;
    struct dcc_lock l;
    char err[256] = "";
    parse_hosts("a b", &list);
    for (size_t i = 0; i < list.n; i++)
        assert_int_equal(dcc_lock_backoff_mark(&f->o, &list.hosts[i], err, sizeof err), 0);
    f->o.timeout_msec = -1; /* must not wait for hosts that are all barred */
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &l, err, sizeof err), DCC_EXIT_NO_HOSTS);
    assert_string_equal(err, "every host is in backoff after a recent failure");
    assert_int_equal(l.fd, -1);
    dcc_hosts_free(&list);
}

/* ---- with the stock client -------------------------------------------------- */

/* Stock distcc 3.4 must wait on our lock, then back off a host that refuses
 * connections in a file we read. */
static void test_stock_client_honours_our_lock_and_we_read_its_backoff(void **state)
{
    struct fixture *f = *state;
    if (access("/usr/bin/distcc", X_OK) != 0 || access("/usr/bin/gcc", X_OK) != 0)
        skip();
    char src[PATH_MAX], obj[PATH_MAX], err[256] = "";
    path_in(f, "x.c", src, sizeof src);
    path_in(f, "x.o", obj, sizeof obj);
    FILE *fp = fopen(src, "w");
    assert_non_null(fp);
    fputs("int x;\n", fp);
    fclose(fp);

    /* Port 1 on loopback: nothing listens, the connect is refused. */
    struct dcc_hostlist list;
    struct dcc_lock held;
    parse_hosts("127.0.0.1:1/1", &list);
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &held, err, sizeof err), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        setenv("DISTCC_DIR", f->dir, 1);
        setenv("DISTCC_HOSTS", "127.0.0.1:1/1", 1);
        setenv("DISTCC_PAUSE_TIME_MSEC", "50", 1);
        unsetenv("DISTCC_BACKOFF_PERIOD");
        execl("/usr/bin/distcc", "distcc", "gcc", "-c", src, "-o", obj, (char *)NULL);
        _exit(99);
    }
    usleep(800 * 1000);
    int st;
    assert_int_equal(waitpid(pid, &st, WNOHANG), 0); /* still waiting for our slot */
    assert_false(exists(f, "lock/backoff_tcp_127.0.0.1_1_0"));
    dcc_lock_release(&held);
    assert_int_equal(reap(pid), 0); /* fell back to compiling locally */
    assert_true(exists(f, "x.o"));
    assert_true(exists(f, "lock/backoff_tcp_127.0.0.1_1_0"));
    assert_int_equal(dcc_lock_in_backoff(&f->o, &list.hosts[0]), 1);
    f->o.timeout_msec = -1;
    struct dcc_lock l;
    assert_int_equal(dcc_lock_pick_host(&f->o, &list, &l, err, sizeof err), DCC_EXIT_NO_HOSTS);
    dcc_hosts_free(&list);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_lock_file_is_named_like_stock_and_kept),
        T(test_group_writable_umask_gives_group_writable_files),
        T(test_directory_errors_reach_the_caller_of_a_lock),
        T(test_bad_names_are_refused),
        T(test_options_come_from_the_environment),
        T(test_slot_zero_of_every_host_fills_first),
        T(test_empty_list_has_no_hosts),
        T(test_two_processes_never_share_a_slot),
        T(test_classic_fcntl_locks_and_ours_exclude_each_other),
        T(test_killed_holder_leaves_no_stale_lock),
        T(test_local_and_cpp_slots_share_the_localhost_files),
        T(test_waiter_wakes_when_holder_exits),
        T(test_waiter_wakes_when_holder_releases),
        T(test_wait_gives_up_at_the_timeout),
        T(test_waiters_do_not_spin),
        T(test_waiters_are_served_in_the_order_they_came),
        T(test_only_the_head_wakes_on_a_release),
        T(test_cpp_waiters_do_not_queue_behind_host_waiters),
        T(test_backoff_skips_a_failed_host_for_the_period),
        T(test_backoff_period_is_configurable),
        T(test_zero_backoff_period_keeps_no_marks),
        T(test_all_hosts_in_backoff_means_no_hosts),
        T(test_stock_client_honours_our_lock_and_we_read_its_backoff),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
