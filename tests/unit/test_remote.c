/* Unit tests for dcc_remote: one job against a scripted fake helper on
 * 127.0.0.1, plain and LZO, and what the user is told when it goes wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/dcc_args.h"
#include "proto/dcc_bulk.h"
#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "client/dcc_remote.h"
#include "base/dcc_util.h"
#include "proto/dcc_wire.h"
#include "test_helpers.h"

/* What the fake helper does once it has accepted the connection. */
enum helper_act {
    HELPER_ANSWER,           /* reads the whole request, answers as the script says */
    HELPER_HANG_UP,          /* closes at once without reading (an --allow refusal) */
    HELPER_RESET,            /* waits for the request, then closes with SO_LINGER {1,0}: a reset */
    HELPER_SILENT,           /* reads the whole request and never answers */
    HELPER_EXPECT_NO_SOURCE, /* reads DIST and the arguments, then insists the client hangs up */
};

struct script {
    enum helper_act act;
    uint32_t done_ver; /* 0: answer DONE with the request's version */
    uint32_t stat;     /* raw wait status sent in STAT */
    const char *serr;
    const char *doto;
    size_t doto_len;
    uint32_t doto_claim; /* nonzero: DOTO header says this many, doto_len are sent, then close */
    const char *const *argv_sent; /* the exact ARGV expected; NULL: gcc_argv_sent */
};

struct fixture {
    char dir[64];
    char oldcwd[PATH_MAX];
    mode_t oldmask;
    char *src; /* the bytes of x.i */
    size_t srclen;
    char **argv;
    struct dcc_scan scan;
    struct dcc_cpp cpp;
    struct dcc_hostlist hosts;
    pid_t helper;
};

/* What the client must send for "gcc -c x.i -o x.o": nothing is local. */
static const char *const gcc_argv_sent[] = {"gcc", "-c", "x.i", "-o", "x.o", NULL};

static const char doto_bytes[] = "\x7f"
                                 "ELF\2\1\1\0object code \0\xff\xfe and more";
#define DOTO_LEN (sizeof doto_bytes - 1)

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    dcc_test_write_file(path, data, len, mode);
}

/* The whole file, NUL-terminated; *len its size. */
static char *read_file(const char *path, size_t *len)
{
    return dcc_test_read_file(path, len);
}

/* The current directory's entries, dot files included, sorted and joined by
 * spaces: a leftover ".x.o.distcc-XXXXXX" shows up here. */
static void dir_entries(char *out, size_t outlen)
{
    dcc_test_dir_entries(".", out, outlen);
}

/* argv, scan and cpp for a command line run in the job directory. */
static void prepare_job(struct fixture *f, const char *const *words)
{
    dcc_cpp_cleanup(&f->cpp, 0);
    dcc_argv_free(f->argv);
    f->argv = dcc_argv_dup((char *const *)words);
    assert_non_null(f->argv);
    char err[256] = "";
    assert_int_equal(dcc_args_scan(&f->argv, &f->scan, err, sizeof err), 0);
    assert_int_equal(f->scan.local_only, 0);
    f->cpp = (struct dcc_cpp){.slot_fd = -1};
    assert_int_equal(dcc_cpp_start(f->argv, &f->scan, f->dir, &f->cpp, err, sizeof err), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->cpp.slot_fd = -1;
    assert_int_equal(dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/test_remote_XXXXXX"), 0);
    assert_non_null(getcwd(f->oldcwd, sizeof f->oldcwd));
    assert_int_equal(chdir(f->dir), 0);
    f->oldmask = umask(022);

    /* Repetitive, so LZO visibly shrinks it on the wire. */
    struct dcc_buf b = {0};
    for (int i = 0; i < 400; i++)
        assert_int_equal(dcc_buf_printf(&b, "int value_%d = %d;\n", i, i * 7), 0);
    f->src = b.data;
    f->srclen = b.len;
    write_file("x.i", f->src, f->srclen, 0644);

    static const char *const words[] = {"gcc", "-c", "x.i", "-o", "x.o", NULL};
    prepare_job(f, words);
    /* Already preprocessed: cpp is the file itself, nothing runs. */
    assert_int_equal(f->scan.preprocessed, 1);
    assert_string_equal(f->cpp.path, "x.i");
    assert_int_equal(f->cpp.pid, 0);
    assert_int_equal(f->cpp.owns_file, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->helper > 0) { /* a test failed before reaping it */
        kill(f->helper, SIGKILL);
        waitpid(f->helper, NULL, 0);
    }
    dcc_cpp_cleanup(&f->cpp, 0);
    dcc_argv_free(f->argv);
    dcc_hosts_free(&f->hosts);
    free(f->src);
    umask(f->oldmask);
    assert_int_equal(chdir(f->oldcwd), 0);
    assert_int_equal(dcc_test_rmtree(f->dir), 0);
    free(f);
    return 0;
}

/* ---- the fake helper (runs in a forked child: no cmocka asserts there) ---- */

#define HELPER_CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fake helper: line %d: check failed: %s (%s)\n", __LINE__, #cond, \
                    c.err); \
            _exit(2); \
        } \
    } while (0)

