/* Unit tests for dcc_stats: counting, the 1/5/15 minute windows, host figures and the three pages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "daemon/dcc_stats.h"
#include "test_helpers.h"

static struct dcc_job_record job(int outcome, const char *file, const char *compiler, long msecs,
                                 long rss_kb)
{
    struct dcc_job_record r;
    memset(&r, 0, sizeof(r));
    r.outcome = outcome;
    r.msecs = msecs;
    r.max_rss_kb = rss_kb;
    snprintf(r.file, sizeof(r.file), "%s", file);
    snprintf(r.compiler, sizeof(r.compiler), "%s", compiler);
    return r;
}

static void record(struct dcc_stats *st, int outcome, const char *file, const char *compiler,
                   long msecs, long rss_kb, time_t now)
{
    struct dcc_job_record r = job(outcome, file, compiler, msecs, rss_kb);
    dcc_stats_record(st, &r, now);
}

/* The daemon's day so far: started at 1000, five connections, a good job,
 * a failed one, a refusal, an odd failure, garbage on the wire, one
 * overload, children 3 from 1005 and 1 from 1040. Rendered at 1050. */
static struct dcc_stats *busy_daemon(void)
{
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    dcc_stats_init(st, 1000);
    for (int i = 0; i < 5; i++)
        dcc_stats_accept(st);
    dcc_stats_set_max_kids(st, 8);
    dcc_stats_set_kids(st, 3, 1005);
    record(st, DCC_JOB_OK, "foo.c", "gcc", 1234, 5000, 1010);
    record(st, DCC_JOB_COMPILE_ERROR, "bar.c", "g++", 99, 7000, 1020);
    record(st, DCC_JOB_REFUSED, "evil.c", "sh", 1, 0, 1030);
    record(st, DCC_JOB_OTHER, "full.c", "gcc", 5, 0, 1031);
    record(st, DCC_JOB_BAD_REQUEST, "", "", 0, 0, 1032);
    record(st, DCC_JOB_DROPPED, "", "", 0, 0, 1033);
    record(st, DCC_JOB_QUERY, "", "", 0, 0, 1034); /* a CAPS question: no job */
    dcc_stats_dropped(st);                         /* one the daemon dropped before forking a job */
    dcc_stats_overload(st);
    dcc_stats_set_kids(st, 1, 1040);
    return st;
}

static const struct dcc_host_figures busy_host = {
    .load = {0.5, 1.25, 2.0},
    .free_space_mb = 12345,
    .procstate_D = 2,
    .io_rate = 77,
};

static void text_page_is_stock_format_byte_for_byte(void **state)
{
    (void)state;
    struct dcc_stats *st = busy_daemon();
    struct dcc_buf buf = {0};
    assert_int_equal(dcc_stats_render_text(st, &busy_host, 1050, &buf), 0);
    assert_string_equal(buf.data, "HTTP/1.0 200 OK\n"
                                  "Content-Type: text/plain\n"
                                  "Connection: close\n"
                                  "\n"
                                  "argv /distccd\n"
                                  "<distccstats>\n"
                                  "dcc_tcp_accept 5\n"
                                  "dcc_rej_bad_req 3\n" /* 1 bad request + 2 dropped */
                                  "dcc_rej_overload 1\n"
                                  "dcc_compile_ok 1\n"
                                  "dcc_compile_error 1\n"
                                  "dcc_compile_timeout 0\n"
                                  "dcc_cli_disconnect 0\n"
                                  "dcc_other 2\n"
                                  "dcc_longest_job foo.c\n"
                                  "dcc_longest_job_compiler gcc\n"
                                  "dcc_longest_job_time_msecs 1234\n"
                                  "dcc_max_kids 8\n"
                                  "dcc_avg_kids1 2\n"
                                  "dcc_avg_kids2 2\n"
                                  "dcc_avg_kids3 2\n"
                                  "dcc_current_load 1\n"
                                  "dcc_load1 0.50\n"
                                  "dcc_load2 1.25\n"
                                  "dcc_load3 2.00\n"
                                  "dcc_num_compiles1 2\n"
                                  "dcc_num_compiles2 2\n"
                                  "dcc_num_compiles3 2\n"
                                  "dcc_num_procstate_D 2\n"
                                  "dcc_max_RSS 7000\n"
                                  "dcc_max_RSS_name (g++)\n"
                                  "dcc_io_rate 77\n"
                                  "dcc_free_space 12345 MB\n"
                                  "</distccstats>\n");
    assert_int_equal(buf.len, strlen(buf.data));
    dcc_buf_free(&buf);
    free(st);
}

