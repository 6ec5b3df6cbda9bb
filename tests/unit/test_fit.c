/* Unit tests for dcc_fit: the policy, the verdict and its words, the CPU key, naming a helper once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/dcc_fit.h"

static void test_policy(void **state)
{
    (void)state;
    enum dcc_fit_policy p = DCC_FIT_OFF;
    assert_int_equal(dcc_fit_parse_policy(NULL, &p), 0);
    assert_int_equal(p, DCC_FIT_EXACT);
    assert_int_equal(dcc_fit_parse_policy("minor", &p), 0);
    assert_int_equal(p, DCC_FIT_MINOR);
    assert_int_equal(dcc_fit_parse_policy("off", &p), 0);
    assert_int_equal(p, DCC_FIT_OFF);
    assert_int_equal(dcc_fit_parse_policy("Exact", &p), -1);
    assert_string_equal(dcc_fit_policy_name(DCC_FIT_MINOR), "minor");
}

/* A found gcc with the same everything but the version. */
static void rows(const char *local_v, const char *remote_v, struct dcc_pf_row *l,
                 struct dcc_pf_row *r)
{
    memset(l, 0, sizeof *l);
    memset(r, 0, sizeof *r);
    struct dcc_pf_row *both[] = {l, r};
    for (int i = 0; i < 2; i++) {
        both[i]->found = 1;
        snprintf(both[i]->compiler, sizeof both[i]->compiler, "gcc");
        snprintf(both[i]->machine, sizeof both[i]->machine, "x86_64-pc-linux-gnu");
        snprintf(both[i]->as_version, sizeof both[i]->as_version, "2.41");
        snprintf(both[i]->ld_version, sizeof both[i]->ld_version, "2.41");
        both[i]->pie = both[i]->ssp = 1;
    }
    l->kind = DCC_PF_ROW_LOCAL;
    r->kind = DCC_PF_ROW_REMOTE;
    snprintf(l->version, sizeof l->version, "%s", local_v);
    snprintf(r->version, sizeof r->version, "%s", remote_v);
}

static void test_judge_versions(void **state)
{
    (void)state;
    struct dcc_pf_row l, r;
    char why[300] = "";
    rows("12.2.0", "12.2.0", &l, &r);
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_EXACT, "box", why, sizeof why), 1);

    rows("12.2.0", "12.2.1", &l, &r);
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_EXACT, "box", why, sizeof why), 0);
    assert_string_equal(why, "helper box has gcc 12.2.1, this machine 12.2.0");
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_MINOR, "box", why, sizeof why), 1);

    rows("12.2.0", "13.2.1", &l, &r);
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_MINOR, "box", why, sizeof why), 0);
    assert_string_equal(why, "helper box has gcc 13.2.1, this machine 12.2.0");
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_OFF, "box", why, sizeof why), 1);

    /* A version one side does not know is no reason to skip. */
    rows("12.2.0", "", &l, &r);
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_EXACT, "box", why, sizeof why), 1);
}

static void test_judge_other_fields(void **state)
{
    (void)state;
    struct dcc_pf_row l, r;
    char why[300] = "";
    rows("12.2.0", "12.2.0", &l, &r);
    snprintf(r.machine, sizeof r.machine, "aarch64-unknown-linux-gnu");
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_MINOR, "box", why, sizeof why), 0);
    assert_string_equal(
        why,
        "helper box's gcc targets aarch64-unknown-linux-gnu, this machine's x86_64-pc-linux-gnu");

    rows("12.2.0", "12.2.0", &l, &r);
    snprintf(r.as_version, sizeof r.as_version, "2.40");
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_EXACT, "box", why, sizeof why), 0);
    assert_string_equal(why, "helper box has as 2.40, this machine 2.41");

    rows("12.2.0", "12.2.0", &l, &r);
    r.pie = 0;
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_EXACT, "box", why, sizeof why), 0);
    assert_string_equal(why, "helper box's gcc has pie_default no, this machine's yes");

    /* Not in the helper's report: it refuses the job itself if it must. */
    rows("12.2.0", "", &l, &r);
    r.found = -1;
    assert_int_equal(dcc_fit_judge(&l, &r, DCC_FIT_EXACT, "box", why, sizeof why), 1);
}

static void test_cpu_key(void **state)
{
    (void)state;
    char dir[256];
    assert_int_equal(dcc_test_tmpdir(dir, sizeof dir, "/tmp/test_fit.XXXXXX"), 0);
    char path[PATH_MAX], a[32], b[32], c[32];
    snprintf(path, sizeof path, "%s/cpuinfo", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: X\ncpu MHz\t\t: 3000.1\n"
          "flags\t\t: fpu avx2\n\nprocessor\t: 1\nvendor_id\t: Other\n",
          f);
    fclose(f);
    assert_int_equal(dcc_fit_cpu_key(path, a, sizeof a), 0);
    assert_int_equal(strlen(a), 16);
    /* The clock speed and the other processors do not change the key. */
    f = fopen(path, "w");
    fputs("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: X\ncpu MHz\t\t: 1200.0\n"
          "flags\t\t: fpu avx2\n\n",
          f);
    fclose(f);
    assert_int_equal(dcc_fit_cpu_key(path, b, sizeof b), 0);
    assert_string_equal(a, b);
    /* Another flag does. */
    f = fopen(path, "w");
    fputs("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: X\nflags\t\t: fpu avx512f\n",
          f);
    fclose(f);
    assert_int_equal(dcc_fit_cpu_key(path, c, sizeof c), 0);
    assert_string_not_equal(a, c);
    snprintf(path, sizeof path, "%s/none", dir);
    assert_int_equal(dcc_fit_cpu_key(path, c, sizeof c), -1);
    dcc_test_rmtree(dir);
}

static size_t markers(const char *dir)
{
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/helpers", dir);
    DIR *d = opendir(sub);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".said-") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void test_first_notice(void **state)
{
    (void)state;
    char dir[256];
    assert_int_equal(dcc_test_tmpdir(dir, sizeof dir, "/tmp/test_fit.XXXXXX"), 0);
    struct dcc_hostlist list;
    char err[200];
    assert_int_equal(dcc_hosts_parse("box:4000 other", &list, err, sizeof err), 0);
    assert_int_equal(dcc_fit_first_notice(&list.hosts[0], "gcc", 100, dir), 1);
    assert_int_equal(dcc_fit_first_notice(&list.hosts[0], "gcc", 100, dir), 0);
    assert_int_equal(dcc_fit_first_notice(&list.hosts[0], "g++", 100, dir), 1);
    assert_int_equal(dcc_fit_first_notice(&list.hosts[1], "gcc", 100, dir), 1);
    assert_int_equal(markers(dir), 3);
    /* Learned again: said again, and the old marker goes. */
    assert_int_equal(dcc_fit_first_notice(&list.hosts[0], "gcc", 200, dir), 1);
    assert_int_equal(dcc_fit_first_notice(&list.hosts[0], "gcc", 200, dir), 0);
    assert_int_equal(markers(dir), 3);
    dcc_hosts_free(&list);
    dcc_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_judge_versions),
        cmocka_unit_test(test_judge_other_fields),
        cmocka_unit_test(test_cpu_key),
        cmocka_unit_test(test_first_notice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
