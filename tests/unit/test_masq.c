/* Unit tests for dcc_masq: compiler names, link ownership, PATH scans and updating the masquerade dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admin/dcc_masq.h"
#include "base/dcc_util.h"
#include "test_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_classify(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum dcc_masq_kind kind;
    } cases[] = {
        {"gcc", DCC_MASQ_BARE},
        {"g++", DCC_MASQ_BARE},
        {"gcc-13", DCC_MASQ_BARE},
        {"g++-13.2.0", DCC_MASQ_BARE},
        {"clang", DCC_MASQ_BARE},
        {"clang++", DCC_MASQ_BARE},
        {"clang-17", DCC_MASQ_BARE},
        {"clang++-17", DCC_MASQ_BARE},
        {"cc", DCC_MASQ_BARE},
        {"c++", DCC_MASQ_BARE},
        {"c99", DCC_MASQ_BARE},
        {"x86_64-pc-linux-gnu-gcc", DCC_MASQ_CHOST},
        {"x86_64-pc-linux-gnu-gcc-13", DCC_MASQ_CHOST},
        {"x86_64-pc-linux-gnu-g++-11.0.0_pre9999", DCC_MASQ_CHOST},
        {"aarch64-unknown-linux-gnu-clang++-17", DCC_MASQ_CHOST},
        {"x86_64-linux-gnu-gcc-12", DCC_MASQ_CHOST},
        {"x86_64-w64-mingw32-gcc", DCC_MASQ_CHOST},
        {"armv7a-unknown-linux-gnueabihf-c++", DCC_MASQ_CHOST},
        {"gcc-ar", DCC_MASQ_NOT_COMPILER},
        {"gcc-nm-13", DCC_MASQ_NOT_COMPILER},
        {"x86_64-pc-linux-gnu-gcc-ranlib", DCC_MASQ_NOT_COMPILER},
        {"clang-format", DCC_MASQ_NOT_COMPILER},
        {"clang-tidy-17", DCC_MASQ_NOT_COMPILER},
        {"cc-13", DCC_MASQ_NOT_COMPILER},
        {"c89", DCC_MASQ_NOT_COMPILER},
        {"my-gcc", DCC_MASQ_NOT_COMPILER},
        {"distcc", DCC_MASQ_NOT_COMPILER},
        {"xgcc", DCC_MASQ_NOT_COMPILER},
        {"-gcc", DCC_MASQ_NOT_COMPILER},
        {"a--b-gcc", DCC_MASQ_NOT_COMPILER},
        {"gcc-13 x", DCC_MASQ_NOT_COMPILER},
        {"", DCC_MASQ_NOT_COMPILER},
        {"bin", DCC_MASQ_NOT_COMPILER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum dcc_masq_kind got = dcc_masq_classify(cases[i].name);
        if (got != cases[i].kind)
            fail_msg("%s: expected %d, got %d", cases[i].name, cases[i].kind, got);
    }
}

static void test_owns(void **state)
{
    (void)state;
    struct dcc_masq_conf conf = {"/stage/usr/lib/distcc", "/usr/lib/distcc", "/usr/bin/distcc", 0};
    assert_true(dcc_masq_owns(&conf, "/usr/bin/distcc"));
    assert_true(dcc_masq_owns(&conf, "../../bin/distcc"));
    assert_true(dcc_masq_owns(&conf, "../../../usr/bin/./distcc"));
    assert_true(dcc_masq_owns(&conf, "//usr//bin/distcc"));
    assert_false(dcc_masq_owns(&conf, "/usr/bin/ccache"));
    assert_false(dcc_masq_owns(&conf, "distcc"));
    assert_false(dcc_masq_owns(&conf, "/usr/local/bin/distcc"));
    assert_false(dcc_masq_owns(&conf, "."));
}

struct fixture {
    char root[PATH_MAX];
};

static int fx_setup(void **state)
{
    struct fixture *f = malloc(sizeof *f);
    if (!f)
        return -1;
    if (dcc_test_tmpdir(f->root, sizeof f->root, "/tmp/test_masq.XXXXXX") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fixture *f = *state;
    int rc = dcc_test_rmtree(f->root);
    free(f);
    return rc;
}

static void make_dir(const struct fixture *f, const char *rel)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s", f->root, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void make_file(const struct fixture *f, const char *rel, mode_t mode)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s", f->root, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void make_link(const struct fixture *f, const char *rel, const char *text)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s", f->root, rel);
    assert_int_equal(symlink(text, path), 0);
}

static char *link_text(const struct fixture *f, const char *rel)
{
    static char buf[PATH_MAX];
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s", f->root, rel);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return buf;
}

static char *joined(char **names)
{
    static char buf[4096];
    char *s = dcc_argv_join(names);
    assert_non_null(s);
    snprintf(buf, sizeof buf, "%s", s);
    free(s);
    return buf;
}

static void staged_tree(const struct fixture *f)
{
    make_dir(f, "/usr");
    make_dir(f, "/usr/bin");
    make_dir(f, "/bin");
    make_dir(f, "/usr/lib");
    make_dir(f, "/usr/lib/distcc");
    make_file(f, "/usr/bin/gcc", 0755);
    make_file(f, "/usr/bin/x86_64-pc-linux-gnu-gcc-13", 0755);
    make_file(f, "/usr/bin/clang-17", 0755);
    make_file(f, "/usr/bin/gcc-ar", 0755);       /* not a compiler */
    make_file(f, "/usr/bin/g++", 0644);          /* not executable */
    make_link(f, "/usr/bin/cc", "/usr/bin/gcc"); /* absolute: only counts on a staged root */
    make_file(f, "/bin/c99", 0755);
    make_file(f, "/bin/gcc", 0755);                           /* found twice, listed once */
    make_link(f, "/usr/lib/distcc/clang", "/usr/bin/distcc"); /* the skipped dir */
}

