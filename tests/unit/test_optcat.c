/* Unit tests for dcc_optcat: the option catalogue, the canonicaliser and the helper's allow-list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcc_optcat.h"
#include "base/dcc_util.h"

/* COMPILER ARGS -c x.i -o x.o */
static char **job(const char *compiler, const char *args)
{
    char line[1024];
    snprintf(line, sizeof line, "%s %s -c x.i -o x.o", compiler, args);
    return words(line);
}

/* ---- the canonicaliser ---- */

/* The items of a parse, one "TOOL NAME=VALUE" (or "TOOL input WORD",
 * "TOOL unknown WORD") each, joined with " | ". */
static void assert_parse(const char *line, unsigned driver, const char *expected)
{
    char **argv = words(line);
    struct dcc_optcat_list list;
    char err[100] = "";
    assert_int_equal(dcc_optcat_parse(argv, driver, &list, err, sizeof err), 0);
    struct dcc_buf b = {0};
    for (size_t i = 0; i < list.n; i++) {
        const struct dcc_optcat_item *it = &list.items[i];
        const char *tool = it->tool == DCC_OPT_GCC     ? "gcc"
                           : it->tool == DCC_OPT_CLANG ? "clang"
                           : it->tool == DCC_OPT_AS    ? "as"
                                                       : "cc1";
        if (i > 0)
            assert_int_equal(dcc_buf_appends(&b, " | "), 0);
        switch (it->kind) {
        case DCC_ITEM_OPTION:
            assert_int_equal(dcc_buf_printf(&b, "%s%s %s%s%s", tool, it->via_cpp ? "/cpp" : "",
                                            it->opt->name, it->value ? "=" : "",
                                            it->value ? it->value : ""),
                             0);
            break;
        case DCC_ITEM_INPUT:
            assert_int_equal(dcc_buf_printf(&b, "%s input %s", tool, it->spelled), 0);
            break;
        case DCC_ITEM_UNKNOWN:
            assert_int_equal(dcc_buf_printf(&b, "%s unknown %s", tool, it->spelled), 0);
            break;
        case DCC_ITEM_MISSING:
            assert_int_equal(dcc_buf_printf(&b, "%s missing %s", tool, it->spelled), 0);
            break;
        }
    }
    print_message("# %s\n", line);
    assert_string_equal(b.data ? b.data : "", expected);
    dcc_buf_free(&b);
    dcc_optcat_free(&list);
    dcc_argv_free(argv);
}

static void test_parse_spellings(void **state)
{
    (void)state;
    /* separate, joined and = forms give the same item */
    assert_parse("gcc -MF x.d -MFx.d -c x.i", DCC_OPT_GCC,
                 "gcc -MF=x.d | gcc -MF=x.d | gcc -c | gcc input x.i");
    assert_parse("gcc --sysroot /usr/x --sysroot=/usr/y -isysroot/z", DCC_OPT_GCC,
                 "gcc --sysroot=/usr/x | gcc --sysroot=/usr/y | gcc -isysroot=/z");
    /* a value is never read as an option, an option never as a value */
    assert_parse("gcc -MT -wrapper -D -B -c", DCC_OPT_GCC, "gcc -MT=-wrapper | gcc -D=-B | gcc -c");
    assert_parse("gcc -O2 -fno-common -Wall -march=x86-64-v3", DCC_OPT_GCC,
                 "gcc -O=2 | gcc -f=no-common | gcc -W=all | gcc -m=arch=x86-64-v3");
    /* a separate value at the end is missing */
    assert_parse("gcc -c -MF", DCC_OPT_GCC, "gcc -c | gcc missing -MF");
}

static void test_parse_gcc_long_forms(void **state)
{
    (void)state;
    /* gcc reads --NAME as -fNAME unless it is an option of its own */
    assert_parse("gcc --plugin=/x.so --no-common --dump-tree-all=/d", DCC_OPT_GCC,
                 "gcc -fplugin=/x.so | gcc -f=no-common | gcc -fdump-=tree-all=/d");
    assert_parse("gcc --module-mapper=|cmd --compare-debug=-gtoggle", DCC_OPT_GCC,
                 "gcc -fmodule-mapper=|cmd | gcc -fcompare-debug=-gtoggle");
    assert_parse("gcc --warn-all --machine=no-sse --optimize=2 --debug=3", DCC_OPT_GCC,
                 "gcc -W=all | gcc -m=no-sse | gcc -O=2 | gcc -g=3");
    assert_parse(
        "gcc --include=a.h --include b.h --imacros=m.h --param=x=1 --param y=2", DCC_OPT_GCC,
        "gcc -include=a.h | gcc -include=b.h | gcc -imacros=m.h | gcc --param=x=1 | gcc --param=y=2");
    assert_parse("gcc --all-warnings --compile --dumpdir d/", DCC_OPT_GCC,
                 "gcc -W=all | gcc -c | gcc -dumpdir=d/");
    /* clang has no such rule */
    assert_parse("clang --plugin=/x.so -c", DCC_OPT_CLANG, "clang unknown --plugin=/x.so");
}

