/* Preflight: the local fingerprint, parsing /toolchain answers, comparing and rendering rows. */
#include "dcc_preflight.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcc_toolchain.h"

static const char *const field_names[DCC_PF_NFIELDS] = {
    [DCC_PF_VERSION] = "version", [DCC_PF_TRIPLE] = "triple", [DCC_PF_BINUTILS] = "binutils",
    [DCC_PF_PIE] = "pie",         [DCC_PF_SSP] = "ssp",       [DCC_PF_FOUND] = "found",
};

const char *dcc_preflight_field_name(enum dcc_pf_field f)
{
    return (unsigned)f < DCC_PF_NFIELDS ? field_names[f] : "?";
}

const char *dcc_preflight_level_name(enum dcc_pf_level l)
{
    switch (l) {
    case DCC_PF_SAME:
        return "ok";
    case DCC_PF_WARN:
        return "warning";
    case DCC_PF_ERROR:
        return "error";
    }
    return "?";
}

int dcc_preflight_parse_fields(const char *list, unsigned *mask, char *err, size_t errlen)
{
    unsigned m = 0;
    int saw_none = 0, words = 0;
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ", \t\r\n");
        words++;
        int known = 0;
        if (len == 4 && strncmp(p, "none", 4) == 0) {
            saw_none = known = 1;
        }
        for (int f = 0; f < DCC_PF_NFIELDS && !known; f++) {
            if (strlen(field_names[f]) == len && strncmp(p, field_names[f], len) == 0) {
                m |= DCC_PF_BIT(f);
                known = 1;
            }
        }
        if (!known) {
            dcc_set_err(err, errlen,
                        "unknown field \"%.*s\" (known: version, triple, binutils, pie, ssp, "
                        "found, none)",
                        (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        p += len;
    }
    if (saw_none && words > 1) {
        dcc_set_err(err, errlen, "\"none\" cannot be combined with other fields");
        return -1;
    }
    *mask = m;
    return 0;
}

/* ---- reading reports ---------------------------------------------------- */

int dcc_preflight_parse_report(const char *body, size_t len, json_t **report, char *err,
                               size_t errlen)
{
    *report = NULL;
    if (!body || len == 0) {
        dcc_set_err(err, errlen, "empty answer instead of a /toolchain report");
        return -1;
    }
    if (memmem(body, len, "<distccstats>", 13)) {
        dcc_set_err(err, errlen, "no /toolchain endpoint (a stock distcc stats page answered)");
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        dcc_set_err(err, errlen, "not a /toolchain report: %s (line %d)", jerr.text, jerr.line);
        return -1;
    }
    const char *why = NULL;
    json_t *schema = json_is_object(root) ? json_object_get(root, "schema") : NULL;
    if (!json_is_object(root))
        why = "not a JSON object";
    else if (!json_is_integer(schema) || json_integer_value(schema) != 1)
        why = "\"schema\" is not 1";
    else if (!json_is_object(json_object_get(root, "compilers")))
        why = "no \"compilers\" object";
    if (why) {
        dcc_set_err(err, errlen, "not a /toolchain report: %s", why);
        json_decref(root);
        return -1;
    }
    *report = root;
    return 0;
}

static void copy_str(const json_t *obj, const char *key, char *out, size_t outlen)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    snprintf(out, outlen, "%s", s);
    /* one line and no control characters in a table cell */
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
}

