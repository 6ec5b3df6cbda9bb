/* Unit tests for dcc_dl: an optional library's symbols are loaded once, and a missing library or symbol is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/dcc_dl.h"

static void test_symbols_of_a_library_are_loaded(void **state)
{
    (void)state;
    static const char *const names[] = {"strlen", "strcmp"};
    void *slots[2] = {NULL, NULL};
    struct dcc_dl_lib lib = {.soname = "libc.so.6", .names = names, .slots = slots, .n = 2};
    char err[300] = "";
    assert_int_equal(dcc_dl_load(&lib, err, sizeof err), 0);
    size_t (*len)(const char *) = NULL;
    memcpy(&len, &slots[0], sizeof len);
    assert_non_null(len);
    assert_int_equal(len("four"), 4);
    int (*cmp)(const char *, const char *) = NULL;
    memcpy(&cmp, &slots[1], sizeof cmp);
    assert_non_null(cmp);
    assert_true(cmp("a", "b") < 0);
    /* the second call keeps the first outcome */
    slots[0] = NULL;
    assert_int_equal(dcc_dl_load(&lib, err, sizeof err), 0);
    assert_null(slots[0]);
}

static void test_a_missing_library_is_named_every_time(void **state)
{
    (void)state;
    static const char *const names[] = {"f"};
    void *slots[1] = {NULL};
    struct dcc_dl_lib lib = {
        .soname = "libdcc-no-such-library.so.9", .names = names, .slots = slots, .n = 1};
    char err[300] = "";
    assert_int_equal(dcc_dl_load(&lib, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot load libdcc-no-such-library.so.9: "));
    err[0] = '\0';
    assert_int_equal(dcc_dl_load(&lib, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot load libdcc-no-such-library.so.9: "));
}

static void test_a_missing_symbol_is_named(void **state)
{
    (void)state;
    static const char *const names[] = {"strlen", "dcc_no_such_symbol"};
    void *slots[2] = {NULL, NULL};
    struct dcc_dl_lib lib = {.soname = "libc.so.6", .names = names, .slots = slots, .n = 2};
    char err[300] = "";
    assert_int_equal(dcc_dl_load(&lib, err, sizeof err), -1);
    assert_string_equal(err, "libc.so.6 has no symbol dcc_no_such_symbol");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symbols_of_a_library_are_loaded),
        cmocka_unit_test(test_a_missing_library_is_named_every_time),
        cmocka_unit_test(test_a_missing_symbol_is_named),
    };
    return cmocka_run_group_tests_name("dl", tests, NULL, NULL);
}
