/* Unit tests for dcc_args: what stays local, the normalised argv, cpp and strip rewrites. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcc_args.h"
#include "proto/dcc_optcat.h"
#include "base/dcc_util.h"

static void assert_argv(char *const *argv, const char *expected)
{
    char *joined = dcc_argv_join(argv);
    assert_non_null(joined);
    assert_string_equal(joined, expected);
    free(joined);
}

/* Scans line; returns the (normalised) argv, the caller frees it. */
static char **scan_line(const char *line, struct dcc_scan *scan)
{
    char **argv = words(line);
    char err[200] = "";
    assert_int_equal(dcc_args_scan(&argv, scan, err, sizeof err), 0);
    assert_string_equal(err, "");
    return argv;
}

/* ---- jobs that are sent, and the argv they are sent with ---- */

static const struct remote_case {
    const char *line;
    const char *normalised;
    const char *input;
    const char *output;
    size_t input_idx, output_idx;
    int preprocessed, wants_deps, joined, added;
} remote_cases[] = {
    {"gcc -c foo.c", "gcc -c foo.c -o foo.o", "foo.c", "foo.o", 2, 4, 0, 0, 0, 1},
    {"gcc -c src/foo.c", "gcc -c src/foo.c -o foo.o", "src/foo.c", "foo.o", 2, 4, 0, 0, 0, 1},
    {"gcc -S src/foo.c", "gcc -S src/foo.c -o foo.s", "src/foo.c", "foo.s", 2, 4, 0, 0, 0, 1},
    {"gcc -c -S foo.cc", "gcc -c -S foo.cc -o foo.s", "foo.cc", "foo.s", 3, 5, 0, 0, 0, 1},
    {"g++ -c /abs/dir/foo.tar.cpp", "g++ -c /abs/dir/foo.tar.cpp -o foo.tar.o",
     "/abs/dir/foo.tar.cpp", "foo.tar.o", 2, 4, 0, 0, 0, 1},
    {"gcc -O2 -c foo.c -o obj/foo.o", "gcc -O2 -c foo.c -o obj/foo.o", "foo.c", "obj/foo.o", 3, 5,
     0, 0, 0, 0},
    {"gcc -o obj/foo.o -c foo.c", "gcc -o obj/foo.o -c foo.c", "foo.c", "obj/foo.o", 4, 2, 0, 0, 0,
     0},
    {"gcc -c foo.c -oobj/foo.o", "gcc -c foo.c -oobj/foo.o", "foo.c", "obj/foo.o", 2, 3, 0, 0, 1,
     0},
    {"gcc -Wp,-MD,.deps/foo.d -c foo.c -o foo.o", "gcc -MD -MF .deps/foo.d -c foo.c -o foo.o",
     "foo.c", "foo.o", 5, 7, 0, 1, 0, 0},
    {"gcc -Wp,-MMD,x.d,-DFOO -c foo.c", "gcc -MMD -MF x.d -DFOO -c foo.c -o foo.o", "foo.c",
     "foo.o", 6, 8, 0, 1, 0, 1},
    {"gcc -Wp,-D_FORTIFY_SOURCE=2 -O2 -c a.cc", "gcc -D_FORTIFY_SOURCE=2 -O2 -c a.cc -o a.o",
     "a.cc", "a.o", 4, 6, 0, 0, 0, 1},
    {"gcc -Wp,-MD -c a.c", "gcc -MD -c a.c -o a.o", "a.c", "a.o", 3, 5, 0, 1, 0, 1},
    {"gcc -Wp,-MD,a.d -Wp,-DX -c a.c", "gcc -MD -MF a.d -DX -c a.c -o a.o", "a.c", "a.o", 6, 8, 0,
     1, 0, 1},
    {"gcc -Wp, -c a.c", "gcc -c a.c -o a.o", "a.c", "a.o", 2, 4, 0, 0, 0, 1},
    {"gcc -MD -MT foo.o -c foo.c -o foo.o", "gcc -MD -MT foo.o -c foo.c -o foo.o", "foo.c", "foo.o",
     5, 7, 0, 1, 0, 0},
    /* what build systems write */
    {"cc -DFOO -I/path -O2 -MD -MT CMakeFiles/x.dir/a.c.o -MF CMakeFiles/x.dir/a.c.o.d -o CMakeFiles/x.dir/a.c.o "
     "-c /abs/src/a.c",
     "cc -DFOO -I/path -O2 -MD -MT CMakeFiles/x.dir/a.c.o -MF CMakeFiles/x.dir/a.c.o.d -o CMakeFiles/x.dir/a.c.o "
     "-c /abs/src/a.c",
     "/abs/src/a.c", "CMakeFiles/x.dir/a.c.o", 12, 10, 0, 1, 0, 0},
    {"gcc -DHAVE_CONFIG_H -I. -g -O2 -MT foo.lo -MD -MP -MF .deps/foo.Tpo -c foo.c -fPIC -DPIC -o .libs/foo.o",
     "gcc -DHAVE_CONFIG_H -I. -g -O2 -MT foo.lo -MD -MP -MF .deps/foo.Tpo -c foo.c -fPIC -DPIC -o .libs/foo.o",
     "foo.c", ".libs/foo.o", 12, 16, 0, 1, 0, 0},
    {"gcc -Wp,-MMD,arch/x86/.foo.o.d -nostdinc -include ./include/linux/kconfig.h -D__KERNEL__ -c -o foo.o foo.c",
     "gcc -MMD -MF arch/x86/.foo.o.d -nostdinc -include ./include/linux/kconfig.h -D__KERNEL__ -c -o foo.o foo.c",
     "foo.c", "foo.o", 11, 10, 0, 1, 0, 0},
    /* values of options are never the source or the output */
    {"gcc -MT x.c -MF y.c -MQ z.o -c real.c -o r.o", "gcc -MT x.c -MF y.c -MQ z.o -c real.c -o r.o",
     "real.c", "r.o", 8, 10, 0, 0, 0, 0},
    {"gcc -I inc.c -D X.c -U Y.c -include h.c -imacros m.c -isystem s.c -idirafter d.c -iquote q.c -c real.c",
     "gcc -I inc.c -D X.c -U Y.c -include h.c -imacros m.c -isystem s.c -idirafter d.c -iquote q.c -c real.c -o "
     "real.o",
     "real.c", "real.o", 18, 20, 0, 0, 0, 1},
    {"clang -Xclang -E -mllvm -S -target x86_64-pc-linux-gnu -c a.c",
     "clang -Xclang -E -mllvm -S -target "
     "x86_64-pc-linux-gnu -c a.c -o a.o",
     "a.c", "a.o", 8, 10, 0, 0, 0, 1},
    {"gcc --param max-inline-insns-single=100 -Xlinker b.o -c a.c",
     "gcc --param max-inline-insns-single=100 -Xlinker b.o -c a.c -o a.o", "a.c", "a.o", 6, 8, 0, 0,
     0, 1},
    {"gcc -isysroot sr.c --sysroot sr2.c -Xassembler as.c -Xpreprocessor pp.c -c a.c -o a.o",
     "gcc -isysroot sr.c --sysroot sr2.c -Xassembler as.c -Xpreprocessor pp.c -c a.c -o a.o", "a.c",
     "a.o", 10, 12, 0, 0, 0, 0},
    /* the language decides whether cpp is needed */
    {"gcc -c a.ii", "gcc -c a.ii -o a.o", "a.ii", "a.o", 2, 4, 1, 0, 0, 1},
    {"gcc -c a.mi -o a.o", "gcc -c a.mi -o a.o", "a.mi", "a.o", 2, 4, 1, 0, 0, 0},
    {"gcc -x c++ -c a.c", "gcc -x c++ -c a.c -o a.o", "a.c", "a.o", 4, 6, 0, 0, 0, 1},
    {"gcc -x cpp-output -c a.c", "gcc -x cpp-output -c a.c -o a.o", "a.c", "a.o", 4, 6, 1, 0, 0, 1},
    {"gcc -xc -c a.i", "gcc -xc -c a.i -o a.o", "a.i", "a.o", 3, 5, 0, 0, 0, 1},
    {"gcc -x c -x none -c a.i", "gcc -x c -x none -c a.i -o a.o", "a.i", "a.o", 6, 8, 1, 0, 0, 1},
    {"gcc -c a.c -x c++-cpp-output", "gcc -c a.c -x c++-cpp-output -o a.o", "a.c", "a.o", 2, 6, 0,
     0, 0, 1},
    {"gcc --language=objective-c -c a.m", "gcc --language=objective-c -c a.m -o a.o", "a.m", "a.o",
     3, 5, 0, 0, 0, 1},
    /* the option catalogue's spellings: gcc 12 and clang 14 take "--std c11" with its value apart, and gcc reads
     * --compile as -c and --write-dependencies as -MD */
    {"gcc --std c11 -c a.c", "gcc --std c11 -c a.c -o a.o", "a.c", "a.o", 4, 6, 0, 0, 0, 1},
    {"gcc --compile --write-dependencies a.c", "gcc --compile --write-dependencies a.c -o a.o",
     "a.c", "a.o", 3, 5, 0, 1, 0, 1},
    /* clang's -dependency-file takes the next word, which is no second source */
    {"clang -dependency-file b.c -c a.c", "clang -dependency-file b.c -c a.c -o a.o", "a.c", "a.o",
     4, 6, 0, 0, 0, 1},
};

