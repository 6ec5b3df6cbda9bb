/* Expanding -march=native: ask gcc, read its cc1 line, keep what -march=ARCH does not imply. */
#ifndef DCC_MARCH_H
#define DCC_MARCH_H

#include <stddef.h>

#include "base/dcc_util.h"

/* Every function returns one of these and, unless DCC_MARCH_OK, one line of
 * explanation in the caller's err buffer. Nothing here prints or exits. */
enum dcc_march_status {
    DCC_MARCH_OK = 0,
    DCC_MARCH_MISMATCH,    /* the check found a difference */
    DCC_MARCH_CC_MISSING,  /* the compiler could not be executed */
    DCC_MARCH_CC_FAILED,   /* it exited non-zero or was killed */
    DCC_MARCH_CC_TIMEOUT,  /* it did not finish in time */
    DCC_MARCH_UNPARSABLE,  /* its output had no usable cc1 line or -Q listing */
    DCC_MARCH_UNSUPPORTED, /* clang: see dcc_march_parse_cc1 */
    DCC_MARCH_BAD_INPUT,   /* a bad argument from the caller */
    DCC_MARCH_NOMEM,
    DCC_MARCH_SYSTEM, /* pipe, fork, poll failed */
};

/* What one cc1 line says -march=native means (or, after dcc_march_reduce,
 * the part of it a helper needs). */
struct dcc_march_native {
    char *arch;    /* "znver3" */
    char *tune;    /* "znver3"; NULL when the line had no -mtune= */
    char **mflags; /* the other -m tokens, in cc1 order */
    char **params; /* "l1-cache-size=48" …, in cc1 order */
};

void dcc_march_native_free(struct dcc_march_native *native);

/* Finds the cc1 / cc1plus line in the output of `gcc -v` or `gcc -###`
 * (any install path, quoted or not, `--param K=V` as one or two tokens).
 * Fails with DCC_MARCH_UNPARSABLE when there is no such line, the line has
 * no -march=, still says native, or holds a token unsafe to print into
 * make.conf; DCC_MARCH_UNSUPPORTED for a clang -cc1 line. */
int dcc_march_parse_cc1(const char *text, struct dcc_march_native *native, char *err,
                        size_t errlen);

/* `gcc -Q --help=target` (or =params) as name/value pairs: "-mavx2" →
 * "[enabled]", "-march=" → "znver3". Only the first block of option lines. */
struct dcc_march_opt {
    char *name;
    char *value;
};
struct dcc_march_optset {
    struct dcc_march_opt *opts;
    size_t n;
};

int dcc_march_parse_help(const char *text, struct dcc_march_optset *set, char *err, size_t errlen);
void dcc_march_optset_free(struct dcc_march_optset *set);

/* 1 if the listing says flag ("-mavx2", "-mno-xop", "-mprefer-vector-width=256")
 * is already in effect, 0 if it says otherwise, -1 if it does not list it. */
int dcc_march_optset_implies(const struct dcc_march_optset *set, const char *flag);

/* Keeps the -m flags of native that arch_help (the listing for -march=ARCH)
 * does not already show in effect; unlisted flags are kept, so an old gcc
 * whose listing ignores -march only makes the answer longer, never wrong. */
int dcc_march_reduce(const struct dcc_march_native *native,
                     const struct dcc_march_optset *arch_help, struct dcc_march_native *reduced,
                     char *err, size_t errlen);

#define DCC_MARCH_DROP_CACHE_PARAMS 0x1u

/* 1 if args hold -march=native or -mtune=native. */
int dcc_march_args_want_native(char *const *args);

/* args with native expanded; other arguments keep their place.
 *  -march=native  → -march=ARCH, kept -m flags, and (only when args have no
 *                   -mtune= at all) -mtune=TUNE if it differs from ARCH and
 *                   the --params;
 *  -mtune=native  → -mtune=TUNE and the --params, where -mtune=TUNE is left
 *                   out when it equals ARCH, -march=native is present and no
 *                   other -mtune= is.
 * That mirrors gcc, whose cache --params come with the tune detection. */
int dcc_march_substitute(char *const *args, const struct dcc_march_native *reduced, unsigned flags,
                         char ***out, char *err, size_t errlen);

/* How the result is printed. */
enum dcc_march_style {
    DCC_MARCH_STYLE_LINE,      /* words on one line */
    DCC_MARCH_STYLE_VERTICAL,  /* one word per line */
    DCC_MARCH_STYLE_MAKE_CONF, /* COMMON_FLAGS="…" and the *FLAGS lines */
};
int dcc_march_format(char *const *args, enum dcc_march_style style, struct dcc_buf *out);

/* First difference between two -Q listings, ignoring the lines whose first
 * word is in skip (NULL-terminated, may be NULL). 0 if equal; 1 and a
 * description in diff otherwise. */
int dcc_march_compare_listings(const char *what, const char *native, const char *expanded,
                               char *const *skip, char *diff, size_t difflen);

/* ---- running the compiler ---- */

/* The compiler as argv words ("ccache gcc" → {"ccache", "gcc"}); words are
 * split on blanks without any shell. */
struct dcc_march_cc {
    char **words;
    int timeout_ms;
};

#define DCC_MARCH_DEFAULT_TIMEOUT_MS 60000
#define DCC_MARCH_OUTPUT_CAP (8u << 20)

int dcc_march_cc_init(struct dcc_march_cc *cc, const char *spec, int timeout_ms, char *err,
                      size_t errlen);
void dcc_march_cc_free(struct dcc_march_cc *cc);

/* Runs the compiler with extra arguments, stdin from /dev/null, LC_ALL=C so
 * "[enabled]" is not translated, in its own process group so a timeout
 * kills its children too. Fails unless it exits 0; the failure text quotes
 * its first error line. */
int dcc_march_run(const struct dcc_march_cc *cc, char *const *extra, struct dcc_buf *out,
                  struct dcc_buf *errout, char *err, size_t errlen);

/* `CC -v -E -x c -march=native -mtune=native -`, then the same with -###
 * when that gives no usable line, parsed with dcc_march_parse_cc1. */
int dcc_march_detect(const struct dcc_march_cc *cc, struct dcc_march_native *native, char *err,
                     size_t errlen);

/* detect + `CC -Q --help=target -march=ARCH` + reduce. */
int dcc_march_expand(const struct dcc_march_cc *cc, struct dcc_march_native *reduced, char *err,
                     size_t errlen);

/* Proof: -Q --help=target and -Q --help=params print the same for the
 * target flags (-m…, --param) of before and of after. With
 * DCC_MARCH_DROP_CACHE_PARAMS the params of reduced are left out of the
 * comparison. DCC_MARCH_MISMATCH names the first differing line. */
int dcc_march_check(const struct dcc_march_cc *cc, char *const *before, char *const *after,
                    const struct dcc_march_native *reduced, unsigned flags, char *err,
                    size_t errlen);

#endif
