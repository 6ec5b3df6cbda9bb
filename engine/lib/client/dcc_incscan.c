/* Pump mode's include scanner: system directories from the compiler, then a
 * lexer-level walk of #include lines that gives up whenever it is unsure. */
#include "client/dcc_incscan.h"

#include "base/dcc_exit.h"
#include "base/dcc_run.h"
#include "client/dcc_ppexpr.h"
#include "client/dcc_skel.h"
#include "proto/dcc_optcat.h"
#include "base/dcc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

#define FNV_OFFSET DCC_FNV1A_INIT
#define fnv1a dcc_fnv1a

/* Hashes s including its terminating NUL, so "ab","c" differs from "a","bc". */
static uint64_t fnv1a_str(uint64_t h, const char *s)
{
    return fnv1a(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

char *dcc_incscan_normalise(const char *base, const char *rel)
{
    size_t blen = rel[0] == '/' ? 0 : strlen(base);
    size_t rlen = strlen(rel);
    char *out = malloc(blen + rlen + 3);
    if (!out)
        return NULL;
    size_t len = 0;
    const char *parts[2] = {rel[0] == '/' ? "" : base, rel};
    size_t lens[2] = {blen, rlen};
    for (int k = 0; k < 2; k++) {
        const char *s = parts[k];
        size_t i = 0, n = lens[k];
        while (i < n) {
            while (i < n && s[i] == '/')
                i++;
            size_t start = i;
            while (i < n && s[i] != '/')
                i++;
            size_t clen = i - start;
            if (clen == 0 || (clen == 1 && s[start] == '.'))
                continue;
            if (clen == 2 && s[start] == '.' && s[start + 1] == '.') {
                while (len > 0 && out[len - 1] != '/')
                    len--;
                if (len > 0)
                    len--;
                continue;
            }
            out[len++] = '/';
            memcpy(out + len, s + start, clen);
            len += clen;
        }
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return out;
}

/* A hash map from byte strings (may hold NULs) to pointers. */
struct smap_slot {
    char *key; /* NULL: empty */
    size_t keylen;
    uint64_t hash;
    void *val;
};

struct smap {
    struct smap_slot *slots;
    size_t cap, n; /* cap is 0 or a power of two */
};

static struct smap_slot *smap_find(const struct smap *m, const char *key, size_t keylen,
                                   uint64_t hash)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = hash & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct smap_slot *s = &m->slots[i];
        if (!s->key)
            return s;
        if (s->hash == hash && s->keylen == keylen && memcmp(s->key, key, keylen) == 0)
            return s;
    }
}

/* The value for key, or NULL when absent. */
static void *smap_get(const struct smap *m, const char *key, size_t keylen)
{
    struct smap_slot *s = smap_find(m, key, keylen, fnv1a(FNV_OFFSET, key, keylen));
    return s && s->key ? s->val : NULL;
}

static int smap_grow(struct smap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct smap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    struct smap old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].key)
            *smap_find(m, old.slots[i].key, old.slots[i].keylen, old.slots[i].hash) = old.slots[i];
    }
    free(old.slots);
    return 0;
}

/* Sets key to val (copying the key). 0, or -1 on ENOMEM. */
static int smap_put(struct smap *m, const char *key, size_t keylen, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3 && smap_grow(m) != 0)
        return -1;
    uint64_t hash = fnv1a(FNV_OFFSET, key, keylen);
    struct smap_slot *s = smap_find(m, key, keylen, hash);
    if (s->key) {
        s->val = val;
        return 0;
    }
    char *copy = malloc(keylen + 1);
    if (!copy)
        return -1;
    memcpy(copy, key, keylen);
    copy[keylen] = '\0';
    *s = (struct smap_slot){copy, keylen, hash, val};
    m->n++;
    return 0;
}

static void smap_free(struct smap *m, int free_values)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        if (free_values)
            free(m->slots[i].val);
    }
    free(m->slots);
    *m = (struct smap){0};
}

static int ptrvec_push(void ***v, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        void **nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = p;
    return 0;
}

/* Room for one more element of size bytes in *v. 0, or -1 on ENOMEM. */
static int grow_array(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *nv = realloc(*v, c * size);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

void dcc_inc_list_free(struct dcc_inc_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
    *l = (struct dcc_inc_list){0};
}

static int inc_list_add(struct dcc_inc_list *l, enum dcc_inc_kind kind, const char *path)
{
    if (l->n == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 32;
        struct dcc_inc_entry *nv = realloc(l->v, c * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = c;
    }
    char *copy = strdup(path);
    if (!copy)
        return -1;
    l->v[l->n++] = (struct dcc_inc_entry){kind, copy};
    return 0;
}

/* ------------------------------------------------------------------ */
/* the compiler's system directories                                   */

/* The catalogue's reading of one option word, as either driver may read it
 * (the client cannot tell which one "cc" is); 0 and w empty for a word
 * it does not know, which then takes no value. */
static int job_option(const char *word, struct dcc_optcat_word *w)
{
    return dcc_optcat_lookup(word, DCC_OPT_DRIVERS, w);
}

static const struct suffix_lang {
    const char *suffix;
    const char *lang;
} suffix_langs[] = {
    {".c", "c"},           {".cc", "c++"},           {".cp", "c++"},          {".cxx", "c++"},
    {".cpp", "c++"},       {".CPP", "c++"},          {".c++", "c++"},         {".C", "c++"},
    {".m", "objective-c"}, {".mm", "objective-c++"}, {".M", "objective-c++"},
};

static const char *lang_of_source(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof suffix_langs / sizeof *suffix_langs; i++)
        if (strcmp(dot, suffix_langs[i].suffix) == 0)
            return suffix_langs[i].lang;
    return NULL;
}

/* Collects into *opts (pointers into argv) the options passed to the compiler's
 * -v run, and the language. 0, or -1 on ENOMEM. */
/* Options that change the compiler's predefined macros: -O2 (__OPTIMIZE__),
 * -fPIC (__PIC__), -std=, -m..., -pthread (_REENTRANT), -undef ... -D and -U
 * are not among them: the scanner applies them itself, so one answer serves
 * every file of a build. */
static const struct macro_option {
    const char *name;
    int prefix;
} macro_options[] = {
    {"-O", 1},    {"-f", 1},     {"-m", 1},        {"-std", 1},      {"--std", 1},
    {"-ansi", 0}, {"-undef", 0}, {"-pthread", 0},  {"-target", 0},   {"--target", 1},
    {"-p", 0},    {"-pg", 0},    {"--sysroot", 1}, {"-isysroot", 1}, {"-nostdinc", 1},
};

static int changes_macros(const char *a)
{
    for (size_t i = 0; i < sizeof macro_options / sizeof *macro_options; i++) {
        const struct macro_option *m = &macro_options[i];
        if (m->prefix ? dcc_str_startswith(a, m->name) : strcmp(a, m->name) == 0)
            return 1;
    }
    return 0;
}

/* The options of the -dM and -v runs (the same). */
static int sysdir_options(char *const *argv, const char ***opts, size_t *nopts, const char **lang)
{
    size_t cap = 0;
    const char *xlang = NULL, *srclang = NULL;
    *opts = NULL;
    *nopts = 0;
    for (size_t i = 1; argv[0] && argv[i]; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            const char *l = lang_of_source(a);
            if (l)
                srclang = l;
            continue;
        }
        struct dcc_optcat_word w;
        job_option(a, &w);
        int with_next = w.sep && argv[i + 1];
        if (dcc_optcat_is(&w, "-x")) {
            const char *v = w.sep ? argv[i + 1] : w.value;
            i += (size_t)with_next;
            if (v)
                xlang = strcmp(v, "none") == 0 ? NULL : v;
            continue;
        }
        /* only the options that change the compiler's own directories
         * (-nostdinc, --sysroot, -target, -m...) go to its -v run */
        /* Both runs get both kinds: -mcmodel=kernel fails without the
         * job's -fno-PIE, and -m32 changes the macros too. */
        int wanted = changes_macros(a) || (w.opt && (w.opt->roles & DCC_ROLE_SYSDIRS));
        if (!wanted) {
            i += (size_t)with_next;
            continue;
        }
        for (int k = 0; k <= with_next; k++) {
            if (ptrvec_push((void ***)opts, nopts, &cap, (void *)argv[i + (size_t)k]) != 0) {
                free(*opts);
                *opts = NULL;
                return -1;
            }
        }
        i += (size_t)with_next;
    }
    *lang = xlang ? xlang : srclang ? srclang : "c";
    return 0;
}

/* The compiler's -v run sees LC_ALL=C and none of the locale and
 * include-path variables. */
static const char *const sysdir_env[] = {"LC_MESSAGES",
                                         "LANGUAGE",
                                         "LANG",
                                         "CPATH",
                                         "C_INCLUDE_PATH",
                                         "CPLUS_INCLUDE_PATH",
                                         "OBJC_INCLUDE_PATH",
                                         "DEPENDENCIES_OUTPUT",
                                         "SUNPRO_DEPENDENCIES",
                                         "LC_ALL=C",
                                         NULL};

/* Runs the compiler with stdout and stdin on /dev/null and its stderr read
 * into out. Returns 0 with *status, or a dcc_exit code with err. */
static int sysdir_run(char *const *cmd, struct dcc_buf *out, int *status, char *err, size_t errlen)
{
    /* In the client's own process group and with its ignored signals, like
     * the compile itself; a -v listing is a few kB, and more is not a
     * compiler we understand. */
    struct dcc_run_opts o = {
        .argv = cmd,
        .env_set = sysdir_env,
        .err = DCC_RUN_CAPTURE,
        .err_buf = out,
        .cap = 1u << 20,
        .flags = DCC_RUN_SAME_GROUP | DCC_RUN_KEEP_SIGNALS | DCC_RUN_TRUNCATE,
    };
    switch (dcc_run(&o, status, err, errlen)) {
    case DCC_RUN_OK:
        return 0;
    case DCC_RUN_NOMEM:
        return DCC_EXIT_OUT_OF_MEMORY;
    case DCC_RUN_LOST:
        return DCC_EXIT_DISTCC_FAILED;
    default:
        return DCC_EXIT_COMPILER_MISSING;
    }
}

/* Parses the "#include <...> search starts here:" block of text (NUL-
 * terminated). With cache_format, text is instead our cache file. Returns
 * a NULL-terminated array, or NULL with *bad set when it does not parse,
 * or NULL with *bad clear on ENOMEM. */
static char **sysdir_parse(const char *text, int cache_format, int *bad)
{
    static const char begin[] = "#include <...> search starts here:";
    static const char end[] = "End of search list.";
    static const char cache_begin[] = "dcc-incscan-sysdirs 1";
    const char *first = cache_format ? cache_begin : begin;
    const char *last = cache_format ? "." : end;
    char **dirs = NULL;
    size_t n = 0, cap = 0;
    int in_list = 0, done = 0;
    *bad = 1;
    for (const char *line = text; *line && !done;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len && line[len - 1] == '\r')
            len--;
        if (!in_list) {
            if (len == strlen(first) && memcmp(line, first, len) == 0)
                in_list = 1;
            else if (cache_format)
                goto bad;
        } else if (len == strlen(last) && memcmp(line, last, len) == 0) {
            done = 1;
            if (cache_format && nl && nl[1])
                goto bad;
        } else {
            const char *d = line;
            if (!cache_format) {
                if (len == 0 || d[0] != ' ')
                    goto bad;
                while (len && *d == ' ') {
                    d++;
                    len--;
                }
                static const char fw[] = " (framework directory)";
                if (len > strlen(fw) && memcmp(d + len - strlen(fw), fw, strlen(fw)) == 0)
                    len -= strlen(fw);
            }
            if (len == 0 || d[0] != '/' || memchr(d, '\0', len))
                goto bad;
            char *raw = strndup(d, len);
            char *norm = raw ? dcc_incscan_normalise("/", raw) : NULL;
            free(raw);
            if (!norm)
                goto nomem;
            int dup = 0;
            for (size_t i = 0; i < n && !dup; i++)
                dup = strcmp(dirs[i], norm) == 0;
            if (dup) {
                free(norm);
            } else if (ptrvec_push((void ***)&dirs, &n, &cap, norm) != 0) {
                free(norm);
                goto nomem;
            }
        }
        line = nl ? nl + 1 : line + len;
        if (!nl)
            break;
    }
    if (!done)
        goto bad;
    if (ptrvec_push((void ***)&dirs, &n, &cap, NULL) != 0)
        goto nomem;
    *bad = 0;
    return dirs;
nomem:
    *bad = 0;
bad:
    for (size_t i = 0; i < n; i++)
        free(dirs[i]);
    free(dirs);
    return NULL;
}

/* Best effort: a cache that cannot be written only costs a compiler run.
 * Written under a temporary name and renamed, so readers see all or nothing. */