static void test_parse_unpacks_other_tools(void **state)
{
    (void)state;
    assert_parse("gcc -Wa,--noexecstack,-I,inc -c", DCC_OPT_GCC,
                 "gcc -Wa,=--noexecstack,-I,inc | gcc -c | as --noexecstack | as -I=inc");
    /* -Wa, and -Xassembler words reach the assembler as one list */
    assert_parse("gcc -Xassembler --MD -Wa,/tmp/d -c", DCC_OPT_GCC,
                 "gcc -Xassembler=--MD | gcc -Wa,=/tmp/d | gcc -c | as --MD=/tmp/d");
    assert_parse("gcc --for-assembler=-adhln=/tmp/l", DCC_OPT_GCC,
                 "gcc -Xassembler=-adhln=/tmp/l | as -a=dhln=/tmp/l");
    assert_parse(
        "clang -Xclang -load -Xclang /x.so -Xclang -fno-pch-timestamp", DCC_OPT_CLANG,
        "clang -Xclang=-load | clang -Xclang=/x.so | clang -Xclang=-fno-pch-timestamp | cc1 -load=/x.so | "
        "cc1 -f=no-pch-timestamp");
    /* cc1 reads -MD with a file name */
    assert_parse("gcc -Wp,-MD,/tmp/x.d,-DX", DCC_OPT_GCC,
                 "gcc -Wp,=-MD,/tmp/x.d,-DX | gcc/cpp -MD=/tmp/x.d | gcc/cpp -D=X");
    assert_parse(
        "gcc -Xpreprocessor -include -Xpreprocessor /etc/passwd", DCC_OPT_GCC,
        "gcc -Xpreprocessor=-include | gcc -Xpreprocessor=/etc/passwd | gcc/cpp -include=/etc/passwd");
    /* after an unknown option nothing more is read, not even passed words */
    assert_parse("gcc -Wa,-adhln=/x -frobnicate-everything=1 -c", DCC_OPT_GCC,
                 "gcc -Wa,=-adhln=/x | gcc -f=robnicate-everything=1 | gcc -c | as -a=dhln=/x");
    assert_parse("gcc -Wa,-adhln=/x -Zfoo -c", DCC_OPT_GCC,
                 "gcc -Wa,=-adhln=/x | gcc unknown -Zfoo");
}

static void test_driver_of_compiler_names(void **state)
{
    (void)state;
    assert_int_equal(dcc_optcat_driver("gcc"), DCC_OPT_GCC);
    assert_int_equal(dcc_optcat_driver("x86_64-pc-linux-gnu-g++-12"), DCC_OPT_GCC);
    assert_int_equal(dcc_optcat_driver("/usr/bin/clang++-14"), DCC_OPT_CLANG);
    assert_int_equal(dcc_optcat_driver("cc"), DCC_OPT_GCC | DCC_OPT_CLANG);
    assert_int_equal(dcc_optcat_driver("c++"), DCC_OPT_GCC | DCC_OPT_CLANG);
}

/* ---- the helper's policy ---- */

