/* Unit tests for dcc_auth: the principal lists, the names a client asks for,
 * and the daemon side's answers to clients that do not follow the exchange
 * (the parts that need no Kerberos realm; gssapi.bats has one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/dcc_auth.h"
#include "base/dcc_exit.h"
#include "test_helpers.h"

static void parse_ok(const char *text, struct dcc_auth_list *l)
{
    char err[300] = "";
    memset(l, 0, sizeof *l);
    int rc = dcc_auth_list_parse(text, strlen(text), l, err, sizeof err);
    if (rc)
        fail_msg("parse failed: %s", err);
}

static void lists_skip_comments_blank_lines_and_surrounding_blanks(void **state)
{
    (void)state;
    struct dcc_auth_list l;
    parse_ok("# builders\n\n  alice  \n\tbob@EXAMPLE.ORG\r\n# carol\ndave", &l);
    assert_int_equal(l.n, 3);
    /* sorted */
    assert_string_equal(l.names[0], "alice");
    assert_string_equal(l.names[1], "bob@EXAMPLE.ORG");
    assert_string_equal(l.names[2], "dave");
    dcc_auth_list_free(&l);
    assert_null(l.names);
    assert_int_equal(l.n, 0);
    dcc_auth_list_free(&l); /* twice is harmless */
}

/* "alice" matches alice in any realm, as stock compares names without their
 * realm; "bob@EXAMPLE.ORG" only bob in that realm. */
static void names_without_a_realm_match_every_realm(void **state)
{
    (void)state;
    struct dcc_auth_list l;
    parse_ok("alice\nbob@EXAMPLE.ORG\nhost/box\n", &l);
    assert_true(dcc_auth_list_has(&l, "alice@EXAMPLE.ORG"));
    assert_true(dcc_auth_list_has(&l, "alice@OTHER.ORG"));
    assert_true(dcc_auth_list_has(&l, "alice"));
    assert_true(dcc_auth_list_has(&l, "bob@EXAMPLE.ORG"));
    assert_false(dcc_auth_list_has(&l, "bob@OTHER.ORG"));
    assert_false(dcc_auth_list_has(&l, "bob"));
    assert_true(dcc_auth_list_has(&l, "host/box@EXAMPLE.ORG"));
    assert_false(dcc_auth_list_has(&l, "alic@EXAMPLE.ORG"));
    assert_false(dcc_auth_list_has(&l, "alicee@EXAMPLE.ORG"));
    assert_false(dcc_auth_list_has(&l, "@EXAMPLE.ORG"));
    assert_false(dcc_auth_list_has(&l, ""));
    dcc_auth_list_free(&l);
}

static void white_and_black_lists_decide_opposite_ways(void **state)
{
    (void)state;
    struct dcc_auth_list l;
    parse_ok("alice\n", &l);
    l.deny = 0;
    assert_true(dcc_auth_list_allows(&l, "alice@R"));
    assert_false(dcc_auth_list_allows(&l, "mallory@R"));
    l.deny = 1;
    assert_false(dcc_auth_list_allows(&l, "alice@R"));
    assert_true(dcc_auth_list_allows(&l, "mallory@R"));
    dcc_auth_list_free(&l);
    /* No list: everyone who authenticates. */
    assert_true(dcc_auth_list_allows(NULL, "mallory@R"));
    /* An empty whitelist lets no one in, an empty blacklist everyone. */
    parse_ok("# nobody yet\n", &l);
    assert_false(dcc_auth_list_allows(&l, "alice@R"));
    l.deny = 1;
    assert_true(dcc_auth_list_allows(&l, "alice@R"));
    dcc_auth_list_free(&l);
}

static void bad_list_lines_are_named(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
        const char *err;
    } cases[] = {
        {"alice\nbob smith\n", 16,
         "line 2: \"bob smith\" is not one principal (a blank or control character inside)"},
        {"a\x01"
         "b\n",
         4,
         "line 1: \"a\x01"
         "b\" is not one principal (a blank or control character inside)"},
        {"ok\nx\0y\n", 7,
         "line 2: \"x\" is not one principal (a blank or control character inside)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dcc_auth_list l;
        char err[300] = "";
        assert_int_equal(dcc_auth_list_parse(cases[i].text, cases[i].len, &l, err, sizeof err), -1);
        assert_int_equal(l.n, 0);
        assert_null(l.names);
        assert_string_equal(err, cases[i].err);
    }
    char long_name[400];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    struct dcc_auth_list l;
    char err[300];
    assert_int_equal(dcc_auth_list_parse(long_name, strlen(long_name), &l, err, sizeof err), -1);
    assert_string_equal(err, "line 1: a principal longer than 255 bytes");
}