static void test_scan_remote_jobs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof remote_cases / sizeof remote_cases[0]; i++) {
        const struct remote_case *c = &remote_cases[i];
        struct dcc_scan scan;
        char **argv = scan_line(c->line, &scan);
        print_message("# %s\n", c->line);
        assert_int_equal(scan.local_only, 0);
        assert_string_equal(scan.why_local, "");
        assert_argv(argv, c->normalised);
        assert_string_equal(scan.input, c->input);
        assert_string_equal(scan.output, c->output);
        assert_int_equal(scan.input_idx, c->input_idx);
        assert_int_equal(scan.output_idx, c->output_idx);
        assert_ptr_equal(scan.input, argv[scan.input_idx]);
        assert_ptr_equal(scan.output, argv[scan.output_idx] + (c->joined ? 2 : 0));
        assert_int_equal(scan.preprocessed, c->preprocessed);
        assert_int_equal(scan.wants_deps, c->wants_deps);
        assert_int_equal(scan.output_joined, c->joined);
        assert_int_equal(scan.output_added, c->added);
        dcc_argv_free(argv);
    }
}

static void test_scan_dash_c_and_S_flags(void **state)
{
    (void)state;
    struct dcc_scan scan;
    char **argv = scan_line("gcc -c -S foo.c", &scan);
    assert_int_equal(scan.has_dash_c, 1);
    assert_int_equal(scan.has_dash_S, 1);
    dcc_argv_free(argv);
    argv = scan_line("gcc -c foo.c", &scan);
    assert_int_equal(scan.has_dash_c, 1);
    assert_int_equal(scan.has_dash_S, 0);
    dcc_argv_free(argv);
}

