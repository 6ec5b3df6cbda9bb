/* distccd: options, listening sockets, privileges and the accept loop. */
#include "daemon.h"

#include "dcc_acl.h"
#include "dcc_exit.h"
#include "dcc_hosts.h"
#include "dcc_log.h"
#include "dcc_stats.h"
#include "dcc_util.h"
#include "dcc_version.h"
#include "dcc_whitelist.h"
#include "dcc_wire.h"

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

#define MAX_STATS_CHILDREN 4

enum opt_id {
    OPT_ALLOW = 1, OPT_ALLOW_PRIVATE, OPT_HELP, OPT_VERSION, OPT_WIZARD, OPT_VERBOSE, OPT_LOG_LEVEL,
    OPT_MAX_BODY, OPT_SANDBOX,
};

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

static void usage(poptContext ctx)
{
    char dirs[1024];
    dcc_version_whitelist_dirs(dirs, sizeof dirs);
    poptPrintHelp(ctx, stdout, 0);
    printf("\nWith no --allow, only loopback clients (127.0.0.0/8, ::1) are accepted.\n"
           "Compilers run only when named in the whitelist directory (--whitelist-dir),\n"
           "by default %s.\n"
           "The daemon exits 110 when that directory is missing or empty.\n"
           "Each job runs in a sandbox (--sandbox): user, mount, pid and network namespaces,\n"
           "Landlock and seccomp; it executes only its toolchain, writes only its job\n"
           "directory, and nothing it starts outlives it. --job-memory, --job-cpu and\n"
           "--job-file-size apply with --sandbox=off too.\n"
           "Exit codes: 100 --sandbox=required without every mechanism, 101 bad option,\n"
           "102 cannot bind, 107 cannot open the log file, 110 no whitelist, 112 cannot drop root.\n",
           dirs);
}

