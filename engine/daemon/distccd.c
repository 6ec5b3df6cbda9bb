/* distccd: options, listening sockets, privileges and the accept loop. */
#include "daemon.h"

#include "daemon/dcc_acl.h"
#include "proto/dcc_auth.h"
#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "base/dcc_log.h"
#include "daemon/dcc_stats.h"
#include "base/dcc_util.h"
#include "proto/dcc_version.h"
#include "proto/dcc_whitelist.h"
#include "proto/dcc_wire.h"
#include "zeroconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <popt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_STATS_CHILDREN 16
/* Stats connections one address may hold at once: a quarter of the port, so
 * clients trickling from one address leave the rest to everyone else (each
 * holds its process for 2 s at most, stats_http.c). A fixed number, not
 * --max-per-address: twice -j could be all 16. */
#define MAX_STATS_PER_ADDRESS 4

enum opt_id {
    OPT_ALLOW = 1, OPT_ALLOW_PRIVATE, OPT_HELP, OPT_VERSION, OPT_WIZARD, OPT_VERBOSE, OPT_LOG_LEVEL,
    OPT_MAX_BODY, OPT_SANDBOX, OPT_MAX_BODY_MEM, OPT_PRINCIPAL_LIST, OPT_SHOW_PRINCIPAL,
};

/* Until a connection has sent its first header; shorter when
 * DISTCC_IO_TIMEOUT is. A client sends it as soon as it connects. */
#define HANDSHAKE_MS 10000
/* Defaults with a wide margin over what a legitimate client needs (README.md
 * has the measurement): its longest pause is its preprocessor running
 * between ARGV and DOTI, about a second for a very large C++ file on a
 * loaded machine. */
#define DEFAULT_REQUEST_TIMEOUT 120
#define DEFAULT_MIN_RATE 4096

/* The option strings live in popt's context for the whole run; a global keeps
 * them reachable (not leaked) whichever way the process ends. */
static poptContext opt_ctx;
static volatile sig_atomic_t stop_requested;
static int detached; /* stderr is /dev/null from then on */
static int sigchld_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_child(int sig)
{
    (void)sig;
    int saved = errno;
    if (sigchld_pipe[1] >= 0)
        (void)!write(sigchld_pipe[1], "c", 1);
    errno = saved;
}

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dcc_crit("%s", msg);
    /* Before logging is set up (or when it goes to a file or syslog) the
     * admin at the terminal still needs to see why we stopped. */
    if (dcc_log_fd() != STDERR_FILENO && !detached)
        fprintf(stderr, "distccd: %s\n", msg);
    exit(code);
}

static int parse_int(const char *s, long lo, long hi, long *out)
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
    printf("\nWith no --allow, only loopback clients (127.0.0.0/8, ::1) are accepted.\n"
           "Compilers run only when named in the whitelist directory (--whitelist-dir),\n"
           "by default %s.\n"
           "The daemon exits 110 when that directory is missing or empty.\n"
           "Each job runs in a sandbox (--sandbox): user, mount and network namespaces,\n"
           "Landlock and seccomp, under a reaper (or a pid namespace); it executes only its\n"
           "toolchain, writes only its job directory, and nothing it starts outlives it.\n"
           "--job-memory, --job-cpu and --job-file-size apply with --sandbox=off too.\n"
           "Exit codes: 100 --sandbox=required without every mechanism, 101 bad option,\n"
           "102 cannot bind, 107 cannot open the log file, 110 no whitelist, 112 cannot drop root,\n"
           "119 --auth cannot start (no GSS-API in this build, no key in the keytab, unreadable list).\n"
           "--auth: clients must authenticate with GSS-API (Kerberos) first, as with distcc 3.4;\n"
           "the daemon accepts as $DISTCCD_PRINCIPAL (\"host/NAME\", or \"SERVICE@NAME\"), else as any\n"
           "principal in the keytab ($KRB5_KTNAME, read before dropping root).%s\n",
           dirs, dcc_auth_available() ? "" : "\nThis distccd was built without GSS-API: --auth is refused.");
}

