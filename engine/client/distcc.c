/* distcc: the client. Decides where a compile runs, runs it, and falls back
 * to a local build when helpers cannot do it. */
#include "client.h"
#include "slots.h"

#include "proto/dcc_auth.h"
#include "proto/dcc_args.h"
#include "proto/dcc_settings.h"
#include "client/dcc_cleanup.h"
#include "client/dcc_exec.h"
#if DCC_WITH_JSON
#include "client/dcc_fit.h"
#endif
#include "client/dcc_hostcaps.h"
#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "base/dcc_log.h"
#include "client/dcc_remote.h"
#include "proto/dcc_toolchain.h"
#include "client/dcc_paths.h"
#include "base/dcc_util.h"
#include "proto/dcc_version.h"
#include "proto/dcc_whitelist.h"
#include "proto/dcc_zeroconf.h"

#include <errno.h>
#include <limits.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef DCC_GNU_HOST
#define DCC_GNU_HOST "x86_64-linux-gnu"
#endif

static void setup_logging(struct client *cl)
{
    dcc_log_set_program("distcc");
    const char *log = cl->set.str[DCC_SET_LOG];
    cl->verbose = (int)cl->set.num[DCC_SET_VERBOSE];
    if (log && *log) {
        char err[512];
        if (dcc_log_to_file(log, err, sizeof err) == 0) {
            dcc_log_set_level(cl->verbose ? DCC_LOG_DEBUG : DCC_LOG_INFO);
            cl->logging_to_file = 1;
            return;
        }
        /* Stock client's words: "failed to open logfile". */
        fprintf(stderr, "distcc[%ld] warning: failed to open logfile %s: %s; logging to stderr\n",
                (long)getpid(), log, strerror(errno));
    }
    dcc_log_to_stderr();
    dcc_log_set_level(cl->verbose ? DCC_LOG_DEBUG : DCC_LOG_WARNING);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: distcc [COMPILER] [compile options] -o OBJECT -c SOURCE\n"
        "       distcc [--help | --version | --show-hosts | --show-helpers | --show-principal | -j]\n"
        "       distcc --scan-includes COMPILER [compile options] -c SOURCE\n"
        "   or: a link named after the compiler in the masquerade directory\n"
        "\n"
        "Options:\n"
        "  --help        show this help\n"
        "  --version     show the version, protocols and default port\n"
        "  --show-hosts  print the host list in effect, one host per line\n"
        "  --show-helpers\n"
        "                print what each helper is: ours (with its version and the features\n"
        "                it offers) or stock distcc, as learned and kept under $DISTCC_DIR/helpers\n"
        "  --show-principal\n"
        "                print the helpers' GSS-API service ($DISTCC_PRINCIPAL) for ,auth hosts\n"
        "  -j            print the total number of slots (for make -j)\n"
        "  --scan-includes COMPILER ARGS...\n"
        "                print the files pump mode would send for this compile\n"
        "                (FILE, DIRECTORY and SYSTEMDIR lines) and compile nothing\n"
        "\n"
        "Hosts come from $DISTCC_HOSTS, $DISTCC_DIR/hosts (default ~/.distcc/hosts)\n"
        "or %s/distcc/hosts, e.g. \"box1/8,lzo box2:3632/4 @box3 localhost/2\";\n"
        "+zeroconf there adds the helpers announced on the network%s.\n"
        "\",lzo\" compresses with LZO; \",zstd\" (or \",zstd=LEVEL\", 1-19) with zstd where the\n"
        "helper is ours and offers it, else LZO; \",cpp,lzo\" or \",cpp,zstd\": pump mode.\n"
        "\",auth\" (or \",auth=NAME\") after a host: GSS-API (Kerberos) mutual authentication\n"
        "with its distccd --auth, as host/HOST, or SERVICE@HOST with DISTCC_PRINCIPAL=SERVICE%s.\n"
        "\n"
        "Environment:\n",
        DCC_SYSCONFDIR, dcc_zc_available() ? "" : " (not in this build: no Avahi)",
        dcc_auth_available() ? "" : " (not in this build)");
    dcc_settings_help(out, DCC_READ_CLIENT);
    fprintf(out, "\n"
                 "Exit codes: the compiler's own status, or distcc's: 100 failed, 101 bad\n"
                 "arguments, 103 connect failed, 106 bad host list, 107 I/O error, 108\n"
                 "truncated, 109 protocol error, 110 compiler missing, 111 recursion, 113\n"
                 "refused, 116 no hosts (with DISTCC_FALLBACK=0), 118 timeout, 119 GSS-API\n"
                 "authentication failed.\n");
}

