/* Unit tests for dcc_zeroconf: TXT items, slots, target matching, stock's subtype, the client's list and its cache. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <cmocka.h>

#include "proto/dcc_hosts.h"
#include "proto/dcc_zeroconf.h"
#include "test_helpers.h"

static void txt(struct dcc_zc_service *s, const char *item)
{
    dcc_zc_txt_item(s, item, strlen(item));
}

/* What stock 3.4's distccd publishes (Debian's, -j 3 on two cores). */
static void stock_record(struct dcc_zc_service *s)
{
    memset(s, 0, sizeof *s);
    txt(s, "txtvers=1");
    txt(s, "cpus=2");
    txt(s, "jobs=3");
    txt(s, "distcc=3.4");
    txt(s, "gnuhost=x86_64-pc-linux-gnu");
    txt(s, "cc_version=12");
    txt(s, "cc_machine=x86_64-linux-gnu");
}

/* ---- TXT items ------------------------------------------------------------ */

static void test_stock_record_is_read_whole(void **state)
{
    (void)state;
    struct dcc_zc_service s;
    stock_record(&s);
    assert_int_equal(s.txtvers, 1);
    assert_int_equal(s.cpus, 2);
    assert_int_equal(s.jobs, 3);
    assert_string_equal(s.distcc, "3.4");
    assert_string_equal(s.gnuhost, "x86_64-pc-linux-gnu");
    assert_string_equal(s.cc_version, "12");
    assert_string_equal(s.cc_machine, "x86_64-linux-gnu");
}

static void test_items_are_length_delimited(void **state)
{
    (void)state;
    struct dcc_zc_service s = {0};
    /* Only the first 6 bytes are the item: "cpus=8". */
    dcc_zc_txt_item(&s, "cpus=8123", 6);
    assert_int_equal(s.cpus, 8);
    dcc_zc_txt_item(&s, "cc_version=13junk", 13);
    assert_string_equal(s.cc_version, "13");
    dcc_zc_txt_item(&s, "jobs=4", 0);
    assert_int_equal(s.jobs, 0);
}

static void test_bad_items_are_ignored(void **state)
{
    (void)state;
    struct dcc_zc_service s = {0};
    txt(&s, "cpus");        /* no '=' */
    txt(&s, "=4");          /* no key */
    txt(&s, "CPUS=4");      /* keys are exact */
    txt(&s, "colour=blue"); /* unknown */
    assert_int_equal(s.cpus, 0);
    dcc_zc_txt_item(&s, "cc_machine=x86\0_64", 18); /* a NUL inside */
    assert_string_equal(s.cc_machine, "");
    txt(&s, "cc_machine=x86_64\nlinux"); /* a control byte */
    assert_string_equal(s.cc_machine, "");
    char big[300];
    snprintf(big, sizeof big, "cc_version=%0200d", 1); /* longer than the field */
    txt(&s, big);
    assert_string_equal(s.cc_version, "");
}

static void test_numbers_are_strict_and_bounded(void **state)
{
    (void)state;
    static const char *const bad[] = {"jobs=0",
                                      "jobs=-1",
                                      "jobs=12x",
                                      "jobs= 4",
                                      "jobs=",
                                      "jobs=10001",
                                      "jobs=99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dcc_zc_service s = {0};
        txt(&s, bad[i]);
        assert_int_equal(s.jobs, 0);
    }
    struct dcc_zc_service s = {0};
    txt(&s, "jobs=10000");
    assert_int_equal(s.jobs, 10000);
}

static void test_slots_as_stock_counts_them(void **state)
{
    (void)state;
    struct dcc_zc_service s = {0};
    assert_int_equal(dcc_zc_slots(&s), 4);
    s.cpus = 3;
    assert_int_equal(dcc_zc_slots(&s), 12);
    s.jobs = 5;
    assert_int_equal(dcc_zc_slots(&s), 5);
    s.jobs = 0;
    s.cpus = 9000;
    assert_int_equal(dcc_zc_slots(&s), DCC_MAX_SLOTS);
}

/* ---- which helpers fit ------------------------------------------------ */

