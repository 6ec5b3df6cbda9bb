/* Unit tests for dcc_state: the exact binstate bytes stock distcc reads, and reading a state directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/dcc_exit.h"
#include "client/dcc_state.h"
#include "test_helpers.h"

/* The layout on x86-64 as stock distcc 3.4 writes it (see the reference
 * table); these tests spell it out in bytes rather than trusting our struct. */
enum {
    OFF_SIZE = 0,
    OFF_MAGIC = 8,
    OFF_CPID = 16,
    OFF_FILE = 24,
    OFF_HOST = 152,
    OFF_SLOT = 280,
    OFF_PHASE = 284,
    OFF_NEXT = 288,
    RECORD_SIZE = 296,
};

struct fixture {
    char dir[64];
    char state[96];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/dcc-state-test.XXXXXX") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->state, sizeof f->state, "%s/state", f->dir);
    umask(022);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dcc_state_remove();
    dcc_test_rmtree(f->dir);
    free(f);
    return 0;
}

static uint64_t u64_at(const unsigned char *b, size_t off)
{
    uint64_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

static int32_t i32_at(const unsigned char *b, size_t off)
{
    int32_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

/* Reads the whole file; returns its length. */
static size_t slurp(const char *path, unsigned char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, cap);
    close(fd);
    assert_true(n >= 0);
    return (size_t)n;
}

static void own_state_path(const struct fixture *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s/binstate_%ld", f->state, (long)getpid());
}

/* What a stock client writes, packed byte by byte. */
static void write_stock_file(const struct fixture *f, const char *name, long pid, const char *file,
                             const char *host, int slot, int phase, size_t len, uint64_t magic)
{
    unsigned char b[RECORD_SIZE + 8];
    memset(b, 0xAB, sizeof b); /* stock leaves junk after the strings and in next */
    uint64_t size = RECORD_SIZE, cpid = (uint64_t)pid;
    memcpy(b + OFF_SIZE, &size, 8);
    memcpy(b + OFF_MAGIC, &magic, 8);
    memcpy(b + OFF_CPID, &cpid, 8);
    memcpy(b + OFF_FILE, file, strlen(file) + 1);
    memcpy(b + OFF_HOST, host, strlen(host) + 1);
    memcpy(b + OFF_SLOT, &slot, 4);
    memcpy(b + OFF_PHASE, &phase, 4);
    mkdir(f->state, 0777);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", f->state, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len), (ssize_t)len);
    close(fd);
}

static void write_stock(const struct fixture *f, long pid, const char *file, const char *host,
                        int slot, int phase)
{
    char name[64];
    snprintf(name, sizeof name, "binstate_%ld", pid);
    write_stock_file(f, name, pid, file, host, slot, phase, RECORD_SIZE, DCC_STATE_MAGIC);
}

static void age(const struct fixture *f, const char *name, int seconds)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", f->state, name);
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= seconds;
    t[1] = t[0];
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static int exists_in_state(const struct fixture *f, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", f->state, name);
    return lstat(path, &st) == 0;
}

/* A pid that existed and is gone. */
static long dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return (long)pid;
}

/* ---- writing ---------------------------------------------------------- */

