/* Unit tests for dcc_hosts: the host-list grammar, defaults, errors, lookup order, formatting. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/dcc_hosts.h"
#include "test_helpers.h"

/* ---- helpers ---------------------------------------------------------- */

static void parse_ok(const char *text, struct dcc_hostlist *list)
{
    char err[512] = "";
    int rc = dcc_hosts_parse(text, list, err, sizeof err);
    if (rc != 0)
        fail_msg("parsing \"%s\" failed: %s", text, err);
}

/* Parses one token and returns its only host. */
static struct dcc_host *parse_one(const char *text, struct dcc_hostlist *list)
{
    parse_ok(text, list);
    assert_int_equal(list->n, 1);
    return &list->hosts[0];
}

static void assert_parse_error(const char *text, const char *expected)
{
    struct dcc_hostlist list;
    char err[512] = "";
    assert_int_equal(dcc_hosts_parse(text, &list, err, sizeof err), -1);
    assert_string_equal(err, expected);
    /* A failed parse leaves nothing to free and nothing half-built. */
    assert_int_equal(list.n, 0);
    assert_null(list.hosts);
}

/* ---- TCP hosts -------------------------------------------------------- */

static void test_tcp_name_gets_every_default(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("box", &list);
    assert_int_equal(h->mode, DCC_HOST_TCP);
    assert_string_equal(h->spec, "box");
    assert_string_equal(h->hostname, "box");
    assert_int_equal(h->is_ipv6, 0);
    assert_int_equal(h->port, 3632);
    assert_int_equal(h->n_slots, 4);
    assert_null(h->user);
    assert_null(h->ssh_command);
    assert_int_equal(h->compress_lzo, 0);
    assert_int_equal(h->cpp_on_server, 0);
    assert_int_equal(h->protover, 1);
    dcc_hosts_free(&list);
}

static void test_tcp_port_then_limit(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("build-01.lan:4000/8", &list);
    assert_int_equal(h->mode, DCC_HOST_TCP);
    assert_string_equal(h->hostname, "build-01.lan");
    assert_int_equal(h->port, 4000);
    assert_int_equal(h->n_slots, 8);
    dcc_hosts_free(&list);
}

static void test_tcp_oldstyle_limit_then_port_is_the_stock_oracle(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("angry/44:300", &list);
    assert_int_equal(h->mode, DCC_HOST_TCP);
    assert_string_equal(h->hostname, "angry");
    assert_int_equal(h->n_slots, 44);
    assert_int_equal(h->port, 300);
    dcc_hosts_free(&list);
}

static void test_tcp_limit_may_be_written_with_equals(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("box=7", &list);
    assert_string_equal(h->hostname, "box");
    assert_int_equal(h->n_slots, 7);
    assert_int_equal(h->port, 3632);
    dcc_hosts_free(&list);

    h = parse_one("box:4001=9", &list);
    assert_int_equal(h->port, 4001);
    assert_int_equal(h->n_slots, 9);
    dcc_hosts_free(&list);
}

static void test_port_and_limit_bounds_are_inclusive(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    parse_ok("a:1/1 b:65535/10000 c:007=08", &list);
    assert_int_equal(list.n, 3);
    assert_int_equal(list.hosts[0].port, 1);
    assert_int_equal(list.hosts[0].n_slots, 1);
    assert_int_equal(list.hosts[1].port, 65535);
    assert_int_equal(list.hosts[1].n_slots, 10000);
    assert_int_equal(list.hosts[2].port, 7);
    assert_int_equal(list.hosts[2].n_slots, 8);
    dcc_hosts_free(&list);
}

static void test_tcp_ipv4_address(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("10.0.0.1:3633/3", &list);
    assert_string_equal(h->hostname, "10.0.0.1");
    assert_int_equal(h->is_ipv6, 0);
    assert_int_equal(h->port, 3633);
    assert_int_equal(h->n_slots, 3);
    dcc_hosts_free(&list);
}

static void test_tcp_ipv6_in_brackets(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("[::1]:4000/2,lzo", &list);
    assert_int_equal(h->mode, DCC_HOST_TCP);
    assert_string_equal(h->hostname, "::1");
    assert_int_equal(h->is_ipv6, 1);
    assert_int_equal(h->port, 4000);
    assert_int_equal(h->n_slots, 2);
    assert_int_equal(h->compress_lzo, 1);
    assert_int_equal(h->protover, 2);
    dcc_hosts_free(&list);

    h = parse_one("[2001:db8::7]", &list);
    assert_string_equal(h->hostname, "2001:db8::7");
    assert_int_equal(h->port, 3632);
    assert_int_equal(h->n_slots, 4);
    dcc_hosts_free(&list);

    h = parse_one("[fe80::1%eth0]/3:4000", &list);
    assert_string_equal(h->hostname, "fe80::1%eth0");
    assert_int_equal(h->n_slots, 3);
    assert_int_equal(h->port, 4000);
    dcc_hosts_free(&list);
}

static void test_options_set_protocol_version(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int lzo, cpp, protover;
    } cases[] = {
        {"box", 0, 0, 1},          {"box,lzo", 1, 0, 2},     {"box:3632/4,lzo", 1, 0, 2},
        {"box,cpp,lzo", 1, 1, 3},  {"box,lzo,cpp", 1, 1, 3}, {"box/2,lzo,lzo", 1, 0, 2},
        {"@box,cpp,lzo", 1, 1, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dcc_hostlist list;
        struct dcc_host *h = parse_one(cases[i].spec, &list);
        assert_int_equal(h->compress_lzo, cases[i].lzo);
        assert_int_equal(h->cpp_on_server, cases[i].cpp);
        assert_int_equal(h->protover, cases[i].protover);
        dcc_hosts_free(&list);
    }
}