static void parse_options(int argc, const char **argv, struct dccd_config *cfg)
{
    /* popt hands out malloc'd strings; static keeps them reachable until exit. */
    static char *allow, *log_level, *max_body, *sandbox, *job_memory, *job_file_size, *max_body_mem;
    static char *principal_white, *principal_black;
    long port = DCC_DEFAULT_PORT, jobs = 0, nice_val = 5, job_lifetime = DCCD_DEFAULT_JOB_LIFETIME, lifetime = 0,
         job_cpu = DCCD_DEFAULT_JOB_CPU, job_processes = DCCD_DEFAULT_JOB_PROCESSES,
         stats_port = DCC_DEFAULT_STATS_PORT;
    int wizard = 0, verbose = 0, no_early = 0;
    static char *port_s, *jobs_s, *nice_s, *jl_s, *lt_s, *sp_s, *jc_s, *jp_s, *rt_s, *mr_s, *mpa_s;
    long request_timeout = DEFAULT_REQUEST_TIMEOUT, min_rate = DEFAULT_MIN_RATE, max_per_address = 0;
    struct poptOption table[] = {
        {"allow", 'a', POPT_ARG_STRING, &allow, OPT_ALLOW, "accept clients from this address or CIDR (repeatable)", "ADDR[/BITS]"},
        {"allow-private", 0, POPT_ARG_NONE, NULL, OPT_ALLOW_PRIVATE, "accept clients from private networks and loopback", NULL},
        {"listen", 0, POPT_ARG_STRING, &cfg->listen_addr, 0, "listen on this address only", "ADDR"},
        {"port", 'p', POPT_ARG_STRING, &port_s, 0, "TCP port for jobs (default 3632)", "PORT"},
        {"jobs", 'j', POPT_ARG_STRING, &jobs_s, 0, "jobs run at once (default: cores + 2)", "N"},
        {"nice", 'N', POPT_ARG_STRING, &nice_s, 0, "niceness of compilers (default 5)", "N"},
        {"user", 0, POPT_ARG_STRING, &cfg->user, 0, "user to run as when started as root (default distcc, then nobody)", "USER"},
        {"daemon", 0, POPT_ARG_NONE, &cfg->daemon_mode, 0, "run as a standalone daemon (the default unless stdin is a socket)", NULL},
        {"no-detach", 0, POPT_ARG_NONE, &cfg->no_detach, 0, "stay in the foreground", NULL},
        {"no-fork", 0, POPT_ARG_NONE, &cfg->no_fork, 0, "accepted for compatibility; jobs still run in their own process", NULL},
        {"no-fifo", 0, POPT_ARG_NONE, NULL, 0, "accepted for compatibility; does nothing", NULL},
        {"inetd", 0, POPT_ARG_NONE, &cfg->inetd, 0, "serve one job on stdin/stdout (inetd, ssh)", NULL},
        {"pid-file", 'P', POPT_ARG_STRING, &cfg->pid_file, 0, "write the daemon's pid here", "FILE"},
        {"log-file", 0, POPT_ARG_STRING, &cfg->log_file, 0, "log to this file instead of syslog", "FILE"},
        {"log-level", 0, POPT_ARG_STRING, &log_level, OPT_LOG_LEVEL, "critical, error, warning, notice (default), info or debug", "LEVEL"},
        {"log-stderr", 0, POPT_ARG_NONE, &cfg->log_stderr, 0, "log to stderr", NULL},
        {"verbose", 0, POPT_ARG_NONE, &verbose, OPT_VERBOSE, "log at debug level", NULL},
        {"wizard", 'W', POPT_ARG_NONE, &wizard, OPT_WIZARD, "foreground, log debug to stderr (for debugging)", NULL},
        {"job-lifetime", 0, POPT_ARG_STRING, &jl_s, 0, "kill a compile running longer than this; 0: no limit (default 600)", "SECONDS"},
        {"sandbox", 0, POPT_ARG_STRING, &sandbox, OPT_SANDBOX, "auto (default: every mechanism the kernel has), required (refuse to start without all) or off", "MODE"},
        {"job-memory", 0, POPT_ARG_STRING, &job_memory, 0, "address space of each compiler process, with K/M/G; 0: no limit (default 4G)", "BYTES"},
        {"job-cpu", 0, POPT_ARG_STRING, &jc_s, 0, "CPU time of each compiler process; 0: no limit (default 600)", "SECONDS"},
        {"job-file-size", 0, POPT_ARG_STRING, &job_file_size, 0, "largest file a job may write, with K/M/G; 0: no limit (default 2G)", "BYTES"},
        {"job-processes", 0, POPT_ARG_STRING, &jp_s, 0, "processes one job may have at once (with a user namespace); 0: no limit (default 64)", "N"},
        {"lifetime", 0, POPT_ARG_STRING, &lt_s, 0, "exit after this many seconds (for tests)", "SECONDS"},
        {"stats", 0, POPT_ARG_NONE, &cfg->stats, 0, "serve statistics over HTTP (16 connections at once, 4 from one address)", NULL},
        {"stats-port", 0, POPT_ARG_STRING, &sp_s, 0, "port for --stats (default 3633)", "PORT"},
        {"zeroconf", 0, POPT_ARG_NONE, &cfg->zeroconf, 0, "announce this helper over mDNS/DNS-SD (Avahi), for clients with +zeroconf", NULL},
        {"enable-tcp-insecure", 0, POPT_ARG_NONE, &cfg->tcp_insecure, 0, "run any compiler name, not only whitelisted ones", NULL},
        {"make-me-a-botnet", 0, POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &cfg->tcp_insecure, 0, NULL, NULL},
        {"whitelist-dir", 0, POPT_ARG_STRING, &cfg->whitelist_dir, 0, "compiler whitelist directory", "DIR"},
        {"max-body-size", 0, POPT_ARG_STRING, &max_body, OPT_MAX_BODY, "largest file a client may send, with K/M/G (default 1G)", "BYTES"},
        {"max-body-memory", 0, POPT_ARG_STRING, &max_body_mem, OPT_MAX_BODY_MEM, "memory one job may use to hold a received body, compressed and inflated together, with K/M/G (default: a quarter of RAM shared by the --jobs, 32M to 512M)", "BYTES"},
        {"request-timeout", 0, POPT_ARG_STRING, &rt_s, 0, "drop a request not received within this time; waiting for a job slot does not count (default 120, 0 = no limit)", "SECONDS"},
        {"min-rate", 0, POPT_ARG_STRING, &mr_s, 0, "drop a client whose packet, once begun, arrives slower than this after 5 s (default 4096, 0 = any rate)", "BYTES/S"},
        {"max-per-address", 0, POPT_ARG_STRING, &mpa_s, 0, "connections from one address served at once; more wait their turn (default: twice --jobs)", "N"},
        {"no-early-start", 0, POPT_ARG_NONE, &no_early, 0, "start the compiler only once the whole source is here (as distcc 3.4 does)", NULL},
        {"auth", 0, POPT_ARG_NONE, &cfg->auth, 0, "clients must authenticate with GSS-API first (distcc 3.4's mutual authentication)", NULL},
        {"whitelist", 0, POPT_ARG_STRING, &principal_white, OPT_PRINCIPAL_LIST, "with --auth, only these client principals (one a line) get in", "FILE"},
        {"blacklist", 0, POPT_ARG_STRING, &principal_black, OPT_PRINCIPAL_LIST, "with --auth, these client principals (one a line) are refused", "FILE"},
        {"show-principal", 0, POPT_ARG_NONE, NULL, OPT_SHOW_PRINCIPAL, "show the GSS-API principal ($DISTCCD_PRINCIPAL) and exit", NULL},
        {"help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, "show this help", NULL},
        {"version", 0, POPT_ARG_NONE, NULL, OPT_VERSION, "show the version", NULL},
        POPT_TABLEEND,
    };
    poptContext ctx = opt_ctx = poptGetContext("distccd", argc, argv, table, 0);
    int rc;
    while ((rc = poptGetNextOpt(ctx)) > 0) {
        char err[256];
        switch (rc) {
        case OPT_ALLOW:
            if (dcc_acl_add(&cfg->acl, allow, err, sizeof err) != 0)
                die(DCC_EXIT_BAD_ARGUMENTS, "--allow: %s", err);
            free(allow); /* repeatable: popt gives a new copy each time */
            allow = NULL;
            cfg->acl_given = 1;
            break;
        case OPT_ALLOW_PRIVATE:
            dcc_acl_add_private(&cfg->acl);
            cfg->acl_given = 1;
            break;
        case OPT_LOG_LEVEL:
            if (dcc_log_level_parse(log_level, &cfg->log_level) != 0)
                die(DCC_EXIT_BAD_ARGUMENTS, "--log-level \"%s\" is not one of critical, error, warning, notice, info, debug", log_level);
            break;
        case OPT_VERBOSE:
            cfg->log_level = DCC_LOG_DEBUG;
            break;
        case OPT_WIZARD:
            cfg->daemon_mode = cfg->no_detach = cfg->log_stderr = 1;
            cfg->log_level = DCC_LOG_DEBUG;
            break;
        case OPT_MAX_BODY:
            if (parse_size(max_body, &cfg->max_body) != 0)
                die(DCC_EXIT_BAD_ARGUMENTS, "--max-body-size \"%s\" is not a size such as 64M", max_body);
            break;
        case OPT_SANDBOX:
            if (dcc_sandbox_mode_parse(sandbox, &cfg->sandbox_mode) != 0)
                die(DCC_EXIT_BAD_ARGUMENTS, "--sandbox \"%s\" is not one of auto, required, off", sandbox);
            break;
        case OPT_MAX_BODY_MEM:
            if (parse_size(max_body_mem, &cfg->max_body_mem) != 0)
                die(DCC_EXIT_BAD_ARGUMENTS, "--max-body-memory \"%s\" is not a size such as 256M", max_body_mem);
            break;
        case OPT_PRINCIPAL_LIST:
            if (principal_white && principal_black)
                die(DCC_EXIT_BAD_ARGUMENTS, "--whitelist and --blacklist cannot be given together");
            cfg->principals_given = 1;
            cfg->principals.deny = principal_black != NULL;
            snprintf(cfg->principals.path, sizeof cfg->principals.path, "%s",
                     principal_black ? principal_black : principal_white);
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
    if (rc < -1)
        die(DCC_EXIT_BAD_ARGUMENTS, "%s: %s (see distccd --help)", poptBadOption(ctx, POPT_BADOPTION_NOALIAS),
            poptStrerror(rc));
    if (poptPeekArg(ctx))
        die(DCC_EXIT_BAD_ARGUMENTS, "unexpected argument \"%s\" (see distccd --help)", poptPeekArg(ctx));

    struct {
        const char *name, *text;
        long lo, hi, *out;
    } numbers[] = {
        {"--port", port_s, 1, 65535, &port},
        {"--jobs", jobs_s, 1, 1024, &jobs},
        {"--nice", nice_s, -20, 19, &nice_val},
        {"--job-lifetime", jl_s, 0, INT_MAX, &job_lifetime},
        {"--lifetime", lt_s, 0, INT_MAX, &lifetime},
        {"--stats-port", sp_s, 1, 65535, &stats_port},
        {"--job-cpu", jc_s, 0, INT_MAX, &job_cpu},
        {"--job-processes", jp_s, 0, 1000000, &job_processes},
        {"--request-timeout", rt_s, 0, 86400, &request_timeout},
        {"--min-rate", mr_s, 0, INT_MAX, &min_rate},
        {"--max-per-address", mpa_s, 1, 65536, &max_per_address},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (numbers[i].text && parse_int(numbers[i].text, numbers[i].lo, numbers[i].hi, numbers[i].out) != 0)
            die(DCC_EXIT_BAD_ARGUMENTS, "%s \"%s\" is not a number from %ld to %ld", numbers[i].name,
                numbers[i].text, numbers[i].lo, numbers[i].hi);
    struct {
        const char *name, *text;
        uint64_t *out;
    } sizes[] = {
        {"--job-memory", job_memory, &cfg->limits.memory},
        {"--job-file-size", job_file_size, &cfg->limits.file_size},
    };
    cfg->limits.memory = DCCD_DEFAULT_JOB_MEMORY;
    cfg->limits.file_size = DCCD_DEFAULT_JOB_FILE_SIZE;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].text && parse_limit(sizes[i].text, sizes[i].out) != 0)
            die(DCC_EXIT_BAD_ARGUMENTS, "%s \"%s\" is not a size such as 512M, or 0", sizes[i].name, sizes[i].text);
    cfg->limits.cpu_seconds = job_cpu;
    cfg->limits.processes = job_processes;
    cfg->port = (int)port;
    cfg->jobs = jobs ? (int)jobs : default_jobs();
    cfg->nice = (int)nice_val;
    cfg->job_lifetime = (int)job_lifetime;
    cfg->lifetime = (int)lifetime;
    cfg->stats_port = (int)stats_port;
    cfg->early_start = !no_early;
    cfg->request_timeout = (int)request_timeout;
    cfg->min_rate = (uint32_t)min_rate;
    cfg->max_per_address = max_per_address ? (int)max_per_address : 2 * cfg->jobs;
    if (!cfg->max_body_mem)
        cfg->max_body_mem = default_body_memory(cfg->jobs);
    (void)wizard;
    (void)verbose;
    /* popt's strings live in the context; keep it for the process lifetime. */
}

static void setup_logging(struct dccd_config *cfg)
{
    dcc_log_set_program("distccd");
    dcc_log_set_level(cfg->log_level);
    char err[512];
    if (cfg->log_file && *cfg->log_file) {
        if (dcc_log_to_file(cfg->log_file, err, sizeof err) != 0) {
            fprintf(stderr, "distccd: %s; create it writable by the daemon's user, or use syslog\n", err);
            exit(DCC_EXIT_IO_ERROR);
        }
    } else if (cfg->log_stderr) {
        dcc_log_to_stderr();
    } else {
        dcc_log_to_syslog();
    }
}

static void choose_whitelist(struct dccd_config *cfg)
{
    char err[512] = "";
    if (cfg->whitelist_dir) {
        if (dcc_whitelist_dir_usable(cfg->whitelist_dir, err, sizeof err) == 0)
            return;
    } else {
        for (int i = 0; dcc_whitelist_default_dirs[i]; i++) {
            if (dcc_whitelist_dir_usable(dcc_whitelist_default_dirs[i], err, sizeof err) == 0) {
                cfg->whitelist_dir = dcc_whitelist_default_dirs[i];
                return;
            }
        }
    }
    if (cfg->tcp_insecure) {
        if (!cfg->whitelist_dir)
            cfg->whitelist_dir = dcc_whitelist_default_dirs[0];
        return;
    }
    die(DCC_EXIT_COMPILER_MISSING,
        "%s; link the allowed compilers there (distcc-config --update-masquerade) before starting distccd", err);
}

static int bind_listener(const char *addr, int port, const char *what)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo *res = NULL;
    int grc;
    if (addr) {
        hints.ai_family = AF_UNSPEC;
        grc = getaddrinfo(addr, port_s, &hints, &res);
    } else {
        /* One dual-stack socket when IPv6 exists, else IPv4. */
        hints.ai_family = AF_INET6;
        grc = getaddrinfo(NULL, port_s, &hints, &res);
        if (grc == 0) {
            int probe = socket(AF_INET6, SOCK_STREAM, 0);
            if (probe < 0) {
                freeaddrinfo(res);
                res = NULL;
                grc = EAI_FAMILY;
            } else {
                close(probe);
            }
        }
        if (grc != 0) {
            hints.ai_family = AF_INET;
            grc = getaddrinfo(NULL, port_s, &hints, &res);
        }
    }
    if (grc != 0)
        die(DCC_EXIT_BIND_FAILED, "cannot listen on %s for %s: %s", addr ? addr : "all addresses", what,
            gai_strerror(grc));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die(DCC_EXIT_BIND_FAILED, "cannot create a socket for %s: %s", what, strerror(errno));
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        int e = errno;
        freeaddrinfo(res);
        die(DCC_EXIT_BIND_FAILED, "cannot bind %s port %d for %s: %s%s", addr ? addr : "*", port, what, strerror(e),
            e == EADDRINUSE ? " (is another distccd running?)" : "");
    }
    freeaddrinfo(res);
    if (listen(fd, 1024) != 0)
        die(DCC_EXIT_BIND_FAILED, "cannot listen on port %d: %s", port, strerror(errno));
    return fd;
}