static void test_update_writes_the_stock_record_bytes(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", path[PATH_MAX];
    unsigned char b[512];

    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_COMPILE, "/src/dir/big.c", "127.0.0.1", 3,
                                      err, sizeof err),
                     0);
    own_state_path(f, path, sizeof path);
    assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
    assert_int_equal(u64_at(b, OFF_SIZE), RECORD_SIZE);
    assert_int_equal(u64_at(b, OFF_MAGIC), 0x44494800);
    assert_memory_equal(b + OFF_MAGIC, "\x00\x48\x49\x44",
                        4); /* "DIH\0" read as a little-endian long */
    assert_int_equal(u64_at(b, OFF_CPID), (uint64_t)getpid());
    assert_string_equal((const char *)b + OFF_FILE, "big.c");
    assert_string_equal((const char *)b + OFF_HOST, "127.0.0.1");
    assert_int_equal(i32_at(b, OFF_SLOT), 3);
    assert_int_equal(i32_at(b, OFF_PHASE), 5);
    assert_int_equal(u64_at(b, OFF_NEXT), 0);
    /* Bytes after the strings are zero, so nothing of our memory leaks. */
    for (size_t i = OFF_FILE + 6; i < OFF_HOST; i++)
        assert_int_equal(b[i], 0);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(stat(f->state, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    /* The temporary name is gone after the rename. */
    char tmp[64];
    snprintf(tmp, sizeof tmp, ".binstate_%ld.tmp", (long)getpid());
    assert_false(exists_in_state(f, tmp));
}

static void test_update_keeps_what_it_is_not_told(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", path[PATH_MAX];
    unsigned char b[512];
    own_state_path(f, path, sizeof path);

    assert_int_equal(
        dcc_state_update(f->dir, DCC_PHASE_CONNECT, "x/a.cpp", "box", 2, err, sizeof err), 0);
    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_SEND, NULL, NULL, -1, err, sizeof err), 0);
    assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
    assert_string_equal((const char *)b + OFF_FILE, "a.cpp");
    assert_string_equal((const char *)b + OFF_HOST, "box");
    assert_int_equal(i32_at(b, OFF_SLOT), 2);
    assert_int_equal(i32_at(b, OFF_PHASE), 4);

    assert_int_equal(
        dcc_state_update(f->dir, DCC_PHASE_RECEIVE, "b.c", "localhost", 0, err, sizeof err), 0);
    assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
    assert_string_equal((const char *)b + OFF_FILE, "b.c");
    assert_string_equal((const char *)b + OFF_HOST, "localhost");
    assert_int_equal(i32_at(b, OFF_SLOT), 0);
    assert_int_equal(i32_at(b, OFF_PHASE), 6);
    /* A shorter name must not leave the tail of the longer one behind. */
    assert_int_equal(b[OFF_HOST + 9], 0);
    assert_int_equal(b[OFF_FILE + 4], 0);
}

static ino_t inode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_ino;
}

/* After the first phase the file is written over in place: same file, whole
 * record, mtime moving, no temporary file. */
static void test_later_phases_rewrite_the_file_in_place(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", path[PATH_MAX], tmp[64];
    unsigned char b[512];
    own_state_path(f, path, sizeof path);
    snprintf(tmp, sizeof tmp, ".binstate_%ld.tmp", (long)getpid());

    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_STARTUP, "a.c", NULL, -1, err, sizeof err),
                     0);
    ino_t first = inode_of(path);
    struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
    for (int phase = DCC_PHASE_BLOCKED; phase <= DCC_PHASE_RECEIVE; phase++) {
        assert_int_equal(dcc_state_update(f->dir, (enum dcc_phase)phase, NULL,
                                          phase == DCC_PHASE_CONNECT ? "helper" : NULL,
                                          phase == DCC_PHASE_CONNECT ? 4 : -1, err, sizeof err),
                         0);
        assert_int_equal(inode_of(path), first);
        assert_false(exists_in_state(f, tmp));
        assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
        assert_int_equal(i32_at(b, OFF_PHASE), phase);
        assert_int_equal(u64_at(b, OFF_MAGIC), 0x44494800);
        assert_string_equal((const char *)b + OFF_FILE, "a.c");
    }
    assert_string_equal((const char *)b + OFF_HOST, "helper");
    assert_int_equal(i32_at(b, OFF_SLOT), 4);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_mtime > 1000000000); /* monitors show when the phase began */
}

/* A stock monitor unlinks a file not written for a minute; the next phase
 * must make it again with everything known so far. */
static void test_file_unlinked_meanwhile_is_made_again(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", path[PATH_MAX];
    unsigned char b[512];
    own_state_path(f, path, sizeof path);
    assert_int_equal(
        dcc_state_update(f->dir, DCC_PHASE_COMPILE, "long.c", "box", 2, err, sizeof err), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_RECEIVE, NULL, NULL, -1, err, sizeof err),
                     0);
    assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
    assert_int_equal(i32_at(b, OFF_PHASE), DCC_PHASE_RECEIVE);
    assert_string_equal((const char *)b + OFF_FILE, "long.c");
    assert_string_equal((const char *)b + OFF_HOST, "box");
    assert_int_equal(i32_at(b, OFF_SLOT), 2);

    /* After dcc_state_remove, a new phase makes the file again too. */
    dcc_state_remove();
    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_SEND, NULL, NULL, -1, err, sizeof err), 0);
    assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
    assert_int_equal(i32_at(b, OFF_PHASE), DCC_PHASE_SEND);
}

/* A forked child that records a phase writes its own binstate_<pid> and
 * leaves its parent's file (and the parent's open descriptor) alone. */