static int tristate(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

void dcc_preflight_row_from_report(const json_t *report, const char *compiler,
                                   struct dcc_pf_row *row)
{
    snprintf(row->compiler, sizeof(row->compiler), "%s", compiler);
    copy_str(report, "chost", row->chost, sizeof(row->chost));
    const json_t *compilers = json_object_get(report, "compilers");
    const json_t *c = json_is_object(compilers) ? json_object_get(compilers, compiler) : NULL;
    if (!json_is_object(c)) {
        row->found = -1;
    } else {
        row->found = tristate(c, "found") == 1 ? 1 : 0;
        copy_str(c, "version", row->version, sizeof(row->version));
        copy_str(c, "machine", row->machine, sizeof(row->machine));
        copy_str(c, "error", row->error, sizeof(row->error));
        row->pie = tristate(c, "pie_default");
        row->ssp = tristate(c, "ssp_default");
    }
    if (row->found != 1)
        row->pie = row->ssp = -1;
    const json_t *bu = json_object_get(report, "binutils");
    copy_str(json_is_object(bu) ? json_object_get(bu, "as") : NULL, "version", row->as_version,
             sizeof(row->as_version));
    copy_str(json_is_object(bu) ? json_object_get(bu, "ld") : NULL, "version", row->ld_version,
             sizeof(row->ld_version));
}

/* ---- comparing ----------------------------------------------------------- */

int dcc_preflight_split_version(const char *v, long *major, long *minor, long *patch)
{
    long parts[3] = {0, 0, 0};
    if (!v || !isdigit((unsigned char)*v))
        return -1;
    const char *p = v;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        parts[i] = strtol(p, &end, 10);
        if (errno || end == p)
            return -1;
        if (*end != '.' || !isdigit((unsigned char)end[1]))
            break;
        p = end + 1;
    }
    *major = parts[0];
    *minor = parts[1];
    *patch = parts[2];
    return 0;
}

static void add_finding(struct dcc_pf_row *r, enum dcc_pf_field field, enum dcc_pf_level level,
                        const char *what, const char *local, const char *remote, const char *why)
{
    if (level > r->cell[field])
        r->cell[field] = level;
    if (level > r->level)
        r->level = level;
    if (r->n_findings >= DCC_PF_MAX_FINDINGS)
        return;
    struct dcc_pf_finding *f = &r->findings[r->n_findings++];
    f->field = field;
    f->level = level;
    snprintf(f->what, sizeof(f->what), "%s", what);
    snprintf(f->local, sizeof(f->local), "%s", *local ? local : "unknown");
    snprintf(f->remote, sizeof(f->remote), "%s", *remote ? remote : "unknown");
    snprintf(f->why, sizeof(f->why), "%s", why);
}

static enum dcc_pf_level severity(unsigned errors, enum dcc_pf_field f)
{
    return (errors & DCC_PF_BIT(f)) ? DCC_PF_ERROR : DCC_PF_WARN;
}

/* Two strings of one field: equal, or one side unknown (a warning), or different. */
static void compare_text(struct dcc_pf_row *r, enum dcc_pf_field field, unsigned errors,
                         const char *what, const char *local, const char *remote)
{
    if (strcmp(local, remote) == 0)
        return;
    if (!*local || !*remote)
        add_finding(r, field, DCC_PF_WARN, what, local, remote, "unknown on one side");
    else
        add_finding(r, field, severity(errors, field), what, local, remote, "differs");
}

static const char *flag_text(int v)
{
    return v < 0 ? "" : v ? "yes" : "no";
}

static void compare_version(struct dcc_pf_row *r, unsigned errors, const char *local,
                            const char *remote)
{
    if (strcmp(local, remote) == 0)
        return;
    if (!*local || !*remote) {
        add_finding(r, DCC_PF_VERSION, DCC_PF_WARN, "version", local, remote,
                    "unknown on one side");
        return;
    }
    long lmaj, lmin, lpat, rmaj, rmin, rpat;
    if (dcc_preflight_split_version(local, &lmaj, &lmin, &lpat) != 0 ||
        dcc_preflight_split_version(remote, &rmaj, &rmin, &rpat) != 0) {
        add_finding(r, DCC_PF_VERSION, severity(errors, DCC_PF_VERSION), "version", local,
                    remote, "differs");
    } else if (lmaj != rmaj) {
        add_finding(r, DCC_PF_VERSION, severity(errors, DCC_PF_VERSION), "version", local,
                    remote, "major version differs");
    } else if (lmin != rmin) {
        add_finding(r, DCC_PF_VERSION, severity(errors, DCC_PF_VERSION), "version", local,
                    remote, "minor version differs");
    } else {
        add_finding(r, DCC_PF_VERSION, DCC_PF_WARN, "version", local, remote,
                    "patch level differs");
    }
}

