/* Fuzz target: a protocol-3 request after its DIST header (CDIR, ARGC/ARGV,
 * NFIL, each NAME with its FILE or LINK) received the way distccd does it:
 * every path through dcc_pump_check_path, every link through
 * dcc_pump_is_system_link or dcc_pump_link_target, made for real under a
 * job root in a temporary directory and checked with
 * dcc_pump_check_link_beneath; then the arguments through dcc_args_scan,
 * dcc_optcat_check and dcc_pump_rewrite_args, and dcc_pump_strip_root.
 * Beyond the sanitizers, it aborts when a link the checks let through
 * resolves outside the job root. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/dcc_args.h"
#include "proto/dcc_bulk.h"
#include "proto/dcc_optcat.h"
#include "daemon/dcc_pump.h"
#include "base/dcc_util.h"
#include "proto/dcc_wire.h"
#include "fuzz_feed.h"

/* Fewer than the daemon allows, so one input stays fast; the checks are
 * the same for the first file as for the last. */
#define FUZZ_MAX_FILES 64
#define FUZZ_MAX_DIRS 256

static char base[PATH_MAX]; /* the temporary directory, without symlinks */
static char root[PATH_MAX]; /* base/root: one job's "/" */
static int sink = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_base(void)
{
    rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/dcc-fuzz-pump.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl) || !realpath(tmpl, base))
        abort();
    snprintf(root, sizeof root, "%s/root", base);
    atexit(remove_base);
    sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (sink < 0)
        abort();
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_root(void)
{
    if (nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        abort(); /* something the target made cannot be removed */
}

/* The directory holding name (a checked client path) under rootfd, made
 * one component at a time without following a link, as serve.c does; -1
 * when a component is a link or a file, or past the directory cap. */
static int open_parent(int rootfd, const char *name, unsigned *dirs, const char **last)
{
    int fd = dup(rootfd);
    const char *p = name + 1;
    for (;;) {
        size_t n = strcspn(p, "/");
        if (p[n] == '\0') {
            *last = p;
            return fd;
        }
        char comp[256];
        snprintf(comp, sizeof comp, "%.*s", (int)n, p);
        int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 && errno == ENOENT && *dirs < FUZZ_MAX_DIRS && mkdirat(fd, comp, 0700) == 0) {
            (*dirs)++;
            sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        close(fd);
        if (sub < 0)
            return -1;
        fd = sub;
        p += n + 1;
    }
}

static char *read_string(struct dcc_conn *c, const char *token)
{
    uint32_t len;
    if (dcc_wire_read_token(c, token, &len) != 0 || len > c->limits.max_arg_len)
        return NULL;
    char *s = malloc((size_t)len + 1);
    if (!s)
        return NULL;
    if (dcc_wire_read(c, s, len) != 0) {
        free(s);
        return NULL;
    }
    s[len] = '\0';
    return s;
}

struct link {
    char *name, *made;
};

/* One NAME and its FILE or LINK; 0 to go on, -1 when the request ends. */
static int receive_file(struct dcc_conn *c, int rootfd, unsigned *dirs, struct link *links,
                        size_t *nlinks, char **system_dirs, size_t *nsystem)
{
    uint32_t len;
    if (dcc_wire_read_token(c, DCC_TOK_NAME, &len) != 0 || len > c->limits.max_arg_len)
        return -1;
    char *name = malloc((size_t)len + 1);
    if (!name || dcc_wire_read(c, name, len) != 0) {
        free(name);
        return -1;
    }
    name[len] = '\0';
    int which;
    uint32_t blen;
    int rc = dcc_wire_read_either(c, DCC_TOK_FILE, DCC_TOK_LINK, &which, &blen);
    if (!rc && which == 0 && blen > c->limits.max_body)
        rc = -1;
    if (!rc && which == 1 && blen > c->limits.max_arg_len)
        rc = -1;
    char why[300];
    int ok = !rc && dcc_pump_check_path(name, len, 0, why, sizeof why) == 0;
    if (!rc && !ok) {
        if (!why[0])
            abort(); /* a refusal must say why */
        rc = dcc_wire_discard(c, blen) ? -1 : 0;
    } else if (!rc && which == 0) {
        const char *last;
        int dirfd = open_parent(rootfd, name, dirs, &last);
        int fd = dirfd < 0 ? -1
                           : openat(dirfd, last,
                                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (dirfd >= 0)
            close(dirfd);
        rc = dcc_bulk_recv_body_fd(c, blen, DCC_COMPRESS_LZO1X, fd >= 0 ? fd : sink, NULL) ? -1 : 0;
        if (fd >= 0)
            close(fd);
    } else if (!rc) {
        char *target = malloc((size_t)blen + 1);
        if (!target || dcc_wire_read(c, target, blen) != 0) {
            free(target);
            free(name);
            return -1;
        }
        target[blen] = '\0';
        if (dcc_pump_is_system_link(name, target, blen)) {
            if (*nsystem < DCC_PUMP_MAX_SYSTEM_DIRS)
                system_dirs[(*nsystem)++] = strdup(name);
        } else {
            char *made = dcc_pump_link_target(name, target, blen, why, sizeof why);
            const char *last;
            int dirfd = made ? open_parent(rootfd, name, dirs, &last) : -1;
            if (dirfd >= 0 && symlinkat(made, dirfd, last) == 0 && *nlinks < FUZZ_MAX_FILES) {
                links[*nlinks].name = name;
                links[(*nlinks)++].made = made;
                name = made = NULL;
            }
            if (dirfd >= 0)
                close(dirfd);
            free(made);
        }
        free(target);
    }
    free(name);
    return rc;
}

/* A link that passed every check and resolves now must resolve inside. */
static void check_links(int rootfd, struct link *links, size_t nlinks)
{
    size_t rootlen = strlen(root);
    for (size_t i = 0; i < nlinks; i++) {
        char why[300];
        if (dcc_pump_check_link_beneath(rootfd, links[i].name, links[i].made, why, sizeof why) != 0)
            continue;
        char path[PATH_MAX + 8], real[PATH_MAX];
        snprintf(path, sizeof path, "%s%s", root, links[i].name);
        if (realpath(path, real) &&
            (strncmp(real, root, rootlen) != 0 || (real[rootlen] && real[rootlen] != '/')))
            abort(); /* accepted, yet it leads out of the job */
    }
}

static void rewrite(char ***argv, char **system_dirs)
{
    struct dcc_scan scan;
    char err[256];
    if (dcc_args_scan(argv, &scan, err, sizeof err) != 0 || scan.local_only)
        return;
    struct dcc_optcat_policy policy = {.pump = 1};
    const char *b = strrchr((*argv)[0], '/');
    if (dcc_optcat_check(*argv, b ? b + 1 : (*argv)[0], &policy, err, sizeof err) != 0)
        return;
    char output[PATH_MAX + 16], deps[PATH_MAX + 16];
    snprintf(output, sizeof output, "%s/job.o", base);
    snprintf(deps, sizeof deps, "%s/job.d", base);
    struct dcc_pump_paths paths = {
        .root = root, .output = output, .deps = deps, .system_dirs = system_dirs};
    if (dcc_pump_rewrite_args(argv, &scan, &paths, err, sizeof err) != 0)
        return;
    /* What the compiler would say about the job's files, the root taken out
     * as in the .d file and stderr sent back. */
    size_t total = 0;
    for (char **a = *argv; *a; a++)
        total += strlen(*a) + 1;
    char *text = malloc(total + 1);
    if (!text)
        return;
    size_t at = 0;
    for (char **a = *argv; *a; a++) {
        size_t n = strlen(*a);
        memcpy(text + at, *a, n);
        text[at + n] = ' ';
        at += n + 1;
    }
    text[at] = '\0';
    size_t left = dcc_pump_strip_root(text, at, root);
    if (left > at || text[left] != '\0')
        abort();
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dcc_conn c;
    int peer;
    fuzz_conn_open(&c, &peer, data, size);
    char **argv = NULL;
    char *system_dirs[DCC_PUMP_MAX_SYSTEM_DIRS + 1] = {0};
    size_t nsystem = 0, nlinks = 0;
    struct link links[FUZZ_MAX_FILES];
    char why[300];
    int rootfd = -1;
    char *cdir = read_string(&c, DCC_TOK_CDIR);
    if (!cdir || dcc_pump_check_path(cdir, strlen(cdir), 1, why, sizeof why) != 0)
        goto out;
    uint32_t nfil;
    if (dcc_wire_read_argv(&c, &argv) != 0 || dcc_wire_read_token(&c, DCC_TOK_NFIL, &nfil) != 0)
        goto out;
    if (mkdir(root, 0700) != 0)
        abort(); /* the last input's root is still there */
    rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        abort();
    unsigned dirs = 0;
    for (uint32_t i = 0; i < nfil && i < FUZZ_MAX_FILES; i++)
        if (receive_file(&c, rootfd, &dirs, links, &nlinks, system_dirs, &nsystem) != 0)
            break;
    check_links(rootfd, links, nlinks);
    rewrite(&argv, system_dirs);
out:
    for (size_t i = 0; i < nlinks; i++) {
        free(links[i].name);
        free(links[i].made);
    }
    for (size_t i = 0; i < nsystem; i++)
        free(system_dirs[i]);
    if (rootfd >= 0) {
        close(rootfd);
        remove_root();
    }
    dcc_argv_free(argv);
    free(cdir);
    fuzz_conn_close(&c, peer);
    return 0;
}
