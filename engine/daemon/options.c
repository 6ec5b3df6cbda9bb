/* distccd's command line: the options, their checks and defaults, --help. */
#include "distccd.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "proto/dcc_hosts.h"
#include "proto/dcc_version.h"
#include "proto/dcc_wire.h"

#include <errno.h>
#include <limits.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_id {
    OPT_ALLOW = 1,
    OPT_ALLOW_PRIVATE,
    OPT_HELP,
    OPT_VERSION,
    OPT_WIZARD,
    OPT_VERBOSE,
    OPT_LOG_LEVEL,
    OPT_MAX_BODY,
    OPT_SANDBOX,
    OPT_MAX_BODY_MEM,
    OPT_PRINCIPAL_LIST,
    OPT_SHOW_PRINCIPAL,
};

/* Defaults with a wide margin over what a legitimate client needs (README.md
 * has the measurement): its longest pause is its preprocessor running
 * between ARGV and DOTI, about a second for a very large C++ file on a
 * loaded machine. */
#define DEFAULT_REQUEST_TIMEOUT 120
#define DEFAULT_MIN_RATE 4096

/* The option strings live in popt's context for the whole run; a global keeps
 * them reachable (not leaked) whichever way the process ends. */
static poptContext opt_ctx;

int dccd_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    unsigned long long mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024ULL, end++;
    else if (*end == 'M' || *end == 'm')
        mult = 1024ULL * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mult = 1024ULL * 1024 * 1024, end++;
    if (*end || v == 0 || v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

/* A --job-* limit: a size as parse_size takes it, or 0 for none. */
static int parse_limit(const char *s, uint64_t *out)
{
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    return parse_size(s, out);
}

static int default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return (int)(n > 0 ? n : 1) + 2;
}

/* A quarter of the machine's memory shared by the jobs that may hold a
 * body at once (one per slot), within 32 MiB (a large preprocessed source
 * still fits) and 512 MiB. */
static uint64_t default_body_memory(int jobs)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    uint64_t share = ram / 4 / (uint64_t)(jobs > 0 ? jobs : 1);
    const uint64_t lo = 32ull << 20, hi = 512ull << 20;
    return share < lo ? lo : share > hi ? hi : share;
}

static void usage(poptContext ctx)
{
    char dirs[1024];
    dcc_version_whitelist_dirs(dirs, sizeof dirs);
    poptPrintHelp(ctx, stdout, 0);
    printf(
        "\nWith no --allow, only loopback clients (127.0.0.0/8, ::1) are accepted.\n"
        "Compilers run only when named in the whitelist directory (--whitelist-dir),\n"
        "by default %s.\n"
        "The daemon exits 110 when that directory is missing or empty.\n"
        "Each job runs in a sandbox (--sandbox): user, mount and network namespaces,\n"
        "Landlock and seccomp, under a reaper (or a pid namespace); it executes only its\n"
        "toolchain, writes only its job directory, and nothing it starts outlives it.\n"
        "--job-memory, --job-cpu and --job-file-size apply with --sandbox=off too.\n"
        "Exit codes: 100 --sandbox=required without every mechanism, 101 bad option,\n"
        "102 cannot bind, 107 cannot open the log file or --header-cache-dir, 110 no whitelist, 112 cannot drop root,\n"
        "119 --auth cannot start (no GSS-API in this build, no key in the keytab, unreadable list).\n"
        "--auth: clients must authenticate with GSS-API (Kerberos) first, as with distcc 3.4;\n"
        "the daemon accepts as $DISTCCD_PRINCIPAL (\"host/NAME\", or \"SERVICE@NAME\"), else as any\n"
        "principal in the keytab ($KRB5_KTNAME, read before dropping root).%s\n",
        dirs,
        dcc_auth_available() ? "" : "\nThis distccd was built without GSS-API: --auth is refused.");
}

/* What popt fills in, before it is checked into the settings. Static: popt
 * hands out malloc'd strings, kept reachable until exit. */
