/* Unit tests for dcc_wire: header framing, exact tokens, caps and timeouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/dcc_exit.h"
#include "base/dcc_util.h"
#include "proto/dcc_wire.h"

struct pair {
    int a, b;
    struct dcc_conn ca, cb;
};

static int setup(void **state)
{
    struct pair *p = calloc(1, sizeof *p);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    p->a = sv[0];
    p->b = sv[1];
    dcc_conn_init(&p->ca, p->a, p->a, 2000);
    dcc_conn_init(&p->cb, p->b, p->b, 2000);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    if (p->a >= 0)
        close(p->a);
    if (p->b >= 0)
        close(p->b);
    free(p);
    return 0;
}

static void send_raw(struct pair *p, const char *s)
{
    assert_int_equal(write(p->a, s, strlen(s)), (ssize_t)strlen(s));
}

static void test_header_is_lowercase_hex(void **state)
{
    (void)state;
    char hdr[DCC_HEADER_LEN + 1] = {0};
    dcc_wire_format_header(hdr, "DOTO", 0x558);
    assert_string_equal(hdr, "DOTO00000558");
    dcc_wire_format_header(hdr, "ARGC", 0xdeadbeef);
    assert_string_equal(hdr, "ARGCdeadbeef");
}

/* The constants spell stock distcc 3.4's tokens: a typo in one would still
 * talk to our own side, and to no stock peer. */
static void test_tokens_are_stock_spelling(void **state)
{
    (void)state;
    const char *const ours[] = {DCC_TOK_DIST, DCC_TOK_ARGC, DCC_TOK_ARGV, DCC_TOK_DOTI,
                                DCC_TOK_DONE, DCC_TOK_STAT, DCC_TOK_SERR, DCC_TOK_SOUT,
                                DCC_TOK_DOTO, DCC_TOK_DOTD, DCC_TOK_CDIR, DCC_TOK_NFIL,
                                DCC_TOK_NAME, DCC_TOK_FILE, DCC_TOK_LINK, DCC_TOK_TLEN};
    const char *const stock[] = {"DIST", "ARGC", "ARGV", "DOTI", "DONE", "STAT", "SERR", "SOUT",
                                 "DOTO", "DOTD", "CDIR", "NFIL", "NAME", "FILE", "LINK", "TLEN"};
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++) {
        assert_int_equal(strlen(ours[i]), DCC_TOKEN_LEN);
        assert_string_equal(ours[i], stock[i]);
    }
}

static void test_parse_header(void **state)
{
    (void)state;
    char tok[5];
    uint32_t v;
    assert_int_equal(dcc_wire_parse_header("DIST00000002", tok, &v), 0);
    assert_string_equal(tok, "DIST");
    assert_int_equal(v, 2);
    assert_int_equal(dcc_wire_parse_header("STATFFFFFFFF", tok, &v), 0);
    assert_int_equal(v, 0xffffffffu);
    assert_int_equal(dcc_wire_parse_header("DIST0000000g", tok, &v), -1);
    assert_int_equal(dcc_wire_parse_header("dist00000001", tok, &v), -1);
    assert_int_equal(dcc_wire_parse_header("DIST 0000001", tok, &v), -1);
}

static void test_token_roundtrip(void **state)
{
    struct pair *p = *state;
    assert_int_equal(dcc_wire_write_token(&p->ca, "DIST", 1), 0);
    uint32_t v = 0;
    assert_int_equal(dcc_wire_read_token(&p->cb, "DIST", &v), 0);
    assert_int_equal(v, 1);
}

