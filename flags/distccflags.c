/* distccflags: the command line around dcc_march (options, output, exit codes). */
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "proto/dcc_march.h"
#include "base/dcc_util.h"

#ifndef DCC_VERSION
#define DCC_VERSION "unknown"
#endif

/* Documented in man/distccflags.1; 101 is distcc's "bad arguments". */
enum {
    EXIT_FLAGS_OK = 0,
    EXIT_CHECK_FAILED = 1,
    EXIT_COMPILER_PROBLEM = 2,
    EXIT_INTERNAL = DCC_EXIT_DISTCC_FAILED,
    EXIT_BAD_ARGS = DCC_EXIT_BAD_ARGUMENTS,
};

enum { OPT_HELP = 1, OPT_USAGE, OPT_VERSION };

static struct {
    char *cc;
    int make_conf;
    int vertical;
    int drop_cache_params;
    int check;
    int timeout;
} opt = {.timeout = DCC_MARCH_DEFAULT_TIMEOUT_MS / 1000};

static struct poptOption options[] = {
    {"cc", '\0', POPT_ARG_STRING, &opt.cc, 0,
     "compiler to ask (default: $CC, else gcc); may hold words such as \"ccache gcc\"", "CC"},
    {"make-conf", '\0', POPT_ARG_NONE, &opt.make_conf, 0,
     "print COMMON_FLAGS=\"...\" and the CFLAGS, CXXFLAGS, FCFLAGS, FFLAGS lines of make.conf",
     NULL},
    {"vertical", '\0', POPT_ARG_NONE, &opt.vertical, 0, "print one flag per line", NULL},
    {"drop-cache-params", '\0', POPT_ARG_NONE, &opt.drop_cache_params, 0,
     "leave out the cache --param=... flags", NULL},
    {"check", '\0', POPT_ARG_NONE, &opt.check, 0,
     "prove the expansion with gcc -Q --help=target and --help=params; exit 1 if it differs", NULL},
    {"timeout", '\0', POPT_ARG_INT, &opt.timeout, 0,
     "seconds each compiler run may take (default 60)", "SECONDS"},
    {"version", '\0', POPT_ARG_NONE, NULL, OPT_VERSION, "print the version and exit", NULL},
    {"help", '?', POPT_ARG_NONE, NULL, OPT_HELP, "show this help and exit", NULL},
    {"usage", '\0', POPT_ARG_NONE, NULL, OPT_USAGE, "show a short usage message and exit", NULL},
    POPT_TABLEEND,
};

static const char help_tail[] =
    "\n"
    "Every other argument is passed through in place, with -march=native and\n"
    "-mtune=native expanded; no arguments means -march=native.\n"
    "  distccflags -O2 -pipe -march=native\n"
    "\n"
    "Exit status: 0 done, 1 --check found a difference, 2 the compiler is\n"
    "missing, failed, timed out or printed something unreadable, 100 internal\n"
    "error (out of memory, cannot write), 101 bad arguments.\n";

/* Ours: a table long name as --NAME or --NAME=VALUE, or -?. 1 when it also
 * takes the next word as its value. */
static int our_option(const char *arg, int *takes_next)
{
    *takes_next = 0;
    if (strcmp(arg, "-?") == 0)
        return 1;
    if (!dcc_str_startswith(arg, "--"))
        return 0;
    for (const struct poptOption *o = options; o->longName || o->shortName || o->argInfo; o++) {
        if (!o->longName)
            continue;
        size_t n = strlen(o->longName);
        if (strncmp(arg + 2, o->longName, n) != 0)
            continue;
        if (arg[2 + n] == '\0') {
            *takes_next = (o->argInfo & POPT_ARG_MASK) != POPT_ARG_NONE;
            return 1;
        }
        if (arg[2 + n] == '=')
            return 1;
    }
    return 0;
}

/* popt would read -march=native as the short options -m -a -r …, so the
 * compiler's words are set aside before popt sees the rest. */
static int split_arguments(int argc, char **argv, char ***ours, char ***theirs)
{
    *ours = calloc((size_t)argc + 1, sizeof **ours);
    *theirs = calloc((size_t)argc + 1, sizeof **theirs);
    if (!*ours || !*theirs)
        return -1;
    size_t no = 0, nt = 0;
    (*ours)[no++] = argv[0];
    for (int i = 1; i < argc; i++) {
        int takes_next;
        if (strcmp(argv[i], "--") == 0) {
            while (++i < argc)
                (*theirs)[nt++] = argv[i];
        } else if (our_option(argv[i], &takes_next)) {
            (*ours)[no++] = argv[i];
            if (takes_next && i + 1 < argc)
                (*ours)[no++] = argv[++i];
        } else {
            (*theirs)[nt++] = argv[i];
        }
    }
    return 0;
}

