/* Unit tests for dcc_march: cc1 lines and -Q listings of several gcc versions, reduction, substitution, running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/dcc_march.h"
#include "base/dcc_util.h"

/* ---- helpers ---- */

/* tests/data/march from the top of the tree (make runs tests there), else
 * relative to this binary in BUILD/tests/unit/. */
static const char *data_dir(void)
{
    static char dir[PATH_MAX + 32];
    if (dir[0])
        return dir;
    const char *env = getenv("DCC_MARCH_DATA");
    if (env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    return dcc_test_data_dir("march");
}

static char *read_sample(const char *name)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", data_dir(), name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open test data %s", path);
    struct dcc_buf b = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(dcc_buf_append(&b, chunk, got), 0);
    fclose(f);
    assert_non_null(b.data);
    return b.data;
}

/* Words joined by single spaces; none of ours need quoting. */
static char *joined(char *const *argv)
{
    struct dcc_buf b = {0};
    assert_int_equal(dcc_buf_append(&b, "", 0), 0);
    for (size_t i = 0; argv && argv[i]; i++)
        assert_int_equal(dcc_buf_printf(&b, "%s%s", i ? " " : "", argv[i]), 0);
    return b.data;
}

static void assert_words(char *const *argv, const char *expected)
{
    char *got = joined(argv);
    assert_string_equal(got, expected);
    free(got);
}

/* ---- cc1 lines of several gcc versions and layouts ---- */

static const char gcc12_znver3_mflags[] =
    "-mmmx -mpopcnt -msse -msse2 -msse3 -mssse3 -msse4.1 -msse4.2 -mavx -mavx2 -msse4a -mno-fma4 -mno-xop -mfma "
    "-mavx512f -mbmi -mbmi2 -maes -mpclmul -mavx512vl -mavx512bw -mavx512dq -mavx512cd -mno-avx512er "
    "-mno-avx512pf -mavx512vbmi -mavx512ifma -mno-avx5124vnniw -mno-avx5124fmaps -mavx512vpopcntdq "
    "-mavx512vbmi2 -mgfni -mvpclmulqdq -mavx512vnni -mavx512bitalg -mavx512bf16 -mavx512vp2intersect "
    "-mno-3dnow -madx -mabm -mno-cldemote -mclflushopt -mclwb -mclzero -mcx16 -mno-enqcmd -mf16c -mfsgsbase "
    "-mfxsr -mno-hle -msahf -mno-lwp -mlzcnt -mmovbe -mmovdir64b -mmovdiri -mno-mwaitx -mno-pconfig -mno-pku "
    "-mno-prefetchwt1 -mprfchw -mno-ptwrite -mno-rdpid -mrdrnd -mno-rdseed -mno-rtm -mno-serialize -mno-sgx "
    "-msha -mno-shstk -mno-tbm -mno-tsxldtrk -mvaes -mno-waitpkg -mno-wbnoinvd -mxsave -mxsavec -mxsaveopt "
    "-mno-xsaves -mno-amx-tile -mno-amx-int8 -mno-amx-bf16 -mno-uintr -mno-hreset -mno-kl -mno-widekl "
    "-mavxvnni -mno-avx512fp16";

struct sample {
    const char *file;
    const char *arch;
    const char *tune;
    size_t n_mflags;
    const char *mflags;
    const char *params;
};