/* The user jobs run as when the daemon starts as root: --user, else
 * distcc, else nobody. NULL when there is none. */
static struct passwd *job_user(const struct dccd_config *cfg, const char **name)
{
    *name = cfg->user ? cfg->user : "distcc";
    struct passwd *pw = getpwnam(*name);
    if (!pw && !cfg->user)
        pw = getpwnam(*name = "nobody");
    return pw;
}

static void drop_root(const struct dccd_config *cfg)
{
    if (getuid() != 0 && geteuid() != 0)
        return;
    const char *name;
    struct passwd *pw = job_user(cfg, &name);
    if (!pw)
        die(DCC_EXIT_SETUID_FAILED, "user \"%s\" does not exist; pass --user with an unprivileged user", name);
    if (pw->pw_uid == 0)
        die(DCC_EXIT_SETUID_FAILED, "refusing to run jobs as root (--user %s); pass an unprivileged user", name);
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
        die(DCC_EXIT_SETUID_FAILED, "cannot switch to user %s: %s", name, strerror(errno));
    if (setuid(0) == 0)
        die(DCC_EXIT_SETUID_FAILED, "root privileges could be regained after switching to %s", name);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    dcc_info("running jobs as user %s (uid %u)", name, (unsigned)pw->pw_uid);
}