/* ,zstd asks for zstd where the helper offers it and is LZO's protocol
 * otherwise, so pump mode may go with it; ,zstd=LEVEL also sets the level. */
static void test_zstd_options(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int lzo, zstd, level, protover;
    } cases[] = {
        {"box,zstd", 0, 1, 0, 2},         {"box,cpp,zstd", 0, 1, 0, 3},
        {"box,zstd=19,cpp", 0, 1, 19, 3}, {"box,lzo,zstd=3", 1, 1, 3, 2},
        {"box,zstd=5,zstd", 0, 1, 5, 2},  {"@box,zstd=1", 0, 1, 1, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dcc_hostlist list;
        struct dcc_host *h = parse_one(cases[i].spec, &list);
        assert_int_equal(h->compress_lzo, cases[i].lzo);
        assert_int_equal(h->compress_zstd, cases[i].zstd);
        assert_int_equal(h->zstd_level, cases[i].level);
        assert_int_equal(h->protover, cases[i].protover);
        dcc_hosts_free(&list);
    }
}

/* ,auth asks for GSS-API; ,auth=NAME also names the helper for its
 * principal (stock's syntax); a later ,auth=NAME wins. */
static void test_auth_options(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *auth_name;
        int auth, protover;
    } cases[] = {
        {"box", NULL, 0, 1},
        {"box,auth", NULL, 1, 1},
        {"box,lzo,auth", NULL, 1, 2},
        {"box,auth,cpp,lzo", NULL, 1, 3},
        {"127.0.0.1:4000,auth=box.example.org", "box.example.org", 1, 1},
        {"box,auth=a,auth=b", "b", 1, 1},
        {"u@box,auth=box", "box", 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dcc_hostlist list;
        struct dcc_host *h = parse_one(cases[i].spec, &list);
        assert_int_equal(h->auth, cases[i].auth);
        assert_string_equal(h->auth_name ? h->auth_name : "(null)",
                            cases[i].auth_name ? cases[i].auth_name : "(null)");
        assert_int_equal(h->protover, cases[i].protover);
        dcc_hosts_free(&list);
    }
}

/* ---- localhost -------------------------------------------------------- */

static void test_localhost_runs_here_with_two_slots(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("localhost", &list);
    assert_int_equal(h->mode, DCC_HOST_LOCAL);
    assert_string_equal(h->hostname, "localhost");
    assert_int_equal(h->n_slots, 2);
    assert_int_equal(h->protover, 1);
    assert_null(h->user);
    dcc_hosts_free(&list);

    h = parse_one("localhost/6", &list);
    assert_int_equal(h->mode, DCC_HOST_LOCAL);
    assert_int_equal(h->n_slots, 6);
    dcc_hosts_free(&list);
}

static void test_only_the_exact_word_localhost_is_local(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("localhostfoo", &list);
    assert_int_equal(h->mode, DCC_HOST_TCP);
    assert_string_equal(h->hostname, "localhostfoo");
    dcc_hosts_free(&list);

    /* With a port it names the daemon on this machine, as in stock. */
    h = parse_one("localhost:3632", &list);
    assert_int_equal(h->mode, DCC_HOST_TCP);
    assert_string_equal(h->hostname, "localhost");
    assert_int_equal(h->n_slots, 4);
    dcc_hosts_free(&list);

    /* Stock recognises only "localhost/N"; "localhost=N" is a TCP host there. */
    h = parse_one("localhost=3", &list);
    assert_int_equal(h->mode, DCC_HOST_TCP);
    assert_int_equal(h->n_slots, 3);
    dcc_hosts_free(&list);
}

/* ---- ssh hosts -------------------------------------------------------- */

static void test_ssh_user_and_host(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("alice@box", &list);
    assert_int_equal(h->mode, DCC_HOST_SSH);
    assert_string_equal(h->user, "alice");
    assert_string_equal(h->hostname, "box");
    assert_int_equal(h->n_slots, 4);
    assert_int_equal(h->port, 0);
    assert_null(h->ssh_command);
    assert_int_equal(h->protover, 1);
    dcc_hosts_free(&list);
}

static void test_ssh_without_user(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("@box/3", &list);
    assert_int_equal(h->mode, DCC_HOST_SSH);
    assert_null(h->user);
    assert_string_equal(h->hostname, "box");
    assert_int_equal(h->n_slots, 3);
    dcc_hosts_free(&list);
}

static void test_ssh_limit_command_and_options(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("bob@box.lan/8:/opt/bin/distccd,lzo", &list);
    assert_int_equal(h->mode, DCC_HOST_SSH);
    assert_string_equal(h->user, "bob");
    assert_string_equal(h->hostname, "box.lan");
    assert_int_equal(h->n_slots, 8);
    assert_string_equal(h->ssh_command, "/opt/bin/distccd");
    assert_int_equal(h->compress_lzo, 1);
    assert_int_equal(h->protover, 2);
    dcc_hosts_free(&list);

    /* Without a limit the command follows the host directly; like stock,
     * ssh hosts have no port, so ":N" is a command. */
    h = parse_one("bob@box:3632", &list);
    assert_string_equal(h->ssh_command, "3632");
    assert_int_equal(h->n_slots, 4);
    dcc_hosts_free(&list);
}

static void test_ssh_ipv6(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    struct dcc_host *h = parse_one("carol@[fd00::5]=2:distccd-9", &list);
    assert_int_equal(h->mode, DCC_HOST_SSH);
    assert_string_equal(h->user, "carol");
    assert_string_equal(h->hostname, "fd00::5");
    assert_int_equal(h->is_ipv6, 1);
    assert_int_equal(h->n_slots, 2);
    assert_string_equal(h->ssh_command, "distccd-9");
    dcc_hosts_free(&list);
}

