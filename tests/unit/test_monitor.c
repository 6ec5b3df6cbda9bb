/* Unit tests for dcc_monitor: per-host load and done counts, slot rows and their history, job durations, bounds, text lines, helpers' JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dcc_hosts.h"
#include "client/dcc_monitor.h"
#include "client/dcc_state.h"

/* A poll's jobs, as dcc_state_read_dir would return them. */
struct poll {
    struct dcc_state_entry items[8];
    struct dcc_state_list list;
};

static void job(struct poll *p, long pid, int phase, const char *file, const char *host, int slot)
{
    struct dcc_state_entry *e = &p->items[p->list.n++];
    memset(e, 0, sizeof *e);
    e->pid = pid;
    e->phase = phase;
    e->slot = slot;
    snprintf(e->file, sizeof e->file, "%s", file);
    snprintf(e->host, sizeof e->host, "%s", host);
    e->since = 1000.0;
    e->started = 990.0;
    p->list.items = p->items;
}

static void hosts(struct dcc_hostlist *list, const char *text)
{
    char err[256];
    assert_int_equal(dcc_hosts_parse(text, list, err, sizeof err), 0);
}

static const struct dcc_mon_slot *row(const struct dcc_monitor *m, const char *host, int slot)
{
    for (size_t i = 0; i < m->n_slots; i++)
        if (m->slots[i].slot == slot && strcmp(m->slots[i].host, host) == 0)
            return &m->slots[i];
    return NULL;
}

/* The last n samples of a row as letters: '.' idle, else the phase number. */
static void tail_of(const struct dcc_mon_slot *s, int n, char *out)
{
    for (int k = 0; k < n; k++) {
        unsigned char p = s->history[DCC_MON_HISTORY - n + k];
        out[k] = p == DCC_MON_IDLE ? '.' : (char)('0' + p);
    }
    out[n] = '\0';
}

static void test_hosts_in_list_order_then_others(void **state)
{
    (void)state;
    struct dcc_monitor m;
    struct dcc_hostlist list;
    struct poll p = {0};
    dcc_monitor_init(&m);
    hosts(&list, "127.0.0.1/4 localhost/2 box:3700/2 --localslots=3");
    job(&p, 11, DCC_PHASE_CONNECT, "u.c", "10.9.9.9", 0);
    job(&p, 12, DCC_PHASE_COMPILE, "big.c", "127.0.0.1", 0);
    job(&p, 13, DCC_PHASE_SEND, "small.c", "127.0.0.1", 1);
    assert_int_equal(dcc_monitor_poll(&m, &p.list, &list, 1001.0), 0);
    assert_int_equal(m.n_hosts, 4);
    assert_string_equal(m.hosts[0].label, "127.0.0.1:3632");
    assert_int_equal(m.hosts[0].running, 2);
    assert_int_equal(m.hosts[0].slots, 4);
    assert_int_equal(m.hosts[0].tcp_port, 3632);
    assert_string_equal(m.hosts[1].label, "localhost");
    assert_int_equal(m.hosts[1].slots, 3); /* --localslots is larger */
    assert_int_equal(m.hosts[1].tcp_port, 0);
    assert_string_equal(m.hosts[2].label, "box:3700");
    assert_string_equal(m.hosts[3].label, "10.9.9.9");
    assert_int_equal(m.hosts[3].listed, 0);

    struct dcc_buf out = {0};
    assert_int_equal(dcc_monitor_format_text(&m, &out), 0);
    assert_string_equal(
        out.data, "    11  Connect     u.c                                            10.9.9.9[0]\n"
                  "    12  Compile     big.c                                         127.0.0.1[0]\n"
                  "    13  Send        small.c                                       127.0.0.1[1]\n"
                  "  127.0.0.1:3632  2/4 running\n"
                  "  localhost  0/3 running\n"
                  "  box:3700  0/2 running\n"
                  "  10.9.9.9  1 running\n"
                  "\n");
    dcc_buf_free(&out);
    dcc_hosts_free(&list);
    dcc_monitor_free(&m);
}