static const struct {
    const char *compiler;
    const char *args; /* between the compiler and "-c x.i -o x.o" */
    const char *why;
} refused_cases[] = {
    /* programs and plugins */
    {"gcc", "-wrapper /bin/sh,-c,id",
     "option \"-wrapper /bin/sh,-c,id\" is not allowed on this helper: it runs another program on the helper"},
    {"gcc", "-B/tmp/evil",
     "option \"-B/tmp/evil\" is not allowed on this helper: it makes the compiler run programs "
     "from another directory"},
    {"gcc", "-B /tmp/evil",
     "option \"-B /tmp/evil\" is not allowed on this helper: it makes the compiler run "
     "programs from another directory"},
    {"gcc", "--prefix=/tmp/",
     "option \"--prefix=/tmp/\" is not allowed on this helper: it makes the compiler run "
     "programs from another directory"},
    {"gcc", "-specs=/tmp/s",
     "option \"-specs=/tmp/s\" is not allowed on this helper: a specs file can make the "
     "compiler run any program"},
    {"gcc", "--specs s",
     "option \"--specs s\" is not allowed on this helper: a specs file can make the compiler "
     "run any program"},
    {"gcc", "-fplugin=/tmp/x.so",
     "option \"-fplugin=/tmp/x.so\" is not allowed on this helper: it loads a plugin "
     "into the compiler"},
    {"gcc", "-fplugin-arg-x-y=z",
     "option \"-fplugin-arg-x-y=z\" is not allowed on this helper: it loads a plugin "
     "into the compiler"},
    {"gcc", "-iplugindir=/tmp",
     "option \"-iplugindir=/tmp\" is not allowed on this helper: it loads a plugin into "
     "the compiler"},
    {"gcc", "-fmodule-mapper=|/bin/sh",
     "option \"-fmodule-mapper=|/bin/sh\" is not allowed on this helper: a module "
     "mapper can run another program or open a connection"},
    {"gcc", "-fcompare-debug=-wrapper",
     "option \"-fcompare-debug=-wrapper\" is not allowed on this helper: gcc "
     "reads its value as more driver options"},
    /* gcc's --NAME for -fNAME */
    {"gcc", "--plugin=/tmp/x.so",
     "option \"--plugin=/tmp/x.so\" is not allowed on this helper: it loads a plugin "
     "into the compiler"},
    {"gcc", "--module-mapper=|/bin/sh",
     "option \"--module-mapper=|/bin/sh\" is not allowed on this helper: a "
     "module mapper can run another program or open a connection"},
    {"gcc", "--compare-debug=-wrapper",
     "option \"--compare-debug=-wrapper\" is not allowed on this helper: gcc "
     "reads its value as more driver options"},
    {"gcc", "--dump-tree-all=/tmp/d",
     "option \"--dump-tree-all=/tmp/d\" is not allowed on this helper: it writes a "
     "file outside the job"},
    {"gcc", "--plugin-arg-x-y=z",
     "option \"--plugin-arg-x-y=z\" is not allowed on this helper: it loads a plugin "
     "into the compiler"},
    /* clang */
    {"clang", "-fpass-plugin=p.so",
     "option \"-fpass-plugin=p.so\" is not allowed on this helper: it loads a plugin "
     "into the compiler"},
    {"clang", "--config /tmp/evil.cfg",
     "option \"--config /tmp/evil.cfg\" is not allowed on this helper: a "
     "configuration file adds options the helper cannot see"},
    {"clang", "--config=evil.cfg",
     "option \"--config=evil.cfg\" is not allowed on this helper: a configuration "
     "file adds options the helper cannot see"},
    {"clang", "-working-directory=/tmp",
     "option \"-working-directory=/tmp\" is not allowed on this helper: it moves "
     "the compile out of the job directory"},
    {"clang", "-working-directory /tmp",
     "option \"-working-directory /tmp\" is not allowed on this helper: it moves "
     "the compile out of the job directory"},
    {"clang", "-fproc-stat-report=/tmp/r",
     "option \"-fproc-stat-report=/tmp/r\" is not allowed on this helper: it "
     "writes a file outside the job"},
    {"clang", "--gcc-toolchain=/opt/gcc",
     "option \"--gcc-toolchain=/opt/gcc\" is not allowed on this helper: it "
     "makes the compiler run tools from another directory"},
    {"clang", "-ccc-gcc-name",
     "option \"-ccc-gcc-name\" is not allowed on this helper: it makes the compiler run "
     "tools from another directory"},
    {"clang", "--ld-path=/tmp/ld",
     "option \"--ld-path=/tmp/ld\" is not allowed on this helper: it runs another "
     "program on the helper"},
    {"clang", "-fuse-ld=/tmp/ld",
     "option \"-fuse-ld=/tmp/ld\" is not allowed on this helper: it names a program by "
     "path"},
    {"clang", "-Xclang -load -Xclang /tmp/x.so",
     "option \"-Xclang -load -Xclang /tmp/x.so\" is not allowed on this "
     "helper: it loads a plugin into the compiler (clang -cc1 gets "
     "\"-load\")"},
    {"clang", "-Xclang -add-plugin -Xclang p",
     "option \"-Xclang -add-plugin -Xclang p\" is not allowed on this "
     "helper: it loads a plugin into the compiler (clang -cc1 gets "
     "\"-add-plugin\")"},
    {"clang", "-Xclang -load-pass-plugin=p.so",
     "option \"-Xclang -load-pass-plugin=p.so\" is not allowed on this "
     "helper: it loads a plugin into the compiler (clang -cc1 gets "
     "\"-load-pass-plugin=p.so\")"},
    {"clang", "-Xclang -dependency-file -Xclang /tmp/x.d",
     "option \"-Xclang -dependency-file -Xclang /tmp/x.d\" is "
     "not allowed on this helper: it writes a file outside "
     "the job (clang -cc1 gets \"-dependency-file\")"},
    {"clang", "-Xclang -o -Xclang x.o",
     "option \"-Xclang -o -Xclang x.o\" is not allowed on this helper: it makes "
     "the tool write a second output file (clang -cc1 gets \"-o\")"},
    {"clang", "-Xclang -emit-html",
     "option \"-Xclang -emit-html\" is not allowed on this helper: it is not in this "
     "helper's catalogue of clang -cc1 options (clang -cc1 gets \"-emit-html\")"},
    {"clang", "-Xclang /etc/passwd",
     "option \"-Xclang /etc/passwd\" is not allowed on this helper: clang -cc1 would "
     "read another input file (clang -cc1 gets \"/etc/passwd\")"},
    {"clang", "-mllvm -load=/tmp/x.so",
     "option \"-mllvm -load=/tmp/x.so\" is not allowed on this helper: it passes "
     "LLVM an option that loads a plugin or names a path"},
    {"clang", "-mllvm -info-output-file=/tmp/x",
     "option \"-mllvm -info-output-file=/tmp/x\" is not allowed on this "
     "helper: it passes LLVM an option that loads a plugin or names a "
     "path"},
    /* the assembler, however it is reached */
    {"gcc", "-Wa,@/etc/x",
     "option \"-Wa,@/etc/x\" is not allowed on this helper: a response file would be read "
     "from the helper's disk"},
    {"gcc", "-Wa,--noexecstack,@/etc/x",
     "option \"-Wa,--noexecstack,@/etc/x\" is not allowed on this helper: a "
     "response file would be read from the helper's disk (the assembler gets "
     "\"@/etc/x\")"},
    {"gcc", "-Wa,-adhln=/tmp/l",
     "option \"-Wa,-adhln=/tmp/l\" is not allowed on this helper: it writes a file "
     "outside the job (the assembler gets \"-adhln=/tmp/l\")"},
    {"gcc", "-Wa,--noexecstack,--MD,/tmp/d",
     "option \"-Wa,--noexecstack,--MD,/tmp/d\" is not allowed on this "
     "helper: it makes the tool write a second output file (the assembler "
     "gets \"--MD\")"},
    {"gcc", "-Wa,-o,/tmp/x",
     "option \"-Wa,-o,/tmp/x\" is not allowed on this helper: it makes the tool write a "
     "second output file (the assembler gets \"-o\")"},
    {"gcc", "-Wa,/tmp/extra.s",
     "option \"-Wa,/tmp/extra.s\" is not allowed on this helper: the assembler would "
     "read another input file (the assembler gets \"/tmp/extra.s\")"},
    {"gcc", "-Wa,--reduce-memory-overheads",
     "option \"-Wa,--reduce-memory-overheads\" is not allowed on this "
     "helper: it is not in this helper's catalogue of assembler options (the "
     "assembler gets \"--reduce-memory-overheads\")"},
    {"gcc", "-Xassembler -adhln=/tmp/l",
     "option \"-Xassembler -adhln=/tmp/l\" is not allowed on this helper: it "
     "writes a file outside the job (the assembler gets \"-adhln=/tmp/l\")"},
    {"gcc", "-Xassembler --MD -Xassembler d",
     "option \"-Xassembler --MD -Xassembler d\" is not allowed on this "
     "helper: it makes the tool write a second output file (the assembler "
     "gets \"--MD\")"},
    {"gcc", "--for-assembler=-adhln=/tmp/l",
     "option \"--for-assembler=-adhln=/tmp/l\" is not allowed on this "
     "helper: it writes a file outside the job (the assembler gets "
     "\"-adhln=/tmp/l\")"},
    {"gcc", "--for-assembler --MD=/tmp/d",
     "option \"--for-assembler --MD=/tmp/d\" is not allowed on this helper: "
     "it makes the tool write a second output file (the assembler gets "
     "\"--MD=/tmp/d\")"},
    /* the preprocessor */
    {"gcc", "-Wp,-MD,/tmp/x.d",
     "option \"-Wp,-MD,/tmp/x.d\" is not allowed on this helper: it writes a file "
     "outside the job (the preprocessor gets \"-MD\")"},
    {"gcc", "-Wp,-DX,-include,/etc/passwd",
     "option \"-Wp,-DX,-include,/etc/passwd\" is not allowed on this helper: "
     "it reads a file outside the job (the preprocessor gets \"-include\")"},
    {"gcc", "-Xpreprocessor -imacros -Xpreprocessor /etc/x",
     "option \"-Xpreprocessor -imacros -Xpreprocessor "
     "/etc/x\" is not allowed on this helper: it reads a "
     "file outside the job (the preprocessor gets "
     "\"-imacros\")"},
    {"gcc", "-Wp,-O2",
     "option \"-Wp,-O2\" is not allowed on this helper: it is not a preprocessor option (the "
     "preprocessor gets \"-O2\")"},
    /* response files, wherever they are */
    {"gcc", "@/etc/passwd",
     "option \"@/etc/passwd\" is not allowed on this helper: a response file would be read "
     "from the helper's disk"},
    {"gcc", "-D @x",
     "option \"@x\" is not allowed on this helper: a response file would be read from the helper's "
     "disk"},
    {"gcc", "-Xlinker @x",
     "option \"@x\" is not allowed on this helper: a response file would be read from the "
     "helper's disk"},
    {"gcc", "-MQ@opts",
     "option \"-MQ@opts\" is not allowed on this helper: a response file would be read from the "
     "helper's disk"},
    {"gcc", "-D@opts",
     "option \"-D@opts\" is not allowed on this helper: a response file would be read from the "
     "helper's disk"},
    {"gcc", "-include@h",
     "option \"-include@h\" is not allowed on this helper: a response file would be read from "
     "the helper's disk"},
    {"gcc", "-o@opts",
     "option \"-o@opts\" is not allowed on this helper: a response file would be read from the "
     "helper's disk"},
    /* reads */
    {"gcc", "-include /etc/passwd",
     "option \"-include /etc/passwd\" is not allowed on this helper: it reads a file "
     "outside the job"},
    {"gcc", "-include/etc/passwd",
     "option \"-include/etc/passwd\" is not allowed on this helper: it reads a file "
     "outside the job"},
    {"gcc", "-include ../x.h",
     "option \"-include ../x.h\" is not allowed on this helper: it reads a file outside "
     "the job"},
    {"gcc", "-include /usr/../etc/passwd",
     "option \"-include /usr/../etc/passwd\" is not allowed on this helper: it "
     "reads a file outside the job"},
    {"gcc", "--include=/etc/x",
     "option \"--include=/etc/x\" is not allowed on this helper: it reads a file outside "
     "the job"},
    {"gcc", "--imacros /etc/x",
     "option \"--imacros /etc/x\" is not allowed on this helper: it reads a file outside "
     "the job"},
    {"clang", "-include-pch /tmp/x.pch",
     "option \"-include-pch /tmp/x.pch\" is not allowed on this helper: it "
     "reads a file outside the job"},
    {"clang", "-ivfsoverlay /tmp/v.yaml",
     "option \"-ivfsoverlay /tmp/v.yaml\" is not allowed on this helper: it "
     "reads a file outside the job"},
    {"gcc", "-fprofile-use=/home/u/p",
     "option \"-fprofile-use=/home/u/p\" is not allowed on this helper: it reads "
     "a file outside the job"},
    {"gcc", "-fauto-profile=/x.afdo",
     "option \"-fauto-profile=/x.afdo\" is not allowed on this helper: it reads a "
     "file outside the job"},
    {"clang", "-fsanitize-ignorelist=../x",
     "option \"-fsanitize-ignorelist=../x\" is not allowed on this helper: "
     "it reads a file outside the job"},
    {"clang", "-fmodule-file=m=/etc/x",
     "option \"-fmodule-file=m=/etc/x\" is not allowed on this helper: it reads "
     "a file outside the job"},
    /* sysroots */
    {"gcc", "--sysroot=/etc",
     "option \"--sysroot=/etc\" is not allowed on this helper: the sysroot is outside the "
     "allowed prefixes"},
    {"gcc", "--sysroot /home/x",
     "option \"--sysroot /home/x\" is not allowed on this helper: the sysroot is "
     "outside the allowed prefixes"},
    {"gcc", "-isysroot/opt/sdk",
     "option \"-isysroot/opt/sdk\" is not allowed on this helper: the sysroot is "
     "outside the allowed prefixes"},
    {"gcc", "--sysroot=/usr/../etc",
     "option \"--sysroot=/usr/../etc\" is not allowed on this helper: the sysroot "
     "is outside the allowed prefixes"},
    {"gcc", "--sysroot=/usrlocal",
     "option \"--sysroot=/usrlocal\" is not allowed on this helper: the sysroot is "
     "outside the allowed prefixes"},
    /* writes */
    {"gcc", "-MD -MF /tmp/x.d",
     "option \"-MF /tmp/x.d\" is not allowed on this helper: it writes a file outside "
     "the job"},
    {"gcc", "-MF../x.d",
     "option \"-MF../x.d\" is not allowed on this helper: it writes a file outside the job"},
    {"clang", "-MJ /tmp/j",
     "option \"-MJ /tmp/j\" is not allowed on this helper: it writes a file outside the job"},
    {"gcc", "-fdump-tree-all=/tmp/d",
     "option \"-fdump-tree-all=/tmp/d\" is not allowed on this helper: it writes a "
     "file outside the job"},
    {"gcc", "-fopt-info-vec=/tmp/o",
     "option \"-fopt-info-vec=/tmp/o\" is not allowed on this helper: it writes a "
     "file outside the job"},
    {"gcc", "-aux-info /tmp/a",
     "option \"-aux-info /tmp/a\" is not allowed on this helper: it writes a file "
     "outside the job"},
    {"gcc", "-dumpdir /tmp/",
     "option \"-dumpdir /tmp/\" is not allowed on this helper: it writes a file outside "
     "the job"},
    {"gcc", "--dumpbase ../x",
     "option \"--dumpbase ../x\" is not allowed on this helper: it writes a file outside "
     "the job"},
    {"gcc", "-save-temps=/tmp",
     "option \"-save-temps=/tmp\" is not allowed on this helper: it writes a file "
     "outside the job"},
    {"gcc", "-fprofile-generate=/tmp/p",
     "option \"-fprofile-generate=/tmp/p\" is not allowed on this helper: it "
     "writes a file outside the job"},
    {"clang", "-ftime-trace=/tmp/t",
     "option \"-ftime-trace=/tmp/t\" is not allowed on this helper: it writes a "
     "file outside the job"},
    {"clang", "--serialize-diagnostics /tmp/d",
     "option \"--serialize-diagnostics /tmp/d\" is not allowed on this "
     "helper: it writes a file outside the job"},
    {"gcc", "--output=/tmp/x.o",
     "option \"--output=/tmp/x.o\" is not allowed on this helper: it names an output "
     "file the helper does not choose; use -o"},
    /* what the catalogue does not know, or knows for the other compiler */
    {"gcc", "-frobnicate=/tmp/x",
     "option \"-frobnicate=/tmp/x\" is not allowed on this helper: it is not in this "
     "helper's catalogue of gcc options"},
    {"gcc", "-fstack-protector-strong=1",
     "option \"-fstack-protector-strong=1\" is not allowed on this helper: it "
     "is not in this helper's catalogue of gcc options"},
    {"gcc", "-Xclang -load -Xclang /tmp/x.so",
     "option \"-Xclang\" is not allowed on this helper: it is not in this "
     "helper's catalogue of gcc options"},
    {"gcc", "-target -wrapper /bin/sh",
     "option \"-target\" is not allowed on this helper: it is not in this "
     "helper's catalogue of gcc options"},
    {"clang", "-wrapper /bin/sh",
     "option \"-wrapper\" is not allowed on this helper: it is not in this helper's "
     "catalogue of clang options"},
    {"clang", "-gen-cdb-fragment-path /tmp/cdb",
     "option \"-gen-cdb-fragment-path /tmp/cdb\" is not allowed on "
     "this helper: it writes a file outside the job"},
    {"clang", "-fmodules",
     "option \"-fmodules\" is not allowed on this helper: clang keeps its module cache "
     "outside the job"},
    {"cc", "-Xclang -fno-pch-timestamp",
     "option \"-Xclang\" is not allowed on this helper: it is not in this "
     "helper's catalogue of gcc options"},
    {"cc", "--no-common",
     "option \"--no-common\" is not allowed on this helper: it is not in this helper's "
     "catalogue of clang options"},
};

