/* Compiler argument scanning: local-only decisions, input/output files, the client's cpp and strip rewrites,
 * reading every option through dcc_optcat's catalogue. */
#include "proto/dcc_args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dcc_exit.h"
#include "proto/dcc_optcat.h"
#include "base/dcc_util.h"

/* ------------------------------------------------------------------------
 * Options, as the catalogue reads them
 *
 * Scanning, stripping and pump's rewriting all need to know that in
 * "-MT foo.c" or "-Xclang -E" the second word is a value, not a source
 * file or an option of its own, and what an option does; dcc_optcat's
 * catalogue says it for every reader. The client reads a line as either
 * driver may: it cannot know which one "cc" is.
 * ------------------------------------------------------------------------ */

/* Fills w for an option word; 0 (w empty: a flag of no known meaning)
 * for a word the catalogue does not know. */
static int dcc_args_opt(const char *word, struct dcc_optcat_word *w)
{
    return dcc_optcat_lookup(word, DCC_OPT_DRIVERS, w);
}

/* ------------------------------------------------------------------------
 * File names
 * ------------------------------------------------------------------------ */

/* source suffix -> suffix of its cpp output */
static const struct {
    const char *suffix;
    const char *preproc;
} dcc_source_suffixes[] = {
    {"c", ".i"},   {"i", ".i"},    {"cc", ".ii"}, {"cpp", ".ii"},  {"cxx", ".ii"},
    {"cp", ".ii"}, {"c++", ".ii"}, {"C", ".ii"},  {"ii", ".ii"},   {"m", ".mi"},
    {"mi", ".mi"}, {"mm", ".mii"}, {"M", ".mii"}, {"mii", ".mii"},
};

static const char *dcc_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The suffix after the last dot of the base name, without the dot; NULL
 * when there is none or it is empty. */
static const char *dcc_suffix(const char *path)
{
    const char *dot = strrchr(dcc_basename(path), '.');
    return dot && dot[1] ? dot + 1 : NULL;
}

const char *dcc_args_preproc_ext(const char *source)
{
    const char *suffix = dcc_suffix(source);
    if (!suffix)
        return NULL;
    for (size_t i = 0; i < sizeof dcc_source_suffixes / sizeof dcc_source_suffixes[0]; i++)
        if (strcmp(suffix, dcc_source_suffixes[i].suffix) == 0)
            return dcc_source_suffixes[i].preproc;
    return NULL;
}

int dcc_args_is_source(const char *name)
{
    return dcc_args_preproc_ext(name) != NULL;
}

int dcc_args_is_object(const char *name)
{
    const char *suffix = dcc_suffix(name);
    return suffix && strcmp(suffix, "o") == 0;
}

static int dcc_suffix_is_preprocessed(const char *name)
{
    const char *suffix = dcc_suffix(name);
    return suffix && (strcmp(suffix, "i") == 0 || strcmp(suffix, "ii") == 0 ||
                      strcmp(suffix, "mi") == 0 || strcmp(suffix, "mii") == 0);
}

static int dcc_suffix_is_assembler(const char *name)
{
    const char *suffix = dcc_suffix(name);
    return suffix &&
           (strcmp(suffix, "s") == 0 || strcmp(suffix, "S") == 0 || strcmp(suffix, "sx") == 0);
}

/* NAME with the suffix of its base name replaced by new_suffix (".o");
 * dir_too keeps the directory part. NULL on ENOMEM. */
static char *dcc_replace_suffix(const char *name, const char *new_suffix, int dir_too)
{
    const char *start = dir_too ? name : dcc_basename(name);
    const char *dot = strrchr(dcc_basename(name), '.');
    size_t keep = dot ? (size_t)(dot - start) : strlen(start);
    size_t n = keep + strlen(new_suffix) + 1;
    char *out = malloc(n);
    if (!out)
        return NULL;
    memcpy(out, start, keep);
    strcpy(out + keep, new_suffix);
    return out;
}

/* ------------------------------------------------------------------------
 * Languages given with -x
 * ------------------------------------------------------------------------ */

