/* Unit tests for dcc_exec: starting programs by path or PATH, redirecting their output, and their exit status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/dcc_exec.h"
#include "base/dcc_exit.h"
#include "test_helpers.h"

/* ---- fixture and helpers ------------------------------------------------ */

struct fixture {
    char dir[64];
    char *old_path; /* PATH before the test, restored in teardown */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/dcc-exec-test.XXXXXX") != 0) {
        free(f);
        return -1;
    }
    const char *path = getenv("PATH");
    if (path && !(f->old_path = strdup(path))) {
        rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->old_path)
        setenv("PATH", f->old_path, 1);
    else
        unsetenv("PATH");
    dcc_test_rmtree(f->dir);
    free(f->old_path);
    free(f);
    return 0;
}

static void path_in(const struct fixture *f, const char *rel, char *out, size_t len)
{
    dcc_test_path_in(out, len, f->dir, rel);
}

static void mkdir_in(const struct fixture *f, const char *rel)
{
    char p[PATH_MAX];
    path_in(f, rel, p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
}

/* A /bin/sh script; the bodies use shell builtins only, so they work whatever PATH the test sets. */
static void write_script(const struct fixture *f, const char *rel, const char *body, mode_t mode)
{
    char p[PATH_MAX];
    path_in(f, rel, p, sizeof p);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    assert_true(fprintf(fp, "#!/bin/sh\n%s", body) > 0);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(p, mode), 0);
}

