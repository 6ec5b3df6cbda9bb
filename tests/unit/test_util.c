/* Unit tests for dcc_util: the growable buffer and argv helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/dcc_exit.h"
#include "base/dcc_util.h"

static void test_buf(void **state)
{
    (void)state;
    struct dcc_buf b = {0};
    assert_int_equal(dcc_buf_appends(&b, "abc"), 0);
    assert_int_equal(dcc_buf_printf(&b, "-%d-%s", 42, "x"), 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(dcc_buf_append(&b, "z", 1), 0);
    assert_int_equal(b.len, 8 + 1000);
    assert_memory_equal(b.data, "abc-42-xz", 9);
    assert_int_equal(b.data[b.len], '\0');
    dcc_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_argv_edit(void **state)
{
    (void)state;
    char *src[] = {"gcc", "-c", "x.c", NULL};
    char **a = dcc_argv_dup(src);
    assert_int_equal(dcc_argv_len(a), 3);
    const char *ins[] = {"-o", "x.o"};
    assert_int_equal(dcc_argv_insert(&a, 3, ins, 2), 0);
    assert_int_equal(dcc_argv_insert(&a, 1, ins, 1), 0);
    char *joined = dcc_argv_join(a);
    assert_string_equal(joined, "gcc -o -c x.c -o x.o");
    free(joined);
    dcc_argv_remove(a, 1, 1);
    assert_int_equal(dcc_argv_set(a, 2, "y.c"), 0);
    joined = dcc_argv_join(a);
    assert_string_equal(joined, "gcc -c y.c -o x.o");
    free(joined);
    dcc_argv_remove(a, 3, 10);
    assert_int_equal(dcc_argv_len(a), 3);
    assert_null(a[3]);
    dcc_argv_free(a);
}

static void test_join_quotes(void **state)
{
    (void)state;
    char *src[] = {"gcc", "-DX=a b", "", "it's", NULL};
    char *j = dcc_argv_join(src);
    assert_string_equal(j, "gcc '-DX=a b' '' 'it'\\''s'");
    free(j);
}

static void test_str_and_exit_names(void **state)
{
    (void)state;
    assert_true(dcc_str_endswith("x.cpp", ".cpp"));
    assert_false(dcc_str_endswith("c", ".cpp"));
    assert_true(dcc_str_startswith("-fplugin=x", "-fplugin"));
    assert_false(dcc_str_startswith("-f", "-fplugin"));
    assert_string_equal(dcc_exit_name(118), "timeout");
    assert_string_equal(dcc_exit_name(106), "bad host specification");
    assert_null(dcc_exit_name(3));
}

static void test_fnv1a_vectors(void **state)
{
    (void)state;
    /* the published FNV-1a 64 values of "" and "a"; chaining is hashing the whole */
    assert_true(dcc_fnv1a(DCC_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ULL);
    assert_true(dcc_fnv1a(DCC_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(dcc_fnv1a(dcc_fnv1a(DCC_FNV1A_INIT, "fo", 2), "obar", 4) ==
                dcc_fnv1a(DCC_FNV1A_INIT, "foobar", 6));
    assert_true(dcc_fnv1a(DCC_FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
}

/* The hint is set where the file system has it (ext2/3/4), and setting it
 * again is a no-op; elsewhere the call fails with the reason and the test
 * is skipped. */
static void test_dir_spread_subdirs(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/dcc-spread.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    int rc = dcc_dir_spread_subdirs(fd);
    int e = errno, flags = 0;
    if (rc != 0) {
        assert_true(e == ENOTTY || e == EOPNOTSUPP || e == EINVAL || e == ENOSYS);
        close(fd);
        rmdir(dir);
        skip();
    }
    assert_int_equal(ioctl(fd, FS_IOC_GETFLAGS, &flags), 0);
    assert_true(flags & FS_TOPDIR_FL);
    assert_int_equal(dcc_dir_spread_subdirs(fd), 0);
    close(fd);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),           cmocka_unit_test(test_argv_edit),
        cmocka_unit_test(test_join_quotes),   cmocka_unit_test(test_str_and_exit_names),
        cmocka_unit_test(test_fnv1a_vectors), cmocka_unit_test(test_dir_spread_subdirs),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