/* ---- keywords and list-wide settings --------------------------------- */

static void test_list_defaults(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    parse_ok("box", &list);
    assert_int_equal(list.randomize, 0);
    assert_int_equal(list.zeroconf, 0);
    assert_int_equal(list.local_slots, 4);
    assert_int_equal(list.local_slots_cpp, 8);
    dcc_hosts_free(&list);
}

static void test_keywords(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    parse_ok("--randomize +zeroconf --localslots=6 --localslots_cpp=12 box", &list);
    assert_int_equal(list.n, 1);
    assert_int_equal(list.randomize, 1);
    assert_int_equal(list.zeroconf, 1);
    assert_int_equal(list.local_slots, 6);
    assert_int_equal(list.local_slots_cpp, 12);
    dcc_hosts_free(&list);

    /* The limit may use '/' here too, and the last setting wins. */
    parse_ok("--localslots/3 --localslots_cpp/5 --localslots=9", &list);
    assert_int_equal(list.n, 0);
    assert_int_equal(list.local_slots, 9);
    assert_int_equal(list.local_slots_cpp, 5);
    dcc_hosts_free(&list);
}

/* ---- tokens, whitespace, comments ------------------------------------- */

static void test_whitespace_and_order(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    parse_ok("  a\tb\n\nc\r\nd\fe\vf  ", &list);
    assert_int_equal(list.n, 6);
    const char *want[] = {"a", "b", "c", "d", "e", "f"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(list.hosts[i].hostname, want[i]);
    dcc_hosts_free(&list);
}

static void test_comments(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    parse_ok("# build farm\n"
             "box1/8 # the fast one, not-a-host:99999\n"
             "box2#glued comment @@@\n"
             "   # indented comment\r"
             "localhost\n"
             "#last line without newline box3",
             &list);
    assert_int_equal(list.n, 3);
    assert_string_equal(list.hosts[0].spec, "box1/8");
    assert_int_equal(list.hosts[0].n_slots, 8);
    assert_string_equal(list.hosts[1].spec, "box2");
    assert_int_equal(list.hosts[2].mode, DCC_HOST_LOCAL);
    dcc_hosts_free(&list);
}

static void test_empty_lists_parse_to_no_hosts(void **state)
{
    (void)state;
    const char *texts[] = {"", "   \n\t", "# nothing here\n", "#x", NULL};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct dcc_hostlist list;
        parse_ok(texts[i], &list);
        assert_int_equal(list.n, 0);
        assert_int_equal(list.local_slots, 4);
        dcc_hosts_free(&list);
    }
}

static void test_free_twice_is_harmless(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    parse_ok("a b c", &list);
    dcc_hosts_free(&list);
    assert_int_equal(list.n, 0);
    assert_null(list.hosts);
    dcc_hosts_free(&list);
    dcc_hosts_free(NULL);
}

/* ---- errors ----------------------------------------------------------- */