/* Finds out what the kernel offers the job user, decides with --sandbox,
 * says once what is missing, and prepares what every job will use. */
static void setup_sandbox(struct dccd_config *cfg)
{
    unsigned use = 0;
    int abi = 0;
    char err[600];
    uid_t job_uid = (uid_t)-1;
    gid_t job_gid = (gid_t)-1;
    static const char *const mode_names[] = {"auto", "required", "off"};
    if (cfg->sandbox_mode != DCC_SANDBOX_OFF) {
        uid_t uid = (uid_t)-1;
        gid_t gid = (gid_t)-1;
        const char *name;
        struct passwd *pw = getuid() == 0 || geteuid() == 0 ? job_user(cfg, &name) : NULL;
        if (pw) {
            uid = job_uid = pw->pw_uid;
            gid = job_gid = pw->pw_gid;
        }
        struct dcc_sandbox_probe *probe = &cfg->sandbox_probe;
        if (dcc_sandbox_probe(cfg->tmpdir, uid, gid, probe, err, sizeof err) != 0)
            die(DCC_EXIT_DISTCC_FAILED, "%s", err);
        if (dcc_sandbox_decide(cfg->sandbox_mode, probe, &use, cfg->sandbox_missing, sizeof cfg->sandbox_missing) != 0)
            die(DCC_EXIT_DISTCC_FAILED, "--sandbox=required, but jobs cannot have: %s", cfg->sandbox_missing);
        if (cfg->sandbox_missing[0])
            dcc_warn("sandbox: jobs run without %s", cfg->sandbox_missing);
        abi = probe->landlock_abi;
    }
    if (dcc_sandbox_prepare(&cfg->sandbox, use, abi, &cfg->limits, err, sizeof err) != 0)
        die(DCC_EXIT_DISTCC_FAILED, "%s", err);
    /* Jobs then only join these: a new network namespace per job would
     * cost milliseconds. Each job makes its own namespaces without them. */
    if (dcc_sandbox_share(&cfg->sandbox, cfg->tmpdir, job_uid, job_gid, err, sizeof err) != 0)
        dcc_warn("sandbox: %s; each job makes its own namespaces", err);
    char mechs[128];
    dcc_sandbox_describe(use, mechs, sizeof mechs);
    /* Under --inetd every connection is a new daemon: not worth a notice each. */
    if (cfg->inetd)
        dcc_info("sandbox %s: jobs run with %s (Landlock ABI %d)", mode_names[cfg->sandbox_mode], mechs, abi);
    else
        dcc_notice("sandbox %s: jobs run with %s (Landlock ABI %d)", mode_names[cfg->sandbox_mode], mechs, abi);
}

