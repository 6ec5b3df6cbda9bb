/* Unit tests for dcc_acl: --allow specs, masks, IPv4-mapped clients, errors, the log line. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "daemon/dcc_acl.h"

/* A client address as accept() would hand it over. */
struct client {
    struct sockaddr_storage ss;
    socklen_t len;
};

static struct client client_of(const char *ip)
{
    struct client c;
    memset(&c, 0, sizeof c);
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c.ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(40000);
        assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
        c.len = sizeof *sin6;
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)&c.ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(40000);
        assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
        c.len = sizeof *sin;
    }
    return c;
}

static int allows(const struct dcc_acl *acl, const char *ip)
{
    struct client c = client_of(ip);
    return dcc_acl_allows(acl, (const struct sockaddr *)&c.ss, c.len);
}

static void add_ok(struct dcc_acl *acl, const char *spec)
{
    char err[256] = "";
    if (dcc_acl_add(acl, spec, err, sizeof err) != 0)
        fail_msg("adding \"%s\" failed: %s", spec, err);
}

static void assert_describes(const struct dcc_acl *acl, const char *want)
{
    char buf[512];
    assert_int_equal(dcc_acl_describe(acl, buf, sizeof buf), 0);
    assert_string_equal(buf, want);
}

static void test_single_ipv4_address_is_a_32_bit_entry(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "10.1.2.3");
    assert_int_equal(acl.n, 1);
    assert_int_equal(acl.entries[0].family, AF_INET);
    assert_int_equal(acl.entries[0].bits, 32);
    static const unsigned char want[4] = {10, 1, 2, 3};
    assert_memory_equal(acl.entries[0].addr, want, 4);
    assert_describes(&acl, "10.1.2.3/32");

    assert_true(allows(&acl, "10.1.2.3"));
    assert_false(allows(&acl, "10.1.2.4"));
    assert_false(allows(&acl, "10.1.2.2"));
    assert_false(allows(&acl, "11.1.2.3"));
    dcc_acl_free(&acl);
}

static void test_single_ipv6_address_is_a_128_bit_entry(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "2001:db8::42");
    assert_int_equal(acl.entries[0].family, AF_INET6);
    assert_int_equal(acl.entries[0].bits, 128);
    assert_describes(&acl, "2001:db8::42/128");
    assert_true(allows(&acl, "2001:db8::42"));
    assert_false(allows(&acl, "2001:db8::43"));
    assert_false(allows(&acl, "2001:db8::"));
    dcc_acl_free(&acl);
}

static void test_host_bits_below_the_mask_are_cleared(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "192.168.1.7/24");
    add_ok(&acl, "172.31.200.9/12");
    add_ok(&acl, "fe80::1234/10");
    add_ok(&acl, "10.9.8.7/0");
    assert_describes(&acl, "192.168.1.0/24 172.16.0.0/12 fe80::/10 0.0.0.0/0");
    static const unsigned char want[4] = {192, 168, 1, 0};
    assert_memory_equal(acl.entries[0].addr, want, 4);
    dcc_acl_free(&acl);
}

static void test_ipv4_mask_boundaries(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "172.16.0.0/12");
    assert_true(allows(&acl, "172.16.0.0"));
    assert_true(allows(&acl, "172.31.255.255"));
    assert_false(allows(&acl, "172.32.0.0"));
    assert_false(allows(&acl, "172.15.255.255"));
    dcc_acl_free(&acl);

    add_ok(&acl, "192.168.1.0/24");
    assert_true(allows(&acl, "192.168.1.255"));
    assert_false(allows(&acl, "192.168.2.1"));
    dcc_acl_free(&acl);

    add_ok(&acl, "10.0.0.128/25");
    assert_true(allows(&acl, "10.0.0.200"));
    assert_false(allows(&acl, "10.0.0.127"));
    dcc_acl_free(&acl);
}

static void test_ipv6_mask_that_is_not_byte_aligned(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "fe80::/10");
    assert_true(allows(&acl, "fe80::1"));
    assert_true(allows(&acl, "febf:ffff::1"));
    assert_false(allows(&acl, "fec0::1"));
    assert_false(allows(&acl, "fe7f::1"));
    dcc_acl_free(&acl);
}

static void test_zero_bits_allow_everyone_of_that_family(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "0.0.0.0/0");
    assert_true(allows(&acl, "8.8.8.8"));
    assert_true(allows(&acl, "::ffff:8.8.8.8"));
    assert_false(allows(&acl, "2001:db8::1"));
    dcc_acl_free(&acl);

    add_ok(&acl, "::/0");
    assert_true(allows(&acl, "2001:db8::1"));
    assert_true(allows(&acl, "8.8.8.8")); /* as ::ffff:8.8.8.8 */
    dcc_acl_free(&acl);
}

