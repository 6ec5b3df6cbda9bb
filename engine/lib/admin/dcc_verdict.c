/* Preflight's verdict: the toolchain facts of here and each helper to rows, exit code, output. */
#include "admin/dcc_verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dcc_verdict_exit_code(size_t n_err_hosts, size_t n_unreach, size_t n_warn_hosts, int warn_ok)
{
    if (n_err_hosts > 0)
        return DCC_VERDICT_ERRORS;
    if (n_unreach > 0)
        return DCC_VERDICT_UNREACHABLE;
    if (n_warn_hosts > 0)
        return warn_ok ? DCC_VERDICT_AGREE : DCC_VERDICT_WARNINGS;
    return DCC_VERDICT_AGREE;
}

/* Probes stand in for a report only where there is none. */
static int is_probed(const struct dcc_verdict_host *h)
{
    return !h->report && h->probe_why && h->probe_why[0];
}

/* A probed host not reached by one of its probes: one row, both reasons. */
static int probes_unreachable(const struct dcc_verdict_host *h, size_t n_names,
                              struct dcc_pf_row *row)
{
    for (size_t k = 0; k < n_names; k++) {
        struct dcc_pf_row pr = {0};
        dcc_preflight_row_from_probe(&h->probes[k], &pr);
        if (pr.kind == DCC_PF_ROW_UNREACHABLE) {
            size_t used = strlen(row->reason);
            snprintf(row->reason + used, sizeof(row->reason) - used, "; %.300s", pr.reason);
            return 1;
        }
    }
    return 0;
}

/* The host's as version from whichever probe names it: the assembler is the
 * host's, not one compiler's. */
static void probed_as(const struct dcc_verdict_host *h, size_t n_names, char *out, size_t outlen)
{
    out[0] = '\0';
    for (size_t k = 0; k < n_names && !out[0]; k++) {
        struct dcc_pf_row pr = {0};
        dcc_preflight_row_from_probe(&h->probes[k], &pr);
        snprintf(out, outlen, "%s", pr.as_version);
    }
}

/* One REMOTE row per compiler name for a reached host, each compared with
 * the local row of the same name; returns the host's worst level. */
static enum dcc_pf_level compare_host(const struct dcc_verdict_host *h,
                                      const struct dcc_verdict_policy *p,
                                      const struct dcc_pf_row *local_rows, struct dcc_pf_row *rows)
{
    enum dcc_pf_level worst = DCC_PF_SAME;
    char host_as[64] = "";
    if (is_probed(h))
        probed_as(h, p->n_names, host_as, sizeof(host_as));
    for (size_t k = 0; k < p->n_names; k++) {
        struct dcc_pf_row *r = &rows[k];
        r->kind = DCC_PF_ROW_REMOTE;
        if (is_probed(h)) {
            dcc_preflight_row_from_probe(&h->probes[k], r);
            snprintf(r->probe_why, sizeof(r->probe_why), "%s", h->probe_why);
            if (!r->as_version[0])
                snprintf(r->as_version, sizeof(r->as_version), "%s", host_as);
        } else {
            dcc_tcmatch_row_from_report(h->report, p->names[k], r);
        }
        snprintf(r->host, sizeof(r->host), "%s", h->host);
        enum dcc_pf_level l = dcc_tcmatch_compare(&local_rows[k], r, p->errors);
        if (l > worst)
            worst = l;
    }
    return worst;
}

int dcc_verdict_make(const json_t *local, const struct dcc_verdict_host *hosts, size_t n_hosts,
                     const struct dcc_verdict_policy *policy, struct dcc_verdict *v, char *err,
                     size_t errlen)
{
    memset(v, 0, sizeof(*v));
    size_t max_rows = policy->n_names * (n_hosts + 1);
    v->rows = calloc(max_rows ? max_rows : 1, sizeof(*v->rows));
    if (!v->rows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    v->n_hosts = n_hosts;
    for (size_t k = 0; k < policy->n_names; k++) {
        struct dcc_pf_row *r = &v->rows[v->n_rows++];
        r->kind = DCC_PF_ROW_LOCAL;
        snprintf(r->host, sizeof(r->host), "(local)");
        dcc_tcmatch_row_from_report(local, policy->names[k], r);
    }
    for (size_t i = 0; i < n_hosts; i++) {
        const struct dcc_verdict_host *h = &hosts[i];
        int unreachable = !h->report && !is_probed(h);
        struct dcc_pf_row *r = &v->rows[v->n_rows];
        if (!h->report) {
            r->kind = DCC_PF_ROW_UNREACHABLE;
            snprintf(r->host, sizeof(r->host), "%s", h->host);
            snprintf(r->reason, sizeof(r->reason), "%s", h->reason ? h->reason : "");
        }
        if (is_probed(h) && probes_unreachable(h, policy->n_names, r))
            unreachable = 1;
        if (unreachable) {
            v->n_rows++;
            v->n_unreach++;
            continue;
        }
        memset(r, 0, sizeof(*r));
        enum dcc_pf_level worst = compare_host(h, policy, v->rows, r);
        v->n_rows += policy->n_names;
        if (worst == DCC_PF_ERROR)
            v->n_err_hosts++;
        else if (worst == DCC_PF_WARN)
            v->n_warn_hosts++;
        if (worst > v->worst)
            v->worst = worst;
    }
    v->exit_code = dcc_verdict_exit_code(v->n_err_hosts, v->n_unreach, v->n_warn_hosts,
                                         policy->warn_ok);
    return 0;
}

void dcc_verdict_free(struct dcc_verdict *v)
{
    free(v->rows);
    v->rows = NULL;
    v->n_rows = 0;
}

json_t *dcc_verdict_json(const struct dcc_verdict *v, const char *chost, const char *chost_source)
{
    json_t *rows = dcc_preflight_rows_json(v->rows, v->n_rows);
    if (!rows)
        return NULL;
    return json_pack("{s:i, s:i, s:{s:o, s:o}, s:o}", "schema", 1, "exit", v->exit_code, "local",
                     "chost", chost && chost[0] ? json_string(chost) : json_null(), "chost_source",
                     chost_source ? json_string(chost_source) : json_null(), "rows", rows);
}

int dcc_verdict_render_text(const struct dcc_verdict *v, struct dcc_buf *out)
{
    if (dcc_preflight_render_table(v->rows, v->n_rows, out) != 0 ||
        (v->n_hosts > 0 && dcc_buf_appends(out, "\n") != 0) ||
        dcc_preflight_render_findings(v->rows, v->n_rows, out) != 0)
        return -1;
    return dcc_buf_printf(out,
                          "%s%zu host%s checked: %zu with errors, %zu with warnings only, %zu "
                          "unreachable (exit %d)\n",
                          v->n_hosts == 0 ? "no remote hosts in the host list; " : "", v->n_hosts,
                          v->n_hosts == 1 ? "" : "s", v->n_err_hosts, v->n_warn_hosts, v->n_unreach,
                          v->exit_code);
}