/* ---- jobs that stay here, with the reason shown to the user ---- */

static const struct local_case {
    const char *line;
    const char *why;
    int exit_code;
} local_cases[] = {
    {"gcc -E foo.c", "-E: preprocessing only", 120},
    {"gcc -c -E foo.c -o foo.i", "-E: preprocessing only", 120},
    {"gcc foo.c -o foo", "no -c or -S: this is a link", 0},
    {"gcc foo.o bar.o -o prog", "no -c or -S: this is a link", 0},
    {"gcc -c conftest.c", "conftest.c: autoconf test", 0},
    {"gcc -c sub/tmp.conftest.cpp -o x.o", "tmp.conftest.cpp: autoconf test", 0},
    {"gcc -c a.c b.c", "several source files: a.c, b.c", 0},
    {"gcc -c a.c -o -", "output to stdout (-o -)", 0},
    {"gcc -c a.c -o a.o -ob.o", "several output files: a.o, b.o", 0},
    {"gcc -x assembler-with-cpp -c a.c", "-x assembler-with-cpp not distributable", 0},
    {"gcc -xgo -c a.c", "-x go not distributable", 0},
    {"gcc --language=fortran -c a.c", "-x fortran not distributable", 0},
    {"gcc -x c-header -c a.c", "-x c-header not distributable", 0},
    {"gcc -M foo.c", "-M: dependency output only", 0},
    {"gcc -MM -c foo.c", "-MM: dependency output only", 0},
    {"gcc -Wp,-M -c foo.c", "-M: dependency output only", 0},
    {"gcc -c foo.s", "foo.s: assembler input", 0},
    {"gcc -c foo.S -o foo.o", "foo.S: assembler input", 0},
    {"gcc -march=native -c a.c",
     "-march=native generates code for this machine's CPU; use distccflags to expand it", 0},
    {"gcc -mcpu=native -c a.c",
     "-mcpu=native generates code for this machine's CPU; use distccflags to expand it", 0},
    {"gcc -mtune=native -c a.c",
     "-mtune=native tunes code for this machine's CPU; use distccflags to expand it", 0},
    {"gcc -flto -c a.c", "-flto: LTO objects must come from the compiler that links them", 0},
    {"gcc -flto=auto -c a.c", "-flto=auto: LTO objects must come from the compiler that links them",
     0},
    {"gcc -Wa,-alh=a.lst -c a.c",
     "-Wa,-alh=a.lst: the assembler writes a listing or dependency file", 0},
    {"gcc -Wa,--MD,a.d -c a.c", "-Wa,--MD,a.d: the assembler writes a listing or dependency file",
     0},
    {"gcc -specs=my.specs -c a.c",
     "-specs=my.specs: a specs file on this machine changes the compiler", 0},
    {"gcc --specs=my.specs -c a.c",
     "--specs=my.specs: a specs file on this machine changes the compiler", 0},
    {"gcc -fprofile-arcs -c a.c",
     "-fprofile-arcs: profile or coverage files belong to this machine", 0},
    {"gcc -ftest-coverage -c a.c",
     "-ftest-coverage: profile or coverage files belong to this machine", 0},
    {"gcc --coverage -c a.c", "--coverage: profile or coverage files belong to this machine", 0},
    {"gcc -fprofile-generate=dir -c a.c",
     "-fprofile-generate=dir: profile or coverage files belong to this machine", 0},
    {"gcc -fprofile-use -c a.c", "-fprofile-use: profile or coverage files belong to this machine",
     0},
    {"gcc -fauto-profile=a.afdo -c a.c",
     "-fauto-profile=a.afdo: profile or coverage files belong to this machine", 0},
    {"gcc -fprofile-correction -c a.c",
     "-fprofile-correction: profile or coverage files belong to this machine", 0},
    {"gcc -fbranch-probabilities -c a.c",
     "-fbranch-probabilities: profile or coverage files belong to this machine", 0},
    {"clang -fprofile-instr-generate -c a.c",
     "-fprofile-instr-generate: profile or coverage files belong to this machine", 0},
    {"g++ -frepo -c a.cc", "-frepo: writes .rpo files next to the source", 0},
    {"gcc -dr -c a.c", "-dr: debug dumps write extra files", 0},
    {"gcc -fdump-tree-all -c a.c", "-fdump-tree-all: debug dumps write extra files", 0},
    {"gcc -save-temps -c a.c", "-save-temps: temporary files would stay on the helper", 0},
    {"gcc -gsplit-dwarf -c a.c", "-gsplit-dwarf: the .dwo file would stay on the helper", 0},
    {"gcc -fstack-usage -c a.c", "-fstack-usage: the .su file would stay on the helper", 0},
    {"gcc -fsyntax-only -c a.c", "-fsyntax-only: no object file is made", 0},
    {"gcc -### -c a.c", "-###: only prints the commands", 0},
    {"gcc -c a.c --output=a.o", "--output=a.o: only -o names the output for distcc", 0},
    {"gcc -wrapper gdb,--args -c a.c", "-wrapper: runs a program on this machine", 0},
    {"gcc -B/opt/bin -c a.c",
     "-B/opt/bin: the compiler runs programs from this machine's directories", 0},
    {"gcc -fplugin=foo.so -c a.c", "-fplugin=foo.so: plugins live on this machine", 0},
    {"clang -Xclang -load -Xclang x.so -c a.c", "-Xclang -load: plugins live on this machine", 0},
    {"gcc -c a.c -o", "-o: missing argument", 0},
    {"gcc -c a.c -MF", "-MF: missing argument", 0},
    {"gcc -c @args", "@args: response files are not read by distcc", 0},
    {"gcc -c -x c -", "source read from stdin (-)", 0},
    {"gcc -c a.c b.o", "b.o: object file input, this is a link", 0},
    {"gcc -c a.c libx.a", "libx.a: not a source file distcc distributes", 0},
    {"gcc -c foo.h", "foo.h: not a source file distcc distributes", 0},
    {"gcc -x c -c notes.txt", "notes.txt: not a source file distcc distributes", 0},
    {"gcc -c a.C b.o.d", "b.o.d: not a source file distcc distributes", 0},
    {"gcc -c", "no source file", 0},
    /* gcc's long spellings keep a job here as the options they stand for do (gcc 12: --preprocess prints the
     * preprocessed source, --dependencies only the dependencies, --profile-use reads the profile) */
    {"gcc --preprocess -c foo.c", "--preprocess: preprocessing only", 120},
    {"gcc --dependencies -c foo.c", "--dependencies: dependency output only", 0},
    {"gcc --profile-use -c a.c", "--profile-use: profile or coverage files belong to this machine",
     0},
    /* -Xassembler reaches the assembler as -Wa, does (gcc 12 writes a.lst) */
    {"gcc -Xassembler -alh=a.lst -c a.c",
     "-Xassembler -alh=a.lst: the assembler writes a listing or dependency file", 0},
    {"gcc -Wa,--defsym,x=1,-adhln=a.lst -c a.c",
     "-Wa,--defsym,x=1,-adhln=a.lst: the assembler writes a listing or dependency file", 0},
    {"clang -Xclang -plugin-arg-x -Xclang y -c a.c",
     "-Xclang -plugin-arg-x: plugins live on this machine", 0},
    /* neither gcc 12 nor clang 14 knows -param ("unrecognized command-line option"): the next word is no value of
     * it, so this is no job to send */
    {"gcc -param max-inline-insns-single=5 -c a.c",
     "max-inline-insns-single=5: not a source file distcc distributes", 0},
    /* an option that keeps the job here is reported before a missing -c */
    {"gcc -march=native foo.c",
     "-march=native generates code for this machine's CPU; use distccflags to expand it", 0},
    /* and a link is a link even with object files */
    {"gcc a.c b.o", "no -c or -S: this is a link", 0},
};