static void test_policy_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refused_cases / sizeof refused_cases[0]; i++) {
        print_message("# %s %s\n", refused_cases[i].compiler, refused_cases[i].args);
        char **argv = job(refused_cases[i].compiler, refused_cases[i].args);
        char why[400] = "";
        assert_int_equal(dcc_optcat_check(argv, refused_cases[i].compiler, NULL, why, sizeof why),
                         -1);
        assert_string_equal(why, refused_cases[i].why);
        dcc_argv_free(argv);
    }
}

/* What Gentoo builds put on compile lines, and what a stock distcc client
 * sends; each must pass on its own, for gcc and for clang. */
static const char *const ordinary_both[] = {
    "-O2",
    "-O3",
    "-Os",
    "-Og",
    "-W",
    "-W -Wall",
    "-pipe",
    "-march=x86-64",
    "-mtune=generic",
    "-march=x86-64-v3",
    "-fPIC",
    "-fpic",
    "-fPIE",
    "-fstack-protector-strong",
    "-D_FORTIFY_SOURCE=2",
    "-U_FORTIFY_SOURCE",
    "-g",
    "-ggdb",
    "-ggdb3",
    "-gdwarf-5",
    "-gz",
    "-Wall",
    "-Wextra",
    "-Werror=format-security",
    "-Werror=implicit-function-declaration",
    "-Wno-unused-parameter",
    "-Wframe-larger-than=2048",
    "-std=gnu11",
    "-std=c++17",
    "-fno-strict-aliasing",
    "-ffunction-sections",
    "-fdata-sections",
    "-fdebug-prefix-map=/var/tmp/portage/x=/usr/src/debug/x",
    "-ffile-prefix-map=/a=/b",
    "-fmacro-prefix-map=/a=.",
    "-x c",
    "-x c++",
    "-xc",
    "-x cpp-output",
    "-MD -MT x.o",
    "-MMD -MP -MQ x.o",
    "-MD -MF x.d",
    "-MF .deps/x.Tpo",
    "-fcf-protection",
    "-fcf-protection=full",
    "-fstack-clash-protection",
    "-fno-plt",
    "-fvisibility=hidden",
    "-fvisibility-inlines-hidden",
    "-fno-semantic-interposition",
    "-fexceptions",
    "-fno-omit-frame-pointer",
    "-fsanitize=address",
    "-fsanitize=undefined",
    "-fno-sanitize-recover=all",
    "-pthread",
    "-m64",
    "-m32",
    "-mno-avx",
    "-fopenmp",
    "-frecord-gcc-switches",
    "-fdiagnostics-color=always",
    "-fdiagnostics-color",
    "-fuse-ld=lld",
    "-fuse-ld=gold",
    "-Wl,-O1",
    "-Wl,--as-needed",
    "-Wl,-z,relro",
    "-Xlinker -Bsymbolic",
    "-lm",
    "-L/usr/lib64",
    "-L.",
    "-I/usr/include/glib-2.0",
    "-I../include",
    "-I/home/u/src/include",
    "-I .",
    "-isystem /usr/include/foo",
    "-iquote ../src",
    "-idirafter /opt/inc",
    "-include config.h",
    "-include /usr/include/stdio.h",
    "-imacros ./defs.h",
    "--sysroot=/",
    "--sysroot=/usr/aarch64-unknown-linux-gnu",
    "--sysroot /usr/x",
    "-isysroot /usr",
    "--sysroot=",
    "-Wa,--noexecstack",
    "-Wa,-mrelax-relocations=no",
    "-Wa,--compress-debug-sections=zlib",
    "-Wa,-I,.",
    "-Wa,--gdwarf-5",
    "-Xassembler --noexecstack",
    "-Wp,-D_FORTIFY_SOURCE=3",
    "-Wp,-D_GLIBCXX_ASSERTIONS,-UNDEBUG",
    "-Wp,-MD,x.d",
    "-Xpreprocessor -DX",
    "-fno-integrated-as",
    "--param=ssp-buffer-size=4",
    "--param ssp-buffer-size=4",
    "-fprofile-update=atomic",
    "-fprofile-use",
    "-fprofile-use=x.gcda",
    "-fprofile-generate",
    "-fdump-tree-all",
    "-save-temps",
    "-save-temps=obj",
    "-save-temps=cwd",
    "-fstack-usage",
    "-gsplit-dwarf",
    "-flto",
    "-flto=auto",
    "-flto=thin",
    "-ffat-lto-objects",
    "-o /home/u/build/obj/x.o",
    "-ox.o",
    "-v",
    "-fsyntax-only",
    "-D X=@",
    "-DVERSION=\"1.0\"",
    "-DPATH=/usr/share/x",
    "-w",
    "-pedantic",
    "-ansi",
    "-fno-common",
    "-fwrapv",
    "-ftrivial-auto-var-init=zero",
    "-ffp-contract=fast",
    "-fexcess-precision=standard",
    "-frandom-seed=abc",
    "-ftls-model=initial-exec",
    "-fsigned-char",
    "-funsigned-char",
    "-fno-builtin",
    "-fno-exceptions",
    "-fno-rtti",
    "-mno-red-zone",
    "-mcmodel=kernel",
    "-mindirect-branch=thunk-extern",
    "-mfpmath=sse",
    "-msse4.2",
    "-fmessage-length=0",
    "-ftemplate-depth=900",
    "-fno-delete-null-pointer-checks",
    "-fno-lto",
    "-fPIC -DPIC",
};

