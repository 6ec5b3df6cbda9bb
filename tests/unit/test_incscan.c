/* Unit tests for dcc_incscan: which files pump mode sends, when it gives up, and the cached system directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto/dcc_args.h"
#include "client/dcc_incscan.h"
#include "base/dcc_util.h"

/* A fresh directory under /tmp, by its physical name. */
static char *make_root(void)
{
    char tmpl[64];
    assert_int_equal(dcc_test_tmpdir(tmpl, sizeof tmpl, "/tmp/dcc-incscan-XXXXXX"), 0);
    char *real = realpath(tmpl, NULL);
    assert_non_null(real);
    return real;
}

static void remove_root(char *root)
{
    dcc_test_rmtree(root);
    free(root);
}

static void make_dirs(const char *path)
{
    dcc_test_make_dirs(path, 0755);
}

/* Writes root/rel (len bytes of text), creating its directories. */
static void write_bytes(const char *root, const char *rel, const char *text, size_t len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    make_dirs(path);
    *slash = '/';
    dcc_test_write_file(path, text, len, 0666);
}

static void write_file(const char *root, const char *rel, const char *text)
{
    write_bytes(root, rel, text, strlen(text));
}

static void make_dir(const char *root, const char *rel)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    make_dirs(path);
}

/* The list as one line: "F:$/src/x.c D:$/inc S:/usr/include", $ = root. */
static char *list_text(const struct dcc_inc_list *l, const char *root, int with_sysdirs)
{
    struct dcc_buf b = {0};
    size_t rl = strlen(root);
    for (size_t i = 0; i < l->n; i++) {
        const struct dcc_inc_entry *e = &l->v[i];
        if (e->kind == DCC_INC_SYSTEMDIR && !with_sysdirs)
            continue;
        const char *p = e->path;
        int under = strncmp(p, root, rl) == 0 && (p[rl] == '/' || p[rl] == '\0');
        assert_int_equal(dcc_buf_printf(&b, "%s%s:%s%s", b.len ? " " : "",
                                        e->kind == DCC_INC_FILE  ? "F"
                                        : e->kind == DCC_INC_DIR ? "D"
                                                                 : "S",
                                        under ? "$" : "", under ? p + rl : p),
                         0);
    }
    if (!b.data)
        assert_int_equal(dcc_buf_appends(&b, ""), 0);
    return b.data;
}

/* The compiler's predefined macros scan_job passes (NULL: unknown). */
static const char *job_predefs;

/* One scan of argv in root; *text is the list (or the why). */
static int scan_once(char **argv, const struct dcc_scan *scan, const char *root,
                     char *const *sysdirs, const char *cache_dir, char **text)
{
    struct dcc_inc_list out = {0};
    char why[PATH_MAX + 300] = "";
    int rc = dcc_incscan_run(argv, scan, root, sysdirs, job_predefs, cache_dir, &out, why,
                             sizeof why);
    if (rc == 0) {
        assert_string_equal(why, "");
        *text = list_text(&out, root, 0);
    } else {
        assert_int_equal(out.n, 0);
        *text = strdup(why);
        assert_non_null(*text);
    }
    dcc_inc_list_free(&out);
    return rc;
}

/* Scans the job "line" run in root with the given system directories.
 * Returns dcc_incscan_run's answer; *text is the list (or the why). Every
 * job is scanned three times: without the packs, then with fresh ones twice
 * (every file lexed and every lookup made and kept, then every file and
 * every lookup taken from the packs): all three must agree. The test's
 * directories are fresh: the scans with packs take a clock 10 s ahead, so
 * their lookups are kept. */
static int scan_job(const char *root, const char *line, char *const *sysdirs, char **text)
{
    char **argv = words(line);
    struct dcc_scan scan;
    char err[200] = "";
    assert_int_equal(dcc_args_scan(&argv, &scan, err, sizeof err), 0);
    int rc = scan_once(argv, &scan, root, sysdirs, NULL, text);
    char cache[64];
    assert_int_equal(dcc_test_tmpdir(cache, sizeof cache, "/tmp/dcc-skel-XXXXXX"), 0);
    unsigned long hits, misses, first_misses = 0, look_hits, look_misses, first_look_misses = 0;
    dcc_incscan_set_clock((int64_t)time(NULL) + 10);
    for (int pass = 0; pass < 2; pass++) {
        char *again = NULL;
        assert_int_equal(scan_once(argv, &scan, root, sysdirs, cache, &again), rc);
        assert_string_equal(again, *text);
        free(again);
        dcc_incscan_cache_counts(&hits, &misses);
        dcc_incscan_lookup_counts(&look_hits, &look_misses);
        if (pass == 0) {
            assert_int_equal(hits, 0);
            assert_int_equal(look_hits, 0);
            first_misses = misses;
            first_look_misses = look_misses;
        } else {
            assert_int_equal(misses, 0);
            assert_int_equal(hits, first_misses);
            assert_int_equal(look_misses, 0);
            assert_int_equal(look_hits, first_look_misses);
        }
    }
    dcc_incscan_set_clock(0);
    dcc_test_rmtree(cache);
    dcc_argv_free(argv);
    return rc;
}

/* root/sys as the only system directory. */
static char **fake_sysdirs(const char *root)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/sys", root);
    make_dirs(path);
    char *v[] = {path, NULL};
    char **dirs = dcc_argv_dup(v);
    assert_non_null(dirs);
    return dirs;
}

static void expect_scan(const char *root, const char *line, char *const *sysdirs,
                        const char *expected)
{
    char *text = NULL;
    int rc = scan_job(root, line, sysdirs, &text);
    if (rc != 0)
        fail_msg("scan gave up: %s", text);
    assert_string_equal(text, expected);
    free(text);
}

/* why with "$" standing for root. */
static void expect_give_up(const char *root, const char *line, char *const *sysdirs,
                           const char *expected)
{
    char *text = NULL;
    assert_int_equal(scan_job(root, line, sysdirs, &text), 1);
    char want[PATH_MAX + 300];
    const char *dollar = strchr(expected, '$');
    if (dollar)
        snprintf(want, sizeof want, "%.*s%s%s", (int)(dollar - expected), expected, root,
                 dollar + 1);
    else
        snprintf(want, sizeof want, "%s", expected);
    assert_string_equal(text, want);
    free(text);
}

/* ---- what is sent ---- */