static void list_files_are_read_with_their_name_in_errors(void **state)
{
    (void)state;
    char dir[64];
    assert_int_equal(dcc_test_tmpdir(dir, sizeof dir, "/tmp/dcc-test-auth.XXXXXX"), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/list", dir);
    dcc_test_write_text(path, "carol\nalice\n", 0666);
    struct dcc_auth_list l;
    char err[300] = "";
    assert_int_equal(dcc_auth_list_load(path, 1, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.deny, 1);
    assert_string_equal(l.path, path);
    assert_true(dcc_auth_list_has(&l, "carol@X"));
    dcc_auth_list_free(&l);

    char want[300];
    snprintf(want, sizeof want, "cannot open %s/missing: No such file or directory", dir);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    assert_int_equal(dcc_auth_list_load(missing, 0, &l, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_int_equal(dcc_auth_list_load(dir, 0, &l, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s is not a regular file", dir);
    assert_string_equal(err, want);

    dcc_test_write_text(path, "alice\nbad name\n", 0666);
    assert_int_equal(dcc_auth_list_load(path, 0, &l, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s: line 2: \"bad name\" is not one principal (a blank or control character inside)",
             path);
    assert_string_equal(err, want);
    assert_int_equal(dcc_test_rmtree(dir), 0);
}

/* Stock's names: host/HOST by default, SERVICE@HOST (host-based) with
 * DISTCC_PRINCIPAL. */
static void target_names_follow_stock(void **state)
{
    (void)state;
    char buf[300];
    int hostbased = -1;
    assert_int_equal(dcc_auth_target("box.example.org", NULL, buf, sizeof buf, &hostbased), 0);
    assert_string_equal(buf, "host/box.example.org");
    assert_int_equal(hostbased, 0);
    assert_int_equal(dcc_auth_target("box.example.org", "", buf, sizeof buf, &hostbased), 0);
    assert_string_equal(buf, "host/box.example.org");
    assert_int_equal(dcc_auth_target("box.example.org", "distccd", buf, sizeof buf, &hostbased), 0);
    assert_string_equal(buf, "distccd@box.example.org");
    assert_int_equal(hostbased, 1);
    assert_int_equal(dcc_auth_target("", NULL, buf, sizeof buf, &hostbased), -1);
    assert_int_equal(dcc_auth_target("box", NULL, buf, 6, &hostbased), -1);
    assert_string_equal(buf, "");
    char longhost[300];
    memset(longhost, 'h', sizeof longhost - 1);
    longhost[sizeof longhost - 1] = '\0';
    char big[600];
    assert_int_equal(dcc_auth_target(longhost, NULL, big, sizeof big, &hostbased), -1);
}

/* The daemon side against clients that break the exchange: each answer is
 * decided before any GSS-API call, so no realm is needed. */
static int accept_bytes(const void *bytes, size_t len, char *err, size_t errlen, char *sent,
                        size_t *sent_len)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], bytes, len), (ssize_t)len);
    shutdown(sv[1], SHUT_WR);
    struct dcc_conn c;
    dcc_conn_init(&c, sv[0], sv[0], 2000);
    struct dcc_auth_server s;
    memset(&s, 0, sizeof s);
    char principal[64] = "unset";
    int rc = dcc_auth_accept(&s, &c, NULL, principal, sizeof principal, err, errlen);
    assert_string_equal(principal, "");
    close(sv[0]);
    ssize_t n = read(sv[1], sent, 16);
    *sent_len = n > 0 ? (size_t)n : 0;
    close(sv[1]);
    return rc;
}

static void daemon_answers_broken_exchanges_without_gss(void **state)
{
    (void)state;
    if (!dcc_auth_available())
        skip();
    char err[600], sent[16];
    size_t sent_len;
    /* A client without ,auth: its request header comes first. */
    assert_int_equal(accept_bytes("DIST00000001", 12, err, sizeof err, sent, &sent_len),
                     DCC_EXIT_GSSAPI_FAILED);
    assert_string_equal(
        err,
        "no GSS-API handshake (this helper runs --auth; the client has no ,auth in its host list)");
    assert_int_equal(sent_len, 0);
    /* Hung up before a byte. */
    assert_int_equal(accept_bytes("", 0, err, sizeof err, sent, &sent_len), DCC_EXIT_TRUNCATED);
    /* A token length of 0 or above the cap is refused before allocating. */
    assert_int_equal(accept_bytes("*TLEN00000000", 13, err, sizeof err, sent, &sent_len),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(
        err, "during GSS-API authentication: a GSS-API token of 0 bytes (1 to 262144 allowed)");
    assert_int_equal(sent_len, 1);
    assert_int_equal(sent[0], '*');
    assert_int_equal(accept_bytes("*TLENffffffff", 13, err, sizeof err, sent, &sent_len),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(
        err,
        "during GSS-API authentication: a GSS-API token of 4294967295 bytes (1 to 262144 allowed)");
    /* Another token than TLEN. */
    assert_int_equal(accept_bytes("*DIST00000001", 13, err, sizeof err, sent, &sent_len),
                     DCC_EXIT_PROTOCOL_ERROR);
    /* A token cut short. */
    assert_int_equal(accept_bytes("*TLEN00000010abc", 16, err, sizeof err, sent, &sent_len),
                     DCC_EXIT_TRUNCATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_skip_comments_blank_lines_and_surrounding_blanks),
        cmocka_unit_test(names_without_a_realm_match_every_realm),
        cmocka_unit_test(white_and_black_lists_decide_opposite_ways),
        cmocka_unit_test(bad_list_lines_are_named),
        cmocka_unit_test(list_files_are_read_with_their_name_in_errors),
        cmocka_unit_test(target_names_follow_stock),
        cmocka_unit_test(daemon_answers_broken_exchanges_without_gss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
