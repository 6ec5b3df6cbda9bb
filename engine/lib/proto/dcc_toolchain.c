/* Probes the whitelisted compilers, as and ld, and the CHOST, and writes the /toolchain JSON report. */
#include "proto/dcc_toolchain.h"

#include "base/dcc_run.h"
#include "base/dcc_util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#if DCC_WITH_JSON
#include <jansson.h>
#endif
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAKE_CONF "/etc/portage/make.conf"
#define DEFAULT_PROBE_MS 5000
#define DEFAULT_TOTAL_MS 30000

/* ---- running a program ------------------------------------------------- */

int dcc_toolchain_capture(const char *prog, char *const argv[], const char *env_path,
                          int timeout_ms, size_t cap, struct dcc_buf *out, int *wstatus, char *err,
                          size_t errlen)
{
    char *path_var = NULL;
    if (env_path && asprintf(&path_var, "PATH=%s", env_path) < 0) {
        dcc_set_err(err, errlen, "out of memory");
        return -1;
    }
    /* LC_ALL=C: banners are not translated. */
    const char *env_set[] = {"LC_ALL=C", path_var, NULL};
    struct dcc_run_opts o = {
        .argv = argv,
        .prog = prog,
        .env_set = env_set,
        .out = DCC_RUN_CAPTURE,
        .out_buf = out,
        .err = DCC_RUN_MERGE,
        .cap = cap,
        .timeout_ms = timeout_ms,
        .flags = DCC_RUN_TRUNCATE,
    };
    int st = 0;
    int rc = dcc_run(&o, &st, err, errlen);
    free(path_var);
    if (rc != DCC_RUN_OK && rc != DCC_RUN_LOST) /* lost: reaped elsewhere, output complete */
        return -1;
    *wstatus = st;
    return 0;
}

/* ---- finding programs -------------------------------------------------- */

int dcc_toolchain_is_distcc(const char *file)
{
    char real[PATH_MAX];
    if (!realpath(file, real))
        return 0;
    const char *base = strrchr(real, '/');
    base = base ? base + 1 : real;
    return strcmp(base, "distcc") == 0 || strcmp(base, "distccd") == 0;
}

int dcc_toolchain_find(const char *name, const char *path, const char *whitelist_dir, char *out,
                       size_t outlen)
{
    if (!name || !*name || strchr(name, '/') || !path)
        return -1;
    /* The whitelist directory is recognised by device and inode: one stat
     * per PATH entry instead of resolving every entry with realpath(). */
    struct stat wl_st;
    int have_wl = whitelist_dir && stat(whitelist_dir, &wl_st) == 0;

    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        const char *next = colon ? colon + 1 : p + len;
        char dir[PATH_MAX];
        /* A daemon's working directory means nothing: relative and empty
         * entries are not searched. */
        if (len == 0 || p[0] != '/' || len >= sizeof(dir)) {
            p = next;
            continue;
        }
        memcpy(dir, p, len);
        dir[len] = '\0';
        p = next;
        while (len > 1 && dir[len - 1] == '/')
            dir[--len] = '\0';

        struct stat dir_st;
        if (have_wl && stat(dir, &dir_st) == 0 && dir_st.st_dev == wl_st.st_dev &&
            dir_st.st_ino == wl_st.st_ino)
            continue;
        char cand[PATH_MAX];
        if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", len == 1 ? "" : dir, name) >=
            sizeof(cand))
            continue;
        struct stat sb;
        if (stat(cand, &sb) != 0 || !S_ISREG(sb.st_mode) || access(cand, X_OK) != 0)
            continue;
        if (dcc_toolchain_is_distcc(cand))
            continue;
        if (strlen(cand) >= outlen)
            return -1;
        memcpy(out, cand, strlen(cand) + 1);
        return 0;
    }
    return -1;
}

/* ---- CHOST ------------------------------------------------------------- */

