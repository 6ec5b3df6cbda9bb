/* Unit tests for dcc_preflight: reading /toolchain reports, fields, probes and the table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/dcc_preflight.h"

static const char *data_dir(void)
{
    return dcc_test_data_dir("preflight");
}

static json_t *fixture(const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.json", data_dir(), name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char body[65536];
    size_t n = fread(body, 1, sizeof body, f);
    fclose(f);
    json_t *report = NULL;
    char err[256];
    assert_int_equal(dcc_preflight_parse_report(body, n, &report, err, sizeof err), 0);
    return report;
}

static void row_for(const char *name, const char *host, enum dcc_pf_row_kind kind,
                    const char *compiler, struct dcc_pf_row *row)
{
    memset(row, 0, sizeof(*row));
    row->kind = kind;
    snprintf(row->host, sizeof row->host, "%s", host);
    json_t *report = fixture(name);
    dcc_tcmatch_row_from_report(report, compiler, row);
    json_decref(report);
}

static void test_parse_report_rejects_garbage(void **state)
{
    (void)state;
    json_t *rep = NULL;
    char err[256];
    assert_int_equal(dcc_preflight_parse_report("not json", 8, &rep, err, sizeof err), -1);
    assert_null(rep);
    assert_string_equal(err, "not a /toolchain report: '[' or '{' expected near 'not' (line 1)");
    assert_int_equal(dcc_preflight_parse_report("[1]", 3, &rep, err, sizeof err), -1);
    assert_string_equal(err, "not a /toolchain report: not a JSON object");
    assert_int_equal(
        dcc_preflight_parse_report("{\"schema\":2,\"compilers\":{}}", 27, &rep, err, sizeof err),
        -1);
    assert_string_equal(err, "not a /toolchain report: \"schema\" is not 1");
    assert_int_equal(dcc_preflight_parse_report("{\"schema\":1}", 12, &rep, err, sizeof err), -1);
    assert_string_equal(err, "not a /toolchain report: no \"compilers\" object");
    const char stock[] = "<distccstats>\ndcc_tcp_accept 0\n</distccstats>\n";
    assert_int_equal(dcc_preflight_parse_report(stock, sizeof stock - 1, &rep, err, sizeof err),
                     -1);
    assert_string_equal(err, "no /toolchain endpoint (a stock distcc stats page answered)");
    assert_int_equal(dcc_preflight_parse_report("", 0, &rep, err, sizeof err), -1);
}

static void test_fields(void **state)
{
    (void)state;
    unsigned m = 0;
    char err[256];
    assert_int_equal(
        dcc_preflight_parse_fields("version, triple binutils,pie", &m, err, sizeof err), 0);
    assert_int_equal(m, DCC_PF_BIT(DCC_PF_VERSION) | DCC_PF_BIT(DCC_PF_TRIPLE) |
                            DCC_PF_BIT(DCC_PF_BINUTILS) | DCC_PF_BIT(DCC_PF_PIE));
    assert_int_equal(dcc_preflight_parse_fields("none", &m, err, sizeof err), 0);
    assert_int_equal(m, 0);
    assert_int_equal(dcc_preflight_parse_fields("none,pie", &m, err, sizeof err), -1);
    assert_int_equal(dcc_preflight_parse_fields("colour", &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown field \"colour\""));
}

static void test_table(void **state)
{
    (void)state;
    struct dcc_pf_row rows[3];
    row_for("local", "(local)", DCC_PF_ROW_LOCAL, "gcc", &rows[0]);
    row_for("minor", "box", DCC_PF_ROW_REMOTE, "gcc", &rows[1]);
    dcc_tcmatch_compare(&rows[0], &rows[1], DCC_PF_DEFAULT_ERRORS);
    memset(&rows[2], 0, sizeof rows[2]);
    rows[2].kind = DCC_PF_ROW_UNREACHABLE;
    snprintf(rows[2].host, sizeof rows[2].host, "down");
    snprintf(rows[2].reason, sizeof rows[2].reason, "connection refused");
    struct dcc_buf out = {0};
    assert_int_equal(dcc_preflight_render_table(rows, 3, &out), 0);
    assert_int_equal(dcc_preflight_render_findings(rows, 3, &out), 0);
    assert_string_equal(
        out.data,
        "HOST     COMPILER  VERSION  TRIPLE               AS    LD    PIE/SSP  FOUND  RESULT\n"
        "(local)  gcc       13.2.1   x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    reference\n"
        "box      gcc       13.1.0!  x86_64-pc-linux-gnu  2.41  2.41  yes/yes  yes    error\n"
        "down     -         -        -                    -     -     -        -      unreachable\n"
        "box gcc: error: version 13.1.0, local 13.2.1: minor version differs\n"
        "down: unreachable: connection refused\n");
    dcc_buf_free(&out);
    json_t *j = dcc_preflight_rows_json(rows, 3);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "result")),
                        "error");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 2), "reason")),
                        "connection refused");
    json_decref(j);
}

static char *read_data(const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", data_dir(), name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

/* A minimal relocatable ELF: null, .shstrtab and .comment sections. */
static size_t make_elf(unsigned char *d, size_t cap, int is64, int big, const char *comment)
{
    static const char names[] = "\0.shstrtab\0.comment";
    size_t ehsize = is64 ? 64 : 52, shentsize = is64 ? 64 : 40;
    size_t names_off = ehsize, comment_off = names_off + sizeof names;
    size_t clen = strlen(comment) + 2; /* a leading and a trailing NUL */
    size_t shoff = (comment_off + clen + 7) & ~(size_t)7;
    size_t total = shoff + 3 * shentsize;
    assert_true(total <= cap);
    memset(d, 0, total);
    memcpy(d, "\177ELF", 4);
    d[4] = is64 ? 2 : 1;
    d[5] = big ? 2 : 1;
    d[6] = 1;
#define PUT(off, size, val) \
    do { \
        uint64_t v_ = (val); \
        for (size_t i_ = 0; i_ < (size); i_++) \
            d[(off) + (big ? (size)-1 - i_ : i_)] = (unsigned char)(v_ >> (8 * i_)); \
    } while (0)
    size_t w = is64 ? 8 : 4;
    PUT(is64 ? 0x28 : 0x20, w, shoff);
    PUT(is64 ? 0x3a : 0x2e, 2, shentsize);
    PUT(is64 ? 0x3c : 0x30, 2, 3);
    PUT(is64 ? 0x3e : 0x32, 2, 1);
    memcpy(d + names_off, names, sizeof names);
    memcpy(d + comment_off + 1, comment, strlen(comment));
    size_t sh1 = shoff + shentsize, sh2 = shoff + 2 * shentsize;
    PUT(sh1, 4, 1); /* ".shstrtab" */
    PUT(sh1 + (is64 ? 0x18 : 0x10), w, names_off);
    PUT(sh1 + (is64 ? 0x20 : 0x14), w, sizeof names);
    PUT(sh2, 4, 11); /* ".comment" */
    PUT(sh2 + (is64 ? 0x18 : 0x10), w, comment_off);
    PUT(sh2 + (is64 ? 0x20 : 0x14), w, clen);
#undef PUT
    return total;
}

