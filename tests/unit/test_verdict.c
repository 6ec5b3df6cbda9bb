/* Unit tests for dcc_verdict: preflight's rows, exit code and output from the fixtures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_data.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/dcc_verdict.h"

static const char *const gcc_gxx[] = {"gcc", "g++"};
static const struct dcc_verdict_policy defaults = {
    .names = gcc_gxx, .n_names = 2, .errors = DCC_PF_DEFAULT_ERRORS, .warn_ok = 0};

/* tests/data/preflight/FILE, whole. */
static void read_data(const char *file, struct dcc_buf *out)
{
    char path[PATH_MAX + 64];
    char err[256];
    snprintf(path, sizeof path, "%s/%s", dcc_test_data_dir("preflight"), file);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    memset(out, 0, sizeof *out);
    assert_int_equal(dcc_read_regular_fd(fd, path, 1 << 20, "a fixture", out, err, sizeof err), 0);
    close(fd);
}

/* A /toolchain fixture as preflight reads a helper's answer. */
static json_t *report(const char *name)
{
    char file[64];
    struct dcc_buf b;
    json_t *r = NULL;
    char err[256];
    snprintf(file, sizeof file, "%s.json", name);
    read_data(file, &b);
    assert_int_equal(dcc_preflight_parse_report(b.data, b.len, &r, err, sizeof err), 0);
    dcc_buf_free(&b);
    return r;
}

static struct dcc_verdict_host answered(const char *host, const json_t *r)
{
    return (struct dcc_verdict_host){.host = host, .report = r, .reason = ""};
}

static struct dcc_verdict_host unreachable(const char *host, const char *reason)
{
    return (struct dcc_verdict_host){.host = host, .reason = reason};
}

/* local.json against one host answering with fixture name. */
static int verdict_for(const char *name, const struct dcc_verdict_policy *p, struct dcc_verdict *v)
{
    json_t *local = report("local");
    json_t *remote = report(name);
    struct dcc_verdict_host h = answered(name, remote);
    char err[128];
    assert_int_equal(dcc_verdict_make(local, &h, 1, p, v, err, sizeof err), 0);
    json_decref(local);
    json_decref(remote);
    return v->exit_code;
}

static void test_matching_toolchains_agree(void **state)
{
    (void)state;
    json_t *local = report("local");
    json_t *same = report("same");
    struct dcc_verdict_host hosts[] = {answered("a", same), answered("b", same)};
    struct dcc_verdict v;
    char err[128];
    assert_int_equal(dcc_verdict_make(local, hosts, 2, &defaults, &v, err, sizeof err), 0);
    assert_int_equal(v.exit_code, DCC_VERDICT_AGREE);
    assert_int_equal(v.worst, DCC_PF_SAME);
    /* the two local rows first, then two per host, in list order */
    assert_int_equal(v.n_rows, 6);
    assert_int_equal(v.rows[0].kind, DCC_PF_ROW_LOCAL);
    assert_string_equal(v.rows[0].host, "(local)");
    assert_string_equal(v.rows[1].compiler, "g++");
    assert_string_equal(v.rows[2].host, "a");
    assert_string_equal(v.rows[2].compiler, "gcc");
    assert_string_equal(v.rows[5].host, "b");
    assert_string_equal(v.rows[5].compiler, "g++");
    for (size_t i = 2; i < 6; i++) {
        assert_int_equal(v.rows[i].kind, DCC_PF_ROW_REMOTE);
        assert_int_equal(v.rows[i].level, DCC_PF_SAME);
        assert_int_equal(v.rows[i].n_findings, 0);
    }
    assert_int_equal(v.n_hosts, 2);
    assert_int_equal(v.n_err_hosts + v.n_warn_hosts + v.n_unreach, 0);
    dcc_verdict_free(&v);
    json_decref(local);
    json_decref(same);
}

/* Each kind of mismatch: the fixture's finding (host, field, local value,
 * remote value, result) and the exit code, under a policy. */