/* Reads CHOST= assignments from one make.conf file; the last one wins. */
static void chost_from_file(const char *file, char *out, size_t outlen, int *found)
{
    FILE *f = fopen(file, "re");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (dcc_str_startswith(p, "export") && (p[6] == ' ' || p[6] == '\t')) {
            p += 6;
            while (*p == ' ' || *p == '\t')
                p++;
        }
        if (!dcc_str_startswith(p, "CHOST="))
            continue;
        p += 6;
        const char *end;
        if (*p == '"' || *p == '\'') {
            end = strchr(p + 1, *p);
            if (!end)
                continue; /* a value spanning lines is no CHOST */
            p++;
        } else {
            end = p;
            while (*end && !isspace((unsigned char)*end) && *end != '#')
                end++;
        }
        size_t len = (size_t)(end - p);
        if (len == 0) {
            *found = 0; /* CHOST="" unsets it */
        } else if (len < outlen) {
            memcpy(out, p, len);
            out[len] = '\0';
            *found = 1;
        }
    }
    free(line);
    fclose(f);
}

static int visible_file(const struct dirent *e)
{
    return e->d_name[0] != '.' && !dcc_str_endswith(e->d_name, "~");
}

int dcc_toolchain_chost(const char *make_conf, char *out, size_t outlen, const char **source)
{
    const char *env = getenv("CHOST");
    if (env && *env && strlen(env) < outlen) {
        memcpy(out, env, strlen(env) + 1);
        *source = "env";
        return 0;
    }
    if (!make_conf)
        make_conf = DEFAULT_MAKE_CONF;
    int found = 0;
    struct stat sb;
    if (stat(make_conf, &sb) != 0)
        return -1;
    if (S_ISDIR(sb.st_mode)) {
        struct dirent **list = NULL;
        int n = scandir(make_conf, &list, visible_file, alphasort);
        for (int i = 0; i < n; i++) {
            char file[PATH_MAX];
            if ((size_t)snprintf(file, sizeof(file), "%s/%s", make_conf, list[i]->d_name) <
                    sizeof(file) &&
                stat(file, &sb) == 0 && S_ISREG(sb.st_mode))
                chost_from_file(file, out, outlen, &found);
            free(list[i]);
        }
        free(list);
    } else {
        chost_from_file(make_conf, out, outlen, &found);
    }
    if (!found)
        return -1;
    *source = "make.conf";
    return 0;
}

/* ---- parsing what the programs say ------------------------------------- */

int dcc_toolchain_banner_version(const char *banner, char *out, size_t outlen)
{
    const char *best = NULL;
    size_t best_len = 0;
    const char *p = banner;
    while (*p && *p != '\n') {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *w = p;
        while (*p && *p != '\n' && *p != ' ' && *p != '\t')
            p++;
        size_t len = (size_t)(p - w);
        while (len && (w[len - 1] == ')' || w[len - 1] == ',' || w[len - 1] == ';'))
            len--;
        if (len == 0 || !isdigit((unsigned char)w[0]))
            continue;
        size_t i = 0;
        while (i < len && (isdigit((unsigned char)w[i]) || w[i] == '.'))
            i++;
        if (i == len) {
            best = w;
            best_len = len;
        }
    }
    if (!best || best_len >= outlen)
        return -1;
    memcpy(out, best, best_len);
    out[best_len] = '\0';
    return 0;
}

/* Copies the text's first line without surrounding blanks. */
static void first_line(const char *text, char *out, size_t outlen)
{
    while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
        text++;
    size_t len = strcspn(text, "\n");
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, text, len);
    out[len] = '\0';
}

static void configured_flag(const char *word, size_t len, struct dcc_compiler_v *v)
{
    static const struct {
        const char *option;
        size_t field;
        int value;
    } flags[] = {
        {"--enable-default-pie", offsetof(struct dcc_compiler_v, pie_default), 1},
        {"--disable-default-pie", offsetof(struct dcc_compiler_v, pie_default), 0},
        {"--enable-default-ssp", offsetof(struct dcc_compiler_v, ssp_default), 1},
        {"--disable-default-ssp", offsetof(struct dcc_compiler_v, ssp_default), 0},
        {"--enable-cet", offsetof(struct dcc_compiler_v, cet_enabled), 1},
        {"--disable-cet", offsetof(struct dcc_compiler_v, cet_enabled), 0},
    };
    if (len >= 2 && (word[0] == '\'' || word[0] == '"') && word[len - 1] == word[0]) {
        word++;
        len -= 2;
    }
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (strlen(flags[i].option) == len && memcmp(flags[i].option, word, len) == 0)
            *(int *)((char *)v + flags[i].field) = flags[i].value;
}