static void test_errors_name_the_token_and_the_problem(void **state)
{
    (void)state;
    static const struct {
        const char *text, *err;
    } cases[] = {
        /* ports */
        {"box:99999",
         "bad host specification \"box:99999\": port \"99999\" is not a number 1-65535"},
        {"box:0", "bad host specification \"box:0\": port \"0\" is not a number 1-65535"},
        {"box:65536",
         "bad host specification \"box:65536\": port \"65536\" is not a number 1-65535"},
        {"box:", "bad host specification \"box:\": port \"\" is not a number 1-65535"},
        {"box:-1", "bad host specification \"box:-1\": port \"-1\" is not a number 1-65535"},
        {"box:12ab", "bad host specification \"box:12ab\": port \"12ab\" is not a number 1-65535"},
        {"box:+80", "bad host specification \"box:+80\": port \"+80\" is not a number 1-65535"},
        /* slot limits */
        {"box/0", "bad host specification \"box/0\": slot limit \"0\" is not a number 1-10000"},
        {"box/-2", "bad host specification \"box/-2\": slot limit \"-2\" is not a number 1-10000"},
        {"box/10001",
         "bad host specification \"box/10001\": slot limit \"10001\" is not a number 1-10000"},
        {"box/99999999999999999999",
         "bad host specification \"box/99999999999999999999\": slot limit "
         "\"99999999999999999999\" is not a number 1-10000"},
        {"box/four",
         "bad host specification \"box/four\": slot limit \"four\" is not a number 1-10000"},
        {"box/", "bad host specification \"box/\": slot limit \"\" is not a number 1-10000"},
        {"box=", "bad host specification \"box=\": slot limit \"\" is not a number 1-10000"},
        {"box:300/4x",
         "bad host specification \"box:300/4x\": slot limit \"4x\" is not a number 1-10000"},
        {"box/2:300/3", "bad host specification \"box/2:300/3\": the slot limit is given twice"},
        {"localhost/0",
         "bad host specification \"localhost/0\": slot limit \"0\" is not a number 1-10000"},
        {"localhost/",
         "bad host specification \"localhost/\": slot limit \"\" is not a number 1-10000"},
        /* localhost takes nothing else */
        {"localhost/2,lzo",
         "bad host specification \"localhost/2,lzo\": localhost takes only a slot limit "
         "(localhost/N), not \",lzo\""},
        {"localhost/2:3632",
         "bad host specification \"localhost/2:3632\": localhost takes only a slot limit "
         "(localhost/N), not \":3632\""},
        /* host names */
        {":3632", "bad host specification \":3632\": empty host name"},
        {"/4", "bad host specification \"/4\": empty host name"},
        {",lzo", "bad host specification \",lzo\": empty host name"},
        {"@", "bad host specification \"@\": empty host name"},
        {"alice@", "bad host specification \"alice@\": empty host name"},
        {"alice@/4", "bad host specification \"alice@/4\": empty host name"},
        {"box]",
         "bad host specification \"box]\": host name \"box]\" may only hold letters, digits, "
         "\".\", \"-\" and \"_\""},
        {"a@b@c",
         "bad host specification \"a@b@c\": host name \"b@c\" may only hold letters, digits, "
         "\".\", \"-\" and \"_\""},
        {"-box", "bad host specification \"-box\": host name \"-box\" must not start with \"-\""},
        {"@-oProxyCommand=x",
         "bad host specification \"@-oProxyCommand=x\": host name \"-oProxyCommand\" must not start "
         "with \"-\""},
        {"-oProxyCommand@box",
         "bad host specification \"-oProxyCommand@box\": user name \"-oProxyCommand\" must not start "
         "with \"-\""},
        {"al!ce@box", "bad host specification \"al!ce@box\": user name \"al!ce\" may only hold "
                      "letters, digits, \".\", \"-\" and \"_\""},
        /* IPv6 */
        {"[::1", "bad host specification \"[::1\": \"[\" has no closing \"]\""},
        {"[::1:4000/2", "bad host specification \"[::1:4000/2\": \"[\" has no closing \"]\""},
        {"[]", "bad host specification \"[]\": empty IPv6 address in \"[]\""},
        {"[::g]:4000", "bad host specification \"[::g]:4000\": \"::g\" is not an IPv6 address"},
        {"[10.0.0.1]",
         "bad host specification \"[10.0.0.1]\": \"10.0.0.1\" is not an IPv6 address"},
        {"[fe80::1%]",
         "bad host specification \"[fe80::1%]\": \"fe80::1%\" has an empty zone after \"%\""},
        {"[::1]x", "bad host specification \"[::1]x\": unexpected \"x\" after \"[::1]\""},
        {"::1", "bad host specification \"::1\": empty host name"},
        /* garbage after a complete host */
        {"box:1/2:3", "bad host specification \"box:1/2:3\": unexpected \":3\" after \"box:1/2\""},
        {"@box/4/5", "bad host specification \"@box/4/5\": unexpected \"/5\" after \"@box/4\""},
        /* options */
        {"box,cpp",
         "bad host specification \"box,cpp\": pump mode (',cpp') requires compression (',lzo' or ',zstd')"},
        {"@box:cmd,cpp",
         "bad host specification \"@box:cmd,cpp\": pump mode (',cpp') requires compression (',lzo' or ',zstd')"},
        {"box,auth=", "bad host specification \"box,auth=\": \",auth=\" needs a host name"},
        {"box,auth=-x",
         "bad host specification \"box,auth=-x\": auth name \"-x\" must not start with \"-\""},
        {"box,auth=a/b",
         "bad host specification \"box,auth=a/b\": auth name \"a/b\" may only hold letters, "
         "digits, \".\", \"-\" and \"_\""},
        {"box,down",
         "bad host specification \"box,down\": unknown option \",down\" (known options: "
         "\",lzo\", \",zstd\", \",zstd=LEVEL\", \",cpp\", \",auth\", \",auth=NAME\")"},
        {"box,lzo2",
         "bad host specification \"box,lzo2\": unknown option \",lzo2\" (known options: "
         "\",lzo\", \",zstd\", \",zstd=LEVEL\", \",cpp\", \",auth\", \",auth=NAME\")"},
        {"box,", "bad host specification \"box,\": unknown option \",\" (known options: \",lzo\", "
                 "\",zstd\", \",zstd=LEVEL\", \",cpp\", \",auth\", \",auth=NAME\")"},
        {"box,,lzo", "bad host specification \"box,,lzo\": unknown option \",\" (known options: "
                     "\",lzo\", \",zstd\", \",zstd=LEVEL\", \",cpp\", \",auth\", \",auth=NAME\")"},
        {"box,lzo/4",
         "bad host specification \"box,lzo/4\": unknown option \",lzo/4\" (known "
         "options: \",lzo\", \",zstd\", \",zstd=LEVEL\", \",cpp\", \",auth\", \",auth=NAME\")"},
        /* ssh commands */
        {"alice@box:", "bad host specification \"alice@box:\": empty command after \":\""},
        {"alice@box:,lzo", "bad host specification \"alice@box:,lzo\": empty command after \":\""},
        /* keywords */
        {"--bogus", "bad host specification \"--bogus\": unknown keyword (known: --randomize, "
                    "--localslots=N, --localslots_cpp=N, +zeroconf)"},
        {"--randomize=1", "bad host specification \"--randomize=1\": unknown keyword (known: "
                          "--randomize, --localslots=N, --localslots_cpp=N, +zeroconf)"},
        {"+zeroconfx",
         "bad host specification \"+zeroconfx\": unknown keyword (known: --randomize, "
         "--localslots=N, --localslots_cpp=N, +zeroconf)"},
        {"--localslots", "bad host specification \"--localslots\": expected --localslots=N"},
        {"--localslots4", "bad host specification \"--localslots4\": expected --localslots=N"},
        {"--localslots_cpp",
         "bad host specification \"--localslots_cpp\": expected --localslots_cpp=N"},
        {"--localslots=0",
         "bad host specification \"--localslots=0\": slot limit \"0\" is not a number 1-10000"},
        {"--localslots_cpp=x",
         "bad host specification \"--localslots_cpp=x\": slot limit \"x\" is not a number 1-10000"},
        {"--localslots=4:1",
         "bad host specification \"--localslots=4:1\": unexpected \":1\" after \"--localslots=4\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_parse_error(cases[i].text, cases[i].err);
}

static void test_first_bad_token_fails_the_whole_list(void **state)
{
    (void)state;
    assert_parse_error("good1 good2/4 # fine\nbad:0 good3",
                       "bad host specification \"bad:0\": port \"0\" is not a number 1-65535");
}

static void test_error_text_is_one_printable_line(void **state)
{
    (void)state;
    /* A control byte cannot end the line or reach the terminal raw. */
    assert_parse_error("bo\x1b[2Jx:1",
                       "bad host specification \"bo?[2Jx:1\": host name \"bo?[2Jx\" "
                       "may only hold letters, digits, \".\", \"-\" and \"_\"");

    /* A runaway token is cut so the reason still fits. */
    char text[300], want[512];
    memset(text, 'a', 200);
    memcpy(text + 200, ":0", 3);
    snprintf(want, sizeof want,
             "bad host specification \"%.64s...\": port \"0\" is not a number 1-65535", text);
    assert_parse_error(text, want);
}

static void test_error_buffer_is_bounded(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    char err[16];
    memset(err, 'X', sizeof err);
    assert_int_equal(dcc_hosts_parse("box:0", &list, err, sizeof err), -1);
    assert_string_equal(err, "bad host specif");
    /* No buffer at all is allowed too. */
    assert_int_equal(dcc_hosts_parse("box:0", &list, NULL, 0), -1);
}

/* ---- format ----------------------------------------------------------- */

static void test_format_is_canonical(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *formatted;
    } cases[] = {
        {"box", "box:3632/4"},
        {"angry/44:300", "angry:300/44"},
        {"box=7,lzo", "box:3632/7,lzo"},
        {"box,lzo,cpp", "box:3632/4,cpp,lzo"},
        {"[::1]:4000/2,lzo", "[::1]:4000/2,lzo"},
        {"localhost", "localhost/2"},
        {"localhost/5", "localhost/5"},
        {"user@box/8", "user@box/8"},
        {"@box", "@box/4"},
        {"u@[fd00::5]:distccd,cpp,lzo", "u@[fd00::5]/4:distccd,cpp,lzo"},
        {"box,auth,lzo", "box:3632/4,lzo,auth"},
        {"box,zstd", "box:3632/4,zstd"},
        {"box,lzo,zstd=7", "box:3632/4,zstd=7"},
        {"box,zstd,cpp,auth", "box:3632/4,cpp,zstd,auth"},
        {"127.0.0.1:4000,auth=box.example.org", "127.0.0.1:4000/4,auth=box.example.org"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dcc_hostlist list;
        char buf[128];
        struct dcc_host *h = parse_one(cases[i].spec, &list);
        assert_int_equal(dcc_hosts_format(h, buf, sizeof buf), 0);
        assert_string_equal(buf, cases[i].formatted);
        dcc_hosts_free(&list);
    }
}

static void assert_same_host(const struct dcc_host *a, const struct dcc_host *b)
{
    assert_int_equal(a->mode, b->mode);
    assert_string_equal(a->hostname, b->hostname);
    assert_int_equal(a->is_ipv6, b->is_ipv6);
    assert_int_equal(a->port, b->port);
    assert_int_equal(a->n_slots, b->n_slots);
    if (a->user || b->user)
        assert_string_equal(a->user ? a->user : "(null)", b->user ? b->user : "(null)");
    if (a->ssh_command || b->ssh_command)
        assert_string_equal(a->ssh_command ? a->ssh_command : "(null)",
                            b->ssh_command ? b->ssh_command : "(null)");
    assert_int_equal(a->compress_lzo, b->compress_lzo);
    assert_int_equal(a->cpp_on_server, b->cpp_on_server);
    assert_int_equal(a->protover, b->protover);
    assert_int_equal(a->auth, b->auth);
    assert_string_equal(a->auth_name ? a->auth_name : "(null)",
                        b->auth_name ? b->auth_name : "(null)");
}

static void test_format_round_trips(void **state)
{
    (void)state;
    struct dcc_hostlist orig, again;
    parse_ok("localhost localhost/9 box box:1/2 angry/44:300 10.1.1.1=3,lzo [::1]:4000/2,lzo "
             "[fe80::1%eth0],cpp,lzo u@h @h/5 u@h:cmd u@[::2]/3:/usr/bin/distccd,lzo "
             "localhostfoo localhost:3632 box,auth b2:9/3,lzo,auth=b2.example.org @h,auth",
             &orig);
    assert_int_equal(orig.n, 17);
    for (size_t i = 0; i < orig.n; i++) {
        char buf[256];
        assert_int_equal(dcc_hosts_format(&orig.hosts[i], buf, sizeof buf), 0);
        parse_ok(buf, &again);
        assert_int_equal(again.n, 1);
        assert_same_host(&orig.hosts[i], &again.hosts[0]);
        dcc_hosts_free(&again);
    }
    dcc_hosts_free(&orig);
}

static void test_format_refuses_a_small_buffer(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    char buf[11]; /* "box:3632/4" and its NUL */
    struct dcc_host *h = parse_one("box:3632/4", &list);
    assert_int_equal(dcc_hosts_format(h, buf, 10), -1);
    assert_string_equal(buf, "");
    assert_int_equal(dcc_hosts_format(h, buf, sizeof buf), 0);
    assert_string_equal(buf, "box:3632/4");
    dcc_hosts_free(&list);
}

/* ---- lock names, slots, shuffle --------------------------------------- */

static void test_lock_names_match_stock(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    parse_ok("localhost/3 box:4000 u@sshbox/2 [::1]", &list);
    const char *want[] = {"localhost", "tcp_box_4000", "ssh_sshbox", "tcp_::1_3632"};
    for (size_t i = 0; i < 4; i++) {
        char buf[64];
        assert_int_equal(dcc_hosts_lock_name(&list.hosts[i], buf, sizeof buf), 0);
        assert_string_equal(buf, want[i]);
    }
    char small[8];
    assert_int_equal(dcc_hosts_lock_name(&list.hosts[1], small, sizeof small), -1);
    assert_string_equal(small, "");
    dcc_hosts_free(&list);
}

static void test_total_slots(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    parse_ok("localhost box/3 @x --localslots=50", &list);
    assert_int_equal(dcc_hosts_total_slots(&list), 2 + 3 + 4);
    dcc_hosts_free(&list);

    parse_ok("", &list);
    assert_int_equal(dcc_hosts_total_slots(&list), 0);
    dcc_hosts_free(&list);
}

static void test_total_slots_saturates(void **state)
{
    (void)state;
    /* 250000 hosts at 10000 slots would be 2.5e9. */
    struct dcc_host *many = calloc(250000, sizeof *many);
    assert_non_null(many);
    for (size_t i = 0; i < 250000; i++)
        many[i].n_slots = DCC_MAX_SLOTS;
    struct dcc_hostlist list = {.hosts = many, .n = 250000};
    assert_int_equal(dcc_hosts_total_slots(&list), INT_MAX);
    free(many);
}

static void order_of(const struct dcc_hostlist *list, char *out, size_t outlen)
{
    out[0] = '\0';
    for (size_t i = 0; i < list->n; i++)
        strncat(out, list->hosts[i].hostname, outlen - strlen(out) - 1);
}

static void test_shuffle_only_when_randomize(void **state)
{
    (void)state;
    struct dcc_hostlist list;
    char order[64];
    parse_ok("a b c d e f g h", &list);
    dcc_hosts_shuffle(&list, 12345);
    order_of(&list, order, sizeof order);
    assert_string_equal(order, "abcdefgh");
    dcc_hosts_free(&list);
}

static void test_shuffle_permutes_and_depends_on_seed(void **state)
{
    (void)state;
    char first[64] = "", order[64];
    int differed = 0, moved_first = 0;
    for (unsigned int seed = 1; seed <= 20; seed++) {
        struct dcc_hostlist list;
        parse_ok("--randomize a b c d e f g h", &list);
        dcc_hosts_shuffle(&list, seed);
        order_of(&list, order, sizeof order);
        /* Still every host exactly once, specs travelling with their hosts. */
        assert_int_equal(strlen(order), 8);
        for (char ch = 'a'; ch <= 'h'; ch++)
            assert_non_null(strchr(order, ch));
        for (size_t i = 0; i < list.n; i++)
            assert_string_equal(list.hosts[i].spec, list.hosts[i].hostname);
        if (seed == 1)
            snprintf(first, sizeof first, "%s", order);
        else if (strcmp(first, order) != 0)
            differed = 1;
        if (order[0] != 'a')
            moved_first = 1;
        dcc_hosts_free(&list);

        /* The same seed gives the same order. */
        parse_ok("--randomize a b c d e f g h", &list);
        dcc_hosts_shuffle(&list, seed);
        char again[64];
        order_of(&list, again, sizeof again);
        assert_string_equal(again, order);
        dcc_hosts_free(&list);
    }
    assert_true(differed);
    assert_true(moved_first);
}

/* ---- source names, distcc dir, lookup order --------------------------- */

static void test_source_names(void **state)
{
    (void)state;
    assert_string_equal(dcc_hosts_source_name(DCC_HOSTS_FROM_ENV), "$DISTCC_HOSTS");
    assert_string_equal(dcc_hosts_source_name(DCC_HOSTS_FROM_USER), "$DISTCC_DIR/hosts");
    assert_string_equal(dcc_hosts_source_name(DCC_HOSTS_FROM_SYSTEM),
                        DCC_SYSCONFDIR "/distcc/hosts");
    assert_string_equal(dcc_hosts_source_name(DCC_HOSTS_FROM_NONE), "no host list");
}

struct lookup_fixture {
    char top[64];   /* fresh temporary directory */
    char home[128]; /* $HOME, with no .distcc yet */
    char dir[128];  /* a $DISTCC_DIR that exists */
    char etc[128];  /* the sysconfdir passed to dcc_hosts_find */
};

static void make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0)
        fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void write_file(const char *path, const char *data, size_t len)
{
    dcc_test_write_file(path, data, len, 0666);
}

static int lookup_setup(void **state)
{
    struct lookup_fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (dcc_test_tmpdir(fx->top, sizeof fx->top, "/tmp/dcc_hosts_test.XXXXXX") != 0) {
        free(fx);
        return -1;
    }
    snprintf(fx->home, sizeof fx->home, "%s/home", fx->top);
    snprintf(fx->dir, sizeof fx->dir, "%s/ddir", fx->top);
    snprintf(fx->etc, sizeof fx->etc, "%s/etc", fx->top);
    char etc_distcc[160];
    snprintf(etc_distcc, sizeof etc_distcc, "%s/distcc", fx->etc);
    if (mkdir(fx->home, 0700) || mkdir(fx->dir, 0700) || mkdir(fx->etc, 0700) ||
        mkdir(etc_distcc, 0700))
        return -1;
    unsetenv("DISTCC_HOSTS");
    unsetenv("DISTCC_DIR");
    setenv("HOME", fx->home, 1);
    *state = fx;
    return 0;
}

static int lookup_teardown(void **state)
{
    struct lookup_fixture *fx = *state;
    dcc_test_rmtree(fx->top);
    unsetenv("DISTCC_HOSTS");
    unsetenv("DISTCC_DIR");
    free(fx);
    return 0;
}

struct found {
    int rc;
    char *text;
    enum dcc_hosts_source src;
    char path[256];
    char err[512];
};

static void find(const struct lookup_fixture *fx, struct found *f)
{
    memset(f, 0, sizeof *f);
    strcpy(f->path, "stale");
    f->rc = dcc_hosts_find(fx->etc, &f->text, &f->src, f->path, sizeof f->path, f->err,
                           sizeof f->err);
}

static void test_distcc_dir_prefers_DISTCC_DIR(void **state)
{
    struct lookup_fixture *fx = *state;
    char buf[256], want[256], err[256];
    setenv("DISTCC_DIR", fx->dir, 1);
    assert_int_equal(dcc_hosts_distcc_dir(buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, fx->dir);

    /* Empty means unset: it must not put lock/ at the root. */
    setenv("DISTCC_DIR", "", 1);
    snprintf(want, sizeof want, "%s/.distcc", fx->home);
    assert_int_equal(dcc_hosts_distcc_dir(buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, want);

    unsetenv("DISTCC_DIR");
    assert_int_equal(dcc_hosts_distcc_dir(buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, want);

    char small[8];
    assert_int_equal(dcc_hosts_distcc_dir(small, sizeof small, err, sizeof err), -1);
    assert_string_equal(err, "the distcc directory name is too long (over 7 bytes)");
}

static void test_find_env_wins(void **state)
{
    struct lookup_fixture *fx = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/hosts", fx->dir);
    write_file(path, "userbox", 7);
    setenv("DISTCC_DIR", fx->dir, 1);
    setenv("DISTCC_HOSTS", "envbox/3", 1);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.src, DCC_HOSTS_FROM_ENV);
    assert_string_equal(f.text, "envbox/3");
    assert_string_equal(f.path, "");
    free(f.text);
}

static void test_find_env_set_but_empty_still_wins(void **state)
{
    struct lookup_fixture *fx = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/hosts", fx->dir);
    write_file(path, "userbox", 7);
    setenv("DISTCC_DIR", fx->dir, 1);
    setenv("DISTCC_HOSTS", "", 1);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.src, DCC_HOSTS_FROM_ENV);
    assert_string_equal(f.text, "");
    free(f.text);
}

static void test_find_user_file_before_system(void **state)
{
    struct lookup_fixture *fx = *state;
    char user[256], sys[256];
    snprintf(user, sizeof user, "%s/hosts", fx->dir);
    snprintf(sys, sizeof sys, "%s/distcc/hosts", fx->etc);
    write_file(user, "userbox # mine\n", 15);
    write_file(sys, "sysbox\n", 7);
    setenv("DISTCC_DIR", fx->dir, 1);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.src, DCC_HOSTS_FROM_USER);
    assert_string_equal(f.text, "userbox # mine\n");
    assert_string_equal(f.path, user);
    free(f.text);
}

static void test_find_home_dot_distcc_without_DISTCC_DIR(void **state)
{
    struct lookup_fixture *fx = *state;
    char dot[160], user[200];
    snprintf(dot, sizeof dot, "%s/.distcc", fx->home);
    snprintf(user, sizeof user, "%s/hosts", dot);
    make_dir(dot);
    write_file(user, "homebox", 7);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.src, DCC_HOSTS_FROM_USER);
    assert_string_equal(f.text, "homebox");
    assert_string_equal(f.path, user);
    free(f.text);
}

