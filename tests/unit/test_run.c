/* Unit tests for dcc_run: capture, caps, timeouts killing a group, exec failures, env, signals, fds, parallel runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/dcc_run.h"
#include "test_helpers.h"

/* ---- fixture and helpers ------------------------------------------------ */

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return dcc_test_tmpdir(dir, sizeof dir, "/tmp/dcc-run-test.XXXXXX");
}

static int teardown(void **state)
{
    (void)state;
    return dcc_test_rmtree(dir);
}

static void path_in(const char *rel, char *out, size_t len)
{
    assert_true((size_t)snprintf(out, len, "%s/%s", dir, rel) < len);
}

/* DIR/rel as a /bin/sh script with the given mode; its path in out. */
static void script(const char *rel, const char *body, mode_t mode, char *out, size_t len)
{
    path_in(rel, out, len);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    assert_true(fprintf(f, "#!/bin/sh\n%s", body) > 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(out, mode), 0);
}

/* Runs the script body with stdout captured into out (stderr merged) and
 * the given flags; returns the dcc_run result. */
static int run_sh(const char *body, unsigned flags, int timeout_ms, size_t cap, struct dcc_buf *out,
                  int *st, char *err, size_t errlen)
{
    char *argv[] = {"/bin/sh", "-c", (char *)body, "sh", NULL};
    struct dcc_run_opts o = {.argv = argv,
                             .out = DCC_RUN_CAPTURE,
                             .out_buf = out,
                             .err = DCC_RUN_MERGE,
                             .cap = cap,
                             .timeout_ms = timeout_ms,
                             .flags = flags};
    return dcc_run(&o, st, err, errlen);
}

/* The pid the script wrote to pidfile is gone, or a zombie waiting for
 * init, within about 1 s. */
static void assert_pidfile_process_gone(const char *pidfile)
{
    FILE *f = fopen(pidfile, "r");
    assert_non_null(f);
    int pid = 0;
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    char stat_path[64], stat[256];
    snprintf(stat_path, sizeof stat_path, "/proc/%d/stat", pid);
    for (int i = 0; i < 100; i++) {
        f = fopen(stat_path, "r");
        if (!f)
            return;
        if (!fgets(stat, sizeof stat, f))
            stat[0] = '\0';
        fclose(f);
        const char *paren = strrchr(stat, ')');
        if (paren && paren[1] == ' ' && paren[2] == 'Z')
            return;
        usleep(10000);
    }
    fail_msg("process %d from %s is still running", pid, pidfile);
}

/* ---- capturing ------------------------------------------------------------ */

static void test_stdout_and_stderr_are_captured_apart(void **state)
{
    (void)state;
    int first_free = dcc_test_lowest_free_fd();
    char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    struct dcc_buf out = {0}, errout = {0};
    assert_int_equal(dcc_buf_appends(&out, "before:"), 0);
    struct dcc_run_opts o = {.argv = argv,
                             .out = DCC_RUN_CAPTURE,
                             .out_buf = &out,
                             .err = DCC_RUN_CAPTURE,
                             .err_buf = &errout};
    char err[256] = "";
    int st = -1;
    assert_int_equal(dcc_run(&o, &st, err, sizeof err), DCC_RUN_OK);
    assert_string_equal(err, "");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    assert_string_equal(out.data, "before:out\n");
    assert_string_equal(errout.data, "err\n");
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    assert_int_equal(dcc_test_lowest_free_fd(), first_free);
    no_children_left();
}

/* The 2>&1 a compiler's -v output relies on: one buffer, in the order written. */
static void test_merged_output_keeps_the_order(void **state)
{
    (void)state;
    struct dcc_buf out = {0};
    char err[256] = "";
    int st = -1;
    assert_int_equal(run_sh("echo one; echo two >&2; echo three; echo four >&2", 0, 0, 0, &out, &st,
                            err, sizeof err),
                     DCC_RUN_OK);
    assert_int_equal(st, 0);
    assert_string_equal(out.data, "one\ntwo\nthree\nfour\n");
    dcc_buf_free(&out);
    no_children_left();
}

/* Nothing said is still an empty string, not NULL. */
static void test_silent_program_gives_an_empty_string(void **state)
{
    (void)state;
    struct dcc_buf out = {0};
    char err[256] = "";
    int st = -1;
    assert_int_equal(run_sh("exit 0", 0, 0, 0, &out, &st, err, sizeof err), DCC_RUN_OK);
    assert_non_null(out.data);
    assert_string_equal(out.data, "");
    dcc_buf_free(&out);
}