static void fresh_daemon_page_says_none_like_stock(void **state)
{
    (void)state;
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    dcc_stats_init(st, 500);
    dcc_stats_set_max_kids(st, 4);
    struct dcc_host_figures fig = {.load = {-1, -1, -1}, .free_space_mb = -1};
    struct dcc_buf buf = {0};
    assert_int_equal(dcc_buf_appends(&buf, "keep:"), 0);
    assert_int_equal(dcc_stats_render_text(st, &fig, 500, &buf), 0);
    assert_string_equal(buf.data, "keep:HTTP/1.0 200 OK\n"
                                  "Content-Type: text/plain\n"
                                  "Connection: close\n"
                                  "\n"
                                  "argv /distccd\n"
                                  "<distccstats>\n"
                                  "dcc_tcp_accept 0\n"
                                  "dcc_rej_bad_req 0\n"
                                  "dcc_rej_overload 0\n"
                                  "dcc_compile_ok 0\n"
                                  "dcc_compile_error 0\n"
                                  "dcc_compile_timeout 0\n"
                                  "dcc_cli_disconnect 0\n"
                                  "dcc_other 0\n"
                                  "dcc_longest_job none\n"
                                  "dcc_longest_job_compiler none\n"
                                  "dcc_longest_job_time_msecs -1\n"
                                  "dcc_max_kids 4\n"
                                  "dcc_avg_kids1 0\n"
                                  "dcc_avg_kids2 0\n"
                                  "dcc_avg_kids3 0\n"
                                  "dcc_current_load 0\n"
                                  "dcc_load1 -1.00\n"
                                  "dcc_load2 -1.00\n"
                                  "dcc_load3 -1.00\n"
                                  "dcc_num_compiles1 0\n"
                                  "dcc_num_compiles2 0\n"
                                  "dcc_num_compiles3 0\n"
                                  "dcc_num_procstate_D 0\n"
                                  "dcc_max_RSS 0\n"
                                  "dcc_max_RSS_name (none)\n"
                                  "dcc_io_rate 0\n"
                                  "dcc_free_space -1 MB\n"
                                  "</distccstats>\n");
    dcc_buf_free(&buf);
    free(st);
}

static void client_chosen_names_cannot_add_lines_to_the_page(void **state)
{
    (void)state;
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    dcc_stats_init(st, 0);
    /* Fields filled to the brim with no terminator, as a confused child
     * might send them. */
    struct dcc_job_record r = job(DCC_JOB_OK, "", "", 10, 1);
    memset(r.file, 'a', sizeof(r.file));
    memcpy(r.file, "x\ndcc_compile_ok 999\r", 21);
    memset(r.compiler, 'c', sizeof(r.compiler));
    dcc_stats_record(st, &r, 1);
    assert_int_equal(strlen(st->longest_job), sizeof(st->longest_job) - 1);
    assert_int_equal(strlen(st->longest_job_compiler), sizeof(st->longest_job_compiler) - 1);

    struct dcc_host_figures fig = {0};
    struct dcc_buf buf = {0};
    assert_int_equal(dcc_stats_render_text(st, &fig, 1, &buf), 0);
    assert_non_null(strstr(buf.data, "\ndcc_longest_job x?dcc_compile_ok 999?aaa"));
    assert_null(strstr(buf.data, "\ndcc_compile_ok 999"));
    dcc_buf_free(&buf);
    free(st);
}

static void longest_job_and_max_rss_keep_the_record(void **state)
{
    (void)state;
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    dcc_stats_init(st, 0);
    record(st, DCC_JOB_OK, "a.c", "gcc", 300, 100, 1);
    record(st, DCC_JOB_OK, "b.c", "clang", 300, 100, 2);         /* a tie keeps the first */
    record(st, DCC_JOB_COMPILE_ERROR, "c.c", "cc", 9000, 50, 3); /* failures are not "longest" */
    record(st, DCC_JOB_OK, "d.cc", "g++", 301, 900, 4);
    record(st, DCC_JOB_TIMEOUT, "e.c", "cc1", 1, 901, 5);
    assert_string_equal(st->longest_job, "d.cc");
    assert_string_equal(st->longest_job_compiler, "g++");
    assert_int_equal(st->longest_job_time_msecs, 301);
    assert_int_equal(st->max_rss_kb, 901);
    assert_string_equal(st->max_rss_name, "cc1");
    assert_int_equal(st->compile_ok, 3);
    assert_int_equal(st->compile_error, 1);
    assert_int_equal(st->compile_timeout, 1);
    free(st);
}

