/* Preflight: comparing this machine's toolchain with the /toolchain reports of the hosts. */
#ifndef DCC_PREFLIGHT_H
#define DCC_PREFLIGHT_H

#include <jansson.h>
#include <stddef.h>

#include "base/dcc_util.h"
#include "proto/dcc_tcmatch.h"

const char *dcc_preflight_field_name(enum dcc_pf_field f); /* "version", ... */
const char *dcc_preflight_level_name(enum dcc_pf_level l); /* "ok", "warning", "error" */

/* Parses "version,triple binutils" (commas and/or blanks; "none" alone is the
 * empty set) into a mask of DCC_PF_BIT. 0, or -1 with err naming the word. */
int dcc_preflight_parse_fields(const char *list, unsigned *mask, char *err, size_t errlen);

/* Parses a /toolchain answer (the dcc_toolchain.h schema). Checks that it is
 * a JSON object with "schema":1 and a "compilers" object; on success *report
 * is a new reference. Otherwise -1 with err, e.g.
 *   not a /toolchain report: '[' or '{' expected near 'not' (line 1)
 * A stock distcc stats page is named as such ("no /toolchain endpoint"). */
int dcc_preflight_parse_report(const char *body, size_t len, json_t **report, char *err,
                               size_t errlen);

/* CHOST as this machine builds: $CHOST, else `portageq envvar CHOST` when
 * portageq is on path, else make.conf (make_conf NULL: Portage's). 0 with
 * *source "env", "portageq" or "make.conf", or -1 when none knows (callers
 * then use the compiler's triple). */
int dcc_preflight_local_chost(const char *path, const char *make_conf, char *out, size_t outlen,
                              const char **source);

/* ---- probing by compiling (hosts without /toolchain) ---------------------- */

/* One probe: `distcc COMPILER -c -v probe.i -o probe.o` with DISTCC_HOSTS set
 * to host_spec, no fallback and no local retry, in a fresh directory and
 * DISTCC_DIR. Only stderr of the remote compiler comes back: the source is
 * already preprocessed (probe.i, or probe.ii for a C++ name), so no local cpp
 * writes its own -v text. */
struct dcc_pf_probe {
    const char *host_spec; /* in */
    const char *compiler;  /* in */
    int over_ssh;          /* in: an @host spec (the client runs $DISTCC_SSH) */
    int started;           /* out: 1 when the client ran */
    int timed_out;         /* out: killed at the timeout */
    int status;            /* out: the client's wait status */
    int have_object;       /* out: probe.o came back */
    struct dcc_buf output; /* out: the client's stdout and stderr (capped) */
    char comment[128];     /* out: the object's .comment ("" when none) */
    char err[256];         /* out: why it did not start, or the object is unreadable */
};

/* Runs every probe at once with the client at distcc_path, each bounded by
 * timeout_ms (killed with its process group after it). TMPDIR holds the
 * work directories, removed before the call returns. 0 (each probe has its
 * own outcome), or -1 with err when no work directory could be made. */
int dcc_preflight_probe_run(struct dcc_pf_probe *probes, size_t n, const char *distcc_path,
                            int timeout_ms, char *err, size_t errlen);
void dcc_preflight_probe_free(struct dcc_pf_probe *probes, size_t n);

/* Fills row from a probe's outcome: REMOTE with version ("gcc version"),
 * machine ("Target:"), PIE/SSP ("Configured with:"), as ("GNU assembler
 * version") and found 1 when the object came back; REMOTE with found -1 and
 * error when the helper refused or failed the job; UNREACHABLE with reason
 * when the client could not reach it (exit 103, 116, 118, timeout, no start;
 * over ssh also a lost connection, 107-109, with ssh's own message). */
void dcc_preflight_row_from_probe(const struct dcc_pf_probe *p, struct dcc_pf_row *row);

/* The first non-empty string of an ELF object's .comment section (ELF32 or
 * ELF64, either byte order), control characters made blanks. 0, or -1 with
 * err (not ELF, truncated, no .comment). */
int dcc_preflight_elf_comment(const unsigned char *data, size_t len, char *out, size_t outlen,
                              char *err, size_t errlen);

/* The table (columns padded with blanks, no trailing blanks), then one line
 * per finding or unreachable host:
 *
 * HOST       COMPILER  VERSION  TRIPLE               AS    LD    PIE/SSP  FOUND  RESULT
 * (local)    gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    reference
 * 127.0.0.2  gcc       13.1.0!  x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    error
 *
 * A cell ending in '!' is an error, '~' a warning. 0 or -1 (ENOMEM). */
int dcc_preflight_render_table(const struct dcc_pf_row *rows, size_t n, struct dcc_buf *out);

/* The detail lines alone ("HOST COMPILER: error: version 13.1.0, local 13.2.1:
 * major.minor differs"), as in the table output; a probed row first gets
 * "HOST COMPILER: probe: compiled through the daemon (WHY); .comment: TEXT".
 * 0 or -1. */
int dcc_preflight_render_findings(const struct dcc_pf_row *rows, size_t n, struct dcc_buf *out);

/* The rows as a JSON array of objects (for --json). NULL on ENOMEM. */
json_t *dcc_preflight_rows_json(const struct dcc_pf_row *rows, size_t n);

#endif