static void test_quoted_include_is_relative_to_the_including_file(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "src/main.c", "#include \"a/b.h\"\nint main(void) { return 0; }\n");
    write_file(root, "src/a/b.h", "#include \"c.h\"\n");
    write_file(root, "src/a/c.h", "/* the right one */\n");
    write_file(root, "src/c.h", "/* not this one */\n");
    expect_scan(root, "gcc -c src/main.c", sys,
                "F:$/src/main.c F:$/src/a/b.h F:$/src/a/c.h D:$/src D:$/src/a");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_iquote_comes_before_I_and_only_for_quotes(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "main.c", "#include \"x.h\"\n#include <y.h>\n");
    write_file(root, "inc1/x.h", "");
    write_file(root, "inc1/y.h", "");
    write_file(root, "inc2/x.h", "");
    write_file(root, "inc2/y.h", "");
    expect_scan(root, "gcc -Iinc1 -c main.c -iquote inc2", sys,
                "F:$/main.c F:$/inc2/x.h F:$/inc1/y.h D:$/inc2 D:$/inc1");
    /* Joined spellings, and -isystem / -idirafter for angle includes. */
    write_file(root, "inc3/z.h", "");
    write_file(root, "inc4/w.h", "");
    write_file(root, "main2.c", "#include <z.h>\n#include <w.h>\n#include \"y.h\"\n");
    expect_scan(root, "gcc -c main2.c -iquoteinc2 -isysteminc3 -idirafterinc4", sys,
                "F:$/main2.c F:$/inc3/z.h F:$/inc4/w.h F:$/inc2/y.h D:$/inc2 D:$/inc3 D:$/inc4");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_system_headers_are_not_listed(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = NULL;
    char err[300] = "";
    char *argv[] = {"gcc", "-c", "main.c", NULL};
    assert_int_equal(dcc_incscan_sysdirs("/usr/bin/gcc", argv, NULL, &sys, err, sizeof err), 0);
    write_file(root, "main.c", "#include <stdio.h>\n#include \"local.h\"\n#include <stdlib.h>\n");
    write_file(root, "local.h", "#include <string.h>\n");
    expect_scan(root, "gcc -c main.c", sys, "F:$/main.c F:$/local.h D:$");

    /* The system directories are reported, in the compiler's order. */
    char **argv2 = words("gcc -c main.c");
    struct dcc_scan scan;
    assert_int_equal(dcc_args_scan(&argv2, &scan, err, sizeof err), 0);
    struct dcc_inc_list out = {0};
    assert_int_equal(dcc_incscan_run(argv2, &scan, root, sys, NULL, NULL, &out, err, sizeof err),
                     0);
    size_t nsys = 0;
    for (size_t i = 0; i < out.n; i++) {
        if (out.v[i].kind == DCC_INC_SYSTEMDIR)
            assert_string_equal(out.v[i].path, sys[nsys++]);
    }
    assert_int_equal(nsys, dcc_argv_len(sys));
    dcc_inc_list_free(&out);
    dcc_argv_free(argv2);
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_fake_system_header_reaching_a_user_override(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "main.c", "#include <sysh.h>\n");
    /* #include_next past the last system directory finds nothing. */
    write_file(root, "sys/sysh.h",
               "#include <over.h>\n#include_next <sysh.h>\n#include <plain.h>\n"
               "#include \"/abs/thing.h\"\n");
    write_file(root, "sys/over.h", "/* the system one */\n");
    write_file(root, "sys/plain.h", "#include \"sibling.h\"\n");
    write_file(root, "sys/sibling.h", "");
    write_file(root, "inc/over.h", "#include \"over2.h\"\n");
    write_file(root, "inc/over2.h", "");
    expect_scan(root, "gcc -Iinc -c main.c", sys,
                "F:$/main.c F:$/inc/over.h F:$/inc/over2.h D:$/inc");
    /* Without the -I, nothing but the source is sent. */
    expect_scan(root, "gcc -c main.c", sys, "F:$/main.c");
    /* A -I, -iquote or -idirafter naming a system directory is dropped by gcc
     * ("ignoring duplicate directory"): it stays a system directory. */
    expect_scan(root, "gcc -Isys -c main.c", sys, "F:$/main.c");
    expect_scan(root, "gcc -iquote sys -idirafter sys -c main.c", sys, "F:$/main.c");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_include_option_is_searched_from_the_working_directory(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "src/main.c", "#include \"cfg.h\"\n");
    write_file(root, "src/cfg.h", "/* found by the source's include */\n");
    write_file(root, "cfg.h", "#include \"more.h\"\n");
    write_file(root, "more.h", "");
    write_file(root, "inc/macros.h", "");
    expect_scan(
        root, "gcc -include cfg.h -imacros macros.h -Iinc -c src/main.c", sys,
        /* -imacros files are read before -include files, then the source */
        "F:$/src/main.c F:$/inc/macros.h F:$/cfg.h F:$/more.h F:$/src/cfg.h D:$/inc D:$ D:$/src");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_lexing_of_directives(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    static const char *const headers[] = {
        "c1.h",   "c2.h",      "c3.h",        "c4.h",     "c5.h",    "c6.h",
        "c7.h",   "spliced.h", "commented.h", "ifzero.h", "after.h", "crlf.h",
        "last.h", "sp2.h",     "raw.h",       "ifx.h",    "sep.h",   "sepno.h"};
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++)
        write_file(root, headers[i], "");
    write_file(root, "main.cc",
               "/* #include \"c1.h\" */\n"
               "// #include \"c2.h\"\n"
               "const char *s = \"#include \\\"c3.h\\\"\";\n"
               "/* multi\n"
               "#include \"c4.h\"\n"
               "*/ #include \"c5.h\"\n"
               "// comment \\\n"
               "#include \"c6.h\"\n"
               "int x; /* a\n */ #include \"c7.h\"\n"
               "#\\\n"
               "include \"spliced.h\"\n"
               "# /* c */ include /* d */ \"commented.h\" // trailing\n"
               "#if 0\n"
               "#include \"ifzero.h\"\n"
               "#elif defined(X)\n"
               "  #  include \"ifx.h\"\n"
               "#endif\n"
               "\"unterminated\n"
               "#include \"after.h\"\n"
               "#include \"crlf.h\"\r\n"
               "// y \\  \n"
               "#include \"sp2.h\"\n"
               "auto r = R\"x(\n"
               "#include \"raw.h\" )\" still raw\n"
               ")x\";\n"
               "int n = 1'000'000; /* not a char literal */\n"
               "int m = 1'0; /* x'\n#include \"sepno.h\"\n*/\n"
               "#include \"sep.h\"\n"
               "#include \"last.h\"");
    expect_scan(
        root, "g++ -c main.cc", sys,
        /* #if 0 is skipped; X is not known (no predefined macros): both branches */
        "F:$/main.cc F:$/c5.h F:$/spliced.h F:$/commented.h F:$/ifx.h F:$/after.h F:$/crlf.h "
        "F:$/sep.h F:$/last.h D:$");
    dcc_argv_free(sys);
    remove_root(root);
}