struct mismatch_case {
    const char *fixture;
    unsigned errors;
    int warn_ok;
    enum dcc_pf_field field; /* of the gcc row's first finding */
    const char *what, *local, *remote;
    enum dcc_pf_level level;
    int exit_code;
};

static const struct mismatch_case mismatches[] = {
    {"major", DCC_PF_DEFAULT_ERRORS, 0, DCC_PF_VERSION, "version", "13.2.1", "12.3.1", DCC_PF_ERROR,
     2},
    {"minor", DCC_PF_DEFAULT_ERRORS, 0, DCC_PF_VERSION, "version", "13.2.1", "13.1.0", DCC_PF_ERROR,
     2},
    /* --errors none: the same difference only warns; --warn-ok passes it */
    {"minor", 0, 0, DCC_PF_VERSION, "version", "13.2.1", "13.1.0", DCC_PF_WARN, 1},
    {"minor", 0, 1, DCC_PF_VERSION, "version", "13.2.1", "13.1.0", DCC_PF_WARN, 0},
    {"patch", DCC_PF_DEFAULT_ERRORS, 0, DCC_PF_VERSION, "version", "13.2.1", "13.2.0", DCC_PF_WARN,
     1},
    {"patch", DCC_PF_DEFAULT_ERRORS, 1, DCC_PF_VERSION, "version", "13.2.1", "13.2.0", DCC_PF_WARN,
     0},
    /* a patch level stays a warning even when every field is an error */
    {"patch", ~0u, 0, DCC_PF_VERSION, "version", "13.2.1", "13.2.0", DCC_PF_WARN, 1},
    {"triple", DCC_PF_DEFAULT_ERRORS, 0, DCC_PF_TRIPLE, "chost", "x86_64-pc-linux-gnu",
     "aarch64-unknown-linux-gnu", DCC_PF_ERROR, 2},
    {"binutils", DCC_PF_DEFAULT_ERRORS, 0, DCC_PF_BINUTILS, "ld", "2.41", "2.40", DCC_PF_ERROR, 2},
    {"nopie", DCC_PF_DEFAULT_ERRORS, 0, DCC_PF_PIE, "pie_default", "yes", "no", DCC_PF_ERROR, 2},
    {"nopie", DCC_PF_DEFAULT_ERRORS & ~DCC_PF_BIT(DCC_PF_PIE), 0, DCC_PF_PIE, "pie_default", "yes",
     "no", DCC_PF_WARN, 1},
    /* a compiler missing on a helper only slows the build, unless named */
    {"missing", DCC_PF_DEFAULT_ERRORS, 0, DCC_PF_FOUND, "found", "yes", "no", DCC_PF_WARN, 1},
    {"missing", DCC_PF_BIT(DCC_PF_FOUND), 0, DCC_PF_FOUND, "found", "yes", "no", DCC_PF_ERROR, 2},
    /* a value the helper does not know is a warning */
    {"unknown", DCC_PF_DEFAULT_ERRORS, 0, DCC_PF_VERSION, "version", "13.2.1", "unknown",
     DCC_PF_WARN, 1},
};

static void test_each_mismatch(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof mismatches / sizeof mismatches[0]; i++) {
        const struct mismatch_case *c = &mismatches[i];
        struct dcc_verdict_policy p = defaults;
        p.errors = c->errors;
        p.warn_ok = c->warn_ok;
        struct dcc_verdict v;
        print_message("case %zu: %s errors=%#x warn_ok=%d\n", i, c->fixture, c->errors, c->warn_ok);
        assert_int_equal(verdict_for(c->fixture, &p, &v), c->exit_code);
        assert_int_equal(v.worst, c->level);
        assert_int_equal(v.n_err_hosts, c->level == DCC_PF_ERROR);
        assert_int_equal(v.n_warn_hosts, c->level == DCC_PF_WARN);
        const struct dcc_pf_row *r = &v.rows[2]; /* the host's gcc row */
        assert_string_equal(r->host, c->fixture);
        assert_string_equal(r->compiler, "gcc");
        assert_int_equal(r->level, c->level);
        assert_true(r->n_findings >= 1);
        assert_int_equal(r->findings[0].field, c->field);
        assert_string_equal(r->findings[0].what, c->what);
        assert_string_equal(r->findings[0].local, c->local);
        assert_string_equal(r->findings[0].remote, c->remote);
        assert_int_equal(r->findings[0].level, c->level);
        assert_int_equal(r->cell[c->field], c->level);
        dcc_verdict_free(&v);
    }
}

