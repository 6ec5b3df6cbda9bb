/* Expanding -march=native: run gcc, parse its cc1 line and -Q listings, build and prove the flags. */
#include "proto/dcc_march.h"

#include "base/dcc_run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

static int fail(int status, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int status, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return status;
}

static int nomem(char *err, size_t errlen)
{
    return fail(DCC_MARCH_NOMEM, err, errlen, "out of memory");
}

/* Appends a copy of s to a NULL-terminated argv; 0 or -1. */
static int argv_push(char ***argv, const char *s)
{
    const char *items[1] = {s};
    if (!*argv) {
        *argv = calloc(1, sizeof **argv);
        if (!*argv)
            return -1;
    }
    return dcc_argv_insert(argv, dcc_argv_len(*argv), items, 1);
}

static int argv_pushf(char ***argv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int argv_pushf(char ***argv, const char *fmt, ...)
{
    struct dcc_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = dcc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc == 0)
        rc = argv_push(argv, b.data);
    dcc_buf_free(&b);
    return rc;
}

/* An empty argv rather than NULL, so callers can always iterate and join. */
static char **argv_empty(void)
{
    return calloc(1, sizeof(char *));
}

void dcc_march_native_free(struct dcc_march_native *native)
{
    free(native->arch);
    free(native->tune);
    dcc_argv_free(native->mflags);
    dcc_argv_free(native->params);
    memset(native, 0, sizeof *native);
}

/* ---- the cc1 line ---- */

/* Splits one line into words the way gcc -v and -### print them: blanks
 * separate, "…" may hold blanks and \-escapes, '…' is literal. */
static int split_words(const char *line, size_t len, char ***words)
{
    const char *p = line, *end = line + len;
    *words = argv_empty();
    if (!*words)
        return -1;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p >= end)
            return 0;
        struct dcc_buf w = {0};
        int rc = dcc_buf_append(&w, "", 0);
        while (rc == 0 && p < end && *p != ' ' && *p != '\t' && *p != '\r') {
            if (*p == '"') {
                for (p++; rc == 0 && p < end && *p != '"'; p++) {
                    if (*p == '\\' && p + 1 < end)
                        p++;
                    rc = dcc_buf_append(&w, p, 1);
                }
                if (p < end)
                    p++;
            } else if (*p == '\'') {
                for (p++; rc == 0 && p < end && *p != '\''; p++)
                    rc = dcc_buf_append(&w, p, 1);
                if (p < end)
                    p++;
            } else {
                if (*p == '\\' && p + 1 < end)
                    p++;
                rc = dcc_buf_append(&w, p, 1);
                p++;
            }
        }
        if (rc == 0)
            rc = argv_push(words, w.data);
        dcc_buf_free(&w);
        if (rc != 0) {
            dcc_argv_free(*words);
            *words = NULL;
            return -1;
        }
    }
}

/* The compiler proper for each front end gcc might run for -x c or -x c++. */
static const char *const cc1_names[] = {"cc1", "cc1plus", "cc1obj", "cc1objplus"};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "COMPILER_PATH=/usr/libexec/gcc/…/cc1" style words are settings, not a program. */
static int is_cc1(const char *path)
{
    if (strchr(path, '='))
        return 0;
    const char *base = base_name(path);
    for (size_t i = 0; i < sizeof cc1_names / sizeof cc1_names[0]; i++)
        if (strcmp(base, cc1_names[i]) == 0)
            return 1;
    return 0;
}

static int is_clang_cc1(char *const *words)
{
    return words[0] && words[1] && dcc_str_startswith(base_name(words[0]), "clang") &&
           strcmp(words[1], "-cc1") == 0;
}

/* Whatever we print ends up in make.conf or a command line: anything that
 * a shell or Portage would interpret is a sign we misread the line. */
static int safe_word(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._+=,:/-", c)))
            return 0;
    }
    return 1;
}