static void cache_write(const char *cache_dir, const char *path, const struct dcc_buf *b)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s/.cache-XXXXXX", cache_dir) < 0)
        return;
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        size_t off = 0;
        while (off < b->len) {
            ssize_t w = write(fd, b->data + off, b->len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        int closed = close(fd) == 0;
        if (off != b->len || !closed || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(tmp);
}

static void sysdir_cache_write(const char *cache_dir, const char *path, char *const *dirs)
{
    struct dcc_buf b = {0};
    int ok = dcc_buf_appends(&b, "dcc-incscan-sysdirs 1\n") == 0;
    for (size_t i = 0; ok && dirs[i]; i++) {
        if (strchr(dirs[i], '\n'))
            ok = 0;
        else
            ok = dcc_buf_printf(&b, "%s\n", dirs[i]) == 0;
    }
    ok = ok && dcc_buf_appends(&b, ".\n") == 0;
    if (ok)
        cache_write(cache_dir, path, &b);
    dcc_buf_free(&b);
}

/* Reads a cache file; NULL when absent, unreadable or malformed. */
static char **sysdir_cache_read(const char *path, int *nomem)
{
    *nomem = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct dcc_buf b = {0};
    char ignored[64];
    int r = dcc_read_regular_fd(fd, path, 1u << 20, "a sysdirs cache", &b, ignored, sizeof ignored);
    close(fd);
    char **dirs = NULL;
    if (r == 0 && b.data) {
        int bad;
        dirs = sysdir_parse(b.data, 1, &bad);
        *nomem = !dirs && !bad;
    }
    dcc_buf_free(&b);
    return dirs;
}

/* The cache key of one question to the compiler: what it is (path and
 * identity), the options and language it is asked with, and the environment
 * that changes where it looks. */
static uint64_t compiler_hash(const char *tag, const char *compiler_path, const struct stat *st,
                              const char **opts, size_t nopts, const char *lang)
{
    char ident[160];
    snprintf(ident, sizeof ident, "%ju %ju %jd %jd.%09ld", (uintmax_t)st->st_dev,
             (uintmax_t)st->st_ino, (intmax_t)st->st_size, (intmax_t)st->st_mtim.tv_sec,
             (long)st->st_mtim.tv_nsec);
    uint64_t h = fnv1a_str(FNV_OFFSET, tag);
    h = fnv1a_str(h, compiler_path);
    h = fnv1a_str(h, ident);
    for (size_t i = 0; i < nopts; i++)
        h = fnv1a_str(h, opts[i]);
    h = fnv1a_str(h, "-x");
    h = fnv1a_str(h, lang);
    h = fnv1a_str(h, getenv("GCC_EXEC_PREFIX"));
    return fnv1a_str(h, getenv("COMPILER_PATH"));
}

/* One question to the compiler (its directories, its macros): the options
 * it is asked with, and where the answer is cached. */
struct question {
    const char **opts, *lang;
    size_t nopts;
    char *cache_path; /* NULL: not cached */
};

/* 0, or an exit code with err. */
static int question_start(struct question *q, const char *compiler_path, char *const *argv,
                          int for_macros, const char *cache_dir, const char *tag, char *err,
                          size_t errlen)
{
    *q = (struct question){0};
    struct stat st;
    if (stat(compiler_path, &st) != 0) {
        dcc_set_err(err, errlen, "cannot run %s: %s", compiler_path, strerror(errno));
        return DCC_EXIT_COMPILER_MISSING;
    }
    if (sysdir_options(argv, &q->opts, &q->nopts, &q->lang) != 0)
        goto nomem;
    if (cache_dir) {
        uint64_t h = compiler_hash(tag, compiler_path, &st, q->opts, q->nopts, q->lang);
        if (asprintf(&q->cache_path, "%s/%s-%016" PRIx64, cache_dir,
                     for_macros ? "predefs" : "sysdirs", h) < 0) {
            q->cache_path = NULL;
            goto nomem;
        }
    }
    return 0;
nomem:
    free(q->opts);
    *q = (struct question){0};
    dcc_set_err(err, errlen, "out of memory");
    return DCC_EXIT_OUT_OF_MEMORY;
}

/* COMPILER OPTS then the tail (NULL-terminated); NULL on ENOMEM. */
static const char **question_cmd(const struct question *q, const char *compiler_path,
                                 const char *const *tail)
{
    size_t ntail = 0;
    while (tail[ntail])
        ntail++;
    const char **cmd = malloc((q->nopts + ntail + 2) * sizeof *cmd);
    if (!cmd)
        return NULL;
    size_t k = 0;
    cmd[k++] = compiler_path;
    for (size_t i = 0; i < q->nopts; i++)
        cmd[k++] = q->opts[i];
    for (size_t i = 0; i < ntail; i++)
        cmd[k++] = tail[i];
    cmd[k] = NULL;
    return cmd;
}

int dcc_incscan_sysdirs(const char *compiler_path, char *const *argv, const char *cache_dir,
                        char ***dirs, char *err, size_t errlen)
{
    *dirs = NULL;
    struct question q;
    int rc = question_start(&q, compiler_path, argv, 0, cache_dir, "dcc-incscan-sysdirs 1", err,
                            errlen);
    if (rc != 0)
        return rc;
    const char *lang = q.lang, *cache_path = q.cache_path;
    if (cache_path) {
        int nomem;
        *dirs = sysdir_cache_read(cache_path, &nomem);
        if (*dirs)
            goto out;
        if (nomem) {
            rc = DCC_EXIT_OUT_OF_MEMORY;
            dcc_set_err(err, errlen, "out of memory");
            goto out;
        }
    }

    const char *tail[] = {"-E", "-v", "-x", lang, "/dev/null", NULL};
    const char **cmd = question_cmd(&q, compiler_path, tail);
    if (!cmd) {
        rc = DCC_EXIT_OUT_OF_MEMORY;
        dcc_set_err(err, errlen, "out of memory");
        goto out;
    }
    struct dcc_buf text = {0};
    int status = 0;
    rc = sysdir_run((char *const *)cmd, &text, &status, err, errlen);
    free(cmd);
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        dcc_set_err(err, errlen,
                    "%s -E -v -x %s /dev/null failed (%s %d) while listing its include directories",
                    compiler_path, lang, WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status)     ? WEXITSTATUS(status)
                    : WIFSIGNALED(status) ? WTERMSIG(status)
                                          : -1);
        rc = DCC_EXIT_DISTCC_FAILED;
    }
    if (rc == 0) {
        int bad;
        *dirs = sysdir_parse(text.data ? text.data : "", 0, &bad);
        if (!*dirs && bad) {
            dcc_set_err(err, errlen, "%s -v printed no \"#include <...> search starts here:\" list",
                        compiler_path);
            rc = DCC_EXIT_DISTCC_FAILED;
        } else if (!*dirs) {
            dcc_set_err(err, errlen, "out of memory");
            rc = DCC_EXIT_OUT_OF_MEMORY;
        }
    }
    dcc_buf_free(&text);
    if (rc == 0 && cache_path)
        sysdir_cache_write(cache_dir, cache_path, *dirs);
out:
    free(q.cache_path);
    free(q.opts);
    return rc;
}

static const char predefs_magic[] = "dcc-incscan-predefs 1\n";

int dcc_incscan_predefs(const char *compiler_path, char *const *argv, const char *cache_dir,
                        char **text, char *err, size_t errlen)
{
    *text = NULL;
    struct question q;
    int rc = question_start(&q, compiler_path, argv, 1, cache_dir, predefs_magic, err, errlen);
    if (rc != 0)
        return rc;
    const char *lang = q.lang, *cache_path = q.cache_path;
    struct dcc_buf b = {0};
    if (cache_path) {
        int fd = open(cache_path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char ignored[64];
            int r = dcc_read_regular_fd(fd, cache_path, 4u << 20, "a predefined macros cache", &b,
                                        ignored, sizeof ignored);
            close(fd);
            if (r == 0 && b.len >= sizeof predefs_magic - 1 &&
                memcmp(b.data, predefs_magic, sizeof predefs_magic - 1) == 0) {
                *text = strdup(b.data + sizeof predefs_magic - 1);
                rc = *text ? 0 : DCC_EXIT_OUT_OF_MEMORY;
                goto out;
            }
            dcc_buf_free(&b);
        }
    }
    const char *tail[] = {"-x", lang, "-dM", "-E", "/dev/null", NULL};
    const char **cmd = question_cmd(&q, compiler_path, tail);
    if (!cmd) {
        rc = DCC_EXIT_OUT_OF_MEMORY;
        goto out;
    }
    struct dcc_run_opts o = {
        .argv = (char *const *)cmd,
        .env_set = sysdir_env,
        .out = DCC_RUN_CAPTURE,
        .out_buf = &b,
        .cap = 4u << 20,
        .flags = DCC_RUN_SAME_GROUP | DCC_RUN_KEEP_SIGNALS,
    };
    int status = 0;
    enum dcc_run_end end = dcc_run(&o, &status, err, errlen);
    free(cmd);
    if (end == DCC_RUN_NOMEM) {
        rc = DCC_EXIT_OUT_OF_MEMORY;
        goto out;
    }
    if (end != DCC_RUN_OK) {
        rc = DCC_EXIT_COMPILER_MISSING;
        goto out;
    }
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) || !b.data) {
        dcc_set_err(err, errlen, "%s -x %s -dM -E /dev/null failed while listing its macros",
                    compiler_path, lang);
        rc = DCC_EXIT_DISTCC_FAILED;
        goto out;
    }
    *text = strdup(b.data);
    if (!*text) {
        rc = DCC_EXIT_OUT_OF_MEMORY;
        goto out;
    }
    if (cache_path) {
        struct dcc_buf c = {0};
        if (dcc_buf_appends(&c, predefs_magic) == 0 && dcc_buf_append(&c, b.data, b.len) == 0)
            cache_write(cache_dir, cache_path, &c);
        dcc_buf_free(&c);
    }
out:
    if (rc == DCC_EXIT_OUT_OF_MEMORY)
        dcc_set_err(err, errlen, "out of memory");
    dcc_buf_free(&b);
    free(q.cache_path);
    free(q.opts);
    return rc;
}

/* ------------------------------------------------------------------ */
/* the scanner                                                         */

/* A file seen during the scan. */
struct incfile {
    char *path;                /* normalised absolute; the files map owns it */
    size_t dirlen;             /* path[0..dirlen) is its directory ("" for the root) */
    const unsigned char *skel; /* its skeleton (directives and where text is), made or
                                * found once per scan */
    size_t skellen;
    unsigned char *skel_own; /* skel when made here (else it lives in the pack) */
    char *guard;             /* G when all of it sits under #ifndef G ... #endif */
    unsigned walking;        /* readings of it in progress (it may include itself) */
    unsigned listed : 1, read : 1, unreadable : 1, once : 1, entered_certain : 1;
};

/* Where #include_next in a file continues, as gcc does: the chain index after
 * the directory the file was found in (0 when found next to its includer),
 * or NEXT_NONE when it was not found by a search (it then acts as #include). */
#define NEXT_NONE SIZE_MAX

/* One directory of the search chain. */
struct chain_dir {
    char *path;
    int sys; /* a compiler default directory: files found here are not sent */
};

/* What one (chain start, name) lookup found. */
struct lookup_hit {
    struct incfile *f; /* NULL: found nowhere */
    size_t idx;        /* chain index it was found in */
    int kind;          /* PROBE_* */
    int err;           /* errno with PROBE_ERROR */
};

enum { PROBE_MISSING = 1, PROBE_FILE, PROBE_DIR, PROBE_OTHER, PROBE_ERROR };

/* One reading of a file. */
struct queued {
    struct incfile *f;
    int user;
    size_t next; /* for #include_next in this reading of f */
};

/* gcc's limit of nested #include */
#define MAX_INCLUDE_DEPTH 200
/* Files read in one scan, counting every reading: conditions the scan
 * cannot decide may make it read the same headers again and again. */
#define MAX_WALKS 50000

/* What the job's language and -std= make of the source text. */
struct lex_mode {
    unsigned raw_strings : 1, digraphs : 1, trigraphs : 1, digit_separators : 1;
};

struct scanner {
    const char *cwd;
    size_t cwdlen;
    struct chain_dir *chain;
    size_t nchain, bracket_start;
    int chain_has_user; /* a computed include in a system header could reach a user file */
    struct lex_mode mode;
    struct smap files;   /* normalised path -> struct incfile */
    struct smap probes;  /* raw path -> PROBE_* | errno << 4 */
    struct smap lookups; /* chain start (size_t bytes), then the name -> struct lookup_hit */
    struct smap dirset;  /* listed directories -> (void *)1 */
    struct incfile **listed;
    size_t nlisted, caplisted;
    const char **dirs; /* keys of dirset, in discovery order */
    size_t ndirs, capdirs;
    struct dcc_pp *pp;                    /* the macros as the walk goes */
    unsigned depth;                       /* of nested files */
    unsigned long walks;                  /* files read so far, each reading counted */
    struct dcc_buf line;                  /* scratch: an #if line, an include name */
    struct dcc_buf path;                  /* scratch: a joined path */
    const char *cache_dir;                /* pump's directory: the skeleton pack; NULL: none */
    struct dcc_skel_pack *pack;           /* opened once the lexing mode is known */
    unsigned long pack_hits, pack_misses; /* files taken from it, files lexed */
    struct dcc_skel_pack *lookpack;       /* the build's include lookups; NULL: none */
    struct smap dirids;                   /* directory path -> struct dir_id, once per scan */
    unsigned long look_hits, look_misses; /* lookups taken from it, stat()ed here */
    int64_t now;                          /* CLOCK_REALTIME seconds at the scan's start */
    char *why;
    size_t whylen;
};

static int is_ident(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c >= 0x80;
}

/* gcc ignores NUL bytes like blanks (with a warning). */
static int is_hblank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r' || c == '\0';
}

/* How the user sees a path in a message: relative to cwd when under it. */
static const char *shown(const struct scanner *s, const char *path)
{
    if (s->cwdlen == 1 && path[0] == '/' && path[1])
        return path + 1;
    if (strncmp(path, s->cwd, s->cwdlen) == 0 && path[s->cwdlen] == '/' && path[s->cwdlen + 1])
        return path + s->cwdlen + 1;
    return path;
}

static unsigned line_of(const char *b, size_t pos)
{
    unsigned line = 1;
    for (const char *p = b; (p = memchr(p, '\n', (size_t)(b + pos - p))) != NULL; p++)
        line++;
    return line;
}