/* No fixture differs in SSP alone: local.json with ssp_default false. */
static void test_ssp_default(void **state)
{
    (void)state;
    json_t *local = report("local");
    json_t *nossp = json_deep_copy(local);
    assert_non_null(nossp);
    json_t *gcc = json_object_get(json_object_get(nossp, "compilers"), "gcc");
    assert_int_equal(json_object_set_new(gcc, "ssp_default", json_false()), 0);
    struct dcc_verdict_host h = answered("nossp", nossp);
    struct dcc_verdict v;
    char err[128];
    assert_int_equal(dcc_verdict_make(local, &h, 1, &defaults, &v, err, sizeof err), 0);
    assert_int_equal(v.exit_code, DCC_VERDICT_ERRORS);
    assert_int_equal(v.rows[2].cell[DCC_PF_SSP], DCC_PF_ERROR);
    assert_int_equal(v.rows[2].cell[DCC_PF_PIE], DCC_PF_SAME);
    assert_int_equal(v.rows[3].level, DCC_PF_SAME); /* g++ keeps its default */
    dcc_verdict_free(&v);
    json_decref(nossp);
    json_decref(local);
}

/* An unreachable host is one row with its reason and exit 3, unless another
 * host has errors (2 wins); --warn-ok does not hide it. */
static void test_unreachable_hosts(void **state)
{
    (void)state;
    json_t *local = report("local");
    json_t *minor = report("minor");
    json_t *patch = report("patch");
    char err[128];
    struct dcc_verdict v;

    struct dcc_verdict_host gone[] = {
        unreachable("gone", "Couldn't connect to server (http://gone:3633/toolchain)"),
        answered("patch", patch)};
    struct dcc_verdict_policy p = defaults;
    p.warn_ok = 1;
    assert_int_equal(dcc_verdict_make(local, gone, 2, &p, &v, err, sizeof err), 0);
    assert_int_equal(v.exit_code, DCC_VERDICT_UNREACHABLE);
    assert_int_equal(v.n_rows, 2 + 1 + 2);
    assert_int_equal(v.rows[2].kind, DCC_PF_ROW_UNREACHABLE);
    assert_string_equal(v.rows[2].host, "gone");
    assert_string_equal(v.rows[2].reason,
                        "Couldn't connect to server (http://gone:3633/toolchain)");
    assert_string_equal(v.rows[3].host, "patch");
    assert_int_equal(v.n_unreach, 1);
    assert_int_equal(v.n_warn_hosts, 1);
    dcc_verdict_free(&v);

    struct dcc_verdict_host both[] = {answered("minor", minor), unreachable("gone", "timed out")};
    assert_int_equal(dcc_verdict_make(local, both, 2, &defaults, &v, err, sizeof err), 0);
    assert_int_equal(v.exit_code, DCC_VERDICT_ERRORS);
    assert_int_equal(v.n_err_hosts, 1);
    assert_int_equal(v.n_unreach, 1);
    dcc_verdict_free(&v);

    json_decref(local);
    json_decref(minor);
    json_decref(patch);
}