/* gcc skips a UTF-8 byte-order mark, so the directive after it counts. */
static void test_byte_order_mark_is_skipped(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "bom.h", "");
    write_file(root, "mid.h", "");
    write_file(root, "main.c",
               "\xef\xbb\xbf#include \"bom.h\"\nint a; \xef\xbb\xbf#include \"mid.h\"\n");
    expect_scan(root, "gcc -c main.c", sys, "F:$/main.c F:$/bom.h D:$");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_binary_bytes_do_not_crash(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    /* NULs (blanks to gcc, even before a '#'), an escaped NUL in an
     * unterminated string. */
    static const char junk[] =
        "\0\0#include \"no.h\"\n\xff\xfe\"\\\0\n#include \"ok.h\"\n# \0 include \"nul.h\"\n#";
    write_bytes(root, "main.c", junk, sizeof junk - 1);
    write_file(root, "ok.h", "");
    write_file(root, "no.h", "");
    write_file(root, "nul.h", "");
    expect_scan(root, "gcc -c main.c", sys, "F:$/main.c F:$/no.h F:$/ok.h F:$/nul.h D:$");
    /* gcc opens "a" for "a\0b.h": a user file gives up rather than guess. */
    static const char nulname[] = "#include \"ok.h\"\n#include \"a\0b.h\"\n";
    write_bytes(root, "nulname.c", nulname, sizeof nulname - 1);
    write_file(root, "a", "");
    expect_give_up(root, "gcc -c nulname.c", sys, "nulname.c:2: a NUL byte in an #include name");
    static const char nulhas[] = "#if __has_include(\"a\0b.h\")\n#endif\n";
    write_bytes(root, "nulhas.c", nulhas, sizeof nulhas - 1);
    expect_give_up(root, "gcc -c nulhas.c", sys, "nulhas.c:1: a NUL byte in an #include name");
    write_file(root, "tail.c", "#include \"ok.h\"\n/* unterminated comment \\");
    expect_scan(root, "gcc -c tail.c", sys, "F:$/tail.c F:$/ok.h D:$");
    write_file(root, "bad.c", "#include \"ok.h\"\n#include <\n");
    expect_give_up(root, "gcc -c bad.c", sys, "bad.c:2: #include with a macro argument");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_missing_include_is_skipped_and_duplicates_listed_once(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "main.c",
               "#include \"nothere.h\"\n#include \"a.h\"\n#include \"b.h\"\n#include \"a.h\"\n");
    write_file(root, "a.h", "#pragma once\n#include \"b.h\"\n");
    write_file(root, "b.h", "#include \"a.h\"\n#include <a.h>\n");
    expect_scan(root, "gcc -I. -c main.c", sys, "F:$/main.c F:$/a.h F:$/b.h D:$");
    /* Without #pragma once or a guard the cycle never ends: gcc fails too. */
    write_file(root, "a.h", "#include \"b.h\"\n");
    expect_give_up(root, "gcc -I. -c main.c", sys, "b.h: #include nested more than 200 deep");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_directories_the_helper_needs(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    /* inc/sub holds no file but <../up.h> needs it; sub2 is passed by "..". */
    write_file(root, "main.c", "#include <../up.h>\n#include \"sub2/../side.h\"\n");
    make_dir(root, "inc/sub");
    make_dir(root, "sub2");
    write_file(root, "inc/up.h", "");
    write_file(root, "side.h", "");
    expect_scan(root, "gcc -Iinc/sub -Inothere -c main.c", sys,
                "F:$/main.c F:$/inc/up.h F:$/side.h D:$/inc/sub D:$ D:$/sub2");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_has_include_with_a_literal_is_followed(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "main.c",
               "#if defined(__has_include) && __has_include(\"opt.h\")\n#endif\n"
               "#if 0\n#elif __has_include( <opt2.h> ) || __has_include(<nothere.h>)\n#endif\n"
               "#define HAS_X __has_include(\"opt3.h\")\n");
    write_file(root, "opt.h", "");
    write_file(root, "inc/opt2.h", "");
    write_file(root, "opt3.h", "");
    expect_scan(root, "gcc -Iinc -c main.c", sys,
                "F:$/main.c F:$/opt.h F:$/inc/opt2.h F:$/opt3.h D:$/inc D:$");
    dcc_argv_free(sys);
    remove_root(root);
}

/* root/sys1 and root/sys2, in that order. */
static char **two_fake_sysdirs(const char *root)
{
    char p1[PATH_MAX], p2[PATH_MAX];
    snprintf(p1, sizeof p1, "%s/sys1", root);
    snprintf(p2, sizeof p2, "%s/sys2", root);
    make_dirs(p1);
    make_dirs(p2);
    char *v[] = {p1, p2, NULL};
    char **dirs = dcc_argv_dup(v);
    assert_non_null(dirs);
    return dirs;
}

static void test_include_next_in_a_system_header_goes_on_after_its_directory(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = two_fake_sysdirs(root);
    /* sys1/foo.h -> sys2/foo.h -> the -idirafter one, which is sent. */
    write_file(root, "main.c", "#include <foo.h>\n");
    write_file(root, "inc/other.h", "");
    write_file(root, "sys1/foo.h", "#include_next <foo.h>\n");
    write_file(root, "sys2/foo.h",
               "#if __has_include_next(<bar.h>)\n#endif\n#include_next <foo.h>\n");
    write_file(root, "after/foo.h", "#include \"foo2.h\"\n");
    write_file(root, "after/foo2.h", "");
    write_file(root, "after/bar.h", "");
    write_file(root, "sys1/bar.h", "/* before sys2: not what __has_include_next sees */\n");
    expect_scan(root, "gcc -Iinc -idirafter after -c main.c", sys,
                "F:$/main.c F:$/after/bar.h F:$/after/foo.h F:$/after/foo2.h D:$/inc D:$/after");

    /* The same system file reached through another directory searches on
     * from there: sys2/x.h found in sys1 (as ../sys2/x.h) goes on at sys2,
     * found in sys2 it goes on at the -idirafter directory. */
    write_file(root, "main2.c", "#include <../sys2/x.h>\n#include <x.h>\n");
    write_file(root, "sys2/x.h", "#include_next <y.h>\n");
    write_file(root, "sys2/y.h", "");
    write_file(root, "after/y.h", "");
    expect_scan(root, "gcc -idirafter after -c main2.c", sys,
                "F:$/main2.c F:$/after/y.h D:$/after");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_computed_include_in_a_system_header(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    /* Like Xft.h's "#include FT_FREETYPE_H" meeting -I/usr/include/freetype2. */
    write_file(root, "main.c", "#include <sysh.h>\n");
    write_file(root, "sys/sysh.h", "#define H <ft.h>\n#include H\n");
    write_file(root, "inc/ft.h", "");
    expect_give_up(
        root, "gcc -Iinc -c main.c", sys,
        "sys/sysh.h:2: #include with a macro argument in a system header, with user include directories");
    expect_give_up(
        root, "gcc -idirafter inc -c main.c", sys,
        "sys/sysh.h:2: #include with a macro argument in a system header, with user include directories");
    write_file(root, "sys/has.h", "#if __has_include(H)\n#endif\n");
    write_file(root, "main2.c", "#include <has.h>\n");
    expect_give_up(
        root, "gcc -iquote inc -c main2.c", sys,
        "sys/has.h:1: __has_include with a macro argument in a system header, with user include directories");
    /* With no user directory it can only find system headers. */
    expect_scan(root, "gcc -c main.c", sys, "F:$/main.c");
    expect_scan(root, "gcc -c main2.c", sys, "F:$/main2.c");
    /* A system #define with a literal __has_include is followed. */
    write_file(root, "sys/cfg.h", "#define HAS_TBB __has_include(<tbb.h>) /* c */\n#define X 1\n");
    write_file(root, "inc/tbb.h", "");
    write_file(root, "main3.c", "#include <cfg.h>\n");
    expect_scan(root, "gcc -Iinc -c main3.c", sys, "F:$/main3.c F:$/inc/tbb.h D:$/inc");
    /* A NUL in a system header's name: gcc opens the part before it. */
    static const char nul[] = "#include <over\0x.h>\n";
    write_bytes(root, "sys/nul.h", nul, sizeof nul - 1);
    write_file(root, "inc/over", "");
    write_file(root, "main4.c", "#include <nul.h>\n");
    expect_scan(root, "gcc -Iinc -c main4.c", sys, "F:$/main4.c F:$/inc/over D:$/inc");
    dcc_argv_free(sys);
    remove_root(root);
}

/* The compiler's own headers have no computed include, so common jobs with
 * a user directory still use pump mode. */
static void test_common_system_headers_with_a_user_directory(void **state)
{
    (void)state;
    static const struct {
        const char *compiler, *source, *text;
    } jobs[] = {
        {"/usr/bin/gcc", "main.c",
         "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <math.h>\n#include <pthread.h>\n"},
        {"/usr/bin/g++", "main.cc",
         "#include <iostream>\n#include <vector>\n#include <map>\n#include <string>\n#include <memory>\n"
         "#include <algorithm>\n#include <cmath>\n#include <cstdlib>\n"},
    };
    for (size_t i = 0; i < sizeof jobs / sizeof *jobs; i++) {
        if (access(jobs[i].compiler, X_OK) != 0)
            continue;
        char *root = make_root();
        char **sys = NULL;
        char err[300] = "", line[200];
        char *argv[] = {"cc", (char *)jobs[i].source, NULL};
        assert_int_equal(dcc_incscan_sysdirs(jobs[i].compiler, argv, NULL, &sys, err, sizeof err),
                         0);
        char *predefs = NULL;
        assert_int_equal(
            dcc_incscan_predefs(jobs[i].compiler, argv, NULL, &predefs, err, sizeof err), 0);
        job_predefs = predefs;
        write_file(root, jobs[i].source, jobs[i].text);
        write_file(root, "inc/mine.h", "");
        snprintf(line, sizeof line, "cc -Iinc -c %s", jobs[i].source);
        char want[100];
        snprintf(want, sizeof want, "F:$/%s D:$/inc", jobs[i].source);
        expect_scan(root, line, sys, want);
        job_predefs = NULL;
        free(predefs);
        dcc_argv_free(sys);
        remove_root(root);
    }
}

static void test_directives_spelled_with_digraphs_and_trigraphs(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    /* An override stdint.h in -Iinc read through %:include. */
    write_file(root, "main.c",
               "%:include <stdint.h>\n  %:\\\n include \"b.h\"\nint x; %:include \"no.h\"\n");
    write_file(root, "inc/stdint.h", "");
    write_file(root, "b.h", "");
    write_file(root, "no.h", "");
    expect_scan(root, "gcc -Iinc -c main.c", sys,
                "F:$/main.c F:$/inc/stdint.h F:$/b.h D:$/inc D:$");
    /* C90 has no digraphs: %: is no directive there. */
    expect_scan(root, "gcc -std=c90 -Iinc -c main.c", sys, "F:$/main.c D:$/inc");
    expect_scan(root, "gcc -ansi -Iinc -c main.c", sys, "F:$/main.c D:$/inc");

    /* ?\?= is # and ?\?/ a backslash where trigraphs are on: give up there. */
    write_file(root, "tri.c", "#include \"b.h\"\n?\?=include \"no.h\"\n");
    write_file(root, "tri2.cc", "// a comment ?\?/\n#include \"no.h\"\n");
    expect_scan(root, "gcc -c tri.c", sys, "F:$/tri.c F:$/b.h D:$");
    expect_scan(root, "gcc -std=gnu11 -c tri.c", sys, "F:$/tri.c F:$/b.h D:$");
    expect_give_up(root, "gcc -std=c11 -c tri.c", sys,
                   "tri.c:2: trigraph ?\?= with trigraphs enabled");
    expect_give_up(root, "gcc -std=iso9899:1999 -c tri.c", sys,
                   "tri.c:2: trigraph ?\?= with trigraphs enabled");
    expect_give_up(root, "gcc -trigraphs -c tri.c", sys,
                   "tri.c:2: trigraph ?\?= with trigraphs enabled");
    expect_give_up(root, "gcc -ansi -c tri.c", sys,
                   "tri.c:2: trigraph ?\?= with trigraphs enabled");
    expect_give_up(root, "gcc -std=c99 -std=gnu99 -trigraphs -c tri.c", sys,
                   "tri.c:2: trigraph ?\?= with trigraphs enabled");
    expect_scan(root, "g++ -std=c++17 -c tri2.cc", sys, "F:$/tri2.cc F:$/no.h D:$");
    expect_scan(root, "g++ -std=gnu++11 -c tri2.cc", sys, "F:$/tri2.cc F:$/no.h D:$");
    expect_scan(root, "g++ -std=c11 -c tri2.cc", sys,
                "F:$/tri2.cc F:$/no.h D:$"); /* a C -std= is ignored for C++ */
    expect_give_up(root, "g++ -std=c++11 -c tri2.cc", sys,
                   "tri2.cc:1: trigraph ?\?/ with trigraphs enabled");
    expect_give_up(root, "g++ -std=c++03 -c tri2.cc", sys,
                   "tri2.cc:1: trigraph ?\?/ with trigraphs enabled");
    expect_give_up(root, "g++ --std=c++14 -c tri2.cc", sys,
                   "tri2.cc:1: trigraph ?\?/ with trigraphs enabled");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_raw_strings_follow_the_language(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    static const char text[] = "const char *r = R\"x(\n#include \"raw.h\"\n)x\";\n";
    write_file(root, "main.c", text);
    write_file(root, "main.cc", text);
    write_file(root, "raw.h", "");
    /* Raw strings: GNU C from gnu99, C++11 on. Elsewhere R is a name. */
    expect_scan(root, "gcc -c main.c", sys, "F:$/main.c");
    expect_scan(root, "gcc -std=gnu11 -c main.c", sys, "F:$/main.c");
    expect_scan(root, "gcc -std=c11 -c main.c", sys, "F:$/main.c F:$/raw.h D:$");
    expect_scan(root, "gcc -std=iso9899:2011 -c main.c", sys, "F:$/main.c F:$/raw.h D:$");
    expect_scan(root, "gcc -std=gnu89 -c main.c", sys, "F:$/main.c F:$/raw.h D:$");
    expect_scan(root, "g++ -c main.cc", sys, "F:$/main.cc");
    expect_scan(root, "g++ -std=c++11 -c main.cc", sys, "F:$/main.cc");
    expect_scan(root, "g++ -std=c++98 -c main.cc", sys, "F:$/main.cc F:$/raw.h D:$");
    expect_scan(root, "g++ -std=gnu++03 -c main.cc", sys, "F:$/main.cc F:$/raw.h D:$");
    expect_scan(root, "g++ -ansi -c main.cc", sys, "F:$/main.cc F:$/raw.h D:$");
    expect_scan(root, "gcc -std=c++98 -x c++ -c main.c", sys, "F:$/main.c F:$/raw.h D:$");
    expect_scan(root, "gcc -std=c11 -x c++ -c main.c", sys, "F:$/main.c");
    expect_give_up(root, "gcc -std=c13 -c main.c", sys, "-std=c13 is not known to pump mode");

    /* 1'0 is a digit separator in C++14 and C2X only; elsewhere ' opens a
     * character literal that ends with the line, and the comment is none. */
    write_file(root, "sep.c", "int m = 1'0; /* x'\n#include \"raw.h\"\n*/\n");
    expect_scan(root, "gcc -c sep.c", sys, "F:$/sep.c F:$/raw.h D:$");
    expect_scan(root, "gcc -std=c2x -c sep.c", sys, "F:$/sep.c");
    dcc_argv_free(sys);
    remove_root(root);
}

/* ---- when pump mode is not used ---- */

static const struct give_up_case {
    const char *source; /* main.c */
    const char *line;
    const char *why;
} give_up_cases[] = {
    {"#ifdef H\n#undef H\n#endif\n#include H\n", "gcc -c main.c",
     "main.c:4: #include with a macro argument"},
    /* a branch that is false for this build does not matter, one that may be live does */
    {"#if 0\n#include H\n#endif\n#if U\n#include U\n#endif\n", "gcc -c main.c",
     "main.c:5: #include with a macro argument"},
    {"int a;\n#import H\n", "gcc -c main.c", "main.c:2: #import with a macro argument"},
    {"#include_next <a.h>\n", "gcc -c main.c", "main.c:1: #include_next"},
    {"\n\n#  include_next \"a.h\"\n", "gcc -c main.c", "main.c:3: #include_next"},
    {"#include \"/usr/include/stdio.h\"\n", "gcc -c main.c",
     "main.c:1: #include of an absolute path /usr/include/stdio.h"},
    {"#if __has_include(H)\n#endif\n", "gcc -c main.c",
     "main.c:1: __has_include with a macro argument"},
    {"/*\n*/\n#if 0\n#elif __has_include_next(<a.h>)\n#endif\n", "gcc -c main.c",
     "main.c:4: __has_include_next"},
    {"#define HAS(x) __has_include(x)\n", "gcc -c main.c",
     "main.c:1: __has_include with a macro argument"},
    {"const char d[] = {\n#embed \"a.h\"\n};\n", "gcc -c main.c", "main.c:2: #embed"},
    {"#if __has_embed(\"a.h\")\n#endif\n", "gcc -c main.c", "main.c:1: __has_embed"},
    {"#define E __has_embed(<a.h>)\n", "gcc -c main.c", "main.c:1: __has_embed"},
    {"", "gcc -I- -c main.c", "argument -I- is not supported in pump mode"},
    {"", "gcc -iprefix /x -c main.c", "argument -iprefix is not supported in pump mode"},
    {"", "gcc -iwithprefix x -c main.c", "argument -iwithprefix is not supported in pump mode"},
    {"", "gcc -iwithprefixbefore x -c main.c",
     "argument -iwithprefixbefore is not supported in pump mode"},
    {"", "gcc -imultilib x -c main.c", "argument -imultilib is not supported in pump mode"},
    {"", "gcc -iwithsysroot x -c main.c", "argument -iwithsysroot is not supported in pump mode"},
    {"", "gcc -nostdinc++ -c main.c", "argument -nostdinc++ is not supported in pump mode"},
    {"", "gcc --include-directory=x -c main.c",
     "argument --include-directory=x is not supported in pump mode"},
    {"", "gcc -Xpreprocessor -P -c main.c",
     "argument -Xpreprocessor is not supported in pump mode"},
    {"", "gcc -traditional-cpp -c main.c",
     "argument -traditional-cpp is not supported in pump mode"},
    {"", "gcc -fpreprocessed -c main.c", "argument -fpreprocessed is not supported in pump mode"},
    /* gcc 12 reads --traditional-cpp as -traditional-cpp */
    {"", "gcc --traditional-cpp -c main.c",
     "argument --traditional-cpp is not supported in pump mode"},
    /* clang's own option, not -isystem with "-after" joined */
    {"", "clang -isystem-after sys -c main.c",
     "argument -isystem-after is not supported in pump mode"},
    {"", "gcc -I=inc -c main.c", "argument -I=inc names a sysroot directory"},
    /* gcc moves it ahead of the other defaults; the helper would not. */
    {"", "gcc -isystem sys -c main.c", "-isystem $/sys names a compiler default directory"},
    {"", "gcc -isystemsys/../sys -c main.c", "-isystem $/sys names a compiler default directory"},
    {"", "gcc -c main.i", "already preprocessed"},
    {"", "gcc -c nothere.c", "nothere.c: cannot read: No such file or directory"},
};

static void test_give_up_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof give_up_cases / sizeof *give_up_cases; i++) {
        const struct give_up_case *c = &give_up_cases[i];
        char *root = make_root();
        char **sys = fake_sysdirs(root);
        write_file(root, "main.c", c->source);
        write_file(root, "main.i", "int x;\n");
        write_file(root, "a.h", "");
        expect_give_up(root, c->line, sys, c->why);
        dcc_argv_free(sys);
        remove_root(root);
    }
}

static void test_give_up_on_environment(void **state)
{
    (void)state;
    static const char *const vars[] = {"CPATH",
                                       "C_INCLUDE_PATH",
                                       "CPLUS_INCLUDE_PATH",
                                       "OBJC_INCLUDE_PATH",
                                       "DEPENDENCIES_OUTPUT",
                                       "SUNPRO_DEPENDENCIES"};
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "main.c", "");
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        /* Empty means unset for gcc. */
        setenv(vars[i], "", 1);
        expect_scan(root, "gcc -c main.c", sys, "F:$/main.c");
        setenv(vars[i], "/somewhere", 1);
        char want[100];
        snprintf(want, sizeof want, "%s is set in the environment", vars[i]);
        expect_give_up(root, "gcc -c main.c", sys, want);
        unsetenv(vars[i]);
    }
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_give_up_on_symbolic_links(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    char path[PATH_MAX];
    write_file(root, "main.c", "#include \"link.h\"\n");
    write_file(root, "real/real.h", "");
    snprintf(path, sizeof path, "%s/link.h", root);
    assert_int_equal(symlink("real/real.h", path), 0);
    expect_give_up(root, "gcc -c main.c", sys,
                   "link.h is reached through a symbolic link (real path $/real/real.h)");

    /* A symlinked -I directory, even though "../x.h" would look fine lexically. */
    write_file(root, "main2.c", "#include <x.h>\n");
    write_file(root, "real/x.h", "");
    snprintf(path, sizeof path, "%s/incl", root);
    assert_int_equal(symlink("real", path), 0);
    expect_give_up(root, "gcc -Iincl -c main2.c", sys,
                   "incl is reached through a symbolic link (real path $/real)");

    /* "deep/../y.h" where deep is a link: gcc resolves ".." physically. */
    write_file(root, "main3.c", "#include \"deep/../y.h\"\n");
    write_file(root, "y.h", "");
    write_file(root, "real/y.h", "");
    make_dir(root, "real/sub");
    snprintf(path, sizeof path, "%s/deep", root);
    assert_int_equal(symlink("real/sub", path), 0);
    expect_give_up(root, "gcc -c main3.c", sys,
                   "y.h is reached through a symbolic link (real path $/real/y.h)");
    dcc_argv_free(sys);
    remove_root(root);
}

