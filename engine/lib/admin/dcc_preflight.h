/* Preflight: comparing this machine's toolchain with the /toolchain reports of the hosts. */
#ifndef DCC_PREFLIGHT_H
#define DCC_PREFLIGHT_H

#include <jansson.h>
#include <stddef.h>

#include "base/dcc_util.h"

/* What is compared, one row per host and compiler name. The names are the
 * words of `errors = ...` in distcc.conf and of --errors. */
enum dcc_pf_field {
    DCC_PF_VERSION,  /* gcc major.minor (a patch level alone is always a warning) */
    DCC_PF_TRIPLE,   /* -dumpmachine, and CHOST when both sides know it */
    DCC_PF_BINUTILS, /* as and ld versions */
    DCC_PF_PIE,      /* --enable-default-pie */
    DCC_PF_SSP,      /* --enable-default-ssp */
    DCC_PF_FOUND,    /* the compiler is whitelisted and on the helper's PATH */
    DCC_PF_NFIELDS,
};

enum dcc_pf_level { DCC_PF_SAME = 0, DCC_PF_WARN = 1, DCC_PF_ERROR = 2 };

#define DCC_PF_BIT(f) (1u << (f))
/* Default: everything that breaks objects is an error; a compiler missing on
 * a helper only makes the build slower (the job is refused and runs here). */
#define DCC_PF_DEFAULT_ERRORS \
    (DCC_PF_BIT(DCC_PF_VERSION) | DCC_PF_BIT(DCC_PF_TRIPLE) | DCC_PF_BIT(DCC_PF_BINUTILS) | \
     DCC_PF_BIT(DCC_PF_PIE) | DCC_PF_BIT(DCC_PF_SSP))

const char *dcc_preflight_field_name(enum dcc_pf_field f); /* "version", ... */
const char *dcc_preflight_level_name(enum dcc_pf_level l); /* "ok", "warning", "error" */

/* Parses "version,triple binutils" (commas and/or blanks; "none" alone is the
 * empty set) into a mask of DCC_PF_BIT. 0, or -1 with err naming the word. */
int dcc_preflight_parse_fields(const char *list, unsigned *mask, char *err, size_t errlen);

#define DCC_PF_MAX_FINDINGS 12

struct dcc_pf_finding {
    enum dcc_pf_field field;
    enum dcc_pf_level level;
    char what[32];   /* "version", "machine", "chost", "as", "ld", "pie_default", ... */
    char local[128]; /* the values as shown; "unknown" when null */
    char remote[128];
    char why[128]; /* "major.minor differs", "patch level differs", ... */
};

enum dcc_pf_row_kind {
    DCC_PF_ROW_LOCAL,       /* this machine: the reference */
    DCC_PF_ROW_REMOTE,      /* a host that answered */
    DCC_PF_ROW_UNREACHABLE, /* a host without an answer; reason says why */
};

/* One host x compiler. Strings are "" when unknown; flags 1, 0 or -1
 * (unknown). */
struct dcc_pf_row {
    enum dcc_pf_row_kind kind;
    char host[256];
    char compiler[128];
    char chost[128];
    int found; /* 1 found; 0 whitelisted but not on PATH; -1 not whitelisted */
    char version[64];
    char machine[128];
    char as_version[64];
    char ld_version[64];
    int pie, ssp;
    char error[256];  /* the report's "error" for this compiler, if any */
    char reason[512]; /* UNREACHABLE: why */
    /* Rows read from a probe compile (a host without /toolchain): ld is not
     * known that way and is not compared; comment is the object's .comment. */
    int probed;
    char probe_why[64]; /* why there was no report: "stats port closed", ... */
    char comment[128];
    /* The helper's job sandbox from the report's "sandbox": "MODE: using
     * a,b; missing c (why)", "" when the report has none (stock, older);
     * sandbox_full is 1 when every mechanism is in use, 0 when not, -1
     * unknown. */
    char sandbox[400];
    int sandbox_full;
    enum dcc_pf_level cell[DCC_PF_NFIELDS];
    enum dcc_pf_level level; /* the worst cell */
    struct dcc_pf_finding findings[DCC_PF_MAX_FINDINGS];
    size_t n_findings;
};

/* Parses a /toolchain answer (the dcc_toolchain.h schema). Checks that it is
 * a JSON object with "schema":1 and a "compilers" object; on success *report
 * is a new reference. Otherwise -1 with err, e.g.
 *   not a /toolchain report: '[' or '{' expected near 'not' (line 1)
 * A stock distcc stats page is named as such ("no /toolchain endpoint"). */
int dcc_preflight_parse_report(const char *body, size_t len, json_t **report, char *err,
                               size_t errlen);

/* Fills row (host, kind left as given by the caller) from a report for one
 * compiler name; binutils and chost come from the report's host part. */
void dcc_preflight_row_from_report(const json_t *report, const char *compiler,
                                   struct dcc_pf_row *row);

/* Compares remote with local and fills remote's cells, findings and level.
 * errors is a DCC_PF_BIT mask: a difference in one of those fields is an
 * error, any other a warning. A patch-level-only version difference and a
 * value one side does not know are warnings. Returns remote->level. */
enum dcc_pf_level dcc_preflight_compare(const struct dcc_pf_row *local, struct dcc_pf_row *remote,
                                        unsigned errors);

/* The local fingerprint: runs dcc_toolchain_report_opts over a temporary
 * whitelist holding names (on path; NULL: $PATH) and appends its JSON.
 * chost as for the toolchain options (NULL: $CHOST, else make.conf).
 * 0, or -1 with err. */
int dcc_preflight_local_report(const char *const *names, size_t n, const char *path,
                               const char *chost, int probe_timeout_ms, struct dcc_buf *json,
                               char *err, size_t errlen);

/* CHOST as this machine builds: $CHOST, else `portageq envvar CHOST` when
 * portageq is on path, else make.conf (make_conf NULL: Portage's). 0 with
 * *source "env", "portageq" or "make.conf", or -1 when none knows (callers
 * then use the compiler's triple). */
int dcc_preflight_local_chost(const char *path, const char *make_conf, char *out, size_t outlen,
                              const char **source);

/* Version "13.2.1": 0 with major/minor/patch (missing parts 0), -1 if it
 * does not start with a number. */
int dcc_preflight_split_version(const char *v, long *major, long *minor, long *patch);

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

/* The text of a -v compile's stderr into row (version, machine, pie, ssp,
 * as_version). */
void dcc_preflight_parse_probe_output(const char *text, struct dcc_pf_row *row);

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