static void windows_count_compiles_as_time_moves_on(void **state)
{
    (void)state;
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    struct dcc_stats_windows w;
    dcc_stats_init(st, 10000);
    record(st, DCC_JOB_OK, "a.c", "gcc", 1, 0, 10000);
    record(st, DCC_JOB_OK, "b.c", "gcc", 1, 0, 10030);
    record(st, DCC_JOB_CLI_DISCONNECT, "c.c", "gcc", 1, 0, 10200);
    record(st, DCC_JOB_COMPILE_ERROR, "d.c", "gcc", 1, 0, 10600);
    record(st, DCC_JOB_TIMEOUT, "e.c", "gcc", 1, 0, 10600);
    /* Refusals and bad requests never ran a compiler: not in the windows. */
    record(st, DCC_JOB_REFUSED, "f.c", "gcc", 1, 0, 10600);
    record(st, DCC_JOB_BAD_REQUEST, "g.c", "gcc", 1, 0, 10600);
    record(st, DCC_JOB_OTHER, "h.c", "gcc", 1, 0, 10600);

    dcc_stats_windows(st, 10610, &w);
    assert_int_equal(w.secs[0], 60);
    assert_int_equal(w.secs[1], 300);
    assert_int_equal(w.secs[2], 900);
    assert_int_equal(w.compiles[0], 2); /* 10551..10610 */
    assert_int_equal(w.compiles[1], 2); /* 10311..10610 */
    assert_int_equal(w.compiles[2], 5); /* everything since the start */

    dcc_stats_windows(st, 10660, &w);
    assert_int_equal(w.compiles[0], 0);
    assert_int_equal(w.compiles[1], 2);
    assert_int_equal(w.compiles[2], 5);

    /* 10000 and 10030 fall out of 15 minutes at 10900 and 10930. */
    dcc_stats_windows(st, 10899, &w);
    assert_int_equal(w.compiles[2], 5);
    dcc_stats_windows(st, 10900, &w);
    assert_int_equal(w.compiles[2], 4);
    dcc_stats_windows(st, 10930, &w);
    assert_int_equal(w.compiles[2], 3);
    assert_int_equal(w.compiles[1], 0); /* 10631..10930 */

    /* Writing into the ring later must age the old slots out, not add to them. */
    record(st, DCC_JOB_OK, "i.c", "gcc", 1, 0, 10000 + 900 + 200);
    dcc_stats_windows(st, 11100, &w);
    assert_int_equal(w.compiles[0], 1);
    assert_int_equal(w.compiles[1], 1);
    assert_int_equal(w.compiles[2], 3); /* 10600 x2 and 11100 */

    /* Half an hour of silence empties every window. */
    dcc_stats_windows(st, 13000, &w);
    assert_int_equal(w.compiles[0], 0);
    assert_int_equal(w.compiles[1], 0);
    assert_int_equal(w.compiles[2], 0);
    record(st, DCC_JOB_OK, "j.c", "gcc", 1, 0, 13000);
    dcc_stats_windows(st, 13000, &w);
    assert_int_equal(w.compiles[2], 1);
    free(st);
}

static void windows_average_children_per_second(void **state)
{
    (void)state;
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    struct dcc_stats_windows w;

    /* Up for 30 s with 4 children all along: the average is 4, not 4*30/60. */
    dcc_stats_init(st, 2000);
    dcc_stats_set_kids(st, 4, 2000);
    dcc_stats_windows(st, 2029, &w);
    assert_true(w.avg_kids[0] == 4.0);
    assert_true(w.avg_kids[1] == 4.0);
    assert_true(w.avg_kids[2] == 4.0);

    /* 2 children from 2000, none from 2030 (second 2030 still had 2). */
    dcc_stats_init(st, 2000);
    dcc_stats_set_kids(st, 2, 2000);
    dcc_stats_set_kids(st, 0, 2030);
    dcc_stats_windows(st, 2059, &w);
    assert_true(fabs(w.avg_kids[0] - 62.0 / 60.0) < 1e-12);
    dcc_stats_windows(st, 2299, &w);
    assert_true(fabs(w.avg_kids[0] - 0.0) < 1e-12);
    assert_true(fabs(w.avg_kids[1] - 62.0 / 300.0) < 1e-12);
    assert_true(fabs(w.avg_kids[2] - 62.0 / 300.0) < 1e-12); /* up for 300 s only */
    dcc_stats_windows(st, 2899, &w);
    assert_true(fabs(w.avg_kids[2] - 62.0 / 900.0) < 1e-12);
    dcc_stats_windows(st, 2931, &w);
    assert_true(w.avg_kids[2] == 0.0);

    /* A job that starts and ends within one second still shows. */
    dcc_stats_init(st, 3000);
    dcc_stats_set_kids(st, 1, 3010);
    dcc_stats_set_kids(st, 0, 3010);
    dcc_stats_windows(st, 3059, &w);
    assert_true(fabs(w.avg_kids[0] - 1.0 / 60.0) < 1e-12);
    assert_int_equal(st->current_load, 0);
    assert_int_equal(st->max_kids, 1); /* never below what was seen running */
    free(st);
}