static const struct sample samples[] = {
    {"gcc12-debian-znver3-v.txt", "znver3", "znver3", 88, gcc12_znver3_mflags,
     "l1-cache-size=48 l1-cache-line-size=64 l2-cache-size=1024"},
    {"gcc12-debian-znver3-hash.txt", "znver3", "znver3", 88, gcc12_znver3_mflags,
     "l1-cache-size=48 l1-cache-line-size=64 l2-cache-size=1024"},
    {"gxx12-debian-znver3-v.txt", "znver3", "znver3", 88, gcc12_znver3_mflags,
     "l1-cache-size=48 l1-cache-line-size=64 l2-cache-size=1024"},
    {"gcc13-gentoo-skylake-v.txt", "skylake", "skylake", 96,
     "-mmmx -mpopcnt -msse -msse2 -msse3 -mssse3 -msse4.1 -msse4.2 -mavx -mavx2 -mno-sse4a -mno-fma4 -mno-xop "
     "-mfma -mno-avx512f -mbmi -mbmi2 -maes -mpclmul -mno-avx512vl -mno-avx512bw -mno-avx512dq -mno-avx512cd "
     "-mno-avx512er -mno-avx512pf -mno-avx512vbmi -mno-avx512ifma -mno-avx5124vnniw -mno-avx5124fmaps "
     "-mno-avx512vpopcntdq -mno-avx512vbmi2 -mno-gfni -mno-vpclmulqdq -mno-avx512vnni -mno-avx512bitalg "
     "-mno-avx512bf16 -mno-avx512vp2intersect -mno-3dnow -madx -mabm -mno-cldemote -mclflushopt -mno-clwb "
     "-mno-clzero -mcx16 -mno-enqcmd -mf16c -mfsgsbase -mfxsr -mno-hle -msahf -mno-lwp -mlzcnt -mmovbe "
     "-mno-movdir64b -mno-movdiri -mno-mwaitx -mno-pconfig -mno-pku -mno-prefetchwt1 -mprfchw -mno-ptwrite "
     "-mno-rdpid -mrdrnd -mrdseed -mno-rtm -mno-serialize -msgx -mno-sha -mno-shstk -mno-tbm -mno-tsxldtrk "
     "-mno-vaes -mno-waitpkg -mno-wbnoinvd -mxsave -mxsavec -mxsaveopt -mxsaves -mno-amx-tile -mno-amx-int8 "
     "-mno-amx-bf16 -mno-uintr -mno-hreset -mno-kl -mno-widekl -mno-avxvnni -mno-avx512fp16 -mno-avxifma "
     "-mno-avxvnniint8 -mno-avxneconvert -mno-cmpccxadd -mno-amx-fp16 -mno-prefetchi -mno-raoint "
     "-mno-amx-complex",
     "l1-cache-size=32 l1-cache-line-size=64 l2-cache-size=8192"},
    {"gxx11-gentoo-haswell-hash.txt", "haswell", "haswell", 87,
     "-mmmx -mpopcnt -msse -msse2 -msse3 -mssse3 -msse4.1 -msse4.2 -mavx -mavx2 -mno-sse4a -mno-fma4 -mno-xop "
     "-mfma -mno-avx512f -mbmi -mbmi2 -maes -mpclmul -mno-avx512vl -mno-avx512bw -mno-avx512dq -mno-avx512cd "
     "-mno-avx512er -mno-avx512pf -mno-avx512vbmi -mno-avx512ifma -mno-avx5124vnniw -mno-avx5124fmaps "
     "-mno-avx512vpopcntdq -mno-avx512vbmi2 -mno-gfni -mno-vpclmulqdq -mno-avx512vnni -mno-avx512bitalg "
     "-mno-avx512bf16 -mno-avx512vp2intersect -mno-3dnow -mno-adx -mabm -mno-cldemote -mno-clflushopt "
     "-mno-clwb -mno-clzero -mcx16 -mno-enqcmd -mf16c -mfsgsbase -mfxsr -mno-hle -msahf -mno-lwp -mlzcnt "
     "-mmovbe -mno-movdir64b -mno-movdiri -mno-mwaitx -mno-pconfig -mno-pku -mno-prefetchwt1 -mno-prfchw "
     "-mno-ptwrite -mno-rdpid -mrdrnd -mno-rdseed -mno-rtm -mno-serialize -mno-sgx -mno-sha -mno-shstk "
     "-mno-tbm -mno-tsxldtrk -mno-vaes -mno-waitpkg -mno-wbnoinvd -mxsave -mno-xsavec -mxsaveopt -mno-xsaves "
     "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16 -mno-uintr -mno-hreset -mno-kl -mno-widekl -mno-avxvnni",
     "l1-cache-size=32 l1-cache-line-size=64 l2-cache-size=8192"},
    {"gcc8-debian-znver1-v.txt", "znver1", "znver1", 70,
     "-mmmx -mno-3dnow -msse -msse2 -msse3 -mssse3 -msse4a -mcx16 -msahf -mmovbe -maes -msha -mpclmul -mpopcnt "
     "-mabm -mno-lwp -mfma -mno-fma4 -mno-xop -mbmi -mno-sgx -mbmi2 -mno-pconfig -mno-wbnoinvd -mno-tbm -mavx "
     "-mavx2 -msse4.2 -msse4.1 -mlzcnt -mno-rtm -mno-hle -mrdrnd -mf16c -mfsgsbase -mrdseed -mprfchw -madx "
     "-mfxsr -mxsave -mxsaveopt -mno-avx512f -mno-avx512er -mno-avx512cd -mno-avx512pf -mno-prefetchwt1 "
     "-mclflushopt -mxsavec -mxsaves -mno-avx512dq -mno-avx512bw -mno-avx512vl -mno-avx512ifma "
     "-mno-avx512vbmi -mno-avx5124fmaps -mno-avx5124vnniw -mno-clwb -mmwaitx -mclzero -mno-pku -mno-rdpid "
     "-mno-gfni -mno-shstk -mno-avx512vbmi2 -mno-avx512vnni -mno-vaes -mno-vpclmulqdq -mno-avx512bitalg "
     "-mno-movdiri -mno-movdir64b",
     "l1-cache-size=32 l1-cache-line-size=64 l2-cache-size=512"},
    {"gcc48-gentoo-k8-hash.txt", "k8-sse3", "k8", 37,
     "-mmmx -m3dnow -msse -msse2 -msse3 -mno-ssse3 -mno-sse4a -mcx16 -msahf -mno-movbe -mno-aes -mno-pclmul "
     "-mno-popcnt -mno-abm -mno-lwp -mno-fma -mno-fma4 -mno-xop -mno-bmi -mno-bmi2 -mno-tbm -mno-avx -mno-avx2 "
     "-mno-sse4.2 -mno-sse4.1 -mno-lzcnt -mno-rtm -mno-hle -mno-rdrnd -mno-f16c -mno-fsgsbase -mno-rdseed "
     "-mprfchw -mno-adx -mfxsr -mno-xsave -mno-xsaveopt",
     "l1-cache-size=64 l1-cache-line-size=64 l2-cache-size=512"},
    {"gcc14-gentoo-znver4-joined-param-v.txt", "znver4", "znver4", 102,
     "-mmmx -mpopcnt -msse -msse2 -msse3 -mssse3 -msse4.1 -msse4.2 -mavx -mavx2 -msse4a -mno-fma4 -mno-xop "
     "-mfma -mavx512f -mbmi -mbmi2 -maes -mpclmul -mavx512vl -mavx512bw -mavx512dq -mavx512cd -mno-avx512er "
     "-mno-avx512pf -mavx512vbmi -mavx512ifma -mno-avx5124vnniw -mno-avx5124fmaps -mavx512vpopcntdq "
     "-mavx512vbmi2 -mgfni -mvpclmulqdq -mavx512vnni -mavx512bitalg -mavx512bf16 -mno-avx512vp2intersect "
     "-mno-3dnow -madx -mabm -mno-cldemote -mclflushopt -mclwb -mclzero -mcx16 -mno-enqcmd -mf16c -mfsgsbase "
     "-mfxsr -mno-hle -msahf -mno-lwp -mlzcnt -mmovbe -mno-movdir64b -mno-movdiri -mmwaitx -mno-pconfig -mpku "
     "-mno-prefetchwt1 -mprfchw -mno-ptwrite -mrdpid -mrdrnd -mrdseed -mno-rtm -mno-serialize -mno-sgx -msha "
     "-mshstk -mno-tbm -mno-tsxldtrk -mvaes -mno-waitpkg -mwbnoinvd -mxsave -mxsavec -mxsaveopt -mxsaves "
     "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16 -mno-uintr -mno-hreset -mno-kl -mno-widekl -mno-avxvnni "
     "-mno-avx512fp16 -mno-avxifma -mno-avxvnniint8 -mno-avxneconvert -mno-cmpccxadd -mno-amx-fp16 "
     "-mno-prefetchi -mno-raoint -mno-amx-complex -mno-avxvnniint16 -mno-sm3 -mno-sha512 -mno-sm4 -mno-apxf "
     "-mno-usermsr",
     "l1-cache-size=32 l1-cache-line-size=64 l2-cache-size=1024"},
};