static void test_find_system_file_last(void **state)
{
    struct lookup_fixture *fx = *state;
    char sys[256];
    snprintf(sys, sizeof sys, "%s/distcc/hosts", fx->etc);
    write_file(sys, "sysbox\n", 7);
    setenv("DISTCC_DIR", fx->dir, 1); /* exists, but has no hosts file */
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.src, DCC_HOSTS_FROM_SYSTEM);
    assert_string_equal(f.text, "sysbox\n");
    assert_string_equal(f.path, sys);
    free(f.text);
}

static void test_find_nothing_configured(void **state)
{
    struct lookup_fixture *fx = *state;
    setenv("DISTCC_DIR", "/nonexistent/distcc-dir", 1);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.src, DCC_HOSTS_FROM_NONE);
    assert_null(f.text);
    assert_string_equal(f.path, "");
}

static void test_find_empty_file_is_found(void **state)
{
    struct lookup_fixture *fx = *state;
    char user[256];
    snprintf(user, sizeof user, "%s/hosts", fx->dir);
    write_file(user, "", 0);
    setenv("DISTCC_DIR", fx->dir, 1);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, 0);
    assert_int_equal(f.src, DCC_HOSTS_FROM_USER);
    assert_non_null(f.text);
    assert_string_equal(f.text, "");
    free(f.text);
}

