/* Toolchain agreement: this machine's toolchain facts against a helper's, by preflight's policy. */
#include "proto/dcc_tcmatch.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/dcc_toolchain.h"

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

/* The daemon's "sandbox" object (see distccd(1), STATISTICS PORT) as one
 * line of text. */
static void read_sandbox(const json_t *sb, struct dcc_pf_row *row)
{
    row->sandbox[0] = '\0';
    row->sandbox_full = -1;
    if (!json_is_object(sb))
        return;
    char mode[16];
    copy_str(sb, "mode", mode, sizeof(mode));
    size_t used = (size_t)snprintf(row->sandbox, sizeof(row->sandbox), "%s: using ",
                                   *mode ? mode : "?");
    const json_t *using = json_object_get(sb, "using");
    size_t i, n_using = json_is_array(using) ? json_array_size(using) : 0;
    for (i = 0; i < n_using && used < sizeof(row->sandbox); i++) {
        const json_t *m = json_array_get(using, i);
        used += (size_t)snprintf(row->sandbox + used, sizeof(row->sandbox) - used, "%s%s",
                                 i ? "," : "", json_is_string(m) ? json_string_value(m) : "?");
    }
    if (!n_using && used < sizeof(row->sandbox))
        used += (size_t)snprintf(row->sandbox + used, sizeof(row->sandbox) - used, "nothing");
    const json_t *missing = json_object_get(sb, "missing");
    const char *name;
    const json_t *why;
    size_t k = 0;
    json_object_foreach((json_t *)missing, name, why)
    {
        if (used >= sizeof(row->sandbox))
            break;
        used += (size_t)snprintf(row->sandbox + used, sizeof(row->sandbox) - used, "%s%s (%s)",
                                 k++ ? ", " : "; missing ", name,
                                 json_is_string(why) ? json_string_value(why) : "?");
    }
    for (char *c = row->sandbox; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    row->sandbox_full = strcmp(mode, "off") != 0 && n_using > 0 && k == 0;
}

void dcc_tcmatch_row_from_report(const json_t *report, const char *compiler, struct dcc_pf_row *row)
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
    read_sandbox(json_object_get(report, "sandbox"), row);
    const json_t *bu = json_object_get(report, "binutils");
    copy_str(json_is_object(bu) ? json_object_get(bu, "as") : NULL, "version", row->as_version,
             sizeof(row->as_version));
    copy_str(json_is_object(bu) ? json_object_get(bu, "ld") : NULL, "version", row->ld_version,
             sizeof(row->ld_version));
}

/* ---- comparing ----------------------------------------------------------- */

int dcc_tcmatch_split_version(const char *v, long *major, long *minor, long *patch)
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
    if (dcc_tcmatch_split_version(local, &lmaj, &lmin, &lpat) != 0 ||
        dcc_tcmatch_split_version(remote, &rmaj, &rmin, &rpat) != 0) {
        add_finding(r, DCC_PF_VERSION, severity(errors, DCC_PF_VERSION), "version", local, remote,
                    "differs");
    } else if (lmaj != rmaj) {
        add_finding(r, DCC_PF_VERSION, severity(errors, DCC_PF_VERSION), "version", local, remote,
                    "major version differs");
    } else if (lmin != rmin) {
        add_finding(r, DCC_PF_VERSION, severity(errors, DCC_PF_VERSION), "version", local, remote,
                    "minor version differs");
    } else {
        add_finding(r, DCC_PF_VERSION, DCC_PF_WARN, "version", local, remote,
                    "patch level differs");
    }
}

/* The version in "GCC: (Gentoo 13.2.1_p20240210 p14) 13.2.1 20240210": the
 * first word after the vendor's parentheses (a snapshot date may follow). */