__attribute__((format(printf, 2, 3))) static int give_up(struct scanner *s, const char *fmt, ...)
{
    if (s->why && s->whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->why, s->whylen, fmt, ap);
        va_end(ap);
    }
    return 1;
}

/* s->path = dir "/" name (NUL-terminated). 0 or -1. */
static int join_path(struct scanner *s, const char *dir, const char *name, size_t namelen)
{
    s->path.len = 0;
    if (dcc_buf_appends(&s->path, dir) != 0)
        return -1;
    if (!(s->path.len && s->path.data[s->path.len - 1] == '/') &&
        dcc_buf_append(&s->path, "/", 1) != 0)
        return -1;
    return dcc_buf_append(&s->path, name, namelen);
}

/* stat()s a raw path once per scan. Returns PROBE_*, -1 on ENOMEM. */
static int probe(struct scanner *s, const char *raw, int *err)
{
    size_t len = strlen(raw);
    void *v = smap_get(&s->probes, raw, len);
    if (!v) {
        struct stat st;
        uintptr_t kind, e = 0;
        if (stat(raw, &st) == 0)
            kind = S_ISREG(st.st_mode) ? PROBE_FILE : S_ISDIR(st.st_mode) ? PROBE_DIR : PROBE_OTHER;
        else if (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG)
            kind = PROBE_MISSING;
        else {
            kind = PROBE_ERROR;
            e = (uintptr_t)errno;
        }
        v = (void *)(kind | e << 4);
        if (smap_put(&s->probes, raw, len, v) != 0)
            return -1;
    }
    *err = (int)((uintptr_t)v >> 4);
    return (int)((uintptr_t)v & 15);
}

/* The lookup pack (dcc_skel_open_named "lookups") remembers what a
 * stat() of DIR/NAME found, keyed by DIR's length and that path, checked
 * against DIR's
 * status now (device, inode, size, mtime, ctime: a name created, removed or
 * renamed in DIR changes its mtime and ctime). NAME with a '/' also
 * depends on the directories it passes through: the payload lists those
 * that existed (struct lookup_prefix), each checked the same way; one that
 * did not exist is covered by its parent's status. An entry is only made
 * when every directory involved last changed at least DCC_SKEL_RACY_S
 * seconds before the scan started, and its status was taken before the
 * lookup: a change in the same timestamp tick cannot hide. */
struct dir_id {
    int usable; /* a directory, stat()ed, not racy */
    int absent; /* nothing there (ENOENT, ENOTDIR) or not a directory, and
                 * not a symbolic link (whose target may become one) */
    struct stat st;
};

struct lookup_prefix {
    uint32_t at, pad; /* the '/' in NAME that ends the prefix */
    uint64_t dev, ino;
    int64_t size, mtime_s, mtime_ns, ctime_s, ctime_ns;
};

_Static_assert(sizeof(struct lookup_prefix) == 64, "no padding: kept as bytes");

#define LOOKUP_PACK_NAME "lookups"

/* The status of a directory path, stat()ed once per scan. NULL on ENOMEM. */
static const struct dir_id *dir_status(struct scanner *s, const char *path, size_t len)
{
    struct dir_id *d = smap_get(&s->dirids, path, len);
    if (d)
        return d;
    if (!(d = calloc(1, sizeof *d)))
        return NULL;
    char *z = strndup(path, len);
    if (!z) {
        free(d);
        return NULL;
    }
    struct stat lst;
    if (stat(z, &d->st) == 0 && S_ISDIR(d->st.st_mode)) {
        d->usable = (int64_t)d->st.st_ctim.tv_sec + DCC_SKEL_RACY_S <= s->now &&
                    (int64_t)d->st.st_mtim.tv_sec + DCC_SKEL_RACY_S <= s->now;
    } else {
        d->absent = (d->st.st_mode || errno == ENOENT || errno == ENOTDIR) &&
                    !(lstat(z, &lst) == 0 && S_ISLNK(lst.st_mode));
    }
    free(z);
    if (smap_put(&s->dirids, path, len, d) != 0) {
        free(d);
        return NULL;
    }
    return d;
}

static int same_dir(const struct lookup_prefix *x, const struct stat *st)
{
    return x->dev == (uint64_t)st->st_dev && x->ino == (uint64_t)st->st_ino &&
           x->size == (int64_t)st->st_size && x->mtime_s == (int64_t)st->st_mtim.tv_sec &&
           x->mtime_ns == (int64_t)st->st_mtim.tv_nsec &&
           x->ctime_s == (int64_t)st->st_ctim.tv_sec && x->ctime_ns == (int64_t)st->st_ctim.tv_nsec;
}

/* The status of dir/name[0..at) (a prefix of a name looked up). */
static const struct dir_id *prefix_status(struct scanner *s, const char *dir, const char *name,
                                          size_t at)
{
    struct dcc_buf b = {0};
    const struct dir_id *d = NULL;
    if (dcc_buf_appends(&b, dir) == 0 &&
        (b.len && b.data[b.len - 1] == '/' ? 0 : dcc_buf_append(&b, "/", 1)) == 0 &&
        dcc_buf_append(&b, name, at) == 0)
        d = dir_status(s, b.data, b.len);
    dcc_buf_free(&b);
    return d;
}

/* A kept lookup of dir/name is still true: 1, 0 (it is not), -1 ENOMEM. */
static int lookup_still_true(struct scanner *s, const char *dir, const char *name, size_t namelen,
                             const unsigned char *k, size_t n)
{
    if (n < 1 || (n - 1) % sizeof(struct lookup_prefix) != 0 ||
        (k[0] != PROBE_MISSING && k[0] != PROBE_FILE && k[0] != PROBE_DIR && k[0] != PROBE_OTHER))
        return 0;
    for (size_t off = 1; off < n; off += sizeof(struct lookup_prefix)) {
        struct lookup_prefix x;
        memcpy(&x, k + off, sizeof x);
        if (x.at == 0 || x.at >= namelen || name[x.at] != '/')
            return 0;
        const struct dir_id *d = prefix_status(s, dir, name, x.at);
        if (!d)
            return -1;
        if (!d->usable || !same_dir(&x, &d->st))
            return 0;
    }
    return 1;
}

/* probe() of dir "/" name through the build's lookup pack: s->path holds
 * the joined path on return. Returns PROBE_*, -1 on ENOMEM. */
static int probe_in(struct scanner *s, const char *dir, const char *name, size_t namelen, int *err)
{
    if (join_path(s, dir, name, namelen) != 0)
        return -1;
    if (!s->lookpack || smap_get(&s->probes, s->path.data, s->path.len))
        return probe(s, s->path.data, err);
    /* The key names the split too ("DIRLEN:DIR/NAME"): the same path
     * looked up from another directory is checked against another one. */
    char *raw = strdup(s->path.data), *key = NULL;
    struct dcc_buf pre = {0};
    int kind = -1;
    size_t dirlen = strlen(dir);
    if (raw && asprintf(&key, "%zu:%s", dirlen, raw) < 0)
        key = NULL; /* asprintf leaves it undefined */
    const struct dir_id *d = key ? dir_status(s, dir, dirlen) : NULL;
    if (!d)
        goto out;
    if (d->usable) {
        const unsigned char *k;
        size_t n;
        int r = dcc_skel_find(s->lookpack, key, &d->st, &k, &n);
        if (r == 1)
            r = lookup_still_true(s, dir, name, namelen, k, n);
        if (r < 0)
            goto out;
        if (r == 1) {
            s->look_hits++;
            *err = 0;
            kind = k[0];
            if (smap_put(&s->probes, raw, strlen(raw), (void *)(uintptr_t)kind) != 0)
                kind = -1;
            goto out;
        }
    }
    /* The directories' status before the lookup, then the lookup. */
    int keep = d->usable && dcc_buf_append(&pre, "", 1) == 0;
    for (size_t at = 1; keep && at < namelen; at++) {
        if (name[at] != '/')
            continue;
        const struct dir_id *pd = prefix_status(s, dir, name, at);
        if (!pd)
            goto out;
        if (!pd->usable) {
            /* absent or not a directory: its parent's status covers it;
             * racy or unreadable: nothing is kept */
            keep = pd->absent;
            break;
        }
        struct lookup_prefix x = {.at = (uint32_t)at,
                                  .dev = (uint64_t)pd->st.st_dev,
                                  .ino = (uint64_t)pd->st.st_ino,
                                  .size = (int64_t)pd->st.st_size,
                                  .mtime_s = (int64_t)pd->st.st_mtim.tv_sec,
                                  .mtime_ns = (int64_t)pd->st.st_mtim.tv_nsec,
                                  .ctime_s = (int64_t)pd->st.st_ctim.tv_sec,
                                  .ctime_ns = (int64_t)pd->st.st_ctim.tv_nsec};
        if (dcc_buf_append(&pre, &x, sizeof x) != 0)
            goto out;
    }
    kind = probe(s, raw, err);
    /* A symbolic link's target can change (or appear) while its
     * directory does not: not kept. */
    struct stat lst;
    if (keep && lstat(raw, &lst) == 0 && S_ISLNK(lst.st_mode))
        keep = 0;
    if (kind > 0 && kind != PROBE_ERROR && keep) {
        s->look_misses++;
        pre.data[0] = (char)kind;
        if (dcc_skel_add(s->lookpack, key, &d->st, s->now, 0, pre.data, pre.len) != 0)
            kind = -1;
    }
out:
    dcc_buf_free(&pre);
    free(raw);
    free(key);
    return kind;
}

/* The file record for a normalised path (takes norm). NULL on ENOMEM. */
static struct incfile *intern(struct scanner *s, char *norm)
{
    size_t len = strlen(norm);
    struct incfile *f = smap_get(&s->files, norm, len);
    if (f) {
        free(norm);
        return f;
    }
    f = calloc(1, sizeof *f);
    if (!f || smap_put(&s->files, norm, len, f) != 0) {
        free(f);
        free(norm);
        return NULL;
    }
    f->path = smap_find(&s->files, norm, len, fnv1a(FNV_OFFSET, norm, len))->key;
    free(norm);
    const char *slash = strrchr(f->path, '/');
    f->dirlen = (size_t)(slash - f->path);
    return f;
}

/* gcc resolves ".." physically: a user path is only sent under its lexical
 * name when no symbolic link is involved. 0, 1 (gave up) or -1. */
static int check_physical(struct scanner *s, const char *raw, const char *norm)
{
    char *real = realpath(raw, NULL);
    if (!real) {
        if (errno == ENOMEM)
            return -1;
        return give_up(s, "%s: cannot resolve: %s", shown(s, norm), strerror(errno));
    }
    int same = strcmp(real, norm) == 0;
    int rc = same ? 0
                  : give_up(s, "%s is reached through a symbolic link (real path %s)",
                            shown(s, norm), real);
    free(real);
    return rc;
}

/* Lists a directory the helper must create. 0 or -1. */
static int add_dir(struct scanner *s, const char *norm)
{
    size_t len = strlen(norm);
    if (smap_get(&s->dirset, norm, len))
        return 0;
    if (smap_put(&s->dirset, norm, len, (void *)1) != 0)
        return -1;
    const char *key = smap_find(&s->dirset, norm, len, fnv1a(FNV_OFFSET, norm, len))->key;
    return ptrvec_push((void ***)&s->dirs, &s->ndirs, &s->capdirs, (void *)key);
}

/* "a/b/../../x.h" looked up in base passes through base/a and base/a/b:
 * they must exist on the helper too. 0 or -1. */
static int add_dotdot_dirs(struct scanner *s, const char *base, const char *name, size_t namelen)
{
    for (size_t i = 0; i + 1 < namelen; i++) {
        int at_start = i == 0 || name[i - 1] == '/';
        if (!at_start || name[i] != '.' || name[i + 1] != '.' ||
            (i + 2 < namelen && name[i + 2] != '/'))
            continue;
        if (i == 0)
            continue;
        char *prefix = strndup(name, i);
        char *norm = prefix ? dcc_incscan_normalise(base, prefix) : NULL;
        free(prefix);
        if (!norm || add_dir(s, norm) != 0) {
            free(norm);
            return -1;
        }
        free(norm);
    }
    return 0;
}

static int walk_file(struct scanner *s, struct incfile *f, int user, size_t next);

/* A user file: checked and listed once; walked when included (walk), not
 * when only __has_include asks. raw is the name gcc opens. */
static int add_user_file(struct scanner *s, struct incfile *f, const char *raw, size_t next,
                         int walk)
{
    if (!f->listed) {
        if (s->nlisted >= DCC_INCSCAN_MAX_FILES)
            return give_up(s, "more than %d files", DCC_INCSCAN_MAX_FILES);
        int rc = check_physical(s, raw, f->path);
        if (rc != 0)
            return rc;
        if (ptrvec_push((void ***)&s->listed, &s->nlisted, &s->caplisted, f) != 0)
            return -1;
        f->listed = 1;
    }
    return walk ? walk_file(s, f, 1, next) : 0;
}

/* Looks name up along the chain from index start, once per scan. */
static int chain_lookup(struct scanner *s, size_t start, const char *name, size_t namelen,
                        struct lookup_hit **out)
{
    s->line.len = 0;
    if (dcc_buf_append(&s->line, &start, sizeof start) != 0 ||
        dcc_buf_append(&s->line, name, namelen) != 0)
        return -1;
    struct lookup_hit *hit = smap_get(&s->lookups, s->line.data, s->line.len);
    if (hit) {
        *out = hit;
        return 0;
    }
    hit = calloc(1, sizeof *hit);
    if (!hit)
        return -1;
    for (size_t i = start; i < s->nchain; i++) {
        int e, kind = probe_in(s, s->chain[i].path, name, namelen, &e);
        if (kind < 0)
            goto nomem;
        if (kind == PROBE_MISSING || kind == PROBE_DIR)
            continue;
        hit->idx = i;
        hit->kind = kind;
        hit->err = e;
        if (kind != PROBE_ERROR) {
            hit->f = intern(s, dcc_incscan_normalise("/", s->path.data));
            if (!hit->f)
                goto nomem;
        }
        break;
    }
    /* The key is rebuilt: join_path and probe used the scratch buffers. */
    s->line.len = 0;
    if (dcc_buf_append(&s->line, &start, sizeof start) != 0 ||
        dcc_buf_append(&s->line, name, namelen) != 0 ||
        smap_put(&s->lookups, s->line.data, s->line.len, hit) != 0)
        goto nomem;
    *out = hit;
    return 0;
nomem:
    free(hit);
    return -1;
}