static void test_ipv4_mapped_clients_match_ipv4_entries(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "10.0.0.0/8");
    assert_true(allows(&acl, "::ffff:10.1.2.3"));
    assert_false(allows(&acl, "::ffff:11.1.2.3"));
    /* Only the mapped prefix counts: ::10.1.2.3 (compatible) is not IPv4. */
    assert_false(allows(&acl, "::10.1.2.3"));
    dcc_acl_free(&acl);
}

static void test_ipv4_clients_match_mapped_ipv6_entries(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "::ffff:192.168.0.0/112");
    assert_true(allows(&acl, "192.168.44.1"));
    assert_true(allows(&acl, "::ffff:192.168.44.1"));
    assert_false(allows(&acl, "192.169.0.1"));
    dcc_acl_free(&acl);
}

static void test_families_do_not_cross_otherwise(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "127.0.0.0/8");
    assert_false(allows(&acl, "::1"));
    dcc_acl_free(&acl);

    add_ok(&acl, "::1");
    assert_false(allows(&acl, "127.0.0.1"));
    dcc_acl_free(&acl);
}

static void test_empty_list_allows_nothing(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    assert_false(allows(&acl, "127.0.0.1"));
    assert_false(allows(&acl, "::1"));
    assert_describes(&acl, "");
    assert_false(dcc_acl_allows(NULL, NULL, 0));
}

static void test_odd_addresses_are_refused(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "0.0.0.0/0");
    add_ok(&acl, "::/0");

    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    assert_false(dcc_acl_allows(&acl, (const struct sockaddr *)&sun, sizeof sun));

    /* A length too short for the family is not trusted. */
    struct client c = client_of("10.0.0.1");
    assert_true(dcc_acl_allows(&acl, (const struct sockaddr *)&c.ss, c.len));
    assert_false(dcc_acl_allows(&acl, (const struct sockaddr *)&c.ss, c.len - 1));
    c = client_of("::1");
    assert_false(dcc_acl_allows(&acl, (const struct sockaddr *)&c.ss, c.len - 1));
    assert_false(dcc_acl_allows(&acl, (const struct sockaddr *)&c.ss, 1));
    dcc_acl_free(&acl);
}

static void test_allow_private(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    assert_int_equal(dcc_acl_add_private(&acl), 0);
    assert_int_equal(acl.n, 7);
    assert_describes(&acl, "192.168.0.0/16 10.0.0.0/8 172.16.0.0/12 127.0.0.0/8 fe80::/10 fc00::/7 "
                           "::1/128");
    const char *yes[] = {"192.168.5.5", "10.200.0.1", "172.20.1.1", "127.0.0.1",
                         "::1",         "fe80::9",    "fd12::1",    "::ffff:10.0.0.1"};
    const char *no[] = {"8.8.8.8",     "172.32.0.1", "192.169.0.1",
                        "2001:db8::1", "::2",        "::ffff:1.1.1.1"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!allows(&acl, yes[i]))
            fail_msg("--allow-private refused %s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (allows(&acl, no[i]))
            fail_msg("--allow-private allowed %s", no[i]);
    dcc_acl_free(&acl);
}

static void test_loopback_default(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    assert_int_equal(dcc_acl_add_loopback(&acl), 0);
    assert_describes(&acl, "127.0.0.0/8 ::1/128");
    assert_true(allows(&acl, "127.0.0.1"));
    assert_true(allows(&acl, "127.5.5.5"));
    assert_true(allows(&acl, "::1"));
    assert_true(allows(&acl, "::ffff:127.0.0.1"));
    assert_false(allows(&acl, "10.0.0.1"));
    assert_false(allows(&acl, "192.168.1.1"));
    dcc_acl_free(&acl);
    assert_int_equal(acl.n, 0);
    assert_null(acl.entries);
}

static void test_entries_accumulate(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    add_ok(&acl, "10.0.0.1");
    assert_int_equal(dcc_acl_add_loopback(&acl), 0);
    add_ok(&acl, "2001:db8::/32");
    assert_int_equal(acl.n, 4);
    assert_describes(&acl, "10.0.0.1/32 127.0.0.0/8 ::1/128 2001:db8::/32");
    assert_true(allows(&acl, "10.0.0.1"));
    assert_true(allows(&acl, "127.0.0.1"));
    assert_true(allows(&acl, "2001:db8:ffff::1"));
    assert_false(allows(&acl, "10.0.0.2"));
    dcc_acl_free(&acl);
}

static void test_bad_specs(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *err;
    } cases[] = {
        {"10.0.0.0/33",
         "bad --allow address \"10.0.0.0/33\": prefix length \"33\" is not a number 0-32"},
        {"::/129", "bad --allow address \"::/129\": prefix length \"129\" is not a number 0-128"},
        {"10.0.0.0/", "bad --allow address \"10.0.0.0/\": prefix length \"\" is not a number 0-32"},
        {"10.0.0.0/-1",
         "bad --allow address \"10.0.0.0/-1\": prefix length \"-1\" is not a number 0-32"},
        {"10.0.0.0/8x",
         "bad --allow address \"10.0.0.0/8x\": prefix length \"8x\" is not a number 0-32"},
        {"10.0.0.0/8/8",
         "bad --allow address \"10.0.0.0/8/8\": prefix length \"8/8\" is not a number 0-32"},
        {"10.0.0.0/0008",
         "bad --allow address \"10.0.0.0/0008\": prefix length \"0008\" is not a number "
         "0-32"},
        {"10.0.0.256",
         "bad --allow address \"10.0.0.256\": \"10.0.0.256\" is not an IPv4 or IPv6 address"},
        {"10.0.0", "bad --allow address \"10.0.0\": \"10.0.0\" is not an IPv4 or IPv6 address"},
        {"build.lan/24",
         "bad --allow address \"build.lan/24\": \"build.lan\" is not an IPv4 or IPv6 "
         "address"},
        {"", "bad --allow address \"\": \"\" is not an IPv4 or IPv6 address"},
        {"/8", "bad --allow address \"/8\": \"\" is not an IPv4 or IPv6 address"},
        {"fe80::1%eth0",
         "bad --allow address \"fe80::1%eth0\": \"fe80::1%eth0\" is not an IPv4 or IPv6 "
         "address"},
        {"::1::2", "bad --allow address \"::1::2\": \"::1::2\" is not an IPv4 or IPv6 address"},
        {" 10.0.0.1",
         "bad --allow address \" 10.0.0.1\": \" 10.0.0.1\" is not an IPv4 or IPv6 address"},
    };
    struct dcc_acl acl = {0};
    add_ok(&acl, "127.0.0.1");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        assert_int_equal(dcc_acl_add(&acl, cases[i].spec, err, sizeof err), -1);
        assert_string_equal(err, cases[i].err);
        /* A refused spec leaves the list as it was. */
        assert_int_equal(acl.n, 1);
    }
    assert_describes(&acl, "127.0.0.1/32");
    dcc_acl_free(&acl);
}