static struct {
    char *allow, *log_level, *max_body, *sandbox, *job_memory, *job_file_size, *max_body_mem;
    char *principal_white, *principal_black, *hcache_size;
    char *port_s, *jobs_s, *nice_s, *jl_s, *lt_s, *sp_s, *jc_s, *jp_s, *rt_s, *mr_s, *mpa_s;
    long port, jobs, nice_val, job_lifetime, lifetime, job_cpu, job_processes, stats_port;
    long request_timeout, min_rate, max_per_address;
    int wizard, verbose, no_early;
} raw = {
    .port = DCC_DEFAULT_PORT,
    .nice_val = 5,
    .job_lifetime = DCCD_DEFAULT_JOB_LIFETIME,
    .job_cpu = DCCD_DEFAULT_JOB_CPU,
    .job_processes = DCCD_DEFAULT_JOB_PROCESSES,
    .stats_port = DCC_DEFAULT_STATS_PORT,
    .request_timeout = DEFAULT_REQUEST_TIMEOUT,
    .min_rate = DEFAULT_MIN_RATE,
};

/* One option that does more than store its value. */
static void take_option(poptContext ctx, int id, struct dccd_config *cfg)
{
    char err[256];
    switch (id) {
    case OPT_ALLOW:
        if (dcc_acl_add(&cfg->acl, raw.allow, err, sizeof err) != 0)
            dccd_die(DCC_EXIT_BAD_ARGUMENTS, "--allow: %s", err);
        free(raw.allow); /* repeatable: popt gives a new copy each time */
        raw.allow = NULL;
        cfg->acl_given = 1;
        break;
    case OPT_ALLOW_PRIVATE:
        dcc_acl_add_private(&cfg->acl);
        cfg->acl_given = 1;
        break;
    case OPT_LOG_LEVEL:
        if (dcc_log_level_parse(raw.log_level, &cfg->log_level) != 0)
            dccd_die(
                DCC_EXIT_BAD_ARGUMENTS,
                "--log-level \"%s\" is not one of critical, error, warning, notice, info, debug",
                raw.log_level);
        break;
    case OPT_VERBOSE:
        cfg->log_level = DCC_LOG_DEBUG;
        break;
    case OPT_WIZARD:
        cfg->daemon_mode = cfg->no_detach = cfg->log_stderr = 1;
        cfg->log_level = DCC_LOG_DEBUG;
        break;
    case OPT_MAX_BODY:
        if (parse_size(raw.max_body, &cfg->max_body) != 0)
            dccd_die(DCC_EXIT_BAD_ARGUMENTS, "--max-body-size \"%s\" is not a size such as 64M",
                     raw.max_body);
        break;
    case OPT_SANDBOX:
        if (dcc_sandbox_mode_parse(raw.sandbox, &cfg->sandbox_mode) != 0)
            dccd_die(DCC_EXIT_BAD_ARGUMENTS, "--sandbox \"%s\" is not one of auto, required, off",
                     raw.sandbox);
        break;
    case OPT_MAX_BODY_MEM:
        if (parse_size(raw.max_body_mem, &cfg->max_body_mem) != 0)
            dccd_die(DCC_EXIT_BAD_ARGUMENTS, "--max-body-memory \"%s\" is not a size such as 256M",
                     raw.max_body_mem);
        break;
    case OPT_PRINCIPAL_LIST:
        if (raw.principal_white && raw.principal_black)
            dccd_die(DCC_EXIT_BAD_ARGUMENTS,
                     "--whitelist and --blacklist cannot be given together");
        cfg->principals_given = 1;
        cfg->principals.deny = raw.principal_black != NULL;
        snprintf(cfg->principals.path, sizeof cfg->principals.path, "%s",
                 raw.principal_black ? raw.principal_black : raw.principal_white);
        break;
    case OPT_SHOW_PRINCIPAL: {
        /* Stock's exact lines. */
        const char *p = getenv("DISTCCD_PRINCIPAL");
        if (p)
            printf("Principal is\t: %s\n", p);
        else
            printf("Principal\t: Not Set\n");
        exit(0);
    }
    case OPT_HELP:
        usage(ctx);
        exit(0);
    case OPT_VERSION: {
        char text[2048];
        dcc_version_text("distccd", text, sizeof text);
        fputs(text, stdout);
        exit(0);
    }
    }
}