static void test_stdin_from_a_file_stdout_to_a_lent_fd_stderr_to_null(void **state)
{
    (void)state;
    char in[PATH_MAX], outfile[PATH_MAX], got[256] = "";
    path_in("in", in, sizeof in);
    path_in("out", outfile, sizeof outfile);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("hello\n", f);
    assert_int_equal(fclose(f), 0);
    int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);

    char *argv[] = {"/bin/sh", "-c", "read line; echo \"got $line\"; echo hidden >&2", NULL};
    struct dcc_run_opts o = {.argv = argv,
                             .in = DCC_RUN_IN_FILE,
                             .in_file = in,
                             .out = DCC_RUN_FD,
                             .out_fd = fd,
                             .err = DCC_RUN_NULL};
    char err[256] = "";
    int st = -1;
    assert_int_equal(dcc_run(&o, &st, err, sizeof err), DCC_RUN_OK);
    assert_int_equal(st, 0);
    assert_int_not_equal(fcntl(fd, F_GETFD), -1); /* still the caller's */
    close(fd);
    f = fopen(outfile, "r");
    assert_non_null(f);
    assert_non_null(fgets(got, sizeof got, f));
    assert_null(fgets(got + strlen(got), (int)(sizeof got - strlen(got)), f));
    fclose(f);
    assert_string_equal(got, "got hello\n");
    no_children_left();
}

/* ---- the cap --------------------------------------------------------------- */

static void test_output_over_the_cap_is_an_error_and_stops_the_program(void **state)
{
    (void)state;
    int first_free = dcc_test_lowest_free_fd();
    struct dcc_buf out = {0};
    char err[256] = "";
    int st = -1;
    /* It would print forever: only the cap ends it. */
    assert_int_equal(
        run_sh("while :; do echo 0123456789; done", 0, 0, 1000, &out, &st, err, sizeof err),
        DCC_RUN_OVER_CAP);
    assert_string_equal(err, "/bin/sh printed more than 1000 bytes");
    assert_int_equal(out.len, 1000);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    dcc_buf_free(&out);
    assert_int_equal(dcc_test_lowest_free_fd(), first_free);
    no_children_left();
}

static void test_truncate_keeps_the_first_cap_bytes_and_drains_the_rest(void **state)
{
    (void)state;
    struct dcc_buf out = {0};
    char err[256] = "";
    int st = -1;
    /* About 600 kB, far more than a pipe holds: the child must not block. */
    assert_int_equal(
        run_sh(
            "i=0; while [ $i -lt 20000 ]; do echo 1.2.3-padding-padding-padding; i=$((i+1)); done; "
            "exit 7",
            DCC_RUN_TRUNCATE, 0, 1000, &out, &st, err, sizeof err),
        DCC_RUN_OK);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 7);
    assert_int_equal(out.len, 1000);
    assert_int_equal(strncmp(out.data, "1.2.3-padding-padding-padding\n1.2.3", 35), 0);
    dcc_buf_free(&out);
    no_children_left();
}

/* ---- the timeout and the process group ---------------------------------- */

static void test_timeout_kills_the_whole_group(void **state)
{
    (void)state;
    char pidfile[PATH_MAX], body[PATH_MAX + 64];
    path_in("grandchild.pid", pidfile, sizeof pidfile);
    snprintf(body, sizeof body, "sleep 30 & echo $! > '%s'; echo started; sleep 30", pidfile);
    struct dcc_buf out = {0};
    char err[256] = "";
    int st = -1;
    assert_int_equal(run_sh(body, 0, 300, 0, &out, &st, err, sizeof err), DCC_RUN_TIMEOUT);
    assert_string_equal(err, "/bin/sh did not finish within 300 ms");
    assert_string_equal(out.data, "started\n");
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    dcc_buf_free(&out);
    no_children_left();

    /* The background sleep was in the group: it is gone too. */
    assert_pidfile_process_gone(pidfile);
}

/* As with a shell's $(...): output held open by a grandchild is waited for,
 * here up to the deadline, which then ends the grandchild too. */
