/* Unit tests for dcc_preflight: reading /toolchain reports, comparing them, and the table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcc_preflight.h"

/* tests/data/preflight from the top of the tree (make runs tests there), else
 * relative to this binary in BUILD/tests/unit/. */
static const char *data_dir(void)
{
    static char dir[PATH_MAX + 32];
    if (dir[0])
        return dir;
    if (access("tests/data/preflight/README", R_OK) == 0) {
        snprintf(dir, sizeof dir, "tests/data/preflight");
        return dir;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        assert_non_null(slash);
        *slash = '\0';
    }
    snprintf(dir, sizeof dir, "%s/tests/data/preflight", exe);
    return dir;
}

static json_t *fixture(const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.json", data_dir(), name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char body[65536];
    size_t n = fread(body, 1, sizeof body, f);
    fclose(f);
    json_t *report = NULL;
    char err[256];
    assert_int_equal(dcc_preflight_parse_report(body, n, &report, err, sizeof err), 0);
    return report;
}

static void row_for(const char *name, const char *host, enum dcc_pf_row_kind kind,
                    const char *compiler, struct dcc_pf_row *row)
{
    memset(row, 0, sizeof(*row));
    row->kind = kind;
    snprintf(row->host, sizeof row->host, "%s", host);
    json_t *report = fixture(name);
    dcc_preflight_row_from_report(report, compiler, row);
    json_decref(report);
}

/* Compares fixture `name` with local.json for one compiler. */
static enum dcc_pf_level compare(const char *name, const char *compiler, unsigned errors,
                                 struct dcc_pf_row *remote)
{
    struct dcc_pf_row local;
    row_for("local", "(local)", DCC_PF_ROW_LOCAL, compiler, &local);
    row_for(name, name, DCC_PF_ROW_REMOTE, compiler, remote);
    return dcc_preflight_compare(&local, remote, errors);
}

