/* Unit tests for dcc_whitelist: which compiler names may run, and finding the
 * real compiler without running distcc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/dcc_whitelist.h"
#include "test_helpers.h"

static char root[64];
static char wl[128], bin1[128], bin2[128];

static void touch_exec(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    chmod(path, 0755);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(dcc_test_tmpdir(root, sizeof root, "/tmp/test_wl_XXXXXX"), 0);
    snprintf(wl, sizeof wl, "%s/wl", root);
    snprintf(bin1, sizeof bin1, "%s/bin1", root);
    snprintf(bin2, sizeof bin2, "%s/bin2", root);
    mkdir(wl, 0755);
    mkdir(bin1, 0755);
    mkdir(bin2, 0755);
    char p[256];
    snprintf(p, sizeof p, "%s/distcc", bin1);
    touch_exec(p, "#!/bin/sh\n");
    snprintf(p, sizeof p, "%s/gcc", wl);
    assert_int_equal(symlink("../bin1/distcc", p), 0);
    snprintf(p, sizeof p, "%s/bin", wl);
    assert_int_equal(symlink(".", p), 0);
    /* bin1/gcc is distcc itself (a masquerade link); bin2/gcc is real. */
    snprintf(p, sizeof p, "%s/gcc", bin1);
    assert_int_equal(symlink("distcc", p), 0);
    snprintf(p, sizeof p, "%s/gcc", bin2);
    touch_exec(p, "#!/bin/sh\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return dcc_test_rmtree(root);
}

static void test_usable_dir(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(dcc_whitelist_dir_usable(wl, err, sizeof err), 0);
    char empty[160];
    snprintf(empty, sizeof empty, "%s/empty", root);
    mkdir(empty, 0755);
    char link[200];
    snprintf(link, sizeof link, "%s/bin", empty);
    assert_int_equal(symlink(".", link), 0);
    assert_int_equal(dcc_whitelist_dir_usable(empty, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "compiler whitelist %s is empty", empty);
    assert_string_equal(err, want);
    snprintf(empty, sizeof empty, "%s/missing", root);
    assert_int_equal(dcc_whitelist_dir_usable(empty, err, sizeof err), -1);
    snprintf(want, sizeof want, "compiler whitelist %s cannot be read: No such file or directory",
             empty);
    assert_string_equal(err, want);
}

static void test_check_names(void **state)
{
    (void)state;
    char name[64], why[512], want[512];
    assert_int_equal(dcc_whitelist_check(wl, "gcc", name, sizeof name, why, sizeof why), 0);
    assert_string_equal(name, "gcc");
    assert_int_equal(dcc_whitelist_check(wl, "/usr/bin/gcc", name, sizeof name, why, sizeof why),
                     0);
    assert_string_equal(name, "gcc");
    assert_int_equal(dcc_whitelist_check(wl, "/bin/gcc", name, sizeof name, why, sizeof why), 0);

    assert_int_equal(dcc_whitelist_check(wl, "cc", name, sizeof name, why, sizeof why), -1);
    snprintf(want, sizeof want,
             "compiler \"cc\" is not in the whitelist %s on this helper (add a link there)", wl);
    assert_string_equal(why, want);

    const char *bad[] = {"/tmp/gcc", "../gcc", "bin", "..", ".", "", "/usr/local/bin/gcc", "sh"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dcc_whitelist_check(wl, bad[i], name, sizeof name, why, sizeof why), -1);
    assert_int_equal(dcc_whitelist_check(wl, "/tmp/gcc", name, sizeof name, why, sizeof why), -1);
    snprintf(want, sizeof want,
             "compiler \"/tmp/gcc\" is refused: only names from the whitelist %s may run", wl);
    assert_string_equal(why, want);
}

static void test_find_skips_distcc_and_whitelist(void **state)
{
    (void)state;
    char path[600], out[PATH_MAX], err[256], want[PATH_MAX];
    snprintf(path, sizeof path, "%s:%s:%s", wl, bin1, bin2);
    assert_int_equal(dcc_whitelist_find_compiler("gcc", path, wl, out, sizeof out, err, sizeof err),
                     0);
    snprintf(want, sizeof want, "%s/gcc", bin2);
    assert_string_equal(out, want);

    snprintf(path, sizeof path, "%s:%s", wl, bin1);
    assert_int_equal(dcc_whitelist_find_compiler("gcc", path, wl, out, sizeof out, err, sizeof err),
                     -1);
    assert_string_equal(err, "compiler gcc is not found on PATH (apart from distcc itself)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable_dir),
        cmocka_unit_test(test_check_names),
        cmocka_unit_test(test_find_skips_distcc_and_whitelist),
    };
    return cmocka_run_group_tests_name("whitelist", tests, setup, teardown);
}
