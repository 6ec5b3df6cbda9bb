/* Running local programs for the client: the compiler, cpp, and finding the
 * real compiler behind a masquerade link. */
#ifndef DCC_EXEC_H
#define DCC_EXEC_H

#include <stddef.h>
#include <sys/types.h>

/* Starts argv[0] (a path, or a name looked up on PATH). stdout/stderr go to
 * out_fd/err_fd when >= 0, else are inherited; stdin is inherited.
 * 0 with *pid, or 110 (cannot run) with err. */
int dcc_exec_spawn(char *const argv[], int out_fd, int err_fd, pid_t *pid, char *err,
                   size_t errlen);

/* The same, in a process group of its own, which an interrupted client
 * signals as a whole (cpp: the driver and the cc1 it runs). */
int dcc_exec_spawn_group(char *const argv[], int out_fd, int err_fd, pid_t *pid, char *err,
                         size_t errlen);

/* Waits for pid; *status is the raw wait status. 0, or -1 with errno. */
int dcc_exec_wait(pid_t pid, int *status);

/* spawn + wait. */
int dcc_exec_run(char *const argv[], int out_fd, int err_fd, int *status, char *err, size_t errlen);

/* The exit code a shell would report: the exit status, or 128 + signal. */
int dcc_exec_exit_code(int status);

#endif
