/* Preflight's verdict: the toolchain facts of here and each helper to rows, exit code, output. */
#ifndef DCC_VERDICT_H
#define DCC_VERDICT_H

#include <jansson.h>
#include <stddef.h>

#include "admin/dcc_preflight.h"
#include "base/dcc_util.h"

/* distcc-preflight's exit codes. When hosts disagree AND some are
 * unreachable, the errors win (2): a definite mismatch is the more urgent
 * news. */
enum dcc_verdict_exit {
    DCC_VERDICT_AGREE = 0,
    DCC_VERDICT_WARNINGS = 1, /* 0 with warn_ok */
    DCC_VERDICT_ERRORS = 2,
    DCC_VERDICT_UNREACHABLE = 3,
    DCC_VERDICT_USAGE = 4, /* the program's own: bad option, config, local failure */
};

/* What the program learned about one helper. A host with a report is
 * compared from it. A host without one is unreachable with reason, unless
 * probe_why is set: then probes holds one probe compile per compiler name
 * (in the order of the policy's names), and the host is compared from them
 * when every probe reached it. probe_why is ignored when there is a report. */
struct dcc_verdict_host {
    const char *host;                  /* as shown: the host name */
    const json_t *report;              /* its /toolchain answer, or NULL */
    const char *reason;                /* no report: why ("" or NULL when report is set) */
    const char *probe_why;             /* "stats port closed", "ssh host", ... or NULL */
    const struct dcc_pf_probe *probes; /* with probe_why: one per compiler name */
};

/* What counts: the compiler names compared (one row each per host), the
 * DCC_PF_BIT mask of fields whose difference is an error, and whether
 * warnings alone still pass (exit 0). */
struct dcc_verdict_policy {
    const char *const *names;
    size_t n_names;
    unsigned errors;
    int warn_ok;
};

/* The outcome: this machine's rows first (one per name, the reference),
 * then per host either one UNREACHABLE row or one REMOTE row per name. */
struct dcc_verdict {
    struct dcc_pf_row *rows;
    size_t n_rows;
    size_t n_hosts;      /* helpers checked */
    size_t n_err_hosts;  /* with at least one error */
    size_t n_warn_hosts; /* with warnings only */
    size_t n_unreach;    /* unreachable */
    enum dcc_pf_level worst;
    int exit_code; /* enum dcc_verdict_exit */
};

/* Compares every host with local (this machine's parsed report) under
 * policy into *v (to be released with dcc_verdict_free). 0, or -1 with err
 * (out of memory). */
int dcc_verdict_make(const json_t *local, const struct dcc_verdict_host *hosts, size_t n_hosts,
                     const struct dcc_verdict_policy *policy, struct dcc_verdict *v, char *err,
                     size_t errlen);
void dcc_verdict_free(struct dcc_verdict *v);

/* The exit code for these counts: errors win over unreachable hosts, which
 * win over warnings (0 with warn_ok). */
int dcc_verdict_exit_code(size_t n_err_hosts, size_t n_unreach, size_t n_warn_hosts, int warn_ok);

/* --json's document: {"schema":1, "exit":N, "local":{"chost","chost_source"},
 * "rows":[...]}; chost NULL or "" and chost_source NULL are null. NULL on
 * ENOMEM. */
json_t *dcc_verdict_json(const struct dcc_verdict *v, const char *chost, const char *chost_source);

/* The text report: the table, a blank line when there are hosts, the
 * findings, and the summary line
 *   "3 hosts checked: 1 with errors, 0 with warnings only, 1 unreachable (exit 2)".
 * 0 or -1 (ENOMEM). */
int dcc_verdict_render_text(const struct dcc_verdict *v, struct dcc_buf *out);

#endif