/* ---- the build's lookup pack ---- */

/* root/rel's times an hour back: a name added to it later always changes
 * its mtime, whatever the timestamps' granularity. */
static void age_dir(const char *root, const char *rel)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    struct timespec t[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* Scans line with the packs in cache and without any; both must agree.
 * Returns the list (or the why), malloc'd. */
static char *scan_both(const char *root, const char *line, char *const *sysdirs, const char *cache)
{
    char **argv = words(line);
    struct dcc_scan scan;
    char err[200] = "", *plain = NULL, *cached = NULL;
    assert_int_equal(dcc_args_scan(&argv, &scan, err, sizeof err), 0);
    int rc = scan_once(argv, &scan, root, sysdirs, NULL, &plain);
    assert_int_equal(scan_once(argv, &scan, root, sysdirs, cache, &cached), rc);
    assert_string_equal(cached, plain);
    free(plain);
    dcc_argv_free(argv);
    return cached;
}

static void expect_lookup_counts(unsigned long hits, unsigned long misses)
{
    unsigned long h, m;
    dcc_incscan_lookup_counts(&h, &m);
    assert_int_equal(h, hits);
    assert_int_equal(m, misses);
}

/* src/main.c including "x.h" and "sub/y.h", both found in inc2 after an
 * inc1 (with an empty sub) that does not have them, the directories aged.
 * Returns the job. */
static const char *two_dirs_tree(const char *root)
{
    write_file(root, "src/main.c", "#include \"x.h\"\n#include \"sub/y.h\"\n");
    write_file(root, "inc2/x.h", "");
    write_file(root, "inc2/sub/y.h", "");
    make_dir(root, "inc1/sub");
    const char *aged[] = {"src", "inc1", "inc1/sub", "inc2", "inc2/sub"};
    for (size_t i = 0; i < sizeof aged / sizeof *aged; i++)
        age_dir(root, aged[i]);
    return "gcc -Iinc1 -Iinc2 -c src/main.c";
}

static void test_lookup_pack_finds_headers_added_later(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    char cache[64], path[PATH_MAX];
    assert_int_equal(dcc_test_tmpdir(cache, sizeof cache, "/tmp/dcc-skel-XXXXXX"), 0);
    const char *job = two_dirs_tree(root);
    dcc_incscan_set_clock((int64_t)time(NULL) + 10);

    /* kept, then taken from the pack: no stat() of a name is made again */
    char *t = scan_both(root, job, sys, cache);
    assert_string_equal(t, "F:$/src/main.c F:$/inc2/x.h F:$/inc2/sub/y.h D:$/inc1 D:$/inc2");
    free(t);
    unsigned long first_hits, first_misses;
    dcc_incscan_lookup_counts(&first_hits, &first_misses);
    assert_int_equal(first_hits, 0);
    assert_true(first_misses >= 4);
    free(scan_both(root, job, sys, cache));
    expect_lookup_counts(first_misses, 0);

    /* a header created in an earlier directory: that directory changed */
    write_file(root, "inc1/x.h", "");
    t = scan_both(root, job, sys, cache);
    assert_string_equal(t, "F:$/src/main.c F:$/inc1/x.h F:$/inc2/sub/y.h D:$/inc1 D:$/inc2");
    free(t);
    /* in a subdirectory that existed: only the subdirectory changed */
    write_file(root, "inc1/sub/y.h", "");
    t = scan_both(root, job, sys, cache);
    assert_string_equal(t, "F:$/src/main.c F:$/inc1/x.h F:$/inc1/sub/y.h D:$/inc1 D:$/inc2");
    free(t);
    /* removed again */
    snprintf(path, sizeof path, "%s/inc1/sub/y.h", root);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/inc1/x.h", root);
    assert_int_equal(unlink(path), 0);
    t = scan_both(root, job, sys, cache);
    assert_string_equal(t, "F:$/src/main.c F:$/inc2/x.h F:$/inc2/sub/y.h D:$/inc1 D:$/inc2");
    free(t);

    /* directories changed within DCC_SKEL_RACY_S of the scan: nothing kept */
    char fresh[64];
    assert_int_equal(dcc_test_tmpdir(fresh, sizeof fresh, "/tmp/dcc-skel-XXXXXX"), 0);
    dcc_incscan_set_clock(0);
    free(scan_both(root, job, sys, fresh));
    free(scan_both(root, job, sys, fresh));
    expect_lookup_counts(0, 0);
    dcc_test_rmtree(fresh);
    dcc_test_rmtree(cache);
    dcc_argv_free(sys);
    remove_root(root);
}

/* One path reached from two directories by two jobs ("inc/a.h" next to
 * one's source, "a.h" along the other's -Iinc): two entries, each checked
 * against its own directory, neither pushing the other out. */
static void test_lookup_pack_keeps_each_directory_of_a_path(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    char cache[64];
    assert_int_equal(dcc_test_tmpdir(cache, sizeof cache, "/tmp/dcc-skel-XXXXXX"), 0);
    write_file(root, "one.c", "#include \"inc/a.h\"\n");
    write_file(root, "two.c", "#include \"a.h\"\n");
    write_file(root, "inc/a.h", "");
    age_dir(root, "inc");
    age_dir(root, "");
    dcc_incscan_set_clock((int64_t)time(NULL) + 10);
    unsigned long one_misses, two_misses, hits;
    for (int pass = 0; pass < 2; pass++) {
        char *t = scan_both(root, "gcc -c one.c", sys, cache);
        assert_string_equal(t, "F:$/one.c F:$/inc/a.h D:$");
        free(t);
        if (pass == 0)
            dcc_incscan_lookup_counts(&hits, &one_misses);
        else
            expect_lookup_counts(one_misses, 0);
        t = scan_both(root, "gcc -Iinc -c two.c", sys, cache);
        assert_string_equal(t, "F:$/two.c F:$/inc/a.h D:$/inc");
        free(t);
        if (pass == 0)
            dcc_incscan_lookup_counts(&hits, &two_misses);
        else
            expect_lookup_counts(two_misses, 0);
    }
    dcc_incscan_set_clock(0);
    dcc_test_rmtree(cache);
    dcc_argv_free(sys);
    remove_root(root);
}

/* A job that adds only a few lookups to a big pack does not write it again
 * (a rewrite costs more than their stat() calls); one that adds many does. */
static void test_lookup_pack_is_written_when_worth_it(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    char cache[64], pack[PATH_MAX];
    assert_int_equal(dcc_test_tmpdir(cache, sizeof cache, "/tmp/dcc-skel-XXXXXX"), 0);
    struct dcc_buf many = {0}, more = {0};
    for (int i = 0; i < 60; i++) {
        assert_int_equal(dcc_buf_printf(&many, "#include \"m%d.h\"\n", i), 0);
        assert_int_equal(dcc_buf_printf(&more, "#include \"n%d.h\"\n", i), 0);
    }
    write_file(root, "many.c", many.data);
    write_file(root, "more.c", more.data);
    dcc_buf_free(&many);
    dcc_buf_free(&more);
    write_file(root, "one.c", "#include \"m0.h\"\n#include \"new.h\"\n");
    make_dir(root, "inc");
    age_dir(root, "inc");
    age_dir(root, "");
    dcc_incscan_set_clock((int64_t)time(NULL) + 10);
    free(scan_both(root, "gcc -Iinc -c many.c", sys, cache));
    expect_lookup_counts(0, 180); /* m0.h ... m59.h next to many.c, in inc, in sys */
    snprintf(pack, sizeof pack, "%s/lookups", cache);
    struct stat before, after;
    assert_int_equal(stat(pack, &before), 0);
    /* new.h in three places: less than a 32nd of 180, made again each time */
    for (int pass = 0; pass < 2; pass++) {
        free(scan_both(root, "gcc -Iinc -c one.c", sys, cache));
        expect_lookup_counts(3, 3);
    }
    assert_int_equal(stat(pack, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    /* many new ones: written */
    free(scan_both(root, "gcc -Iinc -c more.c", sys, cache));
    expect_lookup_counts(0, 180);
    assert_int_equal(stat(pack, &after), 0);
    assert_int_not_equal(after.st_ino, before.st_ino);
    dcc_incscan_set_clock(0);
    dcc_test_rmtree(cache);
    dcc_argv_free(sys);
    remove_root(root);
}

/* A symbolic link's target may appear without its directory changing. */
static void test_lookup_pack_does_not_keep_symbolic_links(void **state)
{
    (void)state;
    char *root = make_root();
    char cache[64], path[PATH_MAX], sys1[PATH_MAX], sys2[PATH_MAX];
    assert_int_equal(dcc_test_tmpdir(cache, sizeof cache, "/tmp/dcc-skel-XXXXXX"), 0);
    write_file(root, "main.c", "#include <lnk.h>\n#include <ldir/in.h>\n");
    write_file(root, "inc/over.h", "");
    write_file(root, "inc/over2.h", "");
    write_file(root, "sys2/lnk.h", "");
    write_file(root, "sys2/ldir/in.h", "");
    make_dir(root, "sys1");
    make_dir(root, "elsewhere");
    snprintf(path, sizeof path, "%s/sys1/lnk.h", root);
    assert_int_equal(symlink("../elsewhere/lnk.h", path), 0);
    /* a directory on the way that is a dangling link */
    snprintf(path, sizeof path, "%s/sys1/ldir", root);
    assert_int_equal(symlink("../elsewhere/ldir", path), 0);
    const char *aged[] = {"", "inc", "sys1", "sys2", "elsewhere"};
    for (size_t i = 0; i < sizeof aged / sizeof *aged; i++)
        age_dir(root, aged[i]);
    snprintf(sys1, sizeof sys1, "%s/sys1", root);
    snprintf(sys2, sizeof sys2, "%s/sys2", root);
    char *v[] = {sys1, sys2, NULL};
    dcc_incscan_set_clock((int64_t)time(NULL) + 10);
    for (int pass = 0; pass < 2; pass++) {
        char *t = scan_both(root, "gcc -Iinc -c main.c", v, cache);
        assert_string_equal(t, "F:$/main.c D:$/inc");
        free(t);
    }
    /* the dangling links' targets appear: gcc now reads them */
    write_file(root, "elsewhere/lnk.h", "#include <over.h>\n");
    char *t = scan_both(root, "gcc -Iinc -c main.c", v, cache);
    assert_string_equal(t, "F:$/main.c F:$/inc/over.h D:$/inc");
    free(t);
    write_file(root, "elsewhere/ldir/in.h", "#include <over2.h>\n");
    t = scan_both(root, "gcc -Iinc -c main.c", v, cache);
    assert_string_equal(t, "F:$/main.c F:$/inc/over.h F:$/inc/over2.h D:$/inc");
    free(t);
    dcc_incscan_set_clock(0);
    dcc_test_rmtree(cache);
    remove_root(root);
}

/* A damaged lookup pack is a miss, whatever the damage. */
static void test_lookup_pack_damaged_is_a_miss(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    char cache[64], pack[PATH_MAX];
    assert_int_equal(dcc_test_tmpdir(cache, sizeof cache, "/tmp/dcc-skel-XXXXXX"), 0);
    const char *job = two_dirs_tree(root);
    const char *want = "F:$/src/main.c F:$/inc2/x.h F:$/inc2/sub/y.h D:$/inc1 D:$/inc2";
    dcc_incscan_set_clock((int64_t)time(NULL) + 10);
    free(scan_both(root, job, sys, cache));
    snprintf(pack, sizeof pack, "%s/lookups", cache);
    size_t len;
    char *good = dcc_test_read_file(pack, &len);
    assert_true(len > 64);
    /* every byte flipped in turn, then every length cut: the answer stays
     * right (each such pack is read by one scan, which then writes it
     * whole again: written back damaged before the next) */
    for (size_t i = 0; i < len * 2; i += 1 + (i >= len) * 7) {
        int flip = i < len;
        char *bad = malloc(len);
        assert_non_null(bad);
        memcpy(bad, good, len);
        if (flip)
            bad[i] ^= 0x41;
        dcc_test_write_file(pack, bad, flip ? len : i - len, 0600);
        free(bad);
        char *t = scan_both(root, job, sys, cache);
        assert_string_equal(t, want);
        free(t);
    }
    /* rubbish of the right size: every lookup made again */
    char *rubbish = malloc(len);
    assert_non_null(rubbish);
    memset(rubbish, 'x', len);
    dcc_test_write_file(pack, rubbish, len, 0600);
    free(rubbish);
    unsigned long first_hits, first_misses;
    free(scan_both(root, job, sys, cache));
    dcc_incscan_lookup_counts(&first_hits, &first_misses);
    assert_int_equal(first_hits, 0);
    assert_true(first_misses >= 4);
    free(good);
    dcc_incscan_set_clock(0);
    dcc_test_rmtree(cache);
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_give_up_on_unreadable_file(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip();
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    write_file(root, "main.c", "#include \"secret.h\"\n");
    write_file(root, "secret.h", "");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/secret.h", root);
    assert_int_equal(chmod(path, 0), 0);
    expect_give_up(root, "gcc -c main.c", sys, "secret.h: cannot read: Permission denied");
    dcc_argv_free(sys);
    remove_root(root);
}

static void test_give_up_on_too_many_files(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = fake_sysdirs(root);
    struct dcc_buf src = {0};
    for (int i = 0; i < DCC_INCSCAN_MAX_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "h/%d.h", i);
        write_file(root, name, "");
        assert_int_equal(dcc_buf_printf(&src, "#include \"h/%d.h\"\n", i), 0);
    }
    write_file(root, "main.c", src.data);
    expect_give_up(root, "gcc -c main.c", sys, "more than 20000 files");
    dcc_buf_free(&src);
    dcc_argv_free(sys);
    remove_root(root);
}

/* ---- the compiler's system directories ---- */

static void test_sysdirs_of_the_real_gcc(void **state)
{
    (void)state;
    char **dirs = NULL;
    char err[300] = "";
    char *argv[] = {"gcc", "-O2", "-I/nowhere", "-c", "x.c", NULL};
    assert_int_equal(dcc_incscan_sysdirs("/usr/bin/gcc", argv, NULL, &dirs, err, sizeof err), 0);
    int has_usr_include = 0;
    for (size_t i = 0; dirs[i]; i++) {
        has_usr_include |= strcmp(dirs[i], "/usr/include") == 0;
        assert_null(strstr(dirs[i], "/.."));
        assert_string_not_equal(dirs[i], "/nowhere");
    }
    assert_true(has_usr_include);
    dcc_argv_free(dirs);

    char *nostd[] = {"gcc", "-nostdinc", "-c", "x.c", NULL};
    assert_int_equal(dcc_incscan_sysdirs("/usr/bin/gcc", nostd, NULL, &dirs, err, sizeof err), 0);
    assert_null(dirs[0]);
    dcc_argv_free(dirs);

    assert_int_equal(dcc_incscan_sysdirs("/nonexistent/gcc", argv, NULL, &dirs, err, sizeof err),
                     110);
    assert_string_equal(err, "cannot run /nonexistent/gcc: No such file or directory");
    assert_null(dirs);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_sysdirs_cache(void **state)
{
    (void)state;
    char *root = make_root();
    char compiler[PATH_MAX], runs[PATH_MAX], cache[PATH_MAX], script[PATH_MAX * 2 + 400];
    snprintf(compiler, sizeof compiler, "%s/fakecc", root);
    snprintf(runs, sizeof runs, "%s/runs", root);
    snprintf(cache, sizeof cache, "%s/cache", root);
    make_dirs(cache);
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "echo \"$* LC_ALL=$LC_ALL\" >> %s\n"
             "echo 'ignoring nonexistent directory \"/x\"' >&2\n"
             "echo '#include \"...\" search starts here:' >&2\n"
             "echo '#include <...> search starts here:' >&2\n"
             "echo ' /fake/lib/gcc/12/../../../include' >&2\n"
             "echo ' /fake/usr//include/' >&2\n"
             "echo 'End of search list.' >&2\n",
             runs);
    write_file(root, "fakecc", script);
    assert_int_equal(chmod(compiler, 0755), 0);

    char *argv[] = {"cc", "-m32", "-O2", "--sysroot", "/sr", "-Iinc",
                    "-x", "c++",  "-c",  "x.c",       NULL};
    char **dirs = NULL;
    char err[300] = "";
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv, cache, &dirs, err, sizeof err), 0);
    char *joined = dcc_argv_join(dirs);
    assert_string_equal(joined, "/fake/include /fake/usr/include");
    free(joined);
    dcc_argv_free(dirs);
    assert_int_equal(count_lines(runs), 1);
    assert_string_equal(read_all(runs), "-m32 -O2 --sysroot /sr -E -v -x c++ /dev/null LC_ALL=C\n");

    /* Same inputs: answered from the cache, the compiler does not run. */
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv, cache, &dirs, err, sizeof err), 0);
    joined = dcc_argv_join(dirs);
    assert_string_equal(joined, "/fake/include /fake/usr/include");
    free(joined);
    dcc_argv_free(dirs);
    assert_int_equal(count_lines(runs), 1);

    /* One cache file, named by the hash. */
    char cmd[PATH_MAX + 100];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c '^sysdirs-[0-9a-f]\\{16\\}$' | grep -qx 1", cache);
    assert_int_equal(system(cmd), 0);

    /* A corrupt cache file is ignored and rewritten. */
    snprintf(cmd, sizeof cmd,
             "for f in %s/sysdirs-*; do printf 'dcc-incscan-sysdirs 1\\n/trunc' > $f; done", cache);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv, cache, &dirs, err, sizeof err), 0);
    joined = dcc_argv_join(dirs);
    assert_string_equal(joined, "/fake/include /fake/usr/include");
    free(joined);
    dcc_argv_free(dirs);
    assert_int_equal(count_lines(runs), 2);
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv, cache, &dirs, err, sizeof err), 0);
    dcc_argv_free(dirs);
    assert_int_equal(count_lines(runs), 2);
    /* So is one with something after its end mark. */
    snprintf(cmd, sizeof cmd,
             "for f in %s/sysdirs-*; do printf 'dcc-incscan-sysdirs 1\\n/x\\n.\\n/y\\n' > $f; done",
             cache);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv, cache, &dirs, err, sizeof err), 0);
    joined = dcc_argv_join(dirs);
    assert_string_equal(joined, "/fake/include /fake/usr/include");
    free(joined);
    dcc_argv_free(dirs);
    assert_int_equal(count_lines(runs), 3);

    /* Other options that change the directories, or a changed compiler: run again. */
    char *argv2[] = {"cc", "-m64", "-c", "x.cc", NULL};
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv2, cache, &dirs, err, sizeof err), 0);
    dcc_argv_free(dirs);
    assert_int_equal(count_lines(runs), 4);
    write_file(root, "fakecc", script); /* same size: mtime/inode still differ */
    assert_int_equal(chmod(compiler, 0755), 0);
    struct timespec later[2] = {{0, UTIME_OMIT}, {2000000000, 0}};
    assert_int_equal(utimensat(AT_FDCWD, compiler, later, 0), 0);
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv2, cache, &dirs, err, sizeof err), 0);
    dcc_argv_free(dirs);
    assert_int_equal(count_lines(runs), 5);
    remove_root(root);
}

