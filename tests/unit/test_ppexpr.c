/* Unit tests for dcc_ppexpr: #if arithmetic, macro expansion, unknown
 * macros and taking both branches, computed include names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/dcc_ppexpr.h"

/* The __has_include callback: "yes.h" exists, "maybe.h" is unknown,
 * "stop.h" gives up; every name asked for is recorded. */
struct asked {
    char names[512];
};

static int has_cb(void *ctx, const char *name, size_t len, int angle, int next)
{
    struct asked *a = ctx;
    char one[128];
    snprintf(one, sizeof one, "%s%s%.*s%s ", next ? "next:" : "", angle ? "<" : "\"", (int)len,
             name ? name : "?", angle ? ">" : "\"");
    strncat(a->names, one, sizeof a->names - strlen(a->names) - 1);
    if (!name)
        return DCC_PP_UNKNOWN;
    if (len == 5 && memcmp(name, "yes.h", 5) == 0)
        return DCC_PP_TRUE;
    if (len == 7 && memcmp(name, "maybe.h", 7) == 0)
        return DCC_PP_UNKNOWN;
    if (len == 6 && memcmp(name, "stop.h", 6) == 0)
        return DCC_PP_STOP;
    return DCC_PP_FALSE;
}

static void define(struct dcc_pp *pp, const char *line)
{
    assert_int_equal(dcc_pp_define(pp, line, strlen(line)), 0);
}

static int eval(struct dcc_pp *pp, const char *line)
{
    struct asked a = {""};
    return dcc_pp_eval(pp, line, strlen(line), has_cb, &a);
}

#define EXPECT(pp, line, want) \
    do { \
        int got_ = eval(pp, line); \
        if (got_ != (want)) \
            fail_msg("#if %s: got %d, want %d", line, got_, want); \
    } while (0)