enum dcc_pf_level dcc_preflight_compare(const struct dcc_pf_row *local, struct dcc_pf_row *remote,
                                        unsigned errors)
{
    for (int f = 0; f < DCC_PF_NFIELDS; f++)
        remote->cell[f] = DCC_PF_SAME;
    remote->level = DCC_PF_SAME;
    remote->n_findings = 0;
    if (remote->kind == DCC_PF_ROW_UNREACHABLE)
        return DCC_PF_SAME;

    /* Binutils and CHOST are the host's, whatever the compiler. */
    compare_text(remote, DCC_PF_BINUTILS, errors, "as", local->as_version, remote->as_version);
    compare_text(remote, DCC_PF_BINUTILS, errors, "ld", local->ld_version, remote->ld_version);
    if (*local->chost && *remote->chost)
        compare_text(remote, DCC_PF_TRIPLE, errors, "chost", local->chost, remote->chost);

    if (local->found != 1) {
        /* Nothing to compare the compiler with; this machine's own problem. */
        return remote->level;
    }
    if (remote->found != 1) {
        add_finding(remote, DCC_PF_FOUND, severity(errors, DCC_PF_FOUND), "found", "yes", "no",
                    remote->found < 0 ? "not in the helper's whitelist"
                                      : "not on the helper's PATH");
        return remote->level;
    }
    compare_version(remote, errors, local->version, remote->version);
    compare_text(remote, DCC_PF_TRIPLE, errors, "machine", local->machine, remote->machine);
    compare_text(remote, DCC_PF_PIE, errors, "pie_default", flag_text(local->pie),
                 flag_text(remote->pie));
    compare_text(remote, DCC_PF_SSP, errors, "ssp_default", flag_text(local->ssp),
                 flag_text(remote->ssp));
    return remote->level;
}

/* ---- the local side -------------------------------------------------------- */

static void remove_tree(const char *dir, const char *const *names, size_t n)
{
    char p[PATH_MAX];
    for (size_t i = 0; i < n; i++)
        if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, names[i]) < sizeof(p))
            unlink(p);
    rmdir(dir);
}

int dcc_preflight_local_report(const char *const *names, size_t n, const char *path,
                               const char *chost, int probe_timeout_ms, struct dcc_buf *json,
                               char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if ((size_t)snprintf(dir, sizeof(dir), "%s/distcc-preflight.XXXXXX", tmp) >= sizeof(dir)) {
        dcc_set_err(err, errlen, "TMPDIR is too long");
        return -1;
    }
    if (!mkdtemp(dir)) {
        dcc_set_err(err, errlen, "cannot make a temporary directory in %s: %s", tmp,
                    strerror(errno));
        return -1;
    }
    int rc = -1;
    size_t made = 0;
    for (; made < n; made++) {
        char p[PATH_MAX];
        if (!*names[made] || strchr(names[made], '/') || strcmp(names[made], ".") == 0 ||
            strcmp(names[made], "..") == 0) {
            dcc_set_err(err, errlen, "bad compiler name \"%s\"", names[made]);
            goto out;
        }
        if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, names[made]) >= sizeof(p)) {
            dcc_set_err(err, errlen, "compiler name too long: %s", names[made]);
            goto out;
        }
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST)
                continue; /* a name given twice */
            dcc_set_err(err, errlen, "cannot create %s: %s", p, strerror(errno));
            goto out;
        }
        close(fd);
    }
    struct dcc_toolchain_opts opts = {
        .whitelist_dir = dir,
        .path = path,
        .chost = chost,
        .probe_timeout_ms = probe_timeout_ms,
    };
    rc = dcc_toolchain_report_opts(&opts, json, err, errlen);
out:
    remove_tree(dir, names, made);
    return rc;
}