static void a_clock_stepped_back_does_not_rewrite_history(void **state)
{
    (void)state;
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    struct dcc_stats_windows w;
    dcc_stats_init(st, 5000);
    record(st, DCC_JOB_OK, "a.c", "gcc", 1, 0, 5100);
    record(st, DCC_JOB_OK, "b.c", "gcc", 1, 0, 4000); /* clock went back */
    assert_int_equal(st->ring_time, 5100);
    dcc_stats_windows(st, 4000, &w); /* reads as of the newest second */
    assert_int_equal(w.compiles[0], 2);
    dcc_stats_windows(st, 5160, &w);
    assert_int_equal(w.compiles[0], 0);
    assert_int_equal(w.compiles[1], 2);
    free(st);
}

/* --auth: each job counts for its client's principal; a connection that did
 * not authenticate counts as failed. */
static void json_page_counts_jobs_per_principal(void **state)
{
    (void)state;
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    dcc_stats_init(st, 1000);
    struct dcc_job_record rec = {.outcome = DCC_JOB_OK};
    snprintf(rec.principal, sizeof rec.principal, "alice@EXAMPLE.ORG");
    dcc_stats_record(st, &rec, 1001);
    dcc_stats_record(st, &rec, 1002);
    snprintf(rec.principal, sizeof rec.principal, "bob@EXAMPLE.ORG");
    dcc_stats_record(st, &rec, 1003);
    struct dcc_job_record denied = {.outcome = DCC_JOB_REFUSED, .auth_failed = 1};
    dcc_stats_record(st, &denied, 1004);
    struct dcc_job_record plain = {.outcome = DCC_JOB_OK};
    dcc_stats_record(st, &plain, 1005);

    struct dcc_buf buf = {0};
    assert_int_equal(dcc_stats_render_json(st, &busy_host, 1050, &buf), 0);
    json_error_t jerr;
    json_t *root = json_loads(buf.data, 0, &jerr);
    assert_non_null(root);
    json_int_t ok = -1, failed = -1, others = -1, alice = -1, bob = -1;
    json_t *principals = NULL;
    assert_int_equal(json_unpack_ex(json_object_get(root, "auth"), &jerr, JSON_STRICT,
                                    "{s:I, s:I, s:o, s:I}", "ok", &ok, "failed", &failed,
                                    "principals", &principals, "other_principals", &others),
                     0);
    assert_int_equal(json_unpack_ex(principals, &jerr, JSON_STRICT, "{s:I, s:I}",
                                    "alice@EXAMPLE.ORG", &alice, "bob@EXAMPLE.ORG", &bob),
                     0);
    assert_int_equal(ok, 3);
    assert_int_equal(failed, 1);
    assert_int_equal(others, 0);
    assert_int_equal(alice, 2);
    assert_int_equal(bob, 1);
    json_decref(root);
    free(buf.data);
    free(st);
}