static void test_wrong_token_is_derailment(void **state)
{
    struct pair *p = *state;
    send_raw(p, "ARGC00000001");
    uint32_t v;
    assert_int_equal(dcc_wire_read_token(&p->cb, "DIST", &v), DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(p->cb.err, "protocol derailment: expected DIST, got ARGC");
}

static void test_garbage_is_shown_printably(void **state)
{
    struct pair *p = *state;
    send_raw(p, "GET / HTTP/1.0\r\n");
    uint32_t v;
    assert_int_equal(dcc_wire_read_token(&p->cb, "DIST", &v), DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(p->cb.err, "protocol derailment: expected DIST, got \"GET / HTTP/1\"");
}

static void test_truncated_header(void **state)
{
    struct pair *p = *state;
    send_raw(p, "DIST0000");
    close(p->a);
    p->a = -1;
    uint32_t v;
    assert_int_equal(dcc_wire_read_token(&p->cb, "DIST", &v), DCC_EXIT_TRUNCATED);
    assert_string_equal(
        p->cb.err,
        "while waiting for DIST: peer closed the connection with 4 bytes still expected");
}

static void test_timeout(void **state)
{
    struct pair *p = *state;
    p->cb.timeout_ms = 100;
    uint32_t v;
    assert_int_equal(dcc_wire_read_token(&p->cb, "DIST", &v), DCC_EXIT_TIMEOUT);
    assert_string_equal(p->cb.err,
                        "while waiting for DIST: timed out after 100 ms waiting to read from peer");
}

/* The deadline ends a wait that the idle timeout would let go on. */
static void test_deadline_ends_a_request(void **state)
{
    struct pair *p = *state;
    p->cb.deadline_ms = dcc_now_ms() + 150;
    uint32_t v;
    send_raw(p, "DIST00000001");
    assert_int_equal(dcc_wire_read_token(&p->cb, "DIST", &v), 0);
    assert_int_equal(dcc_wire_read_token(&p->cb, "ARGC", &v), DCC_EXIT_TIMEOUT);
    assert_int_equal(p->cb.cut, DCC_WIRE_CUT_DEADLINE);
    assert_string_equal(p->cb.err,
                        "while waiting for ARGC: the request was not complete by its deadline");
}

/* A header begun and then trickled is cut once the grace is over; waiting
 * for its first byte is not measured. */
static void test_min_rate_cuts_a_trickle(void **state)
{
    struct pair *p = *state;
    p->cb.min_rate = 1000;
    p->cb.rate_grace_ms = 200;
    p->cb.timeout_ms = 5000;
    send_raw(p, "DI");
    uint32_t v;
    assert_int_equal(dcc_wire_read_token(&p->cb, "DIST", &v), DCC_EXIT_TIMEOUT);
    assert_int_equal(p->cb.cut, DCC_WIRE_CUT_RATE);
    assert_true(strstr(p->cb.err, "while waiting for DIST: 2 bytes in 0.") == p->cb.err);
    assert_non_null(strstr(p->cb.err, " s, below the minimum rate of 1000 bytes/s"));
}

/* Measured as a whole, silence is cut after the grace too. */
static void test_whole_phase_rate(void **state)
{
    struct pair *p = *state;
    p->cb.min_rate = 1000;
    p->cb.rate_grace_ms = 150;
    dcc_wire_measure_from_now(&p->cb);
    uint32_t v;
    assert_int_equal(dcc_wire_read_token(&p->cb, "DOTI", &v), DCC_EXIT_TIMEOUT);
    assert_int_equal(p->cb.cut, DCC_WIRE_CUT_RATE);
    assert_true(strstr(p->cb.err, "while waiting for DOTI: 0 bytes in 0.") == p->cb.err);
}

static void test_argv_roundtrip(void **state)
{
    struct pair *p = *state;
    char *argv[] = {"gcc", "-c", "", "hello world.c", "-o", "x.o", NULL};
    assert_int_equal(dcc_wire_write_argv(&p->ca, argv), 0);
    char **got = NULL;
    assert_int_equal(dcc_wire_read_argv(&p->cb, &got), 0);
    assert_int_equal(dcc_argv_len(got), 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(got[i], argv[i]);
    dcc_argv_free(got);
}

static void test_argc_over_cap(void **state)
{
    struct pair *p = *state;
    send_raw(p, "ARGC80000000");
    char **got = NULL;
    assert_int_equal(dcc_wire_read_argv(&p->cb, &got), DCC_EXIT_PROTOCOL_ERROR);
    assert_null(got);
    assert_string_equal(p->cb.err, "ARGC 2147483648 exceeds the limit of 4096");
}

static void test_argc_zero(void **state)
{
    struct pair *p = *state;
    send_raw(p, "ARGC00000000");
    char **got = NULL;
    assert_int_equal(dcc_wire_read_argv(&p->cb, &got), DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(p->cb.err, "ARGC is 0: no compiler named");
}

static void test_argv_over_cap(void **state)
{
    struct pair *p = *state;
    p->cb.limits.max_arg_len = 8;
    send_raw(p, "ARGC00000001ARGV00000009");
    char **got = NULL;
    assert_int_equal(dcc_wire_read_argv(&p->cb, &got), DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(p->cb.err, "ARGV of 9 bytes exceeds the limit of 8");
}

static void test_args_total_cap(void **state)
{
    struct pair *p = *state;
    p->cb.limits.max_args_total = 5;
    send_raw(p, "ARGC00000002ARGV00000003gccARGV00000003-c1");
    char **got = NULL;
    assert_int_equal(dcc_wire_read_argv(&p->cb, &got), DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(p->cb.err, "arguments exceed the limit of 5 bytes in total");
}

static void test_string_with_nul_refused(void **state)
{
    struct pair *p = *state;
    assert_int_equal(write(p->a, "ARGV00000003a\0b", 15), 15);
    char *s = NULL;
    assert_int_equal(dcc_wire_read_string(&p->cb, "ARGV", 100, &s), DCC_EXIT_PROTOCOL_ERROR);
    assert_null(s);
    assert_string_equal(p->cb.err, "ARGV contains a NUL byte");
}

static void test_either(void **state)
{
    struct pair *p = *state;
    send_raw(p, "LINK00000000FILE00000000NAME00000000");
    int which = -1;
    uint32_t v;
    assert_int_equal(dcc_wire_read_either(&p->cb, "FILE", "LINK", &which, &v), 0);
    assert_int_equal(which, 1);
    assert_int_equal(dcc_wire_read_either(&p->cb, "FILE", "LINK", &which, &v), 0);
    assert_int_equal(which, 0);
    assert_int_equal(dcc_wire_read_either(&p->cb, "FILE", "LINK", &which, &v),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(p->cb.err, "protocol derailment: expected FILE or LINK, got NAME");
}

static void test_discard(void **state)
{
    struct pair *p = *state;
    send_raw(p, "0123456789DONE00000001");
    assert_int_equal(dcc_wire_discard(&p->cb, 10), 0);
    uint32_t v;
    assert_int_equal(dcc_wire_read_token(&p->cb, "DONE", &v), 0);
    assert_int_equal(v, 1);
}

static volatile sig_atomic_t stop_now;

static void on_alarm(int sig)
{
    (void)sig;
    stop_now = 1;
}

/* A daemon job being stopped: the signal handler sets the cancel flag, and
 * the wait for a silent peer ends at once with 117 instead of running out
 * its timeout. Without a cancel flag the same signal is only a retry. */
static void test_cancel_ends_a_wait(void **state)
{
    struct pair *p = *state;
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old);
    struct itimerval it = {.it_value = {0, 100 * 1000}};
    char buf[12];

    stop_now = 0;
    p->cb.cancel = &stop_now;
    p->cb.timeout_ms = 5000;
    setitimer(ITIMER_REAL, &it, NULL);
    assert_int_equal(dcc_wire_read(&p->cb, buf, sizeof buf), DCC_EXIT_GONE);
    assert_string_equal(p->cb.err, "interrupted while waiting to read from peer");

    /* No flag: the interrupted wait goes on until the (short) timeout. */
    stop_now = 0;
    p->cb.cancel = NULL;
    p->cb.timeout_ms = 400;
    setitimer(ITIMER_REAL, &it, NULL);
    assert_int_equal(dcc_wire_read(&p->cb, buf, sizeof buf), DCC_EXIT_TIMEOUT);
    assert_int_equal(stop_now, 1);
    sigaction(SIGALRM, &old, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_is_lowercase_hex),
        cmocka_unit_test(test_parse_header),
        cmocka_unit_test(test_tokens_are_stock_spelling),
        cmocka_unit_test_setup_teardown(test_token_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_token_is_derailment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_is_shown_printably, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_ends_a_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_min_rate_cuts_a_trickle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_phase_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_argv_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_argc_over_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_argc_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_argv_over_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_total_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_with_nul_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_either, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_ends_a_wait, setup, teardown),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