static int replace_str(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

static int parse_words(char *const *words, struct dcc_march_native *n, char *err, size_t errlen)
{
    for (size_t i = 1; words[i]; i++) {
        const char *w = words[i];
        const char *param = NULL;
        if (strcmp(w, "--param") == 0) {
            if (!words[i + 1])
                return fail(DCC_MARCH_UNPARSABLE, err, errlen,
                            "cc1 line ends in --param without a value");
            param = words[++i];
        } else if (dcc_str_startswith(w, "--param=")) {
            param = w + strlen("--param=");
        }
        if (param) {
            const char *eq = strchr(param, '=');
            if (!eq || eq == param || !eq[1] || !safe_word(param))
                return fail(DCC_MARCH_UNPARSABLE, err, errlen,
                            "cc1 line has a malformed --param '%s'", param);
            if (argv_push(&n->params, param) != 0)
                return nomem(err, errlen);
            continue;
        }
        if (!dcc_str_startswith(w, "-m"))
            continue;
        if (!safe_word(w))
            return fail(DCC_MARCH_UNPARSABLE, err, errlen, "cc1 line has an unexpected flag '%s'",
                        w);
        int rc = 0;
        if (dcc_str_startswith(w, "-march="))
            rc = replace_str(&n->arch, w + strlen("-march="));
        else if (dcc_str_startswith(w, "-mtune="))
            rc = replace_str(&n->tune, w + strlen("-mtune="));
        else
            rc = argv_push(&n->mflags, w);
        if (rc != 0)
            return nomem(err, errlen);
    }
    if (!n->arch || !n->arch[0])
        return fail(DCC_MARCH_UNPARSABLE, err, errlen, "cc1 line has no -march=");
    if (strcmp(n->arch, "native") == 0 || (n->tune && strcmp(n->tune, "native") == 0))
        return fail(DCC_MARCH_UNPARSABLE, err, errlen,
                    "the compiler passed native on to cc1 unexpanded; it cannot detect this CPU");
    if (n->tune && !n->tune[0])
        return fail(DCC_MARCH_UNPARSABLE, err, errlen, "cc1 line has an empty -mtune=");
    if ((!n->mflags && !(n->mflags = argv_empty())) || (!n->params && !(n->params = argv_empty())))
        return nomem(err, errlen);
    return DCC_MARCH_OK;
}

int dcc_march_parse_cc1(const char *text, struct dcc_march_native *native, char *err, size_t errlen)
{
    memset(native, 0, sizeof *native);
    int saw_clang = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char **words;
        if (split_words(line, len, &words) != 0)
            return nomem(err, errlen);
        if (words[0] && is_cc1(words[0])) {
            int rc = parse_words(words, native, err, errlen);
            dcc_argv_free(words);
            if (rc != DCC_MARCH_OK)
                dcc_march_native_free(native);
            return rc;
        }
        saw_clang |= is_clang_cc1(words);
        dcc_argv_free(words);
        line = nl ? nl + 1 : NULL;
    }
    if (saw_clang)
        return fail(
            DCC_MARCH_UNSUPPORTED, err, errlen,
            "clang is not supported: its -march=native is a CPU name plus a -target-feature "
            "list that -m flags do not reproduce exactly; use gcc");
    return fail(DCC_MARCH_UNPARSABLE, err, errlen,
                "no cc1 or cc1plus line in the compiler's output");
}

/* ---- -Q --help listings ---- */

void dcc_march_optset_free(struct dcc_march_optset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        free(set->opts[i].name);
        free(set->opts[i].value);
    }
    free(set->opts);
    set->opts = NULL;
    set->n = 0;
}