static void test_parse_recorded_samples(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const struct sample *s = &samples[i];
        char *text = read_sample(s->file);
        struct dcc_march_native n;
        char err[512] = "";
        int rc = dcc_march_parse_cc1(text, &n, err, sizeof err);
        if (rc != DCC_MARCH_OK)
            fail_msg("%s: %s", s->file, err);
        assert_string_equal(n.arch, s->arch);
        assert_string_equal(n.tune, s->tune);
        if (dcc_argv_len(n.mflags) != s->n_mflags)
            fail_msg("%s: %zu -m flags, expected %zu", s->file, dcc_argv_len(n.mflags),
                     s->n_mflags);
        assert_words(n.mflags, s->mflags);
        assert_words(n.params, s->params);
        dcc_march_native_free(&n);
        free(text);
    }
}

static void test_parse_quoted_path_with_blank_and_escapes(void **state)
{
    (void)state;
    const char *text =
        "COLLECT_GCC_OPTIONS='-E' '-march=native'\n"
        " \"/opt/gcc 13/libexec/gcc/x86_64-pc-linux-gnu/13/cc1plus\" \"-E\" \"-quiet\" \"-\" "
        "\"-march=x86-64-v3\" \"-mno-\\\"odd\\\"\"\n";
    struct dcc_march_native n;
    char err[256] = "";
    /* The escaped quotes come out as a flag we refuse to print. */
    assert_int_equal(dcc_march_parse_cc1(text, &n, err, sizeof err), DCC_MARCH_UNPARSABLE);
    assert_string_equal(err, "cc1 line has an unexpected flag '-mno-\"odd\"'");

    const char *good =
        " \"/opt/gcc 13/libexec/gcc/x86_64-pc-linux-gnu/13/cc1plus\" \"-E\" \"-march=x86-64-v3\" "
        "\"-mno-avx512f\" --param \"l1-cache-size=32\" '-mtune=generic'\n";
    assert_int_equal(dcc_march_parse_cc1(good, &n, err, sizeof err), DCC_MARCH_OK);
    assert_string_equal(n.arch, "x86-64-v3");
    assert_string_equal(n.tune, "generic");
    assert_words(n.mflags, "-mno-avx512f");
    assert_words(n.params, "l1-cache-size=32");
    dcc_march_native_free(&n);
}

static void test_parse_without_mtune_leaves_tune_null(void **state)
{
    (void)state;
    struct dcc_march_native n;
    char err[256] = "";
    assert_int_equal(
        dcc_march_parse_cc1(" /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -E - -march=znver3 -mavx512f\n",
                            &n, err, sizeof err),
        DCC_MARCH_OK);
    assert_null(n.tune);
    assert_words(n.mflags, "-mavx512f");
    assert_words(n.params, "");
    dcc_march_native_free(&n);
}

struct bad_line {
    const char *text;
    int status;
    const char *err;
};

static const struct bad_line bad_lines[] = {
    {"Using built-in specs.\ngcc: error: unrecognized command-line option '-march=native'\n",
     DCC_MARCH_UNPARSABLE, "no cc1 or cc1plus line in the compiler's output"},
    {"", DCC_MARCH_UNPARSABLE, "no cc1 or cc1plus line in the compiler's output"},
    {" /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -E -quiet - -mmmx\n", DCC_MARCH_UNPARSABLE,
     "cc1 line has no -march="},
    {" /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -E - -march=native -mtune=native\n",
     DCC_MARCH_UNPARSABLE,
     "the compiler passed native on to cc1 unexpanded; it cannot detect this CPU"},
    {" /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -E - -march=znver3 --param\n", DCC_MARCH_UNPARSABLE,
     "cc1 line ends in --param without a value"},
    {" /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -E - -march=znver3 --param l1-cache-size\n",
     DCC_MARCH_UNPARSABLE, "cc1 line has a malformed --param 'l1-cache-size'"},
    {" /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -E - \"-march=znver3;reboot\"\n", DCC_MARCH_UNPARSABLE,
     "cc1 line has an unexpected flag '-march=znver3;reboot'"},
    {" /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -E - -march=znver3 \"-mtune=\"\n", DCC_MARCH_UNPARSABLE,
     "cc1 line has an empty -mtune="},
    /* cc1 must be the program, not a word that merely mentions it. */
    {"COMPILER_PATH=/usr/lib/gcc/x86_64-linux-gnu/12/cc1 -march=znver3\n", DCC_MARCH_UNPARSABLE,
     "no cc1 or cc1plus line in the compiler's output"},
};