/* Where an include comes from, for resolving and for messages. */
struct include_site {
    const char *curdir;   /* searched first by a quoted name; NULL: none */
    int user;             /* from a user file (or the command line) */
    int cmdline;          /* -include / -imacros: absolute names are fine */
    const char *where;    /* for messages: the file shown, or "-include" */
    unsigned line;        /* of the directive; 0: none */
    size_t next;          /* where #include_next in this file searches (NEXT_NONE: as #include) */
    struct incfile *file; /* NULL for the command line */
};

/* give_up with "FILE:LINE: " (or "-include: ") in front. */
__attribute__((format(printf, 3, 4))) static int
give_up_at(struct scanner *s, const struct include_site *site, const char *fmt, ...)
{
    char msg[PATH_MAX + 200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (site->line)
        return give_up(s, "%s:%u: %s", site->where, site->line, msg);
    return give_up(s, "%s: %s", site->where, msg);
}

/* Resolves one include, lists what it finds and (walk) reads it. next_from:
 * for #include_next, the chain index where the search starts (NEXT_NONE: an
 * ordinary #include). *found (may be NULL): whether gcc finds it, or
 * DCC_PP_UNKNOWN. 0, 1 or -1. */
static int include_file(struct scanner *s, const struct include_site *site, const char *name,
                        size_t namelen, int angle, size_t next_from, int walk, int *found)
{
    int ignored;
    if (!found)
        found = &ignored;
    *found = DCC_PP_FALSE;
    const char *nul = memchr(name, '\0', namelen);
    if (nul) {
        if (site->user)
            return give_up_at(s, site, "a NUL byte in an #include name");
        namelen = (size_t)(nul - name); /* gcc opens the name cut there */
    }
    if (namelen == 0 || namelen > PATH_MAX)
        return 0; /* gcc rejects it too */
    if (name[0] == '/' && !site->cmdline) {
        if (site->user)
            return give_up_at(s, site, "#include of an absolute path %.*s", (int)namelen, name);
        *found = DCC_PP_UNKNOWN;
        return 0;
    }
    struct incfile *f = NULL;
    int kind = PROBE_MISSING, e = 0, in_curdir = 0, sys = !site->user;
    size_t next = name[0] == '/' ? NEXT_NONE
                                 : 0; /* gcc: a file found next to its includer goes on at 0 */
    const char *base = NULL;
    if (name[0] == '/' || (!angle && site->curdir && next_from == NEXT_NONE)) {
        base = name[0] == '/' ? "/" : site->curdir;
        kind = probe_in(s, base, name, namelen, &e);
        if (kind < 0)
            return -1;
        if (kind == PROBE_FILE || kind == PROBE_OTHER) {
            f = intern(s, dcc_incscan_normalise("/", s->path.data));
            if (!f)
                return -1;
            in_curdir = 1;
        } else if (kind != PROBE_ERROR) {
            kind = PROBE_MISSING;
        }
    }
    if (!f && kind != PROBE_ERROR && name[0] != '/') {
        struct lookup_hit *hit;
        size_t start = next_from != NEXT_NONE ? next_from : angle ? s->bracket_start : 0;
        if (chain_lookup(s, start, name, namelen, &hit) != 0)
            return -1;
        if (hit->kind == PROBE_ERROR || hit->f) {
            f = hit->f;
            kind = hit->kind;
            e = hit->err;
            base = s->chain[hit->idx].path;
            sys = s->chain[hit->idx].sys;
            next = hit->idx + 1;
        }
    }
    if (kind == PROBE_ERROR) {
        if (join_path(s, base, name, namelen) != 0)
            return -1;
        return give_up_at(s, site, "cannot look at %s: %s", s->path.data, strerror(e));
    }
    if (!f)
        return 0; /* gcc fails too; __has_include is false on the helper too */
    *found = DCC_PP_TRUE;
    if (kind == PROBE_OTHER) {
        if (sys)
            return 0;
        return give_up_at(s, site, "%s is not a regular file", shown(s, f->path));
    }
    if (sys)
        return walk ? walk_file(s, f, 0, next) : 0;
    if (in_curdir && name[0] != '/') {
        char *dir = dcc_incscan_normalise("/", site->curdir);
        int rc = dir ? add_dir(s, dir) : -1;
        free(dir);
        if (rc != 0)
            return -1;
    }
    if (add_dotdot_dirs(s, base, name, namelen) != 0)
        return -1;
    char *raw = NULL;
    if (join_path(s, base, name, namelen) != 0 || !(raw = strdup(s->path.data)))
        return -1;
    int rc = add_user_file(s, f, raw, next, walk);
    free(raw);
    return rc;
}

/* ---- lexing ---- */

/* Length of a backslash-newline at p (gcc allows blanks between), else 0. */
static size_t splice_len(const char *b, size_t n, size_t p)
{
    if (p >= n || b[p] != '\\')
        return 0;
    size_t q = p + 1;
    while (q < n && (b[q] == ' ' || b[q] == '\t' || b[q] == '\f' || b[q] == '\v'))
        q++;
    if (q < n && b[q] == '\r')
        q++;
    return q < n && b[q] == '\n' ? q + 1 - p : 0;
}

static size_t skip_splices(const char *b, size_t n, size_t p)
{
    size_t l;
    while ((l = splice_len(b, n, p)) != 0)
        p += l;
    return p;
}

/* The newline at q continues the logical line. */
static int newline_spliced(const char *b, size_t q)
{
    size_t i = q;
    if (i > 0 && b[i - 1] == '\r')
        i--;
    while (i > 0 && (b[i - 1] == ' ' || b[i - 1] == '\t' || b[i - 1] == '\f' || b[i - 1] == '\v'))
        i--;
    return i > 0 && b[i - 1] == '\\';
}

/* p is just after the opening slash-star; returns the position after its end. */
static size_t skip_block_comment(const char *b, size_t n, size_t p)
{
    for (;;) {
        const char *star = p < n ? memchr(b + p, '*', n - p) : NULL;
        if (!star)
            return n;
        size_t q = skip_splices(b, n, (size_t)(star - b) + 1);
        if (q < n && b[q] == '/')
            return q + 1;
        p = (size_t)(star - b) + 1;
    }
}

/* Returns the position of the newline that ends the logical line, or n. */
static size_t skip_to_eol(const char *b, size_t n, size_t p)
{
    for (;;) {
        const char *nl = p < n ? memchr(b + p, '\n', n - p) : NULL;
        if (!nl)
            return n;
        size_t q = (size_t)(nl - b);
        if (!newline_spliced(b, q))
            return q;
        p = q + 1;
    }
}

/* p is after the opening quote; an unterminated literal ends at the newline. */
static size_t skip_literal(const char *b, size_t n, size_t p, char quote)
{
    while (p < n) {
        char c = b[p];
        if (c == quote)
            return p + 1;
        if (c == '\n')
            return p;
        if (c == '\\') {
            size_t l = splice_len(b, n, p);
            p += l ? l : 2;
            continue;
        }
        p++;
    }
    return n;
}

/* At 'R' followed by '"': the end of a raw string R"delim(...)delim", or 0
 * when this is not one. Splices are not processed inside raw strings. */
static size_t skip_raw_string(const char *b, size_t n, size_t p)
{
    size_t j = p;
    while (j > 0 && p - j < 3 && is_ident((unsigned char)b[j - 1]))
        j--;
    size_t plen = p - j;
    if (j > 0 && is_ident((unsigned char)b[j - 1]))
        return 0;
    if (!(plen == 0 || (plen == 2 && b[j] == 'u' && b[j + 1] == '8') ||
          (plen == 1 && (b[j] == 'u' || b[j] == 'U' || b[j] == 'L'))))
        return 0;
    size_t d = p + 2, q = d;
    while (q < n && q - d <= 16 && b[q] != '(') {
        unsigned char c = (unsigned char)b[q];
        if (c <= ' ' || c == '\\' || c == ')' || c == '"' || c >= 0x7f)
            return 0;
        q++;
    }
    if (q >= n || b[q] != '(')
        return 0;
    size_t dlen = q - d;
    for (size_t r = q + 1; r < n;) {
        const char *close = memchr(b + r, ')', n - r);
        if (!close)
            return n;
        size_t c = (size_t)(close - b);
        if (c + 1 + dlen < n && memcmp(b + c + 1, b + d, dlen) == 0 && b[c + 1 + dlen] == '"')
            return c + 2 + dlen;
        r = c + 1;
    }
    return n;
}

/* Blanks, splices and block comments on a directive line. */
static size_t skip_hspace(const char *b, size_t n, size_t p)
{
    for (;;) {
        p = skip_splices(b, n, p);
        if (p >= n)
            return n;
        if (is_hblank((unsigned char)b[p])) {
            p++;
            continue;
        }
        if (b[p] == '/') {
            size_t q = skip_splices(b, n, p + 1);
            if (q < n && b[q] == '*') {
                p = skip_block_comment(b, n, q + 1);
                continue;
            }
        }
        return p;
    }
}

/* The rest of a logical line into s->line, comments as blanks. Returns the
 * position of its newline (or n), or (size_t)-1 on ENOMEM. */
static size_t extract_line(struct scanner *s, const char *b, size_t n, size_t p)
{
    s->line.len = 0;
    while (p < n) {
        char c = b[p];
        size_t l = splice_len(b, n, p);
        if (l) {
            p += l;
            continue;
        }
        if (c == '\n')
            break;
        size_t from = p, to = p + 1;
        if (c == '/') {
            size_t q = skip_splices(b, n, p + 1);
            if (q < n && b[q] == '*') {
                p = skip_block_comment(b, n, q + 1);
                if (dcc_buf_append(&s->line, " ", 1) != 0)
                    return (size_t)-1;
                continue;
            }
            if (q < n && b[q] == '/')
                return skip_to_eol(b, n, q + 1);
        } else if (c == '"' || c == '\'') {
            to = skip_literal(b, n, p + 1, c);
        }
        if (dcc_buf_append(&s->line, b + from, to - from) != 0)
            return (size_t)-1;
        p = to;
    }
    return p;
}

static int word_is(const char *w, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(w, lit, len) == 0;
}

/* Looks for __has_include in s->line (an #if, #elif or #define line). */
static int scan_has_include(struct scanner *s, const struct include_site *site)
{
    /* The names are copied out: include_file reuses s->line. */
    char *l = malloc(s->line.len + 1);
    if (!l)
        return -1;
    memcpy(l, s->line.data ? s->line.data : "", s->line.len);
    size_t len = s->line.len, i = 0;
    int after_defined = 0, rc = 0;
    while (i < len && rc == 0) {
        unsigned char c = (unsigned char)l[i];
        if (c == '"' || c == '\'') {
            i = skip_literal(l, len, i + 1, (char)c);
            after_defined = 0;
            continue;
        }
        if (!is_ident(c) || (c >= '0' && c <= '9')) {
            if (!(is_hblank(c) || c == '('))
                after_defined = 0;
            /* Skip a whole pp-number so "1__x" is not an identifier. */
            if (c >= '0' && c <= '9')
                while (i < len && is_ident((unsigned char)l[i]))
                    i++;
            else
                i++;
            continue;
        }
        size_t j = i;
        while (j < len && is_ident((unsigned char)l[j]))
            j++;
        const char *w = l + i;
        size_t wl = j - i;
        i = j;
        if (word_is(w, wl, "defined")) {
            after_defined = 1;
            continue;
        }
        int plain = word_is(w, wl, "__has_include") || word_is(w, wl, "__has_include__");
        int next = word_is(w, wl, "__has_include_next") || word_is(w, wl, "__has_include_next__");
        if ((!plain && !next) || after_defined) {
            after_defined = 0;
            continue;
        }
        size_t k = j;
        while (k < len && is_hblank((unsigned char)l[k]))
            k++;
        int literal = 0, angle = 0;
        size_t name = 0, namelen = 0;
        if (k < len && l[k] == '(') {
            k++;
            while (k < len && is_hblank((unsigned char)l[k]))
                k++;
            if (k < len && (l[k] == '"' || l[k] == '<')) {
                angle = l[k] == '<';
                const char *close = memchr(l + k + 1, angle ? '>' : '"', len - k - 1);
                if (close) {
                    name = k + 1;
                    namelen = (size_t)(close - l) - name;
                    k = (size_t)(close - l) + 1;
                    while (k < len && is_hblank((unsigned char)l[k]))
                        k++;
                    literal = k < len && l[k] == ')';
                }
            }
        }
        if (site->user && next)
            rc = give_up_at(s, site, "__has_include_next");
        else if (site->user && !literal)
            rc = give_up_at(s, site, "__has_include with a macro argument");
        else if (!literal)
            rc = s->chain_has_user
                     ? give_up_at(s, site,
                                  "__has_include with a macro argument in a system header, "
                                  "with user include directories")
                     : 0;
        else
            rc = include_file(s, site, l + name, namelen, angle, next ? site->next : NEXT_NONE, 0,
                              NULL);
        i = literal ? k + 1 : k;
        after_defined = 0;
    }
    free(l);
    return rc;
}

/* __has_include met while evaluating a condition: the file is listed (the
 * helper must find it too) but not read. */
struct has_ctx {
    struct scanner *s;
    const struct include_site *site;
};

static int has_include_cb(void *ctx, const char *name, size_t len, int angle, int next)
{
    struct has_ctx *h = ctx;
    struct scanner *s = h->s;
    const struct include_site *site = h->site;
    int rc = 0, found = DCC_PP_UNKNOWN;
    if (site->user && next)
        rc = give_up_at(s, site, "__has_include_next");
    else if (!name && site->user)
        rc = give_up_at(s, site, "__has_include with a macro argument");
    else if (!name && s->chain_has_user)
        rc = give_up_at(s, site,
                        "__has_include with a macro argument in a system header, "
                        "with user include directories");
    else if (name)
        rc = include_file(s, site, name, len, angle, next ? site->next : NEXT_NONE, 0, &found);
    return rc < 0 ? -1 : rc > 0 ? DCC_PP_STOP : found;
}

enum directive {
    DIR_OTHER,
    DIR_INCLUDE,
    DIR_INCLUDE_NEXT,
    DIR_IMPORT,
    DIR_IF,
    DIR_IFDEF,
    DIR_IFNDEF,
    DIR_ELIF,
    DIR_ELIFDEF,
    DIR_ELIFNDEF,
    DIR_ELSE,
    DIR_ENDIF,
    DIR_DEFINE,
    DIR_UNDEF,
    DIR_PRAGMA,
    DIR_EMBED
};

static const struct directive_name {
    const char *name;
    enum directive d;
} directive_names[] = {
    {"include", DIR_INCLUDE},   {"include_next", DIR_INCLUDE_NEXT},
    {"import", DIR_IMPORT},     {"if", DIR_IF},
    {"ifdef", DIR_IFDEF},       {"ifndef", DIR_IFNDEF},
    {"elif", DIR_ELIF},         {"elifdef", DIR_ELIFDEF},
    {"elifndef", DIR_ELIFNDEF}, {"else", DIR_ELSE},
    {"endif", DIR_ENDIF},       {"define", DIR_DEFINE},
    {"undef", DIR_UNDEF},       {"pragma", DIR_PRAGMA},
    {"embed", DIR_EMBED},
};

/* One conditional group of the file being walked. */
enum { BR_DEAD, BR_LIVE, BR_MAYBE };
enum { TAKEN_NO, TAKEN_MAYBE, TAKEN_YES };
struct cond {
    unsigned char branch; /* BR_*: the current branch */
    unsigned char taken;  /* TAKEN_*: whether an earlier branch was */
    unsigned char framed; /* a dcc_pp frame is open: some branch may or may not be taken */
    unsigned char outer_dead, is_guard;
};

/* The walk of one file: its conditionals and whether it is all under one
 * include guard. */
struct walk {
    struct cond *v;
    size_t n, cap;
    int guard_state; /* 0 nothing yet, 1 in the guard's group, 2 after it, -1 no guard */
    char *guard;
};

static int walk_dead(const struct walk *w)
{
    return w->n && w->v[w->n - 1].branch == BR_DEAD;
}

/* Something other than a guard's group at the top level of the file. */
static void not_guarded(struct walk *w)
{
    if (w->n == 0 || w->guard_state != 1)
        w->guard_state = -1;
}

/* A copy of s->line: evaluation may reuse the scratch buffers. */
static char *line_copy(struct scanner *s)
{
    char *l = malloc(s->line.len + 1);
    if (l) {
        if (s->line.len)
            memcpy(l, s->line.data, s->line.len);
        l[s->line.len] = '\0';
    }
    return l;
}

/* "#ifndef G" or "#if !defined G" / "#if !defined(G)": G, else NULL. */
static char *guard_name(enum directive d, const char *l, size_t len)
{
    size_t p = 0;
    while (p < len && is_hblank((unsigned char)l[p]))
        p++;
    if (d == DIR_IF) {
        if (p >= len || l[p] != '!')
            return NULL;
        p++;
        while (p < len && is_hblank((unsigned char)l[p]))
            p++;
        if (len - p < 7 || memcmp(l + p, "defined", 7) != 0)
            return NULL;
        p += 7;
        while (p < len && (is_hblank((unsigned char)l[p]) || l[p] == '('))
            p++;
    } else if (d != DIR_IFNDEF) {
        return NULL;
    }
    size_t q = p;
    while (q < len && is_ident((unsigned char)l[q]))
        q++;
    if (q == p)
        return NULL;
    for (size_t r = q; r < len; r++)
        if (!is_hblank((unsigned char)l[r]) && !(d == DIR_IF && l[r] == ')'))
            return NULL;
    return strndup(l + p, q - p);
}

/* The truth of a condition line in s->line. */
static int eval_condition(struct scanner *s, const struct include_site *site, enum directive d,
                          int *truth)
{
    char *l = line_copy(s);
    if (!l)
        return -1;
    size_t len = s->line.len;
    int r;
    if (d == DIR_IF || d == DIR_ELIF) {
        struct has_ctx h = {s, site};
        r = dcc_pp_eval(s->pp, l, len, has_include_cb, &h);
    } else {
        r = (int)dcc_pp_ifdef(s->pp, l, len);
        if ((d == DIR_IFNDEF || d == DIR_ELIFNDEF) && r != DCC_PP_UNKNOWN)
            r = !r;
    }
    free(l);
    if (r < 0)
        return -1;
    if (r == DCC_PP_STOP)
        return 1;
    *truth = r;
    return 0;
}

/* #if, #elif, #else, #endif and friends. 0, 1 or -1. */
static int conditional(struct scanner *s, struct walk *w, const struct include_site *site,
                       enum directive d)
{
    int opens = d == DIR_IF || d == DIR_IFDEF || d == DIR_IFNDEF;
    if (opens) {
        if (grow_array((void **)&w->v, &w->cap, w->n, sizeof *w->v) != 0)
            return -1;
        int dead = walk_dead(w);
        struct cond c = {BR_DEAD, TAKEN_NO, 0, (unsigned char)dead, 0};
        if (w->n == 0) {
            if (w->guard_state == 0) {
                char *g = guard_name(d, s->line.data ? s->line.data : "", s->line.len);
                if (g) {
                    w->guard_state = 1;
                    free(w->guard);
                    w->guard = g;
                    c.is_guard = 1;
                } else {
                    w->guard_state = -1;
                }
            } else {
                w->guard_state = -1;
            }
        }
        if (!dead) {
            int truth, rc = eval_condition(s, site, d, &truth);
            if (rc != 0)
                return rc;
            if (truth == DCC_PP_TRUE) {
                c.branch = BR_LIVE;
                c.taken = TAKEN_YES;
            } else if (truth == DCC_PP_UNKNOWN) {
                if (dcc_pp_group_begin(s->pp) != 0)
                    return -1;
                c.framed = 1;
                c.branch = BR_MAYBE;
                c.taken = TAKEN_MAYBE;
            }
        }
        w->v[w->n++] = c;
        return 0;
    }
    if (w->n == 0)
        return 0; /* gcc rejects it */
    struct cond *c = &w->v[w->n - 1];
    if (w->n == 1 && c->is_guard && d != DIR_ENDIF)
        w->guard_state = -1;
    if (d == DIR_ENDIF) {
        if (c->framed && dcc_pp_group_end(s->pp) != 0)
            return -1;
        if (w->n == 1 && c->is_guard && w->guard_state == 1)
            w->guard_state = 2;
        w->n--;
        return 0;
    }
    if (c->outer_dead)
        return 0;
    if (c->branch == BR_MAYBE && dcc_pp_branch_end(s->pp) != 0)
        return -1;
    if (c->taken == TAKEN_YES) {
        c->branch = BR_DEAD; /* gcc does not even evaluate it */
        return 0;
    }
    int truth = DCC_PP_TRUE;
    if (d != DIR_ELSE) {
        int rc = eval_condition(s, site, d, &truth);
        if (rc != 0)
            return rc;
    }
    if (truth == DCC_PP_FALSE) {
        c->branch = BR_DEAD;
    } else if (truth == DCC_PP_TRUE && c->taken == TAKEN_NO) {
        c->branch = BR_LIVE;
        c->taken = TAKEN_YES;
    } else {
        if (!c->framed) {
            if (dcc_pp_group_begin(s->pp) != 0)
                return -1;
            c->framed = 1;
        }
        c->branch = BR_MAYBE;
        c->taken = truth == DCC_PP_TRUE ? TAKEN_YES : TAKEN_MAYBE;
    }
    return 0;
}

/* #pragma once, and pop_macro (which the scan does not follow: the macro is
 * unknown after it). */
static int pragma(struct scanner *s, struct incfile *f)
{
    const char *l = s->line.data ? s->line.data : "";
    size_t len = s->line.len, p = 0;
    while (p < len && is_hblank((unsigned char)l[p]))
        p++;
    size_t q = p;
    while (q < len && is_ident((unsigned char)l[q]))
        q++;
    if (word_is(l + p, q - p, "once")) {
        f->once = 1;
        return 0;
    }
    if (!word_is(l + p, q - p, "pop_macro"))
        return 0;
    const char *open = memchr(l + q, '"', len - q);
    const char *close = open ? memchr(open + 1, '"', len - (size_t)(open + 1 - l)) : NULL;
    if (!close)
        return 0;
    return dcc_pp_forget(s->pp, open + 1, (size_t)(close - open - 1));
}

/* ---- skeletons ---- */

/* A file's skeleton: what the walk needs of it, made by lexing it once
 * (independent of the macros, so it can be kept in pump's per-build pack
 * for the next job): a sequence of events,
 *   SK_TEXT      something other than a directive (ends an include guard)
 *   SK_DIR       d form line(u32) len(u32) bytes: a directive; bytes are the
 *                logical line after its name (comments as blanks, splices
 *                joined) for SK_LINE, or the name of #include "x" / <x>
 *   SK_TRIGRAPH  c line(u32): the first ??= or ??/ (lexing with trigraphs)
 * A skeleton from the pack is checked whole (skel_check) before use. */
enum { SK_TEXT = 1, SK_DIR, SK_TRIGRAPH };
enum { SK_LINE = 1, SK_QUOTE, SK_ANGLE, SK_NONE };
#define SK_DIR_HEAD 11

struct skel_out {
    struct dcc_buf b;
    size_t line_pos; /* line numbers: counted incrementally up to here */
    unsigned line;
};

static int skel_text(struct skel_out *o)
{
    if (o->b.len && (unsigned char)o->b.data[o->b.len - 1] == SK_TEXT)
        return 0; /* one is enough between directives */
    unsigned char c = SK_TEXT;
    return dcc_buf_append(&o->b, &c, 1);
}

/* The line number of position pos (at or after the last one asked). */
static unsigned skel_line(struct skel_out *o, const char *b, size_t pos)
{
    for (const char *q = b + o->line_pos; (q = memchr(q, '\n', (size_t)(b + pos - q))) != NULL; q++)
        o->line++;
    o->line_pos = pos;
    return o->line;
}

static int skel_dir(struct skel_out *o, enum directive d, int form, unsigned line, const char *text,
                    size_t len)
{
    if (len > UINT32_MAX)
        return -1;
    unsigned char h[SK_DIR_HEAD] = {SK_DIR, (unsigned char)d, (unsigned char)form};
    uint32_t l = line, n = (uint32_t)len;
    memcpy(h + 3, &l, 4);
    memcpy(h + 7, &n, 4);
    if (dcc_buf_append(&o->b, h, sizeof h) != 0)
        return -1;
    return len ? dcc_buf_append(&o->b, text, len) : 0;
}

/* Whether a skeleton (from the pack: not trusted) is well formed. */
static int skel_check(const unsigned char *k, size_t n)
{
    size_t p = 0;
    while (p < n) {
        if (k[p] == SK_TEXT) {
            p++;
        } else if (k[p] == SK_TRIGRAPH) {
            if (n - p < 6)
                return 0;
            p += 6;
        } else if (k[p] == SK_DIR) {
            if (n - p < SK_DIR_HEAD || k[p + 1] < DIR_INCLUDE || k[p + 1] > DIR_EMBED ||
                k[p + 1] == DIR_OTHER || k[p + 2] < SK_LINE || k[p + 2] > SK_NONE)
                return 0;
            uint32_t len;
            memcpy(&len, k + p + 7, 4);
            if (len > n - p - SK_DIR_HEAD)
                return 0;
            p += SK_DIR_HEAD + len;
        } else {
            return 0;
        }
    }
    return 1;
}

/* A directive whose '#' is at hash, into the skeleton. Sets *endp to where
 * lexing goes on. 0 or -1. */
static int skel_directive(struct scanner *s, struct skel_out *o, const char *b, size_t n,
                          size_t hash, size_t *endp)
{
    size_t p = skip_hspace(b, n, hash + 1);
    char word[16];
    size_t wl = 0;
    for (;;) {
        p = skip_splices(b, n, p);
        if (p >= n || !is_ident((unsigned char)b[p]))
            break;
        if (wl < sizeof word)
            word[wl] = b[p];
        wl++;
        p++;
    }
    *endp = p;
    enum directive d = DIR_OTHER;
    for (size_t i = 0; i < sizeof directive_names / sizeof *directive_names && wl < sizeof word;
         i++)
        if (word_is(word, wl, directive_names[i].name))
            d = directive_names[i].d;
    if (wl == 0)
        return 0; /* the null directive */
    if (d == DIR_OTHER)
        return skel_text(o);
    unsigned line = skel_line(o, b, hash);
    if (d == DIR_EMBED)
        return skel_dir(o, d, SK_NONE, line, NULL, 0);
    int is_cond = d >= DIR_IF && d <= DIR_ENDIF;
    if (!is_cond && d != DIR_DEFINE && d != DIR_UNDEF && d != DIR_PRAGMA) {
        /* #include "x" or <x>; anything else is a computed include */
        p = skip_hspace(b, n, p);
        *endp = p;
        if (p < n && (b[p] == '"' || b[p] == '<')) {
            char close = b[p] == '"' ? '"' : '>';
            s->line.len = 0;
            size_t q = p + 1;
            for (;;) {
                q = skip_splices(b, n, q);
                if (q >= n || b[q] == '\n' || b[q] == close)
                    break;
                if (dcc_buf_append(&s->line, b + q, 1) != 0)
                    return -1;
                q++;
            }
            if (q < n && b[q] == close) {
                *endp = q + 1;
                return skel_dir(o, d, close == '>' ? SK_ANGLE : SK_QUOTE, line, s->line.data,
                                s->line.len);
            }
        }
    }
    size_t end = extract_line(s, b, n, p);
    if (end == (size_t)-1)
        return -1;
    *endp = end;
    return skel_dir(o, d, SK_LINE, line, s->line.data, s->line.len);
}

/* Bytes that matter away from the start of a line. */
static const unsigned char lex_special[256] = {
    ['\n'] = 1, ['\\'] = 1, ['/'] = 1, ['"'] = 1, ['\''] = 1, ['R'] = 1,
};

/* Lexes a file's text into its skeleton (o->b). 0 or -1. */
static int skel_lex(struct scanner *s, struct skel_out *o, const char *b, size_t n)
{
    if (s->mode.trigraphs) {
        /* ??= is # and ??/ a backslash that splices lines and escapes
         * quotes: the lexer does not follow them, so the walk gives up. */
        for (const char *t = b; (t = memmem(t, n - (size_t)(t - b), "??", 2)) != NULL; t++) {
            if (t + 2 < b + n && (t[2] == '=' || t[2] == '/')) {
                uint32_t l = line_of(b, (size_t)(t - b));
                unsigned char e[6] = {SK_TRIGRAPH, (unsigned char)t[2]};
                memcpy(e + 2, &l, 4);
                return dcc_buf_append(&o->b, e, sizeof e);
            }
        }
    }
    size_t p = 0;
    int bol = 1;
    /* gcc skips a UTF-8 byte-order mark: a directive right after it is
     * still at the start of a line. */
    if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
        p = 3;
    while (p < n) {
        unsigned char c = (unsigned char)b[p];
        if (!bol && !lex_special[c]) {
            p++;
            continue;
        }
        int text = 0;
        switch (c) {
        case '\n':
            bol = 1;
            p++;
            break;
        case ' ':
        case '\t':
        case '\f':
        case '\v':
        case '\r':
        case '\0':
            p++;
            break;
        case '\\': {
            size_t l = splice_len(b, n, p);
            if (!l) {
                bol = 0;
                text = 1;
            }
            p += l ? l : 1;
            break;
        }
        case '/': {
            size_t q = skip_splices(b, n, p + 1);
            if (q < n && b[q] == '*') {
                p = skip_block_comment(b, n, q + 1);
            } else if (q < n && b[q] == '/') {
                p = skip_to_eol(b, n, q + 1);
            } else {
                bol = 0;
                text = 1;
                p++;
            }
            break;
        }
        case '"':
            bol = 0;
            text = 1;
            p = skip_literal(b, n, p + 1, '"');
            break;
        case '\'': {
            bol = 0;
            text = 1;
            /* C++14 digit separator: 1'000 is one pp-number. */
            size_t j = p;
            while (j > 0 && p - j < 64 &&
                   (is_ident((unsigned char)b[j - 1]) || b[j - 1] == '.' || b[j - 1] == '\''))
                j--;
            if (s->mode.digit_separators && j < p && b[j] >= '0' && b[j] <= '9' && p + 1 < n &&
                is_ident((unsigned char)b[p + 1]))
                p++;
            else
                p = skip_literal(b, n, p + 1, '\'');
            break;
        }
        case 'R': {
            bol = 0;
            text = 1;
            size_t end = s->mode.raw_strings && p + 1 < n && b[p + 1] == '"'
                             ? skip_raw_string(b, n, p)
                             : 0;
            p = end ? end : p + 1;
            break;
        }
        case '#':
            if (bol) {
                bol = 0;
                if (skel_directive(s, o, b, n, p, &p) != 0)
                    return -1;
                break;
            }
            p++;
            break;
        case '%': {
            /* The digraph %: is # (not in C90). */
            size_t colon = skip_splices(b, n, p + 1);
            if (bol && s->mode.digraphs && colon < n && b[colon] == ':') {
                bol = 0;
                if (skel_directive(s, o, b, n, colon, &p) != 0)
                    return -1;
                break;
            }
            bol = 0;
            text = 1;
            p++;
            break;
        }
        default:
            bol = 0;
            text = 1;
            p++;
            break;
        }
        if (text && skel_text(o) != 0)
            return -1;
    }
    return 0;
}

/* One directive of a skeleton, with the macros as they are. 0, 1 or -1. */
static int run_directive(struct scanner *s, const struct queued *item, struct walk *w,
                         enum directive d, int form, unsigned line, const char *text, size_t len)
{
    int is_cond = d >= DIR_IF && d <= DIR_ENDIF;
    if (!is_cond) {
        not_guarded(w);
        if (walk_dead(w))
            return 0;
    }
    struct incfile *f = item->f;
    int user = item->user;

    char curdir[PATH_MAX + 1];
    if (f->dirlen > PATH_MAX)
        return give_up(s, "%s: path too long", f->path);
    memcpy(curdir, f->path, f->dirlen);
    curdir[f->dirlen] = '\0';
    if (!curdir[0])
        strcpy(curdir, "/");
    struct include_site site = {curdir, user, 0, shown(s, f->path), line, item->next, f};

    /* C23's #embed and __has_embed (gcc 15) read files the scan does not
     * send: a helper would embed nothing or take the other branch. */
    if (d == DIR_EMBED)
        return user ? give_up_at(s, &site, "#embed") : 0;
    if (form == SK_LINE) {
        s->line.len = 0;
        if (dcc_buf_append(&s->line, text, len) != 0)
            return -1;
    }
    if (is_cond) {
        if (user && (d == DIR_IF || d == DIR_ELIF) && s->line.data &&
            memmem(s->line.data, s->line.len, "__has_embed", 11))
            return give_up_at(s, &site, "__has_embed");
        return conditional(s, w, &site, d);
    }
    if (d == DIR_UNDEF)
        return dcc_pp_undef(s->pp, s->line.data ? s->line.data : "", s->line.len) < 0 ? -1 : 0;
    if (d == DIR_PRAGMA)
        return pragma(s, f);
    if (d == DIR_DEFINE) {
        const char *l = s->line.data ? s->line.data : "";
        size_t llen = s->line.len;
        if (user && memmem(l, llen, "__has_embed", 11))
            return give_up_at(s, &site, "__has_embed");
        if (!memmem(l, llen, "__has_include", 13))
            return dcc_pp_define(s->pp, l, llen) < 0 ? -1 : 0;
        /* A definition may use __has_include later: whatever it names is
         * sent, even where the macro is never evaluated. The line is
         * copied: the lookups reuse s->line. */
        char *copy = line_copy(s);
        if (!copy)
            return -1;
        int rc = scan_has_include(s, &site);
        if (rc == 0 && dcc_pp_define(s->pp, copy, llen) < 0)
            rc = -1;
        free(copy);
        return rc;
    }
    const char *dname = d == DIR_IMPORT         ? "#import"
                        : d == DIR_INCLUDE_NEXT ? "#include_next"
                                                : "#include";
    if (d == DIR_INCLUDE_NEXT && user)
        return give_up_at(s, &site, "#include_next");
    size_t next_from = d == DIR_INCLUDE_NEXT ? item->next : NEXT_NONE;
    if (form == SK_QUOTE || form == SK_ANGLE)
        return include_file(s, &site, text, len, form == SK_ANGLE, next_from, 1, NULL);
    /* #include MACRO: resolved when the macros are known. */
    char *l = line_copy(s), *name = NULL;
    if (!l)
        return -1;
    size_t namelen = 0;
    int angle = 0;
    int r = dcc_pp_include_name(s->pp, l, s->line.len, &name, &namelen, &angle);
    free(l);
    if (r < 0)
        return -1;
    if (r == DCC_PP_TRUE) {
        int rc = include_file(s, &site, name, namelen, angle, next_from, 1, NULL);
        free(name);
        return rc;
    }
    if (user)
        return give_up_at(s, &site, "%s with a macro argument", dname);
    /* Whatever the macro names, it could be found in a user directory. */
    if (s->chain_has_user)
        return give_up_at(
            s, &site, "%s with a macro argument in a system header, with user include directories",
            dname);
    return 0;
}

/* Walks a file's skeleton. 0, 1 or -1. */
static int walk_skel(struct scanner *s, const struct queued *item, struct walk *w,
                     const unsigned char *k, size_t n)
{
    size_t p = 0;
    while (p < n) {
        if (k[p] == SK_TEXT) {
            not_guarded(w);
            p++;
            continue;
        }
        uint32_t line, len = 0;
        if (k[p] == SK_TRIGRAPH) {
            memcpy(&line, k + p + 2, 4);
            return give_up(s, "%s:%u: trigraph ??%c with trigraphs enabled",
                           shown(s, item->f->path), line, k[p + 1]);
        }
        memcpy(&line, k + p + 3, 4);
        memcpy(&len, k + p + 7, 4);
        int rc = run_directive(s, item, w, (enum directive)k[p + 1], k[p + 2], line,
                               (const char *)k + p + SK_DIR_HEAD, len);
        if (rc != 0)
            return rc;
        p += SK_DIR_HEAD + len;
    }
    return 0;
}

/* Reads a file. 0 with its text in *text and *lenp (NULL when a system file
 * cannot be read: gcc fails too) and its status in *st, 1 or -1. */
static int read_file(struct scanner *s, struct incfile *f, int user, char **text, size_t *lenp,
                     struct stat *st)
{
    *text = NULL;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int e = errno;
    if (fd >= 0 &&
        (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_size > (off_t)(256 << 20))) {
        close(fd);
        fd = -1;
        e = 0;
    }
    size_t size = fd >= 0 ? (size_t)st->st_size : 0, len = 0;
    char *buf = fd >= 0 ? malloc(size + 1) : NULL;
    if (fd >= 0 && !buf) {
        close(fd);
        return -1;
    }
    while (fd >= 0 && len < size) {
        ssize_t r = read(fd, buf + len, size - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            close(fd);
            fd = -1;
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (fd < 0) {
        if (!user)
            return 0;
        return e ? give_up(s, "%s: cannot read: %s", shown(s, f->path), strerror(e))
                 : give_up(s, "%s: cannot read: not a regular file of at most 256 MiB",
                           shown(s, f->path));
    }
    close(fd);
    buf[len] = '\0';
    *text = buf;
    *lenp = len;
    return 0;
}

/* The skeleton of a file, once per scan: from the pack when it holds the
 * file as it is now, else lexed here (and added to the pack). 0
 * (f->unreadable set when a system file cannot be read: gcc fails too), 1
 * or -1. */
static int load_skel(struct scanner *s, struct incfile *f, int user)
{
    f->read = 1;
    struct stat st;
    if (s->pack && stat(f->path, &st) == 0 && S_ISREG(st.st_mode)) {
        const unsigned char *k;
        size_t n;
        int r = dcc_skel_find(s->pack, f->path, &st, &k, &n);
        if (r < 0)
            return -1;
        if (r == 1 && skel_check(k, n)) {
            f->skel = k;
            f->skellen = n;
            s->pack_hits++;
            return 0;
        }
    }
    char *text;
    size_t len = 0;
    int rc = read_file(s, f, user, &text, &len, &st);
    if (rc != 0)
        return rc;
    if (!text) {
        f->unreadable = 1;
        return 0;
    }
    struct skel_out o = {.line = 1};
    rc = skel_lex(s, &o, text, len);
    /* The job's source is read by this job alone: keeping it would only
     * make every job write the pack again. */
    if (rc == 0 && s->pack && s->nlisted && f != s->listed[0]) {
        s->pack_misses++;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        rc = dcc_skel_add(s->pack, f->path, &st, (int64_t)now.tv_sec, dcc_skel_digest(text, len),
                          o.b.data ? o.b.data : "", o.b.len);
    }
    free(text);
    if (rc != 0) {
        dcc_buf_free(&o.b);
        return -1;
    }
    f->skel_own = (unsigned char *)o.b.data;
    f->skel = f->skel_own ? f->skel_own : (const unsigned char *)"";
    f->skellen = o.b.len;
    return 0;
}

/* Reads one file where it is included, with the macros as they are. */
static int walk_file(struct scanner *s, struct incfile *f, int user, size_t next)
{
    if (f->guard && dcc_pp_ifdef(s->pp, f->guard, strlen(f->guard)) == DCC_PP_TRUE)
        return 0;
    if (f->once && f->entered_certain)
        return 0;
    if (s->depth >= MAX_INCLUDE_DEPTH)
        return give_up(s, "%s: #include nested more than %d deep", shown(s, f->path),
                       MAX_INCLUDE_DEPTH);
    if (!f->read) {
        int rc = load_skel(s, f, user);
        if (rc != 0)
            return rc;
    }
    if (f->unreadable)
        return 0;
    if (++s->walks > MAX_WALKS)
        return give_up(
            s, "more than %d readings of headers: the conditions are too uncertain to follow",
            MAX_WALKS);
    if (dcc_pp_depth(s->pp) == 0)
        f->entered_certain = 1;
    struct queued item = {f, user, next};
    struct walk w = {0};
    s->depth++;
    f->walking++;
    int rc = walk_skel(s, &item, &w, f->skel, f->skellen);
    f->walking--;
    s->depth--;
    /* An #if left open at the end of the file (gcc rejects it) */
    while (rc == 0 && w.n > 0)
        if (w.v[--w.n].framed && dcc_pp_group_end(s->pp) != 0)
            rc = -1;
    if (rc == 0 && w.guard_state == 2 && !f->guard) {
        f->guard = w.guard;
        w.guard = NULL;
    }
    free(w.guard);
    free(w.v);
    return rc;
}

/* ---- the job's options ---- */

/* The lists of user directories, in the catalogue's order of
 * DCC_SCAN_QUOTE ... DCC_SCAN_AFTER (what the preprocessor reads is the
 * catalogue's scan kind of each option). */
enum { RO_QUOTE, RO_BRACKET, RO_SYSTEM, RO_AFTER };
_Static_assert(DCC_SCAN_BRACKET - DCC_SCAN_QUOTE == RO_BRACKET &&
                   DCC_SCAN_SYSTEM - DCC_SCAN_QUOTE == RO_SYSTEM &&
                   DCC_SCAN_AFTER - DCC_SCAN_QUOTE == RO_AFTER,
               "user directory lists follow the catalogue's scan kinds");

/* What each -std= does to the lexer, after gcc's libcpp lang_defaults. A
 * standard whose trigraphs are in doubt (C2X) counts as having them: that
 * only makes a file with one give up. */
enum { STD_C = 1, STD_CXX = 2 };
static const struct std_mode {
    const char *name;
    int family;
    struct lex_mode mode; /* raw strings, digraphs, trigraphs, digit separators */
} std_modes[] = {
    {"c89", STD_C, {0, 0, 1, 0}},          {"c90", STD_C, {0, 0, 1, 0}},
    {"iso9899:1990", STD_C, {0, 0, 1, 0}}, {"iso9899:199409", STD_C, {0, 1, 1, 0}},
    {"c99", STD_C, {0, 1, 1, 0}},          {"c9x", STD_C, {0, 1, 1, 0}},
    {"iso9899:1999", STD_C, {0, 1, 1, 0}}, {"iso9899:199x", STD_C, {0, 1, 1, 0}},
    {"c11", STD_C, {0, 1, 1, 0}},          {"c1x", STD_C, {0, 1, 1, 0}},
    {"iso9899:2011", STD_C, {0, 1, 1, 0}}, {"c17", STD_C, {0, 1, 1, 0}},
    {"c18", STD_C, {0, 1, 1, 0}},          {"iso9899:2017", STD_C, {0, 1, 1, 0}},
    {"iso9899:2018", STD_C, {0, 1, 1, 0}}, {"c2x", STD_C, {0, 1, 1, 1}},
    {"c23", STD_C, {0, 1, 1, 1}},          {"iso9899:2024", STD_C, {0, 1, 1, 1}},
    {"gnu89", STD_C, {0, 1, 0, 0}},        {"gnu90", STD_C, {0, 1, 0, 0}},
    {"gnu99", STD_C, {1, 1, 0, 0}},        {"gnu9x", STD_C, {1, 1, 0, 0}},
    {"gnu11", STD_C, {1, 1, 0, 0}},        {"gnu1x", STD_C, {1, 1, 0, 0}},
    {"gnu17", STD_C, {1, 1, 0, 0}},        {"gnu18", STD_C, {1, 1, 0, 0}},
    {"gnu2x", STD_C, {1, 1, 0, 1}},        {"gnu23", STD_C, {1, 1, 0, 1}},
    {"c++98", STD_CXX, {0, 1, 1, 0}},      {"c++03", STD_CXX, {0, 1, 1, 0}},
    {"gnu++98", STD_CXX, {0, 1, 0, 0}},    {"gnu++03", STD_CXX, {0, 1, 0, 0}},
    {"c++11", STD_CXX, {1, 1, 1, 0}},      {"c++0x", STD_CXX, {1, 1, 1, 0}},
    {"gnu++11", STD_CXX, {1, 1, 0, 0}},    {"gnu++0x", STD_CXX, {1, 1, 0, 0}},
    {"c++14", STD_CXX, {1, 1, 1, 1}},      {"c++1y", STD_CXX, {1, 1, 1, 1}},
    {"gnu++14", STD_CXX, {1, 1, 0, 1}},    {"gnu++1y", STD_CXX, {1, 1, 0, 1}},
    {"c++17", STD_CXX, {1, 1, 0, 1}},      {"c++1z", STD_CXX, {1, 1, 0, 1}},
    {"gnu++17", STD_CXX, {1, 1, 0, 1}},    {"gnu++1z", STD_CXX, {1, 1, 0, 1}},
    {"c++20", STD_CXX, {1, 1, 0, 1}},      {"c++2a", STD_CXX, {1, 1, 0, 1}},
    {"gnu++20", STD_CXX, {1, 1, 0, 1}},    {"gnu++2a", STD_CXX, {1, 1, 0, 1}},
    {"c++23", STD_CXX, {1, 1, 0, 1}},      {"c++2b", STD_CXX, {1, 1, 0, 1}},
    {"gnu++23", STD_CXX, {1, 1, 0, 1}},    {"gnu++2b", STD_CXX, {1, 1, 0, 1}},
    {"c++26", STD_CXX, {1, 1, 0, 1}},      {"c++2c", STD_CXX, {1, 1, 0, 1}},
    {"gnu++26", STD_CXX, {1, 1, 0, 1}},    {"gnu++2c", STD_CXX, {1, 1, 0, 1}},
};

static const struct std_mode *std_mode_named(const char *name)
{
    for (size_t i = 0; i < sizeof std_modes / sizeof *std_modes; i++)
        if (strcmp(std_modes[i].name, name) == 0)
            return &std_modes[i];
    return NULL;
}

/* The lexer's mode for the job: the language is the last -x before the
 * source (else its suffix), then the last -std= (or -ansi) of that language
 * wins over gcc's defaults (gnu17, gnu++17); gcc ignores a -std= of the other
 * language. 0, or 1 (gave up) for a -std= gcc's table does not hold. */
static int read_lex_mode(struct scanner *s, char *const *argv, const struct dcc_scan *scan)
{
    const char *lang = NULL;
    for (size_t i = 1; argv[i] && i < scan->input_idx; i++) {
        struct dcc_optcat_word w;
        if (!job_option(argv[i], &w))
            continue;
        const char *v = w.sep ? argv[i + 1] : w.value;
        if (w.sep && argv[i + 1])
            i++;
        if (dcc_optcat_is(&w, "-x") && v)
            lang = v;
    }
    if (!lang || strcmp(lang, "none") == 0)
        lang = lang_of_source(scan->input);
    if (!lang)
        lang = "c";
    if (strcmp(lang, "assembler-with-cpp") == 0) {
        s->mode = (struct lex_mode){0, 0, 0, 0};
        return 0;
    }
    int family = strstr(lang, "c++") ? STD_CXX : STD_C;
    s->mode = std_mode_named(family == STD_CXX ? "gnu++17" : "gnu17")->mode;
    int trigraphs = 0;
    for (size_t i = 1; argv[i]; i++) {
        const char *a = argv[i];
        struct dcc_optcat_word w;
        if (i == scan->input_idx || !job_option(a, &w))
            continue;
        /* the catalogue knows the driver's long spellings ("--std c11") */
        const char *std = NULL;
        if (dcc_optcat_is(&w, "-std"))
            std = w.sep ? argv[i + 1] : w.value;
        else if (dcc_optcat_is(&w, "-ansi"))
            std = family == STD_CXX ? "c++98" : "c90";
        else if (dcc_optcat_is(&w, "-trigraphs"))
            trigraphs = 1;
        else if (strcmp(a, "-fraw-string-literals") == 0)
            s->mode.raw_strings = 1; /* clang */
        else if (strcmp(a, "-fno-raw-string-literals") == 0)
            s->mode.raw_strings = 0;
        if (w.sep && argv[i + 1])
            i++;
        if (!std)
            continue;
        const struct std_mode *m = std_mode_named(std);
        if (!m)
            return give_up(s, "-std=%s is not known to pump mode", std);
        if (m->family == family)
            s->mode = m->mode;
    }
    /* A later -std= may turn -trigraphs off again; assuming on only costs give-ups. */
    s->mode.trigraphs |= trigraphs;
    return 0;
}

static const char *const refused_env[] = {"CPATH",
                                          "C_INCLUDE_PATH",
                                          "CPLUS_INCLUDE_PATH",
                                          "OBJC_INCLUDE_PATH",
                                          "DEPENDENCIES_OUTPUT",
                                          "SUNPRO_DEPENDENCIES"};

struct user_dirs {
    char **v[4]; /* RO_QUOTE, RO_BRACKET, RO_SYSTEM, RO_AFTER: normalised */
    size_t n[4], cap[4];
    const char **includes; /* -include / -imacros names, in order */
    size_t nincludes, capincludes;
    unsigned char *imacros; /* per include: it is -imacros */
    size_t capimacros;
};

static void user_dirs_free(struct user_dirs *u)
{
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < u->n[k]; i++)
            free(u->v[k][i]);
        free(u->v[k]);
    }
    free(u->includes);
    free(u->imacros);
}

/* Reads the options into u. 0, 1 (gave up) or -1. */
static int read_options(struct scanner *s, char *const *argv, const struct dcc_scan *scan,
                        struct user_dirs *u)
{
    for (size_t i = 1; argv[i]; i++) {
        const char *a = argv[i];
        if (i == scan->input_idx || a[0] != '-')
            continue;
        struct dcc_optcat_word w;
        job_option(a, &w);
        enum dcc_opt_scan kind = dcc_optcat_scan_kind(&w);
        /* -D and -U, in their order, over the compiler's predefined macros */
        int def = dcc_optcat_is(&w, "-D"), undef = dcc_optcat_is(&w, "-U");
        if (def || undef) {
            const char *v = w.sep ? argv[i + 1] : w.value;
            if (!v)
                return give_up(s, "argument %s lacks its value", a);
            i += (size_t)w.sep;
            int rc = def ? dcc_pp_define_option(s->pp, v) : dcc_pp_undef(s->pp, v, strlen(v));
            if (rc < 0)
                return -1;
            continue;
        }
        if (kind == DCC_SCAN_NONE) {
            if (w.sep && argv[i + 1])
                i++;
            continue;
        }
        if (kind == DCC_SCAN_GIVE_UP)
            return give_up(s, "argument %s is not supported in pump mode", a);
        int joined = !w.sep;
        const char *v = w.value;
        if (!joined) {
            v = argv[i + 1];
            if (!v)
                return give_up(s, "argument %s lacks its value", a);
            i++;
        }
        if (kind == DCC_SCAN_INCLUDE) {
            if (grow_array((void **)&u->imacros, &u->capimacros, u->nincludes, 1) != 0)
                return -1;
            u->imacros[u->nincludes] = (unsigned char)dcc_optcat_is(&w, "-imacros");
            if (ptrvec_push((void ***)&u->includes, &u->nincludes, &u->capincludes, (void *)v) != 0)
                return -1;
            continue;
        }
        /* "=dir" and "$SYSROOT/dir" are relative to the sysroot. */
        if (v[0] == '=' || strncmp(v, "$SYSROOT", 8) == 0)
            return give_up(s, "argument %s%s%s names a sysroot directory", a, joined ? "" : " ",
                           joined ? "" : v);
        int k = (int)(kind - DCC_SCAN_QUOTE);
        char *norm = dcc_incscan_normalise(s->cwd, v);
        if (!norm || ptrvec_push((void ***)&u->v[k], &u->n[k], &u->cap[k], norm) != 0) {
            free(norm);
            return -1;
        }
        /* A ".." in the option must pass through directories that exist. */
        if (add_dotdot_dirs(s, s->cwd, v, strlen(v)) != 0)
            return -1;
    }
    return 0;
}

static int in_list(char *const *v, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], path) == 0)
            return 1;
    return 0;
}

