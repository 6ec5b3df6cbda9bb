/* bench/lock-wait: what the client's slot waiting costs when many clients
 * wait for few slots, as under make -j 4N+1 with N helpers of 2 slots.
 * PROCS processes each run JOBS jobs: take a helper slot (dcc_lock_pick_host
 * over N hosts "hI/2"), then a cpp slot (dcc_lock_cpp_slot, 8) for CPP_MS,
 * drop it, keep the helper slot for HOLD_MS more, drop it. Holding is a
 * sleep, so the CPU counted is the locking's own. Prints the wall time and
 * the CPU per job of all the processes (their rusage).
 *   lock-wait DIR [N [PROCS [JOBS [HOLD_MS [CPP_MS]]]]]
 *   (DIR: an empty directory to use as DISTCC_DIR; defaults 32 129 10 40 5) */
#include "base/dcc_exit.h"
#include "client/dcc_lock.h"
#include "proto/dcc_hosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static int arg(int argc, char **argv, int i, int def)
{
    return argc > i ? atoi(argv[i]) : def;
}

static int one_client(const struct dcc_lock_opts *o, const struct dcc_hostlist *list, int jobs,
                      int hold_ms, int cpp_ms)
{
    char err[512];
    for (int j = 0; j < jobs; j++) {
        struct dcc_lock remote, cpp;
        if (dcc_lock_pick_host(o, list, &remote, err, sizeof err) != 0 ||
            dcc_lock_cpp_slot(o, 8, &cpp, err, sizeof err) != 0) {
            fprintf(stderr, "lock-wait: %s\n", err);
            return 1;
        }
        sleep_ms(cpp_ms);
        dcc_lock_release(&cpp);
        sleep_ms(hold_ms);
        dcc_lock_release(&remote);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lock-wait DIR [N [PROCS [JOBS [HOLD_MS [CPP_MS]]]]]\n");
        return 2;
    }
    int n = arg(argc, argv, 2, 32), procs = arg(argc, argv, 3, 129), jobs = arg(argc, argv, 4, 10);
    int hold_ms = arg(argc, argv, 5, 40), cpp_ms = arg(argc, argv, 6, 5);
    if (n < 1 || n > 250 || procs < 1 || jobs < 1 || hold_ms < 0 || cpp_ms < 0) {
        fprintf(stderr, "lock-wait: bad arguments\n");
        return 2;
    }
    char text[4096] = "", err[512];
    size_t used = 0;
    for (int i = 1; i <= n; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "h%d/2 ", i);
    struct dcc_hostlist list;
    if (dcc_hosts_parse(text, &list, err, sizeof err) != 0) {
        fprintf(stderr, "lock-wait: %s\n", err);
        return 1;
    }
    struct dcc_lock_opts o;
    dcc_lock_opts_init(&o);
    o.distcc_dir = argv[1];
    double t0 = now_ms();
    for (int p = 0; p < procs; p++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("lock-wait: fork");
            return 1;
        }
        if (pid == 0)
            _exit(one_client(&o, &list, jobs, hold_ms, cpp_ms));
    }
    int failed = 0, status;
    while (wait(&status) > 0)
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    double wall = now_ms() - t0;
    struct rusage r;
    getrusage(RUSAGE_CHILDREN, &r);
    double cpu = (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
                 (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
    double ideal = (double)procs * jobs * (hold_ms + cpp_ms) / (2.0 * n);
    printf("N=%d procs=%d jobs=%d hold=%d+%d ms: wall %.0f ms (ideal %.0f), cpu %.2f ms/job%s\n", n,
           procs, procs * jobs, cpp_ms, hold_ms, wall, ideal, cpu / (procs * jobs),
           failed ? " (some clients failed)" : "");
    dcc_hosts_free(&list);
    return failed ? 1 : 0;
}