static int show_hosts(struct client *cl)
{
    int rc = dcc_slots_load_hosts(cl, 0);
    if (rc)
        return rc;
    for (size_t i = 0; i < cl->hosts.n; i++) {
        char buf[600];
        if (dcc_hosts_format(&cl->hosts.hosts[i], buf, sizeof buf) == 0)
            printf("%s\n", buf);
    }
    return 0;
}

/* Each helper of the host list: what it is, as the client learns it before
 * using a feature of ours with it (dcc_hostcaps). */
static int show_helpers(struct client *cl)
{
    int rc = dcc_slots_load_hosts(cl, 0);
    if (rc)
        return rc;
    struct dcc_hostcaps_opts o = dcc_client_hostcaps_opts(cl);
    int worst = 0;
    for (size_t i = 0; i < cl->hosts.n; i++) {
        const struct dcc_host *h = &cl->hosts.hosts[i];
        char spec[600], err[700], feats[128];
        if (dcc_hosts_format(h, spec, sizeof spec) != 0)
            snprintf(spec, sizeof spec, "%s", h->spec);
        if (h->mode == DCC_HOST_LOCAL) {
            printf("%s: this machine\n", spec);
            continue;
        }
        struct dcc_hostcaps c;
        rc = dcc_hostcaps_get(h, &o, &c, err, sizeof err);
        if (rc) {
            printf("%s: not reachable: %s\n", spec, err);
            worst = rc;
            continue;
        }
        long age = (long)(time(NULL) - c.learned);
        dcc_caps_feature_list(c.caps.features, feats, sizeof feats);
        if (c.ours)
            printf("%s: %s; %d slots; features: %s (learned %ld s ago)\n", spec, c.caps.server,
                   c.caps.jobs, feats[0] ? feats : "none", age);
        else
            printf("%s: stock distcc or another distccd (no CAPS answer; learned %ld s ago)\n",
                   spec, age);
        dcc_hostcaps_free(&c);
    }
    return worst;
}

static int handle_own_option(struct client *cl, int argc, const char **argv)
{
    int help = 0, version = 0, show = 0, jobs = 0, principal = 0, helpers = 0;
    struct poptOption table[] = {
        {"help", 0, POPT_ARG_NONE, &help, 0, NULL, NULL},
        {"version", 0, POPT_ARG_NONE, &version, 0, NULL, NULL},
        {"show-hosts", 0, POPT_ARG_NONE, &show, 0, NULL, NULL},
        {"show-principal", 0, POPT_ARG_NONE, &principal, 0, NULL, NULL},
        {"show-helpers", 0, POPT_ARG_NONE, &helpers, 0, NULL, NULL},
        {NULL, 'j', POPT_ARG_NONE, &jobs, 0, NULL, NULL},
        POPT_TABLEEND,
    };
    poptContext ctx = poptGetContext("distcc", argc, argv, table, 0);
    int rc = poptGetNextOpt(ctx);
    if (rc < -1 || poptPeekArg(ctx)) {
        fprintf(stderr, "distcc: %s: %s (see distcc --help)\n",
                rc < -1 ? poptBadOption(ctx, POPT_BADOPTION_NOALIAS) : poptPeekArg(ctx),
                rc < -1 ? poptStrerror(rc) : "unexpected argument");
        poptFreeContext(ctx);
        return DCC_EXIT_BAD_ARGUMENTS;
    }
    poptFreeContext(ctx);
    if (help) {
        usage(stdout);
        return 0;
    }
    if (version) {
        char text[2048];
        dcc_version_text("distcc", text, sizeof text);
        fputs(text, stdout);
        return 0;
    }
    if (show)
        return show_hosts(cl);
    if (helpers)
        return show_helpers(cl);
    if (principal) {
        /* Stock's exact lines. */
        const char *p = cl->set.str[DCC_SET_PRINCIPAL];
        if (p)
            printf("Principal is\t: %s\n", p);
        else
            printf("Principal\t: Not Set.\n");
        return 0;
    }
    rc = dcc_slots_load_hosts(cl, 0);
    if (rc)
        return rc;
    printf("%d\n", dcc_hosts_total_slots(&cl->hosts));
    return 0;
}

/* Stock 3.4's rewrite, so a helper with several compilers runs the one for
 * this machine: cc and c++ become what they are here (gcc, g++, clang,
 * clang++); gcc and g++ (with any -VERSION) become $CHOST-gcc / $CHOST-g++
 * when that exists on PATH; clang gets "-target $CHOST". */