static void test_arithmetic_follows_c(void **state)
{
    (void)state;
    struct dcc_pp *pp = dcc_pp_new(0);
    assert_non_null(pp);
    static const struct {
        const char *line;
        int want;
    } cases[] = {
        {"1", DCC_PP_TRUE},
        {"0", DCC_PP_FALSE},
        {"1 + 2 * 3 == 7", DCC_PP_TRUE},
        {"(1 + 2) * 3 == 9", DCC_PP_TRUE},
        {"10 / 3 == 3 && 10 % 3 == 1", DCC_PP_TRUE},
        {"-1 < 0", DCC_PP_TRUE},
        {"-1 < 0u", DCC_PP_FALSE}, /* converted to uintmax_t */
        {"-1 > 0U", DCC_PP_TRUE},
        {"0xffffffffffffffff == -1", DCC_PP_TRUE},
        {"18446744073709551615 > 0", DCC_PP_TRUE}, /* so large that it is unsigned */
        {"9223372036854775807 > 0", DCC_PP_TRUE},
        {"0x10 == 16 && 010 == 8 && 0b101 == 5", DCC_PP_TRUE},
        {"1L == 1 && 2ULL == 2 && 3lu == 3", DCC_PP_TRUE},
        {"1 << 62 > 0", DCC_PP_TRUE},
        {"1 << 63 < 0", DCC_PP_TRUE},
        {"-16 >> 2 == -4", DCC_PP_TRUE},
        {"~0 == -1", DCC_PP_TRUE},
        {"!0 && !!5", DCC_PP_TRUE},
        {"(5 & 3) == 1 && (5 | 3) == 7 && (5 ^ 3) == 6", DCC_PP_TRUE},
        {"1 ? 2 : 3", DCC_PP_TRUE},
        {"0 ? 2 : 0", DCC_PP_FALSE},
        {"(0 ? 1u : -1) > 0", DCC_PP_TRUE}, /* ?: converts too */
        {"(2, 0)", DCC_PP_FALSE},
        {"'a' == 97 && '\\n' == 10 && '\\x41' == 65 && '\\101' == 65", DCC_PP_TRUE},
        {"'\\377' < 0", DCC_PP_TRUE}, /* plain char is signed here */
        {"'ab' == 24930", DCC_PP_TRUE},
        {"0 && 1 / 0", DCC_PP_FALSE}, /* not evaluated */
        {"1 || 1 / 0", DCC_PP_TRUE},
        {"1 / 0", DCC_PP_UNKNOWN}, /* gcc rejects it */
        {"1 +", DCC_PP_UNKNOWN},
        {"(1", DCC_PP_UNKNOWN},
        {"1.0", DCC_PP_UNKNOWN},
        {"\"s\"", DCC_PP_UNKNOWN},
        {"", DCC_PP_UNKNOWN},
        {"undefined_name == 0", DCC_PP_TRUE},
        {"true", DCC_PP_FALSE}, /* C: an identifier */
        {"1'000 == 1000", DCC_PP_TRUE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        EXPECT(pp, cases[i].line, cases[i].want);
    define(pp, "__cplusplus 201703L");
    EXPECT(pp, "true && !false", DCC_PP_TRUE);
    define(pp, "__CHAR_UNSIGNED__ 1");
    EXPECT(pp, "'\\377' > 0", DCC_PP_TRUE);
    dcc_pp_free(pp);
}

static void test_macros_expand_like_cpp(void **state)
{
    (void)state;
    struct dcc_pp *pp = dcc_pp_new(0);
    define(pp, "ONE 1");
    define(pp, "TWO (ONE + ONE)");
    define(pp, "ADD(a, b) ((a) + (b))");
    define(pp, "CAT(a, b) a ## b");
    define(pp, "XCAT(a, b) CAT(a, b)");
    define(pp, "VER_3 3");
    define(pp, "SELF SELF + 1");
    define(pp, "EMPTY");
    define(pp, "COUNT(...) COUNT_(__VA_ARGS__, 3, 2, 1, 0)");
    define(pp, "COUNT_(a, b, c, n, ...) n");
    define(pp, "OPT(x, ...) x __VA_OPT__(+ 1)");
    define(pp, "GNU(fmt, args...) fmt , ## args");
    define(pp, "F(x) x");
    define(pp, "G F");
    EXPECT(pp, "TWO == 2", DCC_PP_TRUE);
    EXPECT(pp, "ADD(TWO, 3) == 5", DCC_PP_TRUE);
    EXPECT(pp, "ADD((1, 2), 1) == 3", DCC_PP_TRUE);
    EXPECT(pp, "CAT(VER_, 3) == 3", DCC_PP_TRUE);
    EXPECT(pp, "XCAT(VER_, 3) == 3", DCC_PP_TRUE);
    EXPECT(pp, "CAT(1, 2) == 12", DCC_PP_TRUE);
    EXPECT(pp, "SELF == 1", DCC_PP_TRUE); /* SELF stays a name, 0 */
    EXPECT(pp, "EMPTY 1", DCC_PP_TRUE);
    EXPECT(pp, "COUNT(a, b) == 2 && COUNT(a) == 1", DCC_PP_TRUE);
    EXPECT(pp, "OPT(1) == 1 && OPT(1, 2) == 2", DCC_PP_TRUE);
    EXPECT(pp, "GNU(4) == 4", DCC_PP_TRUE);
    EXPECT(pp, "G(5) == 5", DCC_PP_TRUE); /* the call goes on after the expansion */
    EXPECT(pp, "ADD(1)", DCC_PP_UNKNOWN);
    EXPECT(pp, "ADD(1, 2", DCC_PP_UNKNOWN);
    EXPECT(pp, "F == 0", DCC_PP_TRUE); /* a function-like name without ( */
    assert_int_equal(dcc_pp_undef(pp, " ONE", 4), 0);
    EXPECT(pp, "defined ONE || ONE", DCC_PP_FALSE);
    EXPECT(pp, "defined(TWO) && !defined ONE", DCC_PP_TRUE);
    EXPECT(pp, "defined(__has_include) && defined __LINE__", DCC_PP_TRUE);
    EXPECT(pp, "defined(__has_feature)", DCC_PP_FALSE); /* gcc has none */
    dcc_pp_set_clang(pp, 1);
    EXPECT(pp, "defined(__has_feature)", DCC_PP_TRUE);
    assert_int_equal(dcc_pp_define_option(pp, "OPT_A"), 0);
    assert_int_equal(dcc_pp_define_option(pp, "OPT_B=7"), 0);
    assert_int_equal(dcc_pp_define_option(pp, "OPT_C(x)=x*2"), 0);
    EXPECT(pp, "OPT_A == 1 && OPT_B == 7 && OPT_C(3) == 6", DCC_PP_TRUE);
    static const char lines[] = "#define __GNUC__ 12\n#define __x86_64__ 1\n#define __VERSION__ "
                                "\"12.2.0\"\n";
    assert_int_equal(dcc_pp_define_lines(pp, lines, sizeof lines - 1), 0);
    EXPECT(pp, "__GNUC__ >= 12 && defined(__x86_64__)", DCC_PP_TRUE);
    assert_int_equal(dcc_pp_ifdef(pp, " __x86_64__", 11), DCC_PP_TRUE);
    assert_int_equal(dcc_pp_ifdef(pp, " __arm__", 8), DCC_PP_FALSE);
    /* malformed definitions are refused and change nothing */
    assert_int_equal(dcc_pp_define(pp, "1X 2", 4), 1);
    assert_int_equal(dcc_pp_define(pp, "B(a 2", 5), 1);
    assert_int_equal(dcc_pp_define(pp, "C ## x", 6), 1);
    /* The body is lexed only when expanded, but ## at its end is still
     * refused at once (so is %:%:); a string ending in ## is a body. */
    assert_int_equal(dcc_pp_define(pp, "BAD1 x ##  ", 11), 1);
    assert_int_equal(dcc_pp_define(pp, "BAD2(a) a %:%:", 14), 1);
    assert_int_equal(dcc_pp_define(pp, "BAD3 %:%: x", 11), 1);
    assert_int_equal(dcc_pp_define(pp, "BAD4 a ## b ##", 14), 1);
    assert_int_equal(dcc_pp_define(pp, "STR \"##\"", 8), 0);
    EXPECT(pp, "defined C || defined BAD1 || defined BAD2 || defined BAD3 || defined BAD4",
           DCC_PP_FALSE);
    EXPECT(pp, "defined STR", DCC_PP_TRUE);
    /* a body is tokenised when first expanded, the same each time after */
    define(pp, "LATE (OPT_B + 1)");
    define(pp, "LATEF(x) ((x) << 1)");
    EXPECT(pp, "LATE == 8 && LATEF(LATE) == 16", DCC_PP_TRUE);
    EXPECT(pp, "LATEF(2) + LATE == 12", DCC_PP_TRUE);
    dcc_pp_free(pp);
}

static void test_unknown_values_propagate(void **state)
{
    (void)state;
    struct dcc_pp *pp = dcc_pp_new(0);
    EXPECT(pp, "__has_attribute(noreturn)", DCC_PP_UNKNOWN);
    EXPECT(pp, "0 && __has_builtin(__builtin_expect)", DCC_PP_FALSE);
    EXPECT(pp, "__has_builtin(x) || 1", DCC_PP_TRUE);
    EXPECT(pp, "__LINE__ > 0", DCC_PP_UNKNOWN);
    EXPECT(pp, "__has_attribute(x) ? 1 : 1", DCC_PP_TRUE);
    /* A macro defined in one branch of an unknown condition is unknown after it. */
    define(pp, "KEEP 1");
    assert_int_equal(dcc_pp_group_begin(pp), 0);
    define(pp, "A 1");
    define(pp, "HDR(x) <x>");
    assert_int_equal(dcc_pp_depth(pp), 1);
    EXPECT(pp, "A == 1", DCC_PP_TRUE); /* inside the branch it is what it says */
    assert_int_equal(dcc_pp_branch_end(pp), 0);
    EXPECT(pp, "defined A", DCC_PP_FALSE); /* the other branch starts from before */
    assert_int_equal(dcc_pp_undef(pp, "KEEP", 4), 0);
    assert_int_equal(dcc_pp_group_end(pp), 0);
    assert_int_equal(dcc_pp_depth(pp), 0);
    EXPECT(pp, "defined A", DCC_PP_UNKNOWN);
    EXPECT(pp, "A == 1", DCC_PP_UNKNOWN);
    EXPECT(pp, "0 && A", DCC_PP_FALSE);        /* A was a number or nothing: an atom */
    EXPECT(pp, "0 && HDR(x)", DCC_PP_UNKNOWN); /* HDR may expand to anything */
    EXPECT(pp, "KEEP", DCC_PP_UNKNOWN);
    assert_int_equal(dcc_pp_ifdef(pp, "KEEP", 4), DCC_PP_UNKNOWN);
    EXPECT(pp, "defined NEVER", DCC_PP_FALSE);
    dcc_pp_free(pp);
    /* Without the compiler's predefined macros every other name is unknown. */
    pp = dcc_pp_new(1);
    EXPECT(pp, "defined __GNUC__", DCC_PP_UNKNOWN);
    EXPECT(pp, "__STDC_VERSION__ >= 201112L", DCC_PP_UNKNOWN);
    define(pp, "MINE 2");
    EXPECT(pp, "MINE == 2", DCC_PP_TRUE);
    dcc_pp_free(pp);
}

static void test_has_include_asks_for_every_name(void **state)
{
    (void)state;
    struct dcc_pp *pp = dcc_pp_new(0);
    define(pp, "NAME \"yes.h\"");
    define(pp, "WRAP(x) __has_include(x)");
    struct asked a = {""};
    static const char line[] = "0 && __has_include(\"no.h\") || __has_include(<yes.h>) || "
                               "__has_include_next(<sub/x.h>) || __has_include(NAME)";
    assert_int_equal(dcc_pp_eval(pp, line, sizeof line - 1, has_cb, &a), DCC_PP_TRUE);
    assert_string_equal(a.names, "\"no.h\" <yes.h> next:<sub/x.h> \"yes.h\" ");
    EXPECT(pp, "__has_include(\"maybe.h\")", DCC_PP_UNKNOWN);
    EXPECT(pp, "!__has_include(\"no.h\")", DCC_PP_TRUE);
    EXPECT(pp, "__has_include(\"stop.h\")", DCC_PP_STOP);
    EXPECT(pp, "__has_include(UNDEFINED_NAME)", DCC_PP_UNKNOWN);
    EXPECT(pp, "__has_include", DCC_PP_UNKNOWN);
    /* even inside a call nobody can expand */
    struct asked b = {""};
    static const char line2[] = "__has_attribute(__has_include(\"yes.h\"))";
    assert_int_equal(dcc_pp_eval(pp, line2, sizeof line2 - 1, has_cb, &b), DCC_PP_UNKNOWN);
    assert_string_equal(b.names, "\"yes.h\" ");
    dcc_pp_free(pp);
}

static void expect_name(struct dcc_pp *pp, const char *line, int want, const char *name, int angle)
{
    char *got = NULL;
    size_t len = 0;
    int a = -1;
    int rc = dcc_pp_include_name(pp, line, strlen(line), &got, &len, &a);
    if (rc != want)
        fail_msg("#include %s: got %d, want %d", line, rc, want);
    if (want == DCC_PP_TRUE) {
        assert_string_equal(got, name);
        assert_int_equal(len, strlen(name));
        assert_int_equal(a, angle);
    } else {
        assert_null(got);
    }
    free(got);
}

static void test_computed_include_names(void **state)
{
    (void)state;
    struct dcc_pp *pp = dcc_pp_new(0);
    define(pp, "CONFIG_H \"config.h\"");
    define(pp, "SYS_H <sys/types.h>");
    define(pp, "STR(x) #x");
    define(pp, "XSTR(x) STR(x)");
    define(pp, "ARCH x86");
    define(pp, "ARCH_H(f) XSTR(arch/ARCH/f)");
    define(pp, "PLAT(x) <plat/x.h>");
    expect_name(pp, " CONFIG_H", DCC_PP_TRUE, "config.h", 0);
    expect_name(pp, " SYS_H", DCC_PP_TRUE, "sys/types.h", 1);
    expect_name(pp, " ARCH_H(io.h)", DCC_PP_TRUE, "arch/x86/io.h", 0);
    expect_name(pp, " PLAT(linux)", DCC_PP_TRUE, "plat/linux.h", 1);
    expect_name(pp, " NOT_DEFINED", DCC_PP_UNKNOWN, NULL, 0);
    expect_name(pp, " SYS_H extra", DCC_PP_TRUE, "sys/types.h", 1);
    expect_name(pp, " <unterminated", DCC_PP_UNKNOWN, NULL, 0);
    dcc_pp_free(pp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arithmetic_follows_c),
        cmocka_unit_test(test_macros_expand_like_cpp),
        cmocka_unit_test(test_unknown_values_propagate),
        cmocka_unit_test(test_has_include_asks_for_every_name),
        cmocka_unit_test(test_computed_include_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
