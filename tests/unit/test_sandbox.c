/* Unit tests for dcc_sandbox: the --sandbox decision, and a real process
 * confined with every mechanism this kernel offers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/dcc_sandbox.h"
#include "test_helpers.h"

static struct dcc_sandbox_probe kernel_with(unsigned have)
{
    struct dcc_sandbox_probe p;
    memset(&p, 0, sizeof p);
    p.have = have;
    p.landlock_abi = have & DCC_SBX_LANDLOCK ? 7 : 0;
    for (int i = 0; i < DCC_SBX_COUNT; i++)
        if (!(have & (1u << i)))
            snprintf(p.why[i], sizeof p.why[i], "reason %d", i);
    return p;
}

static void test_auto_uses_everything_there_is(void **state)
{
    (void)state;
    struct dcc_sandbox_probe p = kernel_with(DCC_SBX_ALL);
    unsigned use = 0;
    char msg[300];
    assert_int_equal(dcc_sandbox_decide(DCC_SANDBOX_AUTO, &p, &use, msg, sizeof msg), 0);
    assert_int_equal(use, DCC_SBX_ALL);
    assert_string_equal(msg, "");
}

static void test_auto_names_what_is_missing_and_why(void **state)
{
    (void)state;
    struct dcc_sandbox_probe p = kernel_with(DCC_SBX_ALL & ~(DCC_SBX_PIDNS | DCC_SBX_SECCOMP));
    unsigned use = 0;
    char msg[300];
    assert_int_equal(dcc_sandbox_decide(DCC_SANDBOX_AUTO, &p, &use, msg, sizeof msg), 0);
    assert_int_equal(use, DCC_SBX_USERNS | DCC_SBX_MOUNTNS | DCC_SBX_NETNS | DCC_SBX_LANDLOCK);
    assert_string_equal(msg, "pid (reason 2), seccomp (reason 5)");
}

static void test_required_refuses_a_kernel_that_lacks_one(void **state)
{
    (void)state;
    struct dcc_sandbox_probe p = kernel_with(DCC_SBX_ALL & ~DCC_SBX_LANDLOCK);
    unsigned use = 0;
    char msg[300];
    assert_int_equal(dcc_sandbox_decide(DCC_SANDBOX_REQUIRED, &p, &use, msg, sizeof msg), -1);
    assert_string_equal(msg, "landlock (reason 4)");
    p = kernel_with(DCC_SBX_ALL);
    assert_int_equal(dcc_sandbox_decide(DCC_SANDBOX_REQUIRED, &p, &use, msg, sizeof msg), 0);
    assert_int_equal(use, DCC_SBX_ALL);
}

static void test_off_uses_nothing(void **state)
{
    (void)state;
    struct dcc_sandbox_probe p = kernel_with(DCC_SBX_ALL);
    unsigned use = 1;
    char msg[300];
    assert_int_equal(dcc_sandbox_decide(DCC_SANDBOX_OFF, &p, &use, msg, sizeof msg), 0);
    assert_int_equal(use, 0);
    assert_string_equal(msg, "");
}

static void test_describe_and_parse(void **state)
{
    (void)state;
    char buf[128];
    dcc_sandbox_describe(DCC_SBX_ALL, buf, sizeof buf);
    assert_string_equal(buf, "user,mount,pid,net,landlock,seccomp");
    dcc_sandbox_describe(DCC_SBX_LANDLOCK | DCC_SBX_NETNS, buf, sizeof buf);
    assert_string_equal(buf, "net,landlock");
    dcc_sandbox_describe(0, buf, sizeof buf);
    assert_string_equal(buf, "none");
    enum dcc_sandbox_mode m = DCC_SANDBOX_OFF;
    assert_int_equal(dcc_sandbox_mode_parse("auto", &m), 0);
    assert_int_equal(m, DCC_SANDBOX_AUTO);
    assert_int_equal(dcc_sandbox_mode_parse("required", &m), 0);
    assert_int_equal(m, DCC_SANDBOX_REQUIRED);
    assert_int_equal(dcc_sandbox_mode_parse("off", &m), 0);
    assert_int_equal(m, DCC_SANDBOX_OFF);
    assert_int_equal(dcc_sandbox_mode_parse("on", &m), -1);
}

/* ------------------------------------------------------------------------
 * A confined process
 * ------------------------------------------------------------------------ */

struct confined {
    struct dcc_sandbox sb;
    char dir[64];
};

/* The sandbox as the daemon sets it up; landlock_abi below 6 takes the
 * pid namespace path instead of the reaper, share makes the namespaces
 * every job joins. */