static void test_same_target_ignores_the_vendor(void **state)
{
    (void)state;
    assert_true(dcc_zc_same_target("x86_64-linux-gnu", "x86_64-linux-gnu"));
    assert_true(dcc_zc_same_target("x86_64-pc-linux-gnu", "x86_64-linux-gnu"));
    assert_true(dcc_zc_same_target("aarch64-unknown-linux-gnu", "aarch64-linux-gnu"));
    assert_true(dcc_zc_same_target("armv7a-unknown-linux-gnueabihf", "armv7a-linux-gnueabihf"));
    assert_false(dcc_zc_same_target("i686-pc-linux-gnu", "x86_64-pc-linux-gnu"));
    assert_false(dcc_zc_same_target("x86_64-linux-gnux32", "x86_64-linux-gnu"));
    assert_false(dcc_zc_same_target("x86_64-pc-linux-musl", "x86_64-pc-linux-gnu"));
    assert_false(dcc_zc_same_target("", "x86_64-linux-gnu"));
    assert_false(dcc_zc_same_target(NULL, "x86_64-linux-gnu"));
}

static void test_usable_goes_by_compiler_target_and_version(void **state)
{
    (void)state;
    char why[256];
    struct dcc_zc_service s;
    stock_record(&s);
    assert_true(dcc_zc_usable(&s, "x86_64-linux-gnu", "12", why, sizeof why));
    assert_true(dcc_zc_usable(&s, "x86_64-pc-linux-gnu", "12", why, sizeof why));
    assert_true(dcc_zc_usable(&s, "x86_64-linux-gnu", "", why, sizeof why));
    assert_false(dcc_zc_usable(&s, "x86_64-linux-gnu", "13", why, sizeof why));
    assert_string_equal(why, "compiler x86_64-linux-gnu 12, not 13");
    assert_false(dcc_zc_usable(&s, "aarch64-linux-gnu", "12", why, sizeof why));
    assert_string_equal(why, "compiler target x86_64-linux-gnu, not aarch64-linux-gnu");

    /* Without cc_machine, gnuhost; without cc_version, any version. */
    s.cc_machine[0] = '\0';
    s.cc_version[0] = '\0';
    assert_true(dcc_zc_usable(&s, "x86_64-linux-gnu", "13", why, sizeof why));
    s.gnuhost[0] = '\0';
    assert_false(dcc_zc_usable(&s, "x86_64-linux-gnu", "13", why, sizeof why));
    assert_string_equal(why, "it does not say its compiler's target (no cc_machine or gnuhost)");
}

static void test_subtype_is_stocks(void **state)
{
    (void)state;
    char out[160];
    assert_int_equal(dcc_zc_subtype("x86_64-linux-gnu", "12", out, sizeof out), 0);
    assert_string_equal(out, "_x86-64-linux-gnu--12._sub._distcc._tcp");
    assert_int_equal(dcc_zc_subtype("X86_64-PC-Linux-GNU", "12.2.0", out, sizeof out), 0);
    assert_string_equal(out, "_x86-64-pc-linux-gnu--12-2-0._sub._distcc._tcp");
    assert_int_equal(dcc_zc_subtype("", "12", out, sizeof out), -1);
    assert_int_equal(dcc_zc_subtype("x86_64-linux-gnu", NULL, out, sizeof out), -1);
    assert_int_equal(dcc_zc_subtype("x86_64-linux-gnu", "12", out, 20), -1);
}