static void test_forked_child_writes_its_own_file(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", path[PATH_MAX], child_path[PATH_MAX];
    unsigned char b[512];
    own_state_path(f, path, sizeof path);
    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_CPP, "p.c", "h", 1, err, sizeof err), 0);
    ino_t first = inode_of(path);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int ok = dcc_state_update(f->dir, DCC_PHASE_SEND, "child.c", NULL, -1, err, sizeof err) ==
                     0 &&
                 dcc_state_update(f->dir, DCC_PHASE_COMPILE, NULL, NULL, -1, err, sizeof err) == 0;
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    snprintf(child_path, sizeof child_path, "%s/binstate_%ld", f->state, (long)pid);
    assert_int_equal(slurp(child_path, b, sizeof b), RECORD_SIZE);
    assert_int_equal(u64_at(b, OFF_CPID), (uint64_t)pid);
    assert_int_equal(i32_at(b, OFF_PHASE), DCC_PHASE_COMPILE);
    assert_string_equal((const char *)b + OFF_FILE, "child.c");
    unlink(child_path);

    assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
    assert_int_equal(u64_at(b, OFF_CPID), (uint64_t)getpid());
    assert_int_equal(i32_at(b, OFF_PHASE), DCC_PHASE_CPP);
    assert_string_equal((const char *)b + OFF_FILE, "p.c");

    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_SEND, NULL, NULL, -1, err, sizeof err), 0);
    assert_int_equal(inode_of(path), first);
    assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
    assert_int_equal(i32_at(b, OFF_PHASE), DCC_PHASE_SEND);
}

static void test_long_names_are_cut_to_fit(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", path[PATH_MAX], longname[300];
    unsigned char b[512];
    memset(longname, 'h', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(
        dcc_state_update(f->dir, DCC_PHASE_SEND, longname, longname, 1, err, sizeof err), 0);
    own_state_path(f, path, sizeof path);
    assert_int_equal(slurp(path, b, sizeof b), RECORD_SIZE);
    assert_int_equal(strlen((const char *)b + OFF_FILE), 127);
    assert_int_equal(strlen((const char *)b + OFF_HOST), 127);
    assert_int_equal(i32_at(b, OFF_SLOT), 1);
}

static void test_remove_takes_only_our_own_file(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", path[PATH_MAX];
    struct stat st;
    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_STARTUP, "a.c", NULL, -1, err, sizeof err),
                     0);
    own_state_path(f, path, sizeof path);

    /* A forked child running atexit handlers must leave the parent's file. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dcc_state_remove();
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    assert_int_equal(stat(path, &st), 0);

    dcc_state_remove();
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(errno, ENOENT);
    dcc_state_remove(); /* nothing left to do */
}