static int parse_options(int argc, char **argv, char ***theirs)
{
    char **ours = NULL;
    *theirs = NULL;
    if (split_arguments(argc, argv, &ours, theirs) != 0) {
        dcc_error("out of memory");
        free(ours);
        return EXIT_INTERNAL;
    }
    poptContext ctx = poptGetContext("distccflags", (int)dcc_argv_len(ours), (const char **)ours,
                                     options, 0);
    poptSetOtherOptionHelp(ctx, "[OPTION...] [COMPILER FLAGS...]");
    int status = -1, rc;
    while (status < 0 && (rc = poptGetNextOpt(ctx)) != -1) {
        switch (rc) {
        case OPT_HELP:
            poptPrintHelp(ctx, stdout, 0);
            fputs(help_tail, stdout);
            status = EXIT_FLAGS_OK;
            break;
        case OPT_USAGE:
            poptPrintUsage(ctx, stdout, 0);
            status = EXIT_FLAGS_OK;
            break;
        case OPT_VERSION:
            printf("distccflags %s\n", DCC_VERSION);
            status = EXIT_FLAGS_OK;
            break;
        default:
            dcc_error("bad argument '%s': %s (see distccflags --help)",
                      poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
            status = EXIT_BAD_ARGS;
            break;
        }
    }
    poptFreeContext(ctx);
    free(ours);
    if (status >= 0)
        return status;
    if (opt.make_conf && opt.vertical) {
        dcc_error("--make-conf and --vertical exclude each other; choose one");
        return EXIT_BAD_ARGS;
    }
    if (opt.timeout < 1 || opt.timeout > 86400) {
        dcc_error("--timeout %d is out of range: give seconds from 1 to 86400", opt.timeout);
        return EXIT_BAD_ARGS;
    }
    if (opt.cc && !opt.cc[strspn(opt.cc, " \t")]) {
        dcc_error("--cc is empty: name a compiler such as gcc or x86_64-pc-linux-gnu-gcc");
        return EXIT_BAD_ARGS;
    }
    return -1;
}

static int exit_for(int status)
{
    switch (status) {
    case DCC_MARCH_OK:
        return EXIT_FLAGS_OK;
    case DCC_MARCH_MISMATCH:
        return EXIT_CHECK_FAILED;
    case DCC_MARCH_CC_MISSING:
    case DCC_MARCH_CC_FAILED:
    case DCC_MARCH_CC_TIMEOUT:
    case DCC_MARCH_UNPARSABLE:
    case DCC_MARCH_UNSUPPORTED:
        return EXIT_COMPILER_PROBLEM;
    case DCC_MARCH_BAD_INPUT:
        return EXIT_BAD_ARGS;
    default:
        return EXIT_INTERNAL;
    }
}

/* All or nothing: a write error must not look like a short flag line. */
static int print_result(char *const *args, enum dcc_march_style style)
{
    struct dcc_buf text = {0};
    if (dcc_march_format(args, style, &text) != 0) {
        dcc_error("out of memory");
        return EXIT_INTERNAL;
    }
    size_t wrote = fwrite(text.data, 1, text.len, stdout);
    int bad = wrote != text.len || fflush(stdout) != 0 || ferror(stdout);
    dcc_buf_free(&text);
    if (bad) {
        dcc_error("cannot write the result to standard output");
        return EXIT_INTERNAL;
    }
    return EXIT_FLAGS_OK;
}

static const char *compiler_spec(void)
{
    if (opt.cc)
        return opt.cc;
    const char *env = getenv("CC");
    if (env && env[strspn(env, " \t")])
        return env;
    return "gcc";
}

int main(int argc, char **argv)
{
    dcc_log_set_program("distccflags");
    char **args = NULL;
    int code = parse_options(argc, argv, &args);
    if (code >= 0) {
        free(args);
        free(opt.cc);
        return code;
    }
    static char *const default_args[] = {"-march=native", NULL};
    char *const *in = args[0] ? args : default_args;
    enum dcc_march_style style = opt.make_conf  ? DCC_MARCH_STYLE_MAKE_CONF
                                 : opt.vertical ? DCC_MARCH_STYLE_VERTICAL
                                                : DCC_MARCH_STYLE_LINE;
    if (!dcc_march_args_want_native(in)) {
        code = print_result(in, style);
        free(args);
        free(opt.cc);
        return code;
    }

    char err[1024] = "";
    unsigned flags = opt.drop_cache_params ? DCC_MARCH_DROP_CACHE_PARAMS : 0;
    struct dcc_march_cc cc = {0};
    struct dcc_march_native reduced = {0};
    char **out = NULL;
    int rc = dcc_march_cc_init(&cc, compiler_spec(), opt.timeout * 1000, err, sizeof err);
    if (rc == DCC_MARCH_OK)
        rc = dcc_march_expand(&cc, &reduced, err, sizeof err);
    if (rc == DCC_MARCH_OK)
        rc = dcc_march_substitute(in, &reduced, flags, &out, err, sizeof err);
    if (rc == DCC_MARCH_OK && opt.check)
        rc = dcc_march_check(&cc, in, out, &reduced, flags, err, sizeof err);

    if (rc == DCC_MARCH_MISMATCH) {
        dcc_error("check failed: %s", err);
    } else if (rc != DCC_MARCH_OK) {
        dcc_error("%s", err);
    } else {
        if (opt.check)
            fputs(
                "distccflags: check passed: -Q --help=target and -Q --help=params are identical\n",
                stderr);
        code = print_result(out, style);
    }
    if (rc != DCC_MARCH_OK)
        code = exit_for(rc);
    dcc_argv_free(out);
    dcc_march_native_free(&reduced);
    dcc_march_cc_free(&cc);
    free(args);
    free(opt.cc);
    return code;
}
