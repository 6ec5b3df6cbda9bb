/* Pump mode's client-side include scanner: the compiler's system include
 * directories (cached) and the user files a compile reads. */
#ifndef DCC_INCSCAN_H
#define DCC_INCSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/dcc_util.h"
#include "proto/dcc_args.h"

enum dcc_inc_kind { DCC_INC_FILE, DCC_INC_DIR, DCC_INC_SYSTEMDIR };

struct dcc_inc_entry {
    enum dcc_inc_kind kind;
    char *path; /* absolute, lexically normalised */
};

struct dcc_inc_list {
    struct dcc_inc_entry *v;
    size_t n, cap;
};

/* Frees the entries and empties the list; the struct itself is the caller's. */
void dcc_inc_list_free(struct dcc_inc_list *l);

/* More user files than this and pump mode is not worth it (gives up). */
#define DCC_INCSCAN_MAX_FILES 20000

/* The compiler's default #include <...> search directories for this job, as
 * `COMPILER <dir-affecting options> -E -v -x LANG /dev/null` prints them
 * between "#include <...> search starts here:" and "End of search list.",
 * lexically normalised. The compiler runs with LC_ALL=C (the markers are
 * translated otherwise) and without CPATH and friends in its environment.
 * Options passed on: -m*, --sysroot[=]X, -isysroot[ ]X, -nostdinc,
 * -nostdinc++, -stdlib=X, -target X, --target=X, and those
 * dcc_incscan_predefs passes on (-f*: -mcmodel=kernel fails without
 * -fno-PIE); the language is the last -x, else the source suffix, else c.
 * cache_dir (may be NULL): the answer is kept in cache_dir/sysdirs-HASH, HASH
 * an FNV-1a of the compiler's path and identity (dev, inode, size, mtime),
 * the options, the language, GCC_EXEC_PREFIX and COMPILER_PATH. A cache file
 * that does not parse is ignored and rewritten; failing to write it is not an
 * error.
 * Returns 0 with *dirs (NULL-terminated, free with dcc_argv_free), or an exit
 * code from dcc_exit.h with err: 110 the compiler cannot run, 100 it failed or
 * printed no search list, 105 out of memory. */
int dcc_incscan_sysdirs(const char *compiler_path, char *const *argv, const char *cache_dir,
                        char ***dirs, char *err, size_t errlen);

/* The compiler's predefined macros for this job: the output of
 * `COMPILER <macro-affecting options> -x LANG -dM -E /dev/null` (options
 * passed on: -O*, -f*, -m*, -std=, -ansi, -undef, -pthread, -p, -pg,
 * -target, --sysroot, -isysroot, -nostdinc*, and dcc_incscan_sysdirs' own;
 * -D and -U are not: the scanner applies them). Cached like dcc_incscan_sysdirs, in cache_dir/predefs-HASH.
 * Returns 0 with *text (malloc'd), or an exit code with err like
 * dcc_incscan_sysdirs. */
int dcc_incscan_predefs(const char *compiler_path, char *const *argv, const char *cache_dir,
                        char **text, char *err, size_t errlen);

