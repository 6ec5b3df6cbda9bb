/* Masquerade links: which commands on PATH are compilers, and keeping /usr/lib/distcc in step with them. */
#ifndef DCC_MASQ_H
#define DCC_MASQ_H

#include <stddef.h>

#define DCC_MASQ_DIR "/usr/lib/distcc"    /* also distccd's compiler whitelist */
#define DCC_MASQ_TARGET "/usr/bin/distcc" /* what every link points at */

enum dcc_masq_kind {
    DCC_MASQ_NOT_COMPILER = 0,
    DCC_MASQ_BARE,  /* gcc, g++-13, clang++, cc, c++, c99 ... */
    DCC_MASQ_CHOST, /* x86_64-pc-linux-gnu-gcc-13, aarch64-unknown-linux-gnu-clang ... */
};

/* Classifies a command name against {,CHOST-}{gcc,g++}{,-VER},
 * {,CHOST-}clang{,++}{,-VER} and {,CHOST-}{cc,c++,c99}, where VER starts
 * with a digit and CHOST has at least three dash-separated parts of
 * letters, digits, '_' and '.'. */
enum dcc_masq_kind dcc_masq_classify(const char *name);

/* Lists the compilers found in the absolute directories of path (a PATH
 * string), each looked up under root ("" for the running system). Relative
 * entries are skipped (a build's "." must not decide the whitelist), and so
 * is skip_dir (the masquerade dir, which holds only our own links). Only
 * executable files count; on a staged root a symlink counts too, since its
 * absolute target only resolves inside the root. chost_only keeps just
 * DCC_MASQ_CHOST names. *names is a sorted, duplicate-free NULL-terminated
 * array (dcc_argv_free). 0, or -1 with err (ENOMEM, name too long). */
int dcc_masq_scan_path(const char *root, const char *path, const char *skip_dir, int chost_only,
                       char ***names, char *err, size_t errlen);

struct dcc_masq_conf {
    const char *dir;         /* the directory operated on (root prefix included) */
    const char *logical_dir; /* the same directory as the installed system sees it */
    const char *target;      /* the distcc binary as the installed system sees it */
    int chost_only;          /* links for CHOST-prefixed names only (crossdev): bare names go */
};

/* 1 when a symlink with this text is one of ours: it names target exactly,
 * or is a relative path that resolves to target from logical_dir
 * ("../../bin/distcc", as Debian writes them). */
int dcc_masq_owns(const struct dcc_masq_conf *conf, const char *link_text);

enum dcc_masq_action {
    DCC_MASQ_CREATED, /* a link was made */
    DCC_MASQ_REMOVED, /* our link to a name no longer wanted (why says which way) */
    DCC_MASQ_KEPT,    /* our link, still wanted */
    DCC_MASQ_FOREIGN, /* not ours: left alone */
};

struct dcc_masq_entry {
    enum dcc_masq_action action;
    char *name;      /* entry name in the directory */
    const char *why; /* static text for FOREIGN/REMOVED, NULL otherwise */
};

struct dcc_masq_report {
    struct dcc_masq_entry *entries; /* sorted by name */
    size_t n;
    size_t count[4]; /* by enum dcc_masq_action */
};

/* Makes dir hold a link name -> target for every wanted name, plus the
 * "bin -> ." link, and removes links of ours whose name is not wanted.
 * Never touches an entry that is not ours. dir must exist. Every step is
 * recorded in rep (also on failure, up to the failing step). 0, or -1 with
 * err naming the entry that could not be changed. */
int dcc_masq_update(const struct dcc_masq_conf *conf, char *const *wanted,
                    struct dcc_masq_report *rep, char *err, size_t errlen);

void dcc_masq_report_free(struct dcc_masq_report *rep);

#endif