static void test_parse_rejects_unusable_output(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        struct dcc_march_native n;
        char err[256] = "";
        int rc = dcc_march_parse_cc1(bad_lines[i].text, &n, err, sizeof err);
        if (rc != bad_lines[i].status)
            fail_msg("case %zu: status %d, expected %d (%s)", i, rc, bad_lines[i].status, err);
        assert_string_equal(err, bad_lines[i].err);
        assert_null(n.arch);
        assert_null(n.mflags);
    }
}

static void test_parse_refuses_clang(void **state)
{
    (void)state;
    char *text = read_sample("clang14-debian-v.txt");
    struct dcc_march_native n;
    char err[512] = "";
    assert_int_equal(dcc_march_parse_cc1(text, &n, err, sizeof err), DCC_MARCH_UNSUPPORTED);
    assert_string_equal(
        err, "clang is not supported: its -march=native is a CPU name plus a -target-feature "
             "list that -m flags do not reproduce exactly; use gcc");
    free(text);
}

/* ---- -Q --help=target ---- */

static void test_help_listing_parsed_up_to_the_value_lists(void **state)
{
    (void)state;
    char *text = read_sample("gcc12-debian-help-target-znver3.txt");
    struct dcc_march_optset set;
    char err[256] = "";
    assert_int_equal(dcc_march_parse_help(text, &set, err, sizeof err), DCC_MARCH_OK);
    assert_int_equal(set.n, 207);
    assert_string_equal(set.opts[0].name, "-m128bit-long-double");
    assert_string_equal(set.opts[0].value, "[enabled]");
    assert_string_equal(set.opts[set.n - 1].name, "-mxsaves");
    for (size_t i = 0; i < set.n; i++) {
        if (strcmp(set.opts[i].name, "-march=") == 0)
            assert_string_equal(set.opts[i].value, "znver3");
        if (strcmp(set.opts[i].name, "-mtune-ctrl=") == 0)
            assert_string_equal(set.opts[i].value, "");
    }
    dcc_march_optset_free(&set);
    free(text);

    assert_int_equal(dcc_march_parse_help("cc1: error: bad value\n", &set, err, sizeof err),
                     DCC_MARCH_UNPARSABLE);
    assert_string_equal(err, "no option lines in the compiler's -Q --help output");
}

static void test_implies_reads_enabled_disabled_and_values(void **state)
{
    (void)state;
    char *text = read_sample("gcc12-debian-help-target-znver3.txt");
    struct dcc_march_optset set;
    char err[256] = "";
    assert_int_equal(dcc_march_parse_help(text, &set, err, sizeof err), DCC_MARCH_OK);
    assert_int_equal(dcc_march_optset_implies(&set, "-mavx2"), 1);
    assert_int_equal(dcc_march_optset_implies(&set, "-mavx512f"), 0);
    assert_int_equal(dcc_march_optset_implies(&set, "-mno-avx512f"), 1);
    assert_int_equal(dcc_march_optset_implies(&set, "-mno-avx2"), 0);
    assert_int_equal(dcc_march_optset_implies(&set, "-mno-amx-tile"), 1);
    assert_int_equal(dcc_march_optset_implies(&set, "-mmove-max=128"), 1);
    assert_int_equal(dcc_march_optset_implies(&set, "-mmove-max=512"), 0);
    assert_int_equal(dcc_march_optset_implies(&set, "-mno-red-zone"), 0);
    assert_int_equal(dcc_march_optset_implies(&set, "-mfrobnicate"), -1);
    assert_int_equal(dcc_march_optset_implies(&set, "-mno-frobnicate"), -1);
    assert_int_equal(dcc_march_optset_implies(&set, "-mfrob="), -1);
    /* "Known valid arguments for -march=" lists are not options. */
    assert_int_equal(dcc_march_optset_implies(&set, "i386"), -1);
    dcc_march_optset_free(&set);
    free(text);
}

/* ---- the expansion for this machine, from its recorded output ---- */

static const char gcc12_znver3_expansion[] =
    "-mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx512cd -mavx512vbmi -mavx512ifma -mavx512vpopcntdq "
    "-mavx512vbmi2 -mgfni -mavx512vnni -mavx512bitalg -mavx512bf16 -mavx512vp2intersect -mmovdir64b -mmovdiri "
    "-mno-mwaitx -mno-pku -mno-rdpid -mno-rdseed -mno-wbnoinvd -mno-xsaves -mavxvnni";

static void reduce_recorded(struct dcc_march_native *reduced)
{
    char *text = read_sample("gcc12-debian-znver3-v.txt");
    char *help = read_sample("gcc12-debian-help-target-znver3.txt");
    struct dcc_march_native n;
    struct dcc_march_optset set;
    char err[256] = "";
    assert_int_equal(dcc_march_parse_cc1(text, &n, err, sizeof err), DCC_MARCH_OK);
    assert_int_equal(dcc_march_parse_help(help, &set, err, sizeof err), DCC_MARCH_OK);
    assert_int_equal(dcc_march_reduce(&n, &set, reduced, err, sizeof err), DCC_MARCH_OK);
    dcc_march_optset_free(&set);
    dcc_march_native_free(&n);
    free(help);
    free(text);
}

