/* Unit tests for dcc_cleanup: what an interrupted client removes and stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/dcc_cleanup.h"
#include "client/dcc_exec.h"
#include "test_helpers.h"

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    static struct fixture f;
    if (dcc_test_tmpdir(f.dir, sizeof f.dir, "/tmp/dcc-cleanup.XXXXXX") != 0)
        return -1;
    dcc_cleanup_reset();
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dcc_cleanup_reset();
    return dcc_test_rmtree(f->dir);
}

static void make_file(const struct fixture *f, const char *name, char *path)
{
    snprintf(path, PATH_MAX, "%s/%s", f->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
}

static int exists(const char *path)
{
    return dcc_test_exists(path);
}

static void test_run_removes_registered_files_only(void **state)
{
    struct fixture *f = *state;
    char a[PATH_MAX], b[PATH_MAX], other[PATH_MAX];
    make_file(f, "a.i", a);
    make_file(f, ".x.o.distcc-123456", b);
    make_file(f, "other", other);
    assert_int_equal(dcc_cleanup_add_file(a), 0);
    assert_int_equal(dcc_cleanup_add_file(b), 0);
    assert_int_equal(dcc_cleanup_run(SIGTERM), 2);
    assert_false(exists(a));
    assert_false(exists(b));
    assert_true(exists(other));
    /* Run once: a second run has nothing left to do. */
    assert_int_equal(dcc_cleanup_run(SIGTERM), 0);
}

static void test_forgotten_file_stays(void **state)
{
    struct fixture *f = *state;
    char a[PATH_MAX], b[PATH_MAX];
    make_file(f, "kept.i", a);
    make_file(f, "gone.i", b);
    assert_int_equal(dcc_cleanup_add_file(a), 0);
    assert_int_equal(dcc_cleanup_add_file(b), 0);
    dcc_cleanup_forget_file(a);
    assert_int_equal(dcc_cleanup_run(SIGINT), 1);
    assert_true(exists(a));
    assert_false(exists(b));
}

/* A full table refuses instead of overwriting an entry, and a freed slot is
 * used again. */
static void test_table_full_and_reused(void **state)
{
    struct fixture *f = *state;
    char paths[DCC_CLEANUP_MAX_FILES + 1][PATH_MAX];
    for (int i = 0; i < DCC_CLEANUP_MAX_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d", i);
        make_file(f, name, paths[i]);
        assert_int_equal(dcc_cleanup_add_file(paths[i]), 0);
    }
    make_file(f, "extra", paths[DCC_CLEANUP_MAX_FILES]);
    assert_int_equal(dcc_cleanup_add_file(paths[DCC_CLEANUP_MAX_FILES]), -1);
    dcc_cleanup_forget_file(paths[3]);
    assert_int_equal(dcc_cleanup_add_file(paths[DCC_CLEANUP_MAX_FILES]), 0);
    assert_int_equal(dcc_cleanup_run(SIGTERM), DCC_CLEANUP_MAX_FILES);
    assert_true(exists(paths[3]));
    assert_false(exists(paths[DCC_CLEANUP_MAX_FILES]));
}

static void test_bad_paths_refused(void **state)
{
    (void)state;
    char *long_path = malloc(PATH_MAX + 10);
    assert_non_null(long_path);
    memset(long_path, 'a', PATH_MAX + 9);
    long_path[PATH_MAX + 9] = '\0';
    assert_int_equal(dcc_cleanup_add_file(long_path), -1);
    assert_int_equal(dcc_cleanup_add_file(""), -1);
    free(long_path);
    assert_int_equal(dcc_cleanup_run(SIGTERM), 0);
}

/* A child started through dcc_exec is signalled; once waited for it is not. */
static void test_children_from_dcc_exec_are_signalled(void **state)
{
    (void)state;
    char *argv[] = {"sleep", "30", NULL};
    pid_t pid;
    char err[256];
    assert_int_equal(dcc_exec_spawn(argv, -1, -1, &pid, err, sizeof err), 0);
    dcc_cleanup_run(SIGTERM);
    int status;
    assert_int_equal(dcc_exec_wait(pid, &status), 0);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);

    /* Waited for: forgotten, so a later run cannot hit a reused pid. */
    char *argv2[] = {"true", NULL};
    assert_int_equal(dcc_exec_run(argv2, -1, -1, &status, err, sizeof err), 0);
    assert_int_equal(dcc_cleanup_run(SIGKILL), 0);
}

/* cpp runs in a group of its own: the driver's children go too. */
static void test_a_group_is_signalled_whole(void **state)
{
    struct fixture *f = *state;
    char pidfile[PATH_MAX], script[PATH_MAX + 64];
    snprintf(pidfile, sizeof pidfile, "%s/grandchild.pid", f->dir);
    /* The shell says it got SIGTERM by its exit status; its sleep is left
     * to the signal to the group. */
    snprintf(script, sizeof script, "trap 'exit 7' TERM; sleep 30 & echo $! >%s; wait", pidfile);
    char *argv[] = {"sh", "-c", script, NULL};
    pid_t pid;
    char err[256];
    assert_int_equal(dcc_exec_spawn_group(argv, -1, -1, &pid, err, sizeof err), 0);
    /* Polls bounded at 10 s: a loaded machine can take seconds to start sh. */
    long grandchild = 0;
    for (int i = 0; i < 1000 && grandchild == 0; i++) {
        FILE *fp = fopen(pidfile, "r");
        if (fp) {
            if (fscanf(fp, "%ld", &grandchild) != 1)
                grandchild = 0;
            fclose(fp);
        }
        if (grandchild == 0)
            usleep(10000);
    }
    assert_true(grandchild > 0);
    assert_int_equal(getpgid((pid_t)grandchild), pid);
    dcc_cleanup_run(SIGTERM);
    int status;
    assert_int_equal(dcc_exec_wait(pid, &status), 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7);
    /* The grandchild was ours to signal too (it is init's to reap). */
    int gone = 0;
    for (int i = 0; i < 1000 && !gone; i++) {
        char stat_path[64], buf[512] = "";
        snprintf(stat_path, sizeof stat_path, "/proc/%ld/stat", grandchild);
        FILE *fp = fopen(stat_path, "r");
        gone = !fp;
        if (fp) {
            /* A zombie waiting for its reaper counts as gone. */
            gone = fgets(buf, sizeof buf, fp) && strstr(buf, ") Z ");
            fclose(fp);
        }
        if (!gone)
            usleep(10000);
    }
    assert_true(gone);
}

/* A forked child (between fork and exec) must not remove its parent's
 * files. */
static void test_forked_child_does_nothing(void **state)
{
    struct fixture *f = *state;
    char a[PATH_MAX];
    make_file(f, "parent.i", a);
    assert_int_equal(dcc_cleanup_add_file(a), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(dcc_cleanup_run(SIGTERM));
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(exists(a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_run_removes_registered_files_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forgotten_file_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_full_and_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_paths_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_from_dcc_exec_are_signalled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_group_is_signalled_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forked_child_does_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
