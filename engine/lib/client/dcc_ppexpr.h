/* Pump mode's preprocessor model: a macro table that may not know every
 * macro, #if evaluation that answers "unknown" instead of guessing, and the
 * expansion of computed #include lines. */
#ifndef DCC_PPEXPR_H
#define DCC_PPEXPR_H

#include <stddef.h>

/* What a condition, a computed include or __has_include comes to. */
enum dcc_pp_truth {
    DCC_PP_FALSE = 0,
    DCC_PP_TRUE = 1,
    DCC_PP_UNKNOWN = 2, /* the scanner takes both branches */
    DCC_PP_STOP = 3,    /* the __has_include callback gave up on the job */
};

struct dcc_pp;

/* A macro table. With unknown_default, a name never defined nor undefined
 * is unknown (used when the compiler's predefined macros are not known);
 * otherwise it is undefined, as in the preprocessor. NULL on ENOMEM.
 * The builtins (__has_include, __has_attribute, __LINE__ ...) are defined;
 * those whose value the scanner cannot know evaluate to unknown. */
struct dcc_pp *dcc_pp_new(int unknown_default);
void dcc_pp_free(struct dcc_pp *pp);

/* With clang's builtins too (__has_feature, __has_extension ...): set when
 * the predefined macros name __clang__. */
void dcc_pp_set_clang(struct dcc_pp *pp, int clang);

/* line: the text after "#define" (a logical line, comments as blanks).
 * 0, 1 when malformed (the table is unchanged: gcc rejects it too), -1 on
 * ENOMEM. */
int dcc_pp_define(struct dcc_pp *pp, const char *line, size_t len);
/* line: the text after "#undef". 0, 1 or -1 like dcc_pp_define. */
int dcc_pp_undef(struct dcc_pp *pp, const char *line, size_t len);
/* The macro becomes unknown (#pragma pop_macro, which the scan does not
 * follow). 0, or -1 on ENOMEM. */
int dcc_pp_forget(struct dcc_pp *pp, const char *name, size_t len);
/* -D's value: "NAME" is NAME 1, "NAME=TEXT" is NAME TEXT. 0, 1 or -1. */
int dcc_pp_define_option(struct dcc_pp *pp, const char *arg);
/* Every "#define ..." line of text (`cc -dM -E` output). 0, or -1. */
int dcc_pp_define_lines(struct dcc_pp *pp, const char *text, size_t len);

/* #ifdef NAME: DCC_PP_TRUE, DCC_PP_FALSE or DCC_PP_UNKNOWN. 1 (malformed:
 * also UNKNOWN to the caller) is DCC_PP_UNKNOWN here. */
enum dcc_pp_truth dcc_pp_ifdef(struct dcc_pp *pp, const char *line, size_t len);

/* Asked for each __has_include (next: __has_include_next) the evaluation
 * meets. name is NULL when its argument is a macro that does not resolve.
 * Returns DCC_PP_TRUE, DCC_PP_FALSE, DCC_PP_UNKNOWN, DCC_PP_STOP, or -1 on
 * ENOMEM. */
typedef int (*dcc_pp_has_include_fn)(void *ctx, const char *name, size_t len, int angle, int next);

/* Evaluates an #if or #elif line (the text after the directive). Every
 * __has_include on the line is asked for, even where the value does not
 * matter. Returns a dcc_pp_truth, or -1 on ENOMEM. A line gcc would reject
 * is DCC_PP_UNKNOWN. */
int dcc_pp_eval(struct dcc_pp *pp, const char *line, size_t len, dcc_pp_has_include_fn has,
                void *ctx);

/* Expands the text after "#include" that does not start with " or <: on
 * DCC_PP_TRUE *name (malloc'd, *namelen bytes) and *angle say what gcc
 * looks up. DCC_PP_UNKNOWN when the expansion depends on what the table
 * does not know or is not a header name; -1 on ENOMEM. */
int dcc_pp_include_name(struct dcc_pp *pp, const char *line, size_t len, char **name,
                        size_t *namelen, int *angle);

/* Taking both branches. The scanner opens a frame when a conditional group
 * may or may not take a branch, calls dcc_pp_branch_end at the end of each
 * such branch (the table goes back to what it was before the branch) and
 * dcc_pp_group_end at #endif: every macro any of its branches changed is
 * then unknown. 0, or -1 on ENOMEM. */
int dcc_pp_group_begin(struct dcc_pp *pp);
int dcc_pp_branch_end(struct dcc_pp *pp);
int dcc_pp_group_end(struct dcc_pp *pp);
/* How many frames are open: 0 means what the table says is certain. */
size_t dcc_pp_depth(const struct dcc_pp *pp);

#endif