static const char *const ordinary_gcc[] = {
    "-fdump-tree-optimized=opt.txt",
    "-fopt-info-vec-missed",
    "-fopt-info-vec=vec.txt",
    "-fcallgraph-info=su",
    "-fcompare-debug",
    "-dumpbase x",
    "-fdiagnostics-add-output=sarif:file=x.sarif",
    "-fdiagnostics-format=json",
    "-fmodules-ts",
    "-fzero-call-used-regs=used",
    "-fstack-check=specific",
    "-flto-partition=one",
    "-fmax-errors=5",
    "--no-common",
    "--warn-all",
    "--optimize=2",
    "-fno-gnu-unique",
    "-fconcepts",
    "-fcoroutines",
    "-fharden-compares",
    "-Wa,-adhln",
    "-Wa,-adhln=x.lst",
    "-fipa-pta",
    "-fgraphite-identity",
    "-floop-nest-optimize",
    "-fstrong-eval-order=all",
    "-falign-functions=32",
    "-fpermitted-flt-eval-methods=c11",
    "-dD",
    "-fdirectives-only",
    "-fpreprocessed",
    "-fworking-directory",
    "-Wp,-MMD,.deps/x.d",
    "-Xpreprocessor -include -Xpreprocessor cfg.h",
    "-fasynchronous-unwind-tables",
};

