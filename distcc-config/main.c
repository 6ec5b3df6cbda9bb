/* distcc-config: the command table, option parsing (popt), --root, --help and dispatch. */
#include "config.h"

#include "base/dcc_exit.h"
#include "admin/dcc_masq.h"

#include <errno.h>
#include <popt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct command {
    const char *name; /* the long option, without "--" */
    const char *args; /* shown in --help */
    int min_values;
    int max_values; /* -1: any number */
    int needs_root; /* writes system files */
    int (*run)(struct cfg *);
    const char *section;
    const char *help; /* lines after the first are indented */
};

static const struct command commands[] = {
    {"set-hosts", "SPEC...", 1, -1, 0, cfg_set_hosts, "Host list",
     "check every host spec, then write the list: root writes\n"
     "/etc/distcc/hosts, other users $DISTCC_DIR/hosts (default\n"
     "~/.distcc/hosts); one quoted argument or several"},
    {"get-hosts", "", 0, 0, 0, cfg_get_hosts, NULL,
     "print the host list in effect and where it came from\n"
     "($DISTCC_HOSTS, then the user's file, then /etc/distcc/hosts)"},
    {"makeopts", "", 0, 0, 0, cfg_makeopts, NULL,
     "print MAKEOPTS=\"-jN -lM\" for the host list in effect:\n"
     "N = 2 x (local cores + remote slots) + 1, M = local cores"},
    {"get-verbose", "", 0, 0, 0, cfg_get_verbose, "Client settings in /etc/env.d/02distcc",
     "print DISTCC_VERBOSE"},
    {"set-verbose", "0|1", 1, 1, 1, cfg_set_verbose, NULL, "set DISTCC_VERBOSE"},
    {"get-log", "", 0, 0, 0, cfg_get_log, NULL, "print DISTCC_LOG"},
    {"set-log", "FILE", 1, 1, 1, cfg_set_log, NULL,
     "set DISTCC_LOG to an absolute path (\"\" logs to stderr again)"},
    {"get-env", "[VAR]", 0, 1, 0, cfg_get_env, NULL, "print the whole file, or one variable"},
    {"set-env", "VAR VALUE", 2, 2, 1, cfg_set_env, NULL,
     "set one of distcc's variables (listed in distcc-config(1));\n"
     "a missing variable is added, comments and other lines are kept;\n"
     "the set commands then run env-update"},
    {"install", "", 0, 0, 1, cfg_install, "Setting up a machine",
     "create /etc/distcc, write /etc/env.d/02distcc if it is missing,\n"
     "and create the masquerade links; prints each step"},
    {"update-masquerade", "", 0, 0, 1, cfg_update_masquerade, NULL,
     "link /usr/lib/distcc/NAME -> /usr/bin/distcc for every compiler\n"
     "on PATH ({,CHOST-}{gcc,g++,clang,clang++}{,-VER}, cc, c++, c99)\n"
     "plus bin -> .; removes its own links to vanished compilers and\n"
     "never touches anything else in the directory"},
    {"update-masquerade-with-crossdev", "", 0, 0, 1, cfg_update_masquerade_crossdev, NULL,
     "the same with CHOST-prefixed names only, so a bare gcc stays local"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

enum { OPT_ROOT = 1, OPT_HELP, OPT_VERSION, OPT_COMMAND_BASE = 100 };

static const char exit_help[] =
    "Exit status:\n"
    "  0    done\n"
    "  1    bad option or argument, a command that must be run as root, or\n"
    "       the variable asked for is not set\n"
    "  100  env-update failed after the file was written\n"
    "  105  out of memory\n"
    "  106  a host spec is malformed (nothing was written)\n"
    "  107  a file, directory or link could not be read or written\n"
    "  115  /etc/env.d/02distcc does not exist (run --install)\n"
    "  116  no hosts are configured\n";

int cfg_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout); /* what was printed so far comes first, also into one pipe */
    fputs("distcc-config: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int cfg_path(const struct cfg *c, const char *sys_path, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s%s", c->root, sys_path);
    if (n < 0 || (size_t)n >= outlen) {
        cfg_fail(CFG_EXIT_USAGE, "the path %s%s is too long; use a shorter --root", c->root,
                 sys_path);
        return -1;
    }
    return 0;
}

