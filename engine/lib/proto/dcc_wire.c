/* distcc wire framing over fds with idle timeouts and capped lengths. */
#include "proto/dcc_wire.h"

#include "base/dcc_exit.h"
#include "base/dcc_util.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void dcc_conn_init(struct dcc_conn *c, int in_fd, int out_fd, int timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->in_fd = in_fd;
    c->out_fd = out_fd;
    c->timeout_ms = timeout_ms;
    c->limits.max_argc = DCC_WIRE_DEFAULT_MAX_ARGC;
    c->limits.max_arg_len = DCC_WIRE_DEFAULT_MAX_ARG_LEN;
    c->limits.max_args_total = DCC_WIRE_DEFAULT_MAX_ARGS_TOTAL;
    c->limits.max_body = DCC_WIRE_DEFAULT_MAX_BODY;
    c->limits.max_body_mem = UINT64_MAX;
    c->limits.max_files = DCC_WIRE_DEFAULT_MAX_FILES;
}

static int fail(struct dcc_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct dcc_conn *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->local_fault = 0;
    c->cut = 0;
    return code;
}

static int idle_timeout(struct dcc_conn *c, const char *what)
{
    return c->timeout_ms % 1000 ? fail(c, DCC_EXIT_TIMEOUT, "timed out after %d ms waiting to %s",
                                       c->timeout_ms, what)
                                : fail(c, DCC_EXIT_TIMEOUT, "timed out after %d s waiting to %s",
                                       c->timeout_ms / 1000, what);
}

static int cut(struct dcc_conn *c, int why, const struct dcc_wire_progress *p, long long now)
{
    int rc;
    if (why == DCC_WIRE_CUT_DEADLINE)
        rc = fail(c, DCC_EXIT_TIMEOUT, "the request was not complete by its deadline");
    else
        rc = fail(c, DCC_EXIT_TIMEOUT, "%llu bytes in %.1f s, below the minimum rate of %u bytes/s",
                  (unsigned long long)p->got, (double)(now - p->first_ms) / 1000.0, c->min_rate);
    c->cut = why;
    return rc;
}

int dcc_wire_wait_input(struct dcc_conn *c, const struct dcc_wire_progress *p)
{
    struct pollfd pf = {.fd = c->in_fd, .events = POLLIN};
    for (;;) {
        if (c->cancel && *c->cancel)
            return fail(c, DCC_EXIT_GONE, "interrupted while waiting to read from peer");
        /* The wait ends at the first of three limits; which one says why. */
        long long now = dcc_now_ms();
        long long wait = c->timeout_ms > 0 ? c->timeout_ms : -1;
        int by = 0;
        if (c->deadline_ms > 0) {
            long long left = c->deadline_ms - now;
            if (left <= 0)
                return cut(c, DCC_WIRE_CUT_DEADLINE, p, now);
            if (wait < 0 || left <= wait) /* a tie is the deadline's: it says more */
                wait = left, by = DCC_WIRE_CUT_DEADLINE;
        }
        /* The read in progress, and the whole phase when one is measured. */
        const struct dcc_wire_progress *measured[2] = {p && p->got > 0 ? p : NULL,
                                                       c->whole_rate ? &c->phase : NULL};
        for (int k = 0; k < 2 && c->min_rate > 0; k++) {
            const struct dcc_wire_progress *m = measured[k];
            if (!m)
                continue;
            /* The bytes so far buy got / min_rate seconds, never less than the grace. */
            long long allowed = (long long)(m->got * 1000 / c->min_rate);
            if (allowed < c->rate_grace_ms)
                allowed = c->rate_grace_ms;
            long long left = m->first_ms + allowed - now;
            if (left <= 0)
                return cut(c, DCC_WIRE_CUT_RATE, m, now);
            if (wait < 0 || left < wait)
                wait = left, by = DCC_WIRE_CUT_RATE;
        }
        int n = poll(&pf, 1, wait > INT_MAX ? INT_MAX : (int)wait);
        if (n > 0)
            return 0;
        if (n == 0 && by == 0)
            return idle_timeout(c, "read from peer");
        if (n == 0)
            continue; /* the check above says which limit passed */
        if (errno != EINTR)
            return fail(c, DCC_EXIT_IO_ERROR, "poll failed: %s", strerror(errno));
    }
}

void dcc_wire_progress_add(struct dcc_wire_progress *p, size_t n)
{
    if (n > 0 && p->got == 0 && p->first_ms == 0)
        p->first_ms = dcc_now_ms();
    p->got += n;
}

void dcc_wire_measure_from_now(struct dcc_conn *c)
{
    c->whole_rate = 1;
    c->phase.first_ms = dcc_now_ms();
    c->phase.got = 0;
}