/* A probe that compiled through the daemon with text as its output. */
static void probe_ok(struct dcc_pf_probe *p, const char *compiler, const char *text)
{
    memset(p, 0, sizeof *p);
    p->host_spec = "stock";
    p->compiler = compiler;
    p->started = 1;
    p->have_object = 1;
    assert_int_equal(dcc_buf_appends(&p->output, text), 0);
}

/* The probe text with every "from" replaced by "to" (same length). */
static char *replaced(const char *text, const char *from, const char *to)
{
    char *s = strdup(text);
    assert_non_null(s);
    assert_int_equal(strlen(from), strlen(to));
    for (char *at = strstr(s, from); at; at = strstr(at + 1, from))
        memcpy(at, to, strlen(to));
    return s;
}

/* A stock 3.4 helper has no /toolchain: it is known by probe compiles, one
 * per compiler name, and compared from them (ld unknown, not compared). */
static void test_stock_helper_known_by_probe(void **state)
{
    (void)state;
    json_t *local = report("local");
    struct dcc_buf text;
    read_data("probe-gentoo.txt", &text);
    /* the g++ probe's output lacks the assembler line: the host's as is
     * taken from the gcc probe */
    char *no_as = strdup(text.data);
    assert_non_null(no_as);
    *strstr(no_as, "GNU assembler version") = '\0';
    struct dcc_pf_probe probes[2];
    probe_ok(&probes[0], "gcc", text.data);
    probe_ok(&probes[1], "g++", no_as);
    struct dcc_verdict_host h = {.host = "stock",
                                 .reason = "no /toolchain endpoint: HTTP 404",
                                 .probe_why = "stats port closed",
                                 .probes = probes};
    struct dcc_verdict v;
    char err[128];
    assert_int_equal(dcc_verdict_make(local, &h, 1, &defaults, &v, err, sizeof err), 0);
    assert_int_equal(v.exit_code, DCC_VERDICT_AGREE);
    assert_int_equal(v.n_rows, 4);
    for (size_t k = 2; k < 4; k++) {
        assert_int_equal(v.rows[k].kind, DCC_PF_ROW_REMOTE);
        assert_int_equal(v.rows[k].probed, 1);
        assert_string_equal(v.rows[k].host, "stock");
        assert_string_equal(v.rows[k].probe_why, "stats port closed");
        assert_string_equal(v.rows[k].version, "13.2.1");
        assert_string_equal(v.rows[k].as_version, "2.41");
        assert_string_equal(v.rows[k].ld_version, "");
        assert_int_equal(v.rows[k].level, DCC_PF_SAME);
    }
    assert_string_equal(v.rows[3].compiler, "g++");
    dcc_verdict_free(&v);
    for (size_t k = 0; k < 2; k++)
        dcc_buf_free(&probes[k].output);

    /* the same helper with gcc 12: an error, as from a report */
    char *old = replaced(text.data, "13.2.1", "12.3.1");
    probe_ok(&probes[0], "gcc", old);
    probe_ok(&probes[1], "g++", old);
    assert_int_equal(dcc_verdict_make(local, &h, 1, &defaults, &v, err, sizeof err), 0);
    assert_int_equal(v.exit_code, DCC_VERDICT_ERRORS);
    assert_int_equal(v.rows[2].findings[0].field, DCC_PF_VERSION);
    assert_string_equal(v.rows[2].findings[0].remote, "12.3.1");
    dcc_verdict_free(&v);
    for (size_t k = 0; k < 2; k++)
        dcc_buf_free(&probes[k].output);

    /* not reached by the probe either: one row, both reasons, exit 3 */
    probe_ok(&probes[0], "gcc",
             "distcc[7] warning: failed to distribute probe.i to stock/4 (cannot connect to "
             "stock:3632: Connection refused), running locally instead\n");
    probes[0].status = 103 << 8;
    probes[0].have_object = 0;
    probe_ok(&probes[1], "g++", text.data);
    assert_int_equal(dcc_verdict_make(local, &h, 1, &defaults, &v, err, sizeof err), 0);
    assert_int_equal(v.exit_code, DCC_VERDICT_UNREACHABLE);
    assert_int_equal(v.n_rows, 3);
    assert_int_equal(v.rows[2].kind, DCC_PF_ROW_UNREACHABLE);
    assert_string_equal(v.rows[2].reason,
                        "no /toolchain endpoint: HTTP 404; probe compile: cannot connect to "
                        "stock:3632: Connection refused");
    dcc_verdict_free(&v);
    for (size_t k = 0; k < 2; k++)
        dcc_buf_free(&probes[k].output);

    free(old);
    free(no_as);
    dcc_buf_free(&text);
    json_decref(local);
}