static void print_help(void)
{
    printf("Usage: distcc-config [--root DIR] COMMAND [ARG...]\n"
           "\n"
           "Sets up distcc on Gentoo: the host list, the client settings that\n"
           "env-update exports, and the masquerade links that are also distccd's\n"
           "compiler whitelist. Give one command.\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct command *cmd = &commands[i];
        if (cmd->section)
            printf("\n%s:\n", cmd->section);
        char head[80];
        snprintf(head, sizeof head, "--%s%s%s", cmd->name, cmd->args[0] ? " " : "", cmd->args);
        const char *line = cmd->help;
        int first = 1;
        while (*line) {
            const char *nl = strchr(line, '\n');
            int len = nl ? (int)(nl - line) : (int)strlen(line);
            if (first && strlen(head) <= 26)
                printf("  %-26s %.*s\n", head, len, line);
            else if (first)
                printf("  %s\n  %-26s %.*s\n", head, "", len, line);
            else
                printf("  %-26s %.*s\n", "", len, line);
            first = 0;
            line += len + (nl ? 1 : 0);
        }
    }
    printf("\nOptions:\n"
           "  --root DIR                 read and write every system path under DIR (a\n"
           "                             staged root); $EROOT, then $ROOT, are used when\n"
           "                             it is not given. env-update is not run there.\n"
           "  --help                     this text\n"
           "  --version                  the version\n"
           "\n"
           "Files (of this build; under --root when given):\n"
           "  system host list:  %s\n"
           "  client settings:   %s (exported by env-update)\n"
           "  masquerade links:  %s (also distccd's whitelist)\n"
           "\n"
           "The set commands, --install and --update-masquerade* need root on the\n"
           "running system. Options go before the command; everything after a\n"
           "command that takes arguments is an argument, so host specs may start\n"
           "with -- (distcc-config --set-hosts --randomize box1 box2).\n"
           "\n%s",
           DCC_SYSCONFDIR "/distcc/hosts", CFG_ENVD_FILE, DCC_MASQ_DIR, exit_help);
}

static const struct command *find_command(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    if (strncmp(arg, "--", 2) != 0)
        return NULL;
    arg += 2;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        size_t len = strlen(commands[i].name);
        if (strncmp(arg, commands[i].name, len) != 0)
            continue;
        if (arg[len] == '\0')
            return &commands[i];
        if (arg[len] == '=') {
            *inline_value = arg + len + 1;
            return &commands[i];
        }
    }
    return NULL;
}

/* One of our own options, which would be a mistake among a command's arguments. */
static int is_our_option(const char *arg)
{
    const char *ignored;
    if (find_command(arg, &ignored))
        return 1;
    static const char *const others[] = {"--root", "--help", "--version"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        size_t len = strlen(others[i]);
        if (strncmp(arg, others[i], len) == 0 && (arg[len] == '\0' || arg[len] == '='))
            return 1;
    }
    return 0;
}