static void test_scan_local_jobs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof local_cases / sizeof local_cases[0]; i++) {
        const struct local_case *c = &local_cases[i];
        struct dcc_scan scan;
        print_message("# %s\n", c->line);
        char **argv = scan_line(c->line, &scan);
        assert_int_equal(scan.local_only, 1);
        assert_string_equal(scan.why_local, c->why);
        assert_int_equal(scan.local_exit, c->exit_code);
        dcc_argv_free(argv);
    }
}

/* An assembler listing keeps the job here however long its name (the
 * reason is cut to fit why_local). */
static void test_scan_local_long_assembler_option(void **state)
{
    (void)state;
    char line[600] = "gcc -Wa,--64,-al=";
    memset(line + strlen(line), 'x', 300);
    strcat(line, ".lst -c a.c");
    struct dcc_scan scan;
    char **argv = scan_line(line, &scan);
    assert_int_equal(scan.local_only, 1);
    assert_memory_equal(scan.why_local, "-Wa,--64,-al=xxx", 16);
    dcc_argv_free(argv);
}

static void test_scan_local_keeps_argv(void **state)
{
    (void)state;
    /* a local job runs the user's command: no -o is added to a link */
    struct dcc_scan scan;
    char **argv = scan_line("gcc foo.c -o foo", &scan);
    assert_argv(argv, "gcc foo.c -o foo");
    dcc_argv_free(argv);
}