static void test_exit_code_order(void **state)
{
    (void)state;
    /* errors, unreachable, warnings, warn_ok */
    assert_int_equal(dcc_verdict_exit_code(0, 0, 0, 0), 0);
    assert_int_equal(dcc_verdict_exit_code(0, 0, 1, 0), 1);
    assert_int_equal(dcc_verdict_exit_code(0, 0, 1, 1), 0);
    assert_int_equal(dcc_verdict_exit_code(1, 0, 1, 1), 2);
    assert_int_equal(dcc_verdict_exit_code(0, 1, 1, 1), 3);
    assert_int_equal(dcc_verdict_exit_code(1, 1, 0, 0), 2);
}

/* The summary line and --json's document. */
static void test_output(void **state)
{
    (void)state;
    json_t *local = report("local");
    struct dcc_verdict v;
    struct dcc_buf out = {0};
    char err[128];

    assert_int_equal(dcc_verdict_make(local, NULL, 0, &defaults, &v, err, sizeof err), 0);
    assert_int_equal(dcc_verdict_render_text(&v, &out), 0);
    assert_non_null(strstr(out.data, "yes    reference\n"
                                     "no remote hosts in the host list; 0 hosts checked: 0 with "
                                     "errors, 0 with warnings only, 0 unreachable (exit 0)\n"));
    dcc_buf_free(&out);
    dcc_verdict_free(&v);

    json_t *minor = report("minor");
    struct dcc_verdict_host h = answered("minor", minor);
    assert_int_equal(dcc_verdict_make(local, &h, 1, &defaults, &v, err, sizeof err), 0);
    assert_int_equal(dcc_verdict_render_text(&v, &out), 0);
    assert_non_null(strstr(out.data, "\n\nminor gcc: error: version 13.1.0, local 13.2.1: "
                                     "minor version differs\n"));
    assert_non_null(strstr(out.data, "\n1 host checked: 1 with errors, 0 with warnings only, "
                                     "0 unreachable (exit 2)\n"));
    dcc_buf_free(&out);

    json_t *doc = dcc_verdict_json(&v, "x86_64-pc-linux-gnu", NULL);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "schema")), 1);
    assert_int_equal(json_integer_value(json_object_get(doc, "exit")), 2);
    json_t *lj = json_object_get(doc, "local");
    assert_string_equal(json_string_value(json_object_get(lj, "chost")), "x86_64-pc-linux-gnu");
    assert_true(json_is_null(json_object_get(lj, "chost_source")));
    json_t *rows = json_object_get(doc, "rows");
    assert_int_equal(json_array_size(rows), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 2), "result")),
                        "error");
    json_decref(doc);
    doc = dcc_verdict_json(&v, "", "env");
    assert_true(json_is_null(json_object_get(json_object_get(doc, "local"), "chost")));
    json_decref(doc);
    dcc_verdict_free(&v);
    json_decref(minor);
    json_decref(local);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching_toolchains_agree),
        cmocka_unit_test(test_each_mismatch),
        cmocka_unit_test(test_ssp_default),
        cmocka_unit_test(test_unreachable_hosts),
        cmocka_unit_test(test_stock_helper_known_by_probe),
        cmocka_unit_test(test_exit_code_order),
        cmocka_unit_test(test_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