static void test_output_held_open_after_the_exit_runs_to_the_deadline(void **state)
{
    (void)state;
    char pidfile[PATH_MAX], body[PATH_MAX + 64];
    path_in("holder.pid", pidfile, sizeof pidfile);
    snprintf(body, sizeof body, "sleep 30 & echo $! > '%s'; echo bye; exit 4", pidfile);
    struct dcc_buf out = {0};
    char err[256] = "";
    int st = -1;
    assert_int_equal(run_sh(body, 0, 300, 0, &out, &st, err, sizeof err), DCC_RUN_TIMEOUT);
    assert_string_equal(err,
                        "/bin/sh exited, but a process it left kept its output open past 300 ms");
    assert_string_equal(out.data, "bye\n");
    assert_true(WIFEXITED(st)); /* its own end, not the kill */
    assert_int_equal(WEXITSTATUS(st), 4);
    dcc_buf_free(&out);
    no_children_left();
    assert_pidfile_process_gone(pidfile);
}

/* The child leads a group of its own, or with DCC_RUN_SAME_GROUP stays in ours. */
static void test_process_group(void **state)
{
    (void)state;
    const char *body = "read -r pid comm state ppid pgrp rest < /proc/$$/stat; echo \"$pid $pgrp\"";
    char want[64], err[256] = "";
    struct dcc_buf out = {0};
    int st = -1;
    char *argv[] = {"/bin/sh", "-c", (char *)body, NULL};
    struct dcc_run_opts o = {.argv = argv, .out = DCC_RUN_CAPTURE, .out_buf = &out};
    struct dcc_run *h = NULL;
    assert_int_equal(dcc_run_start(&o, &h, err, sizeof err), DCC_RUN_OK);
    pid_t pid = dcc_run_pid(h);
    assert_int_equal(dcc_run_finish(h, &st, err, sizeof err), DCC_RUN_OK);
    snprintf(want, sizeof want, "%d %d\n", (int)pid, (int)pid);
    assert_string_equal(out.data, want);

    out.len = 0;
    o.flags = DCC_RUN_SAME_GROUP;
    assert_int_equal(dcc_run_start(&o, &h, err, sizeof err), DCC_RUN_OK);
    pid = dcc_run_pid(h);
    assert_int_equal(dcc_run_finish(h, &st, err, sizeof err), DCC_RUN_OK);
    snprintf(want, sizeof want, "%d %d\n", (int)pid, (int)getpgrp());
    assert_string_equal(out.data, want);
    dcc_buf_free(&out);
    no_children_left();
}

/* ---- cannot run ------------------------------------------------------------- */

static void test_exec_failure_names_the_errno(void **state)
{
    (void)state;
    int first_free = dcc_test_lowest_free_fd();
    char notexec[PATH_MAX], want[PATH_MAX + 128], err[PATH_MAX + 128] = "";
    struct dcc_buf out = {0};
    int st = -1;
    char *argv[] = {"cc", NULL};
    struct dcc_run_opts o = {
        .argv = argv, .prog = "/nonexistent/cc", .out = DCC_RUN_CAPTURE, .out_buf = &out};
    errno = 0;
    assert_int_equal(dcc_run(&o, &st, err, sizeof err), DCC_RUN_NOT_RUN);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(err, "cannot run /nonexistent/cc: No such file or directory");
    assert_int_equal(out.len, 0);

    script("notexec", "exit 0\n", 0644, notexec, sizeof notexec);
    o.prog = notexec;
    assert_int_equal(dcc_run(&o, &st, err, sizeof err), DCC_RUN_NOT_RUN);
    assert_int_equal(errno, EACCES);
    snprintf(want, sizeof want, "cannot run %s: Permission denied", notexec);
    assert_string_equal(err, want); /* even root needs an x bit to exec */

    /* Looked up on PATH: not found anywhere. */
    char *byname[] = {"dcc-no-such-program-xyz", NULL};
    struct dcc_run_opts p = {.argv = byname, .flags = DCC_RUN_SEARCH_PATH};
    assert_int_equal(dcc_run(&p, &st, err, sizeof err), DCC_RUN_NOT_RUN);
    assert_string_equal(err, "cannot run dcc-no-such-program-xyz: No such file or directory");

    /* The working directory and the input are the program's too. */
    char *sh[] = {"/bin/sh", "-c", "exit 0", NULL};
    struct dcc_run_opts q = {.argv = sh, .dir = "/nonexistent/dir"};
    assert_int_equal(dcc_run(&q, &st, err, sizeof err), DCC_RUN_NOT_RUN);
    assert_string_equal(err, "cannot run /bin/sh in /nonexistent/dir: No such file or directory");
    struct dcc_run_opts r = {.argv = sh, .in = DCC_RUN_IN_FILE, .in_file = "/nonexistent/input"};
    assert_int_equal(dcc_run(&r, &st, err, sizeof err), DCC_RUN_NOT_RUN);
    assert_string_equal(
        err, "cannot run /bin/sh: cannot open /nonexistent/input: No such file or directory");

    dcc_buf_free(&out);
    assert_int_equal(dcc_test_lowest_free_fd(), first_free);
    no_children_left();
}

