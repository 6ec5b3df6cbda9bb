/* Unit tests for dcc_log: levels, file destination, one line per message, hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dcc_log.h"
#include "base/dcc_util.h"

static void test_levels(void **state)
{
    (void)state;
    enum dcc_log_level l;
    assert_int_equal(dcc_log_level_parse("critical", &l), 0);
    assert_int_equal(l, DCC_LOG_CRITICAL);
    assert_int_equal(dcc_log_level_parse("WARN", &l), 0);
    assert_int_equal(l, DCC_LOG_WARNING);
    assert_int_equal(dcc_log_level_parse("debug", &l), 0);
    assert_int_equal(l, DCC_LOG_DEBUG);
    assert_int_equal(dcc_log_level_parse("loud", &l), -1);
    assert_string_equal(dcc_log_level_name(DCC_LOG_NOTICE), "notice");
}

static void test_file_and_filtering(void **state)
{
    (void)state;
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char err[256];
    dcc_log_set_program("distccd");
    assert_int_equal(dcc_log_to_file(path, err, sizeof err), 0);
    dcc_log_set_level(DCC_LOG_NOTICE);
    dcc_notice("first\nsecond");
    dcc_info("hidden");
    dcc_error("third %d", 3);
    dcc_log_to_stderr();
    FILE *f = fopen(path, "r");
    char line[512];
    char want[128];
    assert_non_null(fgets(line, sizeof line, f));
    snprintf(want, sizeof want, " distccd[%ld] notice: first second\n", (long)getpid());
    assert_non_null(strstr(line, want));
    assert_int_equal(line[4], '-'); /* starts with a date */
    assert_non_null(fgets(line, sizeof line, f));
    snprintf(want, sizeof want, " distccd[%ld] error: third 3\n", (long)getpid());
    assert_non_null(strstr(line, want));
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(path);
}

static void test_unwritable_file(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(dcc_log_to_file("/nonexistent/dir/log", err, sizeof err), -1);
    assert_string_equal(err, "failed to open /nonexistent/dir/log: No such file or directory");
    assert_int_equal(errno, ENOENT); /* the client words its own line from errno */
}

static void collect(enum dcc_log_level level, const char *line, void *ctx)
{
    (void)level;
    dcc_buf_appends(ctx, line);
}

static void test_hook_sees_warnings(void **state)
{
    (void)state;
    struct dcc_buf b = {0};
    dcc_log_set_level(DCC_LOG_CRITICAL); /* nothing to stderr */
    dcc_log_set_hook(collect, DCC_LOG_WARNING, &b);
    dcc_warn("disk nearly full");
    dcc_notice("not collected");
    dcc_log_set_hook(NULL, DCC_LOG_WARNING, NULL);
    dcc_warn("after removal");
    char want[128];
    snprintf(want, sizeof want, "distccd[%ld] warning: disk nearly full\n", (long)getpid());
    assert_string_equal(b.data, want);
    dcc_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_file_and_filtering),
        cmocka_unit_test(test_unwritable_file),
        cmocka_unit_test(test_hook_sees_warnings),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