/* --auth: the principal lists and the acceptor's keys, read while still
 * root (the job processes that accept run as the job user). */
static void setup_auth(struct dccd_config *cfg)
{
    char err[800];
    if (!cfg->auth) {
        if (cfg->principals_given)
            dcc_warn("--%s %s has no effect without --auth", cfg->principals.deny ? "blacklist" : "whitelist",
                     cfg->principals.path);
        return;
    }
    if (!dcc_auth_available())
        die(DCC_EXIT_GSSAPI_FAILED, "--auth: this distccd was built without GSS-API (rebuild with WITH_GSSAPI=1; "
                                    "Debian libkrb5-dev, Gentoo app-crypt/mit-krb5)");
    if (cfg->principals_given) {
        char path[sizeof cfg->principals.path];
        snprintf(path, sizeof path, "%s", cfg->principals.path);
        if (dcc_auth_list_load(path, cfg->principals.deny, &cfg->principals, err, sizeof err) != 0)
            die(DCC_EXIT_GSSAPI_FAILED, "--%s: %s", cfg->principals.deny ? "blacklist" : "whitelist", err);
    }
    if (dcc_auth_server_init(&cfg->auth_server, getenv("DISTCCD_PRINCIPAL"), err, sizeof err) != 0)
        die(DCC_EXIT_GSSAPI_FAILED, "--auth: %s", err);
    char lists[700] = "";
    if (cfg->principals_given)
        snprintf(lists, sizeof lists, "; %zu principals %s (%s)", cfg->principals.n,
                 cfg->principals.deny ? "refused" : "allowed", cfg->principals.path);
    dcc_notice("--auth: clients must authenticate with GSS-API; accepting as %s with %d keys from %s%s",
               cfg->auth_server.name[0] ? cfg->auth_server.name : "any principal in the keytab",
               cfg->auth_server.keys, cfg->auth_server.keytab_name, lists);
}

static void write_pid_file(const char *path)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp)
        die(DCC_EXIT_IO_ERROR, "pid file name %s is too long", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        die(DCC_EXIT_IO_ERROR, "cannot write pid file %s: %s", path, strerror(errno));
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        die(DCC_EXIT_IO_ERROR, "cannot write pid file %s: %s", path, strerror(errno));
    }
}

static void peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr *sa = (const struct sockaddr *)ss;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof host);
    else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], host, sizeof host);
        else
            inet_ntop(AF_INET6, a, host, sizeof host);
    } else if (sa->sa_family == AF_UNIX)
        snprintf(host, sizeof host, "local");
    snprintf(buf, len, "%s", host);
}