static void test_history_scrolls_and_jobs_count_done(void **state)
{
    (void)state;
    struct dcc_monitor m;
    struct dcc_hostlist list;
    dcc_monitor_init(&m);
    hosts(&list, "box/2");
    struct poll p1 = {0}, p2 = {0}, p3 = {0};
    job(&p1, 21, DCC_PHASE_CPP, "a.c", "box", 0);
    job(&p2, 21, DCC_PHASE_COMPILE, "a.c", "box", 0);
    job(&p2, 22, DCC_PHASE_SEND, "b.c", "box", 1);
    /* p3: both gone */
    assert_int_equal(dcc_monitor_poll(&m, &p1.list, &list, 1001.0), 0);
    assert_int_equal(dcc_monitor_poll(&m, &p2.list, &list, 1002.0), 0);
    assert_int_equal(dcc_monitor_poll(&m, &p3.list, &list, 1003.0), 0);
    assert_int_equal(m.polls, 3);
    char h[8];
    tail_of(row(&m, "box", 0), 3, h);
    assert_string_equal(h, "35.");
    tail_of(row(&m, "box", 1), 3, h);
    assert_string_equal(h, ".4.");
    assert_int_equal(row(&m, "box", 0)->pid, 0);
    assert_int_equal(m.hosts[0].done, 2);
    assert_int_equal(m.hosts[0].running, 0);
    assert_int_equal(m.done, 2);
    assert_int_equal(m.n_jobs, 0);
    dcc_hosts_free(&list);
    dcc_monitor_free(&m);
}

static void test_unlisted_rows_retire_after_their_history(void **state)
{
    (void)state;
    struct dcc_monitor m;
    dcc_monitor_init(&m);
    struct poll p = {0}, none = {0};
    job(&p, 31, DCC_PHASE_COMPILE, "x.c", "far", 7);
    assert_int_equal(dcc_monitor_poll(&m, &p.list, NULL, 1.0), 0);
    assert_non_null(row(&m, "far", 7));
    for (int i = 0; i < DCC_MON_HISTORY - 1; i++)
        assert_int_equal(dcc_monitor_poll(&m, &none.list, NULL, 2.0 + i), 0);
    assert_non_null(row(&m, "far", 7)); /* its Compile sample is still on the strip */
    assert_int_equal(dcc_monitor_poll(&m, &none.list, NULL, 500.0), 0);
    assert_null(row(&m, "far", 7));
    /* The host keeps its done count after its rows are gone. */
    assert_int_equal(m.n_hosts, 1);
    assert_int_equal(m.hosts[0].done, 1);
    dcc_monitor_free(&m);
}

static void test_durations_and_started_kept_across_polls(void **state)
{
    (void)state;
    struct dcc_monitor m;
    dcc_monitor_init(&m);
    struct poll p = {0};
    job(&p, 41, DCC_PHASE_COMPILE, "x.c", "box", 0);
    p.items[0].started = -1; /* unknown: first seen is the start */
    assert_int_equal(dcc_monitor_poll(&m, &p.list, NULL, 1005.0), 0);
    assert_true(m.jobs[0].started == 1005.0);
    assert_true(m.jobs[0].phase_since == 1000.0);
    assert_int_equal(dcc_monitor_poll(&m, &p.list, NULL, 1009.0), 0);
    assert_true(m.jobs[0].started == 1005.0);
    char buf[32];
    dcc_monitor_format_duration(1.25, buf, sizeof buf);
    assert_string_equal(buf, "1.2s");
    dcc_monitor_format_duration(59, buf, sizeof buf);
    assert_string_equal(buf, "59s");
    dcc_monitor_format_duration(185, buf, sizeof buf);
    assert_string_equal(buf, "3m05s");
    dcc_monitor_format_duration(7260, buf, sizeof buf);
    assert_string_equal(buf, "2h01m");
    dcc_monitor_format_duration(-3, buf, sizeof buf);
    assert_string_equal(buf, "0.0s");
    dcc_monitor_free(&m);
}