static void test_scan_path_on_staged_root(void **state)
{
    struct fixture *f = *state;
    staged_tree(f);
    char skip[PATH_MAX + 32], err[256];
    snprintf(skip, sizeof skip, "%s/usr/lib/distcc", f->root);
    char **names = NULL;
    const char *path = "relative/bin::/usr/bin:/nonexistent:/bin:/usr/bin:/usr/lib/distcc";
    assert_int_equal(dcc_masq_scan_path(f->root, path, skip, 0, &names, err, sizeof err), 0);
    assert_string_equal(joined(names), "c99 cc clang-17 gcc x86_64-pc-linux-gnu-gcc-13");
    dcc_argv_free(names);

    assert_int_equal(dcc_masq_scan_path(f->root, path, skip, 1, &names, err, sizeof err), 0);
    assert_string_equal(joined(names), "x86_64-pc-linux-gnu-gcc-13");
    dcc_argv_free(names);

    assert_int_equal(dcc_masq_scan_path(f->root, "/nonexistent", skip, 0, &names, err, sizeof err),
                     0);
    assert_non_null(names);
    assert_null(names[0]);
    dcc_argv_free(names);
}

static void test_scan_path_live_ignores_dangling_links(void **state)
{
    struct fixture *f = *state;
    staged_tree(f);
    /* As the running system (root ""), the same tree is reached by its full path. */
    char path[PATH_MAX + 32], err[256];
    snprintf(path, sizeof path, "%s/usr/bin", f->root);
    char dangling[PATH_MAX + 64];
    snprintf(dangling, sizeof dangling, "%s/usr/bin/c++", f->root);
    assert_int_equal(symlink("/nonexistent/c++", dangling), 0);
    char **names = NULL;
    assert_int_equal(dcc_masq_scan_path("", path, NULL, 0, &names, err, sizeof err), 0);
    /* cc -> /usr/bin/gcc counts only if the host has /usr/bin/gcc. */
    const char *got = joined(names);
    if (access("/usr/bin/gcc", X_OK) == 0)
        assert_string_equal(got, "cc clang-17 gcc x86_64-pc-linux-gnu-gcc-13");
    else
        assert_string_equal(got, "clang-17 gcc x86_64-pc-linux-gnu-gcc-13");
    dcc_argv_free(names);
}