static void test_long_bad_spec_is_cut_in_the_message(void **state)
{
    (void)state;
    char spec[200], err[512], want[512];
    memset(spec, '9', sizeof spec - 1);
    spec[sizeof spec - 1] = '\0';
    struct dcc_acl acl = {0};
    assert_int_equal(dcc_acl_add(&acl, spec, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "bad --allow address \"%.64s...\": \"%.64s...\" is not an IPv4 or IPv6 address", spec,
             spec);
    assert_string_equal(err, want);
    assert_int_equal(acl.n, 0);
    /* No error buffer is fine too. */
    assert_int_equal(dcc_acl_add(&acl, "nope", NULL, 0), -1);
}

static void test_describe_refuses_a_small_buffer(void **state)
{
    (void)state;
    struct dcc_acl acl = {0};
    char buf[20];
    assert_int_equal(dcc_acl_add_loopback(&acl), 0);
    /* "127.0.0.0/8 ::1/128" is 19 characters. */
    assert_int_equal(dcc_acl_describe(&acl, buf, 19), -1);
    assert_string_equal(buf, "");
    assert_int_equal(dcc_acl_describe(&acl, buf, sizeof buf), 0);
    assert_string_equal(buf, "127.0.0.0/8 ::1/128");
    dcc_acl_free(&acl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_ipv4_address_is_a_32_bit_entry),
        cmocka_unit_test(test_single_ipv6_address_is_a_128_bit_entry),
        cmocka_unit_test(test_host_bits_below_the_mask_are_cleared),
        cmocka_unit_test(test_ipv4_mask_boundaries),
        cmocka_unit_test(test_ipv6_mask_that_is_not_byte_aligned),
        cmocka_unit_test(test_zero_bits_allow_everyone_of_that_family),
        cmocka_unit_test(test_ipv4_mapped_clients_match_ipv4_entries),
        cmocka_unit_test(test_ipv4_clients_match_mapped_ipv6_entries),
        cmocka_unit_test(test_families_do_not_cross_otherwise),
        cmocka_unit_test(test_empty_list_allows_nothing),
        cmocka_unit_test(test_odd_addresses_are_refused),
        cmocka_unit_test(test_allow_private),
        cmocka_unit_test(test_loopback_default),
        cmocka_unit_test(test_entries_accumulate),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_long_bad_spec_is_cut_in_the_message),
        cmocka_unit_test(test_describe_refuses_a_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
