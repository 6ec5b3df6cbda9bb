/* A hostile "compiler" for tests/bats/distccd_sandbox.bats: whitelisted on
 * a test helper, it tries what a job must not do and prints one line per
 * attempt on stdout ("NAME: blocked (why)" or "NAME: DONE (what)"), which
 * the daemon returns to the client as SOUT. It compiles nothing and exits 1.
 *
 * Its settings come in its source file (the one argument ending in .i),
 * one "key value" per line:
 *   outside PATH    a file outside the job it tries to create
 *   secret PATH     a file the job user could read, outside the sandbox
 *   port N          a TCP port on 127.0.0.1 it tries to connect to
 *   peer PID        a process of the job user it tries to signal (with 0)
 *   forks N         how many processes it tries to start (default 200)
 *   memory MB       how much memory it tries to touch (default 1024)
 *   sleep S         then sleeps this long before it exits
 * Started with the single argument --dropped (a copy of itself in the job
 * directory) it exits 0 at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct settings {
    char outside[512], secret[512];
    int port, peer, forks, memory_mb, sleep_secs;
};

static void report(const char *name, int done, const char *what)
{
    printf("%s: %s (%s)\n", name, done ? "DONE" : "blocked", what);
    fflush(stdout);
}

static void report_errno(const char *name, int e)
{
    report(name, 0, strerror(e));
}

static void read_settings(int argc, char **argv, struct settings *s)
{
    s->forks = 200;
    s->memory_mb = 1024;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (n < 3 || strcmp(argv[i] + n - 2, ".i") != 0)
            continue;
        FILE *f = fopen(argv[i], "r");
        if (!f)
            return;
        char key[32], value[512];
        while (fscanf(f, "%31s %511s", key, value) == 2) {
            if (strcmp(key, "outside") == 0)
                snprintf(s->outside, sizeof s->outside, "%s", value);
            else if (strcmp(key, "secret") == 0)
                snprintf(s->secret, sizeof s->secret, "%s", value);
            else if (strcmp(key, "port") == 0)
                s->port = atoi(value);
            else if (strcmp(key, "peer") == 0)
                s->peer = atoi(value);
            else if (strcmp(key, "forks") == 0)
                s->forks = atoi(value);
            else if (strcmp(key, "memory") == 0)
                s->memory_mb = atoi(value);
            else if (strcmp(key, "sleep") == 0)
                s->sleep_secs = atoi(value);
        }
        fclose(f);
    }
}

/* Runs path in a child; "DONE" when the exec worked. */
static void try_exec(const char *name, const char *path, char *const argv[])
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        report_errno(name, errno);
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        report_errno(name, errno);
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        close(p[0]);
        execv(path, argv);
        int e = errno;
        (void)!write(p[1], &e, sizeof e);
        _exit(127);
    }
    close(p[1]);
    int e = 0;
    ssize_t n = read(p[0], &e, sizeof e);
    close(p[0]);
    waitpid(pid, NULL, 0);
    if (n == (ssize_t)sizeof e)
        report_errno(name, e);
    else
        report(name, 1, path);
}

/* A copy of this program in the job directory, as a client could send. */
static int drop_copy(const char *dest)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    int in = open(self, O_RDONLY);
    if (in < 0)
        return -1;
    int out = open(dest, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            break;
    close(in);
    return close(out);
}

static void try_dropped_code(void)
{
    if (drop_copy("dropped") != 0) {
        report_errno("copy-into-job", errno);
        return;
    }
    char *argv[] = {"dropped", "--dropped", NULL};
    try_exec("exec-job-file", "./dropped", argv);
    int fd = open("dropped", O_RDONLY);
    void *m = fd >= 0 ? mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    if (m == MAP_FAILED)
        report_errno("mmap-exec-job-file", errno);
    else
        report("mmap-exec-job-file", 1, "mapped executable");
    if (m != MAP_FAILED)
        munmap(m, 4096);
    if (fd >= 0)
        close(fd);
}

static void try_open(const char *name, const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        report_errno(name, errno);
        return;
    }
    if (flags & O_WRONLY)
        (void)!write(fd, "pwned\n", 6);
    close(fd);
    report(name, 1, path);
}

static void try_network(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        report_errno("socket", errno);
        return;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        report_errno("connect", errno);
    else
        report("connect", 1, "connected to 127.0.0.1");
    close(fd);
}

static void try_forks(int want)
{
    pid_t *kids = calloc((size_t)want, sizeof *kids);
    int n = 0, e = 0;
    while (kids && n < want) {
        pid_t pid = fork();
        if (pid < 0) {
            e = errno;
            break;
        }
        if (pid == 0) {
            pause();
            _exit(0);
        }
        kids[n++] = pid;
    }
    for (int i = 0; i < n; i++)
        kill(kids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        waitpid(kids[i], NULL, 0);
    free(kids);
    char what[128];
    if (e) {
        snprintf(what, sizeof what, "%d processes, then %s", n, strerror(e));
        report("fork-many", 0, what);
    } else {
        snprintf(what, sizeof what, "%d processes", n);
        report("fork-many", 1, what);
    }
}

/* A process that leaves the job's process group and stays: it keeps the
 * compiler's argv, which the test finds it by. */
static void leave_sleeper(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        report_errno("setsid-sleeper", errno);
        return;
    }
    if (pid == 0) {
        setsid();
        close(0);
        close(1);
        close(2);
        struct timespec t = {60, 0};
        while (nanosleep(&t, &t) != 0 && errno == EINTR)
            ;
        _exit(0);
    }
    report("setsid-sleeper", 1, "started");
}

static void try_memory(int cap_mb)
{
    size_t chunk = 8u << 20, got = 0;
    char **blocks = calloc((size_t)cap_mb / 8 + 1, sizeof *blocks);
    size_t n = 0;
    int stopped = 0;
    while (blocks && got < (size_t)cap_mb << 20) {
        char *b = malloc(chunk);
        if (!b) {
            stopped = 1;
            break;
        }
        memset(b, 1, chunk);
        blocks[n++] = b;
        got += chunk;
    }
    for (size_t i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
    char what[128];
    snprintf(what, sizeof what, "%s at %zu MiB", stopped ? "malloc failed" : "grew", got >> 20);
    report("memory", !stopped, what);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--dropped") == 0)
        return 0;
    struct settings s;
    memset(&s, 0, sizeof s);
    read_settings(argc, argv, &s);

    char *sh[] = {"sh", "-c", "exit 0", NULL};
    try_exec("exec-shell", "/bin/sh", sh);
    try_dropped_code();
    if (s.outside[0])
        try_open("write-outside", s.outside, O_WRONLY | O_CREAT | O_TRUNC);
    try_open("read-shadow", "/etc/shadow", O_RDONLY);
    try_open("read-passwd", "/etc/passwd", O_RDONLY);
    if (s.secret[0])
        try_open("read-secret", s.secret, O_RDONLY);
    if (s.port)
        try_network(s.port);
    if (s.peer) {
        if (kill(s.peer, 0) != 0)
            report_errno("signal-peer", errno);
        else
            report("signal-peer", 1, "could signal it");
    }
    try_forks(s.forks);
    leave_sleeper();
    try_memory(s.memory_mb);
    struct timespec t = {s.sleep_secs, 0};
    while (s.sleep_secs > 0 && nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
    return 1;
}
