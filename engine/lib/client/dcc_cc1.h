/* Running gcc's cc1 -E directly: its command line learned once from gcc -### per compiler and argument shape, kept under $DISTCC_DIR/cc1. */
#ifndef DCC_CC1_H
#define DCC_CC1_H

#include <stddef.h>

/* The one command gcc -### prints (its stderr, text) as an argv, unquoted
 * as gcc quotes it; NULL unless there is exactly one command and it is
 * cc1 or cc1plus with -E. */
char **dcc_cc1_parse(const char *text);

/* 1 when every argument of the cpp command line (argv[0] the driver, input
 * and output as given) is one the driver hands to cc1 as it is or turns
 * into cc1 options that do not depend on the input's or output's name:
 * -D -U -I -O -W -f -m -g -std= and the include options. Dependency files
 * (-M*), -Wp, -x, -B, -specs, plugins, dumps, -save-temps and anything
 * else unknown: 0, the driver runs. */
int dcc_cc1_shape_ok(char *const *cpp_argv, const char *input, const char *output);

/* cc1's command line for cpp_argv (gcc ... -E ... input -o output), from
 * dir (the cache, $DISTCC_DIR/cc1) or learned now by running the driver
 * with -### and kept there. NULL: run the driver (a shape the driver
 * must see, a driver that runs more than cc1, or nothing learned). */
char **dcc_cc1_argv(char *const *cpp_argv, const char *input, const char *output, const char *dir);

/* A line from dcc_cc1_argv has -fno-canonical-system-headers added, unless
 * the job's cpp_argv has it: *out is that line without it (to run when
 * dcc_cc1_canon_differs says so), else NULL. 0, or -1 on ENOMEM. */
int dcc_cc1_without_ours(char *const *cc1_argv, char *const *cpp_argv, char ***out);

/* 1 when gcc's default (-fcanonical-system-headers: a system header
 * found at a path whose realpath is shorter goes by that) might have named
 * a system header in ifile, cc1's output, otherwise than it is named there
 * (then cc1 runs again without the option), or when that cannot be told;
 * 0 when every system header's realpath is as long or longer, so the
 * output is byte for byte the default's. */
int dcc_cc1_canon_differs(const char *ifile);

#endif