/* --root, else $EROOT, else $ROOT; "/" means the running system. */
static int resolve_root(struct cfg *c, const char *opt_root)
{
    const char *root = opt_root;
    c->root_from = "--root";
    if (!root) {
        const char *eroot = getenv("EROOT"), *groot = getenv("ROOT");
        if (eroot && *eroot) {
            root = eroot;
            c->root_from = "$EROOT";
        } else if (groot && *groot) {
            root = groot;
            c->root_from = "$ROOT";
        }
    }
    c->root[0] = '\0';
    if (!root)
        return 0;
    if (*root == '\0')
        return cfg_fail(CFG_EXIT_USAGE, "--root needs a directory");
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(root, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return cfg_fail(CFG_EXIT_USAGE,
                        "%s %s is not a directory; create it or give an existing one", c->root_from,
                        root);
    if (strcmp(real, "/") != 0)
        snprintf(c->root, sizeof c->root, "%s", real);
    return 0;
}

int main(int argc, char **argv)
{
    /* Everything after a command that takes arguments is its arguments, so
     * host specs such as --randomize reach the host parser instead of popt. */
    int split = argc;
    const char *inline_value = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--root") == 0) {
            i++;
            continue;
        }
        const struct command *cmd = find_command(argv[i], &inline_value);
        if (cmd && cmd->max_values != 0) {
            split = i + 1;
            break;
        }
        inline_value = NULL;
    }

    /* popt sees argv[0..split), with "--cmd=VALUE" shortened to "--cmd". */
    const char **popt_argv = calloc((size_t)split + 1, sizeof *popt_argv);
    char **values = calloc((size_t)argc + 1, sizeof *values);
    if (!popt_argv || !values) {
        free(popt_argv);
        free(values);
        return cfg_fail(DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    }
    char cmd_only[64];
    for (int i = 0; i < split; i++)
        popt_argv[i] = argv[i];
    size_t n_values = 0;
    if (inline_value) {
        size_t len = (size_t)(inline_value - argv[split - 1] - 1);
        snprintf(cmd_only, sizeof cmd_only, "%.*s", (int)len, argv[split - 1]);
        popt_argv[split - 1] = cmd_only;
        values[n_values++] = (char *)inline_value;
    }
    int rest = split;
    if (rest < argc && !inline_value && strcmp(argv[rest], "--") == 0)
        rest++;
    for (int i = rest; i < argc; i++)
        values[n_values++] = argv[i];

    struct poptOption table[N_COMMANDS + 4];
    memset(table, 0, sizeof table);
    char *opt_root = NULL;
    for (size_t i = 0; i < N_COMMANDS; i++)
        table[i] = (struct poptOption){commands[i].name,          '\0', POPT_ARG_NONE, NULL,
                                       OPT_COMMAND_BASE + (int)i, NULL, NULL};
    table[N_COMMANDS] = (struct poptOption){"root", '\0', POPT_ARG_STRING, &opt_root, OPT_ROOT,
                                            NULL,   NULL};
    table[N_COMMANDS + 1] = (struct poptOption){"help",   '\0', POPT_ARG_NONE, NULL,
                                                OPT_HELP, NULL, NULL};
    table[N_COMMANDS + 2] = (struct poptOption){"version",   '\0', POPT_ARG_NONE, NULL,
                                                OPT_VERSION, NULL, NULL};

    int code = 0;
    const struct command *chosen = NULL;
    poptContext ctx = poptGetContext("distcc-config", split, popt_argv, table, 0);
    if (!ctx) {
        free(popt_argv);
        free(values);
        return cfg_fail(DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    }
    int rc;
    int want_help = 0, want_version = 0;
    while ((rc = poptGetNextOpt(ctx)) > 0) {
        if (rc == OPT_HELP) {
            want_help = 1;
        } else if (rc == OPT_VERSION) {
            want_version = 1;
        } else if (rc >= OPT_COMMAND_BASE) {
            const struct command *cmd = &commands[rc - OPT_COMMAND_BASE];
            if (chosen && chosen != cmd) {
                code = cfg_fail(
                    CFG_EXIT_USAGE,
                    "give one command at a time (--%s and --%s); see distcc-config --help",
                    chosen->name, cmd->name);
                goto out;
            }
            chosen = cmd;
        }
    }
    if (rc < -1) {
        code = cfg_fail(CFG_EXIT_USAGE, "%s: %s; see distcc-config --help", poptBadOption(ctx, 0),
                        rc == POPT_ERROR_BADOPT ? "unknown option" : poptStrerror(rc));
        goto out;
    }
    const char **leftovers = poptGetArgs(ctx);
    if (leftovers && leftovers[0]) {
        if (split != argc) {
            code = cfg_fail(CFG_EXIT_USAGE,
                            "unexpected \"%s\" before the command; see distcc-config --help",
                            leftovers[0]);
            goto out;
        }
        for (size_t i = 0; leftovers[i]; i++)
            values[n_values++] = (char *)leftovers[i];
    }

    if (want_help) {
        print_help();
        goto out;
    }
    if (want_version) {
        printf("distcc-config %s\n", DCC_VERSION);
        goto out;
    }
    if (!chosen) {
        code = cfg_fail(CFG_EXIT_USAGE, "no command given; see distcc-config --help");
        goto out;
    }

    for (size_t i = 0; i < n_values; i++) {
        if (is_our_option(values[i])) {
            code = cfg_fail(
                CFG_EXIT_USAGE,
                "%s after --%s is taken as its argument; put options before the command", values[i],
                chosen->name);
            goto out;
        }
    }
    if ((int)n_values < chosen->min_values ||
        (chosen->max_values >= 0 && (int)n_values > chosen->max_values)) {
        if (chosen->max_values == 0)
            code = cfg_fail(CFG_EXIT_USAGE, "--%s takes no argument (got \"%s\")", chosen->name,
                            values[0]);
        else
            code = cfg_fail(CFG_EXIT_USAGE,
                            "--%s expects %s (got %zu argument%s); see distcc-config --help",
                            chosen->name, chosen->args, n_values, n_values == 1 ? "" : "s");
        goto out;
    }

    struct cfg c = {.cmd = NULL, .values = values, .n_values = n_values};
    if ((code = resolve_root(&c, opt_root)) != 0)
        goto out;
    char cmd_name[64];
    snprintf(cmd_name, sizeof cmd_name, "--%s", chosen->name);
    c.cmd = cmd_name;
    /* Refuse before touching anything, rather than failing half-way. A staged
     * root is exempt: it belongs to whoever builds it. */
    if (chosen->needs_root && geteuid() != 0 && c.root[0] == '\0') {
        code = cfg_fail(CFG_EXIT_USAGE,
                        "--%s must be run as root (it changes system files); run it with sudo",
                        chosen->name);
        goto out;
    }
    code = chosen->run(&c);

out:
    poptFreeContext(ctx);
    free(opt_root); /* popt hands out copies of string arguments */
    free(popt_argv);
    free(values);
    if (fflush(stdout) != 0 && code == 0)
        code = cfg_fail(DCC_EXIT_IO_ERROR, "cannot write the output: %s", strerror(errno));
    return code;
}