static int optset_add(struct dcc_march_optset *set, const char *name, size_t nlen,
                      const char *value, size_t vlen)
{
    struct dcc_march_opt *grown = realloc(set->opts, (set->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    set->opts = grown;
    char *n = strndup(name, nlen), *v = strndup(value, vlen);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    set->opts[set->n].name = n;
    set->opts[set->n].value = v;
    set->n++;
    return 0;
}

int dcc_march_parse_help(const char *text, struct dcc_march_optset *set, char *err, size_t errlen)
{
    memset(set, 0, sizeof *set);
    int in_block = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *p = line, *end = line + len;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p == '-' && p > line) {
            const char *name = p;
            while (p < end && *p != ' ' && *p != '\t')
                p++;
            size_t nlen = (size_t)(p - name);
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            const char *vend = end;
            while (vend > p && (vend[-1] == ' ' || vend[-1] == '\t' || vend[-1] == '\r'))
                vend--;
            if (optset_add(set, name, nlen, p, (size_t)(vend - p)) != 0) {
                dcc_march_optset_free(set);
                return nomem(err, errlen);
            }
            in_block = 1;
        } else if (in_block) {
            /* The "Known valid arguments for -march=" lists follow; their
             * words are not options. */
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (set->n == 0)
        return fail(DCC_MARCH_UNPARSABLE, err, errlen,
                    "no option lines in the compiler's -Q --help output");
    return DCC_MARCH_OK;
}

static const char *optset_get(const struct dcc_march_optset *set, const char *name, size_t nlen)
{
    for (size_t i = 0; i < set->n; i++)
        if (strlen(set->opts[i].name) == nlen && memcmp(set->opts[i].name, name, nlen) == 0)
            return set->opts[i].value;
    return NULL;
}

static int state_of(const char *value)
{
    if (!value)
        return -1;
    if (strcmp(value, "[enabled]") == 0)
        return 1;
    if (strcmp(value, "[disabled]") == 0)
        return 0;
    return -1;
}

int dcc_march_optset_implies(const struct dcc_march_optset *set, const char *flag)
{
    const char *eq = strchr(flag, '=');
    if (eq) {
        const char *value = optset_get(set, flag, (size_t)(eq - flag) + 1);
        return value ? strcmp(value, eq + 1) == 0 : -1;
    }
    if (dcc_str_startswith(flag, "-mno-")) {
        /* -mno-X is listed as -mX, except for the few options gcc defines
         * by their negative name (-mno-red-zone). */
        struct dcc_buf pos = {0};
        if (dcc_buf_printf(&pos, "-m%s", flag + strlen("-mno-")) != 0)
            return -1;
        int s = state_of(optset_get(set, pos.data, pos.len));
        dcc_buf_free(&pos);
        if (s >= 0)
            return !s;
    }
    return state_of(optset_get(set, flag, strlen(flag)));
}

int dcc_march_reduce(const struct dcc_march_native *native,
                     const struct dcc_march_optset *arch_help, struct dcc_march_native *reduced,
                     char *err, size_t errlen)
{
    memset(reduced, 0, sizeof *reduced);
    reduced->arch = strdup(native->arch);
    reduced->tune = native->tune ? strdup(native->tune) : NULL;
    reduced->mflags = argv_empty();
    reduced->params = dcc_argv_dup(native->params);
    if (!reduced->arch || (native->tune && !reduced->tune) || !reduced->mflags ||
        !reduced->params) {
        dcc_march_native_free(reduced);
        return nomem(err, errlen);
    }
    for (size_t i = 0; native->mflags && native->mflags[i]; i++) {
        if (dcc_march_optset_implies(arch_help, native->mflags[i]) == 1)
            continue;
        if (argv_push(&reduced->mflags, native->mflags[i]) != 0) {
            dcc_march_native_free(reduced);
            return nomem(err, errlen);
        }
    }
    return DCC_MARCH_OK;
}

/* ---- substituting into the user's arguments ---- */

int dcc_march_args_want_native(char *const *args)
{
    for (size_t i = 0; args && args[i]; i++)
        if (strcmp(args[i], "-march=native") == 0 || strcmp(args[i], "-mtune=native") == 0)
            return 1;
    return 0;
}

static int push_params(char ***out, const struct dcc_march_native *r, unsigned flags)
{
    if (flags & DCC_MARCH_DROP_CACHE_PARAMS)
        return 0;
    for (size_t i = 0; r->params[i]; i++)
        if (argv_pushf(out, "--param=%s", r->params[i]) != 0)
            return -1;
    return 0;
}

int dcc_march_substitute(char *const *args, const struct dcc_march_native *reduced, unsigned flags,
                         char ***out, char *err, size_t errlen)
{
    int march_native = 0, tune_native = 0, tune_other = 0;
    for (size_t i = 0; args && args[i]; i++) {
        if (strcmp(args[i], "-march=native") == 0)
            march_native = 1;
        else if (strcmp(args[i], "-mtune=native") == 0)
            tune_native = 1;
        else if (dcc_str_startswith(args[i], "-mtune="))
            tune_other = 1;
    }
    if (tune_native && !reduced->tune)
        return fail(DCC_MARCH_UNPARSABLE, err, errlen,
                    "the compiler's cc1 line has no -mtune=, so -mtune=native cannot be expanded");
    int tune_is_arch = reduced->tune && strcmp(reduced->tune, reduced->arch) == 0;

    *out = argv_empty();
    if (!*out)
        return nomem(err, errlen);
    int rc = 0;
    for (size_t i = 0; rc == 0 && args && args[i]; i++) {
        if (strcmp(args[i], "-march=native") == 0) {
            rc = argv_pushf(out, "-march=%s", reduced->arch);
            for (size_t j = 0; rc == 0 && reduced->mflags[j]; j++)
                rc = argv_push(out, reduced->mflags[j]);
            /* With no -mtune= at all gcc tunes for native too, and that
             * detection is what brings the cache --params. */
            if (rc == 0 && !tune_native && !tune_other) {
                if (reduced->tune && !tune_is_arch)
                    rc = argv_pushf(out, "-mtune=%s", reduced->tune);
                if (rc == 0)
                    rc = push_params(out, reduced, flags);
            }
        } else if (strcmp(args[i], "-mtune=native") == 0) {
            if (!(tune_is_arch && march_native && !tune_other))
                rc = argv_pushf(out, "-mtune=%s", reduced->tune);
            if (rc == 0)
                rc = push_params(out, reduced, flags);
        } else {
            rc = argv_push(out, args[i]);
        }
    }
    if (rc != 0) {
        dcc_argv_free(*out);
        *out = NULL;
        return nomem(err, errlen);
    }
    return DCC_MARCH_OK;
}

/* ---- output ---- */

/* make.conf is sourced by bash: inside "…" only these four are special. */
static int append_dquoted(struct dcc_buf *out, const char *s)
{
    int rc = 0;
    for (; rc == 0 && *s; s++) {
        if (strchr("\"\\$`", *s))
            rc = dcc_buf_append(out, "\\", 1);
        if (rc == 0)
            rc = dcc_buf_append(out, s, 1);
    }
    return rc;
}

static const char *const make_conf_vars[] = {"CFLAGS", "CXXFLAGS", "FCFLAGS", "FFLAGS"};

int dcc_march_format(char *const *args, enum dcc_march_style style, struct dcc_buf *out)
{
    int rc = dcc_buf_append(out, "", 0);
    switch (style) {
    case DCC_MARCH_STYLE_VERTICAL:
        for (size_t i = 0; rc == 0 && args && args[i]; i++)
            rc = dcc_buf_printf(out, "%s\n", args[i]);
        break;
    case DCC_MARCH_STYLE_MAKE_CONF:
        rc = rc ? rc : dcc_buf_appends(out, "COMMON_FLAGS=\"");
        for (size_t i = 0; rc == 0 && args && args[i]; i++) {
            rc = i ? dcc_buf_append(out, " ", 1) : 0;
            rc = rc ? rc : append_dquoted(out, args[i]);
        }
        rc = rc ? rc : dcc_buf_appends(out, "\"\n");
        for (size_t i = 0; rc == 0 && i < sizeof make_conf_vars / sizeof make_conf_vars[0]; i++)
            rc = dcc_buf_printf(out, "%s=\"${COMMON_FLAGS}\"\n", make_conf_vars[i]);
        break;
    case DCC_MARCH_STYLE_LINE:
    default:
        for (size_t i = 0; rc == 0 && args && args[i]; i++)
            rc = dcc_buf_printf(out, "%s%s", i ? " " : "", args[i]);
        rc = rc ? rc : dcc_buf_append(out, "\n", 1);
        break;
    }
    return rc;
}

/* ---- comparing listings ---- */

struct line_iter {
    const char *p;
    size_t number;
};

static int skipped(const char *line, size_t len, char *const *skip)
{
    while (len && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    for (size_t i = 0; skip && skip[i]; i++) {
        size_t sl = strlen(skip[i]);
        if (len >= sl && memcmp(line, skip[i], sl) == 0)
            return 1;
    }
    return 0;
}

/* The next line not in skip; 0 at the end. */
static int next_line(struct line_iter *it, char *const *skip, const char **line, size_t *len)
{
    while (it->p && *it->p) {
        const char *nl = strchr(it->p, '\n');
        *line = it->p;
        *len = nl ? (size_t)(nl - it->p) : strlen(it->p);
        it->p = nl ? nl + 1 : NULL;
        it->number++;
        if (!skipped(*line, *len, skip))
            return 1;
    }
    return 0;
}

/* Blank runs become one space, so the report fits on one line. */
static void describe_line(char *dst, size_t dstlen, const char *line, size_t len, int present)
{
    if (!present) {
        snprintf(dst, dstlen, "(end of output)");
        return;
    }
    size_t o = 0;
    int blank = 1;
    for (size_t i = 0; i < len && o + 1 < dstlen; i++) {
        int is_blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
        if (is_blank && blank)
            continue;
        dst[o++] = is_blank ? ' ' : line[i];
        blank = is_blank;
    }
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
}

int dcc_march_compare_listings(const char *what, const char *native, const char *expanded,
                               char *const *skip, char *diff, size_t difflen)
{
    struct line_iter a = {native, 0}, b = {expanded, 0};
    for (;;) {
        const char *la = NULL, *lb = NULL;
        size_t na = 0, nb = 0;
        int ha = next_line(&a, skip, &la, &na);
        int hb = next_line(&b, skip, &lb, &nb);
        if (!ha && !hb)
            return 0;
        if (ha && hb && na == nb && memcmp(la, lb, na) == 0)
            continue;
        char da[256], db[256];
        describe_line(da, sizeof da, la, na, ha);
        describe_line(db, sizeof db, lb, nb, hb);
        snprintf(diff, difflen,
                 "%s differs at line %zu: native gives '%s', the expansion gives '%s'", what,
                 ha ? a.number : b.number, da, db);
        return 1;
    }
}

/* ---- running the compiler ---- */

void dcc_march_cc_free(struct dcc_march_cc *cc)
{
    dcc_argv_free(cc->words);
    cc->words = NULL;
}

int dcc_march_cc_init(struct dcc_march_cc *cc, const char *spec, int timeout_ms, char *err,
                      size_t errlen)
{
    memset(cc, 0, sizeof *cc);
    cc->timeout_ms = timeout_ms > 0 ? timeout_ms : DCC_MARCH_DEFAULT_TIMEOUT_MS;
    char **words;
    if (split_words(spec, strlen(spec), &words) != 0)
        return nomem(err, errlen);
    if (!words[0]) {
        dcc_argv_free(words);
        return fail(DCC_MARCH_BAD_INPUT, err, errlen, "the compiler name is empty");
    }
    cc->words = words;
    return DCC_MARCH_OK;
}

static char *command_text(const struct dcc_march_cc *cc, char *const *extra)
{
    char **all = dcc_argv_dup(cc->words);
    if (!all)
        return NULL;
    size_t n = dcc_argv_len(extra);
    if (n && dcc_argv_insert(&all, dcc_argv_len(all), (const char *const *)extra, n) != 0) {
        dcc_argv_free(all);
        return NULL;
    }
    char *text = dcc_argv_join(all);
    dcc_argv_free(all);
    return text;
}

/* The first line of stderr that says error, else its last non-empty line. */
static void first_error_line(const char *text, char *dst, size_t dstlen)
{
    const char *pick = NULL, *last = NULL;
    size_t pick_len = 0, last_len = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len) {
            last = line;
            last_len = len;
            if (!pick && memmem(line, len, "error", 5)) {
                pick = line;
                pick_len = len;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!pick) {
        pick = last;
        pick_len = last_len;
    }
    if (!pick)
        snprintf(dst, dstlen, "(no message)");
    else
        snprintf(dst, dstlen, "%.*s", (int)(pick_len > 300 ? 300 : pick_len), pick);
}

/* The child's environment: ours with LC_ALL=C so "[enabled]" is not
 * translated, and without LANGUAGE, which gettext would still honour. */
static const char *const child_env[] = {"LANGUAGE", "LC_ALL=C", NULL};

int dcc_march_run(const struct dcc_march_cc *cc, char *const *extra, struct dcc_buf *out,
                  struct dcc_buf *errout, char *err, size_t errlen)
{
    int status = DCC_MARCH_OK;
    char *cmd = command_text(cc, extra);
    char **argv = dcc_argv_dup(cc->words);
    size_t nextra = dcc_argv_len(extra);
    if (!cmd || !argv ||
        (nextra &&
         dcc_argv_insert(&argv, dcc_argv_len(argv), (const char *const *)extra, nextra) != 0)) {
        status = nomem(err, errlen);
        goto done;
    }
    /* In its own process group, so a timeout kills its children too. */
    struct dcc_run_opts o = {
        .argv = argv,
        .env_set = child_env,
        .out = DCC_RUN_CAPTURE,
        .out_buf = out,
        .err = DCC_RUN_CAPTURE,
        .err_buf = errout,
        .cap = DCC_MARCH_OUTPUT_CAP,
        .timeout_ms = cc->timeout_ms,
        .flags = DCC_RUN_SEARCH_PATH,
    };
    char why[512];
    int wstatus = 0;
    switch (dcc_run(&o, &wstatus, why, sizeof why)) {
    case DCC_RUN_OK:
    case DCC_RUN_LOST: /* reaped elsewhere: its output is all there is */
        break;
    case DCC_RUN_NOT_RUN:
        status = fail(DCC_MARCH_CC_MISSING, err, errlen, "cannot run the compiler '%s': %s",
                      argv[0], strerror(errno));
        goto done;
    case DCC_RUN_TIMEOUT:
        if (cc->timeout_ms % 1000 == 0)
            status = fail(DCC_MARCH_CC_TIMEOUT, err, errlen, "'%s' did not finish within %d s", cmd,
                          cc->timeout_ms / 1000);
        else
            status = fail(DCC_MARCH_CC_TIMEOUT, err, errlen, "'%s' did not finish within %d ms",
                          cmd, cc->timeout_ms);
        goto done;
    case DCC_RUN_OVER_CAP:
        status = fail(DCC_MARCH_CC_FAILED, err, errlen, "'%s' printed more than %u bytes", cmd,
                      DCC_MARCH_OUTPUT_CAP);
        goto done;
    case DCC_RUN_NOMEM:
        status = nomem(err, errlen);
        goto done;
    default:
        status = fail(DCC_MARCH_SYSTEM, err, errlen, "%s", why);
        goto done;
    }
    if (WIFSIGNALED(wstatus)) {
        status = fail(DCC_MARCH_CC_FAILED, err, errlen, "'%s' was killed by signal %d", cmd,
                      WTERMSIG(wstatus));
    } else if (WEXITSTATUS(wstatus) != 0) {
        char first[320];
        first_error_line(errout->data, first, sizeof first);
        status = fail(DCC_MARCH_CC_FAILED, err, errlen, "'%s' failed with exit status %d: %s", cmd,
                      WEXITSTATUS(wstatus), first);
    }
done:
    dcc_argv_free(argv);
    free(cmd);
    return status;
}

/* ---- the three steps ---- */

static char *const detect_verbose[] = {"-v", "-E", "-x", "c", "-march=native", "-mtune=native",
                                       "-",  NULL};
static char *const detect_dry[] = {"-###",          "-E", "-x", "c", "-march=native",
                                   "-mtune=native", "-",  NULL};

int dcc_march_detect(const struct dcc_march_cc *cc, struct dcc_march_native *native, char *err,
                     size_t errlen)
{
    struct dcc_buf out = {0}, errout = {0};
    char why[768] = "";
    memset(native, 0, sizeof *native);
    /* A failing -v run is reported, not retried: -### would print a cc1
     * line the compiler itself just refused to run. */
    int rc = dcc_march_run(cc, detect_verbose, &out, &errout, why, sizeof why);
    if (rc == DCC_MARCH_OK)
        rc = dcc_march_parse_cc1(errout.data, native, why, sizeof why);
    if (rc == DCC_MARCH_UNPARSABLE) {
        /* -v output we cannot read (a wrapper that eats it, a different
         * layout): -### prints the same line in another form. */
        out.len = errout.len = 0;
        char second[700] = "";
        rc = dcc_march_run(cc, detect_dry, &out, &errout, second, sizeof second);
        if (rc == DCC_MARCH_OK)
            rc = dcc_march_parse_cc1(errout.data, native, second, sizeof second);
        if (rc == DCC_MARCH_UNPARSABLE)
            snprintf(why, sizeof why, "%s (tried -v and -###)", second);
        else
            snprintf(why, sizeof why, "%s", second);
    }
    if (rc != DCC_MARCH_OK)
        fail(rc, err, errlen, "%s", why);
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    return rc;
}

int dcc_march_expand(const struct dcc_march_cc *cc, struct dcc_march_native *reduced, char *err,
                     size_t errlen)
{
    struct dcc_march_native native;
    memset(reduced, 0, sizeof *reduced);
    int rc = dcc_march_detect(cc, &native, err, errlen);
    if (rc != DCC_MARCH_OK)
        return rc;
    struct dcc_buf out = {0}, errout = {0}, march = {0};
    struct dcc_march_optset help = {0};
    if (dcc_buf_printf(&march, "-march=%s", native.arch) != 0) {
        rc = nomem(err, errlen);
        goto done;
    }
    char *query[] = {"-Q", "--help=target", march.data, NULL};
    rc = dcc_march_run(cc, query, &out, &errout, err, errlen);
    if (rc != DCC_MARCH_OK)
        goto done;
    rc = dcc_march_parse_help(out.data, &help, err, errlen);
    if (rc != DCC_MARCH_OK)
        goto done;
    rc = dcc_march_reduce(&native, &help, reduced, err, errlen);
done:
    dcc_march_optset_free(&help);
    dcc_march_native_free(&native);
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    dcc_buf_free(&march);
    return rc;
}

/* The words that decide target state: -m… and --param, nothing that could
 * name a file or change what a --help run does. */
static char **target_words(char *const *args)
{
    char **words = argv_empty();
    for (size_t i = 0; words && args && args[i]; i++) {
        int keep = dcc_str_startswith(args[i], "-m") || dcc_str_startswith(args[i], "--param=");
        int pair = strcmp(args[i], "--param") == 0 && args[i + 1];
        if ((keep || pair) && argv_push(&words, args[i]) != 0) {
            dcc_argv_free(words);
            return NULL;
        }
        if (pair && argv_push(&words, args[++i]) != 0) {
            dcc_argv_free(words);
            return NULL;
        }
    }
    return words;
}

static int listing(const struct dcc_march_cc *cc, const char *help, char *const *words,
                   struct dcc_buf *out, char *err, size_t errlen)
{
    char **query = argv_empty();
    const char *head[] = {"-Q", help};
    int rc = DCC_MARCH_OK;
    if (!query || dcc_argv_insert(&query, 0, head, 2) != 0 ||
        (words[0] &&
         dcc_argv_insert(&query, 2, (const char *const *)words, dcc_argv_len(words)) != 0)) {
        rc = nomem(err, errlen);
    } else {
        struct dcc_buf errout = {0};
        out->len = 0;
        rc = dcc_march_run(cc, query, out, &errout, err, errlen);
        dcc_buf_free(&errout);
    }
    dcc_argv_free(query);
    return rc;
}

int dcc_march_check(const struct dcc_march_cc *cc, char *const *before, char *const *after,
                    const struct dcc_march_native *reduced, unsigned flags, char *err,
                    size_t errlen)
{
    static const char *const helps[] = {"--help=target", "--help=params"};
    char **wa = target_words(before), **wb = target_words(after), **skip = argv_empty();
    struct dcc_buf la = {0}, lb = {0};
    int rc = DCC_MARCH_OK;
    if (!wa || !wb || !skip) {
        rc = nomem(err, errlen);
        goto done;
    }
    for (size_t i = 0;
         (flags & DCC_MARCH_DROP_CACHE_PARAMS) && reduced && reduced->params && reduced->params[i];
         i++) {
        const char *eq = strchr(reduced->params[i], '=');
        if (argv_pushf(&skip, "--param=%.*s=", (int)(eq - reduced->params[i]),
                       reduced->params[i]) != 0) {
            rc = nomem(err, errlen);
            goto done;
        }
    }
    for (size_t h = 0; h < sizeof helps / sizeof helps[0] && rc == DCC_MARCH_OK; h++) {
        rc = listing(cc, helps[h], wa, &la, err, errlen);
        if (rc == DCC_MARCH_OK)
            rc = listing(cc, helps[h], wb, &lb, err, errlen);
        if (rc != DCC_MARCH_OK)
            break;
        char what[64];
        snprintf(what, sizeof what, "-Q %s", helps[h]);
        if (dcc_march_compare_listings(what, la.data, lb.data, h == 1 ? skip : NULL, err, errlen))
            rc = DCC_MARCH_MISMATCH;
    }
done:
    dcc_argv_free(wa);
    dcc_argv_free(wb);
    dcc_argv_free(skip);
    dcc_buf_free(&la);
    dcc_buf_free(&lb);
    return rc;
}
