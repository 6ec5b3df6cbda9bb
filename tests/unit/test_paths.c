/* Unit tests for dcc_paths: $DISTCC_DIR's subdirectories and the PATH without the masquerade directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dcc_exit.h"
#include "client/dcc_paths.h"
#include "test_helpers.h"

/* ---- fixture and helpers ------------------------------------------------ */

struct fixture {
    char dir[64];
    char *old_distcc_dir; /* DISTCC_DIR before the test, restored in teardown */
};

static int exists_in(const struct fixture *f, const char *rel)
{
    char p[PATH_MAX];
    dcc_test_path_in(p, sizeof p, f->dir, rel);
    return dcc_test_exists(p);
}

static void link_in(const struct fixture *f, const char *target, const char *rel)
{
    char p[PATH_MAX];
    dcc_test_path_in(p, sizeof p, f->dir, rel);
    assert_int_equal(symlink(target, p), 0);
}

/* What the PATH tests walk: distcc itself, a whitelist and a masquerade
 * directory of links to it (the whitelist with its "bin -> ." link), and
 * a directory with the real gcc. */
static void make_distcc_tree(const struct fixture *f)
{
    static const char *const dirs[] = {"bin", "distccbin", "masq", "wl"};
    char p[PATH_MAX];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        dcc_test_path_in(p, sizeof p, f->dir, dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    static const char script[] = "#!/bin/sh\nexit 0\n";
    dcc_test_path_in(p, sizeof p, f->dir, "distccbin/distcc");
    dcc_test_write_file(p, script, sizeof script - 1, 0755);
    dcc_test_path_in(p, sizeof p, f->dir, "bin/gcc");
    dcc_test_write_file(p, script, sizeof script - 1, 0755);
    link_in(f, "../distccbin/distcc", "masq/gcc");
    link_in(f, "../distccbin/distcc", "wl/gcc");
    link_in(f, ".", "wl/bin");
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/dcc-paths-test.XXXXXX") != 0) {
        free(f);
        return -1;
    }
    const char *old = getenv("DISTCC_DIR");
    if (old && !(f->old_distcc_dir = strdup(old))) {
        dcc_test_rmtree(f->dir);
        free(f);
        return -1;
    }
    umask(022);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->old_distcc_dir)
        setenv("DISTCC_DIR", f->old_distcc_dir, 1);
    else
        unsetenv("DISTCC_DIR");
    int rc = dcc_test_rmtree(f->dir);
    free(f->old_distcc_dir);
    free(f);
    return rc;
}

/* ---- $DISTCC_DIR's subdirectories ------------------------------------------ */

static void test_subdir_name_only_names(void **state)
{
    struct fixture *f = *state;
    char out[PATH_MAX], want[PATH_MAX], err[256] = "";

    assert_int_equal(dcc_paths_subdir_name(f->dir, "lock", out, sizeof out, err, sizeof err), 0);
    dcc_test_path_in(want, sizeof want, f->dir, "lock");
    assert_string_equal(out, want);
    assert_false(exists_in(f, "lock"));

    /* No directory given: $DISTCC_DIR. */
    assert_int_equal(setenv("DISTCC_DIR", f->dir, 1), 0);
    assert_int_equal(dcc_paths_subdir_name(NULL, "state", out, sizeof out, err, sizeof err), 0);
    dcc_test_path_in(want, sizeof want, f->dir, "state");
    assert_string_equal(out, want);

    char tiny[8];
    assert_int_equal(dcc_paths_subdir_name(f->dir, "lock", tiny, sizeof tiny, err, sizeof err),
                     DCC_EXIT_IO_ERROR);
    snprintf(want, sizeof want, "the distcc directory name %s is too long", f->dir);
    assert_string_equal(err, want);
}

static void test_missing_distcc_dir_is_created(void **state)
{
    struct fixture *f = *state;
    char sub[PATH_MAX], err[256] = "", out[PATH_MAX];
    dcc_test_path_in(sub, sizeof sub, f->dir, "fresh");
    assert_int_equal(dcc_paths_make_subdir(sub, "state", out, sizeof out, err, sizeof err), 0);
    char want[PATH_MAX + 8];
    snprintf(want, sizeof want, "%s/state", sub);
    assert_string_equal(out, want);
    assert_true(exists_in(f, "fresh/state"));
}