static void test_sysdirs_errors(void **state)
{
    (void)state;
    char *root = make_root();
    char compiler[PATH_MAX];
    snprintf(compiler, sizeof compiler, "%s/fakecc", root);
    char *argv[] = {"cc", "-c", "x.c", NULL};
    char **dirs = NULL;
    char err[PATH_MAX + 200] = "";
    char want[PATH_MAX + 200];

    write_file(root, "fakecc", "#!/bin/sh\necho 'no list here' >&2\n");
    assert_int_equal(chmod(compiler, 0755), 0);
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv, NULL, &dirs, err, sizeof err), 100);
    snprintf(want, sizeof want, "%s -v printed no \"#include <...> search starts here:\" list",
             compiler);
    assert_string_equal(err, want);
    assert_null(dirs);

    write_file(root, "fakecc", "#!/bin/sh\nexit 3\n");
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv, NULL, &dirs, err, sizeof err), 100);
    snprintf(want, sizeof want,
             "%s -E -v -x c /dev/null failed (exit status 3) while listing its include directories",
             compiler);
    assert_string_equal(err, want);

    assert_int_equal(chmod(compiler, 0644), 0);
    assert_int_equal(dcc_incscan_sysdirs(compiler, argv, NULL, &dirs, err, sizeof err), 110);
    snprintf(want, sizeof want, "cannot run %s: Permission denied", compiler);
    if (geteuid() != 0)
        assert_string_equal(err, want);
    remove_root(root);
}

