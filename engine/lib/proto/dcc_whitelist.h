/* The daemon's compiler whitelist (the masquerade directory) and finding the
 * real compiler on PATH without running distcc itself. */
#ifndef DCC_WHITELIST_H
#define DCC_WHITELIST_H

#include <stddef.h>

/* The directories searched when none is given: LIBDIR/distcc, /usr/lib/distcc. */
extern const char *const dcc_whitelist_default_dirs[];

/* 0 when dir exists and holds at least one compiler entry (not counting the
 * "bin -> ." link), else -1 with err ("... does not exist", "... is empty"). */
int dcc_whitelist_dir_usable(const char *dir, char *err, size_t errlen);

/* Decides whether argv[0] may run. A leading /bin/ or /usr/bin/ is dropped
 * (stock clients send those); any other slash, ".", "..", or a name with no
 * entry in dir is refused with one line in why. On success the bare name is
 * copied to name. */
int dcc_whitelist_check(const char *dir, const char *argv0, char *name, size_t namelen, char *why,
                        size_t whylen);

/* Finds an executable called name along path (a PATH string), skipping the
 * whitelist dir itself and any file that is the distcc client. Writes the full
 * path; 0, or -1 with err. */
int dcc_whitelist_find_compiler(const char *name, const char *path, const char *whitelist_dir,
                                char *out, size_t outlen, char *err, size_t errlen);

#endif