static void test_published_record_reads_back(void **state)
{
    (void)state;
    struct dcc_zc_publish_opts o = {.hostname = "box",
                                    .port = 3632,
                                    .cpus = 8,
                                    .jobs = 10,
                                    .distcc_version = "0.1.0",
                                    .gnuhost = "x86_64-pc-linux-gnu",
                                    .cc_machine = "x86_64-pc-linux-gnu",
                                    .cc_version = "13"};
    char items[8][96];
    size_t n = dcc_zc_txt_build(&o, items, 8);
    assert_int_equal(n, 7);
    assert_string_equal(items[0], "txtvers=1");
    struct dcc_zc_service s = {0};
    for (size_t i = 0; i < n; i++)
        txt(&s, items[i]);
    assert_int_equal(s.txtvers, 1);
    assert_int_equal(s.cpus, 8);
    assert_int_equal(s.jobs, 10);
    assert_string_equal(s.distcc, "0.1.0");
    assert_string_equal(s.gnuhost, "x86_64-pc-linux-gnu");
    assert_string_equal(s.cc_machine, "x86_64-pc-linux-gnu");
    assert_string_equal(s.cc_version, "13");
    assert_int_equal(dcc_zc_slots(&s), 10);

    /* An unknown compiler is left out, not published empty. */
    o.cc_machine = "";
    o.cc_version = NULL;
    assert_int_equal(dcc_zc_txt_build(&o, items, 8), 5);
    assert_int_equal(dcc_zc_txt_build(&o, items, 2), 2);
}

/* ---- the client's list --------------------------------------------------- */

static struct dcc_zc_service svc(const char *name, const char *addr, int ipv6, int port,
                                 const char *machine, const char *version, int jobs)
{
    struct dcc_zc_service s = {0};
    snprintf(s.name, sizeof s.name, "%s", name);
    snprintf(s.address, sizeof s.address, "%s", addr);
    s.is_ipv6 = ipv6;
    s.link_local = ipv6 && strncmp(addr, "fe80:", 5) == 0;
    s.port = port;
    snprintf(s.cc_machine, sizeof s.cc_machine, "%s", machine);
    snprintf(s.cc_version, sizeof s.cc_version, "%s", version);
    s.jobs = jobs;
    return s;
}

static void test_list_is_a_host_list_of_the_usable_helpers(void **state)
{
    (void)state;
    struct dcc_zc_service s[] = {
        svc("distcc@zeta", "fe80::1", 1, 3632, "x86_64-linux-gnu", "12", 2),
        svc("distcc@zeta", "10.0.0.9", 0, 3632, "x86_64-linux-gnu", "12", 2),
        svc("distcc@alpha", "2001:db8::5", 1, 4000, "x86_64-pc-linux-gnu", "12", 6),
        svc("distcc@old", "10.0.0.3", 0, 3632, "x86_64-linux-gnu", "11", 4),
        svc("distcc@arm", "10.0.0.4", 0, 3632, "aarch64-linux-gnu", "12", 4),
        svc("distcc@lonely", "fe80::7", 1, 3632, "x86_64-linux-gnu", "12", 4),
    };
    struct dcc_buf b = {0};
    assert_int_equal(dcc_zc_format_list(s, 6, "x86_64-linux-gnu", "12", "found", &b), 0);
    assert_string_equal(
        b.data,
        "# found\n"
        "[2001:db8::5]:4000/6  # distcc@alpha: x86_64-pc-linux-gnu 12\n"
        "# left out distcc@arm at 10.0.0.4: compiler target aarch64-linux-gnu, not x86_64-linux-gnu\n"
        "# left out distcc@lonely: no address to connect to (fe80::7, link-local port 3632)\n"
        "# left out distcc@old at 10.0.0.3: compiler x86_64-linux-gnu 11, not 12\n"
        "10.0.0.9:3632/2  # distcc@zeta: x86_64-linux-gnu 12\n");
    struct dcc_hostlist list;
    char err[256];
    assert_int_equal(dcc_hosts_parse(b.data, &list, err, sizeof err), 0);
    assert_int_equal(list.n, 2);
    assert_string_equal(list.hosts[0].hostname, "2001:db8::5");
    assert_int_equal(list.hosts[0].port, 4000);
    assert_int_equal(list.hosts[0].n_slots, 6);
    assert_string_equal(list.hosts[1].hostname, "10.0.0.9");
    assert_int_equal(list.hosts[1].n_slots, 2);
    dcc_hosts_free(&list);
    dcc_buf_free(&b);
}