/* Waits until fd is ready for `events`; 0, or an exit code. */
static int wait_fd(struct dcc_conn *c, int fd, short events, const char *what)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        if (c->cancel && *c->cancel)
            return fail(c, DCC_EXIT_GONE, "interrupted while waiting to %s", what);
        int n = poll(&p, 1, c->timeout_ms > 0 ? c->timeout_ms : -1);
        if (n > 0)
            return 0;
        if (n == 0)
            return idle_timeout(c, what);
        if (errno != EINTR)
            return fail(c, DCC_EXIT_IO_ERROR, "poll failed: %s", strerror(errno));
    }
}

int dcc_wire_read(struct dcc_conn *c, void *buf, size_t len)
{
    char *p = buf;
    struct dcc_wire_progress prog = {0, 0};
    while (len > 0) {
        int rc = dcc_wire_wait_input(c, &prog);
        if (rc)
            return rc;
        ssize_t n = read(c->in_fd, p, len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        /* A reset is the peer closing on unread data: a close, as for write. */
        if (n < 0)
            return fail(c, errno == ECONNRESET ? DCC_EXIT_TRUNCATED : DCC_EXIT_IO_ERROR,
                        "read failed: %s", strerror(errno));
        if (n == 0)
            return fail(c, DCC_EXIT_TRUNCATED,
                        "peer closed the connection with %zu bytes still expected", len);
        p += n;
        len -= (size_t)n;
        c->bytes_in += (uint64_t)n;
        dcc_wire_progress_add(&prog, (size_t)n);
        if (c->whole_rate)
            dcc_wire_progress_add(&c->phase, (size_t)n);
    }
    return 0;
}

int dcc_wire_write(struct dcc_conn *c, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        int rc = wait_fd(c, c->out_fd, POLLOUT, "write to peer");
        if (rc)
            return rc;
        ssize_t n = write(c->out_fd, p, len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return fail(
                c, errno == EPIPE || errno == ECONNRESET ? DCC_EXIT_TRUNCATED : DCC_EXIT_IO_ERROR,
                "write failed: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
        c->bytes_out += (uint64_t)n;
    }
    return 0;
}

int dcc_wire_discard(struct dcc_conn *c, uint64_t len)
{
    char scratch[16384];
    while (len > 0) {
        size_t chunk = len > sizeof scratch ? sizeof scratch : (size_t)len;
        int rc = dcc_wire_read(c, scratch, chunk);
        if (rc)
            return rc;
        len -= chunk;
    }
    return 0;
}

void dcc_wire_format_header(char out[DCC_HEADER_LEN], const char *token, uint32_t value)
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, token, DCC_TOKEN_LEN);
    for (int i = 0; i < 8; i++)
        out[DCC_TOKEN_LEN + i] = hex[(value >> (28 - 4 * i)) & 0xf];
}

int dcc_wire_parse_header(const char in[DCC_HEADER_LEN], char token[DCC_TOKEN_LEN + 1],
                          uint32_t *value)
{
    uint32_t v = 0;
    for (int i = 0; i < DCC_TOKEN_LEN; i++)
        if (in[i] < 'A' || in[i] > 'Z')
            return -1;
    for (int i = DCC_TOKEN_LEN; i < DCC_HEADER_LEN; i++) {
        char ch = in[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') /* stock parses with strtoul */
            d = ch - 'A' + 10;
        else
            return -1;
        v = (v << 4) | (uint32_t)d;
    }
    memcpy(token, in, DCC_TOKEN_LEN);
    token[DCC_TOKEN_LEN] = '\0';
    *value = v;
    return 0;
}

int dcc_wire_write_token(struct dcc_conn *c, const char *token, uint32_t value)
{
    char hdr[DCC_HEADER_LEN];
    dcc_wire_format_header(hdr, token, value);
    return dcc_wire_write(c, hdr, sizeof hdr);
}

/* Shows what arrived instead of a header, printable characters only, so the
 * log line says what the peer really was (an HTTP client, a shell, ...). */
static void describe_bytes(const char *in, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < outlen; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

static int read_header(struct dcc_conn *c, char token[DCC_TOKEN_LEN + 1], uint32_t *value,
                       const char *expected)
{
    char hdr[DCC_HEADER_LEN];
    int rc = dcc_wire_read(c, hdr, sizeof hdr);
    if (rc) {
        char why[sizeof c->err];
        snprintf(why, sizeof why, "%s", c->err);
        int was_cut = c->cut;
        fail(c, rc, "while waiting for %s: %s", expected, why);
        c->cut = was_cut;
        return rc;
    }
    if (dcc_wire_parse_header(hdr, token, value) != 0) {
        char shown[64];
        describe_bytes(hdr, sizeof hdr, shown, sizeof shown);
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "protocol derailment: expected %s, got \"%s\"",
                    expected, shown);
    }
    return 0;
}

int dcc_wire_read_token(struct dcc_conn *c, const char *token, uint32_t *value)
{
    char got[DCC_TOKEN_LEN + 1];
    int rc = read_header(c, got, value, token);
    if (rc)
        return rc;
    if (memcmp(got, token, DCC_TOKEN_LEN) != 0)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "protocol derailment: expected %s, got %s", token,
                    got);
    return 0;
}