static int chain_has(const struct scanner *s, size_t from, const char *path)
{
    for (size_t i = from; i < s->nchain; i++)
        if (strcmp(s->chain[i].path, path) == 0)
            return 1;
    return 0;
}

/* Appends a directory to the chain: user ones must exist and be physical.
 * 0, 1 or -1. */
static int chain_add(struct scanner *s, const char *path, int sys, size_t *cap)
{
    if (!sys) {
        int e, kind = probe(s, path, &e);
        if (kind < 0)
            return -1;
        if (kind == PROBE_ERROR)
            return give_up(s, "cannot look at %s: %s", path, strerror(e));
        if (kind != PROBE_DIR)
            return 0; /* gcc ignores it too */
        int rc = check_physical(s, path, path);
        if (rc != 0)
            return rc;
        if (add_dir(s, path) != 0)
            return -1;
    }
    if (s->nchain == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        struct chain_dir *v = realloc(s->chain, c * sizeof *v);
        if (!v)
            return -1;
        s->chain = v;
        *cap = c;
    }
    char *copy = strdup(path);
    if (!copy)
        return -1;
    s->chain[s->nchain++] = (struct chain_dir){copy, sys};
    return 0;
}

/* gcc's order: -iquote, then -I, -isystem, defaults, -idirafter. A -I or
 * -iquote directory that is also a system one is dropped, like a -idirafter
 * one that repeats a default (the helper's re-rooted copy is empty, so the
 * same); later copies of a directory are dropped. -isystem of a default
 * directory reorders the defaults: that gives up. */