static int rewrite_cross(const struct client *cl, char ***argvp)
{
    if (cl->set.num[DCC_SET_NO_REWRITE_CROSS])
        return 0;
    char **argv = *argvp;
    if (strchr(argv[0], '/') || strlen(argv[0]) >= 128)
        return 0;
    /* A copy: argv[0] is replaced below. */
    char name[128];
    snprintf(name, sizeof name, "%s", argv[0]);
    int generic = strcmp(name, "cc") == 0 || strcmp(name, "c++") == 0;
    int clang = 0;
    const char *family = NULL, *suffix = "";
    if (generic) {
        char found[PATH_MAX], err[256], real[PATH_MAX];
        if (dcc_whitelist_find_compiler(name, getenv("PATH"), NULL, found, sizeof found, err,
                                        sizeof err) != 0 ||
            !realpath(found, real))
            return 0;
        const char *base = base_name(real);
        int cxx = name[1] == '+';
        clang = strstr(base, "clang") != NULL;
        if (clang)
            family = cxx ? "clang++" : "clang";
        else if (strstr(base, cxx ? "g++" : "gcc"))
            family = cxx ? "g++" : "gcc";
        else
            return 0; /* a wrapper or another compiler: sent as it is */
    } else if (dcc_str_startswith(name, "clang")) {
        const char *rest = name + (dcc_str_startswith(name, "clang++") ? 7 : 5);
        if (*rest && *rest != '-')
            return 0; /* clang-format, clangd ... */
        clang = 1;
    } else if (dcc_str_startswith(name, "gcc") || dcc_str_startswith(name, "g++")) {
        family = name[1] == '+' ? "g++" : "gcc";
        suffix = name + 3;
        if (*suffix && *suffix != '-')
            return 0; /* gccgo, gcc-ar... */
    } else {
        return 0;
    }
    if (clang) {
        for (size_t i = 1; argv[i]; i++)
            if (strcmp(argv[i], "-target") == 0 || dcc_str_startswith(argv[i], "--target="))
                return generic ? dcc_argv_set(argv, 0, family) : 0;
        const char *target[] = {"-target", DCC_GNU_HOST};
        if ((generic && dcc_argv_set(argv, 0, family) != 0) ||
            dcc_argv_insert(argvp, 1, target, 2) != 0)
            return -1;
        dcc_debug("added -target %s for %s", DCC_GNU_HOST, name);
        return 0;
    }
    char cross[512], found[PATH_MAX], err[256];
    snprintf(cross, sizeof cross, "%s-%s%s", DCC_GNU_HOST, family, suffix);
    const char *to = dcc_whitelist_find_compiler(cross, getenv("PATH"), NULL, found, sizeof found,
                                                 err, sizeof err) == 0
                         ? cross
                     : generic ? family
                               : NULL;
    if (!to)
        return 0;
    dcc_debug("rewrote %s to %s", name, to);
    return dcc_argv_set(argv, 0, to);
}

/* Ctrl-C, a kill from make or a closed terminal: remove our temporary
 * files and state file, stop the compiler or cpp we run, then die of the
 * same signal so the caller sees what happened. */
static void on_fatal_signal(int sig)
{
    dcc_cleanup_run(sig);
    dcc_state_remove();
    raise(sig); /* SA_RESETHAND: the default action, once this returns */
}