static void test_started_then_detached_leaves_the_pid_to_the_caller(void **state)
{
    (void)state;
    char err[256] = "";
    char *argv[] = {"/bin/sh", "-c", "exit 5", NULL};
    struct dcc_run_opts o = {.argv = argv};
    struct dcc_run *h = NULL;
    assert_int_equal(dcc_run_start(&o, &h, err, sizeof err), DCC_RUN_OK);
    assert_int_equal(dcc_run_started(h, err, sizeof err), 0);
    pid_t pid = dcc_run_detach(h);
    int st = -1;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(WEXITSTATUS(st), 5);

    char *missing[] = {"/nonexistent/cc", NULL};
    o.argv = missing;
    assert_int_equal(dcc_run_start(&o, &h, err, sizeof err), DCC_RUN_OK);
    assert_int_equal(dcc_run_started(h, err, sizeof err), -1);
    assert_string_equal(err, "cannot run /nonexistent/cc: No such file or directory");
    assert_int_equal(dcc_run_finish(h, &st, NULL, 0), DCC_RUN_NOT_RUN);
    no_children_left();
}

/* ---- the environment ------------------------------------------------------- */

static void test_environment_changes(void **state)
{
    (void)state;
    setenv("DCC_RUN_KEPT", "kept", 1);
    setenv("DCC_RUN_GONE", "gone", 1);
    setenv("DCC_RUN_SWAPPED", "old", 1);
    const char *changes[] = {"DCC_RUN_GONE", "DCC_RUN_SWAPPED=new", "DCC_RUN_ADDED=added", NULL};
    char *argv[] = {"/bin/sh", "-c",
                    "echo \"$DCC_RUN_KEPT ${DCC_RUN_GONE-unset} $DCC_RUN_SWAPPED $DCC_RUN_ADDED\"; "
                    "env | grep -c '^DCC_RUN_SWAPPED='",
                    NULL};
    struct dcc_buf out = {0};
    struct dcc_run_opts o = {
        .argv = argv, .env_set = changes, .out = DCC_RUN_CAPTURE, .out_buf = &out};
    char err[256] = "";
    int st = -1;
    assert_int_equal(dcc_run(&o, &st, err, sizeof err), DCC_RUN_OK);
    unsetenv("DCC_RUN_KEPT");
    unsetenv("DCC_RUN_GONE");
    unsetenv("DCC_RUN_SWAPPED");
    assert_string_equal(out.data, "kept unset new added\n1\n");

    /* A whole environment of the caller's instead of ours, changed too. */
    char *whole[] = {"ONLY=one", "PATH=/bin:/usr/bin", "DROPPED=x", NULL};
    const char *drop[] = {"DROPPED", NULL};
    char *show[] = {"/bin/sh", "-c", "echo \"$ONLY ${HOME-nohome} ${DROPPED-nodropped}\"", NULL};
    out.len = 0;
    struct dcc_run_opts p = {
        .argv = show, .env = whole, .env_set = drop, .out = DCC_RUN_CAPTURE, .out_buf = &out};
    assert_int_equal(dcc_run(&p, &st, err, sizeof err), DCC_RUN_OK);
    assert_string_equal(out.data, "one nohome nodropped\n");
    dcc_buf_free(&out);
}

/* A bare name is looked up on the caller's PATH, as execvp does. */
static void test_search_path(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    script("dcc-run-found", "echo \"found as $0\"\n", 0755, prog, sizeof prog);
    char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", dir, 1);
    char *argv[] = {"dcc-run-found", NULL};
    struct dcc_buf out = {0};
    struct dcc_run_opts o = {
        .argv = argv, .out = DCC_RUN_CAPTURE, .out_buf = &out, .flags = DCC_RUN_SEARCH_PATH};
    char err[256] = "", want[PATH_MAX + 32];
    int st = -1;
    int rc = dcc_run(&o, &st, err, sizeof err);
    if (old)
        setenv("PATH", old, 1);
    free(old);
    assert_int_equal(rc, DCC_RUN_OK);
    snprintf(want, sizeof want, "found as %s\n", prog);
    assert_string_equal(out.data, want);
    dcc_buf_free(&out);
}

/* ---- signals and descriptors ---------------------------------------------- */