static void test_normalise(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"/a/b", "c", "/a/b/c"},
        {"/a/b", "../c", "/a/c"},
        {"/a/b", "../../../c", "/c"},
        {"/a/b", "/x//y/./z/", "/x/y/z"},
        {"/", ".", "/"},
        {"/a", "..", "/"},
        {"/a/", "./b/../c/", "/a/c"},
        {"/a", "b/..//..//c", "/c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *n = dcc_incscan_normalise(cases[i][0], cases[i][1]);
        assert_non_null(n);
        assert_string_equal(n, cases[i][2]);
        free(n);
    }
}

/* ---- following the preprocessor ---- */

struct cond_case {
    const char *what, *predefs, *line, *main, *expected; /* expected: the list, or "!why" */
};

static const struct cond_case cond_cases[] = {
    {"a computed include under a false condition is not followed", "", "gcc -c main.c",
     "#if defined(PROJECT_USER_H)\n#include PROJECT_USER_H\n#endif\n#include \"a.h\"\n",
     "F:$/main.c F:$/a.h D:$"},
    {"a computed include whose macro comes from -D", "", "gcc -DCFG_H=\"cfg.h\" -c main.c",
     "#include CFG_H\n", "F:$/main.c F:$/cfg.h D:$"},
    {"#ifdef with -D takes one branch", "", "gcc -DUSE_X -c main.c",
     "#ifdef USE_X\n#include \"x.h\"\n#else\n#include \"y.h\"\n#endif\n", "F:$/main.c F:$/x.h D:$"},
    {"-U after -D undoes it", "", "gcc -DUSE_X -UUSE_X -c main.c",
     "#ifdef USE_X\n#include \"x.h\"\n#else\n#include \"y.h\"\n#endif\n", "F:$/main.c F:$/y.h D:$"},
    {"#elif and arithmetic on the compiler's macros", "#define __GNUC__ 12\n#define __x86_64__ 1\n",
     "gcc -c main.c",
     "#if __GNUC__ < 4\n#include \"old.h\"\n#elif __GNUC__ * 100 >= 1200 && defined __x86_64__\n"
     "#include \"new.h\"\n#else\n#include \"other.h\"\n#endif\n",
     "F:$/main.c F:$/new.h D:$"},
    {"a condition the scan cannot decide takes both branches", "", "gcc -c main.c",
     "#if __has_builtin(__builtin_expect)\n#include \"x.h\"\n#elif 1\n#include \"y.h\"\n#else\n"
     "#include \"z.h\"\n#endif\n",
     "F:$/main.c F:$/x.h F:$/y.h D:$"},
    {"a macro set in such a branch is unknown after it", "", "gcc -c main.c",
     "#if __has_attribute(x)\n#define X 1\n#endif\n#if X\n#include \"x.h\"\n#else\n"
     "#include \"y.h\"\n#endif\n",
     "F:$/main.c F:$/x.h F:$/y.h D:$"},
    {"a computed include of such a macro gives up", "", "gcc -c main.c",
     "#if __has_attribute(x)\n#define H \"x.h\"\n#else\n#define H \"y.h\"\n#endif\n#include H\n",
     "!main.c:6: #include with a macro argument"},
    {"__has_include decides", "", "gcc -c main.c",
     "#if __has_include(\"x.h\")\n#include \"x.h\"\n#else\n#include \"y.h\"\n#endif\n"
     "#if __has_include(\"nothere.h\")\n#include \"z.h\"\n#endif\n",
     "F:$/main.c F:$/x.h D:$"},
    {"a header's macro names the next header", "", "gcc -c main.c",
     "#include \"config.h\"\n#include PLATFORM_H\n#include ARCH_H(io)\n",
     "F:$/main.c F:$/config.h F:$/plat/linux.h F:$/arch/x86/io.h D:$"},
    {"a system header's macro decides a user condition", "", "gcc -c main.c",
     "#include <feat.h>\n#if HAVE_X\n#include \"x.h\"\n#endif\n#ifndef HAVE_Y\n#include \"y.h\"\n"
     "#endif\n",
     "F:$/main.c F:$/x.h F:$/y.h D:$"},
    {"-imacros defines what the source uses", "", "gcc -imacros config.h -c main.c",
     "#include PLATFORM_H\n", "F:$/main.c F:$/config.h F:$/plat/linux.h D:$"},
    {"an include guard holds on the second #include", "", "gcc -c main.c",
     "#include \"guarded.h\"\n#undef G_USER\n#include \"guarded.h\"\n#if G_USER == 1\n"
     "#include \"x.h\"\n#endif\n",
     "F:$/main.c F:$/guarded.h D:$"},
    {"a file without a guard is read again with the macros of the moment", "", "gcc -c main.c",
     "#define PICK 1\n#include \"pick.h\"\n#undef PICK\n#define PICK 2\n#include \"pick.h\"\n",
     "F:$/main.c F:$/pick.h F:$/x.h F:$/y.h D:$"},
    {"a false branch's #embed and #include_next do not matter", "", "gcc -c main.c",
     "#if 0\n#embed \"a.h\"\n#include_next <a.h>\n#include BAD\n#elif 0\n#else\n#include \"x.h\"\n"
     "#endif\n",
     "F:$/main.c F:$/x.h D:$"},
    {"a header that includes itself under its guard", "", "gcc -c main.c",
     "#include \"self.h\"\n#include \"self.h\"\n", "F:$/main.c F:$/self.h F:$/x.h D:$"},
    {"#pragma once holds on the second #include", "", "gcc -c main.c",
     "#include \"once.h\"\n#undef ONCE\n#include \"once.h\"\n#ifdef ONCE\n#include \"y.h\"\n#endif\n",
     "F:$/main.c F:$/once.h D:$"},
    {"without the compiler's macros a condition on them takes both branches", NULL, "gcc -c main.c",
     "#ifdef __GNUC__\n#include \"x.h\"\n#else\n#include \"y.h\"\n#endif\n",
     "F:$/main.c F:$/x.h F:$/y.h D:$"},
};

