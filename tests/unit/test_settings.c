/* Unit tests for dcc_settings: the table of distcc's environment variables and reading it once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto/dcc_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void unset_all(void)
{
    for (const struct dcc_setting *e = dcc_settings_table; e->name; e++)
        unsetenv(e->name);
}

static int setup(void **state)
{
    (void)state;
    unset_all();
    return 0;
}

static void test_table_is_indexed_by_id_and_names_are_unique(void **state)
{
    (void)state;
    size_t n = 0;
    for (const struct dcc_setting *e = dcc_settings_table; e->name; e++, n++) {
        assert_int_equal(e->id, n);
        assert_ptr_equal(dcc_setting_find(e->name), e);
        assert_non_null(e->help);
        assert_true(e->help[0] != '\0');
        for (const struct dcc_setting *f = e + 1; f->name; f++)
            assert_string_not_equal(e->name, f->name);
    }
    assert_int_equal(n, DCC_SET_COUNT);
    assert_null(dcc_setting_find("PATH"));
    assert_null(dcc_setting_find(NULL));
}

/* A number's written default is the value it stands for, inside its range. */
static void test_defaults_agree_with_their_values(void **state)
{
    (void)state;
    for (const struct dcc_setting *e = dcc_settings_table; e->name; e++) {
        if (e->kind == DCC_SETTING_STRING || e->kind == DCC_SETTING_PATH ||
            e->kind == DCC_SETTING_HOSTS || e->kind == DCC_SETTING_FLAG || !e->def)
            continue;
        char want[32];
        snprintf(want, sizeof want, "%ld", e->def_num);
        assert_string_equal(e->def, want);
        assert_true(e->def_num >= e->min && e->def_num <= e->max);
    }
    assert_string_equal(dcc_settings_table[DCC_SET_IO_TIMEOUT].def, "300");
    assert_string_equal(dcc_settings_table[DCC_SET_BACKOFF_PERIOD].def, "60");
}

static void test_unset_means_defaults(void **state)
{
    (void)state;
    struct dcc_settings s;
    char err[256] = "";
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_IO_TIMEOUT], 300);
    assert_int_equal(s.num[DCC_SET_BACKOFF_PERIOD], 60);
    assert_int_equal(s.num[DCC_SET_PAUSE_TIME_MSEC], 1000);
    assert_int_equal(s.num[DCC_SET_FALLBACK], 1);
    assert_int_equal(s.num[DCC_SET_TCP_CORK], 1);
    assert_int_equal(s.num[DCC_SET_VERBOSE], 0);
    assert_int_equal(s.num[DCC_SET_MAX_DISCREPANCY], 1);
    assert_int_equal(s.num[DCC_SET_SKIP_LOCAL_RETRY], 0);
    assert_null(s.str[DCC_SET_HOSTS]);
    assert_string_equal(dcc_settings_str(&s, DCC_SET_TMPDIR), "/tmp");
    assert_string_equal(dcc_settings_str(&s, DCC_SET_SSH), "ssh");
    assert_null(dcc_settings_str(&s, DCC_SET_LOG));
}

static void test_values_are_read(void **state)
{
    (void)state;
    struct dcc_settings s;
    char err[256] = "";
    setenv("DISTCC_IO_TIMEOUT", "20", 1);
    setenv("DISTCC_BACKOFF_PERIOD", "0", 1);
    setenv("DISTCC_FALLBACK", "0", 1);
    setenv("DISTCC_VERBOSE", "1", 1);
    setenv("DISTCC_HOSTS", "", 1); /* set but empty still counts as set */
    setenv("TMPDIR", "/var/tmp", 1);
    setenv("DISTCC_SSH", "ssh -p 2222", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_IO_TIMEOUT], 20);
    assert_int_equal(s.num[DCC_SET_BACKOFF_PERIOD], 0);
    assert_int_equal(s.num[DCC_SET_FALLBACK], 0);
    assert_int_equal(s.num[DCC_SET_VERBOSE], 1);
    assert_string_equal(s.str[DCC_SET_HOSTS], "");
    assert_string_equal(dcc_settings_str(&s, DCC_SET_TMPDIR), "/var/tmp");
    assert_string_equal(s.str[DCC_SET_SSH], "ssh -p 2222");
}