static int build_chain(struct scanner *s, const struct user_dirs *u, char *const *sysdirs)
{
    size_t cap = 0, nsys = dcc_argv_len(sysdirs);
    int rc = 0;
    for (int part = 0; part < 2 && rc == 0; part++) {
        size_t part_start = s->nchain;
        if (part == 1)
            s->bracket_start = part_start;
        for (size_t i = 0; i < u->n[part] && rc == 0; i++) {
            const char *d = u->v[part][i];
            if (in_list(u->v[RO_SYSTEM], u->n[RO_SYSTEM], d) || in_list(sysdirs, nsys, d) ||
                in_list(u->v[RO_AFTER], u->n[RO_AFTER], d) || chain_has(s, part_start, d))
                continue;
            rc = chain_add(s, d, 0, &cap);
        }
    }
    size_t system_start = s->nchain;
    for (size_t i = 0; i < u->n[RO_SYSTEM] && rc == 0; i++) {
        /* gcc moves such a directory ahead of the other defaults; the helper
         * would keep its own order and search an empty re-rooted copy. */
        if (in_list(sysdirs, nsys, u->v[RO_SYSTEM][i]))
            return give_up(s, "-isystem %s names a compiler default directory", u->v[RO_SYSTEM][i]);
        if (!chain_has(s, system_start, u->v[RO_SYSTEM][i]))
            rc = chain_add(s, u->v[RO_SYSTEM][i], 0, &cap);
    }
    for (size_t i = 0; i < nsys && rc == 0; i++) {
        char *norm = dcc_incscan_normalise("/", sysdirs[i]);
        if (!norm)
            return -1;
        if (!chain_has(s, system_start, norm))
            rc = chain_add(s, norm, 1, &cap);
        free(norm);
    }
    for (size_t i = 0; i < u->n[RO_AFTER] && rc == 0; i++)
        if (!chain_has(s, system_start, u->v[RO_AFTER][i]))
            rc = chain_add(s, u->v[RO_AFTER][i], 0, &cap);
    for (size_t i = 0; i < s->nchain; i++)
        s->chain_has_user |= !s->chain[i].sys;
    return rc;
}