static void test_conditions_are_followed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cond_cases / sizeof *cond_cases; i++) {
        const struct cond_case *c = &cond_cases[i];
        char *root = make_root();
        char **sys = fake_sysdirs(root);
        static const char *const empty[] = {"a.h",          "x.h",          "y.h",   "z.h",
                                            "cfg.h",        "new.h",        "old.h", "other.h",
                                            "plat/linux.h", "arch/x86/io.h"};
        for (size_t k = 0; k < sizeof empty / sizeof *empty; k++)
            write_file(root, empty[k], "");
        write_file(
            root, "config.h",
            "#define PLATFORM_H \"plat/linux.h\"\n#define STR(x) #x\n#define XSTR(x) STR(x)\n"
            "#define ARCH x86\n#define ARCH_H(f) XSTR(arch/ARCH/f.h)\n");
        write_file(root, "sys/feat.h",
                   "#ifndef FEAT_H\n#define FEAT_H\n#define HAVE_X 1\n#endif\n");
        write_file(root, "guarded.h",
                   "/* guard */\n#ifndef GUARDED_H\n#define GUARDED_H\n#define G_USER 1\n#endif\n");
        write_file(root, "pick.h",
                   "#if PICK == 1\n#include \"x.h\"\n#else\n#include \"y.h\"\n#endif\n");
        write_file(
            root, "self.h",
            "#ifndef SELF_H\n#define SELF_H\n#include \"self.h\"\n#include \"x.h\"\n#endif\n");
        write_file(root, "once.h", "#pragma once\n#define ONCE 1\n");
        write_file(root, "main.c", c->main);
        job_predefs = c->predefs;
        char *text = NULL;
        int rc = scan_job(root, c->line, sys, &text);
        job_predefs = NULL;
        if (c->expected[0] == '!') {
            if (rc != 1 || strcmp(text, c->expected + 1) != 0)
                fail_msg("%s: got %d \"%s\", want a give-up \"%s\"", c->what, rc, text,
                         c->expected + 1);
        } else {
            char want[PATH_MAX];
            snprintf(want, sizeof want, "%s", c->expected);
            if (rc != 0 || strcmp(text, want) != 0)
                fail_msg("%s: got %d \"%s\", want \"%s\"", c->what, rc, text, want);
        }
        free(text);
        dcc_argv_free(sys);
        remove_root(root);
    }
}