/* The numbers and sizes, checked, into the settings with their defaults. */
static void check_values(struct dccd_config *cfg)
{
    struct {
        const char *name, *text;
        long lo, hi, *out;
    } numbers[] = {
        {"--port", raw.port_s, 1, 65535, &raw.port},
        {"--jobs", raw.jobs_s, 1, 1024, &raw.jobs},
        {"--nice", raw.nice_s, -20, 19, &raw.nice_val},
        {"--job-lifetime", raw.jl_s, 0, INT_MAX, &raw.job_lifetime},
        {"--lifetime", raw.lt_s, 0, INT_MAX, &raw.lifetime},
        {"--stats-port", raw.sp_s, 1, 65535, &raw.stats_port},
        {"--job-cpu", raw.jc_s, 0, INT_MAX, &raw.job_cpu},
        {"--job-processes", raw.jp_s, 0, 1000000, &raw.job_processes},
        {"--request-timeout", raw.rt_s, 0, 86400, &raw.request_timeout},
        {"--min-rate", raw.mr_s, 0, INT_MAX, &raw.min_rate},
        {"--max-per-address", raw.mpa_s, 1, 65536, &raw.max_per_address},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (numbers[i].text &&
            dccd_parse_int(numbers[i].text, numbers[i].lo, numbers[i].hi, numbers[i].out) != 0)
            dccd_die(DCC_EXIT_BAD_ARGUMENTS, "%s \"%s\" is not a number from %ld to %ld",
                     numbers[i].name, numbers[i].text, numbers[i].lo, numbers[i].hi);
    struct {
        const char *name, *text;
        uint64_t *out;
    } sizes[] = {
        {"--job-memory", raw.job_memory, &cfg->limits.memory},
        {"--job-file-size", raw.job_file_size, &cfg->limits.file_size},
    };
    cfg->hcache_size = DCC_HCACHE_DEFAULT_SIZE;
    if (raw.hcache_size && parse_limit(raw.hcache_size, &cfg->hcache_size) != 0)
        dccd_die(DCC_EXIT_BAD_ARGUMENTS,
                 "--header-cache-size \"%s\" is not a size such as 256M, or 0", raw.hcache_size);
    cfg->limits.memory = DCCD_DEFAULT_JOB_MEMORY;
    cfg->limits.file_size = DCCD_DEFAULT_JOB_FILE_SIZE;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].text && parse_limit(sizes[i].text, sizes[i].out) != 0)
            dccd_die(DCC_EXIT_BAD_ARGUMENTS, "%s \"%s\" is not a size such as 512M, or 0",
                     sizes[i].name, sizes[i].text);
    cfg->limits.cpu_seconds = raw.job_cpu;
    cfg->limits.processes = raw.job_processes;
    cfg->port = (int)raw.port;
    cfg->jobs = raw.jobs ? (int)raw.jobs : default_jobs();
    cfg->nice = (int)raw.nice_val;
    cfg->job_lifetime = (int)raw.job_lifetime;
    cfg->lifetime = (int)raw.lifetime;
    cfg->stats_port = (int)raw.stats_port;
    cfg->early_start = !raw.no_early;
    cfg->request_timeout = (int)raw.request_timeout;
    cfg->min_rate = (uint32_t)raw.min_rate;
    cfg->max_per_address = raw.max_per_address ? (int)raw.max_per_address : 2 * cfg->jobs;
    if (!cfg->max_body_mem)
        cfg->max_body_mem = default_body_memory(cfg->jobs);
}

