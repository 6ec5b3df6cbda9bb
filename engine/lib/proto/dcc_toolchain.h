/* The toolchain report served on /toolchain: each whitelisted compiler's version, target and defaults, binutils, CHOST. */
#ifndef DCC_TOOLCHAIN_H
#define DCC_TOOLCHAIN_H

#include <stddef.h>

#include "base/dcc_util.h"

/* The report is one JSON object (jansson, compact, then "\n"); keys always
 * present, null when unknown:
 *
 * {"schema":1,
 *  "host":"<gethostname()>",
 *  "chost":"x86_64-pc-linux-gnu"|null,
 *  "chost_source":"option"|"env"|"make.conf"|null,
 *                           (opts.chost, else $CHOST, else make.conf)
 *  "whitelist_dir":"/usr/lib/distcc",
 *  "compilers":{                           (one key per whitelist entry, sorted)
 *    "gcc":{"found":true,                  (false: no such program on PATH)
 *           "path":"/usr/bin/gcc"|null,    (the PATH entry found, not resolved)
 *           "version":"12.2.0"|null,       (-dumpfullversion, else -dumpversion)
 *           "machine":"x86_64-linux-gnu"|null,   (-dumpmachine)
 *           "pie_default":true|false|null, ("Configured with:" in -v holds
 *           "ssp_default":true|false|null,  --enable-default-pie / -ssp /
 *           "cet_enabled":true|false|null,  --enable-cet; null without that
 *                                           line, as with clang)
 *           "thread_model":"posix"|null,   ("Thread model:" in -v)
 *           "version_line":"gcc version 12.2.0 (Debian 12.2.0-14+deb12u1)"|null,
 *           "error":"<why a probe failed>"|null},
 *    ...},
 *  "binutils":{"as":{"found":true,"path":"/usr/bin/as"|null,"version":"2.40"|null,
 *                    "banner":"GNU assembler (GNU Binutils for Debian) 2.40"|null,
 *                    "error":null},
 *              "ld":{... the same, from ld --version}}}
 *
 * Whitelist entries: regular files and symlinks, except symlinks to a
 * directory (the "bin -> ." link); at most DCC_TOOLCHAIN_MAX_NAMES are
 * reported. A program is looked up on the given PATH string, skipping empty
 * and relative entries, the whitelist directory itself (by realpath, so its
 * bin link too), and any file whose realpath is named distcc or distccd, so
 * the report never runs distcc in place of a compiler.
 *
 * Programs run without a shell, stdin /dev/null, stdout and stderr merged,
 * in their own process group, with LC_ALL=C and PATH set to the given PATH,
 * killed (the whole group) at the timeout; every child is reaped before the
 * call returns. The caller must not reap children it did not start
 * (waitpid(-1)) meanwhile; if it does, the output is still used. */

#define DCC_TOOLCHAIN_MAX_NAMES 256
#define DCC_TOOLCHAIN_OUTPUT_CAP 65536 /* bytes kept of one program's output */

struct dcc_toolchain_opts {
    const char *whitelist_dir; /* required */
    const char *path;          /* PATH string; NULL: $PATH */
    const char *make_conf;     /* file or directory; NULL: /etc/portage/make.conf */
    const char *chost;         /* NULL: $CHOST, else make.conf's CHOST */
    const char *hostname;      /* NULL: gethostname() */
    int probe_timeout_ms;      /* one program run; 0: 5000 */
    int total_timeout_ms;      /* the whole report; 0: 30000. Probes past it
                                 * are skipped with an error */
};

/* Appends the report to json (only in a build with jansson: DCC_WITH_JSON,
 * the Makefile's WITH_JSON). 0, or -1 with err (whitelist dir unreadable,
 * ENOMEM); a compiler that cannot be probed is not an error of the call but
 * its "error" field. */
int dcc_toolchain_report_opts(const struct dcc_toolchain_opts *opts, struct dcc_buf *json,
                              char *err, size_t errlen);
/* The same with every other option at its default. */
int dcc_toolchain_report(const char *whitelist_dir, const char *path, struct dcc_buf *json,
                         char *err, size_t errlen);

/* The pieces, for the daemon's other uses and for tests. */

/* Runs prog with argv (argv[0] is the name it sees) as described above
 * (with dcc_run), appending at most cap bytes of its output to out and
 * draining the rest. env_path NULL keeps the caller's PATH. Returns 0 once
 * the program has exited (*wstatus is its wait status; 0 if someone else
 * reaped it), or -1 with err when it could not be started or ran past
 * timeout_ms (then it has been killed and reaped; 0: no timeout). */
int dcc_toolchain_capture(const char *prog, char *const argv[], const char *env_path,
                          int timeout_ms, size_t cap, struct dcc_buf *out, int *wstatus, char *err,
                          size_t errlen);

/* Whether file resolves to the distcc client or daemon (a masquerade link,
 * or distcc itself), which a search for the real compiler must skip. */
int dcc_toolchain_is_distcc(const char *file);

/* Finds name on path with the skips above; 0 with the file in out, -1 if none. */
int dcc_toolchain_find(const char *name, const char *path, const char *whitelist_dir, char *out,
                       size_t outlen);

/* The CHOST: $CHOST if set and non-empty, else the last CHOST= assignment in
 * make_conf (a file, or a directory of files read in name order, as Portage
 * does). 0 with *source "env" or "make.conf", -1 when unknown. */
int dcc_toolchain_chost(const char *make_conf, char *out, size_t outlen, const char **source);

/* The version in a --version banner: the last word that starts with a digit
 * and is digits and dots ("GNU ld (GNU Binutils for Debian) 2.40" -> "2.40",
 * "LLD 14.0.6 (compatible with GNU linkers)" -> "14.0.6"). 0 or -1. */
int dcc_toolchain_banner_version(const char *banner, char *out, size_t outlen);

/* What -v output says; -1 in a flag means no "Configured with:" line. */
struct dcc_compiler_v {
    int pie_default, ssp_default, cet_enabled;
    char thread_model[32];
    char version_line[256];
};
void dcc_toolchain_parse_v(const char *text, struct dcc_compiler_v *v);

#endif