static void test_signals_are_reset_unless_kept(void **state)
{
    (void)state;
    struct sigaction ign, old_int, old_pipe;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGINT, &ign, &old_int), 0);
    assert_int_equal(sigaction(SIGPIPE, &ign, &old_pipe), 0);
    sigset_t term, old_mask;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    assert_int_equal(sigprocmask(SIG_BLOCK, &term, &old_mask), 0);

    struct dcc_buf out = {0};
    char err[256] = "";
    int by_int = -1, by_term = -1, kept_int = -1, kept_pipe = -1;
    int r1 = run_sh("kill -INT $$; echo survived", 0, 0, 0, &out, &by_int, err, sizeof err);
    int r2 = run_sh("kill -TERM $$; echo survived", 0, 0, 0, &out, &by_term, err, sizeof err);
    /* Kept: an INT ignored by whoever started us stays ignored (nohup,
     * "cmd &"), but our own ignored SIGPIPE is undone. */
    int r3 = run_sh("kill -INT $$; echo survived", DCC_RUN_KEEP_SIGNALS, 0, 0, &out, &kept_int, err,
                    sizeof err);
    int r4 = run_sh("kill -PIPE $$; echo survived", DCC_RUN_KEEP_SIGNALS, 0, 0, &out, &kept_pipe,
                    err, sizeof err);

    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    assert_int_equal(r1 | r2 | r3 | r4, DCC_RUN_OK);
    assert_true(WIFSIGNALED(by_int));
    assert_int_equal(WTERMSIG(by_int), SIGINT);
    assert_true(WIFSIGNALED(by_term));
    assert_int_equal(WTERMSIG(by_term), SIGTERM);
    assert_int_equal(kept_int, 0);
    assert_true(WIFSIGNALED(kept_pipe));
    assert_int_equal(WTERMSIG(kept_pipe), SIGPIPE);
    assert_string_equal(out.data, "survived\n");
    dcc_buf_free(&out);
    no_children_left();
}

static void test_descriptors_without_cloexec_do_not_leak_unless_kept(void **state)
{
    (void)state;
    int devnull = open("/dev/null", O_RDONLY);
    assert_true(devnull >= 0);
    int leak = fcntl(devnull, F_DUPFD, 7);
    close(devnull);
    assert_int_equal(leak, 7);
    const char *body =
        "for fd in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$fd ] && echo \"fd $fd open\"; done; exit 0";
    struct dcc_buf closed = {0}, kept = {0};
    char err[256] = "";
    int st = -1;
    int r1 = run_sh(body, 0, 0, 0, &closed, &st, err, sizeof err);
    int r2 = run_sh(body, DCC_RUN_KEEP_FDS, 0, 0, &kept, &st, err, sizeof err);
    close(leak);
    assert_int_equal(r1, DCC_RUN_OK);
    assert_int_equal(r2, DCC_RUN_OK);
    assert_string_equal(closed.data, "");
    assert_string_equal(kept.data, "fd 7 open\n");
    dcc_buf_free(&closed);
    dcc_buf_free(&kept);
}

/* With SIGCHLD ignored the kernel reaps for us: the output is complete,
 * the status lost, and nothing hangs. */