static void test_find_refuses_a_directory(void **state)
{
    struct lookup_fixture *fx = *state;
    char user[256], want[512];
    snprintf(user, sizeof user, "%s/hosts", fx->dir);
    make_dir(user);
    setenv("DISTCC_DIR", fx->dir, 1);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, -1);
    assert_null(f.text);
    snprintf(want, sizeof want, "cannot read %s: not a regular file", user);
    assert_string_equal(f.err, want);
}

static void test_find_refuses_an_unreadable_file(void **state)
{
    struct lookup_fixture *fx = *state;
    char user[256], want[512];
    snprintf(user, sizeof user, "%s/hosts", fx->dir);
    setenv("DISTCC_DIR", fx->dir, 1);

    /* A file that exists but cannot be opened is an error, not "try the
     * next place". A symlink loop fails even for root. */
    assert_int_equal(symlink("hosts", user), 0);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, -1);
    assert_null(f.text);
    snprintf(want, sizeof want, "cannot read %s: %s", user, strerror(ELOOP));
    assert_string_equal(f.err, want);

    /* Root reads a mode-0 file anyway; everyone else gets EACCES. */
    if (geteuid() != 0) {
        assert_int_equal(unlink(user), 0);
        write_file(user, "box", 3);
        assert_int_equal(chmod(user, 0), 0);
        find(fx, &f);
        assert_int_equal(f.rc, -1);
        snprintf(want, sizeof want, "cannot read %s: %s", user, strerror(EACCES));
        assert_string_equal(f.err, want);
    }
}

