/* Unit tests for dcc_envd: editing env.d files without losing lines, distcc's variables, atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admin/dcc_envd.h"
#include "test_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse_text(const char *text, struct dcc_envd *env)
{
    char err[256] = "";
    assert_int_equal(dcc_envd_parse(text, strlen(text), env, err, sizeof err), 0);
}

static char *render(const struct dcc_envd *env)
{
    struct dcc_buf b = {0};
    assert_int_equal(dcc_envd_render(env, &b), 0);
    return b.data;
}

static void test_render_gives_back_the_file(void **state)
{
    (void)state;
    const char *text = "# comment\n\nDISTCC_VERBOSE=\"0\"\nOTHER=x # note\n  odd line\n";
    struct dcc_envd env;
    parse_text(text, &env);
    assert_int_equal(env.n, 5);
    char *out = render(&env);
    assert_string_equal(out, text);
    free(out);
    dcc_envd_free(&env);
}

static void test_quoting_forms_and_last_assignment_wins(void **state)
{
    (void)state;
    struct dcc_envd env;
    parse_text("A=\"double value\"\nB='single $x'\nC=bare # c\nexport D=\"e\"\nA=\"second\"\n"
               "E=\"esc \\\" q\"\nF=\n",
               &env);
    assert_string_equal(dcc_envd_get(&env, "A"), "second");
    assert_string_equal(dcc_envd_get(&env, "B"), "single $x");
    assert_string_equal(dcc_envd_get(&env, "C"), "bare");
    assert_string_equal(dcc_envd_get(&env, "D"), "e");
    assert_string_equal(dcc_envd_get(&env, "E"), "esc \" q");
    assert_string_equal(dcc_envd_get(&env, "F"), "");
    assert_null(dcc_envd_get(&env, "G"));
    dcc_envd_free(&env);
}

static void test_malformed_lines_are_kept_not_read(void **state)
{
    (void)state;
    const char *text = "A=\"open quote\nB=1 trailing words\n=x\n9X=1\nC=\"ok\"\n";
    struct dcc_envd env;
    parse_text(text, &env);
    assert_null(dcc_envd_get(&env, "A"));
    assert_null(dcc_envd_get(&env, "B"));
    assert_string_equal(dcc_envd_get(&env, "C"), "ok");
    char *out = render(&env);
    assert_string_equal(out, text);
    free(out);
    dcc_envd_free(&env);
}

static void test_set_rewrites_in_place_keeping_comment(void **state)
{
    (void)state;
    struct dcc_envd env;
    parse_text("# top\n  export DISTCC_VERBOSE='0'   # loud?\nDISTCC_FALLBACK=\"1\"\n", &env);
    enum dcc_envd_change change;
    char err[256];
    assert_int_equal(dcc_envd_set(&env, "DISTCC_VERBOSE", "1", &change, err, sizeof err), 0);
    assert_int_equal(change, DCC_ENVD_REPLACED);
    char *out = render(&env);
    assert_string_equal(out,
                        "# top\n  export DISTCC_VERBOSE=\"1\"   # loud?\nDISTCC_FALLBACK=\"1\"\n");
    free(out);
    assert_string_equal(dcc_envd_get(&env, "DISTCC_VERBOSE"), "1");
    dcc_envd_free(&env);
}

static void test_set_adds_missing_variable(void **state)
{
    (void)state;
    struct dcc_envd env;
    parse_text("# only a comment, no newline at the end", &env);
    enum dcc_envd_change change;
    char err[256];
    assert_int_equal(
        dcc_envd_set(&env, "DISTCC_LOG", "/var/log/distcc.log", &change, err, sizeof err), 0);
    assert_int_equal(change, DCC_ENVD_ADDED);
    char *out = render(&env);
    assert_string_equal(
        out, "# only a comment, no newline at the end\nDISTCC_LOG=\"/var/log/distcc.log\"\n");
    free(out);
    dcc_envd_free(&env);
}

static void test_set_same_value_is_unchanged(void **state)
{
    (void)state;
    struct dcc_envd env;
    parse_text("DISTCC_SSH=\"ssh\"\n", &env);
    enum dcc_envd_change change = DCC_ENVD_ADDED;
    char err[256];
    assert_int_equal(dcc_envd_set(&env, "DISTCC_SSH", "ssh", &change, err, sizeof err), 0);
    assert_int_equal(change, DCC_ENVD_UNCHANGED);
    dcc_envd_free(&env);
}

static void test_set_drops_later_duplicates(void **state)
{
    (void)state;
    struct dcc_envd env;
    parse_text("A=\"1\"\n# between\nA=\"2\"\nB=\"b\"\nA=\"3\"\n", &env);
    enum dcc_envd_change change;
    char err[256];
    assert_int_equal(dcc_envd_set(&env, "A", "9", &change, err, sizeof err), 0);
    assert_int_equal(change, DCC_ENVD_REPLACED);
    char *out = render(&env);
    assert_string_equal(out, "A=\"9\"\n# between\nB=\"b\"\n");
    free(out);
    /* Even an equal first value must win over the later ones. */
    dcc_envd_free(&env);
    parse_text("A=\"1\"\nA=\"2\"\n", &env);
    assert_int_equal(dcc_envd_set(&env, "A", "1", &change, err, sizeof err), 0);
    assert_int_equal(change, DCC_ENVD_REPLACED);
    assert_string_equal(dcc_envd_get(&env, "A"), "1");
    assert_int_equal(env.n, 1);
    dcc_envd_free(&env);
}