int dcc_preflight_local_chost(const char *path, const char *make_conf, char *out, size_t outlen,
                              const char **source)
{
    const char *env = getenv("CHOST");
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        *source = "env";
        return 0;
    }
    char prog[PATH_MAX];
    if (!path)
        path = getenv("PATH");
    if (path && dcc_toolchain_find("portageq", path, NULL, prog, sizeof(prog)) == 0) {
        char *argv[] = {"portageq", "envvar", "CHOST", NULL};
        struct dcc_buf b = {0};
        int st = 0;
        char why[256];
        if (dcc_toolchain_capture(prog, argv, path, 10000, 4096, &b, &st, why, sizeof(why)) == 0 &&
            WIFEXITED(st) && WEXITSTATUS(st) == 0 && b.data) {
            size_t len = strcspn(b.data, "\r\n");
            if (len > 0 && len < outlen && !strpbrk(b.data, " \t")) {
                memcpy(out, b.data, len);
                out[len] = '\0';
                *source = "portageq";
                dcc_buf_free(&b);
                return 0;
            }
        }
        dcc_buf_free(&b);
    }
    return dcc_toolchain_chost(make_conf, out, outlen, source);
}

/* ---- output ------------------------------------------------------------------ */

enum col { C_HOST, C_COMPILER, C_VERSION, C_TRIPLE, C_AS, C_LD, C_PIESSP, C_FOUND, C_RESULT, NCOLS };
static const char *const col_titles[NCOLS] = {"HOST", "COMPILER", "VERSION", "TRIPLE", "AS",
                                              "LD",   "PIE/SSP",  "FOUND",   "RESULT"};

static const char *mark(enum dcc_pf_level l)
{
    return l == DCC_PF_ERROR ? "!" : l == DCC_PF_WARN ? "~" : "";
}

static void cell_text(const struct dcc_pf_row *r, enum col c, char *out, size_t outlen)
{
    int unreach = r->kind == DCC_PF_ROW_UNREACHABLE;
    int have_compiler = r->found == 1;
    const char *q = "?";
    switch (c) {
    case C_HOST:
        snprintf(out, outlen, "%s", r->host);
        return;
    case C_COMPILER:
        snprintf(out, outlen, "%s", unreach ? "-" : r->compiler);
        return;
    case C_VERSION:
        snprintf(out, outlen, "%s%s", unreach || !have_compiler ? "-" : *r->version ? r->version : q,
                 mark(r->cell[DCC_PF_VERSION]));
        return;
    case C_TRIPLE:
        snprintf(out, outlen, "%s%s", unreach || !have_compiler ? "-" : *r->machine ? r->machine : q,
                 mark(r->cell[DCC_PF_TRIPLE]));
        return;
    case C_AS:
    case C_LD: {
        const char *v = c == C_AS ? r->as_version : r->ld_version;
        /* one binutils cell level covers both; mark the one that differs */
        enum dcc_pf_level l = DCC_PF_SAME;
        for (size_t i = 0; i < r->n_findings; i++)
            if (r->findings[i].field == DCC_PF_BINUTILS &&
                strcmp(r->findings[i].what, c == C_AS ? "as" : "ld") == 0 &&
                r->findings[i].level > l)
                l = r->findings[i].level;
        snprintf(out, outlen, "%s%s", unreach ? "-" : *v ? v : q, mark(l));
        return;
    }
    case C_PIESSP:
        if (unreach || !have_compiler)
            snprintf(out, outlen, "-");
        else
            snprintf(out, outlen, "%s%s/%s%s", r->pie < 0 ? q : r->pie ? "yes" : "no",
                     mark(r->cell[DCC_PF_PIE]), r->ssp < 0 ? q : r->ssp ? "yes" : "no",
                     mark(r->cell[DCC_PF_SSP]));
        return;
    case C_FOUND:
        snprintf(out, outlen, "%s%s", unreach ? "-" : have_compiler ? "yes" : "no",
                 mark(r->cell[DCC_PF_FOUND]));
        return;
    case C_RESULT:
        if (r->kind == DCC_PF_ROW_LOCAL)
            snprintf(out, outlen, "reference");
        else if (unreach)
            snprintf(out, outlen, "unreachable");
        else
            snprintf(out, outlen, "%s", dcc_preflight_level_name(r->level));
        return;
    case NCOLS:
        break;
    }
    out[0] = '\0';
}

