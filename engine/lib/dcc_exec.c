/* fork/exec of local programs with optional output redirection. */
#include "dcc_exec.h"

#include "dcc_exit.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int dcc_exec_spawn(char *const argv[], int out_fd, int err_fd, pid_t *pid, char *err, size_t errlen)
{
    /* posix_spawn: the child shares our memory until it execs (no page
     * tables copied, no copy-on-write faults afterwards: this runs once per
     * job), and an exec failure comes back as the return value, so "cannot
     * run" is an error here rather than an exit status that looks like the
     * compiler's. */
    posix_spawn_file_actions_t fa;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc == 0 && out_fd >= 0 && out_fd != 1)
        rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    if (rc == 0 && err_fd >= 0 && err_fd != 2)
        rc = posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    pid_t child = -1;
    if (rc == 0)
        rc = posix_spawnp(&child, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
        return DCC_EXIT_COMPILER_MISSING;
    }
    *pid = child;
    return 0;
}

int dcc_exec_wait(pid_t pid, int *status)
{
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