static void reset_child_signals(void)
{
    signal(SIGCHLD, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
}

static int serve_inetd(struct dccd_config *cfg)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char peer[64] = "ssh/stdin";
    if (getpeername(0, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family != AF_UNIX) {
        peer_name(&ss, peer, sizeof peer);
        if (!dcc_acl_allows(&cfg->acl, (struct sockaddr *)&ss, len)) {
            char acl_text[512];
            dcc_acl_describe(&cfg->acl, acl_text, sizeof acl_text);
            dcc_warn("refused job connection from %s: not in the --allow list (%s)", peer, acl_text);
            return DCC_EXIT_ACCESS_DENIED;
        }
    }
    drop_root(cfg);
    struct dcc_job_record rec;
    dccd_serve_job(cfg, 0, 1, peer, &rec);
    return 0;
}

/* A process serving one connection. */
struct child {
    pid_t pid;
    int is_stats;
    int has_slot;          /* holds one of the --jobs slots */
    unsigned long ticket;  /* its place in the queue for a slot; 0 = not waiting */
    char peer[64];
};

/* A connection from an address that has its --max-per-address served
 * already: accepted (so it does not fill the backlog for everyone else) but
 * not read, until one of that address's connections ends. */
struct parked {
    int fd;
    long long since_ms;
    char peer[64];
};

#define MAX_PARKED 64

struct server {
    struct dccd_config *cfg;
    int listen_fd, stats_fd;
    int rec_pipe[2], slot_pipe[2];
    struct child *children;
    size_t max_children;  /* max_conns + MAX_STATS_CHILDREN */
    int max_conns;        /* processes serving job connections */
    int conns, stats_running, slots_used;
    unsigned long next_ticket;
    struct parked parked[MAX_PARKED];
    size_t nparked;
    struct dcc_stats stats;
    char acl_text[512];
};

/* Connections from peer being served: job ones, or with is_stats stats ones. */
static int conns_from(const struct server *s, const char *peer, int is_stats)
{
    int n = 0;
    for (size_t i = 0; i < s->max_children; i++)
        n += s->children[i].pid && s->children[i].is_stats == is_stats && strcmp(s->children[i].peer, peer) == 0;
    return n;
}

/* In a new child: every fd that belongs to the daemon or to other
 * connections goes, so a connection the daemon closes is really closed. */
static void close_daemon_fds(struct server *s)
{
    close(s->listen_fd);
    if (s->stats_fd >= 0)
        close(s->stats_fd);
    close(sigchld_pipe[0]);
    close(sigchld_pipe[1]);
    close(s->rec_pipe[0]);
    close(s->slot_pipe[0]);
    for (size_t i = 0; i < s->nparked; i++)
        close(s->parked[i].fd);
}

/* Forks the process that serves fd, and closes fd here. */
static void start_child(struct server *s, int fd, const char *peer, int is_stats)
{
    size_t slot = 0;
    while (slot < s->max_children && s->children[slot].pid)
        slot++;
    pid_t child = slot < s->max_children ? fork() : -1;
    if (child < 0) {
        dcc_error("cannot start a process for %s: %s", peer, slot < s->max_children ? strerror(errno) : "too many");
        close(fd);
        return;
    }
    if (child == 0) {
        reset_child_signals();
        close_daemon_fds(s);
        if (!is_stats) {
            struct dcc_job_record rec;
            dccd_serve_job(s->cfg, fd, fd, peer, &rec);
            /* Smaller than PIPE_BUF, so the write is atomic. */
            (void)!write(s->rec_pipe[1], &rec, sizeof rec);
        } else {
            close(s->slot_pipe[1]);
            dccd_serve_stats(s->cfg, fd, peer, &s->stats);
        }
        close(fd);
        _exit(0);
    }
    close(fd);
    struct child *c = &s->children[slot];
    memset(c, 0, sizeof *c);
    c->pid = child;
    c->is_stats = is_stats;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    if (is_stats)
        s->stats_running++;
    else
        s->conns++;
}

static void reap_children(struct server *s)
{
    pid_t pid;
    int status;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < s->max_children; i++) {
            struct child *c = &s->children[i];
            if (c->pid != pid)
                continue;
            if (c->is_stats)
                s->stats_running--;
            else
                s->conns--;
            if (c->has_slot)
                s->slots_used--;
            if (!c->is_stats && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                dcc_error("job process %ld ended abnormally (status 0x%x)", (long)pid, (unsigned)status);
            memset(c, 0, sizeof *c);
        }
    }
}

static struct child *find_child(struct server *s, pid_t pid)
{
    for (size_t i = 0; i < s->max_children; i++)
        if (s->children[i].pid == pid && !s->children[i].is_stats)
            return &s->children[i];
    return NULL;
}

/* A job process writes its pid to ask for a slot, minus its pid to give it
 * back; requests queue in the order they came. */
static void read_slot_messages(struct server *s)
{
    pid_t msg[64];
    ssize_t n;
    while ((n = read(s->slot_pipe[0], msg, sizeof msg)) > 0) {
        for (size_t k = 0; k < (size_t)n / sizeof msg[0]; k++) {
            struct child *c = find_child(s, msg[k] > 0 ? msg[k] : -msg[k]);
            if (!c)
                continue; /* already gone */
            if (msg[k] > 0 && !c->has_slot && !c->ticket)
                c->ticket = ++s->next_ticket;
            else if (msg[k] < 0 && c->has_slot) {
                c->has_slot = 0;
                s->slots_used--;
            }
        }
    }
}

static void grant_slots(struct server *s)
{
    while (s->slots_used < s->cfg->jobs) {
        struct child *first = NULL;
        for (size_t i = 0; i < s->max_children; i++) {
            struct child *c = &s->children[i];
            if (c->pid && c->ticket && (!first || c->ticket < first->ticket))
                first = c;
        }
        if (!first)
            return;
        first->ticket = 0;
        if (kill(first->pid, SIGUSR1) != 0)
            continue; /* gone; reaped on the next round */
        first->has_slot = 1;
        s->slots_used++;
    }
}

static long long parked_limit_ms(const struct server *s)
{
    return s->cfg->request_timeout > 0 ? (long long)s->cfg->request_timeout * 1000 : s->cfg->io_timeout_ms;
}

/* Serves parked connections whose address is below its cap again, in the
 * order they came, and drops those that waited too long. */