/* The client must hang up now: the next read sees the end, not a byte.
 * (HELPER_CHECK names its connection c.) */
static void helper_expect_eof(struct dcc_conn *c0)
{
    struct dcc_conn c = *c0;
    char byte;
    HELPER_CHECK(dcc_wire_read(&c, &byte, 1) == DCC_EXIT_TRUNCATED);
}

static void helper_serve(const struct fixture *f, const struct script *s, int lfd, uint32_t ver)
{
    alarm(10); /* whatever the client does, this child ends */
    int fd = accept(lfd, NULL, NULL);
    close(lfd);
    struct dcc_conn c;
    dcc_conn_init(&c, fd, fd, 5000);
    HELPER_CHECK(fd >= 0);
    if (s->act == HELPER_HANG_UP || s->act == HELPER_RESET) {
        if (s->act == HELPER_RESET) {
            /* Reset only once the request is here, unread: a reset that
             * races the client's connect() is reported as a connect
             * failure (103) by dcc_net, not as an unanswered request. */
            struct pollfd p = {.fd = fd, .events = POLLIN};
            HELPER_CHECK(poll(&p, 1, 5000) == 1);
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            HELPER_CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
        }
        close(fd);
        _exit(0);
    }
    enum dcc_compress how = ver >= 2 ? DCC_COMPRESS_LZO1X : DCC_COMPRESS_NONE;

    uint32_t got_ver = 0;
    HELPER_CHECK(dcc_wire_read_token(&c, "DIST", &got_ver) == 0);
    HELPER_CHECK(got_ver == ver);
    char **argv = NULL;
    HELPER_CHECK(dcc_wire_read_argv(&c, &argv) == 0);
    const char *const *want = s->argv_sent ? s->argv_sent : gcc_argv_sent;
    HELPER_CHECK(dcc_argv_len(argv) == dcc_argv_len((char *const *)want));
    for (size_t i = 0; argv[i]; i++)
        HELPER_CHECK(strcmp(argv[i], want[i]) == 0);
    dcc_argv_free(argv);
    if (s->act == HELPER_EXPECT_NO_SOURCE) {
        helper_expect_eof(&c);
        _exit(0);
    }

    uint32_t wire_len = 0;
    HELPER_CHECK(dcc_wire_read_token(&c, "DOTI", &wire_len) == 0);
    /* Plain sends the bytes as they are; LZO must really compress. */
    HELPER_CHECK(ver >= 2 ? wire_len < f->srclen / 2 : wire_len == f->srclen);
    char *src = NULL;
    size_t srclen = 0;
    HELPER_CHECK(dcc_bulk_recv_body_buf(&c, wire_len, how, &src, &srclen) == 0);
    HELPER_CHECK(srclen == f->srclen && memcmp(src, f->src, srclen) == 0);
    free(src);
    if (s->act == HELPER_SILENT) {
        helper_expect_eof(&c);
        _exit(0);
    }

    uint32_t done_ver = s->done_ver ? s->done_ver : ver;
    HELPER_CHECK(dcc_wire_write_token(&c, "DONE", done_ver) == 0);
    if (done_ver != ver) {
        helper_expect_eof(&c); /* the client stops listening */
        _exit(0);
    }
    HELPER_CHECK(dcc_wire_write_token(&c, "STAT", s->stat) == 0);
    const char *serr = s->serr ? s->serr : "";
    HELPER_CHECK(dcc_bulk_send_buf(&c, "SERR", serr, strlen(serr), how) == 0);
    HELPER_CHECK(dcc_bulk_send_buf(&c, "SOUT", "", 0, how) == 0);
    if (s->doto_claim) {
        HELPER_CHECK(dcc_wire_write_token(&c, "DOTO", s->doto_claim) == 0);
        HELPER_CHECK(dcc_wire_write(&c, s->doto, s->doto_len) == 0);
    } else {
        HELPER_CHECK(dcc_bulk_send_buf(&c, "DOTO", s->doto ? s->doto : "", s->doto_len, how) == 0);
    }
    close(fd);
    _exit(0);
}