static void json_page_parses_back_with_every_figure(void **state)
{
    (void)state;
    struct dcc_stats *st = busy_daemon();
    struct dcc_buf buf = {0};
    assert_int_equal(dcc_stats_render_json(st, &busy_host, 1050, &buf), 0);
    assert_int_equal(buf.data[buf.len - 1], '\n');

    json_error_t jerr;
    json_t *root = json_loads(buf.data, 0, &jerr);
    assert_non_null(root);
    int schema = 0;
    json_int_t started = 0, uptime = 0;
    json_int_t tcp_accept, rej_bad_req, rej_overload, ok, cerr, ctimeout, disc, other, refused,
        dropped, caps_queries;
    assert_int_equal(
        json_unpack_ex(root, &jerr, JSON_STRICT,
                       "{s:i, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                       "s:I, s:I, s:I}, s:o, s:o, s:o, s:o, s:o, s:o}",
                       "schema", &schema, "started", &started, "uptime_secs", &uptime, "counters",
                       "tcp_accept", &tcp_accept, "rej_bad_req", &rej_bad_req, "rej_overload",
                       &rej_overload, "compile_ok", &ok, "compile_error", &cerr, "compile_timeout",
                       &ctimeout, "cli_disconnect", &disc, "other", &other, "refused", &refused,
                       "dropped_slow", &dropped, "caps_queries", &caps_queries, "longest_job",
                       &(json_t *){0}, "max_rss", &(json_t *){0}, "kids", &(json_t *){0}, "windows",
                       &(json_t *){0}, "host", &(json_t *){0}, "auth", &(json_t *){0}),
        0);
    assert_int_equal(schema, 1);
    assert_int_equal(started, 1000);
    assert_int_equal(uptime, 50);
    assert_int_equal(tcp_accept, 5);
    assert_int_equal(rej_bad_req, 1);
    assert_int_equal(rej_overload, 1);
    assert_int_equal(ok, 1);
    assert_int_equal(cerr, 1);
    assert_int_equal(ctimeout, 0);
    assert_int_equal(disc, 0);
    assert_int_equal(other, 1); /* refused is apart here, unlike the text page */
    assert_int_equal(refused, 1);
    assert_int_equal(dropped, 2); /* apart from rej_bad_req here */
    assert_int_equal(caps_queries, 1);

    const char *file = NULL, *compiler = NULL, *rss_name = NULL;
    json_int_t msecs, rss_kb, max_kids, current;
    assert_int_equal(json_unpack_ex(root, &jerr, 0,
                                    "{s:{s:s, s:s, s:I}, s:{s:I, s:s}, s:{s:I, s:I}}",
                                    "longest_job", "file", &file, "compiler", &compiler, "msecs",
                                    &msecs, "max_rss", "kb", &rss_kb, "name", &rss_name, "kids",
                                    "max", &max_kids, "current", &current),
                     0);
    assert_string_equal(file, "foo.c");
    assert_string_equal(compiler, "gcc");
    assert_int_equal(msecs, 1234);
    assert_int_equal(rss_kb, 7000);
    assert_string_equal(rss_name, "g++");
    assert_int_equal(max_kids, 8);
    assert_int_equal(current, 1);

    const char *names[3] = {"1m", "5m", "15m"};
    const int secs[3] = {60, 300, 900};
    json_t *windows = json_object_get(root, "windows");
    assert_int_equal(json_object_size(windows), 3);
    for (int k = 0; k < 3; k++) {
        int s = 0;
        json_int_t compiles = 0;
        double avg = 0;
        assert_int_equal(json_unpack_ex(json_object_get(windows, names[k]), &jerr, JSON_STRICT,
                                        "{s:i, s:I, s:F}", "secs", &s, "compiles", &compiles,
                                        "avg_kids", &avg),
                         0);
        assert_int_equal(s, secs[k]);
        assert_int_equal(compiles, 2);
        assert_true(fabs(avg - 118.0 / 51.0) < 1e-5); /* printed to 6 digits */
    }

    double l1, l2, l3;
    json_int_t free_mb, procD, io;
    assert_int_equal(json_unpack_ex(json_object_get(root, "host"), &jerr, JSON_STRICT,
                                    "{s:[F, F, F], s:I, s:I, s:I}", "load", &l1, &l2, &l3,
                                    "free_space_mb", &free_mb, "procstate_D", &procD, "io_rate",
                                    &io),
                     0);
    assert_true(l1 == 0.5 && l2 == 1.25 && l3 == 2.0);
    assert_int_equal(free_mb, 12345);
    assert_int_equal(procD, 2);
    assert_int_equal(io, 77);
    json_decref(root);
    dcc_buf_free(&buf);
    free(st);
}

static void json_page_shows_null_before_the_first_job_and_survives_bad_utf8(void **state)
{
    (void)state;
    struct dcc_stats *st = malloc(sizeof(*st));
    assert_non_null(st);
    dcc_stats_init(st, 7);
    struct dcc_host_figures fig = {.load = {0, 0, 0}};
    struct dcc_buf buf = {0};
    assert_int_equal(dcc_stats_render_json(st, &fig, 7, &buf), 0);
    assert_non_null(
        strstr(buf.data, "\"longest_job\":{\"file\":null,\"compiler\":null,\"msecs\":-1}"));
    assert_non_null(strstr(buf.data, "\"max_rss\":{\"kb\":0,\"name\":null}"));
    dcc_buf_free(&buf);

    record(st, DCC_JOB_OK, "caf\xc3\xa9.c", "g\xff+", 5, 10, 8);
    assert_int_equal(dcc_stats_render_json(st, &fig, 8, &buf), 0);
    json_t *root = json_loads(buf.data, 0, NULL);
    assert_non_null(root);
    const char *file = NULL, *compiler = NULL;
    assert_int_equal(
        json_unpack(root, "{s:{s:s, s:s}}", "longest_job", "file", &file, "compiler", &compiler),
        0);
    assert_string_equal(file, "caf\xc3\xa9.c");
    assert_string_equal(compiler, "g?+");
    json_decref(root);
    dcc_buf_free(&buf);
    free(st);
}