void dccd_parse_options(int argc, const char **argv, struct dccd_config *cfg)
{
    struct poptOption table[] = {
        {"allow", 'a', POPT_ARG_STRING, &raw.allow, OPT_ALLOW,
         "accept clients from this address or CIDR (repeatable)", "ADDR[/BITS]"},
        {"allow-private", 0, POPT_ARG_NONE, NULL, OPT_ALLOW_PRIVATE,
         "accept clients from private networks and loopback", NULL},
        {"listen", 0, POPT_ARG_STRING, &cfg->listen_addr, 0, "listen on this address only", "ADDR"},
        {"port", 'p', POPT_ARG_STRING, &raw.port_s, 0, "TCP port for jobs (default 3632)", "PORT"},
        {"jobs", 'j', POPT_ARG_STRING, &raw.jobs_s, 0, "jobs run at once (default: cores + 2)",
         "N"},
        {"nice", 'N', POPT_ARG_STRING, &raw.nice_s, 0, "niceness of compilers (default 5)", "N"},
        {"user", 0, POPT_ARG_STRING, &cfg->user, 0,
         "user to run as when started as root (default distcc, then nobody)", "USER"},
        {"daemon", 0, POPT_ARG_NONE, &cfg->daemon_mode, 0,
         "run as a standalone daemon (the default unless stdin is a socket)", NULL},
        {"no-detach", 0, POPT_ARG_NONE, &cfg->no_detach, 0, "stay in the foreground", NULL},
        {"no-fork", 0, POPT_ARG_NONE, &cfg->no_fork, 0,
         "accepted for compatibility; jobs still run in their own process", NULL},
        {"no-fifo", 0, POPT_ARG_NONE, NULL, 0, "accepted for compatibility; does nothing", NULL},
        {"inetd", 0, POPT_ARG_NONE, &cfg->inetd, 0, "serve one job on stdin/stdout (inetd, ssh)",
         NULL},
        {"pid-file", 'P', POPT_ARG_STRING, &cfg->pid_file, 0, "write the daemon's pid here",
         "FILE"},
        {"log-file", 0, POPT_ARG_STRING, &cfg->log_file, 0, "log to this file instead of syslog",
         "FILE"},
        {"log-level", 0, POPT_ARG_STRING, &raw.log_level, OPT_LOG_LEVEL,
         "critical, error, warning, notice (default), info or debug", "LEVEL"},
        {"log-stderr", 0, POPT_ARG_NONE, &cfg->log_stderr, 0, "log to stderr", NULL},
        {"verbose", 0, POPT_ARG_NONE, &raw.verbose, OPT_VERBOSE, "log at debug level", NULL},
        {"wizard", 'W', POPT_ARG_NONE, &raw.wizard, OPT_WIZARD,
         "foreground, log debug to stderr (for debugging)", NULL},
        {"job-lifetime", 0, POPT_ARG_STRING, &raw.jl_s, 0,
         "kill a compile running longer than this; 0: no limit (default 600)", "SECONDS"},
        {"sandbox", 0, POPT_ARG_STRING, &raw.sandbox, OPT_SANDBOX,
         "auto (default: every mechanism the kernel has), required (refuse to start without all) or off",
         "MODE"},
        {"job-memory", 0, POPT_ARG_STRING, &raw.job_memory, 0,
         "address space of each compiler process, with K/M/G; 0: no limit (default 4G)", "BYTES"},
        {"job-cpu", 0, POPT_ARG_STRING, &raw.jc_s, 0,
         "CPU time of each compiler process; 0: no limit (default 600)", "SECONDS"},
        {"job-file-size", 0, POPT_ARG_STRING, &raw.job_file_size, 0,
         "largest file a job may write, with K/M/G; 0: no limit (default 2G)", "BYTES"},
        {"job-processes", 0, POPT_ARG_STRING, &raw.jp_s, 0,
         "processes one job may have at once (with a user namespace); 0: no limit (default 64)",
         "N"},
        {"lifetime", 0, POPT_ARG_STRING, &raw.lt_s, 0, "exit after this many seconds (for tests)",
         "SECONDS"},
        {"stats", 0, POPT_ARG_NONE, &cfg->stats, 0,
         "serve statistics over HTTP (16 connections at once, 4 from one address)", NULL},
        {"stats-port", 0, POPT_ARG_STRING, &raw.sp_s, 0, "port for --stats (default 3633)", "PORT"},
        {"zeroconf", 0, POPT_ARG_NONE, &cfg->zeroconf, 0,
         "announce this helper over mDNS/DNS-SD (Avahi), for clients with +zeroconf", NULL},
        {"enable-tcp-insecure", 0, POPT_ARG_NONE, &cfg->tcp_insecure, 0,
         "run any compiler name, not only whitelisted ones", NULL},
        {"make-me-a-botnet", 0, POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &cfg->tcp_insecure, 0,
         NULL, NULL},
        {"whitelist-dir", 0, POPT_ARG_STRING, &cfg->whitelist_dir, 0,
         "compiler whitelist directory", "DIR"},
        {"max-body-size", 0, POPT_ARG_STRING, &raw.max_body, OPT_MAX_BODY,
         "largest file a client may send, with K/M/G (default 1G)", "BYTES"},
        {"max-body-memory", 0, POPT_ARG_STRING, &raw.max_body_mem, OPT_MAX_BODY_MEM,
         "memory one job may use to hold a received body, compressed and inflated together, with K/M/G (default: a quarter of RAM shared by the --jobs, 32M to 512M)",
         "BYTES"},
        {"request-timeout", 0, POPT_ARG_STRING, &raw.rt_s, 0,
         "drop a request not received within this time; waiting for a job slot does not count (default 120, 0 = no limit)",
         "SECONDS"},
        {"min-rate", 0, POPT_ARG_STRING, &raw.mr_s, 0,
         "drop a client whose packet, once begun, arrives slower than this after 5 s (default 4096, 0 = any rate)",
         "BYTES/S"},
        {"max-per-address", 0, POPT_ARG_STRING, &raw.mpa_s, 0,
         "connections from one address served at once; more wait their turn (default: twice --jobs)",
         "N"},
        {"header-cache-dir", 0, POPT_ARG_STRING, &cfg->hcache_dir, 0,
         "keep pump mode's headers here, named by their BLAKE2b digest, for clients that send digests (default "
         "/var/cache/distccd/headers when /var/cache/distccd is writable, else none)",
         "DIR"},
        {"header-cache-size", 0, POPT_ARG_STRING, &raw.hcache_size, 0,
         "bound of the header cache, with K/M/G; least recently used headers go first; 0: no header cache (default 256M)",
         "BYTES"},
        {"no-early-start", 0, POPT_ARG_NONE, &raw.no_early, 0,
         "start the compiler only once the whole source is here (as distcc 3.4 does)", NULL},
        {"auth", 0, POPT_ARG_NONE, &cfg->auth, 0,
         "clients must authenticate with GSS-API first (distcc 3.4's mutual authentication)", NULL},
        {"whitelist", 0, POPT_ARG_STRING, &raw.principal_white, OPT_PRINCIPAL_LIST,
         "with --auth, only these client principals (one a line) get in", "FILE"},
        {"blacklist", 0, POPT_ARG_STRING, &raw.principal_black, OPT_PRINCIPAL_LIST,
         "with --auth, these client principals (one a line) are refused", "FILE"},
        {"show-principal", 0, POPT_ARG_NONE, NULL, OPT_SHOW_PRINCIPAL,
         "show the GSS-API principal ($DISTCCD_PRINCIPAL) and exit", NULL},
        {"help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, "show this help", NULL},
        {"version", 0, POPT_ARG_NONE, NULL, OPT_VERSION, "show the version", NULL},
        POPT_TABLEEND,
    };
    poptContext ctx = opt_ctx = poptGetContext("distccd", argc, argv, table, 0);
    int rc;
    while ((rc = poptGetNextOpt(ctx)) > 0)
        take_option(ctx, rc, cfg);
    if (rc < -1)
        dccd_die(DCC_EXIT_BAD_ARGUMENTS, "%s: %s (see distccd --help)",
                 poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
    if (poptPeekArg(ctx))
        dccd_die(DCC_EXIT_BAD_ARGUMENTS, "unexpected argument \"%s\" (see distccd --help)",
                 poptPeekArg(ctx));
    check_values(cfg);
}

void dccd_options_free(void)
{
    poptFreeContext(opt_ctx);
    opt_ctx = NULL;
}