static void test_scan_path_skips_relative_entries(void **state)
{
    struct fixture *f = *state;
    staged_tree(f);
    char cwd[PATH_MAX], err[256];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->root), 0);
    char **names = NULL;
    int rc = dcc_masq_scan_path("", "usr/bin:./bin:.", NULL, 0, &names, err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    assert_null(names[0]);
    dcc_argv_free(names);
}

static struct dcc_masq_conf conf_for(const struct fixture *f, char *dir, size_t dirlen)
{
    snprintf(dir, dirlen, "%s/usr/lib/distcc", f->root);
    return (struct dcc_masq_conf){dir, "/usr/lib/distcc", "/usr/bin/distcc", 0};
}

static void test_update_creates_and_is_idempotent(void **state)
{
    struct fixture *f = *state;
    make_dir(f, "/usr");
    make_dir(f, "/usr/lib");
    make_dir(f, "/usr/lib/distcc");
    make_file(f, "/usr/lib/distcc/README", 0644);
    char dir[PATH_MAX + 32], err[256];
    struct dcc_masq_conf conf = conf_for(f, dir, sizeof dir);
    char *wanted[] = {"gcc", "x86_64-pc-linux-gnu-gcc-13", NULL};
    struct dcc_masq_report rep;

    assert_int_equal(dcc_masq_update(&conf, wanted, &rep, err, sizeof err), 0);
    assert_int_equal(rep.n, 4);
    assert_string_equal(rep.entries[0].name, "README");
    assert_int_equal(rep.entries[0].action, DCC_MASQ_FOREIGN);
    assert_string_equal(rep.entries[1].name, "bin");
    assert_int_equal(rep.entries[1].action, DCC_MASQ_CREATED);
    assert_string_equal(rep.entries[2].name, "gcc");
    assert_int_equal(rep.entries[2].action, DCC_MASQ_CREATED);
    assert_int_equal(rep.count[DCC_MASQ_CREATED], 3);
    dcc_masq_report_free(&rep);
    assert_string_equal(link_text(f, "/usr/lib/distcc/gcc"), "/usr/bin/distcc");
    assert_string_equal(link_text(f, "/usr/lib/distcc/bin"), ".");

    assert_int_equal(dcc_masq_update(&conf, wanted, &rep, err, sizeof err), 0);
    assert_int_equal(rep.count[DCC_MASQ_CREATED], 0);
    assert_int_equal(rep.count[DCC_MASQ_REMOVED], 0);
    assert_int_equal(rep.count[DCC_MASQ_KEPT], 3);
    assert_int_equal(rep.count[DCC_MASQ_FOREIGN], 1);
    dcc_masq_report_free(&rep);
}

static void test_update_removes_only_its_own_stale_links(void **state)
{
    struct fixture *f = *state;
    make_dir(f, "/usr");
    make_dir(f, "/usr/lib");
    make_dir(f, "/usr/lib/distcc");
    make_link(f, "/usr/lib/distcc/clang-16", "/usr/bin/distcc"); /* ours, stale */
    make_link(f, "/usr/lib/distcc/g++-12", "../../bin/distcc");  /* ours (relative), stale */
    make_link(f, "/usr/lib/distcc/gcc", "/usr/bin/ccache");      /* wanted name, not ours */
    make_link(f, "/usr/lib/distcc/c++", "/usr/bin/distcc");      /* ours, wanted */
    make_file(f, "/usr/lib/distcc/cc", 0755);                    /* a file with a compiler's name */
    char dir[PATH_MAX + 32], err[256];
    struct dcc_masq_conf conf = conf_for(f, dir, sizeof dir);
    char *wanted[] = {"c++", "cc", "gcc", NULL};
    struct dcc_masq_report rep;
    assert_int_equal(dcc_masq_update(&conf, wanted, &rep, err, sizeof err), 0);
    assert_int_equal(rep.count[DCC_MASQ_REMOVED], 2);
    assert_int_equal(rep.count[DCC_MASQ_FOREIGN], 2);
    assert_int_equal(rep.count[DCC_MASQ_KEPT], 1);
    assert_int_equal(rep.count[DCC_MASQ_CREATED], 1); /* bin */
    dcc_masq_report_free(&rep);
    assert_null(link_text(f, "/usr/lib/distcc/clang-16"));
    assert_null(link_text(f, "/usr/lib/distcc/g++-12"));
    assert_string_equal(link_text(f, "/usr/lib/distcc/gcc"), "/usr/bin/ccache");
    struct stat st;
    char cc[PATH_MAX + 64];
    snprintf(cc, sizeof cc, "%s/cc", dir);
    assert_int_equal(lstat(cc, &st), 0);
    assert_true(S_ISREG(st.st_mode));
}