static void prometheus_page_is_exact(void **state)
{
    (void)state;
    struct dcc_stats *st = busy_daemon();
    struct dcc_buf buf = {0};
    assert_int_equal(dcc_stats_render_prometheus(st, &busy_host, 1050, &buf), 0);
    assert_string_equal(
        buf.data,
        "# HELP distccd_connections_total Connections accepted on the compile port.\n"
        "# TYPE distccd_connections_total counter\n"
        "distccd_connections_total 5\n"
        "# HELP distccd_jobs_total Jobs finished, by outcome.\n"
        "# TYPE distccd_jobs_total counter\n"
        "distccd_jobs_total{outcome=\"ok\"} 1\n"
        "distccd_jobs_total{outcome=\"compile_error\"} 1\n"
        "distccd_jobs_total{outcome=\"timeout\"} 0\n"
        "distccd_jobs_total{outcome=\"cli_disconnect\"} 0\n"
        "distccd_jobs_total{outcome=\"bad_request\"} 1\n"
        "distccd_jobs_total{outcome=\"overload\"} 1\n"
        "distccd_jobs_total{outcome=\"refused\"} 1\n"
        "distccd_jobs_total{outcome=\"other\"} 1\n"
        "distccd_jobs_total{outcome=\"dropped_slow\"} 2\n"
        "# HELP distccd_capability_queries_total CAPS questions answered (a client learning what "
        "this distccd can do; no job).\n"
        "# TYPE distccd_capability_queries_total counter\n"
        "distccd_capability_queries_total 1\n"
        "# HELP distccd_start_time_seconds When the daemon started, seconds since the epoch.\n"
        "# TYPE distccd_start_time_seconds gauge\n"
        "distccd_start_time_seconds 1000\n"
        "# HELP distccd_uptime_seconds Seconds since the daemon started.\n"
        "# TYPE distccd_uptime_seconds gauge\n"
        "distccd_uptime_seconds 50\n"
        "# HELP distccd_longest_job_seconds Wall time of the longest successful job, -1 before "
        "the first.\n"
        "# TYPE distccd_longest_job_seconds gauge\n"
        "distccd_longest_job_seconds 1.234\n"
        "# HELP distccd_max_rss_bytes Largest compiler resident set size seen.\n"
        "# TYPE distccd_max_rss_bytes gauge\n"
        "distccd_max_rss_bytes 7168000\n"
        "# HELP distccd_children_limit Job children allowed at once.\n"
        "# TYPE distccd_children_limit gauge\n"
        "distccd_children_limit 8\n"
        "# HELP distccd_children_running Job children running now.\n"
        "# TYPE distccd_children_running gauge\n"
        "distccd_children_running 1\n"
        "# HELP distccd_children_average Mean job children running over the window.\n"
        "# TYPE distccd_children_average gauge\n"
        "distccd_children_average{window=\"1m\"} 2.31373\n"
        "distccd_children_average{window=\"5m\"} 2.31373\n"
        "distccd_children_average{window=\"15m\"} 2.31373\n"
        "# HELP distccd_compiles Jobs that ran the compiler and finished within the window.\n"
        "# TYPE distccd_compiles gauge\n"
        "distccd_compiles{window=\"1m\"} 2\n"
        "distccd_compiles{window=\"5m\"} 2\n"
        "distccd_compiles{window=\"15m\"} 2\n"
        "# HELP distccd_load_average System load average, -1 when unknown.\n"
        "# TYPE distccd_load_average gauge\n"
        "distccd_load_average{window=\"1m\"} 0.5\n"
        "distccd_load_average{window=\"5m\"} 1.25\n"
        "distccd_load_average{window=\"15m\"} 2\n"
        "# HELP distccd_procs_blocked Processes in uninterruptible sleep (state D).\n"
        "# TYPE distccd_procs_blocked gauge\n"
        "distccd_procs_blocked 2\n"
        "# HELP distccd_io_sectors_per_second Disk sectors read and written per second.\n"
        "# TYPE distccd_io_sectors_per_second gauge\n"
        "distccd_io_sectors_per_second 77\n"
        "# HELP distccd_free_space_bytes Free space in the job directory's file system, -1 "
        "when unknown.\n"
        "# TYPE distccd_free_space_bytes gauge\n"
        "distccd_free_space_bytes 12944670720\n");
    dcc_buf_free(&buf);

    /* Before the first job and without a free-space figure: -1, not garbage. */
    dcc_stats_init(st, 1000);
    struct dcc_host_figures fig = {.load = {0, 0, 0}, .free_space_mb = -1};
    assert_int_equal(dcc_stats_render_prometheus(st, &fig, 1000, &buf), 0);
    assert_non_null(strstr(buf.data, "\ndistccd_longest_job_seconds -1\n"));
    assert_non_null(strstr(buf.data, "\ndistccd_free_space_bytes -1\n"));
    dcc_buf_free(&buf);
    free(st);
}