/* Finds the files a compile of this job reads that are not system headers.
 * argv/scan: the job after dcc_args_scan (scan->input relative or absolute).
 * cwd: the absolute physical working directory. sysdirs: from
 * dcc_incscan_sysdirs.
 * Returns 0 with out filled: first every DCC_INC_FILE (the source, then the
 * -include/-imacros files, then the user headers, in discovery order), then
 * every DCC_INC_DIR (existing user search directories, the directories quoted
 * includes were found relative to, and directories a ".." in a name passes
 * through), then every DCC_INC_SYSTEMDIR; no duplicates.
 * predefs: from dcc_incscan_predefs; NULL when unknown (then every macro
 * the scan does not see defined is unknown, and conditions on them take
 * both branches).
 * The scan follows the preprocessor: it walks the files in the order gcc
 * reads them with the macros of predefs, -D/-U, -imacros/-include and every
 * #define/#undef met, evaluates #if/#ifdef/#elif (with __has_include), skips
 * branches that are false, takes both branches of a condition it cannot
 * decide (a macro set in such a branch is unknown after it), resolves
 * #include MACRO when the macro is known, and skips a file whose include
 * guard or #pragma once is known to hold.
 * Lexing follows the job's language and -std= as gcc does (raw strings,
 * digraphs, digit separators); a file with ??= or ??/ gives up where
 * trigraphs are on. #include_next in a system header is followed the way gcc
 * searches it; a computed include that does not resolve gives up in a user
 * file, and in a system header when user directories are searched.
 * Returns 1 when pump mode must not be used for this job, with one line in
 * why naming the place and the construct ("src/x.c:12: #include with a macro
 * argument"; paths under cwd are shown relative to it), or -1 on ENOMEM.
 * out is emptied first and is empty unless 0 is returned.
 * cache_dir (may be NULL): pump's per-build directory. What the scan makes
 * of each file it reads (its skeleton: the directives, pre-lexed, and where
 * other text is; it does not depend on the macros) is kept there in a pack
 * (dcc_skel) and taken from it by the next scan when the file's device,
 * inode, size, mtime and ctime are unchanged (and its content, when it
 * changed just before it was read), so a header read by one job of a build
 * is not read and lexed again by the next; the include lookups likewise
 * (dcc_incscan_lookup_counts). A job writes a pack again only when what it
 * adds is a fair share of it (a 64th of the skeletons, a 32nd of the
 * lookups): a rewrite of the whole pack in every job costs more than the
 * few files or stat() calls only that job needed. */
int dcc_incscan_run(char *const *argv, const struct dcc_scan *scan, const char *cwd,
                    char *const *sysdirs, const char *predefs, const char *cache_dir,
                    struct dcc_inc_list *out, char *why, size_t whylen);

/* How many files the last dcc_incscan_run took from the skeleton pack
 * (hits) and had to lex (misses; 0 and 0 without a cache_dir). */
void dcc_incscan_cache_counts(unsigned long *hits, unsigned long *misses);

/* How many include lookups (a stat() of DIR/NAME) the last dcc_incscan_run
 * took from the build's lookup pack (hits) and made and kept (misses). The
 * pack lives in cache_dir next to the skeletons; an entry is used only
 * while DIR (and each directory NAME passes through) has the device, inode,
 * size, mtime and ctime it had before the lookup, and is only made when
 * those changed at least DCC_SKEL_RACY_S seconds before the scan started
 * and the name is not a symbolic link; so a header created later in the
 * build is found. */
void dcc_incscan_lookup_counts(unsigned long *hits, unsigned long *misses);

/* The time (CLOCK_REALTIME seconds) later scans of this process take as
 * the start of the scan when they judge whether a directory changed too
 * recently to keep its lookups; 0 (the default): the clock's. For tests,
 * whose directories are always fresh. */
void dcc_incscan_set_clock(int64_t now);

/* Pump's coverage report. dcc_incscan_record appends one job's outcome
 * (why NULL: it went in pump mode) to pump_dir/coverage, one line each,
 * best effort. dcc_incscan_coverage reads that file into out as the lines
 * pump prints at the end of a build: how many jobs went in pump mode, then
 * the top reasons of the others (a reason without its "file:line: "
 * prefix, with the count and one example place). 0, 1 when there is no
 * record, or -1 on ENOMEM. */
void dcc_incscan_record(const char *pump_dir, const char *why);
int dcc_incscan_coverage(const char *pump_dir, size_t top, struct dcc_buf *out);

/* Lexically normalised absolute path of rel (taken relative to the absolute
 * base unless it starts with '/'): no ".", "..", "//" or trailing '/'.
 * Malloc'd; NULL on ENOMEM. */
char *dcc_incscan_normalise(const char *base, const char *rel);

#endif
