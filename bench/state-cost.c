/* bench/state-cost: what the monitor state file costs a client per job.
 * JOBS processes one after the other each record a job's phases as a
 * remote job does (Startup, Blocked, Connect, Send, Compile, Receive,
 * Done: 7 writes) and remove the file; as many empty processes (fork and
 * exit) are the baseline. Prints the CPU per job of the writes alone (the
 * children's rusage, baseline taken off), in microseconds.
 *   state-cost DIR [JOBS]   (DIR: an empty directory used as DISTCC_DIR; 2000) */
#include "client/dcc_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static double children_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int run(const char *dir, int jobs, int write_state)
{
    static const enum dcc_phase phases[] = {DCC_PHASE_STARTUP, DCC_PHASE_BLOCKED, DCC_PHASE_CONNECT,
                                            DCC_PHASE_SEND,    DCC_PHASE_COMPILE, DCC_PHASE_RECEIVE,
                                            DCC_PHASE_DONE};
    for (int j = 0; j < jobs; j++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            char err[512];
            int rc = 0;
            for (size_t i = 0; write_state && i < sizeof phases / sizeof phases[0]; i++)
                rc |= dcc_state_update(dir, phases[i], i ? NULL : "unit.c",
                                       i == 2 ? "helper" : NULL, i == 2 ? 1 : -1, err, sizeof err);
            if (write_state)
                dcc_state_remove();
            _exit(rc ? 1 : 0);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: state-cost DIR [JOBS]\n");
        return 2;
    }
    int jobs = argc > 2 ? atoi(argv[2]) : 2000;
    if (jobs <= 0)
        jobs = 2000;
    double t0 = children_cpu_us();
    if (run(argv[1], jobs, 0) != 0)
        return 1;
    double t1 = children_cpu_us();
    if (run(argv[1], jobs, 1) != 0) {
        fprintf(stderr, "state-cost: a job's state writes failed\n");
        return 1;
    }
    double t2 = children_cpu_us();
    printf("state file per job (7 phases and the removal): %.1f us CPU (process alone %.1f us)\n",
           ((t2 - t1) - (t1 - t0)) / jobs, (t1 - t0) / jobs);
    return 0;
}