static void test_reduce_keeps_only_what_the_arch_does_not_imply(void **state)
{
    (void)state;
    struct dcc_march_native r;
    reduce_recorded(&r);
    assert_string_equal(r.arch, "znver3");
    assert_string_equal(r.tune, "znver3");
    assert_words(r.mflags, gcc12_znver3_expansion);
    assert_words(r.params, "l1-cache-size=48 l1-cache-line-size=64 l2-cache-size=1024");
    dcc_march_native_free(&r);
}

static void test_reduce_keeps_flags_the_listing_does_not_know(void **state)
{
    (void)state;
    /* An old gcc lists neither -mavx512fp16 nor -mno-amx-tile: keep both. */
    const char *help = "The following options are target specific:\n"
                       "  -mavx2                      \t\t[enabled]\n"
                       "  -mavx512f                   \t\t[disabled]\n"
                       "  -mprefer-vector-width=      \t\t256\n"
                       "\n"
                       "  Known valid arguments for -march= option:\n"
                       "    -mavx2 listed here means nothing\n";
    const char *line =
        " /usr/libexec/gcc/x86_64-pc-linux-gnu/4.9.4/cc1 -E - -march=haswell -mavx2 -mavx512f "
        "-mno-amx-tile -mavx512fp16 -mprefer-vector-width=256 -mtune=generic\n";
    struct dcc_march_native n, r;
    struct dcc_march_optset set;
    char err[256] = "";
    assert_int_equal(dcc_march_parse_cc1(line, &n, err, sizeof err), DCC_MARCH_OK);
    assert_int_equal(dcc_march_parse_help(help, &set, err, sizeof err), DCC_MARCH_OK);
    assert_int_equal(set.n, 3);
    assert_int_equal(dcc_march_reduce(&n, &set, &r, err, sizeof err), DCC_MARCH_OK);
    assert_words(r.mflags, "-mavx512f -mno-amx-tile -mavx512fp16");
    assert_string_equal(r.tune, "generic");
    dcc_march_optset_free(&set);
    dcc_march_native_free(&n);
    dcc_march_native_free(&r);
}

/* ---- substituting into the user's words ---- */

struct subst_case {
    const char *args[6];
    unsigned flags;
    const char *expected;
};

#define PARAMS "--param=l1-cache-size=48 --param=l1-cache-line-size=64 --param=l2-cache-size=1024"
#define FLAGS "-march=znver3 -mavx512f -mno-pku"

static const struct subst_case subst_cases[] = {
    {{"-march=native"}, 0, FLAGS " " PARAMS},
    {{"-O2", "-pipe", "-march=native"}, 0, "-O2 -pipe " FLAGS " " PARAMS},
    {{"-march=native", "-O2"}, DCC_MARCH_DROP_CACHE_PARAMS, FLAGS " -O2"},
    {{"-march=native", "-mtune=native"}, 0, FLAGS " " PARAMS},
    {{"-mtune=native", "-march=native"}, 0, PARAMS " " FLAGS},
    /* gcc only detects caches when it tunes for native. */
    {{"-march=native", "-mtune=generic"}, 0, FLAGS " -mtune=generic"},
    {{"-mtune=native"}, 0, "-mtune=znver3 " PARAMS},
    {{"-mtune=native", "-O2"}, DCC_MARCH_DROP_CACHE_PARAMS, "-mtune=znver3 -O2"},
    {{"-mtune=generic", "-march=native", "-mtune=native"},
     0,
     "-mtune=generic " FLAGS " -mtune=znver3 " PARAMS},
    {{"-O2", "-march=x86-64", "-pipe"}, 0, "-O2 -march=x86-64 -pipe"},
    {{"-O2", "-march=nativeish"}, 0, "-O2 -march=nativeish"},
};

static struct dcc_march_native small_reduced(const char *tune)
{
    static char *const mflags[] = {"-mavx512f", "-mno-pku", NULL};
    static char *const params[] = {"l1-cache-size=48", "l1-cache-line-size=64",
                                   "l2-cache-size=1024", NULL};
    struct dcc_march_native r = {strdup("znver3"), tune ? strdup(tune) : NULL, dcc_argv_dup(mflags),
                                 dcc_argv_dup(params)};
    assert_non_null(r.arch);
    assert_non_null(r.mflags);
    assert_non_null(r.params);
    return r;
}

static void test_substitute_cases(void **state)
{
    (void)state;
    struct dcc_march_native r = small_reduced("znver3");
    for (size_t i = 0; i < sizeof subst_cases / sizeof subst_cases[0]; i++) {
        char **out = NULL;
        char err[256] = "";
        int rc = dcc_march_substitute((char *const *)subst_cases[i].args, &r, subst_cases[i].flags,
                                      &out, err, sizeof err);
        if (rc != DCC_MARCH_OK)
            fail_msg("case %zu: %s", i, err);
        char *got = joined(out);
        if (strcmp(got, subst_cases[i].expected) != 0)
            fail_msg("case %zu:\n got      '%s'\n expected '%s'", i, got, subst_cases[i].expected);
        free(got);
        dcc_argv_free(out);
    }
    dcc_march_native_free(&r);
}