static void scanner_free(struct scanner *s)
{
    for (size_t i = 0; i < s->files.cap; i++) {
        struct incfile *f = s->files.slots ? s->files.slots[i].val : NULL;
        if (f) {
            free(f->skel_own);
            free(f->guard);
        }
        free(f);
    }
    smap_free(&s->files, 0);
    smap_free(&s->probes, 0);
    smap_free(&s->lookups, 1);
    smap_free(&s->dirset, 0);
    for (size_t i = 0; i < s->nchain; i++)
        free(s->chain[i].path);
    free(s->chain);
    free(s->listed);
    free(s->dirs);
    dcc_pp_free(s->pp);
    dcc_skel_close(s->pack);
    dcc_skel_close(s->lookpack);
    smap_free(&s->dirids, 1);
    dcc_buf_free(&s->line);
    dcc_buf_free(&s->path);
}

/* Writing the lookup pack rewrites all of it (a build's grows to hundreds
 * of KiB), while a lookup not kept costs the next jobs one stat() each:
 * the few lookups a job adds to a big pack (mostly names only its own
 * source looks for) are not worth a rewrite in every job. Kept when they
 * are at least a 32nd of the pack. */
static int lookups_worth_saving(const struct dcc_skel_pack *p)
{
    size_t entries, added;
    dcc_skel_sizes(p, &entries, &added);
    return added && added * 32 >= entries;
}