static int comment_version(const char *comment, char *out, size_t outlen)
{
    const char *p = strrchr(comment, ')');
    if (!p)
        return dcc_toolchain_banner_version(comment, out, outlen);
    p++;
    while (*p == ' ')
        p++;
    size_t len = strspn(p, "0123456789.");
    if (len == 0 || len >= outlen)
        return -1;
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

enum dcc_pf_level dcc_tcmatch_compare(const struct dcc_pf_row *local, struct dcc_pf_row *remote,
                                      unsigned errors)
{
    for (int f = 0; f < DCC_PF_NFIELDS; f++)
        remote->cell[f] = DCC_PF_SAME;
    remote->level = DCC_PF_SAME;
    remote->n_findings = 0;
    if (remote->kind == DCC_PF_ROW_UNREACHABLE)
        return DCC_PF_SAME;

    /* Binutils and CHOST are the host's, whatever the compiler. */
    /* A probe compile never runs ld, and a refused one not even as:
     * unknown there is not news. */
    if (!(remote->probed && !*remote->as_version))
        compare_text(remote, DCC_PF_BINUTILS, errors, "as", local->as_version, remote->as_version);
    if (!(remote->probed && !*remote->ld_version))
        compare_text(remote, DCC_PF_BINUTILS, errors, "ld", local->ld_version, remote->ld_version);
    if (*local->chost && *remote->chost)
        compare_text(remote, DCC_PF_TRIPLE, errors, "chost", local->chost, remote->chost);

    if (local->found != 1) {
        /* Nothing to compare the compiler with; this machine's own problem. */
        return remote->level;
    }
    if (remote->found != 1) {
        add_finding(remote, DCC_PF_FOUND, severity(errors, DCC_PF_FOUND), "found", "yes", "no",
                    remote->probed      ? "the helper refused or failed the probe job"
                    : remote->found < 0 ? "not in the helper's whitelist"
                                        : "not on the helper's PATH");
        return remote->level;
    }
    compare_version(remote, errors, local->version, remote->version);
    if (remote->probed && *remote->comment && *remote->version) {
        /* The object's own word on who compiled it, against the helper's -v. */
        char cv[64];
        if (comment_version(remote->comment, cv, sizeof(cv)) == 0 &&
            strcmp(cv, remote->version) != 0) {
            char why[128];
            snprintf(why, sizeof(why), "the helper's gcc -v said %s", remote->version);
            add_finding(remote, DCC_PF_VERSION, DCC_PF_WARN, ".comment", local->version, cv, why);
        }
    }
    compare_text(remote, DCC_PF_TRIPLE, errors, "machine", local->machine, remote->machine);
    compare_text(remote, DCC_PF_PIE, errors, "pie_default", flag_text(local->pie),
                 flag_text(remote->pie));
    compare_text(remote, DCC_PF_SSP, errors, "ssp_default", flag_text(local->ssp),
                 flag_text(remote->ssp));
    return remote->level;
}

/* ---- the local side ------------------------------------------------------ */

static void remove_tree(const char *dir, const char *const *names, size_t n)
{
    char p[PATH_MAX];
    for (size_t i = 0; i < n; i++)
        if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, names[i]) < sizeof(p))
            unlink(p);
    rmdir(dir);
}

int dcc_tcmatch_local_report(const char *const *names, size_t n, const char *path,
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

/* ---- a probe compile's -v text --------------------------------------------- */

/* Copies the rest of the line at p (up to outlen-1 bytes), blanks trimmed. */
static void line_rest(const char *p, char *out, size_t outlen)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strcspn(p, "\r\n");
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

void dcc_tcmatch_parse_probe_output(const char *text, struct dcc_pf_row *row)
{
    struct dcc_compiler_v v;
    dcc_toolchain_parse_v(text ? text : "", &v);
    row->pie = v.pie_default;
    row->ssp = v.ssp_default;
    /* "gcc version 13.2.1 20240210 (Gentoo ...)": the word after "version". */
    const char *ver = strstr(v.version_line, "version ");
    row->version[0] = '\0';
    if (ver) {
        ver += 8;
        size_t len = strcspn(ver, " \t");
        if (len > 0 && len < sizeof(row->version)) {
            memcpy(row->version, ver, len);
            row->version[len] = '\0';
        }
    }
    row->machine[0] = row->as_version[0] = '\0';
    for (const char *line = text ? text : ""; *line;) {
        const char *eol = strchr(line, '\n');
        if (!row->machine[0] && dcc_str_startswith(line, "Target:")) {
            line_rest(line + 7, row->machine, sizeof(row->machine));
        } else if (!row->as_version[0] && dcc_str_startswith(line, "GNU assembler version ")) {
            char l[256];
            line_rest(line, l, sizeof(l));
            if (dcc_toolchain_banner_version(l, row->as_version, sizeof(row->as_version)) != 0)
                row->as_version[0] = '\0';
        }
        if (!eol)
            break;
        line = eol + 1;
    }
}