static void test_substitute_keeps_a_tune_that_differs(void **state)
{
    (void)state;
    struct dcc_march_native r = small_reduced("generic");
    char *const args[] = {"-march=native", NULL};
    char **out = NULL;
    char err[256] = "";
    assert_int_equal(dcc_march_substitute(args, &r, 0, &out, err, sizeof err), DCC_MARCH_OK);
    assert_words(out, FLAGS " -mtune=generic " PARAMS);
    dcc_argv_free(out);

    char *const both[] = {"-march=native", "-mtune=native", NULL};
    assert_int_equal(dcc_march_substitute(both, &r, 0, &out, err, sizeof err), DCC_MARCH_OK);
    assert_words(out, FLAGS " -mtune=generic " PARAMS);
    dcc_argv_free(out);
    dcc_march_native_free(&r);
}

static void test_substitute_needs_a_tune_for_mtune_native(void **state)
{
    (void)state;
    struct dcc_march_native r = small_reduced(NULL);
    char *const args[] = {"-mtune=native", NULL};
    char **out = NULL;
    char err[256] = "";
    assert_int_equal(dcc_march_substitute(args, &r, 0, &out, err, sizeof err),
                     DCC_MARCH_UNPARSABLE);
    assert_string_equal(
        err, "the compiler's cc1 line has no -mtune=, so -mtune=native cannot be expanded");
    assert_null(out);
    char *const march[] = {"-march=native", NULL};
    assert_int_equal(dcc_march_substitute(march, &r, 0, &out, err, sizeof err), DCC_MARCH_OK);
    assert_words(out, FLAGS " " PARAMS);
    dcc_argv_free(out);
    dcc_march_native_free(&r);
}

static void test_want_native(void **state)
{
    (void)state;
    char *const a[] = {"-O2", "-mtune=native", NULL};
    char *const b[] = {"-O2", "-march=native", NULL};
    char *const c[] = {"-O2", "-march=znver3", "-mcpu=native", NULL};
    assert_int_equal(dcc_march_args_want_native(a), 1);
    assert_int_equal(dcc_march_args_want_native(b), 1);
    assert_int_equal(dcc_march_args_want_native(c), 0);
    assert_int_equal(dcc_march_args_want_native(NULL), 0);
}

/* ---- output styles ---- */

static void test_format_styles(void **state)
{
    (void)state;
    char *const args[] = {"-O2", "-march=znver3", "-DNAME=\"a $b\"", NULL};
    struct dcc_buf out = {0};
    assert_int_equal(dcc_march_format(args, DCC_MARCH_STYLE_LINE, &out), 0);
    assert_string_equal(out.data, "-O2 -march=znver3 -DNAME=\"a $b\"\n");
    dcc_buf_free(&out);
    assert_int_equal(dcc_march_format(args, DCC_MARCH_STYLE_VERTICAL, &out), 0);
    assert_string_equal(out.data, "-O2\n-march=znver3\n-DNAME=\"a $b\"\n");
    dcc_buf_free(&out);
    assert_int_equal(dcc_march_format(args, DCC_MARCH_STYLE_MAKE_CONF, &out), 0);
    assert_string_equal(out.data, "COMMON_FLAGS=\"-O2 -march=znver3 -DNAME=\\\"a \\$b\\\"\"\n"
                                  "CFLAGS=\"${COMMON_FLAGS}\"\n"
                                  "CXXFLAGS=\"${COMMON_FLAGS}\"\n"
                                  "FCFLAGS=\"${COMMON_FLAGS}\"\n"
                                  "FFLAGS=\"${COMMON_FLAGS}\"\n");
    dcc_buf_free(&out);
}

/* ---- comparing listings ---- */

static void test_compare_listings(void **state)
{
    (void)state;
    char diff[512] = "";
    const char *a = "The following options are target specific:\n  -mavx2   \t\t[enabled]\n"
                    "  -mavx512f \t\t[enabled]\n";
    const char *b = "The following options are target specific:\n  -mavx2   \t\t[enabled]\n"
                    "  -mavx512f \t\t[disabled]\n";
    assert_int_equal(dcc_march_compare_listings("-Q --help=target", a, a, NULL, diff, sizeof diff),
                     0);
    assert_int_equal(dcc_march_compare_listings("-Q --help=target", a, b, NULL, diff, sizeof diff),
                     1);
    assert_string_equal(diff,
                        "-Q --help=target differs at line 3: native gives '-mavx512f [enabled]', "
                        "the expansion gives '-mavx512f [disabled]'");
    assert_int_equal(dcc_march_compare_listings("-Q --help=target", a,
                                                "The following options are target "
                                                "specific:\n  -mavx2   \t\t[enabled]\n",
                                                NULL, diff, sizeof diff),
                     1);
    assert_string_equal(diff,
                        "-Q --help=target differs at line 3: native gives '-mavx512f [enabled]', "
                        "the expansion gives '(end of output)'");

    const char *pa = "  --param=l1-cache-size=   \t\t48\n  --param=max-unroll-times= \t8\n";
    const char *pb = "  --param=l1-cache-size=   \t\t32\n  --param=max-unroll-times= \t8\n";
    char *const skip[] = {"--param=l1-cache-size=", NULL};
    assert_int_equal(
        dcc_march_compare_listings("-Q --help=params", pa, pb, NULL, diff, sizeof diff), 1);
    assert_string_equal(
        diff, "-Q --help=params differs at line 1: native gives '--param=l1-cache-size= 48', "
              "the expansion gives '--param=l1-cache-size= 32'");
    assert_int_equal(
        dcc_march_compare_listings("-Q --help=params", pa, pb, skip, diff, sizeof diff), 0);
}

