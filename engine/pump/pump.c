/* pump: runs a build with pump mode on. The include scan happens inside each
 * distcc client, so unlike stock distcc there is no include server to start:
 * pump makes the build's directory (the compiler's search-path and macro
 * caches, the discrepancy counter and the coverage record live there), names
 * it in the environment the way stock pump does, runs the command, reports
 * how many jobs went in pump mode and removes the directory afterwards. */
#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "base/dcc_log.h"
#include "base/dcc_util.h"
#include "client/dcc_incscan.h"
#include "proto/dcc_settings.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Marks a directory as made by pump, so --shutdown removes nothing else. */
#define PUMP_MARKER ".distcc-pump"

static volatile sig_atomic_t child_pid;
static struct dcc_settings settings; /* the environment, read once in main */

static void forward_signal(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: pump COMMAND [ARG...]   run COMMAND (e.g. make -j16) with pump mode on\n"
        "       pump --startup          set pump mode up for a shell: eval \"$(pump --startup)\"\n"
        "       pump --shutdown         remove what --startup set up ($INCLUDE_SERVER_DIR)\n"
        "       pump --help | --version\n"
        "\n"
        "In pump mode distcc sends the source and the headers it reads, and helpers\n"
        "marked \",cpp,lzo\" in the host list preprocess and compile. Other helpers get\n"
        "preprocessed source as usual. Set DISTCC_MAX_DISCREPANCY (default 1) to the\n"
        "number of jobs that may fail in pump mode but compile locally before pump mode\n"
        "is turned off for the rest of the build.\n");
}

/* Counts the host list's pump hosts, for the line that tells the user
 * whether pump mode will do anything. */
static void report_hosts(void)
{
    char *text = NULL, path[4096], err[512];
    enum dcc_hosts_source src;
    struct dcc_hostlist list;
    if (dcc_hosts_find(DCC_SYSCONFDIR, &text, &src, path, sizeof path, err, sizeof err) != 0) {
        dcc_warn("%s", err);
        return;
    }
    if (dcc_hosts_parse(text, &list, err, sizeof err) != 0) {
        dcc_warn("%s", err);
        free(text);
        return;
    }
    size_t pump = 0;
    for (size_t i = 0; i < list.n; i++)
        pump += list.hosts[i].protover == 3;
    if (pump == 0)
        dcc_warn("no host in %s has \",cpp,lzo\": the build runs, but without pump mode",
                 src == DCC_HOSTS_FROM_NONE ? "the host list" : dcc_hosts_source_name(src));
    else
        fprintf(stderr, "pump: %zu of %zu hosts take pump mode\n", pump, list.n);
    dcc_hosts_free(&list);
    free(text);
}