static void test_same_report_agrees(void **state)
{
    (void)state;
    struct dcc_pf_row r;
    assert_int_equal(compare("same", "gcc", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_SAME);
    assert_int_equal(r.n_findings, 0);
    assert_string_equal(r.version, "13.2.1");
    assert_string_equal(r.as_version, "2.41");
    assert_int_equal(r.pie, 1);
}

static void test_minor_is_error_patch_is_warning(void **state)
{
    (void)state;
    struct dcc_pf_row r;
    assert_int_equal(compare("minor", "gcc", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_ERROR);
    assert_int_equal(r.cell[DCC_PF_VERSION], DCC_PF_ERROR);
    assert_string_equal(r.findings[0].why, "minor version differs");
    assert_int_equal(compare("major", "g++", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_ERROR);
    assert_string_equal(r.findings[0].why, "major version differs");
    assert_int_equal(compare("patch", "gcc", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_WARN);
    assert_string_equal(r.findings[0].why, "patch level differs");
    /* a patch level stays a warning even when every field is an error */
    assert_int_equal(compare("patch", "gcc", ~0u, &r), DCC_PF_WARN);
    /* version not among the errors: the minor difference only warns */
    assert_int_equal(compare("minor", "gcc", DCC_PF_BIT(DCC_PF_TRIPLE), &r), DCC_PF_WARN);
}

static void test_triple_binutils_pie(void **state)
{
    (void)state;
    struct dcc_pf_row r;
    assert_int_equal(compare("triple", "gcc", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_ERROR);
    assert_int_equal(r.n_findings, 2); /* chost and machine */
    assert_string_equal(r.findings[0].what, "chost");
    assert_string_equal(r.findings[1].what, "machine");
    assert_int_equal(compare("binutils", "gcc", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_ERROR);
    assert_int_equal(r.n_findings, 1);
    assert_string_equal(r.findings[0].what, "ld");
    assert_string_equal(r.findings[0].local, "2.41");
    assert_string_equal(r.findings[0].remote, "2.40");
    assert_int_equal(compare("nopie", "gcc", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_ERROR);
    assert_int_equal(r.cell[DCC_PF_PIE], DCC_PF_ERROR);
    assert_int_equal(r.cell[DCC_PF_SSP], DCC_PF_SAME);
    assert_int_equal(compare("nopie", "g++", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_SAME);
}

static void test_missing_and_unknown(void **state)
{
    (void)state;
    struct dcc_pf_row r;
    assert_int_equal(compare("missing", "gcc", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_WARN);
    assert_string_equal(r.findings[0].why, "not on the helper's PATH");
    assert_int_equal(compare("missing", "g++", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_WARN);
    assert_string_equal(r.findings[0].why, "not in the helper's whitelist");
    assert_int_equal(compare("missing", "g++", DCC_PF_BIT(DCC_PF_FOUND), &r), DCC_PF_ERROR);
    /* a null version is a warning; a null chost is simply not compared */
    assert_int_equal(compare("unknown", "gcc", DCC_PF_DEFAULT_ERRORS, &r), DCC_PF_WARN);
    assert_int_equal(r.n_findings, 1);
    assert_string_equal(r.findings[0].remote, "unknown");
}

static void test_parse_report_rejects_garbage(void **state)
{
    (void)state;
    json_t *rep = NULL;
    char err[256];
    assert_int_equal(dcc_preflight_parse_report("not json", 8, &rep, err, sizeof err), -1);
    assert_null(rep);
    assert_string_equal(err, "not a /toolchain report: '[' or '{' expected near 'not' (line 1)");
    assert_int_equal(dcc_preflight_parse_report("[1]", 3, &rep, err, sizeof err), -1);
    assert_string_equal(err, "not a /toolchain report: not a JSON object");
    assert_int_equal(dcc_preflight_parse_report("{\"schema\":2,\"compilers\":{}}", 27, &rep, err,
                                                sizeof err),
                     -1);
    assert_string_equal(err, "not a /toolchain report: \"schema\" is not 1");
    assert_int_equal(dcc_preflight_parse_report("{\"schema\":1}", 12, &rep, err, sizeof err), -1);
    assert_string_equal(err, "not a /toolchain report: no \"compilers\" object");
    const char stock[] = "<distccstats>\ndcc_tcp_accept 0\n</distccstats>\n";
    assert_int_equal(dcc_preflight_parse_report(stock, sizeof stock - 1, &rep, err, sizeof err),
                     -1);
    assert_string_equal(err, "no /toolchain endpoint (a stock distcc stats page answered)");
    assert_int_equal(dcc_preflight_parse_report("", 0, &rep, err, sizeof err), -1);
}

static void test_fields_and_versions(void **state)
{
    (void)state;
    unsigned m = 0;
    char err[256];
    assert_int_equal(dcc_preflight_parse_fields("version, triple binutils,pie", &m, err, sizeof err),
                     0);
    assert_int_equal(m, DCC_PF_BIT(DCC_PF_VERSION) | DCC_PF_BIT(DCC_PF_TRIPLE) |
                            DCC_PF_BIT(DCC_PF_BINUTILS) | DCC_PF_BIT(DCC_PF_PIE));
    assert_int_equal(dcc_preflight_parse_fields("none", &m, err, sizeof err), 0);
    assert_int_equal(m, 0);
    assert_int_equal(dcc_preflight_parse_fields("none,pie", &m, err, sizeof err), -1);
    assert_int_equal(dcc_preflight_parse_fields("colour", &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown field \"colour\""));
    long a, b, c;
    assert_int_equal(dcc_preflight_split_version("13.2.1", &a, &b, &c), 0);
    assert_true(a == 13 && b == 2 && c == 1);
    assert_int_equal(dcc_preflight_split_version("14", &a, &b, &c), 0);
    assert_true(a == 14 && b == 0 && c == 0);
    assert_int_equal(dcc_preflight_split_version("x1", &a, &b, &c), -1);
}

static void test_table(void **state)
{
    (void)state;
    struct dcc_pf_row rows[3];
    row_for("local", "(local)", DCC_PF_ROW_LOCAL, "gcc", &rows[0]);
    row_for("minor", "box", DCC_PF_ROW_REMOTE, "gcc", &rows[1]);
    dcc_preflight_compare(&rows[0], &rows[1], DCC_PF_DEFAULT_ERRORS);
    memset(&rows[2], 0, sizeof rows[2]);
    rows[2].kind = DCC_PF_ROW_UNREACHABLE;
    snprintf(rows[2].host, sizeof rows[2].host, "down");
    snprintf(rows[2].reason, sizeof rows[2].reason, "connection refused");
    struct dcc_buf out = {0};
    assert_int_equal(dcc_preflight_render_table(rows, 3, &out), 0);
    assert_int_equal(dcc_preflight_render_findings(rows, 3, &out), 0);
    assert_string_equal(
        out.data,
        "HOST     COMPILER  VERSION  TRIPLE               AS    LD    PIE/SSP  FOUND  RESULT\n"
        "(local)  gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    reference\n"
        "box      gcc       13.1.0!  x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    error\n"
        "down     -         -        -                    -     -     -        -      unreachable\n"
        "box gcc: error: version 13.1.0, local 13.2.1: minor version differs\n"
        "down: unreachable: connection refused\n");
    dcc_buf_free(&out);
    json_t *j = dcc_preflight_rows_json(rows, 3);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "result")),
                        "error");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 2), "reason")),
                        "connection refused");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_report_agrees),
        cmocka_unit_test(test_minor_is_error_patch_is_warning),
        cmocka_unit_test(test_triple_binutils_pie),
        cmocka_unit_test(test_missing_and_unknown),
        cmocka_unit_test(test_parse_report_rejects_garbage),
        cmocka_unit_test(test_fields_and_versions),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