static void serve_parked(struct server *s)
{
    long long now = dcc_wire_now_ms();
    for (size_t i = 0; i < s->nparked; i++) {
        struct parked p = s->parked[i];
        if (s->conns < s->max_conns && conns_from(s, p.peer, 0) < s->cfg->max_per_address) {
            /* Out of the list first: the child must not close its own fd. */
            s->nparked--;
            memmove(&s->parked[i], &s->parked[i + 1], (s->nparked - i) * sizeof p);
            start_child(s, p.fd, p.peer, 0);
            i--;
            continue;
        }
        if (now - p.since_ms > parked_limit_ms(s)) {
            dcc_warn("dropped connection from %s: waited %lld s behind its address's %d connections (--max-per-address)",
                     p.peer, (now - p.since_ms) / 1000, s->cfg->max_per_address);
            dcc_stats_dropped(&s->stats);
            close(p.fd);
            s->nparked--;
            memmove(&s->parked[i], &s->parked[i + 1], (s->nparked - i) * sizeof p);
            i--;
            continue;
        }
    }
}

static void accept_connection(struct server *s, int is_stats)
{
    struct sockaddr_storage ss;
    socklen_t slen = sizeof ss;
    int fd = accept4(is_stats ? s->stats_fd : s->listen_fd, (struct sockaddr *)&ss, &slen, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    char peer[64];
    peer_name(&ss, peer, sizeof peer);
    if (!dcc_acl_allows(&s->cfg->acl, (struct sockaddr *)&ss, slen)) {
        dcc_warn("refused %s connection from %s: not in the --allow list (%s)", is_stats ? "stats" : "job", peer,
                 s->acl_text);
        close(fd);
        return;
    }
    if (is_stats) {
        /* Closed at once, not parked: a page is cheap to ask for again, and
         * info, not a warning, since a scraper may well retry in a loop. */
        if (conns_from(s, peer, 1) >= MAX_STATS_PER_ADDRESS) {
            dcc_info("refused stats connection from %s: %d of its stats connections are served already", peer,
                     MAX_STATS_PER_ADDRESS);
            close(fd);
            return;
        }
        start_child(s, fd, peer, 1);
        return;
    }
    dcc_stats_accept(&s->stats);
    if (conns_from(s, peer, 0) < s->cfg->max_per_address) {
        start_child(s, fd, peer, 0);
        return;
    }
    if (s->nparked < MAX_PARKED) {
        struct parked *p = &s->parked[s->nparked++];
        p->fd = fd;
        p->since_ms = dcc_wire_now_ms();
        snprintf(p->peer, sizeof p->peer, "%s", peer);
        dcc_info("connection from %s waits: %d of its connections are served already (--max-per-address)", peer,
                 s->cfg->max_per_address);
        return;
    }
    dcc_warn("refused job connection from %s: it has %d connections served and too many waiting (--max-per-address)",
             peer, s->cfg->max_per_address);
    dcc_stats_overload(&s->stats);
    close(fd);
}

static void run_server(struct server *s)
{
    struct dccd_config *cfg = s->cfg;
    dcc_stats_init(&s->stats, time(NULL));
    dcc_stats_set_max_kids(&s->stats, cfg->jobs);
    dcc_stats_sample_io();
    time_t last_io_sample = time(NULL);
    time_t started = time(NULL);

    while (!stop_requested) {
        if (cfg->lifetime > 0 && time(NULL) - started >= cfg->lifetime) {
            dcc_notice("--lifetime of %d s reached; exiting", cfg->lifetime);
            break;
        }
        /* A full table of connections leaves the rest in the backlog. */
        struct pollfd p[5] = {
            {.fd = sigchld_pipe[0], .events = POLLIN},
            {.fd = s->rec_pipe[0], .events = POLLIN},
            {.fd = s->slot_pipe[0], .events = POLLIN},
            {.fd = s->conns < s->max_conns ? s->listen_fd : -1, .events = POLLIN},
            {.fd = s->stats_fd >= 0 && s->stats_running < MAX_STATS_CHILDREN ? s->stats_fd : -1, .events = POLLIN},
        };
        int n = poll(p, 5, 1000);
        if (n < 0 && errno != EINTR)
            die(DCC_EXIT_DISTCC_FAILED, "poll failed: %s", strerror(errno));
        char drain[64];
        while (read(sigchld_pipe[0], drain, sizeof drain) > 0)
            ;
        read_slot_messages(s);
        reap_children(s);
        struct dcc_job_record rec;
        while (read(s->rec_pipe[0], &rec, sizeof rec) == (ssize_t)sizeof rec)
            dcc_stats_record(&s->stats, &rec, time(NULL));
        serve_parked(s);
        grant_slots(s);
        dcc_stats_set_kids(&s->stats, s->slots_used, time(NULL));
        if (cfg->stats && time(NULL) - last_io_sample >= 60) {
            /* Stats pages render in children: they inherit the last sample. */
            dcc_stats_sample_io();
            last_io_sample = time(NULL);
        }
        if (n <= 0)
            continue;
        if (p[3].revents & POLLIN)
            accept_connection(s, 0);
        if (p[4].revents & POLLIN)
            accept_connection(s, 1);
        dcc_stats_set_kids(&s->stats, s->slots_used, time(NULL));
    }
}

/* Stop: jobs in flight are told to end (they kill their compilers). */
static void stop_children(struct server *s)
{
    for (size_t i = 0; i < s->nparked; i++)
        close(s->parked[i].fd);
    s->nparked = 0;
    for (size_t i = 0; i < s->max_children; i++)
        if (s->children[i].pid)
            kill(s->children[i].pid, SIGTERM);
    for (int tries = 0; tries < 50; tries++) {
        int left = 0;
        for (size_t i = 0; i < s->max_children; i++) {
            if (s->children[i].pid && waitpid(s->children[i].pid, NULL, WNOHANG) == s->children[i].pid)
                s->children[i].pid = 0;
            left += s->children[i].pid != 0;
        }
        if (!left)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int main(int argc, char **argv)
{
    static struct dccd_config cfg;
    cfg.log_level = DCC_LOG_NOTICE;
    cfg.max_body = DCC_WIRE_DEFAULT_MAX_BODY;
    cfg.slot_fd = -1; /* --inetd: no daemon hands out slots */
    dcc_log_set_program("distccd");
    dcc_log_to_stderr();
    parse_options(argc, (const char **)argv, &cfg);

    const char *io = getenv("DISTCC_IO_TIMEOUT");
    long io_s = 300;
    if (io && parse_int(io, 1, 86400, &io_s) != 0)
        die(DCC_EXIT_BAD_ARGUMENTS, "DISTCC_IO_TIMEOUT \"%s\" is not a number of seconds from 1 to 86400", io);
    cfg.io_timeout_ms = (int)io_s * 1000;
    cfg.tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    cfg.compiler_path = getenv("DISTCCD_PATH") ? getenv("DISTCCD_PATH") : getenv("PATH");
    if (gethostname(cfg.hostname, sizeof cfg.hostname - 1) != 0)
        snprintf(cfg.hostname, sizeof cfg.hostname, "this helper");

    if (!cfg.inetd && !cfg.daemon_mode) {
        struct stat st;
        cfg.inetd = fstat(0, &st) == 0 && S_ISSOCK(st.st_mode);
    }
    /* Under --inetd stderr may be the socket itself: without --log-file or
     * --log-stderr, setup_logging picks syslog. */
    setup_logging(&cfg);
    choose_whitelist(&cfg);
    if (!cfg.acl_given) {
        dcc_acl_add_loopback(&cfg.acl);
        dcc_notice("no --allow given: accepting clients from loopback only (127.0.0.0/8, ::1)");
    }
    setup_sandbox(&cfg);
    setup_auth(&cfg);
    if (cfg.zeroconf && cfg.inetd)
        dcc_warn("--zeroconf: not with --inetd (no daemon stays to answer); not announcing");
    signal(SIGPIPE, SIG_IGN);

    if (cfg.inetd)
        return serve_inetd(&cfg);

    cfg.handshake_ms = cfg.io_timeout_ms < HANDSHAKE_MS ? cfg.io_timeout_ms : HANDSHAKE_MS;
    int listen_fd = bind_listener(cfg.listen_addr, cfg.port, "jobs");
    int stats_fd = cfg.stats ? bind_listener(cfg.listen_addr, cfg.stats_port, "--stats") : -1;
    errno = 0;
    if (nice(cfg.nice) == -1 && errno)
        dcc_warn("cannot set niceness %d: %s", cfg.nice, strerror(errno));

    if (!cfg.no_detach) {
        pid_t pid = fork();
        if (pid < 0)
            die(DCC_EXIT_DISTCC_FAILED, "cannot fork: %s", strerror(errno));
        if (pid > 0)
            _exit(0);
        setsid();
        detached = 1;
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            if (!cfg.log_stderr)
                dup2(null, 2);
            if (null > 2)
                close(null);
        }
    }
    if (cfg.pid_file)
        write_pid_file(cfg.pid_file);
    drop_root(&cfg);

    static struct server srv;
    srv.cfg = &cfg;
    srv.listen_fd = listen_fd;
    srv.stats_fd = stats_fd;
    dcc_acl_describe(&cfg.acl, srv.acl_text, sizeof srv.acl_text);
    dcc_notice("distccd %s listening on %s port %d, %d jobs, allowing %s%s", DCC_VERSION,
               cfg.listen_addr ? cfg.listen_addr : "all addresses", cfg.port, cfg.jobs, srv.acl_text,
               cfg.stats ? ", stats enabled" : "");

    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(srv.rec_pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
        pipe2(srv.slot_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        die(DCC_EXIT_DISTCC_FAILED, "cannot create pipes: %s", strerror(errno));
    /* Job processes write whole pids, which a blocking write keeps whole. */
    fcntl(srv.slot_pipe[1], F_SETFL, fcntl(srv.slot_pipe[1], F_GETFL) & ~O_NONBLOCK);
    cfg.slot_fd = srv.slot_pipe[1];
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    /* SIGUSR1 grants a job process its slot; blocked from the fork on, so
     * one can only arrive where the job process waits for it. */
    sigset_t grant;
    sigemptyset(&grant);
    sigaddset(&grant, SIGUSR1);
    sigprocmask(SIG_BLOCK, &grant, NULL);

    /* Connections are served (read, queued for a slot, answered) by more
     * processes than there are slots: only a job whose source is coming
     * takes a slot, so idle and slow clients cannot hold them. */
    srv.max_conns = cfg.jobs * 4 + 8;
    srv.max_children = (size_t)srv.max_conns + MAX_STATS_CHILDREN;
    srv.children = calloc(srv.max_children, sizeof *srv.children);
    if (!srv.children)
        die(DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    struct dcc_zc_publisher *zc = cfg.zeroconf ? dccd_zeroconf_start(&cfg) : NULL;
    run_server(&srv);
    dccd_zeroconf_stop(zc); /* first, so no new client comes */
    stop_children(&srv);
    if (cfg.pid_file)
        unlink(cfg.pid_file);
    dcc_notice("distccd exiting");
    poptFreeContext(opt_ctx);
    dcc_sandbox_free(&cfg.sandbox);
    dcc_auth_server_free(&cfg.auth_server);
    dcc_auth_list_free(&cfg.principals);
    free(srv.children);
    dcc_acl_free(&cfg.acl);
    return 0;
}