static const struct {
    const char *lang;
    const char *preprocessed; /* the same language after cpp; NULL if it is already */
} dcc_languages[] = {
    {"c", "cpp-output"},
    {"c++", "c++-cpp-output"},
    {"objective-c", "objective-c-cpp-output"},
    {"objective-c++", "objective-c++-cpp-output"},
    {"cpp-output", NULL},
    {"c++-cpp-output", NULL},
    {"objective-c-cpp-output", NULL},
    {"objective-c++-cpp-output", NULL},
    {"none", NULL},
};

/* Index into dcc_languages, or -1 for a language distcc does not send. */
static int dcc_language_find(const char *lang)
{
    for (size_t i = 0; i < sizeof dcc_languages / sizeof dcc_languages[0]; i++)
        if (strcmp(lang, dcc_languages[i].lang) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------
 * dcc_args_scan
 * ------------------------------------------------------------------------ */

/* Splits every -Wp,A,B into A B, the way distcc 3.4 does, and turns the
 * -MD,FILE / -MMD,FILE pairs into -MD -MF FILE so that the dependency file is
 * visible to everything after. */
static int dcc_expand_wp(char ***argvp, int *deps_from_wp)
{
    for (size_t i = 1; (*argvp)[i]; i++) {
        const char *word = (*argvp)[i];
        if (!dcc_str_startswith(word, "-Wp,"))
            continue;
        char *copy = strdup(word + 4);
        size_t cap = 2 * strlen(word) + 2, n = 0;
        const char **parts = calloc(cap, sizeof *parts);
        if (!copy || !parts) {
            free(copy);
            free(parts);
            return -1;
        }
        for (char *save = NULL, *p = strtok_r(copy, ",", &save); p;
             p = strtok_r(NULL, ",", &save)) {
            parts[n++] = p;
            if (strcmp(p, "-MD") == 0 || strcmp(p, "-MMD") == 0) {
                char *file = strtok_r(NULL, ",", &save);
                if (file) {
                    parts[n++] = "-MF";
                    parts[n++] = file;
                }
                *deps_from_wp = 1;
            }
        }
        int rc = dcc_argv_insert(argvp, i + 1, parts, n);
        free(copy);
        free(parts);
        if (rc != 0)
            return -1;
        dcc_argv_remove(*argvp, i, 1);
        i += n;
        i--; /* the loop's i++ moves past the last inserted word */
    }
    return 0;
}

/* The reason an option another tool reads keeps the job here ("-Wa,-al"
 * makes the assembler write a listing), or NULL: list is the option's
 * value, comma-separated for "-Wa," and one word otherwise. */
static const char *dcc_args_passed_local(const struct dcc_optcat_word *w, const char *list)
{
    unsigned tool = dcc_optcat_is(w, "-Xclang") ? DCC_OPT_CC1 : DCC_OPT_AS;
    if (!list || (w->opt->roles & DCC_ROLE_CPP))
        return NULL; /* -Wp, is split up before the scan; -Xpreprocessor words are cpp's */
    int split = strchr(w->opt->name, ',') != NULL;
    int skip = 0;
    for (const char *p = list;;) {
        size_t n = split ? strcspn(p, ",") : strlen(p);
        /* Only the start of a long part is looked at: which entry a word
         * is depends on its name and the character after it, and every
         * name in the catalogue is far shorter than this. */
        char part[256];
        if (!skip) {
            struct dcc_optcat_word pw;
            size_t keep = n < sizeof part ? n : sizeof part - 1;
            memcpy(part, p, keep);
            part[keep] = '\0';
            if (dcc_optcat_lookup(part, tool, &pw)) {
                const char *why = dcc_optcat_local(&pw);
                if (why)
                    return why;
                skip = pw.sep;
            }
        } else {
            skip = 0;
        }
        if (p[n] == '\0')
            return NULL;
        p += n + 1;
    }
}

static void dcc_scan_local(struct dcc_scan *scan, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void dcc_scan_local(struct dcc_scan *scan, int exit_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(scan->why_local, sizeof scan->why_local, fmt, ap);
    va_end(ap);
    scan->local_only = 1;
    scan->local_exit = exit_code;
}

int dcc_args_scan(char ***argvp, struct dcc_scan *scan, char *err, size_t errlen)
{
    memset(scan, 0, sizeof *scan);
    if (dcc_expand_wp(argvp, &scan->deps_from_wp) != 0) {
        snprintf(err, errlen, "out of memory expanding -Wp, options");
        return -1;
    }
    char **argv = *argvp;

    /* Problems with plain words and outputs are reported after the -c/-S
     * check, so that a link is called a link and not "object file". */
    char later[sizeof scan->why_local] = "";
    const char *lang = NULL, *source_lang = NULL;
    int outputs = 0;

    for (size_t i = 1; argv[i]; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] != '\0') {
            struct dcc_optcat_word w;
            dcc_args_opt(a, &w);
            const char *why = dcc_optcat_local(&w);
            if (why) {
                dcc_scan_local(scan, w.opt->roles & DCC_ROLE_ONLY_CPP ? DCC_EXIT_LOCAL_CPP : 0,
                               "%s%s", a, why);
                return 0;
            }
            if (dcc_optcat_is(&w, "-c"))
                scan->has_dash_c = 1;
            else if (dcc_optcat_is(&w, "-S"))
                scan->has_dash_S = 1;
            else if (dcc_optcat_is(&w, "-MD") || dcc_optcat_is(&w, "-MMD"))
                scan->wants_deps = 1;

            int next = w.sep;
            const char *value = w.value;
            if (next) {
                if (!argv[i + 1]) {
                    dcc_scan_local(scan, 0, "%s: missing argument", a);
                    return 0;
                }
                value = argv[i + 1];
            }
            if (dcc_optcat_is(&w, "-x")) {
                if (dcc_language_find(value) < 0) {
                    dcc_scan_local(scan, 0, "-x %s not distributable", value);
                    return 0;
                }
                lang = value;
            } else if (dcc_optcat_is(&w, "-o")) {
                if (++outputs == 1) {
                    scan->output_idx = next ? i + 1 : i;
                    scan->output = value;
                    scan->output_joined = !next;
                } else if (!later[0]) {
                    snprintf(later, sizeof later, "several output files: %s, %s", scan->output,
                             value);
                }
            } else if (w.opt && (w.opt->roles & DCC_ROLE_PASS) &&
                       (why = dcc_args_passed_local(&w, value))) {
                dcc_scan_local(scan, 0, "%s%s%s%s", a, next ? " " : "", next ? value : "", why);
                return 0;
            }
            if (next)
                i++;
            continue;
        }

        if (later[0])
            continue;
        if (a[0] == '@') {
            snprintf(later, sizeof later, "%s: response files are not read by distcc", a);
        } else if (strcmp(a, "-") == 0) {
            snprintf(later, sizeof later, "source read from stdin (-)");
        } else if (dcc_args_is_source(a)) {
            if (scan->input) {
                snprintf(later, sizeof later, "several source files: %s, %s", scan->input, a);
            } else {
                scan->input_idx = i;
                scan->input = a;
                source_lang = lang;
            }
        } else if (dcc_suffix_is_assembler(a)) {
            snprintf(later, sizeof later, "%s: assembler input", a);
        } else if (dcc_suffix(a) && strcmp(dcc_suffix(a), "o") == 0) {
            snprintf(later, sizeof later, "%s: object file input, this is a link", a);
        } else {
            snprintf(later, sizeof later, "%s: not a source file distcc distributes", a);
        }
    }

    if (!scan->has_dash_c && !scan->has_dash_S) {
        dcc_scan_local(scan, 0, "no -c or -S: this is a link");
        return 0;
    }
    if (later[0]) {
        dcc_scan_local(scan, 0, "%s", later);
        return 0;
    }
    if (!scan->input) {
        dcc_scan_local(scan, 0, "no source file");
        return 0;
    }
    const char *base = dcc_basename(scan->input);
    if (dcc_str_startswith(base, "conftest.") || dcc_str_startswith(base, "tmp.conftest.")) {
        dcc_scan_local(scan, 0, "%s: autoconf test", base);
        return 0;
    }
    if (scan->output && strcmp(scan->output, "-") == 0) {
        dcc_scan_local(scan, 0, "output to stdout (-o -)");
        return 0;
    }

    if (source_lang) {
        int l = dcc_language_find(source_lang);
        scan->preprocessed = strcmp(source_lang, "none") == 0
                                 ? dcc_suffix_is_preprocessed(scan->input)
                                 : dcc_languages[l].preprocessed == NULL;
    } else {
        scan->preprocessed = dcc_suffix_is_preprocessed(scan->input);
    }

    if (!scan->output) {
        /* gcc puts the default output in the current directory, whatever
         * directory the source is in */
        char *name = dcc_replace_suffix(scan->input, scan->has_dash_S ? ".s" : ".o", 0);
        if (!name) {
            snprintf(err, errlen, "out of memory naming the output");
            return -1;
        }
        const char *add[] = {"-o", name};
        size_t len = dcc_argv_len(argv);
        int rc = dcc_argv_insert(argvp, len, add, 2);
        free(name);
        if (rc != 0) {
            snprintf(err, errlen, "out of memory adding -o");
            return -1;
        }
        argv = *argvp;
        scan->output_idx = len + 1;
        scan->output = argv[len + 1];
        scan->output_added = 1;
    }
    scan->input = argv[scan->input_idx];
    scan->output = argv[scan->output_idx] + (scan->output_joined ? 2 : 0);
    return 0;
}

/* ------------------------------------------------------------------------
 * Client rewrites
 * ------------------------------------------------------------------------ */

char **dcc_args_cpp_argv(char *const *argv, const struct dcc_scan *scan, const char *cpp_out)
{
    size_t len = dcc_argv_len(argv);
    /* room for -MF F -MQ O -o OUT */
    char **out = calloc(len + 7, sizeof *out);
    if (!out)
        return NULL;
    size_t n = 0;
    int has_mf = 0, has_target = 0;
    char *deps = NULL;

    for (size_t i = 0; i < len; i++) {
        const char *a = argv[i];
        struct dcc_optcat_word w = {0};
        if (i > 0)
            dcc_args_opt(a, &w);
        int next = w.sep;
        if (dcc_optcat_is(&w, "-o")) {
            i += next;
            continue;
        }
        has_mf |= dcc_optcat_is(&w, "-MF");
        has_target |= dcc_optcat_is(&w, "-MT") || dcc_optcat_is(&w, "-MQ");
        int is_action = dcc_optcat_is(&w, "-c") || dcc_optcat_is(&w, "-S");
        if (!(out[n++] = strdup(is_action ? "-E" : a)))
            goto nomem;
        if (next && argv[i + 1]) {
            if (!(out[n++] = strdup(argv[++i])))
                goto nomem;
        }
    }

    /* With -E and -o CPP_OUT, gcc would name the dependency file and its
     * target after CPP_OUT; name them after the real object as a plain
     * compile does. */
    if (scan->wants_deps && scan->output) {
        if (!has_mf) {
            if (!(deps = dcc_replace_suffix(scan->output, ".d", 1)))
                goto nomem;
            if (!(out[n++] = strdup("-MF")) || !(out[n++] = deps))
                goto nomem;
            deps = NULL;
        }
        if (!has_target && scan->deps_from_wp) {
            /* -Wp,-MD reaches cc1 directly, whose target is the source's
             * base name with .o whatever -o says; say so, or the driver
             * would name the target after CPP_OUT. */
            char *target = dcc_replace_suffix(scan->input, ".o", 0);
            if (!target)
                goto nomem;
            if (!(out[n++] = strdup("-MQ"))) {
                free(target);
                goto nomem;
            }
            out[n++] = target;
        } else if (!has_target && !scan->output_added) {
            if (!(out[n++] = strdup("-MQ")) || !(out[n++] = strdup(scan->output)))
                goto nomem;
        }
    }
    if (!(out[n++] = strdup("-o")) || !(out[n++] = strdup(cpp_out)))
        goto nomem;
    out[n] = NULL;
    return out;

nomem:
    free(deps);
    dcc_argv_free(out);
    return NULL;
}

static int dcc_push(char **out, size_t *n, const char *s)
{
    if (!(out[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

char *dcc_args_deps_file(char *const *argv, const struct dcc_scan *scan)
{
    errno = 0;
    if (!scan->wants_deps || !scan->output)
        return NULL;
    const char *mf = NULL;
    for (size_t i = 1; argv[i]; i++) {
        struct dcc_optcat_word w;
        dcc_args_opt(argv[i], &w);
        int next = w.sep;
        if (dcc_optcat_is(&w, "-MF"))
            mf = next ? argv[i + 1] : w.value;
        if (next && argv[i + 1])
            i++;
    }
    if (mf && *mf)
        return strdup(mf);
    return dcc_replace_suffix(scan->output, ".d", 1);
}

char **dcc_args_pump_argv(char *const *argv)
{
    size_t len = dcc_argv_len(argv);
    char **out = calloc(len + 1, sizeof *out);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        struct dcc_optcat_word w = {0};
        if (i > 0)
            dcc_args_opt(argv[i], &w);
        int next = w.sep;
        if (dcc_optcat_is(&w, "-MF")) {
            i += next;
            continue;
        }
        if (dcc_push(out, &n, argv[i]) != 0 ||
            (next && argv[i + 1] && dcc_push(out, &n, argv[++i]) != 0)) {
            dcc_argv_free(out);
            return NULL;
        }
    }
    return out;
}

char **dcc_args_strip_local(char *const *argv)
{
    size_t len = dcc_argv_len(argv);
    /* each file may get a "-x LANG" in front of it */
    char **out = calloc(3 * len + 1, sizeof *out);
    if (!out)
        return NULL;
    size_t n = 0;
    /* -x is dropped and given again in front of the file it applies to, as
     * the language after cpp: "-x c++" on foo.c must compile foo.i as
     * preprocessed C++, not as C and not preprocess it again. */
    const char *lang = "none", *emitted = "none";

    for (size_t i = 0; i < len; i++) {
        const char *a = argv[i];
        if (i > 0 && a[0] == '-' && a[1] != '\0') {
            struct dcc_optcat_word w;
            dcc_args_opt(a, &w);
            int next = w.sep;
            const char *value = next ? argv[i + 1] : w.value;
            if (dcc_optcat_is(&w, "-x")) {
                if (value)
                    lang = value;
                i += next;
                continue;
            }
            if (w.opt && (w.opt->roles & DCC_ROLE_STRIP)) {
                i += next;
                continue;
            }
            if (dcc_push(out, &n, a) != 0)
                goto nomem;
            if (next && argv[i + 1] && dcc_push(out, &n, argv[++i]) != 0)
                goto nomem;
            continue;
        }
        if (i > 0 && strcmp(lang, emitted) != 0) {
            int l = dcc_language_find(lang);
            const char *after_cpp = l >= 0 && dcc_languages[l].preprocessed
                                        ? dcc_languages[l].preprocessed
                                        : lang;
            if (dcc_push(out, &n, "-x") != 0 || dcc_push(out, &n, after_cpp) != 0)
                goto nomem;
            emitted = lang;
        }
        if (dcc_push(out, &n, a) != 0)
            goto nomem;
    }
    out[n] = NULL;
    return out;

nomem:
    dcc_argv_free(out);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Helpers for the daemon
 * ------------------------------------------------------------------------ */

int dcc_args_takes_value(const char *word)
{
    struct dcc_optcat_word w;
    dcc_args_opt(word, &w);
    return w.sep;
}

int dcc_args_set_files(char **argv, const struct dcc_scan *scan, const char *input,
                       const char *output)
{
    size_t len = dcc_argv_len(argv);
    if (scan->local_only || !scan->input || !scan->output || scan->input_idx == 0 ||
        scan->input_idx >= len || scan->output_idx == 0 || scan->output_idx >= len) {
        errno = EINVAL;
        return -1;
    }
    if (dcc_argv_set(argv, scan->input_idx, input) != 0)
        return -1;
    if (!scan->output_joined)
        return dcc_argv_set(argv, scan->output_idx, output);
    char *word = malloc(strlen(output) + 3);
    if (!word)
        return -1;
    strcpy(word, "-o");
    strcat(word, output);
    free(argv[scan->output_idx]);
    argv[scan->output_idx] = word;
    return 0;
}

int dcc_args_early_start(char ***argv, const struct dcc_scan *scan)
{
    char **a = *argv;
    size_t len = dcc_argv_len(a);
    if (scan->local_only)
        return 1;
    int has_pipe = 0;
    for (size_t i = 1; i < len; i++) {
        /* gcc reads --compare-debug as -fcompare-debug */
        if (strncmp(a[i], "-fcompare-debug", 15) == 0 || strncmp(a[i], "--compare-debug", 15) == 0)
            return 1;
        has_pipe |= strcmp(a[i], "-pipe") == 0;
    }
    const char *pipe_word = "-pipe";
    return has_pipe ? 0 : dcc_argv_insert(argv, len, &pipe_word, 1);
}
