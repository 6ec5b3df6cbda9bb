/* distccmon-text: the running jobs from $DISTCC_DIR/state, once or every DELAY seconds, with per-host load. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "base/dcc_log.h"
#include "client/dcc_monitor.h"
#include "client/dcc_state.h"
#include "base/dcc_util.h"

#ifndef DCC_VERSION
#define DCC_VERSION "unknown"
#endif
#ifndef DCC_SYSCONFDIR
#define DCC_SYSCONFDIR "/etc"
#endif

/* Longer than anyone watches a monitor, short enough for struct timespec. */
#define MAX_DELAY_SECONDS 86400.0

enum { OPT_HELP = 1, OPT_VERSION };

static struct poptOption options[] = {
    {"help", '?', POPT_ARG_NONE, NULL, OPT_HELP, "show this help and exit", NULL},
    {"version", '\0', POPT_ARG_NONE, NULL, OPT_VERSION, "print the version and exit", NULL},
    POPT_TABLEEND,
};

static const char help_tail[] =
    "\n"
    "Prints one line per distcc job running on this machine (pid, phase, source\n"
    "file, host[slot]), read from $DISTCC_DIR/state (default ~/.distcc/state),\n"
    "then one line per host with its running jobs and, when the host list\n"
    "gives it, its slots (\"  box:3632  2/4 running\"), then a blank line.\n"
    "With DELAY (seconds, fractions allowed) it repeats until interrupted.\n"
    "\n"
    "Exit status: 0 done or interrupted, 101 bad arguments, 105 out of memory,\n"
    "107 the state directory or standard output failed.\n";

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Strict: the whole word is a finite, non-negative number of seconds. */
static int parse_delay(const char *s, double *delay)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(d) || d < 0 || d > MAX_DELAY_SECONDS)
        return -1;
    *delay = d;
    return 0;
}

/* 0 with *delay set, else an exit code (0 for --help / --version). */
static int parse_options(int argc, char **argv, double *delay, int *done)
{
    *delay = 0;
    *done = 0;
    /* popt would read "-1" as an option; a negative delay deserves the
     * delay message, so such words are checked here first. */
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && (argv[i][1] == '.' || (argv[i][1] >= '0' && argv[i][1] <= '9'))) {
            dcc_error("bad delay \"%s\": give seconds from 0 to %.0f, e.g. 2 or 0.5", argv[i],
                      MAX_DELAY_SECONDS);
            *done = 1;
            return DCC_EXIT_BAD_ARGUMENTS;
        }
    }
    poptContext ctx = poptGetContext("distccmon-text", argc, (const char **)argv, options, 0);
    poptSetOtherOptionHelp(ctx, "[OPTION...] [DELAY]");
    int rc, status = -1;
    while (status < 0 && (rc = poptGetNextOpt(ctx)) != -1) {
        switch (rc) {
        case OPT_HELP:
            poptPrintHelp(ctx, stdout, 0);
            fputs(help_tail, stdout);
            status = 0;
            break;
        case OPT_VERSION:
            printf("distccmon-text %s\n", DCC_VERSION);
            status = 0;
            break;
        default:
            dcc_error("bad argument \"%s\": %s (see distccmon-text --help)",
                      poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
            status = DCC_EXIT_BAD_ARGUMENTS;
            break;
        }
    }
    if (status < 0) {
        const char *arg = poptGetArg(ctx);
        if (arg && poptPeekArg(ctx)) {
            dcc_error("too many arguments: give at most one DELAY (see distccmon-text --help)");
            status = DCC_EXIT_BAD_ARGUMENTS;
        } else if (arg && parse_delay(arg, delay) != 0) {
            dcc_error("bad delay \"%s\": give seconds from 0 to %.0f, e.g. 2 or 0.5", arg,
                      MAX_DELAY_SECONDS);
            status = DCC_EXIT_BAD_ARGUMENTS;
        }
    }
    poptFreeContext(ctx);
    if (status >= 0) {
        *done = 1;
        return status;
    }
    return 0;
}

static int poll_once(const char *state_dir, struct dcc_monitor *model)
{
    struct dcc_state_list jobs;
    struct dcc_buf out = {0};
    char err[PATH_MAX + 128] = "";
    int rc = dcc_state_read_dir(state_dir, &jobs, err, sizeof err);
    if (rc != 0) {
        dcc_error("%s", err);
        return rc;
    }
    struct dcc_hostlist hosts;
    int have_hosts = dcc_monitor_load_hosts(DCC_SYSCONFDIR, &hosts) == 0;
    double now = (double)time(NULL);
    int bad_model = dcc_monitor_poll(model, &jobs, have_hosts ? &hosts : NULL, now) != 0;
    dcc_hosts_free(&hosts);
    if (bad_model || dcc_monitor_format_text(model, &out) != 0) {
        dcc_state_list_free(&jobs);
        dcc_buf_free(&out);
        dcc_error("out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    dcc_state_list_free(&jobs);
    /* One write per poll, so a reader never sees half a screen. */
    size_t wrote = fwrite(out.data, 1, out.len, stdout);
    int bad = wrote != out.len || fflush(stdout) != 0;
    dcc_buf_free(&out);
    if (bad) {
        dcc_error("cannot write to standard output: %s", strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

/* Sleeps up to delay seconds; 1 when a stop signal came. The signals stay
 * blocked except inside pselect, so none is lost between check and sleep. */
static int sleep_or_stop(double delay, const sigset_t *waitmask)
{
    struct timespec ts;
    ts.tv_sec = (time_t)delay;
    ts.tv_nsec = (long)((delay - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_nsec = 999999999L;
    if (!stop_requested)
        pselect(0, NULL, NULL, NULL, &ts, waitmask);
    return stop_requested;
}

int main(int argc, char **argv)
{
    dcc_log_set_program("distccmon-text");
    double delay;
    int done;
    int code = parse_options(argc, argv, &delay, &done);
    if (done)
        return code;

    char top[PATH_MAX], state_dir[PATH_MAX + 16], err[512];
    if (dcc_hosts_distcc_dir(top, sizeof top, err, sizeof err) != 0) {
        dcc_error("%s", err);
        return DCC_EXIT_IO_ERROR;
    }
    snprintf(state_dir, sizeof state_dir, "%s/state", top);

    sigset_t stops, waitmask;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, &waitmask);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGTERM);
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct dcc_monitor model;
    dcc_monitor_init(&model);
    do {
        code = poll_once(state_dir, &model);
    } while (code == 0 && delay > 0 && !sleep_or_stop(delay, &waitmask));
    dcc_monitor_free(&model);
    return code;
}