static void test_status_lost_to_ignored_sigchld(void **state)
{
    (void)state;
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
    struct dcc_buf out = {0};
    char err[256] = "";
    int st = -1;
    int rc = run_sh("echo hello; exit 3", 0, 5000, 0, &out, &st, err, sizeof err);
    assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
    assert_int_equal(rc, DCC_RUN_LOST);
    assert_string_equal(err, "cannot wait for /bin/sh: No child processes");
    assert_int_equal(st, 0);
    assert_string_equal(out.data, "hello\n");
    dcc_buf_free(&out);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* A handler without SA_RESTART interrupts poll and waitpid: the run goes on. */
static void test_interrupting_signals_do_not_break_a_run(void **state)
{
    (void)state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    alarms = 0;
    struct itimerval t = {.it_interval = {0, 20000}, .it_value = {0, 20000}};
    setitimer(ITIMER_REAL, &t, NULL);
    struct dcc_buf out = {0};
    char err[256] = "";
    int st = -1;
    int rc = run_sh("sleep 0.3; echo done", 0, 10000, 0, &out, &st, err, sizeof err);
    memset(&t, 0, sizeof t);
    setitimer(ITIMER_REAL, &t, NULL);
    sigaction(SIGALRM, &old, NULL);
    assert_int_equal(rc, DCC_RUN_OK);
    assert_true(alarms > 0);
    assert_int_equal(st, 0);
    assert_string_equal(out.data, "done\n");
    dcc_buf_free(&out);
    no_children_left();
}

/* ---- several at once ------------------------------------------------------ */

/* Four children started in order A B C D, each waiting for a line on its own
 * FIFO; the test releases C, then A, then B, and each ends when released,
 * whatever the others do. D is never released and ends at its timeout. */
static void test_parallel_children_finish_in_any_order(void **state)
{
    (void)state;
    enum { A, B, C, D, N };
    const char *names = "ABCD";
    int first_free = dcc_test_lowest_free_fd();
    int fifo[N];
    char fifo_path[N][PATH_MAX];
    struct dcc_buf out[N];
    struct dcc_run *h[N + 1] = {NULL}; /* and a NULL entry, which is skipped */
    memset(out, 0, sizeof out);
    for (int i = 0; i < N; i++) {
        char rel[16], body[64], err[256] = "";
        snprintf(rel, sizeof rel, "fifo%c", names[i]);
        path_in(rel, fifo_path[i], sizeof fifo_path[i]);
        assert_int_equal(mkfifo(fifo_path[i], 0600), 0);
        /* Held open for writing, so the child's open for reading does not wait. */
        fifo[i] = open(fifo_path[i], O_RDWR | O_CLOEXEC);
        assert_true(fifo[i] >= 0);
        snprintf(body, sizeof body, "read line; echo \"%c $line\"; exit %d", names[i], 10 + i);
        char *argv[] = {"/bin/sh", "-c", body, NULL};
        struct dcc_run_opts o = {.argv = argv,
                                 .in = DCC_RUN_IN_FILE,
                                 .in_file = fifo_path[i],
                                 .out = DCC_RUN_CAPTURE,
                                 .out_buf = &out[i],
                                 .err = DCC_RUN_MERGE,
                                 .timeout_ms = i == D ? 300 : 0};
        assert_int_equal(dcc_run_start(&o, &h[i], err, sizeof err), DCC_RUN_OK);
    }

    static const int order[] = {C, A, B};
    for (size_t k = 0; k < 3; k++) {
        int i = order[k];
        char line[16];
        snprintf(line, sizeof line, "go-%c\n", names[i]);
        assert_int_equal(write(fifo[i], line, strlen(line)), (ssize_t)strlen(line));
        while (!dcc_run_done(h[i]))
            dcc_run_poll(h, N + 1);
        /* Those not yet released are still running. */
        for (size_t later = k + 1; later < 3; later++)
            assert_false(dcc_run_done(h[order[later]]));
    }
    while (dcc_run_poll(h, N + 1) > 0)
        ;
    for (int i = 0; i < N; i++) {
        char err[256] = "", want[32];
        int st = -1;
        int rc = dcc_run_finish(h[i], &st, err, sizeof err);
        if (i == D) {
            assert_int_equal(rc, DCC_RUN_TIMEOUT);
            assert_string_equal(err, "/bin/sh did not finish within 300 ms");
            assert_string_equal(out[i].data, "");
        } else {
            assert_int_equal(rc, DCC_RUN_OK);
            assert_int_equal(WEXITSTATUS(st), 10 + i);
            snprintf(want, sizeof want, "%c go-%c\n", names[i], names[i]);
            assert_string_equal(out[i].data, want);
        }
        dcc_buf_free(&out[i]);
        close(fifo[i]);
    }
    assert_int_equal(dcc_test_lowest_free_fd(), first_free);
    no_children_left();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_stdout_and_stderr_are_captured_apart),
        T(test_merged_output_keeps_the_order),
        T(test_silent_program_gives_an_empty_string),
        T(test_stdin_from_a_file_stdout_to_a_lent_fd_stderr_to_null),
        T(test_output_over_the_cap_is_an_error_and_stops_the_program),
        T(test_truncate_keeps_the_first_cap_bytes_and_drains_the_rest),
        T(test_timeout_kills_the_whole_group),
        T(test_output_held_open_after_the_exit_runs_to_the_deadline),
        T(test_process_group),
        T(test_exec_failure_names_the_errno),
        T(test_started_then_detached_leaves_the_pid_to_the_caller),
        T(test_environment_changes),
        T(test_search_path),
        T(test_signals_are_reset_unless_kept),
        T(test_descriptors_without_cloexec_do_not_leak_unless_kept),
        T(test_status_lost_to_ignored_sigchld),
        T(test_interrupting_signals_do_not_break_a_run),
        T(test_parallel_children_finish_in_any_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