static int read_one_of(struct dcc_conn *c, const char *a, const char *b, const char *expected,
                       int *which, uint32_t *value)
{
    char got[DCC_TOKEN_LEN + 1];
    int rc = read_header(c, got, value, expected);
    if (rc)
        return rc;
    if (memcmp(got, a, DCC_TOKEN_LEN) == 0)
        *which = 0;
    else if (memcmp(got, b, DCC_TOKEN_LEN) == 0)
        *which = 1;
    else
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "protocol derailment: expected %s, got %s",
                    expected, got);
    return 0;
}

int dcc_wire_read_either(struct dcc_conn *c, const char *a, const char *b, int *which,
                         uint32_t *value)
{
    char expected[16];
    snprintf(expected, sizeof expected, "%s or %s", a, b);
    return read_one_of(c, a, b, expected, which, value);
}

int dcc_wire_read_token_or(struct dcc_conn *c, const char *a, const char *b, int *which,
                           uint32_t *value)
{
    return read_one_of(c, a, b, a, which, value);
}

int dcc_wire_write_string(struct dcc_conn *c, const char *token, const char *s)
{
    size_t len = strlen(s);
    if (len > UINT32_MAX)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "%s string of %zu bytes is too long to send", token,
                    len);
    int rc = dcc_wire_write_token(c, token, (uint32_t)len);
    return rc ? rc : dcc_wire_write(c, s, len);
}

int dcc_wire_read_string(struct dcc_conn *c, const char *token, uint32_t max, char **out)
{
    uint32_t len;
    *out = NULL;
    int rc = dcc_wire_read_token(c, token, &len);
    if (rc)
        return rc;
    if (len > max)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "%s of %u bytes exceeds the limit of %u", token,
                    len, max);
    char *s = malloc((size_t)len + 1);
    if (!s)
        return fail(c, DCC_EXIT_OUT_OF_MEMORY, "out of memory for a %u-byte %s", len, token);
    rc = dcc_wire_read(c, s, len);
    if (rc) {
        free(s);
        return rc;
    }
    s[len] = '\0';
    if (memchr(s, '\0', len)) {
        free(s);
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "%s contains a NUL byte", token);
    }
    *out = s;
    return 0;
}

int dcc_wire_write_argv(struct dcc_conn *c, char *const *argv)
{
    /* One write for the whole argument list: dozens of small packets cost
     * more than the bytes. */
    size_t n = dcc_argv_len(argv);
    struct dcc_buf b = {0};
    char hdr[DCC_HEADER_LEN];
    dcc_wire_format_header(hdr, DCC_TOK_ARGC, (uint32_t)n);
    int bad = dcc_buf_append(&b, hdr, sizeof hdr);
    for (size_t i = 0; !bad && i < n; i++) {
        size_t len = strlen(argv[i]);
        if (len > UINT32_MAX) {
            dcc_buf_free(&b);
            return fail(c, DCC_EXIT_PROTOCOL_ERROR, "argument %zu is too long to send", i);
        }
        dcc_wire_format_header(hdr, DCC_TOK_ARGV, (uint32_t)len);
        bad = dcc_buf_append(&b, hdr, sizeof hdr) || dcc_buf_append(&b, argv[i], len);
    }
    if (bad) {
        dcc_buf_free(&b);
        return fail(c, DCC_EXIT_OUT_OF_MEMORY, "out of memory sending %zu arguments", n);
    }
    int rc = dcc_wire_write(c, b.data, b.len);
    dcc_buf_free(&b);
    return rc;
}

int dcc_wire_read_argv(struct dcc_conn *c, char ***argvp)
{
    uint32_t argc;
    *argvp = NULL;
    int rc = dcc_wire_read_token(c, DCC_TOK_ARGC, &argc);
    if (rc)
        return rc;
    if (argc == 0)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "ARGC is 0: no compiler named");
    if (argc > c->limits.max_argc)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "ARGC %u exceeds the limit of %u", argc,
                    c->limits.max_argc);
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    if (!argv)
        return fail(c, DCC_EXIT_OUT_OF_MEMORY, "out of memory for %u arguments", argc);
    uint64_t total = 0;
    for (uint32_t i = 0; i < argc; i++) {
        rc = dcc_wire_read_string(c, DCC_TOK_ARGV, c->limits.max_arg_len, &argv[i]);
        if (rc)
            break;
        total += strlen(argv[i]);
        if (total > c->limits.max_args_total) {
            rc = fail(c, DCC_EXIT_PROTOCOL_ERROR,
                      "arguments exceed the limit of %llu bytes in total",
                      (unsigned long long)c->limits.max_args_total);
            break;
        }
    }
    if (rc) {
        dcc_argv_free(argv);
        return rc;
    }
    *argvp = argv;
    return 0;
}

void dcc_wire_cork(int fd, int on)
{
#ifdef TCP_CORK
    (void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
#else
    (void)fd;
    (void)on;
#endif
}