void dcc_toolchain_parse_v(const char *text, struct dcc_compiler_v *v)
{
    v->pie_default = v->ssp_default = v->cet_enabled = -1;
    v->thread_model[0] = '\0';
    v->version_line[0] = '\0';

    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (dcc_str_startswith(line, "Configured with:") && len > 16) {
            v->pie_default = v->ssp_default = v->cet_enabled = 0;
            const char *p = line + 16, *end = line + len;
            while (p < end) {
                while (p < end && isspace((unsigned char)*p))
                    p++;
                const char *w = p;
                while (p < end && !isspace((unsigned char)*p))
                    p++;
                if (p > w)
                    configured_flag(w, (size_t)(p - w), v);
            }
        } else if (dcc_str_startswith(line, "Thread model:")) {
            first_line(line + 13, v->thread_model, sizeof(v->thread_model));
        } else if (!v->version_line[0] && (dcc_str_startswith(line, "gcc version ") ||
                                           memmem(line, len, "clang version ", 14))) {
            first_line(line, v->version_line, sizeof(v->version_line));
        }
        line = eol ? eol + 1 : NULL;
    }
}

#if DCC_WITH_JSON /* the Makefile's WITH_JSON: the report is jansson's */
/* ---- the report -------------------------------------------------------- */

struct probe {
    const char *path; /* PATH for the children */
    int probe_ms;
    long long deadline; /* of the whole report */
};

enum probe_result { PROBE_OK, PROBE_FAILED, PROBE_STOP };

/* Runs `prog flag`; PROBE_FAILED when it said no (non-zero exit), PROBE_STOP
 * when it cannot be run at all (no point asking it anything else). */
