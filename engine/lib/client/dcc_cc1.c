/* Running gcc's cc1 -E directly: its command line learned once from gcc -### per compiler and argument shape, kept under $DISTCC_DIR/cc1. */
#include "client/dcc_cc1.h"

#include "base/dcc_run.h"
#include "base/dcc_util.h"
#include "client/dcc_cleanup.h"
#include "client/dcc_paths.h"

#include <blake2.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Added to cc1's line: system headers named as found, not realpath()ed
 * (gcc's default does that for every place it looks: a readlink per path
 * component, about 2000 per binutils unit). */
#define NO_CANON "-fno-canonical-system-headers"

/* Stand-ins in a kept command line for what changes from job to job. */
#define MARK_IN "\001in"
#define MARK_OUT "\001out"
#define MARK_STEM "\001stem"
/* and the k-th value of -MF, -MT, -MQ: "\001d" and the digit k */
#define MARK_DEP "\001d"
#define MAX_DEPS 9

static int is_dep_option(const char *a)
{
    return a && (strcmp(a, "-MF") == 0 || strcmp(a, "-MT") == 0 || strcmp(a, "-MQ") == 0);
}

/* The values of -MF, -MT and -MQ in argv, in order: how many, or -1 for
 * more than MAX_DEPS or two alike (which one a kept line means would be a
 * guess). */
static int dep_values(char *const *argv, const char *v[MAX_DEPS])
{
    int n = 0;
    for (size_t i = 1; argv[i]; i++) {
        if (!is_dep_option(argv[i - 1]))
            continue;
        if (n == MAX_DEPS)
            return -1;
        for (int k = 0; k < n; k++)
            if (strcmp(v[k], argv[i]) == 0)
                return -1;
        v[n++] = argv[i];
    }
    return n;
}

static const char *base_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* One argument of gcc -###'s command line at *p: bare up to a space, or
 * in double quotes with \" \\ \$ escaped. NULL at the end or on a bad quote. */
static char *next_word(const char **p, int *bad)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s || *s == '\n') {
        *p = s;
        return NULL;
    }
    struct dcc_buf b = {0};
    if (*s == '"') {
        for (s++; *s && *s != '"' && *s != '\n'; s++) {
            if (*s == '\\' && s[1] && s[1] != '\n')
                s++;
            if (dcc_buf_append(&b, s, 1) != 0)
                break;
        }
        if (*s != '"') {
            *bad = 1;
            dcc_buf_free(&b);
            return NULL;
        }
        s++;
    } else {
        size_t n = strcspn(s, " \n");
        if (dcc_buf_append(&b, s, n) != 0) {
            *bad = 1;
            dcc_buf_free(&b);
            return NULL;
        }
        s += n;
    }
    *p = s;
    if (!b.data && !(b.data = strdup("")))
        *bad = 1;
    return b.data;
}

char **dcc_cc1_parse(const char *text)
{
    const char *cmd = NULL;
    for (const char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (*line != ' ')
            continue; /* specs, version, COLLECT_GCC_OPTIONS=...: not commands */
        if (cmd)
            return NULL; /* the driver would run more than one program */
        cmd = line;
    }
    if (!cmd)
        return NULL;
    size_t n = 0, cap = 16;
    char **argv = calloc(cap, sizeof *argv);
    int bad = 0, has_e = 0;
    char *w;
    while (argv && (w = next_word(&cmd, &bad))) {
        if (n + 2 > cap) {
            char **grown = realloc(argv, 2 * cap * sizeof *argv);
            if (!grown) {
                free(w);
                bad = 1;
                break;
            }
            argv = grown;
            cap *= 2;
        }
        has_e |= strcmp(w, "-E") == 0;
        argv[n++] = w;
        argv[n] = NULL;
    }
    /* cc1 by a path of its own (a driver that found itself oddly prints
     * a bare name), to be run as it is. */
    if (!argv || bad || n == 0 || !has_e || argv[0][0] != '/' ||
        (strcmp(base_of(argv[0]), "cc1") != 0 && strcmp(base_of(argv[0]), "cc1plus") != 0)) {
        dcc_argv_free(argv);
        return NULL;
    }
    return argv;
}