static const char *const ordinary_clang[] = {
    "-no-integrated-as",
    "-Xclang -fcolor-diagnostics",
    "-Xclang -fno-pch-timestamp",
    "-Xclang -disable-O0-optnone",
    "-mllvm -inline-threshold=100",
    "-target x86_64-pc-linux-gnu",
    "--target=aarch64-linux-gnu",
    "-stdlib=libc++",
    "-fsanitize-ignorelist=/usr/share/ignore.txt",
    "-ftime-trace",
    "-ftime-trace=t.json",
    "-Qunused-arguments",
    "-fcolor-diagnostics",
    "-ferror-limit=0",
    "-Rpass=inline",
    "-fproc-stat-report",
    "-fproc-stat-report=stats.csv",
    "-fmodules-ts",
    "-MJ x.json",
    "-gline-tables-only",
    "-fdebug-compilation-dir=.",
    "-fexperimental-new-pass-manager",
    "-Wno-unused-command-line-argument",
    "-emit-llvm",
    "-rtlib=compiler-rt",
    "-fopenmp=libomp",
    "-Wno-#pragma-messages",
    "-W#warnings",
    "-ftrapv-handler my_handler",
    "-fdebug-compilation-dir .",
    "--std c11",
    "-mthread-model posix",
};

static void assert_allowed(const char *compiler, const char *args)
{
    print_message("# %s %s\n", compiler, args);
    char **argv = job(compiler, args);
    char why[400] = "";
    assert_int_equal(dcc_optcat_check(argv, compiler, NULL, why, sizeof why), 0);
    assert_string_equal(why, "");
    dcc_argv_free(argv);
}

static void test_policy_allows_ordinary_flags(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ordinary_both / sizeof ordinary_both[0]; i++) {
        assert_allowed("gcc", ordinary_both[i]);
        assert_allowed("clang", ordinary_both[i]);
    }
    for (size_t i = 0; i < sizeof ordinary_gcc / sizeof ordinary_gcc[0]; i++)
        assert_allowed("x86_64-pc-linux-gnu-gcc", ordinary_gcc[i]);
    for (size_t i = 0; i < sizeof ordinary_clang / sizeof ordinary_clang[0]; i++)
        assert_allowed("clang++-14", ordinary_clang[i]);
}

static void test_policy_allows_a_gentoo_command(void **state)
{
    (void)state;
    char **argv = words(
        "x86_64-pc-linux-gnu-gcc -DHAVE_CONFIG_H -I. -I.. -isystem /usr/include/glib-2.0 "
        "-O2 -pipe -march=x86-64 -mtune=generic -fstack-protector-strong -D_FORTIFY_SOURCE=2 "
        "-fPIC -g -ggdb -Wall -std=gnu11 -fno-strict-aliasing -MD -MT libfoo_la-foo.lo "
        "-MF .deps/libfoo_la-foo.Tpo -x c -c /tmp/distcc_4f2a.i -o .libs/libfoo_la-foo.o");
    char why[300] = "";
    assert_int_equal(dcc_optcat_check(argv, "x86_64-pc-linux-gnu-gcc", NULL, why, sizeof why), 0);
    assert_int_equal(dcc_optcat_check(argv, "cc", NULL, why, sizeof why), 0);
    dcc_argv_free(argv);
}

