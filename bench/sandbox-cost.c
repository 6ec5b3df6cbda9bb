/* bench/sandbox-cost: what the job sandbox itself adds to starting a job,
 * apart from any compile. Forks a job, confines it as distccd does (the
 * shared namespaces, the reaper, Landlock, seccomp) and execs /bin/true;
 * the same with the sandbox off; the two take turns, so a change of the
 * machine's load hits both. Prints the median per job, wall and CPU.
 *   sandbox-cost DIR [JOBS [ROUNDS]]   (DIR: an empty directory to use as
 *                                        the job root) */
#include "daemon/dcc_sandbox.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double children_cpu_ms(void)
{
    struct rusage r;
    getrusage(RUSAGE_CHILDREN, &r);
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
           (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* jobs runs of one setting in a process of its own (the reaper's
 * Landlock domain cannot be left); writes wall and CPU per job to fd. */
static void measure(const struct dcc_sandbox *sb, const struct dcc_sandbox_job *job, int jobs,
                    int fd)
{
    pid_t pid = fork();
    if (pid != 0) {
        waitpid(pid, NULL, 0);
        return;
    }
    char err[300];
    if (dcc_sandbox_reaper(sb, err, sizeof err) != 0) {
        fprintf(stderr, "sandbox-cost: %s\n", err);
        _exit(1);
    }
    double cpu0 = children_cpu_ms(), t0 = now_ms();
    for (int i = 0; i < jobs; i++) {
        pid_t c = fork();
        if (c == 0) {
            dcc_sandbox_close_fds(sb);
            int st;
            int rc = dcc_sandbox_enter(sb, job, &st, err, sizeof err);
            if (rc == 1)
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
            if (rc < 0) {
                fprintf(stderr, "sandbox-cost: %s\n", err);
                _exit(1);
            }
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        int st;
        waitpid(c, &st, 0);
        dcc_sandbox_reap();
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            _exit(1);
    }
    double r[2] = {(now_ms() - t0) / jobs, (children_cpu_ms() - cpu0) / jobs};
    (void)!write(fd, r, sizeof r);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sandbox-cost DIR [JOBS [ROUNDS]]\n");
        return 2;
    }
    const char *root = argv[1];
    int jobs = argc > 2 ? atoi(argv[2]) : 200, rounds = argc > 3 ? atoi(argv[3]) : 7;
    if (jobs < 1 || rounds < 1 || rounds > 99) {
        fprintf(stderr, "sandbox-cost: JOBS must be at least 1 and ROUNDS from 1 to 99\n");
        return 2;
    }
    char err[600];
    struct dcc_sandbox_probe probe;
    unsigned use;
    struct dcc_sandbox on, off;
    if (dcc_sandbox_probe(root, (uid_t)-1, (gid_t)-1, &probe, err, sizeof err) != 0 ||
        dcc_sandbox_decide(DCC_SANDBOX_AUTO, &probe, &use, err, sizeof err) != 0 ||
        dcc_sandbox_prepare(&on, use, probe.landlock_abi, NULL, err, sizeof err) != 0 ||
        dcc_sandbox_share(&on, root, (uid_t)-1, (gid_t)-1, err, sizeof err) != 0 ||
        dcc_sandbox_prepare(&off, 0, 0, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "sandbox-cost: %s\n", err);
        return 1;
    }
    char dir[4096], out[4200], errf[4200];
    snprintf(dir, sizeof dir, "%s/job", root);
    snprintf(out, sizeof out, "%s/stdout", dir);
    snprintf(errf, sizeof errf, "%s/stderr", dir);
    mkdir(dir, 0700);
    close(open(out, O_WRONLY | O_CREAT, 0600));
    close(open(errf, O_WRONLY | O_CREAT, 0600));
    if (chdir(dir) != 0)
        return 1;
    struct dcc_sandbox_job job = {
        .dir = dir, .cwd = dir, .compiler = "/bin/true", .stdout_path = out, .stderr_path = errf};
    double wall[2][99], cpu[2][99];
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    for (int k = 0; k < rounds; k++)
        for (int s = 0; s < 2; s++) {
            measure(s ? &off : &on, &job, jobs, fds[1]);
            double r[2];
            if (read(fds[0], r, sizeof r) != (ssize_t)sizeof r) {
                fprintf(stderr, "sandbox-cost: a round failed\n");
                return 1;
            }
            wall[s][k] = r[0];
            cpu[s][k] = r[1];
        }
    for (int s = 0; s < 2; s++) {
        qsort(wall[s], (size_t)rounds, sizeof(double), cmp);
        qsort(cpu[s], (size_t)rounds, sizeof(double), cmp);
    }
    char mechs[128];
    dcc_sandbox_describe(on.use, mechs, sizeof mechs);
    int m = rounds / 2;
    printf("  fork, confine, exec /bin/true, %d jobs x %d rounds, medians per job:\n", jobs,
           rounds);
    printf("    sandbox on (%s): %.2f ms wall, %.2f ms cpu\n", mechs, wall[0][m], cpu[0][m]);
    printf("    sandbox off: %.2f ms wall, %.2f ms cpu\n", wall[1][m], cpu[1][m]);
    printf("    added by the sandbox: %.2f ms wall, %.2f ms cpu (target <= 2 ms)\n",
           wall[0][m] - wall[1][m], cpu[0][m] - cpu[1][m]);
    dcc_sandbox_free(&on);
    dcc_sandbox_free(&off);
    return 0;
}