static void test_source_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *ext;
    } cases[] = {
        {"a.c", ".i"},    {"a.i", ".i"},     {"a.cc", ".ii"},       {"a.cpp", ".ii"},
        {"a.cxx", ".ii"}, {"a.cp", ".ii"},   {"a.c++", ".ii"},      {"a.C", ".ii"},
        {"a.ii", ".ii"},  {"a.m", ".mi"},    {"a.mi", ".mi"},       {"a.mm", ".mii"},
        {"a.M", ".mii"},  {"a.mii", ".mii"}, {"dir.c/a.cc", ".ii"}, {"a.s", NULL},
        {"a.S", NULL},    {"a.h", NULL},     {"a.o", NULL},         {"a", NULL},
        {"a.", NULL},     {"dir.c/a", NULL}, {"a.CC", NULL},        {"a.f90", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *ext = dcc_args_preproc_ext(cases[i].name);
        print_message("# %s\n", cases[i].name);
        if (cases[i].ext)
            assert_string_equal(ext, cases[i].ext);
        else
            assert_null(ext);
        assert_int_equal(dcc_args_is_source(cases[i].name), cases[i].ext != NULL);
    }
}

/* "distcc x.o -o x" is implicit cc only for a ".o" name. */
static void test_is_object(void **state)
{
    (void)state;
    assert_true(dcc_args_is_object("a.o"));
    assert_true(dcc_args_is_object("dir.c/a.o"));
    assert_false(dcc_args_is_object("a.c"));
    assert_false(dcc_args_is_object("a.O"));
    assert_false(dcc_args_is_object("a.os"));
    assert_false(dcc_args_is_object("dir.o/a"));
    assert_false(dcc_args_is_object("o"));
    assert_false(dcc_args_is_object("a."));
    assert_false(dcc_args_is_object(""));
}

/* ---- the client's cpp command ---- */

static const struct {
    const char *line;
    const char *cpp;
} cpp_cases[] = {
    {"gcc -O2 -c foo.c -o obj/foo.o", "gcc -O2 -E foo.c -o /tmp/distcc_1.i"},
    {"gcc -c foo.c -oobj/foo.o -g", "gcc -E foo.c -g -o /tmp/distcc_1.i"},
    {"gcc -S -c foo.c", "gcc -E -E foo.c -o /tmp/distcc_1.i"},
    {"gcc -DX -Iinc -include cfg.h -x c++ -c foo.c -o foo.o",
     "gcc -DX -Iinc -include cfg.h -x c++ -E foo.c -o /tmp/distcc_1.i"},
    {"gcc -MD -c foo.c -o obj/foo.o",
     "gcc -MD -E foo.c -MF obj/foo.d -MQ obj/foo.o -o /tmp/distcc_1.i"},
    {"gcc -MD -MF d/foo.d -MT t -c foo.c -o foo.o",
     "gcc -MD -MF d/foo.d -MT t -E foo.c -o /tmp/distcc_1.i"},
    {"gcc -MMD -MQ q -c foo.c -o foo.o", "gcc -MMD -MQ q -E foo.c -MF foo.d -o /tmp/distcc_1.i"},
    /* -Wp,-MD goes straight to cc1, whose target ignores -o (checked against gcc 12). */
    {"gcc -Wp,-MD,k.d -c foo.c -o dir/foo.o",
     "gcc -MD -MF k.d -E foo.c -MQ foo.o -o /tmp/distcc_1.i"},
    {"gcc -MMD -c src/foo.c", "gcc -MMD -E src/foo.c -MF foo.d -o /tmp/distcc_1.i"},
    {"gcc -MD -c foo.c -o objfoo", "gcc -MD -E foo.c -MF objfoo.d -MQ objfoo -o /tmp/distcc_1.i"},
    {"clang -Xclang -S -c foo.c", "clang -Xclang -S -E foo.c -o /tmp/distcc_1.i"},
    /* gcc's --compile is -c: cpp must not compile */
    {"gcc --compile foo.c -o foo.o", "gcc -E foo.c -o /tmp/distcc_1.i"},
};