/* Options whose value is the next argument, handed to cc1 as they are. */
static const char *const with_value[] = {
    "-I",       "-D", "-U",  "-isystem", "-iquote", "-idirafter", "-include",
    "-imacros", "-o", "-MF", "-MT",      "-MQ",     NULL};
/* Prefixes that pass, and the longer ones among them that do not. */
static const char *const allowed[] = {
    "-D",        "-U",    "-I",       "-O",      "-W",         "-f",       "-m",
    "-g",        "-std=", "-isystem", "-iquote", "-idirafter", "-include", "-imacros",
    "-pedantic", "-ansi", "-w",       "-E",      "-pipe",      "-pthread", "-MD",
    "-MMD",      "-MP",   "-MF",      "-MT",     "-MQ",        NULL};
static const char *const refused[] = {"-Wp,",
                                      "-Wa,",
                                      "-Wl,",
                                      "-fdump",
                                      "-fplugin",
                                      "-fprofile",
                                      "-fstack-usage",
                                      "-fcallgraph-info",
                                      "-fcompare-debug",
                                      "-gsplit-dwarf",
                                      "-save-temps",
                                      "-fsave-optimization",
                                      "-march=native",
                                      "-mtune=native",
                                      "-mcpu=native",
                                      NULL};

static int starts(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strncmp(s, list[i], strlen(list[i])) == 0)
            return 1;
    return 0;
}

int dcc_cc1_shape_ok(char *const *cpp_argv, const char *input, const char *output)
{
    int inputs = 0, outputs = 0;
    for (size_t i = 1; cpp_argv[i]; i++) {
        const char *a = cpp_argv[i];
        if (strchr(a, '\n'))
            return 0;
        if (strcmp(a, input) == 0) {
            inputs++;
            continue;
        }
        if (a[0] != '-' || starts(a, refused) || (!starts(a, allowed) && strcmp(a, "-o") != 0))
            return 0;
        /* -MFfile and the like: a value per unit inside the option */
        if (strncmp(a, "-M", 2) == 0 && a[2] && strcmp(a, "-MD") != 0 && strcmp(a, "-MMD") != 0 &&
            strcmp(a, "-MP") != 0 && !is_dep_option(a))
            return 0;
        for (int k = 0; with_value[k]; k++) {
            if (strcmp(a, with_value[k]) == 0) {
                if (!cpp_argv[i + 1] || strchr(cpp_argv[i + 1], '\n'))
                    return 0;
                outputs += strcmp(a, "-o") == 0 && strcmp(cpp_argv[i + 1], output) == 0;
                i++;
                break;
            }
        }
    }
    const char *v[MAX_DEPS];
    return inputs == 1 && outputs == 1 && dep_values(cpp_argv, v) >= 0;
}

/* Where s is last in argv, or -1. */
static long last_index(char *const *argv, const char *s)
{
    long at = -1;
    for (long i = 0; argv && argv[i]; i++)
        if (strcmp(argv[i], s) == 0)
            at = i;
    return at;
}

int dcc_cc1_without_ours(char *const *cc1_argv, char *const *cpp_argv, char ***out)
{
    *out = NULL;
    long at = last_index(cc1_argv, NO_CANON);
    if (at < 0 || last_index(cpp_argv, NO_CANON) >= 0)
        return 0;
    if (!(*out = dcc_argv_dup(cc1_argv)))
        return -1;
    dcc_argv_remove(*out, (size_t)at, 1);
    return 0;
}

/* System header paths already checked, by hash (open addressing). */
struct seen {
    const char **v;
    size_t *len, cap, n;
};