static void test_find_refuses_an_oversized_file(void **state)
{
    struct lookup_fixture *fx = *state;
    char user[256], want[512];
    snprintf(user, sizeof user, "%s/hosts", fx->dir);
    size_t len = DCC_HOSTS_FILE_MAX + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, ' ', len);
    write_file(user, big, len);
    setenv("DISTCC_DIR", fx->dir, 1);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, -1);
    assert_null(f.text);
    snprintf(want, sizeof want,
             "cannot read %s: larger than 1048576 bytes, which is not a host list", user);
    assert_string_equal(f.err, want);

    /* Exactly at the cap is still fine. */
    write_file(user, big, len - 1);
    find(fx, &f);
    assert_int_equal(f.rc, 0);
    assert_int_equal(strlen(f.text), DCC_HOSTS_FILE_MAX);
    free(f.text);
    free(big);
}

static void test_find_refuses_a_nul_byte(void **state)
{
    struct lookup_fixture *fx = *state;
    char user[256], want[512];
    snprintf(user, sizeof user, "%s/hosts", fx->dir);
    write_file(user, "box\0evil", 8);
    setenv("DISTCC_DIR", fx->dir, 1);
    struct found f;
    find(fx, &f);
    assert_int_equal(f.rc, -1);
    snprintf(want, sizeof want, "cannot read %s: it holds a NUL byte, which is not a host list",
             user);
    assert_string_equal(f.err, want);
}

