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

#include "dcc_exit.h"
#include "dcc_hosts.h"
#include "dcc_log.h"
#include "dcc_state.h"
#include "dcc_util.h"

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
            dcc_error("bad delay \"%s\": give seconds from 0 to %.0f, e.g. 2 or 0.5", argv[i], MAX_DELAY_SECONDS);
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
            dcc_error("bad delay \"%s\": give seconds from 0 to %.0f, e.g. 2 or 0.5", arg, MAX_DELAY_SECONDS);
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

/* One summary line: the jobs shown for a host name, against the slots the
 * host list gives every entry of that name (none when it is not listed). */
struct host_load {
    char name[128];  /* as clients write it in the state file */
    char label[160]; /* as printed */
    int listed;      /* entries of the host list with this name */
    int slots;
    int running;
};

struct summary {
    struct host_load *rows;
    size_t n, cap;
};

static struct host_load *find_row(struct summary *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->rows[i].name, name) == 0)
            return &s->rows[i];
    return NULL;
}

static struct host_load *add_row(struct summary *s, const char *name)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8;
        struct host_load *p = realloc(s->rows, ncap * sizeof *p);
        if (!p)
            return NULL;
        s->rows = p;
        s->cap = ncap;
    }
    struct host_load *r = &s->rows[s->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->label, sizeof r->label, "%s", name);
    return r;
}

/* How one host entry is named in the summary: "box:3632", "[::1]:3632",
 * "user@box", "localhost". */
static void host_label(const struct dcc_host *h, char *buf, size_t len)
{
    switch (h->mode) {
    case DCC_HOST_TCP:
        snprintf(buf, len, h->is_ipv6 ? "[%s]:%d" : "%s:%d", h->hostname, h->port);
        break;
    case DCC_HOST_SSH:
        snprintf(buf, len, "%s@%s", h->user ? h->user : "", h->hostname);
        break;
    default:
        snprintf(buf, len, "%s", h->hostname);
        break;
    }
}

/* The host list as this monitor's environment finds it; none is fine. */
static int load_hosts(struct dcc_hostlist *list)
{
    char *text = NULL, path[PATH_MAX], err[512];
    enum dcc_hosts_source src;
    memset(list, 0, sizeof *list);
    if (dcc_hosts_find(DCC_SYSCONFDIR, &text, &src, path, sizeof path, err, sizeof err) != 0 || !text)
        return -1;
    int rc = dcc_hosts_parse(text, list, err, sizeof err);
    free(text);
    return rc;
}

static int build_summary(const struct dcc_state_list *jobs, struct summary *s)
{
    struct dcc_hostlist list;
    int have_list = load_hosts(&list) == 0;
    for (size_t i = 0; have_list && i < list.n; i++) {
        const struct dcc_host *h = &list.hosts[i];
        struct host_load *r = find_row(s, h->hostname);
        if (!r && !(r = add_row(s, h->hostname)))
            goto oom;
        /* Two entries with one name (two ports, tcp and ssh) cannot be told
         * apart in the state files, so they share a line under the name. */
        if (r->listed++ == 0)
            host_label(h, r->label, sizeof r->label);
        else
            snprintf(r->label, sizeof r->label, "%s", h->hostname);
        r->slots += h->n_slots;
    }
    if (have_list) {
        /* Jobs that must run here also use the cpu_localhost_N slots,
         * up to --localslots of them. */
        struct host_load *local = find_row(s, "localhost");
        if (local && local->slots < list.local_slots)
            local->slots = list.local_slots;
        dcc_hosts_free(&list);
    }
    for (size_t i = 0; i < jobs->n; i++) {
        const char *host = jobs->items[i].host;
        if (!host[0])
            continue;
        struct host_load *r = find_row(s, host);
        if (!r && !(r = add_row(s, host)))
            return -1;
        r->running++;
    }
    return 0;
oom:
    dcc_hosts_free(&list);
    return -1;
}

static int format_poll(const struct dcc_state_list *jobs, struct dcc_buf *out)
{
    struct summary s = {0};
    int rc = 0;
    for (size_t i = 0; i < jobs->n && rc == 0; i++) {
        const struct dcc_state_entry *e = &jobs->items[i];
        /* Stock distccmon-text's line, byte for byte. */
        rc = dcc_buf_printf(out, "%6ld  %-10.10s  %-30.30s %24.24s[%d]\n", e->pid, dcc_state_phase_name(e->phase),
                            e->file, e->host, e->slot);
    }
    if (rc == 0)
        rc = build_summary(jobs, &s);
    for (size_t i = 0; i < s.n && rc == 0; i++) {
        const struct host_load *r = &s.rows[i];
        if (r->listed)
            rc = dcc_buf_printf(out, "  %s  %d/%d running\n", r->label, r->running, r->slots);
        else
            rc = dcc_buf_printf(out, "  %s  %d running\n", r->label, r->running);
    }
    if (rc == 0)
        rc = dcc_buf_appends(out, "\n");
    free(s.rows);
    return rc;
}

static int poll_once(const char *state_dir)
{
    struct dcc_state_list jobs;
    struct dcc_buf out = {0};
    char err[PATH_MAX + 128] = "";
    int rc = dcc_state_read_dir(state_dir, &jobs, err, sizeof err);
    if (rc != 0) {
        dcc_error("%s", err);
        return rc;
    }
    if (format_poll(&jobs, &out) != 0) {
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

    do {
        code = poll_once(state_dir);
        if (code != 0)
            return code;
    } while (delay > 0 && !sleep_or_stop(delay, &waitmask));
    return 0;
}