static void test_unwritable_state_dir_is_reported(void **state)
{
    struct fixture *f = *state;
    char base[PATH_MAX], err[512] = "", want[PATH_MAX * 2];
    snprintf(base, sizeof base, "%s/plain", f->dir);
    int fd = open(base, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(dcc_state_update(base, DCC_PHASE_STARTUP, "a.c", "h", 0, err, sizeof err),
                     DCC_EXIT_IO_ERROR);
    snprintf(want, sizeof want,
             "cannot write state file %s/state/.binstate_%ld.tmp: Not a directory", base,
             (long)getpid());
    assert_string_equal(err, want);
}

/* ---- reading ---------------------------------------------------------- */

static void test_phase_names(void **state)
{
    (void)state;
    static const char *const want[] = {"Startup", "Blocked", "Connect", "Preprocess",
                                       "Send",    "Compile", "Receive", "Done"};
    for (int i = 0; i < 8; i++)
        assert_string_equal(dcc_state_phase_name(i), want[i]);
    assert_string_equal(dcc_state_phase_name(8), "Unknown");
    assert_string_equal(dcc_state_phase_name(-1), "Unknown");
}

static void test_read_dir_keeps_live_jobs_sorted_by_host_then_slot(void **state)
{
    struct fixture *f = *state;
    long me = (long)getpid();
    pid_t sleeper = fork();
    assert_true(sleeper >= 0);
    if (sleeper == 0) {
        sleep(30);
        _exit(0);
    }
    long gone = dead_pid();
    char name[64];

    write_stock(f, me, "one.c", "b", 1, DCC_PHASE_COMPILE);
    write_stock(f, (long)sleeper, "two.c", "a", 2, 99); /* beyond Done reads as Compile */
    write_stock_file(f, "binstate_77777777", (long)sleeper, "three\033[2J.c", "a", 0,
                     DCC_PHASE_SEND, RECORD_SIZE, DCC_STATE_MAGIC);
    write_stock(f, gone, "dead.c", "a", 1, DCC_PHASE_COMPILE);
    write_stock_file(f, "binstate_1", me, "done.c", "a", 3, DCC_PHASE_DONE, RECORD_SIZE,
                     DCC_STATE_MAGIC);
    write_stock_file(f, "binstate_2", me, "magic.c", "a", 4, DCC_PHASE_SEND, RECORD_SIZE,
                     0x44494801);
    write_stock_file(f, "binstate_3", me, "short.c", "a", 5, DCC_PHASE_SEND, RECORD_SIZE - 1,
                     DCC_STATE_MAGIC);
    write_stock_file(f, "binstate_4", me, "long.c", "a", 6, DCC_PHASE_SEND, RECORD_SIZE + 1,
                     DCC_STATE_MAGIC);
    write_stock_file(f, "binstate_5", 0, "pid0.c", "a", 7, DCC_PHASE_SEND, RECORD_SIZE,
                     DCC_STATE_MAGIC);
    write_stock_file(f, "binstate_6", me, "stale.c", "a", 8, DCC_PHASE_SEND, RECORD_SIZE,
                     DCC_STATE_MAGIC);
    age(f, "binstate_6", 61);
    write_stock_file(f, "binstate_7", me, "oldish.c", "c", 0, DCC_PHASE_CPP, RECORD_SIZE,
                     DCC_STATE_MAGIC);
    age(f, "binstate_7", 50);
    write_stock_file(f, "notes.txt", me, "notes.c", "a", 9, DCC_PHASE_SEND, RECORD_SIZE,
                     DCC_STATE_MAGIC);
    write_stock_file(f, ".binstate_8.tmp", me, "tmp.c", "a", 9, DCC_PHASE_SEND, RECORD_SIZE,
                     DCC_STATE_MAGIC);
    age(f, ".binstate_8.tmp", 61);
    write_stock_file(f, ".binstate_9.tmp", me, "tmp.c", "a", 9, DCC_PHASE_SEND, RECORD_SIZE,
                     DCC_STATE_MAGIC);

    struct dcc_state_list list;
    char err[256] = "";
    assert_int_equal(dcc_state_read_dir(f->state, &list, err, sizeof err), 0);
    kill(sleeper, SIGKILL);
    waitpid(sleeper, NULL, 0);

    assert_int_equal(list.n, 4);
    assert_string_equal(list.items[0].host, "a");
    assert_int_equal(list.items[0].slot, 0);
    assert_int_equal(list.items[0].pid, (long)sleeper);
    assert_int_equal(list.items[0].phase, DCC_PHASE_SEND);
    assert_string_equal(list.items[0].file, "three?[2J.c");

    assert_string_equal(list.items[1].host, "a");
    assert_int_equal(list.items[1].slot, 2);
    assert_int_equal(list.items[1].phase, DCC_PHASE_COMPILE);
    assert_string_equal(list.items[1].file, "two.c");

    assert_string_equal(list.items[2].host, "b");
    assert_int_equal(list.items[2].slot, 1);
    assert_int_equal(list.items[2].pid, me);
    assert_string_equal(list.items[2].file, "one.c");

    assert_string_equal(list.items[3].host, "c");
    assert_int_equal(list.items[3].phase, DCC_PHASE_CPP);
    dcc_state_list_free(&list);
    assert_null(list.items);
    assert_int_equal(list.n, 0);

    /* Only the old leftovers are deleted; bad and dead files stay for the age rule. */
    assert_false(exists_in_state(f, "binstate_6"));
    assert_false(exists_in_state(f, ".binstate_8.tmp"));
    assert_true(exists_in_state(f, ".binstate_9.tmp"));
    assert_true(exists_in_state(f, "binstate_7"));
    assert_true(exists_in_state(f, "binstate_2"));
    snprintf(name, sizeof name, "binstate_%ld", gone);
    assert_true(exists_in_state(f, name));
}

/* A long compile writes no new phase for minutes: its file is old, but its
 * writer runs, so it is shown and kept. The same pid in a file written
 * before that process started is a crashed client's leftover whose pid was
 * reused: removed. */
static void test_old_file_of_a_running_writer_is_kept(void **state)
{
    struct fixture *f = *state;
    pid_t compiling = fork();
    assert_true(compiling >= 0);
    if (compiling == 0) {
        sleep(30);
        _exit(0);
    }
    long gone = dead_pid();
    write_stock(f, (long)compiling, "long.c", "h", 1, DCC_PHASE_COMPILE);
    write_stock_file(f, "binstate_reused", (long)compiling, "before.c", "h", 2, DCC_PHASE_COMPILE,
                     RECORD_SIZE, DCC_STATE_MAGIC);
    age(f, "binstate_reused", 30);
    write_stock(f, gone, "dead.c", "h", 3, DCC_PHASE_COMPILE);
    /* Every file is older than the limit of 0 s once a second has passed. */
    struct timespec pause = {1, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);

    struct dcc_state_list list;
    char err[256] = "";
    assert_int_equal(dcc_state_read_dir_aged(f->state, 0, &list, err, sizeof err), 0);
    kill(compiling, SIGKILL);
    waitpid(compiling, NULL, 0);

    assert_int_equal(list.n, 1);
    assert_int_equal(list.items[0].pid, (long)compiling);
    assert_string_equal(list.items[0].file, "long.c");
    dcc_state_list_free(&list);
    char name[64];
    snprintf(name, sizeof name, "binstate_%ld", (long)compiling);
    assert_true(exists_in_state(f, name));
    assert_false(exists_in_state(f, "binstate_reused"));
    snprintf(name, sizeof name, "binstate_%ld", gone);
    assert_false(exists_in_state(f, name));
}

static void test_our_file_reads_back(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    assert_int_equal(
        dcc_state_update(f->dir, DCC_PHASE_RECEIVE, "src/x.c", "10.0.0.7", 1, err, sizeof err), 0);
    struct dcc_state_list list;
    assert_int_equal(dcc_state_read_dir(f->state, &list, err, sizeof err), 0);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.items[0].pid, (long)getpid());
    assert_int_equal(list.items[0].phase, DCC_PHASE_RECEIVE);
    assert_int_equal(list.items[0].slot, 1);
    assert_string_equal(list.items[0].file, "x.c");
    assert_string_equal(list.items[0].host, "10.0.0.7");
    dcc_state_list_free(&list);

    /* Done is not shown. */
    assert_int_equal(dcc_state_update(f->dir, DCC_PHASE_DONE, NULL, NULL, -1, err, sizeof err), 0);
    assert_int_equal(dcc_state_read_dir(f->state, &list, err, sizeof err), 0);
    assert_int_equal(list.n, 0);
    dcc_state_list_free(&list);
}