static void test_policy_ignores_argv0(void **state)
{
    (void)state;
    char *argv[] = {"@/etc/passwd", "-c", "x.i", "-o", "x.o", NULL};
    char why[100] = "";
    assert_int_equal(dcc_optcat_check(argv, "gcc", NULL, why, sizeof why), 0);
}

static void test_policy_sysroot_prefixes(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"/opt/sdk/", "/srv/sysroots", NULL};
    struct dcc_optcat_policy policy = {.sysroot_prefixes = prefixes};
    static const struct {
        const char *args;
        int ok;
    } cases[] = {
        {"--sysroot=/opt/sdk/arm", 1},
        {"--sysroot=/opt/sdk", 1},
        {"--sysroot=/srv/sysroots/a", 1},
        {"--sysroot=/srv/sysroots", 1},
        {"--sysroot=/", 1},
        {"--sysroot=sub/dir", 1},
        {"--sysroot=/srv/sysroots2", 0},
        {"--sysroot=/opt/sdk2", 0},
        {"--sysroot=/usr/x", 0},
        {"-isysroot /opt/sdk/../../etc", 0},
        {"-include /opt/sdk/inc.h", 1},
        {"-include /usr/include/a.h", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        print_message("# %s\n", cases[i].args);
        char **argv = job("gcc", cases[i].args);
        char why[300] = "";
        assert_int_equal(dcc_optcat_check(argv, "gcc", &policy, why, sizeof why),
                         cases[i].ok ? 0 : -1);
        dcc_argv_free(argv);
    }
    /* an empty policy means the default, /usr/ */
    struct dcc_optcat_policy empty = {0};
    char **argv = job("gcc", "--sysroot=/usr/x");
    char why[300] = "";
    assert_int_equal(dcc_optcat_check(argv, "gcc", &empty, why, sizeof why), 0);
    dcc_argv_free(argv);
}

/* Pump mode re-roots absolute -include/-imacros into the job, so they pass;
 * ".." and the other reads stay refused, and so does an -include behind
 * -Xpreprocessor, which the pump rewrite does not re-root. */
