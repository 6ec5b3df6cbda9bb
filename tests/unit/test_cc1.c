/* Unit tests for dcc_cc1: gcc -###'s cc1 line read, the argument shapes that may skip the driver, the line kept and reused, system header names checked against gcc's canonical ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dcc_util.h"
#include "client/dcc_cc1.h"
#include "test_helpers.h"

/* What gcc 12 -### prints for gcc -DX -D'Q="a b"' -E t.c -o out.i. */
static const char hhh[] =
    "Using built-in specs.\n"
    "COLLECT_GCC=gcc\n"
    "Target: x86_64-linux-gnu\n"
    "gcc version 12.2.0 (Debian 12.2.0-14)\n"
    "COLLECT_GCC_OPTIONS='-D' 'X' '-D' 'Q=\"a b\"' '-E' '-o' 'out.i'\n"
    " /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -E -quiet -D X -D \"Q=\\\"a b\\\"\" t.c -o out.i"
    " \"-mtune=generic\" \"-march=x86-64\" -dumpbase out.c -dumpbase-ext .c\n"
    "COMPILER_PATH=/usr/lib/gcc/x86_64-linux-gnu/12/\n";

static int count_args(char **argv)
{
    int n = 0;
    while (argv && argv[n])
        n++;
    return n;
}

static void test_parse_reads_the_one_cc1_line_unquoted(void **state)
{
    (void)state;
    char **argv = dcc_cc1_parse(hhh);
    assert_non_null(argv);
    assert_int_equal(count_args(argv), 16);
    assert_string_equal(argv[0], "/usr/lib/gcc/x86_64-linux-gnu/12/cc1");
    assert_string_equal(argv[5], "-D");
    assert_string_equal(argv[6], "Q=\"a b\"");
    assert_string_equal(argv[7], "t.c");
    assert_string_equal(argv[10], "-mtune=generic");
    assert_string_equal(argv[13], "out.c");
    dcc_argv_free(argv);
}

static void test_parse_refuses_what_is_not_one_cc1_E(void **state)
{
    (void)state;
    /* two commands (cc1, then as), another program, no -E, a bad quote */
    assert_null(dcc_cc1_parse(" /x/cc1 -E t.c -o t.i\n /usr/bin/as -o t.o t.s\n"));
    assert_null(dcc_cc1_parse(" /usr/bin/clang-14 -cc1 -E t.c -o t.i\n"));
    assert_null(dcc_cc1_parse(" /x/cc1 -quiet t.c -o t.s\n"));
    assert_null(dcc_cc1_parse(" /x/cc1 -E \"t.c -o t.i\n"));
    assert_null(dcc_cc1_parse("Using built-in specs.\n"));
    assert_null(dcc_cc1_parse(" cc1 -E t.c -o t.i\n")); /* no path of its own */
    char **argv = dcc_cc1_parse(" /x/cc1plus -E t.cc -o t.ii\n");
    assert_non_null(argv);
    dcc_argv_free(argv);
}

static void test_shape_passes_plain_flags_only(void **state)
{
    (void)state;
    char **deps = words("gcc -O2 -MT t.o -MD -MP -MF .deps/t.Tpo -E t.c -o /tmp/d_1.i");
    assert_int_equal(dcc_cc1_shape_ok(deps, "t.c", "/tmp/d_1.i"), 1);
    dcc_argv_free(deps);
    char **ok = words(
        "gcc -O2 -g -Wall -DX=1 -I inc -Iinc2 -include cfg.h -std=gnu11 -fPIC -march=x86-64 -E t.c -o /tmp/d_1.i");
    assert_int_equal(dcc_cc1_shape_ok(ok, "t.c", "/tmp/d_1.i"), 1);
    dcc_argv_free(ok);
    static const char *const refused[] = {
        "gcc -O2 -MD -MFt.d -E t.c -o /tmp/d_1.i",          /* its name inside the option */
        "gcc -O2 -MD -MF t.d -MT t.d -E t.c -o /tmp/d_1.i", /* two values alike */
        "gcc -O2 -MG -MD -E t.c -o /tmp/d_1.i",             /* missing headers as dependencies */
        "gcc -Wp,-MD,t.d -E t.c -o /tmp/d_1.i",             /* the same through -Wp */
        "gcc -x c -E t.c -o /tmp/d_1.i",                    /* a language the driver picks */
        "gcc -save-temps -E t.c -o /tmp/d_1.i",             /* files named after the input */
        "gcc -march=native -E t.c -o /tmp/d_1.i",           /* the driver asks the CPU */
        "gcc -specs=x.specs -E t.c -o /tmp/d_1.i",          /* unknown to the list */
        "gcc -E t.c t.c -o /tmp/d_1.i",                     /* the input twice */
        "gcc -E t.c",                                       /* no output */
        NULL};
    for (int i = 0; refused[i]; i++) {
        char **argv = words(refused[i]);
        if (dcc_cc1_shape_ok(argv, "t.c", "/tmp/d_1.i") != 0)
            fail_msg("passed: %s", refused[i]);
        dcc_argv_free(argv);
    }
}

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int has_arg(char **argv, const char *a)
{
    for (int i = 0; argv && argv[i]; i++)
        if (strcmp(argv[i], a) == 0)
            return 1;
    return 0;
}

