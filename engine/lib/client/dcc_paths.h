/* Where the client keeps and finds things: $DISTCC_DIR's subdirectories and the PATH it hands the compiler. */
#ifndef DCC_PATHS_H
#define DCC_PATHS_H

#if DCC_WITH_JSON
#include <jansson.h>
#else
typedef struct json_t json_t; /* built without jansson: CAPS is off */
#endif
#include <stddef.h>

/* $DISTCC_DIR/<sub> as a name only (distcc_dir NULL: the usual place, see
 * dcc_hosts_distcc_dir). 0, or DCC_EXIT_IO_ERROR with one line in err. */
int dcc_paths_subdir_name(const char *distcc_dir, const char *sub, char *path, size_t pathlen,
                          char *err, size_t errlen);

/* Makes sure $DISTCC_DIR and $DISTCC_DIR/<sub> exist ("lock", "state"),
 * creating them 0777 minus the umask, and writes the subdirectory's path.
 * 0, or DCC_EXIT_IO_ERROR with one line in err naming the directory. */
int dcc_paths_make_subdir(const char *distcc_dir, const char *sub, char *path, size_t pathlen,
                          char *err, size_t errlen);

/* path (a PATH string) after the first entry in which name is the distcc
 * client (the masquerade directory), without later such entries, as stock
 * distcc trims it in masquerade mode: the compiler and what it starts then
 * cannot find distcc again, and a wrapper placed before distcc (ccache) is
 * not run twice. path itself when no entry holds distcc. 0 with out, or -1
 * when out is too small. */
int dcc_paths_without_distcc(const char *name, const char *path, char *out, size_t outlen);

/* A JSON object kept under $DISTCC_DIR (what a helper is, toolchain facts):
 * NULL when the file is missing, a link, not regular, longer than max
 * bytes, or not a JSON object. A new reference. */
json_t *dcc_paths_read_json(const char *path, size_t max);

/* Keeps doc in path whole or not at all: a temporary beside it, mode 0666
 * minus the umask (the directory may be shared by root and the portage
 * group, as the locks are), renamed over it. 0, or -1 with errno (nothing
 * is left behind). */
int dcc_paths_write_json(const char *path, const json_t *doc);
/* The same, writable by its owner only (0644 minus the umask): for what
 * only its owner may trust (dcc_cc1's command lines). */
int dcc_paths_write_json_own(const char *path, const json_t *doc);

#endif