/* As stock: only "1" and "0" are booleans; anything else keeps the default. */
static void test_booleans_take_only_0_and_1(void **state)
{
    (void)state;
    struct dcc_settings s;
    char err[256] = "";
    setenv("DISTCC_FALLBACK", "no", 1);
    setenv("DISTCC_VERBOSE", "yes", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_FALLBACK], 1);
    assert_int_equal(s.num[DCC_SET_VERBOSE], 0);
}

/* DISTCC_SKIP_LOCAL_RETRY and DISTCC_NO_REWRITE_CROSS count when set at all. */
static void test_flags_are_on_when_set_whatever_the_value(void **state)
{
    (void)state;
    struct dcc_settings s;
    char err[256] = "";
    setenv("DISTCC_SKIP_LOCAL_RETRY", "0", 1);
    setenv("DISTCC_NO_REWRITE_CROSS", "", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_SKIP_LOCAL_RETRY], 1);
    assert_int_equal(s.num[DCC_SET_NO_REWRITE_CROSS], 1);
}

/* A typo in the lock settings must not mean "no backoff" or a busy loop. */
static void test_a_bad_lenient_number_keeps_its_default(void **state)
{
    (void)state;
    struct dcc_settings s;
    char err[256] = "";
    setenv("DISTCC_PAUSE_TIME_MSEC", "1s", 1);
    setenv("DISTCC_BACKOFF_PERIOD", "-5", 1);
    setenv("DISTCC_MAX_DISCREPANCY", " 3", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_PAUSE_TIME_MSEC], 1000);
    assert_int_equal(s.num[DCC_SET_BACKOFF_PERIOD], 60);
    assert_int_equal(s.num[DCC_SET_MAX_DISCREPANCY], 1);
    setenv("DISTCC_BACKOFF_PERIOD", "99999999999999999999", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_BACKOFF_PERIOD], 60);
}

/* Our own variables: a bad value keeps the default and is warned of (the
 * first one), and is no error. */
static void test_a_bad_own_number_is_warned_of(void **state)
{
    (void)state;
    struct dcc_settings s;
    char err[256] = "";
    setenv("DISTCC_HELPER_LOAD_TTL", "1s", 1);
    setenv("DISTCC_ZSTD_LEVEL", "99", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_HELPER_LOAD_TTL], 1000);
    assert_int_equal(s.num[DCC_SET_ZSTD_LEVEL], 1);
    assert_string_equal(
        s.warning, "DISTCC_ZSTD_LEVEL must be a whole number from 1 to 19, not \"99\": using 1");
    unsetenv("DISTCC_ZSTD_LEVEL");
    setenv("DISTCC_HELPER_TTL", "-1", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_HELPER_TTL], 600);
    assert_string_equal(
        s.warning, "DISTCC_HELPER_TTL must be a positive number of seconds, not \"-1\": using 600");
    unsetenv("DISTCC_HELPER_TTL");
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_string_equal(
        s.warning,
        "DISTCC_HELPER_LOAD_TTL must be a whole number from 0 to 60000, not \"1s\": using 1000");
    setenv("DISTCC_HELPER_LOAD_TTL", "0", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_string_equal(s.warning, "");
    /* Stock's own stay silent. */
    setenv("DISTCC_PAUSE_TIME_MSEC", "1s", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_string_equal(s.warning, "");
}

static void test_a_bad_io_timeout_is_named(void **state)
{
    (void)state;
    struct dcc_settings s;
    char err[256] = "";
    setenv("DISTCC_IO_TIMEOUT", "x", 1);
    setenv("DISTCC_VERBOSE", "1", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), -1);
    assert_string_equal(err, "DISTCC_IO_TIMEOUT must be a positive number of seconds, not \"x\"");
    /* The rest is read all the same. */
    assert_int_equal(s.num[DCC_SET_IO_TIMEOUT], 300);
    assert_int_equal(s.num[DCC_SET_VERBOSE], 1);
    setenv("DISTCC_IO_TIMEOUT", "0", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), -1);
    assert_string_equal(err, "DISTCC_IO_TIMEOUT must be a positive number of seconds, not \"0\"");
    setenv("DISTCC_IO_TIMEOUT", "-3", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), -1);
    assert_string_equal(err, "DISTCC_IO_TIMEOUT must be a positive number of seconds, not \"-3\"");
    setenv("DISTCC_IO_TIMEOUT", "86401", 1);
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), -1);
    assert_string_equal(err, "DISTCC_IO_TIMEOUT must be at most 86400 seconds, not \"86401\"");
    setenv("DISTCC_IO_TIMEOUT", "", 1); /* empty: the default */
    assert_int_equal(dcc_settings_load(&s, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_IO_TIMEOUT], 300);
}