/* A job of the automake shape for unit NAME: its own dependency file
 * and target in cc1's line, none of unit OTHER's. */
static void deps_job(const char *dir, const char *name, const char *out, const char *other)
{
    char line[PATH_MAX + 128], input[32], mf[32], target[32];
    snprintf(input, sizeof input, "%s.c", name);
    snprintf(mf, sizeof mf, ".deps/%s.Tpo", name);
    snprintf(target, sizeof target, "%s.o", name);
    snprintf(line, sizeof line, "/usr/bin/gcc -O2 -MT %s -MD -MP -MF %s -E %s -o %s", target, mf,
             input, out);
    char **cpp = words(line);
    char **argv = dcc_cc1_argv(cpp, input, out, dir);
    assert_non_null(argv);
    assert_true(has_arg(argv, mf));
    assert_true(has_arg(argv, target));
    if (other) {
        snprintf(mf, sizeof mf, ".deps/%s.Tpo", other);
        snprintf(target, sizeof target, "%s.o", other);
        assert_false(has_arg(argv, mf));
        assert_false(has_arg(argv, target));
    }
    dcc_argv_free(argv);
    dcc_argv_free(cpp);
}

/* With the real gcc: learned once, kept, reused for another output name,
 * and nothing kept for a shape the driver must see. */