static void test_cpp_argv(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cpp_cases / sizeof cpp_cases[0]; i++) {
        struct dcc_scan scan;
        print_message("# %s\n", cpp_cases[i].line);
        char **argv = scan_line(cpp_cases[i].line, &scan);
        assert_int_equal(scan.local_only, 0);
        char **cpp = dcc_args_cpp_argv(argv, &scan, "/tmp/distcc_1.i");
        assert_non_null(cpp);
        assert_argv(cpp, cpp_cases[i].cpp);
        dcc_argv_free(cpp);
        dcc_argv_free(argv);
    }
}

/* ---- what pump mode sends, and where its dependency file goes ---- */

static const struct {
    const char *line;
    const char *deps; /* NULL: no dependency file */
    const char *sent;
} pump_cases[] = {
    {"gcc -c foo.c -o foo.o", NULL, "gcc -c foo.c -o foo.o"},
    {"gcc -MD -c src/foo.c -o obj/foo.o", "obj/foo.d", "gcc -MD -c src/foo.c -o obj/foo.o"},
    {"gcc -MMD -c src/foo.c", "foo.d", "gcc -MMD -c src/foo.c -o foo.o"},
    {"gcc -MD -MF /abs/deps/foo.d -MT t -c foo.c -o foo.o", "/abs/deps/foo.d",
     "gcc -MD -MT t -c foo.c -o foo.o"},
    {"gcc -MMD -MFk.d -Iinc -include c.h -c foo.c -o foo.o", "k.d",
     "gcc -MMD -Iinc -include c.h -c foo.c -o foo.o"},
    /* -MF without -MD/-MMD writes nothing on a compile */
    {"gcc -MF k.d -c foo.c -o foo.o", NULL, "gcc -c foo.c -o foo.o"},
    /* a value that looks like -MF stays with its option */
    {"gcc -MD -MT -MF -c foo.c -o foo.o", "foo.d", "gcc -MD -MT -MF -c foo.c -o foo.o"},
};

static void test_pump_argv_and_deps_file(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pump_cases / sizeof pump_cases[0]; i++) {
        struct dcc_scan scan;
        print_message("# %s\n", pump_cases[i].line);
        char **argv = scan_line(pump_cases[i].line, &scan);
        assert_int_equal(scan.local_only, 0);
        char *deps = dcc_args_deps_file(argv, &scan);
        if (pump_cases[i].deps)
            assert_string_equal(deps, pump_cases[i].deps);
        else
            assert_null(deps);
        free(deps);
        char **sent = dcc_args_pump_argv(argv);
        assert_non_null(sent);
        assert_argv(sent, pump_cases[i].sent);
        dcc_argv_free(sent);
        dcc_argv_free(argv);
    }
}

/* ---- what plain mode sends ---- */