/* What distccd reads: its own variables only, a bad one named. */
static void test_daemon_reads_its_own(void **state)
{
    (void)state;
    struct dcc_settings s;
    char err[256] = "";
    setenv("DISTCC_IO_TIMEOUT", "86400", 1);
    setenv("DISTCC_BACKOFF_PERIOD", "7", 1);
    setenv("DISTCCD_PATH", "/opt/cc/bin", 1);
    assert_int_equal(dcc_settings_load_for(&s, DCC_READ_DAEMON, err, sizeof err), 0);
    assert_int_equal(s.num[DCC_SET_IO_TIMEOUT], 86400);
    assert_int_equal(s.num[DCC_SET_BACKOFF_PERIOD], 60); /* the client's: not read */
    assert_string_equal(s.str[DCC_SET_DAEMON_PATH], "/opt/cc/bin");
    assert_null(s.str[DCC_SET_DAEMON_PRINCIPAL]);
    setenv("DISTCC_IO_TIMEOUT", "5s", 1);
    assert_int_equal(dcc_settings_load_for(&s, DCC_READ_DAEMON, err, sizeof err), -1);
    assert_string_equal(err, "DISTCC_IO_TIMEOUT must be a positive number of seconds, not \"5s\"");
    unsetenv("DISTCC_IO_TIMEOUT");
    unsetenv("DISTCC_BACKOFF_PERIOD");
    unsetenv("DISTCCD_PATH");
}

static void test_readers(void **state)
{
    (void)state;
    assert_true(dcc_settings_table[DCC_SET_IO_TIMEOUT].readers & DCC_READ_DAEMON);
    assert_true(dcc_settings_table[DCC_SET_DIR].readers & DCC_READ_MONITOR);
    assert_true(dcc_settings_table[DCC_SET_INCLUDE_SERVER_DIR].readers & DCC_READ_PUMP);
    assert_false(dcc_settings_table[DCC_SET_HOSTS].readers & DCC_READ_ENVD);
    assert_int_equal(dcc_settings_table[DCC_SET_ENABLE_DISCREPANCY_EMAIL].readers, DCC_READ_ENVD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_indexed_by_id_and_names_are_unique),
        cmocka_unit_test(test_defaults_agree_with_their_values),
        cmocka_unit_test_setup(test_unset_means_defaults, setup),
        cmocka_unit_test_setup(test_values_are_read, setup),
        cmocka_unit_test_setup(test_booleans_take_only_0_and_1, setup),
        cmocka_unit_test_setup(test_flags_are_on_when_set_whatever_the_value, setup),
        cmocka_unit_test_setup(test_a_bad_lenient_number_keeps_its_default, setup),
        cmocka_unit_test_setup(test_a_bad_own_number_is_warned_of, setup),
        cmocka_unit_test_setup(test_a_bad_io_timeout_is_named, setup),
        cmocka_unit_test_setup(test_daemon_reads_its_own, setup),
        cmocka_unit_test(test_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