static int open_in(const struct fixture *f, const char *rel)
{
    char p[PATH_MAX];
    path_in(f, rel, p, sizeof p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    return fd;
}

static const char *slurp(const struct fixture *f, const char *rel, char *buf, size_t len)
{
    char p[PATH_MAX];
    path_in(f, rel, p, sizeof p);
    char *text = dcc_test_read_file(p, NULL);
    snprintf(buf, len, "%s", text);
    free(text);
    return buf;
}

static void set_path(const struct fixture *f, const char *rels)
{
    /* rels is "a:b"; each becomes DIR/a. */
    char value[PATH_MAX * 2] = "", copy[256];
    assert_true(strlen(rels) < sizeof copy);
    strcpy(copy, rels);
    char *save = NULL;
    for (char *rel = strtok_r(copy, ":", &save); rel; rel = strtok_r(NULL, ":", &save)) {
        size_t used = strlen(value);
        assert_true((size_t)snprintf(value + used, sizeof value - used, "%s%s/%s", used ? ":" : "",
                                     f->dir, rel) < sizeof value - used);
    }
    assert_int_equal(setenv("PATH", value, 1), 0);
}

static void same_file(const struct stat *a, const struct stat *b)
{
    assert_true(a->st_dev == b->st_dev);
    assert_true(a->st_ino == b->st_ino);
}

/* ---- starting programs --------------------------------------------------- */

static void test_absolute_path_runs_with_output_in_the_given_files(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "", got[256];
    write_script(f, "prog", "echo 'to stdout'\necho 'to stderr' >&2\n", 0755);
    path_in(f, "prog", prog, sizeof prog);

    int first_free = dcc_test_lowest_free_fd();
    struct stat our_out, our_err, st;
    assert_int_equal(fstat(1, &our_out), 0);
    assert_int_equal(fstat(2, &our_err), 0);

    int out = open_in(f, "out"), errf = open_in(f, "err");
    char *argv[] = {prog, NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(argv, out, errf, &status, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* The caller keeps its own descriptors, and the ones it lent. */
    assert_int_not_equal(fcntl(out, F_GETFD), -1);
    assert_int_not_equal(fcntl(errf, F_GETFD), -1);
    assert_int_equal(fstat(1, &st), 0);
    same_file(&st, &our_out);
    assert_int_equal(fstat(2, &st), 0);
    same_file(&st, &our_err);
    close(out);
    close(errf);
    assert_int_equal(dcc_test_lowest_free_fd(), first_free);

    assert_string_equal(slurp(f, "out", got, sizeof got), "to stdout\n");
    assert_string_equal(slurp(f, "err", got, sizeof got), "to stderr\n");
    no_children_left();
}

/* As in a shell: a script without "#!" runs with /bin/sh (execvp does this,
 * posix_spawnp does not). Compiler wrappers written that way exist. */
static void test_script_without_interpreter_line_runs_with_sh(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "", got[64];
    int fd = -1;
    path_in(f, "plain", prog, sizeof prog);
    fd = open(prog, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    assert_true(fd >= 0);
    const char body[] = "echo ran by sh\n";
    assert_int_equal(write(fd, body, sizeof body - 1), (ssize_t)(sizeof body - 1));
    close(fd);
    int out = open_in(f, "out");
    char *argv[] = {prog, NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(argv, out, -1, &status, err, sizeof err), 0);
    close(out);
    assert_int_equal(dcc_exec_exit_code(status), 0);
    assert_string_equal(slurp(f, "out", got, sizeof got), "ran by sh\n");
}

/* distcc ignores SIGPIPE for its sockets; the programs it runs get the
 * default back, like any program started from a shell. */
static void test_child_gets_default_sigpipe(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "";
    write_script(f, "sigpipe", "kill -PIPE $$\nexit 0\n", 0755);
    path_in(f, "sigpipe", prog, sizeof prog);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    char *argv[] = {prog, NULL};
    int status = -1;
    int rc = dcc_exec_run(argv, -1, -1, &status, err, sizeof err);
    signal(SIGPIPE, old);
    assert_int_equal(rc, 0);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGPIPE);
}

/* err_fd 1 is the caller's stdout even when stdout itself is redirected. */
static void test_stderr_to_callers_stdout_while_stdout_goes_to_a_file(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "", got[64];
    write_script(f, "both", "echo out\necho err >&2\n", 0755);
    path_in(f, "both", prog, sizeof prog);
    int saved = dup(1);
    int ours = open_in(f, "ours");
    dup2(ours, 1);
    int out = open_in(f, "out");
    char *argv[] = {prog, NULL};
    int status = -1;
    int rc = dcc_exec_run(argv, out, 1, &status, err, sizeof err);
    dup2(saved, 1);
    close(saved);
    close(ours);
    close(out);
    assert_int_equal(rc, 0);
    assert_string_equal(slurp(f, "out", got, sizeof got), "out\n");
    assert_string_equal(slurp(f, "ours", got, sizeof got), "err\n");
}

static void test_name_is_looked_up_on_path_in_order(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", got[256];
    mkdir_in(f, "first");
    mkdir_in(f, "second");
    write_script(f, "first/mycc", "echo \"mycc from first: $0\"\n", 0755);
    write_script(f, "second/mycc", "echo 'mycc from second'\n", 0755);
    write_script(f, "second/othercc", "echo 'othercc from second'\n", 0755);
    set_path(f, "first:second");

    int out = open_in(f, "out");
    char *mycc[] = {"mycc", NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(mycc, out, -1, &status, err, sizeof err), 0);
    assert_int_equal(dcc_exec_exit_code(status), 0);
    char *othercc[] = {"othercc", NULL};
    assert_int_equal(dcc_exec_run(othercc, out, -1, &status, err, sizeof err), 0);
    assert_int_equal(dcc_exec_exit_code(status), 0);
    close(out);

    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "mycc from first: %s/first/mycc\nothercc from second\n", f->dir);
    assert_string_equal(slurp(f, "out", got, sizeof got), want);
}

/* Like a shell: a file that cannot be executed early on PATH does not hide a program further on. */
static void test_unexecutable_file_on_path_is_skipped(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", got[256];
    mkdir_in(f, "first");
    mkdir_in(f, "second");
    write_script(f, "first/mycc", "echo 'not me'\n", 0644);
    write_script(f, "second/mycc", "echo 'mycc from second'\n", 0755);
    set_path(f, "first:second");

    int out = open_in(f, "out");
    char *argv[] = {"mycc", NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(argv, out, -1, &status, err, sizeof err), 0);
    close(out);
    assert_int_equal(dcc_exec_exit_code(status), 0);
    assert_string_equal(slurp(f, "out", got, sizeof got), "mycc from second\n");
}

static void test_minus_one_inherits_the_callers_stdin_stdout_and_stderr(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], in[PATH_MAX], err[256] = "", got[256];
    write_script(f, "prog", "read line\necho \"out: $line\"\necho \"err: $line\" >&2\n", 0755);
    path_in(f, "prog", prog, sizeof prog);
    path_in(f, "in", in, sizeof in);
    FILE *fp = fopen(in, "w");
    assert_non_null(fp);
    fputs("from stdin\n", fp);
    assert_int_equal(fclose(fp), 0);

    /* Point our own 0/1/2 at files for the run; put them back before any
     * assertion so cmocka's report still reaches the terminal. */
    int in_fd = open(in, O_RDONLY | O_CLOEXEC), out = open_in(f, "out"), errf = open_in(f, "err");
    assert_true(in_fd >= 0);
    fflush(stdout);
    fflush(stderr);
    int saved[3] = {dup(0), dup(1), dup(2)};
    assert_true(saved[0] >= 0 && saved[1] >= 0 && saved[2] >= 0);
    int moved = dup2(in_fd, 0) == 0 && dup2(out, 1) == 1 && dup2(errf, 2) == 2;
    char *argv[] = {prog, NULL};
    int status = -1, rc = -1;
    if (moved)
        rc = dcc_exec_run(argv, -1, -1, &status, err, sizeof err);
    for (int i = 0; i < 3; i++) {
        dup2(saved[i], i);
        close(saved[i]);
    }
    close(in_fd);
    close(out);
    close(errf);

    assert_true(moved);
    assert_int_equal(rc, 0);
    assert_int_equal(dcc_exec_exit_code(status), 0);
    assert_string_equal(slurp(f, "out", got, sizeof got), "out: from stdin\n");
    assert_string_equal(slurp(f, "err", got, sizeof got), "err: from stdin\n");
}

/* The 2>&1 a compile log relies on: one file, lines in the order written. */
static void test_one_file_for_both_streams_keeps_the_order(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "", got[256];
    write_script(f, "prog", "echo one\necho two >&2\necho three\necho four >&2\n", 0755);
    path_in(f, "prog", prog, sizeof prog);

    int log = open_in(f, "log");
    char *argv[] = {prog, NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(argv, log, log, &status, err, sizeof err), 0);
    close(log);
    assert_int_equal(dcc_exec_exit_code(status), 0);
    assert_string_equal(slurp(f, "log", got, sizeof got), "one\ntwo\nthree\nfour\n");
}

static void test_arguments_reach_the_child_unchanged(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "", got[512];
    write_script(f, "args", "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n", 0755);
    path_in(f, "args", prog, sizeof prog);

    int out = open_in(f, "out");
    char *argv[] = {prog, "-c",    "hello world.c", "",  "  two  spaces  ", "", "-DX=\"a b\"",
                    "*",  "$HOME", "a\\n",          NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(argv, out, -1, &status, err, sizeof err), 0);
    close(out);
    assert_int_equal(dcc_exec_exit_code(status), 0);
    assert_string_equal(slurp(f, "out", got, sizeof got), "[-c]\n"
                                                          "[hello world.c]\n"
                                                          "[]\n"
                                                          "[  two  spaces  ]\n"
                                                          "[]\n"
                                                          "[-DX=\"a b\"]\n"
                                                          "[*]\n"
                                                          "[$HOME]\n"
                                                          "[a\\n]\n");
}

/* ---- exit status ---------------------------------------------------------- */

static void test_exit_status_comes_back_raw(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "";
    write_script(f, "exit7", "exit 7\n", 0755);
    path_in(f, "exit7", prog, sizeof prog);

    char *argv[] = {prog, NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(argv, -1, -1, &status, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(status, W_EXITCODE(7, 0));
    assert_int_equal(dcc_exec_exit_code(status), 7);

    /* The same through spawn + wait. */
    pid_t pid = -1;
    assert_int_equal(dcc_exec_spawn(argv, -1, -1, &pid, err, sizeof err), 0);
    assert_true(pid > 0);
    status = -1;
    assert_int_equal(dcc_exec_wait(pid, &status), 0);
    assert_int_equal(status, W_EXITCODE(7, 0));
    no_children_left();
}

/* A compiler that itself exits 110 ran: the caller must not mistake it for a missing one. */
static void test_compiler_exiting_110_is_not_cannot_run(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "";
    write_script(f, "exit110", "exit 110\n", 0755);
    path_in(f, "exit110", prog, sizeof prog);

    char *argv[] = {prog, NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(argv, -1, -1, &status, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_true(WIFEXITED(status));
    assert_int_equal(dcc_exec_exit_code(status), DCC_EXIT_COMPILER_MISSING);
}

static void test_killed_child_is_128_plus_the_signal(void **state)
{
    (void)state;
    if (access("/bin/sleep", X_OK) != 0)
        skip();
    char err[256] = "";
    char *argv[] = {"/bin/sleep", "30", NULL};
    pid_t pid = -1;
    assert_int_equal(dcc_exec_spawn(argv, -1, -1, &pid, err, sizeof err), 0);
    assert_int_equal(kill(pid, SIGTERM), 0);
    int status = -1;
    assert_int_equal(dcc_exec_wait(pid, &status), 0);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    assert_int_equal(dcc_exec_exit_code(status), 128 + 15);

    /* A child that kills itself, through run. */
    char *self[] = {"/bin/sh", "-c", "kill -KILL $$", NULL};
    assert_int_equal(dcc_exec_run(self, -1, -1, &status, err, sizeof err), 0);
    assert_int_equal(dcc_exec_exit_code(status), 128 + 9);
    no_children_left();
}

/* A stopped child is neither an exit nor a death: distcc's own failure code. */
static void test_stopped_child_maps_to_distcc_failed(void **state)
{
    (void)state;
    if (access("/bin/sleep", X_OK) != 0)
        skip();
    char err[256] = "";
    char *argv[] = {"/bin/sleep", "30", NULL};
    pid_t pid = -1;
    assert_int_equal(dcc_exec_spawn(argv, -1, -1, &pid, err, sizeof err), 0);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    int status = -1;
    assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
    int stopped = status;
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(dcc_exec_wait(pid, &status), 0);
    assert_true(WIFSTOPPED(stopped));
    assert_int_equal(dcc_exec_exit_code(stopped), DCC_EXIT_DISTCC_FAILED);
    assert_int_equal(dcc_exec_exit_code(status), 128 + 9);
    no_children_left();
}

static void test_exit_code_of_made_up_statuses(void **state)
{
    (void)state;
    static const struct {
        int status, code;
    } cases[] = {
        {W_EXITCODE(0, 0), 0},
        {W_EXITCODE(7, 0), 7},
        {W_EXITCODE(255, 0), 255},
        {W_EXITCODE(0, SIGTERM), 128 + 15},
        {W_EXITCODE(0, SIGSEGV) | WCOREFLAG, 128 + 11}, /* a core dump is still the signal */
        {W_STOPCODE(SIGSTOP), DCC_EXIT_DISTCC_FAILED},
        {W_STOPCODE(SIGTTOU), DCC_EXIT_DISTCC_FAILED},
        {0xffff, DCC_EXIT_DISTCC_FAILED}, /* "continued", as waitpid(WCONTINUED) reports it */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = dcc_exec_exit_code(cases[i].status);
        if (got != cases[i].code)
            fail_msg("status %#x: exit code %d, want %d", (unsigned)cases[i].status, got,
                     cases[i].code);
    }
}

/* ---- cannot run ------------------------------------------------------------ */

static void test_missing_program_is_compiler_missing(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", abs[PATH_MAX], want[PATH_MAX + 64];
    set_path(f, ".");

    char *by_name[] = {"no-such-cc", "-c", "x.c", NULL};
    pid_t pid = -1;
    assert_int_equal(dcc_exec_spawn(by_name, -1, -1, &pid, err, sizeof err),
                     DCC_EXIT_COMPILER_MISSING);
    assert_string_equal(err, "cannot run no-such-cc: No such file or directory");
    no_children_left();

    path_in(f, "absent/gcc", abs, sizeof abs);
    char *by_path[] = {abs, NULL};
    int status = -1;
    strcpy(err, "");
    assert_int_equal(dcc_exec_run(by_path, -1, -1, &status, err, sizeof err),
                     DCC_EXIT_COMPILER_MISSING);
    snprintf(want, sizeof want, "cannot run %s: No such file or directory", abs);
    assert_string_equal(err, want);
    no_children_left();
}

static void test_file_without_execute_permission_is_permission_denied(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", prog[PATH_MAX], want[PATH_MAX + 64];
    write_script(f, "noexec", "exit 0\n", 0644);
    path_in(f, "noexec", prog, sizeof prog);

    char *by_path[] = {prog, NULL};
    pid_t pid = -1;
    assert_int_equal(dcc_exec_spawn(by_path, -1, -1, &pid, err, sizeof err),
                     DCC_EXIT_COMPILER_MISSING);
    snprintf(want, sizeof want, "cannot run %s: Permission denied", prog);
    assert_string_equal(err, want);
    no_children_left();

    set_path(f, ".");
    char *by_name[] = {"noexec", NULL};
    int status = -1;
    assert_int_equal(dcc_exec_run(by_name, -1, -1, &status, err, sizeof err),
                     DCC_EXIT_COMPILER_MISSING);
    assert_string_equal(err, "cannot run noexec: Permission denied");
    no_children_left();
}

static void test_error_text_is_cut_to_the_buffer(void **state)
{
    struct fixture *f = *state;
    set_path(f, ".");
    char err[16];
    memset(err, 'x', sizeof err);
    char *argv[] = {"no-such-cc", NULL};
    pid_t pid = -1;
    assert_int_equal(dcc_exec_spawn(argv, -1, -1, &pid, err, 12), DCC_EXIT_COMPILER_MISSING);
    assert_string_equal(err, "cannot run ");
    assert_memory_equal(err + 12, "xxxx", 4);
}

/* ---- waiting ---------------------------------------------------------------- */

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* A signal handler in the program (without SA_RESTART) must not turn into a failed wait. */
static void test_wait_survives_an_interrupting_signal(void **state)
{
    (void)state;
    if (access("/bin/sleep", X_OK) != 0)
        skip();
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    alarms = 0;

    char err[256] = "";
    char *argv[] = {"/bin/sleep", "0.4", NULL};
    pid_t pid = -1;
    int rc = dcc_exec_spawn(argv, -1, -1, &pid, err, sizeof err);
    struct itimerval t = {.it_value = {.tv_sec = 0, .tv_usec = 100 * 1000}};
    setitimer(ITIMER_REAL, &t, NULL);
    int status = -1, waited = -1;
    if (rc == 0)
        waited = dcc_exec_wait(pid, &status);
    memset(&t, 0, sizeof t);
    setitimer(ITIMER_REAL, &t, NULL);
    sigaction(SIGALRM, &old, NULL);

    assert_int_equal(rc, 0);
    assert_int_equal(waited, 0);
    assert_int_equal(alarms, 1);
    assert_int_equal(dcc_exec_exit_code(status), 0);
    no_children_left();
}

static void test_waiting_twice_is_echild(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[256] = "";
    write_script(f, "ok", "exit 0\n", 0755);
    path_in(f, "ok", prog, sizeof prog);
    char *argv[] = {prog, NULL};
    pid_t pid = -1;
    int status = -1;
    assert_int_equal(dcc_exec_spawn(argv, -1, -1, &pid, err, sizeof err), 0);
    assert_int_equal(dcc_exec_wait(pid, &status), 0);
    errno = 0;
    assert_int_equal(dcc_exec_wait(pid, &status), -1);
    assert_int_equal(errno, ECHILD);
}

/* With SIGCHLD ignored the kernel reaps the child and its status is gone:
 * run must say so rather than hand back a made-up status. */
static void test_run_reports_a_status_lost_to_ignored_sigchld(void **state)
{
    struct fixture *f = *state;
    char prog[PATH_MAX], err[PATH_MAX + 64] = "", want[PATH_MAX + 64];
    write_script(f, "ok", "exit 0\n", 0755);
    path_in(f, "ok", prog, sizeof prog);

    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
    char *argv[] = {prog, NULL};
    int status = -1;
    int rc = dcc_exec_run(argv, -1, -1, &status, err, sizeof err);
    assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);

    assert_int_equal(rc, DCC_EXIT_DISTCC_FAILED);
    snprintf(want, sizeof want, "waiting for %s failed: No child processes", prog);
    assert_string_equal(err, want);
    no_children_left();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_absolute_path_runs_with_output_in_the_given_files),
        T(test_script_without_interpreter_line_runs_with_sh),
        T(test_child_gets_default_sigpipe),
        T(test_stderr_to_callers_stdout_while_stdout_goes_to_a_file),
        T(test_name_is_looked_up_on_path_in_order),
        T(test_unexecutable_file_on_path_is_skipped),
        T(test_minus_one_inherits_the_callers_stdin_stdout_and_stderr),
        T(test_one_file_for_both_streams_keeps_the_order),
        T(test_arguments_reach_the_child_unchanged),
        T(test_exit_status_comes_back_raw),
        T(test_compiler_exiting_110_is_not_cannot_run),
        T(test_killed_child_is_128_plus_the_signal),
        T(test_stopped_child_maps_to_distcc_failed),
        cmocka_unit_test(test_exit_code_of_made_up_statuses),
        T(test_missing_program_is_compiler_missing),
        T(test_file_without_execute_permission_is_permission_denied),
        T(test_error_text_is_cut_to_the_buffer),
        T(test_wait_survives_an_interrupting_signal),
        T(test_waiting_twice_is_echild),
        T(test_run_reports_a_status_lost_to_ignored_sigchld),
    };
#undef T
    return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