/* ---- speed ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void test_speed_of_a_small_job(void **state)
{
    (void)state;
    char *root = make_root();
    char **sys = NULL;
    char err[300] = "";
    char *argv0[] = {"gcc", "-c", "main.c", NULL};
    assert_int_equal(dcc_incscan_sysdirs("/usr/bin/gcc", argv0, NULL, &sys, err, sizeof err), 0);
    char *predefs = NULL;
    assert_int_equal(dcc_incscan_predefs("/usr/bin/gcc", argv0, NULL, &predefs, err, sizeof err),
                     0);
    write_file(
        root, "main.c",
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void) { return 0; }\n");
    char **argv = words("gcc -O2 -c main.c");
    struct dcc_scan scan;
    assert_int_equal(dcc_args_scan(&argv, &scan, err, sizeof err), 0);
    double t[50];
    for (int i = 0; i < 50; i++) {
        struct timespec a, b;
        struct dcc_inc_list out = {0};
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(
            dcc_incscan_run(argv, &scan, root, sys, predefs, NULL, &out, err, sizeof err), 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        t[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        dcc_inc_list_free(&out);
    }
    qsort(t, 50, sizeof *t, cmp_double);
    printf(
        "# incscan: stdio.h+stdlib.h+string.h with gcc's sysdirs: median %.3f ms (min %.3f, max %.3f) over 50 runs\n",
        t[25], t[0], t[49]);
    free(predefs);
    dcc_argv_free(argv);
    dcc_argv_free(sys);
    remove_root(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted_include_is_relative_to_the_including_file),
        cmocka_unit_test(test_iquote_comes_before_I_and_only_for_quotes),
        cmocka_unit_test(test_system_headers_are_not_listed),
        cmocka_unit_test(test_fake_system_header_reaching_a_user_override),
        cmocka_unit_test(test_include_option_is_searched_from_the_working_directory),
        cmocka_unit_test(test_lexing_of_directives),
        cmocka_unit_test(test_byte_order_mark_is_skipped),
        cmocka_unit_test(test_binary_bytes_do_not_crash),
        cmocka_unit_test(test_missing_include_is_skipped_and_duplicates_listed_once),
        cmocka_unit_test(test_directories_the_helper_needs),
        cmocka_unit_test(test_has_include_with_a_literal_is_followed),
        cmocka_unit_test(test_include_next_in_a_system_header_goes_on_after_its_directory),
        cmocka_unit_test(test_computed_include_in_a_system_header),
        cmocka_unit_test(test_common_system_headers_with_a_user_directory),
        cmocka_unit_test(test_directives_spelled_with_digraphs_and_trigraphs),
        cmocka_unit_test(test_raw_strings_follow_the_language),
        cmocka_unit_test(test_give_up_cases),
        cmocka_unit_test(test_conditions_are_followed),
        cmocka_unit_test(test_give_up_on_environment),
        cmocka_unit_test(test_give_up_on_symbolic_links),
        cmocka_unit_test(test_give_up_on_unreadable_file),
        cmocka_unit_test(test_lookup_pack_finds_headers_added_later),
        cmocka_unit_test(test_lookup_pack_does_not_keep_symbolic_links),
        cmocka_unit_test(test_lookup_pack_is_written_when_worth_it),
        cmocka_unit_test(test_lookup_pack_keeps_each_directory_of_a_path),
        cmocka_unit_test(test_lookup_pack_damaged_is_a_miss),
        cmocka_unit_test(test_give_up_on_too_many_files),
        cmocka_unit_test(test_sysdirs_of_the_real_gcc),
        cmocka_unit_test(test_sysdirs_cache),
        cmocka_unit_test(test_sysdirs_errors),
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_speed_of_a_small_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