static void test_a_name_cannot_add_a_host(void **state)
{
    (void)state;
    /* mDNS names may hold any byte; a newline must not start a host line. */
    struct dcc_zc_service s[] = {
        svc("x\n10.9.9.9/100 #", "10.0.0.1", 0, 3632, "x86_64-linux-gnu", "12", 1)};
    struct dcc_buf b = {0};
    assert_int_equal(dcc_zc_format_list(s, 1, "x86_64-linux-gnu", "12", NULL, &b), 0);
    assert_string_equal(b.data, "10.0.0.1:3632/1  # x?10.9.9.9/100 #: x86_64-linux-gnu 12\n");
    struct dcc_hostlist list;
    char err[256];
    assert_int_equal(dcc_hosts_parse(b.data, &list, err, sizeof err), 0);
    assert_int_equal(list.n, 1);
    dcc_hosts_free(&list);
    dcc_buf_free(&b);
}

static void test_empty_list(void **state)
{
    (void)state;
    struct dcc_buf b = {0};
    assert_int_equal(dcc_zc_format_list(NULL, 0, "x86_64-linux-gnu", "12", NULL, &b), 0);
    assert_true(b.data == NULL || b.data[0] == '\0');
    dcc_buf_free(&b);
}

static void test_zeroconf_keeps_its_place_in_the_host_list(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    char err[256];
    assert_int_equal(dcc_hosts_parse("a +zeroconf b +zeroconf c", &list, err, sizeof err), 0);
    assert_int_equal(list.zeroconf, 1);
    assert_int_equal(list.zeroconf_at, 1);
    dcc_hosts_free(&list);
}

/* ---- the cache ------------------------------------------------------------ */

struct tmp {
    char top[256];
    char dir[512];
};

static int cache_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof *t);
    if (dcc_test_tmpdir(t->top, sizeof t->top, "/tmp/test_zeroconf.XXXXXX") != 0)
        return -1;
    char err[256];
    char distcc_dir[300];
    snprintf(distcc_dir, sizeof distcc_dir, "%s/d", t->top); /* made by dcc_zc_dir */
    if (dcc_zc_dir(distcc_dir, t->dir, sizeof t->dir, err, sizeof err) != 0)
        return -1;
    *state = t;
    return 0;
}

static int cache_teardown(void **state)
{
    struct tmp *t = *state;
    int rc = dcc_test_rmtree(t->top);
    free(t);
    return rc;
}

static void set_age(const char *dir, long seconds)
{
    char path[700];
    snprintf(path, sizeof path, "%s/list", dir);
    struct utimbuf u = {.actime = time(NULL) - seconds, .modtime = time(NULL) - seconds};
    assert_int_equal(utime(path, &u), 0);
}

static void test_cache_ages(void **state)
{
    struct tmp *t = *state;
    char err[256];
    time_t now = time(NULL);
    assert_int_equal(dcc_zc_cache_state(t->dir, 20, now), DCC_ZC_CACHE_MISSING);
    assert_int_equal(dcc_zc_cache_write(t->dir, "10.0.0.1:3632/2\n", err, sizeof err), 0);
    assert_int_equal(dcc_zc_cache_state(t->dir, 20, time(NULL)), DCC_ZC_CACHE_FRESH);
    set_age(t->dir, 19);
    assert_int_equal(dcc_zc_cache_state(t->dir, 20, time(NULL)), DCC_ZC_CACHE_FRESH);
    set_age(t->dir, 60);
    assert_int_equal(dcc_zc_cache_state(t->dir, 20, time(NULL)), DCC_ZC_CACHE_STALE);
    set_age(t->dir, -60); /* from the future: the clock went back */
    assert_int_equal(dcc_zc_cache_state(t->dir, 20, time(NULL)), DCC_ZC_CACHE_STALE);
}

static void test_cache_round_trip_leaves_no_temporary(void **state)
{
    struct tmp *t = *state;
    char err[256], *text = NULL;
    assert_int_equal(dcc_zc_cache_write(t->dir, "# one\n", err, sizeof err), 0);
    assert_int_equal(dcc_zc_cache_write(t->dir, "# two\n10.0.0.1/3\n", err, sizeof err), 0);
    assert_int_equal(dcc_zc_cache_read(t->dir, &text, err, sizeof err), 0);
    assert_string_equal(text, "# two\n10.0.0.1/3\n");
    free(text);
    assert_int_equal(dcc_zc_cache_write(t->dir, "", err, sizeof err), 0);
    assert_int_equal(dcc_zc_cache_read(t->dir, &text, err, sizeof err), 0);
    assert_string_equal(text, "");
    free(text);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test \"$(ls '%s')\" = \"$(printf 'list')\"", t->dir);
    assert_int_equal(system(cmd), 0);
}

