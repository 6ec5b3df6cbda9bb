/* Local programs for the client (the compiler, cpp), started with dcc_run and registered for cleanup. */
#include "client/dcc_exec.h"

#include "client/dcc_cleanup.h"
#include "base/dcc_exit.h"
#include "base/dcc_run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int spawn(char *const argv[], int out_fd, int err_fd, int own_group, pid_t *pid, char *err,
                 size_t errlen);

int dcc_exec_spawn(char *const argv[], int out_fd, int err_fd, pid_t *pid, char *err, size_t errlen)
{
    return spawn(argv, out_fd, err_fd, 0, pid, err, errlen);
}

int dcc_exec_spawn_group(char *const argv[], int out_fd, int err_fd, pid_t *pid, char *err,
                         size_t errlen)
{
    return spawn(argv, out_fd, err_fd, 1, pid, err, errlen);
}

static int spawn(char *const argv[], int out_fd, int err_fd, int own_group, pid_t *pid, char *err,
                 size_t errlen)
{
    /* As from a shell: looked up on PATH (a script without "#!" runs with
     * /bin/sh), stdin and every descriptor it does not redirect inherited
     * (make's jobserver), the signals our caller ignores still ignored
     * (nohup, "cmd &"); only our own SIGPIPE is undone. */
    struct dcc_run_opts o = {
        .argv = argv,
        .in = DCC_RUN_IN_INHERIT,
        .out = out_fd >= 0 ? DCC_RUN_FD : DCC_RUN_INHERIT,
        .out_fd = out_fd,
        .err = err_fd >= 0 ? DCC_RUN_FD : DCC_RUN_INHERIT,
        .err_fd = err_fd,
        .flags = DCC_RUN_SEARCH_PATH | DCC_RUN_KEEP_SIGNALS | DCC_RUN_KEEP_FDS |
                 (own_group ? 0 : DCC_RUN_SAME_GROUP),
    };
    struct dcc_run *run = NULL;
    if (dcc_run_start(&o, &run, err, errlen) != DCC_RUN_OK) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(errno));
        return DCC_EXIT_COMPILER_MISSING;
    }
    /* From here an interrupted client takes the child down with it. */
    pid_t child = dcc_run_pid(run);
    if (own_group)
        dcc_cleanup_add_group(child);
    else
        dcc_cleanup_add_child(child);
    /* "cannot run" is an error here rather than an exit status that looks
     * like the compiler's. */
    if (dcc_run_started(run, err, errlen) != 0) {
        dcc_cleanup_forget_child(child); /* before the pid can be reused */
        dcc_run_finish(run, NULL, NULL, 0);
        return DCC_EXIT_COMPILER_MISSING;
    }
    *pid = dcc_run_detach(run);
    return 0;
}

int dcc_exec_wait(pid_t pid, int *status)
{
    /* Waited for without reaping first, so the cleanup table forgets the
     * pid while it still names our child, never a reused one. */
    siginfo_t si;
    int rc;
    while ((rc = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT)) != 0 && errno == EINTR)
        ;
    dcc_cleanup_forget_child(pid);
    if (rc != 0)
        return -1;
    for (;;) {
        pid_t w = waitpid(pid, status, 0);
        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR)
            return -1;
    }
}

int dcc_exec_run(char *const argv[], int out_fd, int err_fd, int *status, char *err, size_t errlen)
{
    pid_t pid;
    int rc = dcc_exec_spawn(argv, out_fd, err_fd, &pid, err, errlen);
    if (rc)
        return rc;
    if (dcc_exec_wait(pid, status) != 0) {
        snprintf(err, errlen, "waiting for %s failed: %s", argv[0], strerror(errno));
        return DCC_EXIT_DISTCC_FAILED;
    }
    return 0;
}

int dcc_exec_exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return DCC_EXIT_DISTCC_FAILED;
}