/* The same for the skeleton pack, where a header not kept costs the next
 * jobs reading and lexing it: kept when the new ones are a 64th of it. */
static int skeletons_worth_saving(const struct dcc_skel_pack *p)
{
    size_t entries, added;
    dcc_skel_sizes(p, &entries, &added);
    return added && added * 64 >= entries;
}

/* The packs' counts of the last dcc_incscan_run. */
static unsigned long last_hits, last_misses, last_look_hits, last_look_misses;
/* dcc_incscan_set_clock's time; 0: the clock's */
static int64_t fixed_now;

void dcc_incscan_set_clock(int64_t now)
{
    fixed_now = now;
}

static int run_scan(struct scanner *s, char *const *argv, const struct dcc_scan *scan,
                    char *const *sysdirs)
{
    for (size_t i = 0; i < sizeof refused_env / sizeof *refused_env; i++) {
        const char *v = getenv(refused_env[i]);
        if (v && *v)
            return give_up(s, "%s is set in the environment", refused_env[i]);
    }
    if (scan->local_only || !scan->input)
        return give_up(s, "the job is not sent to a helper");
    if (scan->preprocessed)
        return give_up(s, "already preprocessed");

    struct user_dirs u = {0};
    int rc = read_lex_mode(s, argv, scan);
    if (rc == 0)
        rc = read_options(s, argv, scan, &u);
    if (rc == 0)
        rc = build_chain(s, &u, sysdirs);
    /* One pack per lexing mode: a skeleton depends on it. */
    if (rc == 0 && s->cache_dir) {
        unsigned mode = s->mode.raw_strings | s->mode.digraphs << 1 | s->mode.trigraphs << 2 |
                        s->mode.digit_separators << 3;
        if (!(s->pack = dcc_skel_open(s->cache_dir, mode)) ||
            !(s->lookpack = dcc_skel_open_named(s->cache_dir, LOOKUP_PACK_NAME, 0)))
            rc = -1;
    }

    /* The source: its directory is searched first by its quoted includes. */
    if (rc == 0) {
        char *raw = NULL, *norm = dcc_incscan_normalise(s->cwd, scan->input);
        if (!norm || asprintf(&raw, "%s%s%s", scan->input[0] == '/' ? "" : s->cwd,
                              scan->input[0] == '/' ? "" : "/", scan->input) < 0) {
            free(norm);
            rc = -1;
        } else {
            int e, kind = probe(s, raw, &e);
            struct incfile *f = NULL;
            if (kind < 0)
                rc = -1;
            else if (kind != PROBE_FILE) {
                rc = give_up(s, "%s: cannot read: %s", scan->input,
                             kind == PROBE_ERROR     ? strerror(e)
                             : kind == PROBE_MISSING ? strerror(ENOENT)
                                                     : "not a regular file");
                free(norm);
            } else if (!(f = intern(s, norm))) {
                rc = -1;
            } else if ((rc = add_dotdot_dirs(s, s->cwd, scan->input, strlen(scan->input))) == 0) {
                rc = add_user_file(s, f, raw, NEXT_NONE, 0);
            }
            free(raw);
        }
    }
    /* -imacros FILE, then -include FILE: as #include "FILE" searched from
     * the working directory; then the source. */
    for (int pass = 1; pass >= 0; pass--) {
        for (size_t i = 0; i < u.nincludes && rc == 0; i++) {
            if (u.imacros[i] != pass)
                continue;
            struct include_site site = {s->cwd, 1, 1, "-include", 0, NEXT_NONE, NULL};
            rc = include_file(s, &site, u.includes[i], strlen(u.includes[i]), 0, NEXT_NONE, 1,
                              NULL);
        }
    }
    user_dirs_free(&u);
    if (rc == 0)
        rc = walk_file(s, s->listed[0], 1, NEXT_NONE);
    return rc;
}

int dcc_incscan_run(char *const *argv, const struct dcc_scan *scan, const char *cwd,
                    char *const *sysdirs, const char *predefs, const char *cache_dir,
                    struct dcc_inc_list *out, char *why, size_t whylen)
{
    *out = (struct dcc_inc_list){0};
    dcc_set_err(why, whylen, "%s", "");
    struct scanner s = {
        .cwd = cwd, .cwdlen = strlen(cwd), .cache_dir = cache_dir, .why = why, .whylen = whylen};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    s.now = fixed_now ? fixed_now : (int64_t)now.tv_sec;
    int rc = -1;
    s.pp = dcc_pp_new(predefs == NULL);
    if (s.pp && predefs) {
        rc = dcc_pp_define_lines(s.pp, predefs, strlen(predefs));
        dcc_pp_set_clang(s.pp, strstr(predefs, "#define __clang__ ") != NULL);
    } else if (s.pp) {
        rc = 0;
    }
    if (rc == 0)
        rc = cwd[0] == '/' ? run_scan(&s, argv, scan, sysdirs)
                           : give_up(&s, "the working directory is not absolute");
    for (size_t i = 0; rc == 0 && i < s.nlisted; i++)
        rc = inc_list_add(out, DCC_INC_FILE, s.listed[i]->path);
    for (size_t i = 0; rc == 0 && i < s.ndirs; i++)
        rc = inc_list_add(out, DCC_INC_DIR, s.dirs[i]);
    for (size_t i = 0; rc == 0 && i < s.nchain; i++)
        if (s.chain[i].sys)
            rc = inc_list_add(out, DCC_INC_SYSTEMDIR, s.chain[i].path);
    /* What was lexed here is kept for the next job, also when this one
     * gave up (the files are the same). */
    if (s.pack && rc >= 0 && skeletons_worth_saving(s.pack))
        dcc_skel_save(s.pack);
    if (s.lookpack && rc >= 0 && lookups_worth_saving(s.lookpack))
        dcc_skel_save(s.lookpack);
    last_hits = s.pack_hits;
    last_misses = s.pack_misses;
    last_look_hits = s.look_hits;
    last_look_misses = s.look_misses;
    scanner_free(&s);
    if (rc != 0)
        dcc_inc_list_free(out);
    if (rc < 0)
        dcc_set_err(why, whylen, "out of memory");
    return rc;
}

void dcc_incscan_cache_counts(unsigned long *hits, unsigned long *misses)
{
    *hits = last_hits;
    *misses = last_misses;
}

void dcc_incscan_lookup_counts(unsigned long *hits, unsigned long *misses)
{
    *hits = last_look_hits;
    *misses = last_look_misses;
}

/* ------------------------------------------------------------------ */
/* the coverage report                                                 */

void dcc_incscan_record(const char *pump_dir, const char *why)
{
    char path[PATH_MAX], line[1024];
    if (snprintf(path, sizeof path, "%s/coverage", pump_dir) >= (int)sizeof path)
        return;
    /* One short line per write: O_APPEND keeps concurrent jobs' lines whole. */
    int n = snprintf(line, sizeof line, "%s%s\n", why ? "-" : "+", why ? why : "");
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    line[len - 1] = '\n';
    for (size_t i = 0; i + 1 < len; i++)
        if (line[i] == '\n')
            line[i] = ' ';
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, len);
    (void)w; /* best effort: the report only counts what was written */
    close(fd);
}

struct reason {
    const char *text, *example; /* into the file's buffer */
    size_t len, exlen, count;
};

static int reason_cmp(const void *a, const void *b)
{
    const struct reason *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    size_t l = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, l);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

int dcc_incscan_coverage(const char *pump_dir, size_t top, struct dcc_buf *out)
{
    char path[PATH_MAX], ignored[200];
    if (snprintf(path, sizeof path, "%s/coverage", pump_dir) >= (int)sizeof path)
        return 1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 1;
    struct dcc_buf b = {0};
    int r = dcc_read_regular_fd(fd, path, 256u << 20, "the coverage record", &b, ignored,
                                sizeof ignored);
    close(fd);
    if (r != 0 || !b.len) {
        dcc_buf_free(&b);
        return 1;
    }
    struct reason *v = NULL;
    size_t nv = 0, cap = 0, pumped = 0, total = 0;
    struct smap index = {0};
    int rc = 0;
    for (size_t p = 0; p < b.len && rc == 0;) {
        const char *nl = memchr(b.data + p, '\n', b.len - p);
        size_t end = nl ? (size_t)(nl - b.data) : b.len;
        const char *l = b.data + p;
        size_t len = end - p;
        p = end + 1;
        if (len == 0 || (l[0] != '+' && l[0] != '-'))
            continue;
        total++;
        if (l[0] == '+') {
            pumped++;
            continue;
        }
        l++;
        len--;
        /* "src/x.c:12: WHAT" counts as WHAT, with src/x.c:12 as the example */
        const char *ex = l;
        size_t exlen = 0;
        const char *sep = memmem(l, len, ": ", 2);
        if (sep && !memchr(l, ' ', (size_t)(sep - l)) && sep + 2 < l + len) {
            exlen = (size_t)(sep - l);
            len -= exlen + 2;
            l = sep + 2;
        }
        void *idx = smap_get(&index, l, len);
        if (idx) {
            v[(uintptr_t)idx - 1].count++;
            continue;
        }
        if (grow_array((void **)&v, &cap, nv, sizeof *v) != 0 ||
            smap_put(&index, l, len, (void *)(uintptr_t)(nv + 1)) != 0) {
            rc = -1;
            break;
        }
        v[nv++] = (struct reason){l, ex, len, exlen, 1};
    }
    if (rc == 0 && total) {
        if (nv) /* v is NULL without reasons, which qsort may not be given */
            qsort(v, nv, sizeof *v, reason_cmp);
        rc = dcc_buf_printf(out, "%zu of %zu jobs (%.1f%%) went in pump mode\n", pumped, total,
                            100.0 * (double)pumped / (double)total);
        if (rc == 0 && nv)
            rc = dcc_buf_printf(out, "why the other %zu did not%s:\n", total - pumped,
                                nv > top ? " (the most frequent reasons)" : "");
        for (size_t i = 0; i < nv && i < top && rc == 0; i++) {
            rc = dcc_buf_printf(out, "%6zu  %.*s", v[i].count, (int)v[i].len, v[i].text);
            if (rc == 0 && v[i].exlen)
                rc = dcc_buf_printf(out, " (e.g. %.*s)", (int)v[i].exlen, v[i].example);
            if (rc == 0)
                rc = dcc_buf_appends(out, "\n");
        }
    } else if (rc == 0) {
        rc = 1;
    }
    smap_free(&index, 0);
    free(v);
    dcc_buf_free(&b);
    return rc;
}