static void test_update_says_why_a_link_goes(void **state)
{
    struct fixture *f = *state;
    make_dir(f, "/usr");
    make_dir(f, "/usr/lib");
    make_dir(f, "/usr/lib/distcc");
    make_link(f, "/usr/lib/distcc/gcc", "/usr/bin/distcc");
    make_link(f, "/usr/lib/distcc/x86_64-pc-linux-gnu-gcc-12", "/usr/bin/distcc");
    make_link(f, "/usr/lib/distcc/wrapper", "/usr/bin/distcc");
    char dir[PATH_MAX + 32], err[256];
    struct dcc_masq_conf conf = conf_for(f, dir, sizeof dir);
    conf.chost_only = 1;
    char *wanted[] = {NULL};
    struct dcc_masq_report rep;
    assert_int_equal(dcc_masq_update(&conf, wanted, &rep, err, sizeof err), 0);
    assert_int_equal(rep.n, 4);
    assert_string_equal(rep.entries[1].name, "gcc");
    assert_string_equal(rep.entries[1].why,
                        "not CHOST-prefixed: with crossdev, unqualified calls stay local");
    assert_string_equal(rep.entries[2].name, "wrapper");
    assert_string_equal(rep.entries[2].why, "not a compiler name");
    assert_string_equal(rep.entries[3].name, "x86_64-pc-linux-gnu-gcc-12");
    assert_string_equal(rep.entries[3].why, "no such compiler on PATH any more");
    dcc_masq_report_free(&rep);
}

static void test_update_leaves_an_old_bin_directory(void **state)
{
    struct fixture *f = *state;
    make_dir(f, "/usr");
    make_dir(f, "/usr/lib");
    make_dir(f, "/usr/lib/distcc");
    make_dir(f, "/usr/lib/distcc/bin");
    char dir[PATH_MAX + 32], err[256];
    struct dcc_masq_conf conf = conf_for(f, dir, sizeof dir);
    char *wanted[] = {NULL};
    struct dcc_masq_report rep;
    assert_int_equal(dcc_masq_update(&conf, wanted, &rep, err, sizeof err), 0);
    assert_int_equal(rep.n, 1);
    assert_int_equal(rep.entries[0].action, DCC_MASQ_FOREIGN);
    assert_string_equal(rep.entries[0].why, "a directory, not a link of ours");
    dcc_masq_report_free(&rep);
}

static void test_update_rejects_bad_names_and_missing_dir(void **state)
{
    struct fixture *f = *state;
    char dir[PATH_MAX + 32], err[256];
    struct dcc_masq_conf conf = conf_for(f, dir, sizeof dir);
    char *wanted[] = {"gcc", NULL};
    struct dcc_masq_report rep;
    assert_int_equal(dcc_masq_update(&conf, wanted, &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    dcc_masq_report_free(&rep);

    make_dir(f, "/usr");
    make_dir(f, "/usr/lib");
    make_dir(f, "/usr/lib/distcc");
    char *bad[] = {"../escape", NULL};
    assert_int_equal(dcc_masq_update(&conf, bad, &rep, err, sizeof err), -1);
    assert_string_equal(err, "\"../escape\" cannot be a masquerade link name");
    dcc_masq_report_free(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_owns),
        cmocka_unit_test_setup_teardown(test_scan_path_on_staged_root, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_scan_path_live_ignores_dangling_links, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_scan_path_skips_relative_entries, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_update_creates_and_is_idempotent, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_update_removes_only_its_own_stale_links, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_update_says_why_a_link_goes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_update_leaves_an_old_bin_directory, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_update_rejects_bad_names_and_missing_dir, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests_name("dcc_masq", tests, NULL, NULL);
}