static void test_find_path_buffer_too_small(void **state)
{
    struct lookup_fixture *fx = *state;
    char user[256], want[512], path[8], err[512];
    char *text = (char *)"untouched";
    enum dcc_hosts_source src;
    snprintf(user, sizeof user, "%s/hosts", fx->dir);
    write_file(user, "box", 3);
    setenv("DISTCC_DIR", fx->dir, 1);
    assert_int_equal(dcc_hosts_find(fx->etc, &text, &src, path, sizeof path, err, sizeof err), -1);
    assert_null(text);
    snprintf(want, sizeof want, "host list path %s is too long", user);
    assert_string_equal(err, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_name_gets_every_default),
        cmocka_unit_test(test_tcp_port_then_limit),
        cmocka_unit_test(test_tcp_oldstyle_limit_then_port_is_the_stock_oracle),
        cmocka_unit_test(test_tcp_limit_may_be_written_with_equals),
        cmocka_unit_test(test_port_and_limit_bounds_are_inclusive),
        cmocka_unit_test(test_tcp_ipv4_address),
        cmocka_unit_test(test_tcp_ipv6_in_brackets),
        cmocka_unit_test(test_options_set_protocol_version),
        cmocka_unit_test(test_zstd_options),
        cmocka_unit_test(test_auth_options),
        cmocka_unit_test(test_localhost_runs_here_with_two_slots),
        cmocka_unit_test(test_only_the_exact_word_localhost_is_local),
        cmocka_unit_test(test_ssh_user_and_host),
        cmocka_unit_test(test_ssh_without_user),
        cmocka_unit_test(test_ssh_limit_command_and_options),
        cmocka_unit_test(test_ssh_ipv6),
        cmocka_unit_test(test_list_defaults),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_whitespace_and_order),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_empty_lists_parse_to_no_hosts),
        cmocka_unit_test(test_free_twice_is_harmless),
        cmocka_unit_test(test_errors_name_the_token_and_the_problem),
        cmocka_unit_test(test_first_bad_token_fails_the_whole_list),
        cmocka_unit_test(test_error_text_is_one_printable_line),
        cmocka_unit_test(test_error_buffer_is_bounded),
        cmocka_unit_test(test_format_is_canonical),
        cmocka_unit_test(test_format_round_trips),
        cmocka_unit_test(test_format_refuses_a_small_buffer),
        cmocka_unit_test(test_lock_names_match_stock),
        cmocka_unit_test(test_total_slots),
        cmocka_unit_test(test_total_slots_saturates),
        cmocka_unit_test(test_shuffle_only_when_randomize),
        cmocka_unit_test(test_shuffle_permutes_and_depends_on_seed),
        cmocka_unit_test(test_source_names),
        cmocka_unit_test_setup_teardown(test_distcc_dir_prefers_DISTCC_DIR, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_env_wins, lookup_setup, lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_env_set_but_empty_still_wins, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_user_file_before_system, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_home_dot_distcc_without_DISTCC_DIR, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_system_file_last, lookup_setup, lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_nothing_configured, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_empty_file_is_found, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_refuses_a_directory, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_refuses_an_unreadable_file, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_refuses_an_oversized_file, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_refuses_a_nul_byte, lookup_setup,
                                        lookup_teardown),
        cmocka_unit_test_setup_teardown(test_find_path_buffer_too_small, lookup_setup,
                                        lookup_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
