/* Protocol 3 (pump) on the daemon: which client paths and symlink targets a
 * job may create under its root, and the argument and .d rewrites that move
 * a client's compile into that root and back. */
#ifndef DCC_PUMP_H
#define DCC_PUMP_H

#include <stddef.h>
#include <stdint.h>

#include "proto/dcc_args.h"

/* Limits on what one job's files may make under its root. The stock
 * include server sends headers from a few hundred directories at most, a
 * few levels below /usr/include or a project; these leave room for that
 * many times over while bounding what a hostile client can make a helper
 * create (and remove). */
#define DCC_PUMP_MAX_DEPTH 64  /* components in a NAME or CDIR */
#define DCC_PUMP_MAX_DIRS 4096 /* directories created for one job */

/* Whether path (a NAME or CDIR of len bytes as received) may be created
 * under the job's root: absolute, no NUL byte, no "." or ".." component, no
 * empty component ("//" and a trailing "/" are refused, not collapsed), each
 * component at most 255 bytes, at most DCC_PUMP_MAX_DEPTH components, the
 * whole shorter than PATH_MAX. "/" alone
 * passes only when may_be_root (a CDIR). 0, or -1 with the reason in why,
 * e.g. "it has a \"..\" component". */
int dcc_pump_check_path(const char *path, size_t len, int may_be_root, char *why, size_t whylen);

/* The target to give a symlink that the client sent as NAME name (checked
 * with dcc_pump_check_path) -> LINK target (len bytes as received).
 * A relative target is kept. An absolute one is made relative to the
 * link's directory ("/usr/include" under NAME "/src/l" becomes
 * "../usr/include"): it names the same file under the root, as distcc 3.4's
 * root-prefixed target does, and keeps every link checkable with
 * dcc_pump_check_link_beneath. Either must, resolved lexically (from "/" or
 * from the link's directory), stay inside the root. Returns a malloc'd
 * string, or NULL with the reason in why (errno ENOMEM when out of
 * memory). This is the first line only: a chain of links can pass it and
 * still lead out. */
char *dcc_pump_link_target(const char *name, const char *target, size_t len, char *why,
                           size_t whylen);

/* Whether the link at name (a client path) under the directory rootfd,
 * whose target (as made by dcc_pump_link_target) is target, resolves inside
 * that directory, following every link on the way as the compiler would:
 * openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS. Call it once all
 * of a job's files are in place. A dangling link passes when the missing
 * component is the last one, or when nothing after it climbs with "..".
 * 0, or -1 with the reason in why: a step out of the root (EXDEV), a loop
 * (ELOOP), or a kernel without openat2 (ENOSYS: nothing can be checked). */
int dcc_pump_check_link_beneath(int rootfd, const char *name, const char *target, char *why,
                                size_t whylen);

/* How many of stock's system-directory links one job may name. */
#define DCC_PUMP_MAX_SYSTEM_DIRS 64

/* 1 when LINK name -> target (len bytes) is the link stock distcc's include
 * server sends for each default include directory of the client's compiler:
 * name is an absolute directory under /usr/ and target is "../" repeated
 * at least once per component of name, then name without its leading '/',
 * so that it resolves to the same directory on the helper's own disk. The
 * helper makes no link for it (nothing in a job points out of it) and
 * instead leaves path options under name as they are (see system_dirs).
 * name must have passed the NAME checks (absolute, no ".", ".." or empty
 * components). */
int dcc_pump_is_system_link(const char *name, const char *target, size_t len);

/* 1 when NAME name with a FILE of wire_len bytes is the empty placeholder
 * a pump client sends for a directory it needs to exist (its last
 * component is DCC_PUMP_DIR_PLACEHOLDER, the body is empty): the helper
 * makes the directory and no file. name must have passed the NAME checks. */
int dcc_pump_is_dir_placeholder(const char *name, uint32_t wire_len);

/* The job's own files for the rewrite. */
struct dcc_pump_paths {
    const char *root;   /* the client's "/" on this machine, no trailing slash */
    const char *output; /* the object (or .s) the compiler writes */
    const char *deps;   /* the .d file the compiler writes (sent back as DOTD) */
    /* NULL, or a NULL-terminated list of the client's system directories
     * (dcc_pump_is_system_link): path options naming them or anything
     * below them are not re-rooted, so they name the helper's own. */
    char *const *system_dirs;
};

/* Rewrites the client's argv (scanned by dcc_args_scan, checked by
 * dcc_optcat_check with policy.pump) to run inside the root, with the
 * compiler's working directory at root + CDIR:
 * - "-fdebug-prefix-map=ROOT=/", "-fdebug-prefix-map=ROOT/=/" (so a
 *   working directory of ROOT itself is "/") and "-fmacro-prefix-map=ROOT="
 *   right after argv[0] (gcc tries the last map given first, so the
 *   client's own maps still win), and OLD of the client's -fdebug-prefix-map=OLD=NEW,
 *   -fmacro-prefix-map and -ffile-prefix-map gets ROOT in front when
 *   absolute;
 * - absolute values of -I -include -imacros -idirafter -iprefix
 *   -iwithprefix -iwithprefixbefore -isystem -iquote (joined, separate, and
 *   the --include-directory=... long forms, and inside -Xpreprocessor),
 *   except those in paths->system_dirs, and an absolute source get ROOT in
 *   front;
 * - -o names paths->output;
 * - every -MF goes; -MMD is added unless -MD or -MMD is there; "-MF
 *   paths->deps" is added; without -MT/-MQ, "-MQTARGET" is added, TARGET
 *   being the client's -o (what gcc's driver names the target after), or
 *   with -Wp,-MD (scan->deps_from_wp) the source's base name with ".o" (what
 *   cc1 names it after), joined as one word so TARGET cannot be read as an
 *   option;
 * *argv is replaced (the old array freed). 0, or -1 with err on ENOMEM, or
 * when scan found no files (local_only), or -2 with err when TARGET or a
 * word of the result other than argv[0] starts with '@' (cc1 would read a
 * response file from the job: refuse it). */
int dcc_pump_rewrite_args(char ***argv, const struct dcc_scan *scan,
                          const struct dcc_pump_paths *paths, char *err, size_t errlen);

/* Removes every occurrence of root that is immediately followed by '/'
 * from buf (the '/' stays), in place: the compiler's .d file and stderr then
 * name the client's paths. Returns the new length; buf stays NUL-terminated
 * when it was. */
size_t dcc_pump_strip_root(char *buf, size_t len, const char *root);

#endif