static int make_pump_dir(char *dir, size_t len)
{
    const char *tmp = dcc_settings_str(&settings, DCC_SET_TMPDIR);
    int n = snprintf(dir, len, "%s/distcc-pump.XXXXXX", tmp);
    if (n < 0 || (size_t)n >= len) {
        dcc_error("TMPDIR %s is too long", tmp);
        return DCC_EXIT_IO_ERROR;
    }
    if (!mkdtemp(dir)) {
        dcc_error("cannot create a directory in %s: %s", tmp, strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    char marker[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/%s", dir, PUMP_MARKER);
    int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        dcc_error("cannot create %s: %s", marker, strerror(errno));
        rmdir(dir);
        return DCC_EXIT_IO_ERROR;
    }
    close(fd);
    return 0;
}

/* Removes the files distcc left in the directory (flat: caches and the
 * counter) and the directory. Refuses a directory pump did not make. */
static int remove_pump_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        dcc_error("cannot open %s: %s", dir, strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    struct stat st;
    if (fstatat(dfd, PUMP_MARKER, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        dcc_error("%s was not set up by pump (no %s in it); not removing it", dir, PUMP_MARKER);
        close(dfd);
        return DCC_EXIT_BAD_ARGUMENTS;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return DCC_EXIT_IO_ERROR;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dfd, e->d_name, 0);
    closedir(d);
    if (rmdir(dir) != 0) {
        dcc_error("cannot remove %s: %s", dir, strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

/* Prints VALUE in single quotes for sh, with embedded quotes escaped. */
static void print_quoted(const char *value)
{
    putchar('\'');
    for (const char *p = value; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*p);
    }
    putchar('\'');
}

static void print_exports(const char *dir)
{
    char port[PATH_MAX + 8];
    snprintf(port, sizeof port, "%s/socket", dir);
    fputs("export INCLUDE_SERVER_DIR=", stdout);
    print_quoted(dir);
    fputs("\nexport INCLUDE_SERVER_PORT=", stdout);
    print_quoted(port);
    putchar('\n');
}

/* The end of a build: how many jobs went in pump mode, and why the others
 * did not (each job's reason is in its DISTCC_VERBOSE log). */
static void report_coverage(const char *dir)
{
    struct dcc_buf b = {0};
    if (dcc_incscan_coverage(dir, 5, &b) == 0) {
        for (const char *l = b.data; *l;) {
            const char *nl = strchr(l, '\n');
            int len = nl ? (int)(nl - l) : (int)strlen(l);
            fprintf(stderr, "pump: %.*s\n", len, l);
            l += len + (nl != NULL);
        }
    }
    dcc_buf_free(&b);
}

static int run_command(char **cmd)
{
    char dir[PATH_MAX], port[PATH_MAX + 8];
    int rc = make_pump_dir(dir, sizeof dir);
    if (rc)
        return rc;
    snprintf(port, sizeof port, "%s/socket", dir);
    setenv("INCLUDE_SERVER_DIR", dir, 1);
    setenv("INCLUDE_SERVER_PORT", port, 1);
    report_hosts();

    struct sigaction fwd = {.sa_handler = forward_signal}, ign = {.sa_handler = SIG_IGN}, old_int,
                     old_quit;
    sigemptyset(&fwd.sa_mask);
    sigemptyset(&ign.sa_mask);
    /* Ctrl-C reaches the command from the terminal; we stay to clean up. */
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGTERM, &fwd, NULL);
    sigaction(SIGHUP, &fwd, NULL);
    pid_t pid = fork();
    if (pid < 0) {
        dcc_error("cannot start %s: %s", cmd[0], strerror(errno));
        remove_pump_dir(dir);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execvp(cmd[0], cmd);
        dcc_error("cannot run %s: %s", cmd[0], strerror(errno));
        _exit(127);
    }
    child_pid = pid;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    child_pid = 0;
    report_coverage(dir);
    remove_pump_dir(dir);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    dcc_log_set_program("pump");
    dcc_log_to_stderr();
    dcc_log_set_level(DCC_LOG_NOTICE);
    char ignored[256];
    /* pump reads TMPDIR and INCLUDE_SERVER_DIR, which cannot be bad. */
    (void)dcc_settings_load(&settings, ignored, sizeof ignored);

    int help = 0, version = 0, startup = 0, shutdown = 0;
    struct poptOption table[] = {
        {"help", 0, POPT_ARG_NONE, &help, 0, NULL, NULL},
        {"version", 0, POPT_ARG_NONE, &version, 0, NULL, NULL},
        {"startup", 0, POPT_ARG_NONE, &startup, 0, NULL, NULL},
        {"shutdown", 0, POPT_ARG_NONE, &shutdown, 0, NULL, NULL},
        POPT_TABLEEND,
    };
    /* Stop at the command: its own options (make -j16) are not ours. */
    poptContext ctx = poptGetContext("pump", argc, (const char **)argv, table,
                                     POPT_CONTEXT_POSIXMEHARDER);
    int rc = poptGetNextOpt(ctx);
    if (rc < -1) {
        fprintf(stderr, "pump: %s: %s (see pump --help)\n",
                poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
        poptFreeContext(ctx);
        return DCC_EXIT_BAD_ARGUMENTS;
    }
    const char **rest = poptGetArgs(ctx);
    int modes = help + version + startup + shutdown + (rest != NULL);
    if (modes != 1) {
        fprintf(stderr, "pump: %s (see pump --help)\n",
                modes == 0 ? "give a command to run, or --startup / --shutdown"
                           : "give one of a command, --startup, --shutdown");
        poptFreeContext(ctx);
        return DCC_EXIT_BAD_ARGUMENTS;
    }
    if (help) {
        usage(stdout);
        rc = 0;
    } else if (version) {
        printf("pump (distcc %s): pump mode without an include server\n", DCC_VERSION);
        rc = 0;
    } else if (startup) {
        char dir[PATH_MAX];
        rc = make_pump_dir(dir, sizeof dir);
        if (rc == 0) {
            print_exports(dir);
            rc = fflush(stdout) == 0 ? 0 : DCC_EXIT_IO_ERROR;
        }
    } else if (shutdown) {
        const char *dir = settings.str[DCC_SET_INCLUDE_SERVER_DIR];
        if (!dir || !*dir) {
            dcc_error(
                "INCLUDE_SERVER_DIR is not set: nothing to shut down (was pump --startup run in this shell?)");
            rc = DCC_EXIT_BAD_ARGUMENTS;
        } else {
            report_coverage(dir);
            rc = remove_pump_dir(dir);
        }
    } else {
        size_t n = 0;
        while (rest[n])
            n++;
        char **cmd = calloc(n + 1, sizeof *cmd);
        if (!cmd) {
            dcc_error("out of memory");
            rc = DCC_EXIT_OUT_OF_MEMORY;
        } else {
            for (size_t i = 0; i < n; i++)
                cmd[i] = (char *)rest[i];
            rc = run_command(cmd);
            free(cmd);
        }
    }
    poptFreeContext(ctx);
    return rc;
}