static void catch_fatal_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa = {.sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND};
        sigemptyset(&sa.sa_mask);
        /* A signal ignored by whoever started us (nohup, "cmd &") stays so. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

int main(int argc, char **argv)
{
    static struct client cl;
    char set_err[300];
    int set_rc = dcc_settings_load(&cl.set, set_err, sizeof set_err);
    setup_logging(&cl);
    signal(SIGPIPE, SIG_IGN);
    catch_fatal_signals();

    const char *self = base_name(argv[0]);
    char **job = NULL;
    int scan_only = 0;
    if (!strstr(self, "distcc")) {
        /* Masquerade: we are "gcc" in /usr/lib/distcc; find the real one
         * further along PATH, never ourselves. */
        if (getenv("_DISTCC_SAFEGUARD")) {
            dcc_error(
                "distcc seems to have invoked itself recursively (as %s); check PATH and the masquerade directory",
                self);
            return DCC_EXIT_RECURSION;
        }
        /* PATH loses our directory and what came before it (as in stock
         * distcc): the compiler we find and what it starts cannot come back
         * to us, and a wrapper before us (ccache) does not run twice. */
        const char *path = getenv("PATH");
        static char trimmed[65536];
        if (path && dcc_paths_without_distcc(self, path, trimmed, sizeof trimmed) == 0) {
            if (!trimmed[0] && path[0]) {
                dcc_error("compiler %s is not found on PATH (apart from distcc itself)", self);
                return DCC_EXIT_COMPILER_MISSING;
            }
            setenv("PATH", trimmed, 1);
        }
        char real[PATH_MAX], err[512];
        if (dcc_whitelist_find_compiler(self, getenv("PATH"), NULL, real, sizeof real, err,
                                        sizeof err) != 0) {
            dcc_error("%s", err);
            return DCC_EXIT_COMPILER_MISSING;
        }
        job = dcc_argv_dup(argv);
        if (job)
            dcc_argv_set(job, 0, self);
    } else if (argc < 2) {
        usage(stderr);
        return DCC_EXIT_BAD_ARGUMENTS;
    } else if (strcmp(argv[1], "--scan-includes") == 0) {
        if (argc < 3) {
            dcc_error(
                "--scan-includes needs a compile command, e.g. distcc --scan-includes gcc -c x.c");
            return DCC_EXIT_BAD_ARGUMENTS;
        }
        job = dcc_argv_dup(argv + 2);
        scan_only = 1;
    } else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "--version") == 0 ||
               strcmp(argv[1], "--show-hosts") == 0 || strcmp(argv[1], "--show-principal") == 0 ||
               strcmp(argv[1], "--show-helpers") == 0 || strcmp(argv[1], "-j") == 0) {
        return handle_own_option(&cl, argc, (const char **)argv);
    } else if (argv[1][0] == '-' || dcc_args_is_source(argv[1]) || dcc_args_is_object(argv[1])) {
        /* Implicit: "distcc -c x.c", "distcc x.c -c" and "distcc x.o -o x"
         * mean cc, as in stock distcc. */
        job = dcc_argv_dup(argv);
        if (job)
            dcc_argv_set(job, 0, "cc");
    } else {
        job = dcc_argv_dup(argv + 1);
    }
    if (!job) {
        dcc_error("out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    /* Compilers we start must not come back into distcc by masquerade. */
    setenv("_DISTCC_SAFEGUARD", "1", 1);

    cl.fallback = (int)cl.set.num[DCC_SET_FALLBACK];
    cl.skip_local_retry = (int)cl.set.num[DCC_SET_SKIP_LOCAL_RETRY];
    cl.save_temps = (int)cl.set.num[DCC_SET_SAVE_TEMPS];
    cl.tcp_cork = (int)cl.set.num[DCC_SET_TCP_CORK];
    if (set_rc != 0) {
        dcc_error("%s", set_err);
        return DCC_EXIT_BAD_ARGUMENTS;
    }
    if (cl.set.warning[0])
        dcc_warn("%s", cl.set.warning);
    cl.io_timeout_ms = (int)cl.set.num[DCC_SET_IO_TIMEOUT] * 1000;
    cl.tmpdir = dcc_settings_str(&cl.set, DCC_SET_TMPDIR);
    /* Stock starts a verbose log with its version too. */
    if (cl.verbose) {
        char *line = dcc_argv_join(job);
        dcc_debug("distcc %s %s: %s", DCC_VERSION, DCC_GNU_HOST, line ? line : job[0]);
        free(line);
    }
    cl.local_argv = dcc_argv_dup(job);
    if (!cl.local_argv || rewrite_cross(&cl, &job) != 0) {
        dcc_error("out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    /* Under pump: the build's directory, named by the socket stock distcc's
     * include server listens on (we need no server: the scan is ours). */
    static char pump_dir[PATH_MAX];
    const char *port = cl.set.str[DCC_SET_INCLUDE_SERVER_PORT];
    if (port && *port && strlen(port) < sizeof pump_dir) {
        snprintf(pump_dir, sizeof pump_dir, "%s", port);
        char *slash = strrchr(pump_dir, '/');
        if (slash && slash != pump_dir) {
            *slash = '\0';
            cl.pump_dir = pump_dir;
        }
    }
    cl.max_discrepancy = (int)cl.set.num[DCC_SET_MAX_DISCREPANCY];
#if DCC_WITH_JSON
    enum dcc_fit_policy fit;
    if (dcc_fit_parse_policy(cl.set.str[DCC_SET_TOOLCHAIN_MATCH], &fit) != 0) {
        dcc_warn("DISTCC_TOOLCHAIN_MATCH=%s is not exact, minor or off: using exact",
                 cl.set.str[DCC_SET_TOOLCHAIN_MATCH]);
        fit = DCC_FIT_EXACT;
    }
    cl.fit_policy = (int)fit;
#endif
    if (dcc_client_parse_load(cl.set.str[DCC_SET_HELPER_LOAD], &cl.load_aware) != 0) {
        dcc_warn("DISTCC_HELPER_LOAD=%s is not on or off: using on",
                 cl.set.str[DCC_SET_HELPER_LOAD]);
        cl.load_aware = 1;
    }
    int rc = scan_only ? dcc_client_scan_includes(&cl, &job) : dcc_client_build(&cl, &job);
    dcc_argv_free(job);
    dcc_argv_free(cl.local_argv);
    dcc_hosts_free(&cl.hosts);
    return rc;
}
