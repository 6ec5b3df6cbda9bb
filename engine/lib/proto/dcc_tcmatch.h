/* Toolchain agreement: this machine's toolchain facts against a helper's, by preflight's policy
 * (distcc-preflight's table and the client's choice of helpers). */
#ifndef DCC_TCMATCH_H
#define DCC_TCMATCH_H

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

/* Fills row (host, kind left as given by the caller) from a report for one
 * compiler name; binutils and chost come from the report's host part. */
void dcc_tcmatch_row_from_report(const json_t *report, const char *compiler,
                                 struct dcc_pf_row *row);

/* Compares remote with local and fills remote's cells, findings and level.
 * errors is a DCC_PF_BIT mask: a difference in one of those fields is an
 * error, any other a warning. A patch-level-only version difference and a
 * value one side does not know are warnings. Returns remote->level. */
enum dcc_pf_level dcc_tcmatch_compare(const struct dcc_pf_row *local, struct dcc_pf_row *remote,
                                      unsigned errors);

/* Version "13.2.1": 0 with major/minor/patch (missing parts 0), -1 if it
 * does not start with a number. */
int dcc_tcmatch_split_version(const char *v, long *major, long *minor, long *patch);

/* The text of a -v compile's stderr into row (version, machine, pie, ssp,
 * as_version). */
void dcc_tcmatch_parse_probe_output(const char *text, struct dcc_pf_row *row);

/* The local fingerprint: runs dcc_toolchain_report_opts over a temporary
 * whitelist holding names (on path; NULL: $PATH) and appends its JSON.
 * chost as for the toolchain options (NULL: $CHOST, else make.conf).
 * 0, or -1 with err. */
int dcc_tcmatch_local_report(const char *const *names, size_t n, const char *path,
                             const char *chost, int probe_timeout_ms, struct dcc_buf *json,
                             char *err, size_t errlen);

#endif