static const struct {
    const char *line;
    const char *stripped;
} strip_cases[] = {
    {"gcc -DX -D Y -UZ -U W -Iinc -I inc2 -include cfg.h -includecfg2.h -imacros m.h -isystem s -isystemt "
     "-idirafter a -iprefix p -iwithprefix w -iwithprefixbefore wb -iquote q -isysroot /sr -O2 -c foo.i -o foo.o",
     "gcc -O2 -c foo.i -o foo.o"},
    {"gcc -MD -MMD -MF f.d -MFg.d -MT t -MTt -MQ q -MG -MP -g -c foo.i -o foo.o",
     "gcc -g -c foo.i -o foo.o"},
    {"gcc -undef -nostdinc -nostdinc++ -Wp,-DX -Wl,-z,now -lfoo -l bar -Lx -L y -stdlib=libc++ -c foo.i -o foo.o",
     "gcc -c foo.i -o foo.o"},
    {"gcc -Xpreprocessor -DZ -Xlinker -Bsymbolic -finput-charset=latin1 -H -P -C -A x=y -c foo.i -o foo.o",
     "gcc -c foo.i -o foo.o"},
    {"gcc --include-directory=x --define-macro Y --include=z.h -c foo.i -o foo.o",
     "gcc -c foo.i -o foo.o"},
    /* gcc's long spellings of -L, -Xlinker and -C go as those do */
    {"gcc --library-directory lib --for-linker -z --comments -c foo.i -o foo.o",
     "gcc -c foo.i -o foo.o"},
    /* what the compiler proper needs stays, in order */
    {"gcc -O2 -pipe -march=x86-64 -fPIC -fstack-protector-strong -std=gnu11 -g -Wall -fdebug-prefix-map=/a=/b "
     "-ffile-prefix-map=/c=/d -fexec-charset=UTF-8 --sysroot=/usr/sr -c foo.i -o foo.o",
     "gcc -O2 -pipe -march=x86-64 -fPIC -fstack-protector-strong -std=gnu11 -g -Wall -fdebug-prefix-map=/a=/b "
     "-ffile-prefix-map=/c=/d -fexec-charset=UTF-8 --sysroot=/usr/sr -c foo.i -o foo.o"},
    {"gcc -c foo.i -ofoo.o", "gcc -c foo.i -ofoo.o"},
    /* a value is kept with its option, even when it looks strippable */
    {"clang -Xclang -I. -mllvm -D -Xassembler -I -c a.i -o a.o",
     "clang -Xclang -I. -mllvm -D -Xassembler -I -c a.i -o a.o"},
    /* -x moves in front of the file, as the preprocessed language */
    {"gcc -x c++ -O2 -c /tmp/distcc_1.i -o foo.o",
     "gcc -O2 -c -x c++-cpp-output /tmp/distcc_1.i -o foo.o"},
    {"gcc -xc -c a.i -o a.o", "gcc -c -x cpp-output a.i -o a.o"},
    {"gcc -x objective-c -c a.mi -o a.o", "gcc -c -x objective-c-cpp-output a.mi -o a.o"},
    {"gcc -x objective-c++ -c a.mii -o a.o", "gcc -c -x objective-c++-cpp-output a.mii -o a.o"},
    {"gcc --language=c++ -c a.ii -o a.o", "gcc -c -x c++-cpp-output a.ii -o a.o"},
    {"gcc -x cpp-output -c a.i -o a.o", "gcc -c -x cpp-output a.i -o a.o"},
    {"gcc -x c -x none -c a.i -o a.o", "gcc -c a.i -o a.o"},
    {"gcc -c a.i -o a.o -x c", "gcc -c a.i -o a.o"},
};

static void test_strip_local(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof strip_cases / sizeof strip_cases[0]; i++) {
        print_message("# %s\n", strip_cases[i].line);
        char **argv = words(strip_cases[i].line);
        char **stripped = dcc_args_strip_local(argv);
        assert_non_null(stripped);
        assert_argv(stripped, strip_cases[i].stripped);
        dcc_argv_free(stripped);
        dcc_argv_free(argv);
    }
}

/* The whole client pipeline: what a stock distcc 3.4 helper receives must
 * scan back to the same input and output. */
static void test_stripped_argv_scans_on_helper(void **state)
{
    (void)state;
    struct dcc_scan scan;
    char **argv = scan_line("gcc -Wp,-MD,.deps/a.d -DX -I. -x c++ -O2 -c src/a.c", &scan);
    assert_int_equal(scan.local_only, 0);
    assert_int_equal(dcc_args_set_files(argv, &scan, "/tmp/distcc_9.i", "a.o"), 0);
    char **sent = dcc_args_strip_local(argv);
    assert_non_null(sent);
    assert_argv(sent, "gcc -O2 -c -x c++-cpp-output /tmp/distcc_9.i -o a.o");
    struct dcc_scan helper;
    char **copy = dcc_argv_dup(sent);
    char err[100];
    assert_int_equal(dcc_args_scan(&copy, &helper, err, sizeof err), 0);
    assert_int_equal(helper.local_only, 0);
    assert_string_equal(helper.input, "/tmp/distcc_9.i");
    assert_string_equal(helper.output, "a.o");
    assert_int_equal(helper.preprocessed, 1);
    char why[200] = "";
    assert_int_equal(dcc_optcat_check(copy, "gcc", NULL, why, sizeof why), 0);
    assert_string_equal(why, "");
    dcc_argv_free(copy);
    dcc_argv_free(sent);
    dcc_argv_free(argv);
}

static void test_takes_value(void **state)
{
    (void)state;
    assert_int_equal(dcc_args_takes_value("-MT"), 1);
    assert_int_equal(dcc_args_takes_value("-Xclang"), 1);
    assert_int_equal(dcc_args_takes_value("-I"), 1);
    assert_int_equal(dcc_args_takes_value("-I/x"), 0);
    assert_int_equal(dcc_args_takes_value("-c"), 0);
    assert_int_equal(dcc_args_takes_value("x.c"), 0);
}

/* ---- the helper's own file names ---- */

static const struct {
    const char *line;
    const char *after;
} set_files_cases[] = {
    {"gcc -O2 -c foo.c -o obj/foo.o", "gcc -O2 -c /job/in.i -o /job/out.o"},
    {"gcc -c foo.c -oobj/foo.o", "gcc -c /job/in.i -o/job/out.o"},
    {"gcc -c src/foo.c", "gcc -c /job/in.i -o /job/out.o"},
    {"gcc -o foo.o -MT foo.c -c foo.i", "gcc -o /job/out.o -MT foo.c -c /job/in.i"},
    {"gcc -Wp,-MD,x.d -c foo.c -o foo.o", "gcc -MD -MF x.d -c /job/in.i -o /job/out.o"},
};