static void http_header_matches_stock_style(void **state)
{
    (void)state;
    struct dcc_buf buf = {0};
    assert_int_equal(dcc_stats_http_header(&buf, DCC_STATS_JSON_TYPE), 0);
    assert_string_equal(buf.data,
                        "HTTP/1.0 200 OK\nContent-Type: application/json\nConnection: close\n\n");
    dcc_buf_free(&buf);
}

static void diskstats_count_whole_disks_once(void **state)
{
    (void)state;
    const char *text = "   8       0 sda 100 0 1000 0 50 0 500 0 0 0 0 0 0 0 0 0 0\n"
                       "   8       1 sda1 90 0 900 0 40 0 400 0 0 0 0 0 0 0 0 0 0\n"
                       " 259       0 nvme0n1 1 0 20 0 2 0 30 0 0 0 0 0 0 0 0 0 0\n"
                       " 259       1 nvme0n1p1 1 0 20 0 2 0 30 0 0 0 0 0 0 0 0 0 0\n"
                       " 179       0 mmcblk0 1 0 4 0 1 0 5 0 0 0 0\n"
                       " 179       1 mmcblk0p1 1 0 4 0 1 0 5 0 0 0 0\n"
                       "   7       0 loop0 5 0 7000 0 0 0 0 0 0 0 0\n"
                       " 253       0 dm-0 5 0 8000 0 5 0 8000 0 0 0 0\n"
                       "   9       0 md0 5 0 9000 0 5 0 9000 0 0 0 0\n"
                       " 254       0 vda 3 0 6 0 0 0 1 0 0 0 0\n"
                       "garbage line\n";
    unsigned long long sectors = 0;
    assert_int_equal(dcc_stats_diskstats_sectors(text, &sectors), 0);
    assert_int_equal(sectors, 1500 + 50 + 9 + 7);
    assert_int_equal(dcc_stats_diskstats_sectors("nothing here\n", &sectors), -1);
    assert_int_equal(dcc_stats_diskstats_sectors("", &sectors), -1);
}

static char proc_dir[64];

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void make_proc_entry(const char *pid, const char *stat)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", proc_dir, pid);
    assert_int_equal(mkdir(path, 0700), 0);
    write_text(path, "stat", stat);
}

static int make_fake_proc(void **state)
{
    (void)state;
    if (dcc_test_tmpdir(proc_dir, sizeof(proc_dir), "/tmp/test_stats_proc.XXXXXX") != 0)
        return -1;
    make_proc_entry("1", "1 (init) S 0 1 1 0\n");
    make_proc_entry("22", "22 (cc1) D 1 22 22 0\n");
    make_proc_entry("333", "333 (odd) D) S 1 333 333 0\n"); /* comm "odd) D" */
    make_proc_entry("4444", "4444 (kworker/0:1) D 2 0 0 0\n");
    make_proc_entry("self", "55 (fake) D 1 2 3\n"); /* not a pid directory */
    write_text(proc_dir, "diskstats", "   8       0 sda 1 0 1000 0 1 0 1000 0 0 0 0\n");
    return 0;
}

static int remove_fake_proc(void **state)
{
    (void)state;
    return dcc_test_rmtree(proc_dir);
}