static void test_argv_learned_from_gcc_kept_and_reused(void **state)
{
    (void)state;
    if (access("/usr/bin/gcc", X_OK) != 0)
        skip();
    char dir[64];
    assert_int_equal(dcc_test_tmpdir(dir, sizeof dir, "/tmp/cc1.XXXXXX"), 0);
    char first[PATH_MAX], second[PATH_MAX];
    snprintf(first, sizeof first, "%s/distcc_aaaaaa.i", dir);
    snprintf(second, sizeof second, "%s/distcc_bbbbbb.i", dir);
    char line[PATH_MAX + 64];
    snprintf(line, sizeof line, "/usr/bin/gcc -O2 -DX=1 -E t.c -o %s", first);
    char **cpp = words(line);
    char **argv = dcc_cc1_argv(cpp, "t.c", first, dir);
    assert_non_null(argv);
    assert_string_equal(strrchr(argv[0], '/'), "/cc1");
    assert_true(has_arg(argv, "t.c"));
    assert_true(has_arg(argv, first));
    assert_true(has_arg(argv, "distcc_aaaaaa.c")); /* -dumpbase */
    assert_int_equal(files_in(dir), 1);
    dcc_argv_free(argv);
    dcc_argv_free(cpp);

    /* Another job of the shape: from the file, its own names in. */
    snprintf(line, sizeof line, "/usr/bin/gcc -O2 -DX=1 -E u.c -o %s", second);
    cpp = words(line);
    argv = dcc_cc1_argv(cpp, "u.c", second, dir);
    assert_non_null(argv);
    assert_true(has_arg(argv, "u.c"));
    assert_true(has_arg(argv, second));
    assert_true(has_arg(argv, "distcc_bbbbbb.c"));
    assert_false(has_arg(argv, "t.c"));
    assert_false(has_arg(argv, first));
    assert_int_equal(files_in(dir), 1);
    dcc_argv_free(argv);
    dcc_argv_free(cpp);

    /* A kept line others may have written is not trusted: learned again. */
    DIR *d = opendir(dir);
    struct dirent *e;
    char kept[PATH_MAX] = "";
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            snprintf(kept, sizeof kept, "%s/%s", dir, e->d_name);
    closedir(d);
    struct stat st;
    assert_int_equal(stat(kept, &st), 0);
    assert_int_equal(st.st_mode & 022, 0);
    FILE *f = fopen(kept, "w");
    assert_non_null(f);
    fputs("{\"argv\":[\"/bin/echo\",\"-E\",\"\\u0001in\",\"\\u0001out\"]}", f);
    fclose(f);
    assert_int_equal(chmod(kept, 0666), 0);
    cpp = words(line);
    argv = dcc_cc1_argv(cpp, "u.c", second, dir);
    assert_non_null(argv);
    assert_string_equal(strrchr(argv[0], '/'), "/cc1");
    assert_int_equal(stat(kept, &st), 0);
    assert_int_equal(st.st_mode & 022, 0);
    dcc_argv_free(argv);
    dcc_argv_free(cpp);

    snprintf(line, sizeof line, "/usr/bin/gcc -O2 -Wp,-MD,t.d -E t.c -o %s", first);
    cpp = words(line);
    assert_null(dcc_cc1_argv(cpp, "t.c", first, dir));
    assert_int_equal(files_in(dir), 1);
    dcc_argv_free(cpp);

    /* Dependency files: their names and targets are each job's own. */
    deps_job(dir, "t", first, NULL);
    assert_int_equal(files_in(dir), 2);
    deps_job(dir, "u", second, "t");
    assert_int_equal(files_in(dir), 2);
    snprintf(line, sizeof line, "/usr/bin/gcc -O2 -MT u.o -MD -MP -MF .deps/u.Tpo -E u.c -o %s",
             second);
    cpp = words(line);
    argv = dcc_cc1_argv(cpp, "u.c", second, dir);
    assert_non_null(argv);
    assert_true(has_arg(argv, ".deps/u.Tpo"));
    assert_true(has_arg(argv, "u.o"));
    assert_false(has_arg(argv, ".deps/t.Tpo"));
    assert_false(has_arg(argv, "t.o"));
    assert_int_equal(files_in(dir), 2);
    dcc_argv_free(argv);
    dcc_argv_free(cpp);
    assert_int_equal(dcc_test_rmtree(dir), 0);
}

/* The line from dcc_cc1_argv carries -fno-canonical-system-headers unless
 * the job asked for it itself; without_ours takes exactly ours out. */