static void test_missing_state_dir_is_an_empty_list(void **state)
{
    struct fixture *f = *state;
    struct dcc_state_list list = {(void *)1, 5};
    char err[256] = "";
    assert_int_equal(dcc_state_read_dir(f->state, &list, err, sizeof err), 0);
    assert_int_equal(list.n, 0);
    assert_null(list.items);
    assert_false(exists_in_state(f, ""));
}

static void test_unreadable_state_path_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct dcc_state_list list;
    char err[512] = "", want[PATH_MAX * 2];
    int fd = open(f->state, O_WRONLY | O_CREAT, 0644); /* a file, not a directory */
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(dcc_state_read_dir(f->state, &list, err, sizeof err), DCC_EXIT_IO_ERROR);
    snprintf(want, sizeof want, "cannot read state directory %s: Not a directory", f->state);
    assert_string_equal(err, want);
    assert_int_equal(list.n, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_update_writes_the_stock_record_bytes),
        T(test_update_keeps_what_it_is_not_told),
        T(test_old_file_of_a_running_writer_is_kept),
        T(test_long_names_are_cut_to_fit),
        T(test_later_phases_rewrite_the_file_in_place),
        T(test_file_unlinked_meanwhile_is_made_again),
        T(test_forked_child_writes_its_own_file),
        T(test_remove_takes_only_our_own_file),
        T(test_unwritable_state_dir_is_reported),
        T(test_phase_names),
        T(test_read_dir_keeps_live_jobs_sorted_by_host_then_slot),
        T(test_our_file_reads_back),
        T(test_missing_state_dir_is_an_empty_list),
        T(test_unreadable_state_path_is_an_error),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