static void parse_options(int argc, const char **argv, struct dccd_config *cfg)
{
    /* popt hands out malloc'd strings; static keeps them reachable until exit. */
    static char *allow, *log_level, *max_body, *sandbox, *job_memory, *job_file_size;
    long port = DCC_DEFAULT_PORT, jobs = 0, nice_val = 5, job_lifetime = DCCD_DEFAULT_JOB_LIFETIME, lifetime = 0,
         job_cpu = DCCD_DEFAULT_JOB_CPU, job_processes = DCCD_DEFAULT_JOB_PROCESSES,
         stats_port = DCC_DEFAULT_STATS_PORT;
    int wizard = 0, verbose = 0, no_early = 0;
    static char *port_s, *jobs_s, *nice_s, *jl_s, *lt_s, *sp_s, *jc_s, *jp_s;
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
        {"stats", 0, POPT_ARG_NONE, &cfg->stats, 0, "serve statistics over HTTP", NULL},
        {"stats-port", 0, POPT_ARG_STRING, &sp_s, 0, "port for --stats (default 3633)", "PORT"},
        {"zeroconf", 0, POPT_ARG_NONE, &cfg->zeroconf, 0, "announce this helper with Avahi (not in this build)", NULL},
        {"enable-tcp-insecure", 0, POPT_ARG_NONE, &cfg->tcp_insecure, 0, "run any compiler name, not only whitelisted ones", NULL},
        {"make-me-a-botnet", 0, POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &cfg->tcp_insecure, 0, NULL, NULL},
        {"whitelist-dir", 0, POPT_ARG_STRING, &cfg->whitelist_dir, 0, "compiler whitelist directory", "DIR"},
        {"max-body-size", 0, POPT_ARG_STRING, &max_body, OPT_MAX_BODY, "largest file a client may send, with K/M/G (default 1G)", "BYTES"},
        {"no-early-start", 0, POPT_ARG_NONE, &no_early, 0, "start the compiler only once the whole source is here (as distcc 3.4 does)", NULL},
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
    static const char *const mode_names[] = {"auto", "required", "off"};
    if (cfg->sandbox_mode != DCC_SANDBOX_OFF) {
        uid_t uid = (uid_t)-1;
        gid_t gid = (gid_t)-1;
        const char *name;
        struct passwd *pw = getuid() == 0 || geteuid() == 0 ? job_user(cfg, &name) : NULL;
        if (pw) {
            uid = pw->pw_uid;
            gid = pw->pw_gid;
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
    char mechs[128];
    dcc_sandbox_describe(use, mechs, sizeof mechs);
    /* Under --inetd every connection is a new daemon: not worth a notice each. */
    if (cfg->inetd)
        dcc_info("sandbox %s: jobs run with %s (Landlock ABI %d)", mode_names[cfg->sandbox_mode], mechs, abi);
    else
        dcc_notice("sandbox %s: jobs run with %s (Landlock ABI %d)", mode_names[cfg->sandbox_mode], mechs, abi);
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

struct child {
    pid_t pid;
    int is_stats;
};

int main(int argc, char **argv)
{
    static struct dccd_config cfg;
    cfg.log_level = DCC_LOG_NOTICE;
    cfg.max_body = DCC_WIRE_DEFAULT_MAX_BODY;
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
    if (cfg.zeroconf)
        dcc_warn("--zeroconf: this distccd was built without Avahi support; not announcing");
    signal(SIGPIPE, SIG_IGN);

    if (cfg.inetd)
        return serve_inetd(&cfg);

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

    char acl_text[512];
    dcc_acl_describe(&cfg.acl, acl_text, sizeof acl_text);
    dcc_notice("distccd %s listening on %s port %d, %d jobs, allowing %s%s", DCC_VERSION,
               cfg.listen_addr ? cfg.listen_addr : "all addresses", cfg.port, cfg.jobs, acl_text,
               cfg.stats ? ", stats enabled" : "");

    int rec_pipe[2];
    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(rec_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        die(DCC_EXIT_DISTCC_FAILED, "cannot create pipes: %s", strerror(errno));
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);

    static struct dcc_stats stats;
    dcc_stats_init(&stats, time(NULL));
    dcc_stats_set_max_kids(&stats, cfg.jobs);
    dcc_stats_sample_io();
    time_t last_io_sample = time(NULL);
    size_t max_children = (size_t)cfg.jobs + MAX_STATS_CHILDREN;
    struct child *children = calloc(max_children, sizeof *children);
    if (!children)
        die(DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    int running_jobs = 0, running_stats = 0;
    time_t started = time(NULL);

    while (!stop_requested) {
        if (cfg.lifetime > 0 && time(NULL) - started >= cfg.lifetime) {
            dcc_notice("--lifetime of %d s reached; exiting", cfg.lifetime);
            break;
        }
        struct pollfd p[4] = {
            {.fd = sigchld_pipe[0], .events = POLLIN},
            {.fd = rec_pipe[0], .events = POLLIN},
            {.fd = running_jobs < cfg.jobs ? listen_fd : -1, .events = POLLIN},
            {.fd = stats_fd >= 0 && running_stats < MAX_STATS_CHILDREN ? stats_fd : -1, .events = POLLIN},
        };
        int n = poll(p, 4, 1000);
        if (n < 0 && errno != EINTR)
            die(DCC_EXIT_DISTCC_FAILED, "poll failed: %s", strerror(errno));
        char drain[64];
        while (read(sigchld_pipe[0], drain, sizeof drain) > 0)
            ;
        pid_t pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (size_t i = 0; i < max_children; i++) {
                if (children[i].pid != pid)
                    continue;
                if (children[i].is_stats)
                    running_stats--;
                else
                    running_jobs--;
                children[i].pid = 0;
                if (!children[i].is_stats && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                    dcc_error("job process %ld ended abnormally (status 0x%x)", (long)pid, (unsigned)status);
            }
        }
        struct dcc_job_record rec;
        while (read(rec_pipe[0], &rec, sizeof rec) == (ssize_t)sizeof rec)
            dcc_stats_record(&stats, &rec, time(NULL));
        dcc_stats_set_kids(&stats, running_jobs, time(NULL));
        if (cfg.stats && time(NULL) - last_io_sample >= 60) {
            /* Stats pages render in children: they inherit the last sample. */
            dcc_stats_sample_io();
            last_io_sample = time(NULL);
        }
        if (n <= 0)
            continue;

        for (int which = 2; which <= 3; which++) {
            if (!(p[which].revents & POLLIN))
                continue;
            struct sockaddr_storage ss;
            socklen_t slen = sizeof ss;
            int fd = accept4(p[which].fd, (struct sockaddr *)&ss, &slen, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            char peer[64];
            peer_name(&ss, peer, sizeof peer);
            if (!dcc_acl_allows(&cfg.acl, (struct sockaddr *)&ss, slen)) {
                dcc_warn("refused %s connection from %s: not in the --allow list (%s)",
                         which == 2 ? "job" : "stats", peer, acl_text);
                close(fd);
                continue;
            }
            if (which == 2)
                dcc_stats_accept(&stats);
            size_t slot = 0;
            while (slot < max_children && children[slot].pid)
                slot++;
            pid_t child = slot < max_children ? fork() : -1;
            if (child < 0) {
                dcc_error("cannot start a process for %s: %s", peer, slot < max_children ? strerror(errno) : "too many");
                close(fd);
                continue;
            }
            if (child == 0) {
                reset_child_signals();
                close(listen_fd);
                if (stats_fd >= 0)
                    close(stats_fd);
                close(sigchld_pipe[0]);
                close(sigchld_pipe[1]);
                close(rec_pipe[0]);
                if (which == 2) {
                    dccd_serve_job(&cfg, fd, fd, peer, &rec);
                    /* Smaller than PIPE_BUF, so the write is atomic. */
                    (void)!write(rec_pipe[1], &rec, sizeof rec);
                } else {
                    dccd_serve_stats(&cfg, fd, peer, &stats);
                }
                close(fd);
                _exit(0);
            }
            close(fd);
            children[slot].pid = child;
            children[slot].is_stats = which == 3;
            if (which == 2)
                running_jobs++;
            else
                running_stats++;
            dcc_stats_set_kids(&stats, running_jobs, time(NULL));
        }
    }

    /* Stop: jobs in flight are told to end (they kill their compilers). */
    for (size_t i = 0; i < max_children; i++)
        if (children[i].pid)
            kill(children[i].pid, SIGTERM);
    for (int tries = 0; tries < 50; tries++) {
        int left = 0;
        for (size_t i = 0; i < max_children; i++) {
            if (children[i].pid && waitpid(children[i].pid, NULL, WNOHANG) == children[i].pid)
                children[i].pid = 0;
            left += children[i].pid != 0;
        }
        if (!left)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (cfg.pid_file)
        unlink(cfg.pid_file);
    dcc_notice("distccd exiting");
    poptFreeContext(opt_ctx);
    dcc_sandbox_free(&cfg.sandbox);
    free(children);
    dcc_acl_free(&cfg.acl);
    return 0;
}