static int setup_with(void **state, int landlock_abi, int share)
{
    struct confined *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    if (dcc_test_tmpdir(c->dir, sizeof c->dir, "/tmp/dcc-sbx-unit.XXXXXX") != 0)
        return -1;
    chmod(c->dir, 0755);
    struct dcc_sandbox_probe p;
    char err[300];
    unsigned use;
    if (dcc_sandbox_probe(c->dir, (uid_t)-1, (gid_t)-1, &p, err, sizeof err) != 0 ||
        dcc_sandbox_decide(DCC_SANDBOX_AUTO, &p, &use, err, sizeof err) != 0)
        return -1;
    if (landlock_abi && p.landlock_abi > landlock_abi)
        p.landlock_abi = landlock_abi;
    if (dcc_sandbox_prepare(&c->sb, use, p.landlock_abi, NULL, err, sizeof err) != 0)
        return -1;
    if (share && dcc_sandbox_share(&c->sb, c->dir, (uid_t)-1, (gid_t)-1, err, sizeof err) != 0) {
        fprintf(stderr, "share: %s\n", err);
        return -1;
    }
    *state = c;
    return 0;
}

static int setup_confined(void **state)
{
    return setup_with(state, 0, 0);
}

static int setup_shared(void **state)
{
    return setup_with(state, 0, 1);
}

static int setup_pid_namespace(void **state)
{
    return setup_with(state, 5, 1);
}

static int teardown_confined(void **state)
{
    struct confined *c = *state;
    dcc_test_rmtree(c->dir);
    dcc_sandbox_free(&c->sb);
    free(c);
    return 0;
}

/* What the relays do with the status dcc_sandbox_enter hands them. */
static void end_like(int status)
{
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
        _exit(128 + WTERMSIG(status));
    }
    _exit(WEXITSTATUS(status));
}

/* Runs body confined, as the daemon does: a child in the role of the
 * daemon's process for one connection (the job's reaper) forks the
 * confined one, waits for it, reaps what is left and ends like it. Its
 * wait status as seen from outside. */
static int run_confined(struct confined *c, int (*body)(struct confined *, int), int fd)
{
    pid_t serve = fork();
    if (serve == 0) {
        char err[300];
        if (dcc_sandbox_reaper(&c->sb, err, sizeof err) != 0) {
            fprintf(stderr, "reaper: %s\n", err);
            _exit(92);
        }
        pid_t pid = fork();
        if (pid == 0) {
            if (chdir(c->dir) != 0)
                _exit(90);
            /* fd becomes stdout: descriptors from 3 up are closed, as
             * in the daemon. */
            if (fd >= 0 && (dup2(fd, 1) != 1 || (fd = 1) != 1))
                _exit(93);
            dcc_sandbox_close_fds(&c->sb);
            struct dcc_sandbox_job job = {.dir = c->dir, .cwd = c->dir, .compiler = "/bin/true"};
            int status;
            int rc = dcc_sandbox_enter(&c->sb, &job, &status, err, sizeof err);
            if (rc == 1)
                end_like(status);
            if (rc < 0) {
                fprintf(stderr, "enter: %s\n", err);
                _exit(91);
            }
            _exit(body(c, fd));
        }
        if (fd >= 0)
            close(fd);
        int status = -1;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        dcc_sandbox_reap();
        end_like(status);
    }
    int status = -1;
    waitpid(serve, &status, 0);
    return status;
}

static int writes_only_its_job(struct confined *c, int fd)
{
    (void)fd;
    if (c->sb.use & DCC_SBX_LANDLOCK) {
        if (open("/etc/passwd", O_RDONLY) >= 0 || errno != EACCES)
            return 10;
        if (open("/tmp/dcc-sbx-unit-outside", O_WRONLY | O_CREAT, 0644) >= 0 || errno != EACCES)
            return 11;
        if (open("/usr/include/stdio.h", O_RDONLY) < 0)
            return 12;
    }
    int made = open("made", O_WRONLY | O_CREAT, 0644);
    if (made < 0)
        return 13;
    close(made);
    if ((c->sb.use & DCC_SBX_NETNS) || (c->sb.use & DCC_SBX_SECCOMP)) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s >= 0 && (c->sb.use & DCC_SBX_SECCOMP))
            return 14;
        if (s >= 0)
            close(s);
    }
    /* No IPC namespace of its own under seccomp: System V IPC is refused. */
    if ((c->sb.use & DCC_SBX_SECCOMP) && c->sb.bpf) {
        int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        if (id >= 0) {
            shmctl(id, IPC_RMID, NULL);
            return 15;
        }
        if (errno != EPERM)
            return 16;
    }
    return 42;
}