static void host_figures_come_from_proc_and_statvfs(void **state)
{
    (void)state;
    struct dcc_io_sampler io;
    memset(&io, 0, sizeof(io));
    struct dcc_host_figures fig;
    memset(&fig, 0x5a, sizeof(fig)); /* the caller need not clear it */

    assert_int_equal(dcc_stats_read_host_from(&fig, proc_dir, proc_dir, &io), 0);
    assert_int_equal(fig.procstate_D, 2);
    assert_int_equal(fig.io_rate, 0); /* first sample: no rate yet */
    assert_true(fig.load[0] >= 0 && fig.load[1] >= 0 && fig.load[2] >= 0);
    struct statvfs vfs;
    assert_int_equal(statvfs(proc_dir, &vfs), 0);
    long mb = (long)((unsigned long long)vfs.f_bavail * vfs.f_frsize / (1024 * 1024));
    /* Other processes write to the same disk meanwhile; a few MB may move. */
    assert_true(labs(fig.free_space_mb - mb) <= 64);

    /* 1000 more sectors over ten seconds. */
    write_text(proc_dir, "diskstats", "   8       0 sda 1 0 1500 0 1 0 1500 0 0 0 0\n");
    io.when -= 10.0;
    assert_int_equal(dcc_stats_read_host_from(&fig, proc_dir, proc_dir, &io), 0);
    assert_int_equal(fig.io_rate, 100);
    assert_int_equal(io.sectors, 3000);

    /* Asked again at once: the same rate, the sample kept. */
    write_text(proc_dir, "diskstats", "   8       0 sda 1 0 9000 0 1 0 9000 0 0 0 0\n");
    assert_int_equal(dcc_stats_read_host_from(&fig, proc_dir, proc_dir, &io), 0);
    assert_int_equal(fig.io_rate, 100);
    assert_int_equal(io.sectors, 3000);

    /* Counters that went down (a disk removed) give 0, not a huge number. */
    write_text(proc_dir, "diskstats", "   8       0 sda 1 0 10 0 1 0 10 0 0 0 0\n");
    io.when -= 5.0;
    assert_int_equal(dcc_stats_read_host_from(&fig, proc_dir, proc_dir, &io), 0);
    assert_int_equal(fig.io_rate, 0);
    assert_int_equal(io.sectors, 20);
}

static void missing_sources_leave_documented_unknowns(void **state)
{
    (void)state;
    struct dcc_io_sampler io;
    memset(&io, 0, sizeof(io));
    struct dcc_host_figures fig;
    memset(&fig, 0x5a, sizeof(fig));
    assert_int_equal(dcc_stats_read_host_from(&fig, "/nonexistent/tmp", "/nonexistent/proc", &io),
                     -1);
    assert_int_equal(fig.free_space_mb, -1);
    assert_int_equal(fig.procstate_D, 0);
    assert_int_equal(fig.io_rate, 0);
    assert_int_equal(io.valid, 0);
    assert_true(fig.load[0] >= 0); /* what could be read still is */

    /* The real thing: /proc is there on Linux. */
    assert_int_equal(dcc_stats_read_host(&fig, "/"), 0);
    assert_true(fig.free_space_mb >= 0);
    assert_true(fig.procstate_D >= 0);
    assert_int_equal(fig.io_rate, 0);
    /* A daemon's parent refreshing the sample: fine on any Linux. */
    assert_int_equal(dcc_stats_sample_io(), 0);
    assert_int_equal(dcc_stats_read_host(&fig, "/"), 0);
    assert_true(fig.io_rate >= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_page_is_stock_format_byte_for_byte),
        cmocka_unit_test(fresh_daemon_page_says_none_like_stock),
        cmocka_unit_test(client_chosen_names_cannot_add_lines_to_the_page),
        cmocka_unit_test(longest_job_and_max_rss_keep_the_record),
        cmocka_unit_test(windows_count_compiles_as_time_moves_on),
        cmocka_unit_test(windows_average_children_per_second),
        cmocka_unit_test(a_clock_stepped_back_does_not_rewrite_history),
        cmocka_unit_test(json_page_parses_back_with_every_figure),
        cmocka_unit_test(json_page_counts_jobs_per_principal),
        cmocka_unit_test(json_page_shows_null_before_the_first_job_and_survives_bad_utf8),
        cmocka_unit_test(prometheus_page_is_exact),
        cmocka_unit_test(http_header_matches_stock_style),
        cmocka_unit_test(diskstats_count_whole_disks_once),
        cmocka_unit_test_setup_teardown(host_figures_come_from_proc_and_statvfs, make_fake_proc,
                                        remove_fake_proc),
        cmocka_unit_test(missing_sources_leave_documented_unknowns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