static void test_canonical_names_option_added_and_taken_out(void **state)
{
    (void)state;
    if (access("/usr/bin/gcc", X_OK) != 0)
        skip();
    char dir[64];
    assert_int_equal(dcc_test_tmpdir(dir, sizeof dir, "/tmp/cc1.XXXXXX"), 0);
    char out[PATH_MAX], line[PATH_MAX + 64];
    snprintf(out, sizeof out, "%s/distcc_aaaaaa.i", dir);
    snprintf(line, sizeof line, "/usr/bin/gcc -O2 -E t.c -o %s", out);
    char **cpp = words(line);
    char **argv = dcc_cc1_argv(cpp, "t.c", out, dir);
    assert_non_null(argv);
    assert_true(has_arg(argv, "-fno-canonical-system-headers"));
    char **canon = NULL;
    assert_int_equal(dcc_cc1_without_ours(argv, cpp, &canon), 0);
    assert_non_null(canon);
    assert_false(has_arg(canon, "-fno-canonical-system-headers"));
    assert_int_equal(count_args(canon), count_args(argv) - 1);
    dcc_argv_free(canon);
    dcc_argv_free(argv);
    dcc_argv_free(cpp);

    /* The job's own option stays, and nothing runs again. */
    snprintf(line, sizeof line, "/usr/bin/gcc -O2 -fno-canonical-system-headers -E t.c -o %s", out);
    cpp = words(line);
    argv = dcc_cc1_argv(cpp, "t.c", out, dir);
    assert_non_null(argv);
    assert_true(has_arg(argv, "-fno-canonical-system-headers"));
    assert_int_equal(dcc_cc1_without_ours(argv, cpp, &canon), 0);
    assert_null(canon);
    dcc_argv_free(argv);
    dcc_argv_free(cpp);
    assert_int_equal(dcc_test_rmtree(dir), 0);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* dcc_cc1_canon_differs on a file i holding text. */
static int differs_with(const char *i, const char *text)
{
    write_text(i, text);
    return dcc_cc1_canon_differs(i);
}

/* cc1's output names a system header (flag 3) by a path whose real path is
 * shorter (a link to a directory, a link as the file, a ".."): gcc's
 * default would have named it otherwise. */
static void test_canon_differs_reads_the_system_headers_markers(void **state)
{
    (void)state;
    char dir[64];
    assert_int_equal(dcc_test_tmpdir(dir, sizeof dir, "/tmp/cc1.XXXXXX"), 0);
    char real[PATH_MAX], longdir[PATH_MAX], link[PATH_MAX], i[PATH_MAX], text[4 * PATH_MAX];
    snprintf(real, sizeof real, "%s/r", dir);
    snprintf(longdir, sizeof longdir, "%s/a-long-directory-name", dir);
    assert_int_equal(mkdir(real, 0755), 0);
    assert_int_equal(mkdir(longdir, 0755), 0);
    snprintf(link, sizeof link, "%s/a-long-directory-name/to-r", dir);
    assert_int_equal(symlink(real, link), 0);
    snprintf(text, sizeof text, "%s/h.h", real);
    write_text(text, "int h;\n");
    snprintf(text, sizeof text, "%s/a-long-directory-name/plain.h", dir);
    write_text(text, "int p;\n");
    snprintf(i, sizeof i, "%s/t.i", dir);

    /* Real paths as long as the names: the default names them the same. */
    snprintf(text, sizeof text,
             "# 0 \"t.c\"\n# 0 \"%s//\"\n# 0 \"<built-in>\"\n# 1 \"t.c\"\n"
             "# 1 \"%s/h.h\" 1 3\nint h;\n# 1 \"%s/a-long-directory-name/plain.h\" 1 3 4\n"
             "int p;\n# 2 \"t.c\" 2\nint x = 1; # 3 \"not/a/marker.h\" 1 3\n",
             dir, real, dir);
    assert_int_equal(differs_with(i, text), 0);

    /* A user header (no flag 3) through the link: not canonicalised. */
    snprintf(text, sizeof text, "# 1 \"t.c\"\n# 1 \"%s/h.h\" 1\nint h;\n", link);
    assert_int_equal(differs_with(i, text), 0);

    /* The same header as a system header through the link to a directory. */
    snprintf(text, sizeof text, "# 1 \"t.c\"\n# 1 \"%s/h.h\" 1 3\nint h;\n", link);
    assert_int_equal(differs_with(i, text), 1);

    /* Through "..", and through a link that is the file itself. */
    snprintf(text, sizeof text, "# 1 \"%s/a-long-directory-name/../r/h.h\" 1 3\n", dir);
    assert_int_equal(differs_with(i, text), 1);
    char filelink[PATH_MAX];
    snprintf(filelink, sizeof filelink, "%s/a-long-directory-name/h-link.h", dir);
    snprintf(text, sizeof text, "%s/h.h", real);
    assert_int_equal(symlink(text, filelink), 0);
    snprintf(text, sizeof text, "# 1 \"%s\" 1 3\n", filelink);
    assert_int_equal(differs_with(i, text), 1);

    /* What cannot be told is taken as differing: an escaped name, a
     * header gone, a marker cc1 does not write, no file. */
    snprintf(text, sizeof text, "# 1 \"%s/a\\\\b.h\" 1 3\n", real);
    assert_int_equal(differs_with(i, text), 1);
    snprintf(text, sizeof text, "# 1 \"%s/gone.h\" 1 3\n", real);
    assert_int_equal(differs_with(i, text), 1);
    assert_int_equal(differs_with(i, "# 1 t.c\n"), 1);
    assert_int_equal(differs_with(i, ""), 0);
    snprintf(text, sizeof text, "%s/none.i", dir);
    assert_int_equal(dcc_cc1_canon_differs(text), 1);
    assert_int_equal(dcc_test_rmtree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_reads_the_one_cc1_line_unquoted),
        cmocka_unit_test(test_parse_refuses_what_is_not_one_cc1_E),
        cmocka_unit_test(test_shape_passes_plain_flags_only),
        cmocka_unit_test(test_argv_learned_from_gcc_kept_and_reused),
        cmocka_unit_test(test_canonical_names_option_added_and_taken_out),
        cmocka_unit_test(test_canon_differs_reads_the_system_headers_markers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