/* A listening socket on 127.0.0.1 with a port the kernel picked. */
static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* The host list for "127.0.0.1:PORT" (",lzo" for protocol 2). */
static const struct dcc_host *loopback_host(struct fixture *f, int port, int lzo)
{
    char spec[64], err[256] = "";
    snprintf(spec, sizeof spec, "127.0.0.1:%d%s", port, lzo ? ",lzo" : "");
    dcc_hosts_free(&f->hosts);
    assert_int_equal(dcc_hosts_parse(spec, &f->hosts, err, sizeof err), 0);
    assert_int_equal(f->hosts.n, 1);
    assert_int_equal(f->hosts.hosts[0].protover, lzo ? 2 : 1);
    assert_int_equal(f->hosts.hosts[0].port, port);
    return &f->hosts.hosts[0];
}

/* Starts a fake helper following s and returns the host that reaches it. */
static const struct dcc_host *start_helper(struct fixture *f, const struct script *s, int lzo)
{
    int port;
    int lfd = listen_loopback(&port);
    const struct dcc_host *h = loopback_host(f, port, lzo);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        helper_serve(f, s, lfd, lzo ? 2 : 1);
    close(lfd);
    f->helper = pid;
    return h;
}

/* Reaps the helper: it ran every check of its script. */
static void finish_helper(struct fixture *f)
{
    int status = 0;
    assert_int_equal(waitpid(f->helper, &status, 0), f->helper);
    f->helper = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static const struct dcc_remote_opts quick = {.io_timeout_ms = 5000, .net = {.timeout_ms = 2000}};

static void run_job(struct fixture *f, const struct dcc_host *h, const struct dcc_remote_opts *opts,
                    struct dcc_remote_result *res)
{
    dcc_remote_compile(f->argv, &f->scan, h, &f->cpp, opts, res);
    finish_helper(f);
}

static const char no_answer[] = "no answer: the helper closed the connection without a reply "
                                "(is this machine in its --allow list? did the daemon stop?)";

/* ---- success ---- */

static void expect_object_in_place(void)
{
    size_t len;
    char *obj = read_file("x.o", &len);
    assert_int_equal(len, DOTO_LEN);
    assert_memory_equal(obj, doto_bytes, DOTO_LEN);
    free(obj);
    struct stat st;
    assert_int_equal(stat("x.o", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    char names[256];
    dir_entries(names, sizeof names);
    assert_string_equal(names, "x.i x.o");
}

static void compiles_and_writes_object(struct fixture *f, int lzo, int cork)
{
    const struct script s = {
        .act = HELPER_ANSWER, .serr = "warn\n", .doto = doto_bytes, .doto_len = DOTO_LEN};
    const struct dcc_host *h = start_helper(f, &s, lzo);
    struct dcc_remote_opts opts = quick;
    opts.tcp_cork = cork;
    struct dcc_remote_result res;
    run_job(f, h, &opts, &res);
    assert_int_equal(res.outcome, DCC_REMOTE_DONE);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.exit_code, 0);
    assert_string_equal(res.err, "");
    assert_int_equal(res.serr.len, 5);
    assert_memory_equal(res.serr.data, "warn\n", 5);
    assert_int_equal(res.sout.len, 0);
    expect_object_in_place();
    dcc_remote_result_free(&res);
}

static void test_plain_job_compiles_and_writes_object(void **state)
{
    compiles_and_writes_object(*state, 0, 0);
}

static void test_lzo_job_compiles_and_writes_object(void **state)
{
    compiles_and_writes_object(*state, 1, 1);
}

/* ---- the compiler fails on the helper ---- */

static const char compile_error[] = "x.i:3:1: error: expected ';' before '}' token\n";

static void test_compile_error_returns_status_and_no_object(void **state)
{
    struct fixture *f = *state;
    const struct script s = {.act = HELPER_ANSWER, .stat = W_EXITCODE(1, 0), .serr = compile_error};
    const struct dcc_host *h = start_helper(f, &s, 0);
    struct dcc_remote_result res;
    run_job(f, h, &quick, &res);
    assert_int_equal(res.outcome, DCC_REMOTE_DONE);
    assert_int_equal(res.status, W_EXITCODE(1, 0));
    assert_string_equal(res.serr.data, compile_error);
    assert_int_equal(res.serr.len, strlen(compile_error));
    char names[256];
    dir_entries(names, sizeof names);
    assert_string_equal(names, "x.i");
    dcc_remote_result_free(&res);
}

/* Only status 0 puts an object in place: an old x.o stays the very same
 * file, even when a failing helper sends bytes in DOTO anyway. */
static void test_compile_error_leaves_old_object_alone(void **state)
{
    struct fixture *f = *state;
    write_file("x.o", "old object\n", 11, 0644);
    struct stat before, after;
    assert_int_equal(stat("x.o", &before), 0);
    const struct script s = {.act = HELPER_ANSWER,
                             .stat = W_EXITCODE(1, 0),
                             .serr = compile_error,
                             .doto = "junk!",
                             .doto_len = 5};
    const struct dcc_host *h = start_helper(f, &s, 1);
    struct dcc_remote_result res;
    run_job(f, h, &quick, &res);
    assert_int_equal(res.outcome, DCC_REMOTE_DONE);
    assert_int_equal(res.status, W_EXITCODE(1, 0));
    assert_string_equal(res.serr.data, compile_error);
    size_t len;
    char *obj = read_file("x.o", &len);
    assert_string_equal(obj, "old object\n");
    free(obj);
    assert_int_equal(stat("x.o", &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    char names[256];
    dir_entries(names, sizeof names);
    assert_string_equal(names, "x.i x.o");
    dcc_remote_result_free(&res);
}

/* ---- the helper hangs up, or speaks another protocol ---- */

static void expect_no_answer(struct fixture *f, enum helper_act act)
{
    const struct script s = {.act = act};
    const struct dcc_host *h = start_helper(f, &s, 0);
    struct dcc_remote_result res;
    run_job(f, h, &quick, &res);
    assert_int_equal(res.outcome, DCC_REMOTE_HOST_FAILED);
    assert_int_equal(res.exit_code, DCC_EXIT_TRUNCATED);
    assert_non_null(strstr(res.err, "no answer"));
    assert_non_null(strstr(res.err, "is this machine in its --allow list"));
    assert_string_equal(res.err, no_answer);
    char names[256];
    dir_entries(names, sizeof names);
    assert_string_equal(names, "x.i");
    dcc_remote_result_free(&res);
}

static void test_helper_closing_at_once_asks_about_allow_list(void **state)
{
    expect_no_answer(*state, HELPER_HANG_UP);
}

static void test_helper_resetting_unread_request_asks_about_allow_list(void **state)
{
    expect_no_answer(*state, HELPER_RESET);
}

/* A source far larger than the socket buffers: the hang-up is met while the
 * source is still going out, and the user reads the same message. */
static void test_helper_hanging_up_during_source_asks_about_allow_list(void **state)
{
    struct fixture *f = *state;
    size_t len = 16u << 20;
    char *big = malloc(len);
    assert_non_null(big);
    for (size_t i = 0; i < len; i++)
        big[i] = (char)('a' + (i * 7919 % 26));
    write_file("x.i", big, len, 0644);
    free(big);
    expect_no_answer(f, HELPER_HANG_UP);
}

static void test_other_protocol_version_is_host_failure(void **state)
{
    struct fixture *f = *state;
    const struct script s = {.act = HELPER_ANSWER, .done_ver = 2};
    const struct dcc_host *h = start_helper(f, &s, 0);
    struct dcc_remote_result res;
    run_job(f, h, &quick, &res);
    assert_int_equal(res.outcome, DCC_REMOTE_HOST_FAILED);
    assert_int_equal(res.exit_code, DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(res.err,
                        "reading the result: the helper answered in another protocol version");
    char names[256];
    dir_entries(names, sizeof names);
    assert_string_equal(names, "x.i");
    dcc_remote_result_free(&res);
}

/* ---- the object is cut short ---- */

static void short_object_leaves_nothing(struct fixture *f, int lzo)
{
    const struct script s = {
        .act = HELPER_ANSWER, .doto = "0123456789", .doto_len = 10, .doto_claim = 1000};
    const struct dcc_host *h = start_helper(f, &s, lzo);
    struct dcc_remote_result res;
    run_job(f, h, &quick, &res);
    assert_int_equal(res.outcome, DCC_REMOTE_HOST_FAILED);
    assert_int_equal(res.exit_code, DCC_EXIT_TRUNCATED);
    assert_string_equal(
        res.err, "reading the object: peer closed the connection with 990 bytes still expected");
    char names[256];
    dir_entries(names, sizeof names);
    assert_string_equal(names, "x.i");
    dcc_remote_result_free(&res);
}

static void test_plain_object_cut_short_leaves_no_file(void **state)
{
    short_object_leaves_nothing(*state, 0);
}

static void test_lzo_object_cut_short_leaves_no_file(void **state)
{
    short_object_leaves_nothing(*state, 1);
}

/* ---- timeouts and refused connections ---- */

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_silent_helper_times_out(void **state)
{
    struct fixture *f = *state;
    const struct script s = {.act = HELPER_SILENT};
    const struct dcc_host *h = start_helper(f, &s, 0);
    struct dcc_remote_opts opts = quick;
    opts.io_timeout_ms = 500;
    struct dcc_remote_result res;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dcc_remote_compile(f->argv, &f->scan, h, &f->cpp, &opts, &res);
    long ms = elapsed_ms(&t0);
    finish_helper(f);
    assert_int_equal(res.outcome, DCC_REMOTE_HOST_FAILED);
    assert_int_equal(res.exit_code, DCC_EXIT_TIMEOUT);
    assert_string_equal(res.err, "waiting for the result: while waiting for DONE: "
                                 "timed out after 500 ms waiting to read from peer");
    assert_true(ms >= 450);
    assert_true(ms < 5000);
    dcc_remote_result_free(&res);
}

static void test_connection_refused(void **state)
{
    struct fixture *f = *state;
    int port;
    close(listen_loopback(&port)); /* free now, and nobody listens */
    const struct dcc_host *h = loopback_host(f, port, 0);
    struct dcc_remote_result res;
    dcc_remote_compile(f->argv, &f->scan, h, &f->cpp, &quick, &res);
    assert_int_equal(res.outcome, DCC_REMOTE_HOST_FAILED);
    assert_int_equal(res.exit_code, DCC_EXIT_CONNECT_FAILED);
    char want[128];
    snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%d: Connection refused", port);
    assert_string_equal(res.err, want);
    dcc_remote_result_free(&res);
}

/* ---- cpp fails here ---- */

/* The compiler is a script that fails: the arguments already went out, the
 * source never does, and cpp's own status comes back. */
static void test_failing_cpp_is_reported_and_cleaned_up(void **state)
{
    struct fixture *f = *state;
    char fakecc[128];
    snprintf(fakecc, sizeof fakecc, "%s/fakecc", f->dir);
    const char script_text[] = "#!/bin/sh\nexit 3\n";
    write_file(fakecc, script_text, sizeof script_text - 1, 0755);
    write_file("x.c", "int x;\n", 7, 0644);
    const char *const words[] = {fakecc, "-c", "x.c", "-o", "x.o", NULL};
    prepare_job(f, words);
    assert_int_equal(f->scan.preprocessed, 0);
    assert_true(f->cpp.pid > 0);
    assert_int_equal(f->cpp.owns_file, 1);
    char cpp_out[sizeof f->cpp.path];
    snprintf(cpp_out, sizeof cpp_out, "%s", f->cpp.path);
    assert_int_equal(access(cpp_out, F_OK), 0);

    const struct script s = {.act = HELPER_EXPECT_NO_SOURCE, .argv_sent = words};
    const struct dcc_host *h = start_helper(f, &s, 0);
    struct dcc_remote_result res;
    run_job(f, h, &quick, &res);
    assert_int_equal(res.outcome, DCC_REMOTE_CPP_FAILED);
    assert_int_equal(res.status, W_EXITCODE(3, 0));
    assert_int_equal(f->cpp.pid, 0);
    dcc_remote_result_free(&res);

    dcc_cpp_cleanup(&f->cpp, 0);
    assert_int_equal(access(cpp_out, F_OK), -1);
    char names[256];
    dir_entries(names, sizeof names);
    assert_string_equal(names, "fakecc x.c x.i");
}

/* ---- dcc_remote_refusal ---- */

static void test_refusal_is_found_on_any_line(void **state)
{
    (void)state;
    struct dcc_buf b = {0};
    assert_int_equal(dcc_buf_appends(&b, "distccd on h refused this job: x\n"), 0);
    assert_ptr_equal(dcc_remote_refusal(&b), b.data);
    dcc_buf_free(&b);

    const char first[] = "warning: something first\n";
    assert_int_equal(dcc_buf_appends(&b, first), 0);
    assert_int_equal(dcc_buf_appends(&b, "distccd on h refused this job: x\n"), 0);
    assert_ptr_equal(dcc_remote_refusal(&b), b.data + strlen(first));
    dcc_buf_free(&b);

    /* A line that quotes the phrase first does not hide the refusal after it. */
    const char quoted[] = "x.c:1: note: 'distccd on h refused this job: y' in a string\n";
    assert_int_equal(dcc_buf_appends(&b, quoted), 0);
    assert_int_equal(dcc_buf_appends(&b, "distccd on h refused this job: x\n"), 0);
    assert_ptr_equal(dcc_remote_refusal(&b), b.data + strlen(quoted));
    dcc_buf_free(&b);
}

static void test_compiler_errors_are_not_refusals(void **state)
{
    (void)state;
    struct dcc_buf b = {0};
    assert_null(dcc_remote_refusal(&b)); /* nothing ever arrived */
    assert_int_equal(dcc_buf_append(&b, "", 0), 0);
    assert_null(dcc_remote_refusal(&b));
    assert_int_equal(dcc_buf_appends(&b, compile_error), 0);
    assert_null(dcc_remote_refusal(&b));
    dcc_buf_free(&b);
    /* The phrase inside a diagnostic does not start the line. */
    assert_int_equal(
        dcc_buf_appends(&b, "x.c:1: error: 'distccd on h refused this job: x' undeclared\n"), 0);
    assert_null(dcc_remote_refusal(&b));
    dcc_buf_free(&b);
}

int main(void)
{
    /* As in distcc itself: a helper that hangs up is an error return, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_job_compiles_and_writes_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lzo_job_compiles_and_writes_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compile_error_returns_status_and_no_object, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compile_error_leaves_old_object_alone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_helper_closing_at_once_asks_about_allow_list, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_helper_resetting_unread_request_asks_about_allow_list,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_helper_hanging_up_during_source_asks_about_allow_list,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_protocol_version_is_host_failure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_plain_object_cut_short_leaves_no_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lzo_object_cut_short_leaves_no_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_helper_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_cpp_is_reported_and_cleaned_up, setup,
                                        teardown),
        cmocka_unit_test(test_refusal_is_found_on_any_line),
        cmocka_unit_test(test_compiler_errors_are_not_refusals),
    };
    return cmocka_run_group_tests_name("remote", tests, NULL, NULL);
}