static void test_unsafe_values_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"a\"b", "a\\b", "$HOME", "`id`", "two\nlines", "tab\there"};
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(dcc_envd_value_ok(bad[i], err, sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
    assert_int_equal(dcc_envd_value_ok("ssh -p 2222 -i /root/.ssh/id", err, sizeof err), 0);
    struct dcc_envd env;
    parse_text("", &env);
    enum dcc_envd_change change;
    assert_int_equal(dcc_envd_set(&env, "X", "$(reboot)", &change, err, sizeof err), -1);
    assert_int_equal(dcc_envd_set(&env, "not-a-name", "1", &change, err, sizeof err), -1);
    assert_int_equal(env.n, 0);
    dcc_envd_free(&env);
}

static void test_variable_table_checks(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(dcc_envd_var_check("DISTCC_VERBOSE", "1", err, sizeof err), 0);
    assert_int_equal(dcc_envd_var_check("DISTCC_VERBOSE", "", err, sizeof err), 0);
    assert_int_equal(dcc_envd_var_check("DISTCC_VERBOSE", "yes", err, sizeof err), -1);
    assert_string_equal(err, "DISTCC_VERBOSE takes 0 or 1, not \"yes\"");
    assert_int_equal(dcc_envd_var_check("DISTCC_IO_TIMEOUT", "600", err, sizeof err), 0);
    assert_int_equal(dcc_envd_var_check("DISTCC_IO_TIMEOUT", "-1", err, sizeof err), -1);
    assert_int_equal(dcc_envd_var_check("DISTCC_LOG", "/var/log/d.log", err, sizeof err), 0);
    assert_int_equal(dcc_envd_var_check("DISTCC_LOG", "d.log", err, sizeof err), -1);
    assert_int_equal(dcc_envd_var_check("DISTCC_SSH", "a\"b", err, sizeof err), -1);
    assert_string_equal(
        err, "DISTCC_SSH: the value may not contain \" (env-update would expand or unquote it)");
    assert_int_equal(dcc_envd_var_check("PATH", "/bin", err, sizeof err), -1);
    assert_string_equal(err,
                        "PATH is not one of distcc's variables (the list is in distcc-config(1))");
    assert_int_equal(dcc_envd_var_check("DISTCC_HOSTS", "box", err, sizeof err), -1);
    assert_non_null(strstr(err, "--set-hosts"));
    assert_int_equal(dcc_envd_var_check("DISTCC_DIR", "/var/tmp/portage/.distcc", err, sizeof err),
                     0);
    assert_int_equal(dcc_envd_var_check("DISTCC_DIR", "~/.distcc", err, sizeof err), -1);
    assert_int_equal(dcc_envd_var_check("UNCACHED_ERR_FD", "2", err, sizeof err), 0);
    assert_int_equal(
        dcc_envd_var_check("DCC_EMAILLOG_WHOM_TO_BLAME", "me@example.org", err, sizeof err), 0);
    assert_non_null(dcc_envd_var_find("DISTCC_EMAILLOG_WHOM_TO_BLAME"));
    assert_null(dcc_envd_var_find("TMPDIR"));
    /* Ranges come from the shared settings table, the one distcc reads by. */
    assert_int_equal(dcc_envd_var_check("DISTCC_IO_TIMEOUT", "0", err, sizeof err), -1);
    assert_string_equal(err, "DISTCC_IO_TIMEOUT takes a whole number from 1 to 86400, not \"0\"");
    assert_int_equal(dcc_envd_var_check("DISTCC_IO_TIMEOUT", "86400", err, sizeof err), 0);
    assert_int_equal(dcc_envd_var_check("DISTCC_BACKOFF_PERIOD", "0", err, sizeof err), 0);
    assert_int_equal(dcc_envd_var_check("DISTCC_SKIP_LOCAL_RETRY", "1", err, sizeof err), 0);
    /* A flag is on when set at all: 0 would turn it on, so it is refused. */
    assert_int_equal(dcc_envd_var_check("DISTCC_SKIP_LOCAL_RETRY", "0", err, sizeof err), -1);
    assert_string_equal(err, "DISTCC_SKIP_LOCAL_RETRY is on whenever it is set, to any value, 0 "
                             "too: set it to 1, or leave it out of the file to have it off; not "
                             "\"0\"");
    assert_int_equal(dcc_envd_var_check("DISTCC_NO_REWRITE_CROSS", "yes", err, sizeof err), -1);
    assert_int_equal(dcc_envd_var_check("DISTCC_VERBOSE", "0", err, sizeof err), 0);
    /* The client reads DISTCC_PRINCIPAL, but env.d is not where it is set. */
    assert_null(dcc_envd_var_find("DISTCC_PRINCIPAL"));
}

/* env.d's own notes name only variables of the shared table, and every
 * variable distcc-config accepts is one distcc's programs know. */
static void test_notes_follow_the_settings_table(void **state)
{
    (void)state;
    for (const struct dcc_envd_note *n = dcc_envd_notes; n->name; n++) {
        const struct dcc_setting *e = dcc_setting_find(n->name);
        assert_non_null(e);
        assert_true((n->refused != NULL) != ((e->readers & DCC_READ_ENVD) != 0));
        assert_ptr_equal(dcc_envd_var_find(n->name), e);
    }
    size_t settable = 0;
    for (const struct dcc_setting *e = dcc_settings_table; e->name; e++)
        if (e->readers & DCC_READ_ENVD) {
            assert_ptr_equal(dcc_envd_var_find(e->name), e);
            settable++;
        }
    assert_int_equal(settable, 24);
}

static void test_nul_and_size_are_refused(void **state)
{
    (void)state;
    struct dcc_envd env;
    char err[256];
    assert_int_equal(dcc_envd_parse("A=1\0B=2\n", 8, &env, err, sizeof err), -1);
    assert_non_null(strstr(err, "NUL"));
    assert_int_equal(dcc_envd_parse("x", DCC_ENVD_MAX_SIZE + 1, &env, err, sizeof err), -1);
}

/* A fresh temporary directory per test, removed afterwards. */
struct tmpdir {
    char path[PATH_MAX];
};

static int tmp_setup(void **state)
{
    struct tmpdir *t = malloc(sizeof *t);
    if (!t)
        return -1;
    if (dcc_test_tmpdir(t->path, sizeof t->path, "/tmp/test_envd.XXXXXX") != 0) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmpdir *t = *state;
    int rc = dcc_test_rmtree(t->path);
    free(t);
    return rc;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_write_file_is_atomic_and_0644(void **state)
{
    struct tmpdir *t = *state;
    char path[PATH_MAX + 16], err[256];
    snprintf(path, sizeof path, "%s/02distcc", t->path);
    mode_t old = umask(077);
    assert_int_equal(dcc_envd_write_file(path, "A=\"1\"\n", 6, 0644, err, sizeof err), 0);
    /* A reader that opened the old file (env-update, a client reading the
     * hosts) keeps reading the old, whole file: the new one is another
     * inode renamed over it, not the old one truncated and rewritten. */
    int reader = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(reader >= 0);
    struct stat before;
    assert_int_equal(fstat(reader, &before), 0);
    assert_int_equal(dcc_envd_write_file(path, "B=\"2\"\n", 6, 0644, err, sizeof err), 0);
    umask(old);
    char seen[16] = "";
    assert_int_equal(pread(reader, seen, sizeof seen - 1, 0), 6);
    assert_string_equal(seen, "A=\"1\"\n");
    close(reader);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_ino != before.st_ino);
    assert_int_equal(st.st_mode & 07777, 0644);
    struct dcc_envd env;
    assert_int_equal(dcc_envd_load(path, &env, err, sizeof err), 0);
    assert_null(dcc_envd_get(&env, "A"));
    assert_string_equal(dcc_envd_get(&env, "B"), "2");
    dcc_envd_free(&env);
    assert_int_equal(count_entries(t->path), 1); /* no temporary file left */
}

static void test_write_failure_leaves_nothing(void **state)
{
    struct tmpdir *t = *state;
    char file[PATH_MAX + 16], path[PATH_MAX + 32], err[256] = "";
    snprintf(file, sizeof file, "%s/plain", t->path);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/hosts", file); /* its "directory" is a file */
    assert_int_equal(dcc_envd_write_file(path, "x\n", 2, 0644, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_int_equal(count_entries(t->path), 1);
}

static void test_load_missing_sets_enoent(void **state)
{
    struct tmpdir *t = *state;
    char path[PATH_MAX + 16], err[256];
    snprintf(path, sizeof path, "%s/none", t->path);
    struct dcc_envd env;
    errno = 0;
    assert_int_equal(dcc_envd_load(path, &env, err, sizeof err), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_save_round_trip(void **state)
{
    struct tmpdir *t = *state;
    char path[PATH_MAX + 16], err[256];
    snprintf(path, sizeof path, "%s/02distcc", t->path);
    struct dcc_envd env;
    parse_text("# keep me\nDISTCC_VERBOSE=\"0\"\n", &env);
    enum dcc_envd_change change;
    assert_int_equal(dcc_envd_set(&env, "DISTCC_SSH", "ssh -p 2", &change, err, sizeof err), 0);
    assert_int_equal(dcc_envd_save(path, &env, err, sizeof err), 0);
    dcc_envd_free(&env);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, "# keep me\nDISTCC_VERBOSE=\"0\"\nDISTCC_SSH=\"ssh -p 2\"\n");
}

static void test_mkdirs(void **state)
{
    struct tmpdir *t = *state;
    char path[PATH_MAX + 32], err[256];
    int created = -1;
    snprintf(path, sizeof path, "%s/a/b/c/", t->path);
    mode_t old = umask(077);
    assert_int_equal(dcc_envd_mkdirs(path, 0755, &created, err, sizeof err), 0);
    umask(old);
    assert_int_equal(created, 1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(dcc_envd_mkdirs(path, 0755, &created, err, sizeof err), 0);
    assert_int_equal(created, 0);

    char file[PATH_MAX + 32];
    snprintf(file, sizeof file, "%s/f", t->path);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/f/sub", t->path);
    assert_int_equal(dcc_envd_mkdirs(path, 0755, &created, err, sizeof err), -1);
    assert_non_null(strstr(err, "in the way"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_gives_back_the_file),
        cmocka_unit_test(test_quoting_forms_and_last_assignment_wins),
        cmocka_unit_test(test_malformed_lines_are_kept_not_read),
        cmocka_unit_test(test_set_rewrites_in_place_keeping_comment),
        cmocka_unit_test(test_set_adds_missing_variable),
        cmocka_unit_test(test_set_same_value_is_unchanged),
        cmocka_unit_test(test_set_drops_later_duplicates),
        cmocka_unit_test(test_unsafe_values_are_refused),
        cmocka_unit_test(test_variable_table_checks),
        cmocka_unit_test(test_nul_and_size_are_refused),
        cmocka_unit_test_setup_teardown(test_write_file_is_atomic_and_0644, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_write_failure_leaves_nothing, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_missing_sets_enoent, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_save_round_trip, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_notes_follow_the_settings_table),
    };
    return cmocka_run_group_tests_name("dcc_envd", tests, NULL, NULL);
}
