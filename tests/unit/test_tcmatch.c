/* Unit tests for dcc_tcmatch: rows from /toolchain reports and probe output, compared by preflight's policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcc_tcmatch.h"

/* The fixtures are preflight's: the same reports, the same comparison. */
static const char *data_dir(void)
{
    return dcc_test_data_dir("preflight");
}

static void row_for(const char *name, const char *host, enum dcc_pf_row_kind kind,
                    const char *compiler, struct dcc_pf_row *row)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.json", data_dir(), name);
    json_t *report = json_load_file(path, 0, NULL);
    assert_true(json_is_object(report));
    memset(row, 0, sizeof(*row));
    row->kind = kind;
    snprintf(row->host, sizeof row->host, "%s", host);
    dcc_tcmatch_row_from_report(report, compiler, row);
    json_decref(report);
}

/* Compares fixture `name` with local.json for one compiler. */
static enum dcc_pf_level compare(const char *name, const char *compiler, unsigned errors,
                                 struct dcc_pf_row *remote)
{
    struct dcc_pf_row local;
    row_for("local", "(local)", DCC_PF_ROW_LOCAL, compiler, &local);
    row_for(name, name, DCC_PF_ROW_REMOTE, compiler, remote);
    return dcc_tcmatch_compare(&local, remote, errors);
}

/* The fixture's text (kept until the next call). */
static const char *read_data(const char *name)
{
    static char *text;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", data_dir(), name);
    free(text);
    text = dcc_test_read_file(path, NULL);
    return text;
}

static void test_versions(void **state)
{
    (void)state;
    long a, b, c;
    assert_int_equal(dcc_tcmatch_split_version("13.2.1", &a, &b, &c), 0);
    assert_true(a == 13 && b == 2 && c == 1);
    assert_int_equal(dcc_tcmatch_split_version("14", &a, &b, &c), 0);
    assert_true(a == 14 && b == 0 && c == 0);
    assert_int_equal(dcc_tcmatch_split_version("x1", &a, &b, &c), -1);
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

static void test_probe_output(void **state)
{
    (void)state;
    struct dcc_pf_row r = {0};
    dcc_tcmatch_parse_probe_output(read_data("probe-gentoo.txt"), &r);
    assert_string_equal(r.version, "13.2.1");
    assert_string_equal(r.machine, "x86_64-pc-linux-gnu");
    assert_string_equal(r.as_version, "2.41");
    assert_int_equal(r.pie, 1);
    assert_int_equal(r.ssp, 1);
    assert_string_equal(r.ld_version, "");

    /* Nothing recognisable: everything unknown, no crash. */
    struct dcc_pf_row e = {0};
    dcc_tcmatch_parse_probe_output("distcc[1] error: nope\n", &e);
    assert_string_equal(e.version, "");
    assert_string_equal(e.machine, "");
    assert_string_equal(e.as_version, "");
    assert_int_equal(e.pie, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_report_agrees),
        cmocka_unit_test(test_minor_is_error_patch_is_warning),
        cmocka_unit_test(test_triple_binutils_pie),
        cmocka_unit_test(test_missing_and_unknown),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_probe_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