/* The recorded listings of this machine really do differ, where we expect. */
static void test_compare_recorded_native_and_arch_listings(void **state)
{
    (void)state;
    char *native = read_sample("gcc12-debian-help-target-native.txt");
    char *arch = read_sample("gcc12-debian-help-target-znver3.txt");
    char diff[512] = "";
    assert_int_equal(
        dcc_march_compare_listings("-Q --help=target", native, arch, NULL, diff, sizeof diff), 1);
    assert_string_equal(
        diff, "-Q --help=target differs at line 35: native gives '-mavx512bf16 [enabled]', "
              "the expansion gives '-mavx512bf16 [disabled]'");
    free(native);
    free(arch);
}

/* ---- running programs ---- */

static struct dcc_march_cc shell_cc(const char *script, int timeout_ms)
{
    char *const words[] = {"/bin/sh", "-c", (char *)script, "sh", NULL};
    struct dcc_march_cc cc = {dcc_argv_dup(words), timeout_ms};
    assert_non_null(cc.words);
    return cc;
}

static void test_cc_init_splits_words(void **state)
{
    (void)state;
    struct dcc_march_cc cc;
    char err[256] = "";
    assert_int_equal(
        dcc_march_cc_init(&cc, "  ccache\tx86_64-pc-linux-gnu-gcc ", 0, err, sizeof err),
        DCC_MARCH_OK);
    assert_words(cc.words, "ccache x86_64-pc-linux-gnu-gcc");
    assert_int_equal(cc.timeout_ms, DCC_MARCH_DEFAULT_TIMEOUT_MS);
    dcc_march_cc_free(&cc);
    assert_int_equal(dcc_march_cc_init(&cc, " ", 0, err, sizeof err), DCC_MARCH_BAD_INPUT);
    assert_string_equal(err, "the compiler name is empty");
}

static void test_run_keeps_stdout_and_stderr_apart(void **state)
{
    (void)state;
    struct dcc_march_cc cc = shell_cc("echo out; echo err >&2; echo \"$1\"", 5000);
    char *const extra[] = {"-v", NULL};
    struct dcc_buf out = {0}, errout = {0};
    char err[512] = "";
    assert_int_equal(dcc_march_run(&cc, extra, &out, &errout, err, sizeof err), DCC_MARCH_OK);
    assert_string_equal(out.data, "out\n-v\n");
    assert_string_equal(errout.data, "err\n");
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    dcc_march_cc_free(&cc);
}

static void test_run_sets_c_locale(void **state)
{
    (void)state;
    setenv("LC_ALL", "de_DE.UTF-8", 1);
    setenv("LANGUAGE", "de", 1);
    struct dcc_march_cc cc = shell_cc("echo \"LC_ALL=$LC_ALL LANGUAGE=${LANGUAGE-unset}\"", 5000);
    struct dcc_buf out = {0}, errout = {0};
    char err[512] = "";
    assert_int_equal(dcc_march_run(&cc, NULL, &out, &errout, err, sizeof err), DCC_MARCH_OK);
    assert_string_equal(out.data, "LC_ALL=C LANGUAGE=unset\n");
    unsetenv("LC_ALL");
    unsetenv("LANGUAGE");
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    dcc_march_cc_free(&cc);
}

static void test_run_reports_failure_with_the_error_line(void **state)
{
    (void)state;
    struct dcc_march_cc cc = shell_cc(
        "echo 'Using built-in specs.' >&2; "
        "echo \"gcc: error: unrecognized argument in option '-march=native'\" >&2; "
        "echo 'compilation terminated.' >&2; exit 1",
        5000);
    struct dcc_buf out = {0}, errout = {0};
    char err[512] = "";
    assert_int_equal(dcc_march_run(&cc, NULL, &out, &errout, err, sizeof err), DCC_MARCH_CC_FAILED);
    assert_string_equal(
        err, "'/bin/sh -c 'echo '\\''Using built-in specs.'\\'' >&2; echo \"gcc: error: "
             "unrecognized argument in option '\\''-march=native'\\''\" >&2; echo '\\''compilation "
             "terminated.'\\'' >&2; exit 1' sh' failed with exit status 1: gcc: error: "
             "unrecognized argument in option '-march=native'");
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    dcc_march_cc_free(&cc);
}

static void test_run_missing_compiler(void **state)
{
    (void)state;
    char *const words[] = {"dcc-no-such-compiler-xyz", NULL};
    struct dcc_march_cc cc = {dcc_argv_dup(words), 5000};
    struct dcc_buf out = {0}, errout = {0};
    char err[512] = "";
    assert_int_equal(dcc_march_run(&cc, NULL, &out, &errout, err, sizeof err),
                     DCC_MARCH_CC_MISSING);
    assert_string_equal(
        err, "cannot run the compiler 'dcc-no-such-compiler-xyz': No such file or directory");
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    dcc_march_cc_free(&cc);
}