static void test_elf_comment(void **state)
{
    (void)state;
    unsigned char d[1024];
    char out[128], err[128];
    const char *gcc = "GCC: (Gentoo 13.2.1_p20240210 p14) 13.2.1 20240210";
    for (int is64 = 0; is64 <= 1; is64++)
        for (int big = 0; big <= 1; big++) {
            size_t len = make_elf(d, sizeof d, is64, big, gcc);
            assert_int_equal(dcc_preflight_elf_comment(d, len, out, sizeof out, err, sizeof err),
                             0);
            assert_string_equal(out, gcc);
            /* Cut anywhere: an error, never a read past the end. */
            for (size_t cut = 0; cut < len; cut += 7)
                assert_int_equal(
                    dcc_preflight_elf_comment(d, cut, out, sizeof out, err, sizeof err), -1);
        }
    assert_int_equal(dcc_preflight_elf_comment((const unsigned char *)"int x;\n", 7, out,
                                               sizeof out, err, sizeof err),
                     -1);
    assert_string_equal(err, "not an ELF object");
}

static void probe_with(struct dcc_pf_probe *p, int code, const char *output, int have_object)
{
    memset(p, 0, sizeof *p);
    p->host_spec = "box";
    p->compiler = "gcc";
    p->started = 1;
    p->status = code << 8; /* a wait status of a normal exit */
    p->have_object = have_object;
    assert_int_equal(dcc_buf_appends(&p->output, output), 0);
}