static void test_set_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof set_files_cases / sizeof set_files_cases[0]; i++) {
        struct dcc_scan scan;
        print_message("# %s\n", set_files_cases[i].line);
        char **argv = scan_line(set_files_cases[i].line, &scan);
        assert_int_equal(dcc_args_set_files(argv, &scan, "/job/in.i", "/job/out.o"), 0);
        assert_argv(argv, set_files_cases[i].after);
        dcc_argv_free(argv);
    }
}

static void test_set_files_refuses_local_job(void **state)
{
    (void)state;
    struct dcc_scan scan;
    char **argv = scan_line("gcc a.c b.c -o prog", &scan);
    assert_int_equal(scan.local_only, 1);
    errno = 0;
    assert_int_equal(dcc_args_set_files(argv, &scan, "/job/in.i", "/job/out.o"), -1);
    assert_int_equal(errno, EINVAL);
    assert_argv(argv, "gcc a.c b.c -o prog");
    dcc_argv_free(argv);
}

/* ---- early start: the compiler starts before its source arrives ---- */

static const struct {
    const char *line; /* the job's argv after dcc_args_set_files */
    int rc;
    const char *after;
} early_cases[] = {
    /* the input stays where it is (a FIFO then), so the driver still picks
     * the language from it: g++ compiles a .i as C++ */
    {"gcc -O2 -c /job/x.i -o /job/x.o", 0, "gcc -O2 -c /job/x.i -o /job/x.o -pipe"},
    {"g++ -c /job/x.i -o /job/x.o", 0, "g++ -c /job/x.i -o /job/x.o -pipe"},
    {"clang++ -ObjC++ -c /job/x.mii -o /job/x.o", 0,
     "clang++ -ObjC++ -c /job/x.mii -o /job/x.o -pipe"},
    {"gcc --language=c++ -c /job/x.i -o /job/x.o", 0,
     "gcc --language=c++ -c /job/x.i -o /job/x.o -pipe"},
    {"gcc -x c++-cpp-output -c /job/x.i -o /job/x.o", 0,
     "gcc -x c++-cpp-output -c /job/x.i -o /job/x.o -pipe"},
    {"gcc -pipe -S /job/x.i -o /job/x.s", 0, "gcc -pipe -S /job/x.i -o /job/x.s"},
    /* compiles the input twice: a FIFO can be read once */
    {"gcc -fcompare-debug -c /job/x.i -o /job/x.o", 1,
     "gcc -fcompare-debug -c /job/x.i -o /job/x.o"},
    {"gcc -fcompare-debug=-g0 -c /job/x.i -o /job/x.o", 1,
     "gcc -fcompare-debug=-g0 -c /job/x.i -o /job/x.o"},
    {"gcc --compare-debug -c /job/x.i -o /job/x.o", 1,
     "gcc --compare-debug -c /job/x.i -o /job/x.o"},
};

static void test_early_start(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof early_cases / sizeof early_cases[0]; i++) {
        struct dcc_scan scan;
        print_message("# %s\n", early_cases[i].line);
        char **argv = scan_line(early_cases[i].line, &scan);
        if (early_cases[i].rc == 0)
            assert_int_equal(scan.local_only, 0);
        assert_int_equal(dcc_args_early_start(&argv, &scan), early_cases[i].rc);
        assert_argv(argv, early_cases[i].after);
        dcc_argv_free(argv);
    }
}

static void test_early_start_needs_a_remote_job(void **state)
{
    (void)state;
    struct dcc_scan scan;
    char **argv = scan_line("gcc a.i b.i -o prog", &scan);
    assert_int_equal(scan.local_only, 1);
    assert_int_equal(dcc_args_early_start(&argv, &scan), 1);
    assert_argv(argv, "gcc a.i b.i -o prog");
    dcc_argv_free(argv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_remote_jobs),
        cmocka_unit_test(test_scan_dash_c_and_S_flags),
        cmocka_unit_test(test_scan_local_jobs),
        cmocka_unit_test(test_scan_local_long_assembler_option),
        cmocka_unit_test(test_scan_local_keeps_argv),
        cmocka_unit_test(test_source_names),
        cmocka_unit_test(test_is_object),
        cmocka_unit_test(test_cpp_argv),
        cmocka_unit_test(test_strip_local),
        cmocka_unit_test(test_stripped_argv_scans_on_helper),
        cmocka_unit_test(test_takes_value),
        cmocka_unit_test(test_pump_argv_and_deps_file),
        cmocka_unit_test(test_set_files),
        cmocka_unit_test(test_set_files_refuses_local_job),
        cmocka_unit_test(test_early_start),
        cmocka_unit_test(test_early_start_needs_a_remote_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