static void test_cache_read_refuses_what_is_not_a_list(void **state)
{
    struct tmp *t = *state;
    char err[600], *text = (char *)1, path[700];
    assert_int_equal(dcc_zc_cache_read(t->dir, &text, err, sizeof err), -1);
    assert_null(text);
    assert_non_null(strstr(err, "cannot open"));

    /* Larger than DCC_ZC_LIST_MAX. */
    size_t big = DCC_ZC_LIST_MAX + 1;
    char *data = malloc(big + 1);
    memset(data, '#', big);
    data[big] = '\0';
    assert_int_equal(dcc_zc_cache_write(t->dir, data, err, sizeof err), 0);
    free(data);
    assert_int_equal(dcc_zc_cache_read(t->dir, &text, err, sizeof err), -1);
    assert_non_null(strstr(err, "larger than"));

    /* A symbolic link is not followed. */
    snprintf(path, sizeof path, "%s/list", t->dir);
    unlink(path);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_equal(dcc_zc_cache_read(t->dir, &text, err, sizeof err), -1);
}

static void test_one_refresher_at_a_time(void **state)
{
    struct tmp *t = *state;
    char err[256];
    int fd = dcc_zc_refresh_lock(t->dir, 0, err, sizeof err);
    assert_true(fd >= 0);
    /* flock locks belong to the open file: a second open conflicts. */
    assert_int_equal(dcc_zc_refresh_lock(t->dir, 0, err, sizeof err), -2);
    assert_int_equal(dcc_zc_refresh_lock(t->dir, 60, err, sizeof err), -2);
    close(fd);
    fd = dcc_zc_refresh_lock(t->dir, 0, err, sizeof err);
    assert_true(fd >= 0);
    close(fd);
}

static void test_without_avahi_the_build_says_so(void **state)
{
    (void)state;
    struct dcc_zc_service *s = (void *)1;
    size_t n = 9;
    char err[300] = "";
    assert_int_equal(dcc_zc_available(), DCC_WITH_ZEROCONF);
    if (DCC_WITH_ZEROCONF)
        skip();
    assert_int_equal(dcc_zc_browse(DCC_ZC_SERVICE_TYPE, 100, &s, &n, err, sizeof err), -1);
    assert_null(s);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, "this build has no Zeroconf support"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stock_record_is_read_whole),
        cmocka_unit_test(test_items_are_length_delimited),
        cmocka_unit_test(test_bad_items_are_ignored),
        cmocka_unit_test(test_numbers_are_strict_and_bounded),
        cmocka_unit_test(test_slots_as_stock_counts_them),
        cmocka_unit_test(test_same_target_ignores_the_vendor),
        cmocka_unit_test(test_usable_goes_by_compiler_target_and_version),
        cmocka_unit_test(test_subtype_is_stocks),
        cmocka_unit_test(test_published_record_reads_back),
        cmocka_unit_test(test_list_is_a_host_list_of_the_usable_helpers),
        cmocka_unit_test(test_a_name_cannot_add_a_host),
        cmocka_unit_test(test_empty_list),
        cmocka_unit_test(test_zeroconf_keeps_its_place_in_the_host_list),
        cmocka_unit_test_setup_teardown(test_cache_ages, cache_setup, cache_teardown),
        cmocka_unit_test_setup_teardown(test_cache_round_trip_leaves_no_temporary, cache_setup,
                                        cache_teardown),
        cmocka_unit_test_setup_teardown(test_cache_read_refuses_what_is_not_a_list, cache_setup,
                                        cache_teardown),
        cmocka_unit_test_setup_teardown(test_one_refresher_at_a_time, cache_setup, cache_teardown),
        cmocka_unit_test(test_without_avahi_the_build_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