static void test_rows_and_jobs_are_bounded(void **state)
{
    (void)state;
    size_t n = DCC_MON_MAX_JOBS + 10;
    struct dcc_state_entry *items = calloc(n, sizeof *items);
    assert_non_null(items);
    for (size_t i = 0; i < n; i++) {
        items[i].pid = (long)i + 1;
        items[i].phase = DCC_PHASE_COMPILE;
        items[i].slot = (int)i;
        snprintf(items[i].host, sizeof items[i].host, "h");
        snprintf(items[i].file, sizeof items[i].file, "f%zu.c", i);
    }
    struct dcc_state_list list = {items, n};
    struct dcc_monitor m;
    dcc_monitor_init(&m);
    assert_int_equal(dcc_monitor_poll(&m, &list, NULL, 1.0), 0);
    assert_int_equal(m.n_slots, DCC_MON_MAX_ROWS);
    assert_int_equal(m.rows_not_kept, n - DCC_MON_MAX_ROWS);
    assert_int_equal(m.n_jobs, DCC_MON_MAX_JOBS);
    assert_int_equal(m.jobs_not_kept, 10);
    assert_int_equal(m.hosts[0].running, (int)n);
    struct dcc_buf out = {0};
    assert_int_equal(dcc_monitor_format_text(&m, &out), 0);
    assert_non_null(strstr(out.data, "\n  (10 more jobs not shown)\n  h  4106 running\n\n"));
    dcc_buf_free(&out);
    dcc_monitor_free(&m);
    free(items);
}

static void test_helper_stats_and_toolchain(void **state)
{
    (void)state;
    struct dcc_mon_helper h = {0};
    char err[256];
#if DCC_WITH_JSON
    const char *stats =
        "{\"schema\":1,\"counters\":{\"compile_ok\":8,\"compile_error\":1,\"compile_timeout\":2,"
        "\"refused\":3,\"rej_overload\":4},\"kids\":{\"max\":6,\"current\":2},"
        "\"windows\":{\"1m\":{\"secs\":60,\"compiles\":5,\"avg_kids\":1.5}},"
        "\"host\":{\"load\":[0.75,0.5,0.25]}}";
    assert_int_equal(dcc_monitor_parse_stats(stats, strlen(stats), &h, err, sizeof err), 0);
    assert_int_equal(h.answered, 1);
    assert_int_equal(h.compile_ok, 8);
    assert_int_equal(h.compile_error, 1);
    assert_int_equal(h.compile_timeout, 2);
    assert_int_equal(h.refused, 3);
    assert_int_equal(h.overload, 4);
    assert_int_equal(h.kids_current, 2);
    assert_int_equal(h.kids_max, 6);
    assert_int_equal(h.compiles_1m, 5);
    assert_true(h.load1 == 0.75);
    const char *tc =
        "{\"schema\":1,\"compilers\":{\"cc\":{\"found\":false,\"version\":null},"
        "\"g++\":{\"found\":true,\"version\":\"12.2.0\"},\"gcc\":{\"found\":true,\"version\":\"12.2.0\"}}}";
    assert_int_equal(dcc_monitor_parse_toolchain(tc, strlen(tc), &h, err, sizeof err), 0);
    assert_string_equal(h.compilers, "g++ 12.2.0, gcc 12.2.0");
    /* Stock distcc's text page and garbage are named, not half read. */
    const char *page = "<distccstats>\ndcc_tcp_accept 3\n</distccstats>\n";
    assert_int_equal(dcc_monitor_parse_stats(page, strlen(page), &h, err, sizeof err), -1);
    assert_string_equal(err, "stock distcc's stats page, no /stats.json");
    assert_int_equal(dcc_monitor_parse_stats("{\"schema\":", 10, &h, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a /stats.json answer: "));
    assert_int_equal(dcc_monitor_parse_stats("[1]", 3, &h, err, sizeof err), -1);
    assert_string_equal(err, "not a /stats.json answer: no \"schema\":1 object");
    assert_int_equal(dcc_monitor_parse_toolchain("{\"schema\":2}", 12, &h, err, sizeof err), -1);
#else
    assert_int_equal(dcc_monitor_parse_stats("{}", 2, &h, err, sizeof err), -1);
    assert_string_equal(err, "built without jansson");
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts_in_list_order_then_others),
        cmocka_unit_test(test_history_scrolls_and_jobs_count_done),
        cmocka_unit_test(test_unlisted_rows_retire_after_their_history),
        cmocka_unit_test(test_durations_and_started_kept_across_polls),
        cmocka_unit_test(test_rows_and_jobs_are_bounded),
        cmocka_unit_test(test_helper_stats_and_toolchain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