int dcc_preflight_render_table(const struct dcc_pf_row *rows, size_t n, struct dcc_buf *out)
{
    size_t width[NCOLS];
    char cell[300];
    for (int c = 0; c < NCOLS; c++)
        width[c] = strlen(col_titles[c]);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOLS; c++) {
            cell_text(&rows[i], (enum col)c, cell, sizeof(cell));
            if (strlen(cell) > width[c])
                width[c] = strlen(cell);
        }
    for (size_t i = 0; i <= n; i++) {
        for (int c = 0; c < NCOLS; c++) {
            if (i == 0)
                snprintf(cell, sizeof(cell), "%s", col_titles[c]);
            else
                cell_text(&rows[i - 1], (enum col)c, cell, sizeof(cell));
            int rc = c == NCOLS - 1 ? dcc_buf_printf(out, "%s\n", cell)
                                    : dcc_buf_printf(out, "%-*s  ", (int)width[c], cell);
            if (rc != 0)
                return -1;
        }
    }
    return 0;
}

int dcc_preflight_render_findings(const struct dcc_pf_row *rows, size_t n, struct dcc_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct dcc_pf_row *r = &rows[i];
        if (r->kind == DCC_PF_ROW_UNREACHABLE) {
            if (dcc_buf_printf(out, "%s: unreachable: %s\n", r->host, r->reason) != 0)
                return -1;
            continue;
        }
        for (size_t k = 0; k < r->n_findings; k++) {
            const struct dcc_pf_finding *f = &r->findings[k];
            if (dcc_buf_printf(out, "%s %s: %s: %s %s, local %s: %s\n", r->host, r->compiler,
                               dcc_preflight_level_name(f->level), f->what, f->remote, f->local,
                               f->why) != 0)
                return -1;
        }
    }
    return 0;
}

static json_t *str_or_null(const char *s)
{
    return *s ? json_string(s) : json_null();
}

static json_t *flag_or_null(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

static json_t *row_json(const struct dcc_pf_row *r)
{
    const char *kind = r->kind == DCC_PF_ROW_LOCAL ? "local"
                       : r->kind == DCC_PF_ROW_REMOTE ? "remote"
                                                     : "unreachable";
    json_t *o = json_pack("{s:s, s:s, s:s?, s:o, s:o}", "host", r->host, "kind", kind, "result",
                          r->kind == DCC_PF_ROW_REMOTE ? dcc_preflight_level_name(r->level)
                          : r->kind == DCC_PF_ROW_LOCAL ? "reference"
                                                        : "unreachable",
                          "reason", r->kind == DCC_PF_ROW_UNREACHABLE ? json_string(r->reason)
                                                                      : json_null(),
                          "findings", json_array());
    if (!o)
        return NULL;
    if (r->kind != DCC_PF_ROW_UNREACHABLE) {
        json_t *more = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "compiler",
                                 r->compiler, "found", json_boolean(r->found == 1), "chost",
                                 str_or_null(r->chost), "version", str_or_null(r->version),
                                 "machine", str_or_null(r->machine), "as", str_or_null(r->as_version),
                                 "ld", str_or_null(r->ld_version), "pie_default",
                                 flag_or_null(r->pie), "ssp_default", flag_or_null(r->ssp),
                                 "error", str_or_null(r->error));
        if (!more || json_object_update(o, more) != 0) {
            json_decref(more);
            json_decref(o);
            return NULL;
        }
        json_decref(more);
    }
    json_t *arr = json_object_get(o, "findings");
    for (size_t k = 0; k < r->n_findings; k++) {
        const struct dcc_pf_finding *f = &r->findings[k];
        json_t *fj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "field",
                               dcc_preflight_field_name(f->field), "level",
                               dcc_preflight_level_name(f->level), "what", f->what, "local",
                               f->local, "remote", f->remote, "why", f->why);
        if (!fj || json_array_append_new(arr, fj) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *dcc_preflight_rows_json(const struct dcc_pf_row *rows, size_t n)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *o = row_json(&rows[i]);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