static size_t fnv(const char *p, size_t n)
{
    size_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* 1 when p[0..n) was not in the set (and is now), 0 when it was, -1 on ENOMEM. */
static int seen_add(struct seen *s, const char *p, size_t n)
{
    if (2 * (s->n + 1) > s->cap) {
        struct seen g = {calloc(s->cap ? 2 * s->cap : 256, sizeof *g.v),
                         calloc(s->cap ? 2 * s->cap : 256, sizeof *g.len),
                         s->cap ? 2 * s->cap : 256, 0};
        if (!g.v || !g.len) {
            free(g.v);
            free(g.len);
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i])
                seen_add(&g, s->v[i], s->len[i]);
        free(s->v);
        free(s->len);
        *s = g;
    }
    size_t i = fnv(p, n) & (s->cap - 1);
    for (; s->v[i]; i = (i + 1) & (s->cap - 1))
        if (s->len[i] == n && memcmp(s->v[i], p, n) == 0)
            return 0;
    s->v[i] = p;
    s->len[i] = n;
    s->n++;
    return 1;
}

/* Directories' real paths, as they are asked for (few per unit). */
struct realdirs {
    char **dir, **real;
    size_t n;
};

/* The length of realpath(path) as gcc's lrealpath finds it, or -1 when it
 * cannot be told (then the caller assumes the worst). A path's directory is
 * resolved once per job; a symbolic link as the file itself is followed. */
static long real_len(const char *path, struct realdirs *rd)
{
    struct stat st;
    const char *slash = strrchr(path, '/');
    if (lstat(path, &st) != 0)
        return -1;
    if (S_ISLNK(st.st_mode) || !slash || slash == path) {
        char *r = realpath(path, NULL);
        long n = r ? (long)strlen(r) : -1;
        free(r);
        return n;
    }
    size_t dl = (size_t)(slash - path);
    size_t i = 0;
    while (i < rd->n && !(strlen(rd->dir[i]) == dl && memcmp(rd->dir[i], path, dl) == 0))
        i++;
    if (i == rd->n) {
        char **d = realloc(rd->dir, (rd->n + 1) * sizeof *d);
        if (d)
            rd->dir = d;
        char **r = realloc(rd->real, (rd->n + 1) * sizeof *r);
        if (r)
            rd->real = r;
        char *dir = d && r ? strndup(path, dl) : NULL;
        char *real = dir ? realpath(dir, NULL) : NULL;
        if (!real) {
            free(dir);
            return -1;
        }
        rd->dir[i] = dir;
        rd->real[i] = real;
        rd->n++;
    }
    size_t rl = strcmp(rd->real[i], "/") == 0 ? 0 : strlen(rd->real[i]);
    return (long)(rl + strlen(slash));
}