static void test_row_from_probe(void **state)
{
    (void)state;
    struct dcc_pf_probe p;
    struct dcc_pf_row r;

    probe_with(&p, 0, read_data("probe-gentoo.txt"), 1);
    snprintf(p.comment, sizeof p.comment, "GCC: (Gentoo 13.2.1_p20240210 p14) 13.2.1 20240210");
    memset(&r, 0, sizeof r);
    dcc_preflight_row_from_probe(&p, &r);
    assert_int_equal(r.kind, DCC_PF_ROW_REMOTE);
    assert_int_equal(r.found, 1);
    assert_int_equal(r.probed, 1);
    assert_string_equal(r.version, "13.2.1");
    dcc_buf_free(&p.output);

    /* A local row that agrees: ld is unknown on the probe and not news. */
    struct dcc_pf_row local = {.kind = DCC_PF_ROW_LOCAL, .found = 1, .pie = 1, .ssp = 1};
    snprintf(local.version, sizeof local.version, "13.2.1");
    snprintf(local.machine, sizeof local.machine, "x86_64-pc-linux-gnu");
    snprintf(local.as_version, sizeof local.as_version, "2.41");
    snprintf(local.ld_version, sizeof local.ld_version, "2.41");
    assert_int_equal(dcc_tcmatch_compare(&local, &r, DCC_PF_DEFAULT_ERRORS), DCC_PF_SAME);
    /* An object whose .comment disagrees with -v: a warning. */
    snprintf(r.comment, sizeof r.comment, "GCC: (Gentoo 13.1.0 p1) 13.1.0");
    assert_int_equal(dcc_tcmatch_compare(&local, &r, DCC_PF_DEFAULT_ERRORS), DCC_PF_WARN);
    assert_string_equal(r.findings[0].what, ".comment");
    assert_string_equal(r.findings[0].why, "the helper's gcc -v said 13.2.1");

    /* Refused by the helper: reached, but the compiler is not there. */
    probe_with(
        &p, 108,
        "distcc[7] warning: failed to distribute probe.i to box/4 (waiting for the result: peer "
        "closed the connection)\n"
        "distcc[7] error: probe.i was not built\n",
        0);
    memset(&r, 0, sizeof r);
    dcc_preflight_row_from_probe(&p, &r);
    assert_int_equal(r.kind, DCC_PF_ROW_REMOTE);
    assert_int_equal(r.found, -1);
    assert_string_equal(r.error, "exit 108: waiting for the result: peer closed the connection");
    dcc_buf_free(&p.output);

    /* A refusal: the reason after "running locally instead: ". */
    probe_with(
        &p, 110,
        "distcc[7] warning: failed to distribute probe.i to box/4, running locally instead: distccd on "
        "box refused this job: failed to exec gcc: not found\n",
        0);
    memset(&r, 0, sizeof r);
    dcc_preflight_row_from_probe(&p, &r);
    assert_string_equal(r.error,
                        "exit 110: distccd on box refused this job: failed to exec gcc: not found");
    dcc_buf_free(&p.output);

    /* Not reached: connect failed. */
    probe_with(
        &p, 103,
        "distcc[7] warning: failed to distribute probe.i to box/4 (cannot connect to box:3632: "
        "Connection refused), running locally instead\n",
        0);
    memset(&r, 0, sizeof r);
    dcc_preflight_row_from_probe(&p, &r);
    assert_int_equal(r.kind, DCC_PF_ROW_UNREACHABLE);
    assert_string_equal(r.reason, "probe compile: cannot connect to box:3632: Connection refused");
    dcc_buf_free(&p.output);

    /* Over ssh, ssh's own complaint names the failure. */
    probe_with(
        &p, 108,
        "ssh: Could not resolve hostname box: Name or service not known\n"
        "distcc[7] warning: failed to distribute probe.i to @box/4 (peer closed), trying another helper\n",
        0);
    p.over_ssh = 1;
    memset(&r, 0, sizeof r);
    dcc_preflight_row_from_probe(&p, &r);
    assert_int_equal(r.kind, DCC_PF_ROW_UNREACHABLE);
    assert_string_equal(r.reason, "probe compile over ssh: ssh: Could not resolve hostname box: "
                                  "Name or service not known");
    dcc_buf_free(&p.output);

    /* Killed at the timeout. */
    probe_with(&p, 0, "", 0);
    p.timed_out = 1;
    memset(&r, 0, sizeof r);
    dcc_preflight_row_from_probe(&p, &r);
    assert_int_equal(r.kind, DCC_PF_ROW_UNREACHABLE);
    assert_string_equal(r.reason, "probe compile timed out");
    dcc_buf_free(&p.output);
}

/* The runner with a stand-in client: a script that writes what a helper
 * would send back. */
static void test_probe_run(void **state)
{
    (void)state;
    char dir[] = "/tmp/dcc-test-probe.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/fake-distcc", dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n"
               "[ \"$DISTCC_FALLBACK$DISTCC_SKIP_LOCAL_RETRY\" = 01 ] || exit 99\n"
               "case \"$DISTCC_HOSTS\" in slow) exec sleep 30 ;; down) echo 'distcc[1] warning: "
               "failed to distribute x to down (cannot connect)' >&2; exit 103 ;; esac\n"
               "echo \"gcc version 13.2.1 ($DISTCC_HOSTS $1 $4)\" >&2\n"
               "echo 'not an object' >probe.o\n");
    fclose(f);
    chmod(script, 0755);
    struct dcc_pf_probe p[3] = {{.host_spec = "box", .compiler = "g++"},
                                {.host_spec = "down", .compiler = "gcc"},
                                {.host_spec = "slow", .compiler = "gcc"}};
    char err[256];
    assert_int_equal(dcc_preflight_probe_run(p, 3, script, 1000, err, sizeof err), 0);
    assert_int_equal(WEXITSTATUS(p[0].status), 0);
    assert_string_equal(p[0].output.data, "gcc version 13.2.1 (box g++ probe.ii)\n");
    assert_int_equal(p[0].have_object, 1);
    assert_string_equal(p[0].comment, "");
    assert_string_equal(p[0].err, "not an ELF object");
    assert_int_equal(WEXITSTATUS(p[1].status), 103);
    assert_int_equal(p[2].timed_out, 1);
    dcc_preflight_probe_free(p, 3);
    unlink(script);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_report_rejects_garbage),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_elf_comment),
        cmocka_unit_test(test_row_from_probe),
        cmocka_unit_test(test_probe_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