static void test_run_timeout_kills_the_whole_group(void **state)
{
    (void)state;
    /* The sleeping grandchild holds the pipes open; only killing the group ends it. */
    struct dcc_march_cc cc = shell_cc("sleep 30 & sleep 30; echo late", 300);
    struct dcc_buf out = {0}, errout = {0};
    char err[512] = "";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(dcc_march_run(&cc, NULL, &out, &errout, err, sizeof err),
                     DCC_MARCH_CC_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(took < 5.0);
    assert_string_equal(
        err, "'/bin/sh -c 'sleep 30 & sleep 30; echo late' sh' did not finish within 300 ms");
    assert_string_equal(out.data, "");
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    dcc_march_cc_free(&cc);
}

static void test_run_killed_by_signal(void **state)
{
    (void)state;
    struct dcc_march_cc cc = shell_cc("kill -SEGV $$", 5000);
    struct dcc_buf out = {0}, errout = {0};
    char err[512] = "";
    assert_int_equal(dcc_march_run(&cc, NULL, &out, &errout, err, sizeof err), DCC_MARCH_CC_FAILED);
    assert_string_equal(err, "'/bin/sh -c 'kill -SEGV $$' sh' was killed by signal 11");
    dcc_buf_free(&out);
    dcc_buf_free(&errout);
    dcc_march_cc_free(&cc);
}

/* ---- detection through a fake compiler that replays recorded output ---- */

static char *fake_compiler_script(const char *verbose_action, const char *dry_action)
{
    struct dcc_buf b = {0};
    assert_int_equal(dcc_buf_printf(&b,
                                    "case \"$1\" in\n"
                                    "-v) %s ;;\n"
                                    "-###) %s ;;\n"
                                    "*) exit 9 ;;\n"
                                    "esac\n",
                                    verbose_action, dry_action),
                     0);
    return b.data;
}

static void test_detect_falls_back_to_dry_run_output(void **state)
{
    (void)state;
    char dry[PATH_MAX + 128];
    snprintf(dry, sizeof dry, "cat '%s/gcc48-gentoo-k8-hash.txt' >&2", data_dir());
    char *script = fake_compiler_script("echo 'Using built-in specs.' >&2", dry);
    struct dcc_march_cc cc = shell_cc(script, 5000);
    struct dcc_march_native n;
    char err[768] = "";
    int rc = dcc_march_detect(&cc, &n, err, sizeof err);
    if (rc != DCC_MARCH_OK)
        fail_msg("%s", err);
    assert_string_equal(n.arch, "k8-sse3");
    assert_string_equal(n.tune, "k8");
    dcc_march_native_free(&n);
    dcc_march_cc_free(&cc);
    free(script);
}

static void test_detect_does_not_hide_a_failing_compiler(void **state)
{
    (void)state;
    char dry[PATH_MAX + 128];
    snprintf(dry, sizeof dry, "cat '%s/gcc48-gentoo-k8-hash.txt' >&2", data_dir());
    char *script = fake_compiler_script("echo 'cc1: error: bad value for -march' >&2; exit 1", dry);
    struct dcc_march_cc cc = shell_cc(script, 5000);
    struct dcc_march_native n;
    char err[768] = "";
    assert_int_equal(dcc_march_detect(&cc, &n, err, sizeof err), DCC_MARCH_CC_FAILED);
    assert_non_null(strstr(err, "failed with exit status 1: cc1: error: bad value for -march"));
    assert_null(n.arch);
    dcc_march_cc_free(&cc);
    free(script);
}

static void test_detect_reports_both_unreadable_outputs(void **state)
{
    (void)state;
    char *script = fake_compiler_script("echo garbage >&2", "echo more garbage >&2");
    struct dcc_march_cc cc = shell_cc(script, 5000);
    struct dcc_march_native n;
    char err[768] = "";
    assert_int_equal(dcc_march_detect(&cc, &n, err, sizeof err), DCC_MARCH_UNPARSABLE);
    assert_string_equal(err, "no cc1 or cc1plus line in the compiler's output (tried -v and -###)");
    dcc_march_cc_free(&cc);
    free(script);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_recorded_samples),
        cmocka_unit_test(test_parse_quoted_path_with_blank_and_escapes),
        cmocka_unit_test(test_parse_without_mtune_leaves_tune_null),
        cmocka_unit_test(test_parse_rejects_unusable_output),
        cmocka_unit_test(test_parse_refuses_clang),
        cmocka_unit_test(test_help_listing_parsed_up_to_the_value_lists),
        cmocka_unit_test(test_implies_reads_enabled_disabled_and_values),
        cmocka_unit_test(test_reduce_keeps_only_what_the_arch_does_not_imply),
        cmocka_unit_test(test_reduce_keeps_flags_the_listing_does_not_know),
        cmocka_unit_test(test_substitute_cases),
        cmocka_unit_test(test_substitute_keeps_a_tune_that_differs),
        cmocka_unit_test(test_substitute_needs_a_tune_for_mtune_native),
        cmocka_unit_test(test_want_native),
        cmocka_unit_test(test_format_styles),
        cmocka_unit_test(test_compare_listings),
        cmocka_unit_test(test_compare_recorded_native_and_arch_listings),
        cmocka_unit_test(test_cc_init_splits_words),
        cmocka_unit_test(test_run_keeps_stdout_and_stderr_apart),
        cmocka_unit_test(test_run_sets_c_locale),
        cmocka_unit_test(test_run_reports_failure_with_the_error_line),
        cmocka_unit_test(test_run_missing_compiler),
        cmocka_unit_test(test_run_timeout_kills_the_whole_group),
        cmocka_unit_test(test_run_killed_by_signal),
        cmocka_unit_test(test_detect_falls_back_to_dry_run_output),
        cmocka_unit_test(test_detect_does_not_hide_a_failing_compiler),
        cmocka_unit_test(test_detect_reports_both_unreadable_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