int dcc_cc1_canon_differs(const char *ifile)
{
    int fd = open(ifile, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    char *data = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (size && data == MAP_FAILED)
        return 1;
    struct seen seen = {0};
    struct realdirs rd = {0};
    int differs = 0;
    /* Line markers: # LINE "PATH" FLAGS, flag 3 a system header. */
    for (const char *p = data, *end = data + size; p && p < end && !differs;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if (eol - p > 4 && p[0] == '#' && p[1] == ' ' && p[2] >= '0' && p[2] <= '9') {
            const char *q = p + 2;
            while (q < eol && *q >= '0' && *q <= '9')
                q++;
            const char *name = q + 2;
            const char *quote = name < eol ? memchr(name, '"', (size_t)(eol - name)) : NULL;
            int sys = 0;
            for (const char *f = quote ? quote + 1 : eol; f + 1 < eol; f++)
                sys |= f[0] == ' ' && f[1] == '3' && (f + 2 == eol || f[2] == ' ');
            if (q + 1 >= eol || q[0] != ' ' || q[1] != '"' || !quote) {
                differs = 1; /* not a marker as cc1 writes them: unsure */
            } else if (sys && memchr(name, '\\', (size_t)(quote - name))) {
                differs = 1; /* an escaped name: unsure */
            } else if (sys) {
                size_t n = (size_t)(quote - name);
                int fresh = seen_add(&seen, name, n);
                char path[PATH_MAX];
                if (fresh < 0 || n >= sizeof path) {
                    differs = 1;
                } else if (fresh) {
                    memcpy(path, name, n);
                    path[n] = '\0';
                    long real = real_len(path, &rd);
                    differs = real < 0 || (size_t)real < n;
                }
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    for (size_t i = 0; i < rd.n; i++) {
        free(rd.dir[i]);
        free(rd.real[i]);
    }
    free(rd.dir);
    free(rd.real);
    free(seen.v);
    free(seen.len);
    if (size)
        munmap(data, size);
    return differs;
}

#if DCC_WITH_JSON
/* The driver's file and its identity, so a new compiler is learned anew. */
static int driver_identity(const char *name, struct dcc_buf *key)
{
    char found[PATH_MAX], real[PATH_MAX];
    if (strchr(name, '/')) {
        snprintf(found, sizeof found, "%s", name);
    } else {
        const char *path = getenv("PATH");
        int ok = 0;
        for (const char *p = path ? path : ""; *p && !ok;
             p += strcspn(p, ":") + (p[strcspn(p, ":")] != 0)) {
            int len = (int)strcspn(p, ":");
            snprintf(found, sizeof found, "%.*s/%s", len, len ? p : ".", name);
            ok = access(found, X_OK) == 0;
        }
        if (!ok)
            return -1;
    }
    struct stat st;
    if (!realpath(found, real) || stat(real, &st) != 0)
        return -1;
    /* A script is a wrapper: what it does around gcc (its environment, a
     * step of its own) is not in gcc -###'s answer, so it runs as it is. */
    char magic[4] = {0};
    FILE *f = fopen(real, "rb");
    size_t got = f ? fread(magic, 1, sizeof magic, f) : 0;
    if (f)
        fclose(f);
    if (got != sizeof magic || memcmp(magic, "\177ELF", 4) != 0)
        return -1;
    return dcc_buf_printf(key, "%s%c%llu:%llu:%lld:%lld", real, 0, (unsigned long long)st.st_dev,
                          (unsigned long long)st.st_ino, (long long)st.st_size,
                          (long long)st.st_mtime);
}

static char *dir_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? strndup(p, (size_t)(s - p)) : strdup(".");
}

/* The output's name without directory and extension (it names -dumpbase). */
static char *stem_of(const char *p)
{
    const char *b = base_of(p), *dot = strrchr(b, '.');
    return strndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

/* s with every from replaced by to; NULL on ENOMEM. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    struct dcc_buf b = {0};
    size_t fl = strlen(from);
    const char *hit;
    while (fl && (hit = strstr(s, from))) {
        if (dcc_buf_append(&b, s, (size_t)(hit - s)) != 0 || dcc_buf_appends(&b, to) != 0)
            goto nomem;
        s = hit + fl;
    }
    if (dcc_buf_appends(&b, s) != 0)
        goto nomem;
    return b.data;
nomem:
    dcc_buf_free(&b);
    return NULL;
}

/* The cache file's name: a digest of everything that decides cc1's line
 * but the input's and output's names. */
static int cache_path(char *const *cpp_argv, const char *input, const char *output, const char *dir,
                      char *path, size_t pathlen)
{
    struct dcc_buf key = {0};
    int rc = driver_identity(cpp_argv[0], &key);
    const char *dot = strrchr(base_of(input), '.');
    char *odir = dir_of(output);
    rc = rc || !odir || dcc_buf_printf(&key, "%c%s%c%s", 0, dot ? dot : "", 0, odir) != 0;
    free(odir);
    /* Lines kept before cc1 got NO_CANON are learned anew once. */
    rc = rc || dcc_buf_printf(&key, "%c%s", 0, NO_CANON) != 0;
    static const char *const env[] = {"GCC_EXEC_PREFIX", "COMPILER_PATH", "GCC_COMPARE_DEBUG",
                                      NULL};
    for (int i = 0; env[i] && !rc; i++)
        rc = dcc_buf_printf(&key, "%c%s=%s", 0, env[i], getenv(env[i]) ? getenv(env[i]) : "-");
    int deps = 0;
    for (size_t i = 1; cpp_argv[i] && !rc; i++) {
        if (is_dep_option(cpp_argv[i - 1])) {
            rc = dcc_buf_printf(&key, "%c%s%d", 0, MARK_DEP, deps++);
            continue;
        }
        const char *a = strcmp(cpp_argv[i], input) == 0    ? MARK_IN
                        : strcmp(cpp_argv[i], output) == 0 ? MARK_OUT
                                                           : cpp_argv[i];
        rc = dcc_buf_printf(&key, "%c%s", 0, a);
    }
    unsigned char d[16];
    if (!rc)
        rc = blake2b(d, key.data, NULL, sizeof d, key.len, 0);
    dcc_buf_free(&key);
    if (rc)
        return -1;
    int n = snprintf(path, pathlen, "%s/", dir);
    for (size_t i = 0; i < sizeof d && n > 0 && (size_t)n + 3 < pathlen; i++)
        n += snprintf(path + n, pathlen - (size_t)n, "%02x", d[i]);
    return n > 0 && (size_t)n + 6 < pathlen ? (snprintf(path + n, pathlen - (size_t)n, ".json"), 0)
                                            : -1;
}

/* The cc1 line the driver prints for cpp_argv (with NO_CANON last when
 * no_canon), or NULL. */
static char **ask_driver(char *const *cpp_argv, int no_canon)
{
    size_t len = dcc_argv_len(cpp_argv);
    char **ask = calloc(len + 3, sizeof *ask);
    if (!ask)
        return NULL;
    ask[0] = cpp_argv[0];
    ask[1] = (char *)"-###";
    for (size_t i = 1; i < len; i++)
        ask[i + 1] = cpp_argv[i];
    if (no_canon)
        ask[len + 1] = (char *)NO_CANON;
    struct dcc_buf err = {0};
    struct dcc_run_opts o = {.argv = ask,
                             .out = DCC_RUN_NULL,
                             .err = DCC_RUN_CAPTURE,
                             .err_buf = &err,
                             .cap = 1 << 20,
                             .timeout_ms = 30000,
                             .flags = DCC_RUN_SEARCH_PATH};
    int status = -1;
    char why[300];
    /* Registered like cpp itself: an interrupted client takes it down. */
    struct dcc_run *h = NULL;
    int rc = dcc_run_start(&o, &h, why, sizeof why);
    if (rc == DCC_RUN_OK) {
        pid_t pid = dcc_run_pid(h);
        dcc_cleanup_add_group(pid);
        while (dcc_run_poll(&h, 1) > 0)
            ;
        dcc_cleanup_forget_child(pid); /* exited, not reaped yet: still our pid */
        rc = dcc_run_finish(h, &status, why, sizeof why);
    }
    free(ask);
    char **cc1 = rc == DCC_RUN_OK && status == 0 && err.data ? dcc_cc1_parse(err.data) : NULL;
    dcc_buf_free(&err);
    return cc1;
}

/* Asks the driver (-###) and keeps its cc1 line as a template, or null
 * when it must run itself. Asked with NO_CANON unless the job has it
 * already (see dcc_cc1_canon_differs); a driver that does not know the
 * option is asked again without it. */
static json_t *learn(char *const *cpp_argv, const char *input, const char *output)
{
    int add = last_index(cpp_argv, NO_CANON) < 0;
    char **cc1 = ask_driver(cpp_argv, add);
    if (!cc1 && add)
        cc1 = ask_driver(cpp_argv, 0);
    json_t *doc = json_object(), *arr = json_array();
    int ins = 0, outs = 0, used[MAX_DEPS] = {0};
    const char *v[MAX_DEPS];
    int nv = dep_values(cpp_argv, v);
    char *stem = stem_of(output);
    for (size_t i = 0; cc1 && cc1[i] && arr && stem; i++) {
        int k = 0;
        while (i > 0 && is_dep_option(cc1[i - 1]) && k < nv && strcmp(v[k], cc1[i]) != 0)
            k++;
        char mark[16]; /* MARK_DEP and any int */
        snprintf(mark, sizeof mark, "%s%d", MARK_DEP, k);
        char *t = i > 0 && is_dep_option(cc1[i - 1]) && k < nv ? (used[k]++, strdup(mark))
                  : strcmp(cc1[i], input) == 0                 ? (ins++, strdup(MARK_IN))
                  : strcmp(cc1[i], output) == 0                ? (outs++, strdup(MARK_OUT))
                                                : replace_all(cc1[i], stem, MARK_STEM);
        if (!t || json_array_append_new(arr, json_string(t)) != 0) {
            free(t);
            json_decref(arr);
            arr = NULL;
            break;
        }
        free(t);
    }
    free(stem);
    int usable = cc1 && arr && ins == 1 && outs == 1 && nv >= 0 && access(cc1[0], X_OK) == 0;
    for (int k = 0; k < nv; k++)
        usable &= used[k] == 1;
    dcc_argv_free(cc1);
    if (!doc || json_object_set_new(doc, "argv", usable ? arr : json_null()) != 0) {
        if (!usable)
            json_decref(arr);
        json_decref(doc);
        return NULL;
    }
    if (!usable)
        json_decref(arr);
    return doc;
}

char **dcc_cc1_argv(char *const *cpp_argv, const char *input, const char *output, const char *dir)
{
    char path[4096];
    if (!dir || !dcc_cc1_shape_ok(cpp_argv, input, output) ||
        cache_path(cpp_argv, input, output, dir, path, sizeof path) != 0)
        return NULL;
    /* A kept line is run as it is: only one written by us and writable by
     * us alone is trusted ($DISTCC_DIR may be shared with a group). */
    struct stat st;
    int trusted = lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                  !(st.st_mode & 022);
    json_t *doc = trusted ? dcc_paths_read_json(path, 1 << 20) : NULL;
    if (!doc && (doc = learn(cpp_argv, input, output)))
        dcc_paths_write_json_own(path, doc); /* a cache: a failed write costs a -### next time */
    json_t *arr = doc ? json_object_get(doc, "argv") : NULL;
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    char **argv = n ? calloc(n + 1, sizeof *argv) : NULL;
    char *stem = argv ? stem_of(output) : NULL;
    const char *v[MAX_DEPS];
    int nv = dep_values(cpp_argv, v);
    for (size_t i = 0; argv && stem && i < n; i++) {
        const char *t = json_string_value(json_array_get(arr, i));
        int k = t && strncmp(t, MARK_DEP, 2) == 0 && t[2] >= '0' && t[2] <= '9' && !t[3]
                    ? t[2] - '0'
                    : -1;
        argv[i] = !t                         ? NULL
                  : k >= 0                   ? (k < nv ? strdup(v[k]) : NULL)
                  : strcmp(t, MARK_IN) == 0  ? strdup(input)
                  : strcmp(t, MARK_OUT) == 0 ? strdup(output)
                                             : replace_all(t, MARK_STEM, stem);
        if (!argv[i] || strchr(argv[i], '\001')) {
            dcc_argv_free(argv);
            argv = NULL;
        }
    }
    free(stem);
    json_decref(doc);
    return argv;
}
#else
char **dcc_cc1_argv(char *const *cpp_argv, const char *input, const char *output, const char *dir)
{
    (void)cpp_argv, (void)input, (void)output, (void)dir;
    return NULL;
}
#endif
