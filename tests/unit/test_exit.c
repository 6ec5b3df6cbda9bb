/* Unit tests for dcc_exit: every exit code of ours has one short lowercase name, nothing else has one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "base/dcc_exit.h"

/* Every member of enum dcc_exit; keep in step with dcc_exit.h. */
static const int all_codes[] = {
    DCC_EXIT_OK,
    DCC_EXIT_DISTCC_FAILED,
    DCC_EXIT_BAD_ARGUMENTS,
    DCC_EXIT_BIND_FAILED,
    DCC_EXIT_CONNECT_FAILED,
    DCC_EXIT_COMPILER_CRASHED,
    DCC_EXIT_OUT_OF_MEMORY,
    DCC_EXIT_BAD_HOSTSPEC,
    DCC_EXIT_IO_ERROR,
    DCC_EXIT_TRUNCATED,
    DCC_EXIT_PROTOCOL_ERROR,
    DCC_EXIT_COMPILER_MISSING,
    DCC_EXIT_RECURSION,
    DCC_EXIT_SETUID_FAILED,
    DCC_EXIT_ACCESS_DENIED,
    DCC_EXIT_BUSY,
    DCC_EXIT_NO_SUCH_FILE,
    DCC_EXIT_NO_HOSTS,
    DCC_EXIT_GONE,
    DCC_EXIT_TIMEOUT,
    DCC_EXIT_GSSAPI_FAILED,
    DCC_EXIT_LOCAL_CPP,
};
#define N_CODES (sizeof all_codes / sizeof all_codes[0])

static int is_ours(int code)
{
    for (size_t i = 0; i < N_CODES; i++)
        if (all_codes[i] == code)
            return 1;
    return 0;
}

/* The numbers are distcc's and scripts compare against them. */
static void test_codes_keep_distccs_numbers(void **state)
{
    (void)state;
    assert_int_equal(DCC_EXIT_OK, 0);
    assert_int_equal(DCC_EXIT_DISTCC_FAILED, 100);
    assert_int_equal(DCC_EXIT_COMPILER_MISSING, 110);
    assert_int_equal(DCC_EXIT_LOCAL_CPP, 120);
    /* 100..120 without a gap, so the table above is the whole enum. */
    assert_int_equal(N_CODES, 1 + 21);
    for (int code = 100; code <= 120; code++)
        assert_true(is_ours(code));
}

static void test_every_code_has_a_short_lowercase_name(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        const char *name = dcc_exit_name(all_codes[i]);
        if (!name)
            fail_msg("exit code %d has no name", all_codes[i]);
        size_t len = strlen(name);
        if (len == 0 || len > 32)
            fail_msg("exit code %d: name \"%s\" is empty or long", all_codes[i], name);
        if (name[0] == ' ' || name[len - 1] == ' ')
            fail_msg("exit code %d: name \"%s\" has spaces at an end", all_codes[i], name);
        for (size_t k = 0; k < len; k++)
            if (isupper((unsigned char)name[k]) || !isprint((unsigned char)name[k]))
                fail_msg("exit code %d: name \"%s\" is not lowercase printable text", all_codes[i],
                         name);
    }
}

static void test_names_are_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        const char *a = dcc_exit_name(all_codes[i]);
        assert_non_null(a);
        for (size_t j = i + 1; j < N_CODES; j++) {
            const char *b = dcc_exit_name(all_codes[j]);
            assert_non_null(b);
            if (strcmp(a, b) == 0)
                fail_msg("exit codes %d and %d are both called \"%s\"", all_codes[i], all_codes[j],
                         a);
        }
    }
}

/* Logs and job summaries show these words. */
static void test_names_seen_in_logs(void **state)
{
    (void)state;
    assert_string_equal(dcc_exit_name(0), "ok");
    assert_string_equal(dcc_exit_name(DCC_EXIT_TIMEOUT), "timeout");
    assert_string_equal(dcc_exit_name(110), "compiler missing");
    assert_string_equal(dcc_exit_name(DCC_EXIT_BUSY), "busy");
}

static void test_other_codes_have_no_name(void **state)
{
    (void)state;
    assert_null(dcc_exit_name(99));
    assert_null(dcc_exit_name(121));
    assert_null(dcc_exit_name(-1));
    assert_null(dcc_exit_name(255));
    assert_null(dcc_exit_name(1)); /* a compiler's plain failure is not ours */
    assert_null(dcc_exit_name(128 + 15));
    assert_null(dcc_exit_name(INT_MIN));
    assert_null(dcc_exit_name(INT_MAX));
    int named = 0;
    for (int code = -1000; code <= 1000; code++) {
        const char *name = dcc_exit_name(code);
        if (name && !is_ours(code))
            fail_msg("code %d is not ours but is called \"%s\"", code, name);
        named += name != NULL;
    }
    assert_int_equal(named, (int)N_CODES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_keep_distccs_numbers),
        cmocka_unit_test(test_every_code_has_a_short_lowercase_name),
        cmocka_unit_test(test_names_are_distinct),
        cmocka_unit_test(test_names_seen_in_logs),
        cmocka_unit_test(test_other_codes_have_no_name),
    };
    return cmocka_run_group_tests_name("exit", tests, NULL, NULL);
}
