/* Protocol 3 (pump) on the daemon: which client paths and symlink targets a
 * job may create under its root, and the argument and .d rewrites that move
 * a client's compile into that root and back. */
#ifndef DCC_PUMP_H
#define DCC_PUMP_H

#include <stddef.h>

#include "dcc_args.h"

/* Whether path (a NAME or CDIR of len bytes as received) may be created
 * under the job's root: absolute, no NUL byte, no "." or ".." component, no
 * empty component ("//" and a trailing "/" are refused, not collapsed), each
 * component at most 255 bytes, the whole shorter than PATH_MAX. "/" alone
 * passes only when may_be_root (a CDIR). 0, or -1 with the reason in why,
 * e.g. "it has a \"..\" component". */
int dcc_pump_check_path(const char *path, size_t len, int may_be_root, char *why, size_t whylen);

/* The target to give a symlink that the client sent as NAME name (checked
 * with dcc_pump_check_path) -> LINK target (len bytes as received):
 * an absolute target gets root in front, as distcc 3.4 does; a relative one
 * is kept. Either must, resolved lexically (from "/" or from the link's
 * directory), stay inside the root. Returns a malloc'd string, or NULL with
 * the reason in why (errno ENOMEM when out of memory). Lexical only: the
 * daemon never follows these links itself (every write walks with
 * O_NOFOLLOW), they are for the compiler's reads. */
char *dcc_pump_link_target(const char *root, const char *name, const char *target, size_t len, char *why,
                           size_t whylen);

/* The job's own files for the rewrite. */
struct dcc_pump_paths {
    const char *root;   /* the client's "/" on this machine, no trailing slash */
    const char *output; /* the object (or .s) the compiler writes */
    const char *deps;   /* the .d file the compiler writes (sent back as DOTD) */
};

/* Rewrites the client's argv (scanned by dcc_args_scan, checked by
 * dcc_args_check_safe with policy.pump) to run inside the root, with the
 * compiler's working directory at root + CDIR:
 * - "-fdebug-prefix-map=ROOT=" and "-fmacro-prefix-map=ROOT=" right after
 *   argv[0] (gcc tries the last map given first, so the client's own maps
 *   still win), and OLD of the client's -fdebug-prefix-map=OLD=NEW,
 *   -fmacro-prefix-map and -ffile-prefix-map gets ROOT in front when
 *   absolute;
 * - absolute values of -I -include -imacros -idirafter -iprefix
 *   -iwithprefix -iwithprefixbefore -isystem -iquote (joined, separate, and
 *   the --include-directory=... long forms, and inside -Xpreprocessor) and
 *   an absolute source get ROOT in front;
 * - -o names paths->output;
 * - every -MF goes; -MMD is added unless -MD or -MMD is there; "-MF
 *   paths->deps" is added; without -MT/-MQ, "-MQ TARGET" is added, TARGET
 *   being the client's -o (what gcc's driver names the target after), or
 *   with -Wp,-MD (scan->deps_from_wp) the source's base name with ".o" (what
 *   cc1 names it after).
 * *argv is replaced (the old array freed). 0, or -1 with err on ENOMEM, or
 * when scan found no files (local_only). */
int dcc_pump_rewrite_args(char ***argv, const struct dcc_scan *scan, const struct dcc_pump_paths *paths, char *err,
                          size_t errlen);

/* Removes every occurrence of root that is immediately followed by '/'
 * from buf (the '/' stays), in place: the compiler's .d file and stderr then
 * name the client's paths. Returns the new length; buf stays NUL-terminated
 * when it was. */
size_t dcc_pump_strip_root(char *buf, size_t len, const char *root);

#endif