static void test_policy_pump_allows_rerooted_includes(void **state)
{
    (void)state;
    struct dcc_optcat_policy pump = {.pump = 1};
    static const struct {
        const char *args;
        int plain_ok, pump_ok;
    } cases[] = {
        {"-include /home/u/config.h", 0, 1},
        {"-include/home/u/config.h", 0, 1},
        {"-imacros /home/u/m.h", 0, 1},
        {"-imacros/home/u/m.h", 0, 1},
        {"--include=/home/u/c.h", 0, 1},
        {"--imacros /home/u/m.h", 0, 1},
        {"-include /home/../etc/passwd", 0, 0},
        {"-fprofile-use=/home/u/p", 0, 0},
        {"-include config.h", 1, 1},
        {"-Xpreprocessor -include -Xpreprocessor /home/u/c.h", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        print_message("# %s\n", cases[i].args);
        char **argv = job("gcc", cases[i].args);
        char why[300] = "";
        assert_int_equal(dcc_optcat_check(argv, "gcc", NULL, why, sizeof why),
                         cases[i].plain_ok ? 0 : -1);
        assert_int_equal(dcc_optcat_check(argv, "gcc", &pump, why, sizeof why),
                         cases[i].pump_ok ? 0 : -1);
        dcc_argv_free(argv);
    }
}

static void test_policy_message_is_truncated_safely(void **state)
{
    (void)state;
    char **argv = job("gcc", "-wrapper x");
    char why[20];
    memset(why, 'X', sizeof why);
    assert_int_equal(dcc_optcat_check(argv, "gcc", NULL, why, sizeof why), -1);
    assert_string_equal(why, "option \"-wrapper x\"");
    dcc_argv_free(argv);
}

/* Every entry is well formed: a spelling, a tool, an alias that exists,
 * a reason for each refusal. */
static void test_catalogue_is_consistent(void **state)
{
    (void)state;
    static const char *const names[] = {"-c",      "-o",       "-I",       "-include", "-Wa,",
                                        "-Xclang", "-fplugin", "-wrapper", "--config", "-MD"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct dcc_opt *e = dcc_optcat_find(names[i], DCC_OPT_GCC | DCC_OPT_CLANG);
        print_message("# %s\n", names[i]);
        assert_non_null(e);
        assert_true(e->forms != 0);
        assert_true(e->check != DCC_VAL_REFUSE || e->why);
    }
    assert_null(dcc_optcat_find("--config", DCC_OPT_GCC));
    assert_null(dcc_optcat_find("-wrapper", DCC_OPT_CLANG));
    assert_non_null(dcc_optcat_find("--MD", DCC_OPT_AS));
    assert_null(dcc_optcat_find("--MD", DCC_OPT_GCC | DCC_OPT_CLANG));
}

/* ---- what the client's readers ask of one word ---- */

/* "NAME sep" or "NAME=VALUE" or "NAME" for the option word stands for,
 * "-" when the catalogue does not know it. */
static void assert_lookup(const char *word, unsigned tools, const char *expected)
{
    struct dcc_optcat_word w;
    char got[200];
    print_message("# %s\n", word);
    if (!dcc_optcat_lookup(word, tools, &w)) {
        assert_null(w.opt);
        assert_int_equal(w.sep, 0);
        snprintf(got, sizeof got, "-");
    } else if (w.sep) {
        snprintf(got, sizeof got, "%s sep", w.opt->name);
    } else {
        snprintf(got, sizeof got, "%s%s%s", w.opt->name, w.value ? "=" : "",
                 w.value ? w.value : "");
    }
    assert_string_equal(got, expected);
}

static void test_lookup_one_word(void **state)
{
    (void)state;
    assert_lookup("-include", DCC_OPT_DRIVERS, "-include sep");
    assert_lookup("-includecfg.h", DCC_OPT_DRIVERS, "-include=cfg.h");
    assert_lookup("--include=cfg.h", DCC_OPT_DRIVERS, "-include=cfg.h");
    assert_lookup("--include-directory=/x", DCC_OPT_DRIVERS, "-I=/x");
    assert_lookup("-iwithprefixbefore/x", DCC_OPT_DRIVERS, "-iwithprefixbefore=/x");
    assert_lookup("--all-warnings", DCC_OPT_DRIVERS, "-W=all");
    /* gcc's "--NAME": only where gcc reads the line */
    assert_lookup("--profile-use=/p/x.gcda", DCC_OPT_GCC, "-fprofile-use=/p/x.gcda");
    assert_lookup("--machine=no-sse4", DCC_OPT_GCC, "-m=no-sse4");
    assert_lookup("--profile-use", DCC_OPT_CLANG, "-");
    assert_lookup("--std", DCC_OPT_GCC, "-std sep");
    assert_lookup("-Xclang", DCC_OPT_DRIVERS, "-Xclang sep");
    assert_lookup("-Xclang", DCC_OPT_GCC, "-");
    assert_lookup("-Wl,-z,now", DCC_OPT_DRIVERS, "-Wl,=-z,now");
    assert_lookup("x.c", DCC_OPT_DRIVERS, "-");
    assert_lookup("-", DCC_OPT_DRIVERS, "-");
    assert_lookup("-no-such-option", DCC_OPT_CLANG, "-");
    /* a long word is read whole */
    char long_word[400];
    memset(long_word, 'a', sizeof long_word);
    memcpy(long_word, "--profile-use=", 14);
    long_word[sizeof long_word - 1] = '\0';
    struct dcc_optcat_word w;
    assert_int_equal(dcc_optcat_lookup(long_word, DCC_OPT_GCC, &w), 1);
    assert_ptr_equal(w.value, long_word + 14);
    assert_int_equal(w.value_at, 14);
    /* a flag that is another's alias has its value in the catalogue */
    assert_int_equal(dcc_optcat_lookup("--all-warnings", DCC_OPT_GCC, &w), 1);
    assert_string_equal(w.value, "all");
    assert_int_equal(w.value_at, -1);
    assert_int_equal(dcc_optcat_lookup("x.c", DCC_OPT_GCC, &w), 0);
    assert_int_equal(w.value_at, -1);
}

static void test_lookup_roles(void **state)
{
    (void)state;
    struct dcc_optcat_word w;
    /* the local-only reason of the spelling or of the option it stands for */
    assert_int_equal(dcc_optcat_lookup("--preprocess", DCC_OPT_DRIVERS, &w), 1);
    assert_string_equal(dcc_optcat_local(&w), ": preprocessing only");
    assert_true(w.opt->roles & DCC_ROLE_ONLY_CPP);
    assert_int_equal(dcc_optcat_lookup("-march=native", DCC_OPT_DRIVERS, &w), 1);
    assert_string_equal(dcc_optcat_local(&w),
                        " generates code for this machine's CPU; use distccflags to expand it");
    assert_int_equal(dcc_optcat_lookup("-march=x86-64-v3", DCC_OPT_DRIVERS, &w), 1);
    assert_null(dcc_optcat_local(&w));
    assert_int_equal(dcc_optcat_lookup("-load", DCC_OPT_CC1, &w), 1);
    assert_string_equal(dcc_optcat_local(&w), ": plugins live on this machine");
    /* pump's scanner: the spelling's choice first */
    assert_int_equal(dcc_optcat_lookup("-include", DCC_OPT_DRIVERS, &w), 1);
    assert_int_equal(dcc_optcat_scan_kind(&w), DCC_SCAN_INCLUDE);
    assert_true(w.opt->roles & DCC_ROLE_STRIP);
    assert_true(w.opt->roles & DCC_ROLE_REROOT);
    assert_int_equal(dcc_optcat_lookup("--include", DCC_OPT_DRIVERS, &w), 1);
    assert_int_equal(dcc_optcat_scan_kind(&w), DCC_SCAN_GIVE_UP);
    assert_int_equal(dcc_optcat_lookup("--traditional-cpp", DCC_OPT_DRIVERS, &w), 1);
    assert_int_equal(dcc_optcat_scan_kind(&w), DCC_SCAN_GIVE_UP);
    assert_int_equal(dcc_optcat_lookup("-O2", DCC_OPT_DRIVERS, &w), 1);
    assert_int_equal(dcc_optcat_scan_kind(&w), DCC_SCAN_NONE);
    assert_false(w.opt->roles & DCC_ROLE_STRIP);
    assert_int_equal(dcc_optcat_lookup("-ffile-prefix-map=/a=/b", DCC_OPT_DRIVERS, &w), 1);
    assert_true(w.opt->roles & DCC_ROLE_MAP);
    assert_int_equal(dcc_optcat_lookup("-mavx2", DCC_OPT_DRIVERS, &w), 1);
    assert_true(w.opt->roles & DCC_ROLE_SYSDIRS);
    assert_true(dcc_optcat_is(&w, "-m"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_spellings),
        cmocka_unit_test(test_parse_gcc_long_forms),
        cmocka_unit_test(test_parse_unpacks_other_tools),
        cmocka_unit_test(test_driver_of_compiler_names),
        cmocka_unit_test(test_policy_refuses),
        cmocka_unit_test(test_policy_allows_ordinary_flags),
        cmocka_unit_test(test_policy_allows_a_gentoo_command),
        cmocka_unit_test(test_policy_ignores_argv0),
        cmocka_unit_test(test_policy_sysroot_prefixes),
        cmocka_unit_test(test_policy_pump_allows_rerooted_includes),
        cmocka_unit_test(test_policy_message_is_truncated_safely),
        cmocka_unit_test(test_catalogue_is_consistent),
        cmocka_unit_test(test_lookup_one_word),
        cmocka_unit_test(test_lookup_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