static enum probe_result run_probe(const struct probe *pr, const char *prog, const char *name,
                                   const char *flag, struct dcc_buf *out, char *err, size_t errlen)
{
    long long left = pr->deadline - dcc_now_ms();
    if (left <= 0) {
        dcc_set_err(err, errlen, "%s %s: not probed: the report ran out of time", name, flag);
        return PROBE_STOP;
    }
    int timeout = pr->probe_ms < left ? pr->probe_ms : (int)left;
    char *argv[] = {(char *)name, (char *)flag, NULL};
    char why[512];
    int st = 0;
    out->len = 0;
    if (out->data)
        out->data[0] = '\0';
    if (dcc_toolchain_capture(prog, argv, pr->path, timeout, DCC_TOOLCHAIN_OUTPUT_CAP, out, &st,
                              why, sizeof(why)) != 0) {
        dcc_set_err(err, errlen, "%s %s: %s", name, flag, why);
        return PROBE_STOP;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return PROBE_OK;
    if (WIFSIGNALED(st))
        dcc_set_err(err, errlen, "%s %s: killed by signal %d", name, flag, WTERMSIG(st));
    else
        dcc_set_err(err, errlen, "%s %s: exited with status %d", name, flag, WEXITSTATUS(st));
    return PROBE_FAILED;
}

/* A JSON string for program output; bytes that are not ASCII become '?'
 * when they are not UTF-8 either. "" and NULL give null. */
static json_t *json_text(const char *s)
{
    if (!s || !*s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t len = strlen(s);
    char *clean = malloc(len + 1);
    if (!clean)
        return NULL;
    for (size_t i = 0; i <= len; i++)
        clean[i] = ((unsigned char)s[i] < 0x80) ? s[i] : '?';
    j = json_string(clean);
    free(clean);
    return j;
}

static json_t *json_tristate(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

/* Moves each value into obj under its key; every reference is taken, even
 * after a failure (NULL values count as ENOMEM). 0 or -1. */
static int set_all(json_t *obj, const char *const keys[], json_t *values[], size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!values[i] || rc != 0) {
            json_decref(values[i]);
            rc = -1;
            continue;
        }
        if (json_object_set_new(obj, keys[i], values[i]) != 0)
            rc = -1;
    }
    return rc;
}

static const char *text_of(const struct dcc_buf *b)
{
    return b->data ? b->data : "";
}

static int version_word(const char *text, char *out, size_t outlen)
{
    first_line(text, out, outlen);
    return out[0] && isdigit((unsigned char)out[0]) && !strpbrk(out, " \t") ? 0 : -1;
}

static json_t *probe_compiler(const struct probe *pr, const char *name, const char *wl_dir)
{
    char prog[PATH_MAX];
    char version[64] = "", machine[128] = "", error[600] = "";
    struct dcc_compiler_v v;
    dcc_toolchain_parse_v("", &v);
    int found = dcc_toolchain_find(name, pr->path, wl_dir, prog, sizeof(prog)) == 0;

    struct dcc_buf out = {0};
    if (found) {
        enum probe_result r = run_probe(pr, prog, name, "-dumpfullversion", &out, error,
                                        sizeof(error));
        if (r == PROBE_OK && version_word(text_of(&out), version, sizeof(version)) == 0) {
            error[0] = '\0';
        } else if (r != PROBE_STOP) {
            /* gcc before 7 knows only -dumpversion */
            error[0] = '\0';
            r = run_probe(pr, prog, name, "-dumpversion", &out, error, sizeof(error));
            if (r == PROBE_OK && version_word(text_of(&out), version, sizeof(version)) != 0)
                dcc_set_err(error, sizeof(error), "%s -dumpversion: no version in its output",
                            name);
        }
        if (r != PROBE_STOP) {
            char e2[sizeof(error)] = "";
            r = run_probe(pr, prog, name, "-dumpmachine", &out, e2, sizeof(e2));
            if (r == PROBE_OK)
                first_line(text_of(&out), machine, sizeof(machine));
            if (!error[0])
                memcpy(error, e2, sizeof(error));
        }
        if (r != PROBE_STOP) {
            char e3[sizeof(error)] = "";
            r = run_probe(pr, prog, name, "-v", &out, e3, sizeof(e3));
            if (r == PROBE_OK)
                dcc_toolchain_parse_v(text_of(&out), &v);
            if (!error[0])
                memcpy(error, e3, sizeof(error));
        }
    }
    dcc_buf_free(&out);

    json_t *obj = json_object();
    if (!obj)
        return NULL;
    static const char *const keys[] = {"found",        "path",        "version",     "machine",
                                       "pie_default",  "ssp_default", "cet_enabled", "thread_model",
                                       "version_line", "error"};
    json_t *values[] = {json_boolean(found),          json_text(found ? prog : NULL),
                        json_text(version),           json_text(machine),
                        json_tristate(v.pie_default), json_tristate(v.ssp_default),
                        json_tristate(v.cet_enabled), json_text(v.thread_model),
                        json_text(v.version_line),    json_text(error)};
    if (set_all(obj, keys, values, sizeof(values) / sizeof(values[0])) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *probe_binutil(const struct probe *pr, const char *name, const char *wl_dir)
{
    char prog[PATH_MAX];
    char banner[256] = "", version[64] = "", error[600] = "";
    int found = dcc_toolchain_find(name, pr->path, wl_dir, prog, sizeof(prog)) == 0;
    if (found) {
        struct dcc_buf out = {0};
        if (run_probe(pr, prog, name, "--version", &out, error, sizeof(error)) == PROBE_OK) {
            first_line(text_of(&out), banner, sizeof(banner));
            if (dcc_toolchain_banner_version(banner, version, sizeof(version)) != 0)
                dcc_set_err(error, sizeof(error), "%s --version: no version in \"%s\"", name,
                            banner);
        }
        dcc_buf_free(&out);
    }
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    static const char *const keys[] = {"found", "path", "version", "banner", "error"};
    json_t *values[] = {json_boolean(found), json_text(found ? prog : NULL), json_text(version),
                        json_text(banner), json_text(error)};
    if (set_all(obj, keys, values, sizeof(values) / sizeof(values[0])) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whitelist's compiler names, sorted; NULL-terminated, caller frees
 * with dcc_argv_free. */
static char **whitelist_names(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        dcc_set_err(err, errlen, "cannot read the whitelist directory %s: %s", dir,
                    strerror(errno));
        return NULL;
    }
    char **names = calloc(DCC_TOOLCHAIN_MAX_NAMES + 1, sizeof(*names));
    if (!names) {
        closedir(d);
        dcc_set_err(err, errlen, "out of memory");
        return NULL;
    }
    size_t n = 0;
    struct dirent *e;
    while (n < DCC_TOOLCHAIN_MAX_NAMES && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISLNK(sb.st_mode)) {
            struct stat target;
            if (fstatat(dirfd(d), e->d_name, &target, 0) == 0 && S_ISDIR(target.st_mode))
                continue; /* bin -> . */
        } else if (!S_ISREG(sb.st_mode)) {
            continue;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            closedir(d);
            dcc_argv_free(names);
            dcc_set_err(err, errlen, "out of memory");
            return NULL;
        }
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), compare_names);
    return names;
}

int dcc_toolchain_report_opts(const struct dcc_toolchain_opts *opts, struct dcc_buf *json,
                              char *err, size_t errlen)
{
    if (!opts->whitelist_dir) {
        dcc_set_err(err, errlen, "no whitelist directory given");
        return -1;
    }
    struct probe pr = {
        .path = opts->path ? opts->path : getenv("PATH"),
        .probe_ms = opts->probe_timeout_ms > 0 ? opts->probe_timeout_ms : DEFAULT_PROBE_MS,
        .deadline = dcc_now_ms() +
                    (opts->total_timeout_ms > 0 ? opts->total_timeout_ms : DEFAULT_TOTAL_MS),
    };
    if (!pr.path)
        pr.path = "";

    char **names = whitelist_names(opts->whitelist_dir, err, errlen);
    if (!names)
        return -1;

    char host[256] = "";
    if (opts->hostname)
        snprintf(host, sizeof(host), "%s", opts->hostname);
    else if (gethostname(host, sizeof(host)) != 0)
        host[0] = '\0';
    host[sizeof(host) - 1] = '\0';

    char chost[128] = "";
    const char *chost_source = NULL;
    if (opts->chost) {
        snprintf(chost, sizeof(chost), "%s", opts->chost);
        chost_source = "option";
    } else if (dcc_toolchain_chost(opts->make_conf, chost, sizeof(chost), &chost_source) != 0) {
        chost[0] = '\0';
        chost_source = NULL;
    }

    int rc = -1;
    json_t *root = json_object();
    json_t *compilers = json_object();
    json_t *binutils = json_object();
    if (!root || !compilers || !binutils)
        goto out;
    for (size_t i = 0; names[i]; i++) {
        json_t *c = probe_compiler(&pr, names[i], opts->whitelist_dir);
        if (!c || json_object_set_new(compilers, names[i], c) != 0)
            goto out;
    }
    json_t *as = probe_binutil(&pr, "as", opts->whitelist_dir);
    if (!as || json_object_set_new(binutils, "as", as) != 0)
        goto out;
    json_t *ld = probe_binutil(&pr, "ld", opts->whitelist_dir);
    if (!ld || json_object_set_new(binutils, "ld", ld) != 0)
        goto out;

    static const char *const keys[] = {"schema",        "host",      "chost",   "chost_source",
                                       "whitelist_dir", "compilers", "binutils"};
    json_t *values[] = {json_integer(1),
                        json_text(host),
                        json_text(chost),
                        json_text(chost_source),
                        json_text(opts->whitelist_dir),
                        compilers,
                        binutils};
    compilers = binutils = NULL; /* set_all owns them now */
    if (set_all(root, keys, values, sizeof(values) / sizeof(values[0])) != 0)
        goto out;

    char *text = json_dumps(root, JSON_COMPACT);
    if (!text)
        goto out;
    size_t len0 = json->len;
    if (dcc_buf_appends(json, text) == 0 && dcc_buf_appends(json, "\n") == 0) {
        rc = 0;
    } else if (json->data) {
        json->len = len0;
        json->data[len0] = '\0';
    }
    free(text);
out:
    if (rc != 0)
        dcc_set_err(err, errlen, "out of memory");
    json_decref(root);
    json_decref(compilers);
    json_decref(binutils);
    dcc_argv_free(names);
    return rc;
}

int dcc_toolchain_report(const char *whitelist_dir, const char *path, struct dcc_buf *json,
                         char *err, size_t errlen)
{
    struct dcc_toolchain_opts opts = {.whitelist_dir = whitelist_dir, .path = path};
    return dcc_toolchain_report_opts(&opts, json, err, errlen);
}

#endif /* DCC_WITH_JSON */