static void test_directory_errors_name_the_directory(void **state)
{
    struct fixture *f = *state;
    char base[PATH_MAX], bad[PATH_MAX + 16], err[512] = "", out[PATH_MAX], want[PATH_MAX * 2];

    dcc_test_path_in(base, sizeof base, f->dir, "no/such");
    assert_int_equal(dcc_paths_make_subdir(base, "lock", out, sizeof out, err, sizeof err),
                     DCC_EXIT_IO_ERROR);
    snprintf(
        want, sizeof want,
        "cannot create directory %s: its parent does not exist (set DISTCC_DIR to a writable directory)",
        base);
    assert_string_equal(err, want);

    /* A regular file where a directory should be. */
    dcc_test_path_in(base, sizeof base, f->dir, "plain");
    int fd = open(base, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    close(fd);
    snprintf(bad, sizeof bad, "%s/sub", base);
    assert_int_equal(dcc_paths_make_subdir(bad, "lock", out, sizeof out, err, sizeof err),
                     DCC_EXIT_IO_ERROR);
    snprintf(
        want, sizeof want,
        "cannot create directory %s/sub/lock: Not a directory (set DISTCC_DIR to a writable directory)",
        base);
    assert_string_equal(err, want);

    assert_int_equal(dcc_paths_make_subdir(f->dir, "plain", out, sizeof out, err, sizeof err),
                     DCC_EXIT_IO_ERROR);
    snprintf(want, sizeof want, "cannot use %s: it exists but is not a directory", base);
    assert_string_equal(err, want);
}

/* ---- PATH without distcc ----------------------------------------------------- */

static void test_path_without_distcc_drops_the_masquerade_dir(void **state)
{
    struct fixture *f = *state;
    const char *root = f->dir;
    make_distcc_tree(f);
    char path[1024], out[1024], want[1024];
    /* The PATH a daemon might have: junk, the whitelist itself, its bin
     * link, a masquerade dir of distcc links, then the real compilers. */
    assert_true((size_t)snprintf(path, sizeof(path),
                                 "relative/dir::%s/wl:%s/wl/bin/:%s/masq:%s/bin", root, root, root,
                                 root) < sizeof(path));
    /* wl/gcc is the first link to distcc: it and all before it go; the
     * later distcc entries (wl/bin/, masq) go too. */
    assert_int_equal(dcc_paths_without_distcc("gcc", path, out, sizeof(out)), 0);
    assert_true((size_t)snprintf(want, sizeof(want), "%s/bin", root) < sizeof(want));
    assert_string_equal(out, want);
    /* Empty entries after it (the working directory) stay. */
    char path2[1024];
    assert_true((size_t)snprintf(path2, sizeof(path2), "/nowhere:%s/masq::%s/bin:", root, root) <
                sizeof(path2));
    assert_int_equal(dcc_paths_without_distcc("gcc", path2, out, sizeof(out)), 0);
    assert_true((size_t)snprintf(want, sizeof(want), ":%s/bin:", root) < sizeof(want));
    assert_string_equal(out, want);
    /* A name that is no distcc link anywhere keeps PATH as it was. */
    assert_int_equal(dcc_paths_without_distcc("notthere", path, out, sizeof(out)), 0);
    assert_string_equal(out, path);
    assert_int_equal(dcc_paths_without_distcc("gcc", "", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(dcc_paths_without_distcc("gcc", path, out, 5), -1);
}

static void test_json_kept_whole_and_read_back(void **state)
{
    struct fixture *f = *state;
    char path[128], link[128];
    snprintf(path, sizeof path, "%s/kept.json", f->dir);
    json_t *doc = json_pack("{s:i, s:s}", "learned", 5, "what", "ours");
    assert_int_equal(dcc_paths_write_json(path, doc), 0);
    json_t *back = dcc_paths_read_json(path, 1000);
    assert_true(json_equal(doc, back));
    json_decref(back);
    /* Longer than allowed, a link, or not an object: nothing. */
    assert_null(dcc_paths_read_json(path, 5));
    snprintf(link, sizeof link, "%s/link.json", f->dir);
    assert_int_equal(symlink(path, link), 0);
    assert_null(dcc_paths_read_json(link, 1000));
    json_t *arr = json_array();
    assert_int_equal(dcc_paths_write_json(path, arr), 0);
    assert_null(dcc_paths_read_json(path, 1000));
    json_decref(arr);
    /* A directory that is not there: -1, and no temporary is left. */
    snprintf(path, sizeof path, "%s/none/kept.json", f->dir);
    assert_int_equal(dcc_paths_write_json(path, doc), -1);
    json_decref(doc);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_subdir_name_only_names),
        T(test_missing_distcc_dir_is_created),
        T(test_directory_errors_name_the_directory),
        T(test_path_without_distcc_drops_the_masquerade_dir),
        T(test_json_kept_whole_and_read_back),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
