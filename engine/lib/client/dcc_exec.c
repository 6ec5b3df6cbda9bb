/* fork/exec of local programs with optional output redirection. */
#include "client/dcc_exec.h"

#include "client/dcc_cleanup.h"
#include "base/dcc_exit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int spawn(char *const argv[], int out_fd, int err_fd, int own_group, pid_t *pid, char *err, size_t errlen);

int dcc_exec_spawn(char *const argv[], int out_fd, int err_fd, pid_t *pid, char *err, size_t errlen)
{
    return spawn(argv, out_fd, err_fd, 0, pid, err, errlen);
}

int dcc_exec_spawn_group(char *const argv[], int out_fd, int err_fd, pid_t *pid, char *err, size_t errlen)
{
    return spawn(argv, out_fd, err_fd, 1, pid, err, errlen);
}

static int spawn(char *const argv[], int out_fd, int err_fd, int own_group, pid_t *pid, char *err, size_t errlen)
{
    /* A pipe tells the parent whether exec worked, so "cannot run" is an
     * error here rather than an exit status that looks like the compiler's. */
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(errno));
        return DCC_EXIT_COMPILER_MISSING;
    }
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(e));
        return DCC_EXIT_COMPILER_MISSING;
    }
    if (child == 0) {
        close(report[0]);
        if (own_group)
            setpgid(0, 0);
        /* distcc ignores SIGPIPE for its sockets; the compiler must not. */
        signal(SIGPIPE, SIG_DFL);
        /* err_fd 1 means our stdout: keep a copy before 1 is replaced. */
        if (err_fd == 1 && out_fd >= 0 && out_fd != 1)
            err_fd = dup(1);
        if (out_fd >= 0 && out_fd != 1)
            dup2(out_fd, 1);
        if (err_fd >= 0 && err_fd != 2)
            dup2(err_fd, 2);
        /* execvp, not posix_spawnp: a script without "#!" runs with /bin/sh,
         * as in a shell. */
        execvp(argv[0], argv);
        int e = errno;
        (void)!write(report[1], &e, sizeof e);
        _exit(DCC_EXIT_COMPILER_MISSING);
    }
    close(report[1]);
    /* From here an interrupted client takes the child down with it. Both
     * sides set the group, so it is in place whichever runs first. */
    if (own_group) {
        setpgid(child, child);
        dcc_cleanup_add_group(child);
    } else {
        dcc_cleanup_add_child(child);
    }
    int e = 0;
    ssize_t n;
    do
        n = read(report[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof e) {
        dcc_cleanup_forget_child(child); /* before the pid can be reused */
        waitpid(child, NULL, 0);
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(e));
        return DCC_EXIT_COMPILER_MISSING;
    }
    *pid = child;
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