static void test_confined_process_reads_and_writes_only_its_job(void **state)
{
    struct confined *c = *state;
    int status = run_confined(c, writes_only_its_job, -1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
    char path[128];
    snprintf(path, sizeof path, "%s/made", c->dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_not_equal(access("/tmp/dcc-sbx-unit-outside", F_OK), 0);
}

static int crashes(struct confined *c, int fd)
{
    (void)c;
    (void)fd;
    signal(SIGSEGV, SIG_DFL); /* cmocka catches it in the test process */
    raise(SIGSEGV);
    return 0;
}

static void test_a_crash_comes_out_as_the_same_signal(void **state)
{
    struct confined *c = *state;
    int status = run_confined(c, crashes, -1);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    assert_false(WCOREDUMP(status));
}

/* Leaves a child in a session of its own, holding fd; returns at once. */
static int leaves_a_sleeper(struct confined *c, int fd)
{
    (void)c;
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        sleep(5);
        /* Only a sleeper that lived its whole life says so. */
        (void)!write(fd, "x", 1);
        _exit(0);
    }
    close(fd);
    return pid > 0 ? 0 : 1;
}

static void test_nothing_outlives_the_compiler(void **state)
{
    struct confined *c = *state;
    if (!(c->sb.use & DCC_SBX_PIDNS))
        skip();
    int p[2];
    assert_int_equal(pipe(p), 0);
    int status = run_confined(c, leaves_a_sleeper, p[1]);
    close(p[1]);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The sleeper holds the writing end: end of file, without its "x",
     * once it is killed. */
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    assert_int_equal(poll(&pf, 1, 10000), 1);
    char b;
    assert_int_equal(read(p[0], &b, 1), 0);
    close(p[0]);
}

/* A process outside the job (the test's own), of the same user. */
static pid_t outside;

/* Tries to signal it: a job must not reach anything outside itself. */
static int signals_outside(struct confined *c, int fd)
{
    (void)c;
    (void)fd;
    return kill(outside, 0) == 0 ? 1 : errno == EPERM ? 20 : errno == ESRCH ? 21 : 22;
}

static void test_a_job_cannot_signal_outside_itself(void **state)
{
    struct confined *c = *state;
    if (!(c->sb.use & DCC_SBX_PIDNS))
        skip();
    outside = getpid();
    int status = run_confined(c, signals_outside, -1);
    assert_true(WIFEXITED(status));
    /* Landlock's signal scope refuses (EPERM); in a pid namespace the
     * process is not even there (ESRCH). */
    assert_int_equal(WEXITSTATUS(status), c->sb.landlock_abi >= 6 ? 20 : 21);
}

/* Reads its mount flags: the job directory is noexec inside. */
static int sees_its_job_noexec(struct confined *c, int fd)
{
    (void)fd;
    struct statvfs sv;
    if (statvfs(c->dir, &sv) != 0)
        return 30;
    return (sv.f_flag & ST_NOEXEC) ? 42 : 31;
}

static void test_the_job_directory_is_noexec(void **state)
{
    struct confined *c = *state;
    if (!(c->sb.use & DCC_SBX_MOUNTNS))
        skip();
    int status = run_confined(c, sees_its_job_noexec, -1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_uses_everything_there_is),
        cmocka_unit_test(test_auto_names_what_is_missing_and_why),
        cmocka_unit_test(test_required_refuses_a_kernel_that_lacks_one),
        cmocka_unit_test(test_off_uses_nothing),
        cmocka_unit_test(test_describe_and_parse),
        {"confined_process_reads_and_writes_only_its_job, own namespaces",
         test_confined_process_reads_and_writes_only_its_job, setup_confined, teardown_confined,
         NULL},
        {"a_crash_comes_out_as_the_same_signal, own namespaces",
         test_a_crash_comes_out_as_the_same_signal, setup_confined, teardown_confined, NULL},
        {"nothing_outlives_the_compiler, own namespaces", test_nothing_outlives_the_compiler,
         setup_confined, teardown_confined, NULL},
        {"a_job_cannot_signal_outside_itself, own namespaces",
         test_a_job_cannot_signal_outside_itself, setup_confined, teardown_confined, NULL},
        {"the_job_directory_is_noexec, own namespaces", test_the_job_directory_is_noexec,
         setup_confined, teardown_confined, NULL},
        {"confined_process_reads_and_writes_only_its_job, shared namespaces",
         test_confined_process_reads_and_writes_only_its_job, setup_shared, teardown_confined,
         NULL},
        {"a_crash_comes_out_as_the_same_signal, shared namespaces",
         test_a_crash_comes_out_as_the_same_signal, setup_shared, teardown_confined, NULL},
        {"nothing_outlives_the_compiler, shared namespaces", test_nothing_outlives_the_compiler,
         setup_shared, teardown_confined, NULL},
        {"a_job_cannot_signal_outside_itself, shared namespaces",
         test_a_job_cannot_signal_outside_itself, setup_shared, teardown_confined, NULL},
        {"the_job_directory_is_noexec, shared namespaces", test_the_job_directory_is_noexec,
         setup_shared, teardown_confined, NULL},
        {"confined_process_reads_and_writes_only_its_job, pid namespace (Landlock ABI 5)",
         test_confined_process_reads_and_writes_only_its_job, setup_pid_namespace,
         teardown_confined, NULL},
        {"a_crash_comes_out_as_the_same_signal, pid namespace (Landlock ABI 5)",
         test_a_crash_comes_out_as_the_same_signal, setup_pid_namespace, teardown_confined, NULL},
        {"nothing_outlives_the_compiler, pid namespace (Landlock ABI 5)",
         test_nothing_outlives_the_compiler, setup_pid_namespace, teardown_confined, NULL},
        {"a_job_cannot_signal_outside_itself, pid namespace (Landlock ABI 5)",
         test_a_job_cannot_signal_outside_itself, setup_pid_namespace, teardown_confined, NULL},
        {"the_job_directory_is_noexec, pid namespace (Landlock ABI 5)",
         test_the_job_directory_is_noexec, setup_pid_namespace, teardown_confined, NULL},
    };
    return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
