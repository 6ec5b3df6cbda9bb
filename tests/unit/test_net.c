/* Unit tests for dcc_net: loopback TCP connects, their errors, and ssh transports on a fake ssh. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "client/dcc_net.h"
#include "test_helpers.h"

#define WAIT_MS 2000 /* every wait in these tests is bounded by this */

/* What the client hands dcc_net_open: these tests set DISTCC_SSH the way a
 * user does, and the client reads it from its settings. */
static const struct dcc_net_opts *client_opts(void)
{
    static struct dcc_net_opts o;
    o = (struct dcc_net_opts){.timeout_ms = WAIT_MS, .ssh_command = getenv("DISTCC_SSH")};
    return &o;
}

/* A temporary directory for fake ssh scripts, one loopback listener, and the
 * environment the ssh tests change (restored in teardown). */
struct net_fx {
    char dir[64];
    int listen_fd;
    int port;
    struct dcc_transport t; /* closed in teardown if a test left it open */
    char *old_path;
    char *old_distcc_ssh;
};

/* ---- helpers ---------------------------------------------------------- */

/* Listens on 127.0.0.1 on a port the kernel picks; returns the fd. */
static int listen_loopback(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, backlog), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    assert_true(*port > 0);
    return fd;
}

/* A port nothing listens on: bound once to reserve a number, then released. */
static int closed_port(void)
{
    int port;
    close(listen_loopback(1, &port));
    return port;
}

/* Waits (bounded) until fd is readable; fails the test on timeout. */
static void wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    do
        n = poll(&p, 1, WAIT_MS);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        fail_msg("fd %d not readable within %d ms (poll returned %d)", fd, WAIT_MS, n);
}

static int accept_bounded(int listen_fd)
{
    wait_readable(listen_fd);
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static void write_all(int fd, const char *s, size_t len)
{
    assert_int_equal(write(fd, s, len), (ssize_t)len);
}

/* Reads exactly len bytes (each read bounded) into buf and NUL-terminates. */
static void read_exactly(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        wait_readable(fd);
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0)
            fail_msg("read on fd %d returned %zd after %zu of %zu bytes", fd, n, got, len);
        got += (size_t)n;
    }
    buf[len] = '\0';
}

/* The peer closed: a bounded read sees end of file. */
static void assert_eof(int fd)
{
    char c;
    wait_readable(fd);
    assert_int_equal(read(fd, &c, 1), 0);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    dcc_test_write_text(path, text, mode);
}

static void read_file(const char *path, char *buf, size_t buflen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("open %s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, buflen - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
}

/* A fake ssh named name in the fixture directory: it records its arguments
 * one per line in DIR/args, then runs tail (e.g. "exec cat", an echo server). */
static void make_fake_ssh(struct net_fx *fx, const char *name, const char *tail, char *path,
                          size_t pathlen)
{
    char script[512];
    snprintf(path, pathlen, "%s/%s", fx->dir, name);
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "for a in \"$@\"; do printf '%%s\\n' \"$a\"; done > '%s/args'\n"
             "%s\n",
             fx->dir, tail);
    write_file(path, script, 0755);
}

static void read_args(struct net_fx *fx, char *buf, size_t buflen)
{
    char path[128];
    snprintf(path, sizeof path, "%s/args", fx->dir);
    read_file(path, buf, buflen);
}

/* Bytes written to the request side come back on the reply side. */
static void assert_echoes(const struct dcc_transport *t)
{
    char got[16];
    write_all(t->out_fd, "DIST00000001", 12);
    read_exactly(t->in_fd, got, 12);
    assert_string_equal(got, "DIST00000001");
}

/* Closes the transport and proves the ssh child was reaped, not left a zombie. */
static void close_and_assert_reaped(struct dcc_transport *t)
{
    pid_t pid = t->ssh_pid;
    assert_true(pid > 0);
    dcc_net_close(t);
    assert_int_equal(t->in_fd, -1);
    assert_int_equal(t->out_fd, -1);
    assert_int_equal(t->ssh_pid, 0);
    errno = 0;
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void assert_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    assert_true(fl >= 0);
    assert_true(fl & FD_CLOEXEC);
}

static void parse_one(const char *spec, struct dcc_hostlist *list)
{
    char err[256] = "";
    if (dcc_hosts_parse(spec, list, err, sizeof err) != 0)
        fail_msg("parsing \"%s\" failed: %s", spec, err);
    assert_int_equal(list->n, 1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- fixture ------------------------------------------------------------ */

static char *dup_env(const char *name)
{
    const char *v = getenv(name);
    return v ? strdup(v) : NULL;
}

static void restore_env(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static int setup(void **state)
{
    struct net_fx *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (dcc_test_tmpdir(fx->dir, sizeof fx->dir, "/tmp/test_net_XXXXXX") != 0) {
        free(fx);
        return -1;
    }
    fx->listen_fd = listen_loopback(8, &fx->port);
    fx->t.in_fd = fx->t.out_fd = -1;
    fx->old_path = dup_env("PATH");
    fx->old_distcc_ssh = dup_env("DISTCC_SSH");
    unsetenv("DISTCC_SSH");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct net_fx *fx = *state;
    if (fx->t.in_fd >= 0 || fx->t.out_fd >= 0 || fx->t.ssh_pid > 0)
        dcc_net_close(&fx->t);
    close(fx->listen_fd);
    restore_env("PATH", fx->old_path);
    restore_env("DISTCC_SSH", fx->old_distcc_ssh);
    free(fx->old_path);
    free(fx->old_distcc_ssh);
    int rc = dcc_test_rmtree(fx->dir);
    free(fx);
    return rc;
}

/* ---- TCP ------------------------------------------------------------------ */

static void test_connect_tcp_loopback_gives_a_blocking_nodelay_fd(void **state)
{
    struct net_fx *fx = *state;
    char err[256] = "";
    int fd = -1;
    assert_int_equal(dcc_net_connect_tcp("127.0.0.1", fx->port, WAIT_MS, &fd, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_true(fd >= 0);
    int peer = accept_bounded(fx->listen_fd);

    char got[8];
    write_all(fd, "x", 1);
    read_exactly(peer, got, 1);
    assert_string_equal(got, "x");
    write_all(peer, "y", 1);
    read_exactly(fd, got, 1);
    assert_string_equal(got, "y");

    /* The rest of a job uses blocking I/O with poll-based timeouts. */
    int fl = fcntl(fd, F_GETFL);
    assert_true(fl >= 0);
    assert_int_equal(fl & O_NONBLOCK, 0);
    int nodelay = 0;
    socklen_t len = sizeof nodelay;
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
    assert_int_not_equal(nodelay, 0);
    /* A compiler the client starts must not inherit the connection. */
    assert_cloexec(fd);

    close(peer);
    close(fd);
}

static void test_connect_tcp_refused_names_host_and_port(void **state)
{
    (void)state;
    int port = closed_port();
    char err[256] = "", want[256];
    int fd = -1;
    assert_int_equal(dcc_net_connect_tcp("127.0.0.1", port, WAIT_MS, &fd, err, sizeof err),
                     DCC_EXIT_CONNECT_FAILED);
    assert_int_equal(fd, -1);
    snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%d: Connection refused", port);
    assert_string_equal(err, want);
}

static void test_connect_tcp_unresolvable_name(void **state)
{
    (void)state;
    /* .invalid never resolves (RFC 6761), so no real network is needed. The
     * resolver's wording varies (not found, or no server reachable), so the
     * expected tail is whatever it reports for the same query. */
    const char *name = "no-such-host.invalid";
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    int grc = getaddrinfo(name, "3632", &hints, &res);
    if (grc == 0) {
        freeaddrinfo(res);
        fail_msg("%s resolved on this machine; the resolver is broken", name);
    }

    char err[256] = "", want[256];
    int fd = -1;
    assert_int_equal(dcc_net_connect_tcp(name, 3632, WAIT_MS, &fd, err, sizeof err),
                     DCC_EXIT_CONNECT_FAILED);
    assert_int_equal(fd, -1);
    snprintf(want, sizeof want, "cannot resolve helper \"no-such-host.invalid\": %s",
             gai_strerror(grc));
    assert_string_equal(err, want);
    assert_null(strchr(err, '\n'));
}

static void test_connect_tcp_localhost_by_name(void **state)
{
    struct net_fx *fx = *state;
    char err[256] = "";
    int fd = -1;
    /* The listener is IPv4 only; if localhost also resolves to ::1 first,
     * that address is refused and the next one must be tried. */
    assert_int_equal(dcc_net_connect_tcp("localhost", fx->port, WAIT_MS, &fd, err, sizeof err), 0);
    assert_string_equal(err, "");
    int peer = accept_bounded(fx->listen_fd);
    char got[8];
    write_all(fd, "L", 1);
    read_exactly(peer, got, 1);
    assert_string_equal(got, "L");
    close(peer);
    close(fd);
}

static void test_connect_tcp_times_out_on_a_full_backlog(void **state)
{
    (void)state;
    /* A listener whose accept queue is full drops SYNs, so a connect to it
     * stays pending: a timeout without leaving the loopback interface. */
    int port;
    int lfd = listen_loopback(0, &port);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fillers[2];
    for (int i = 0; i < 2; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(fillers[i] >= 0);
        int rc = connect(fillers[i], (struct sockaddr *)&sa, sizeof sa);
        assert_true(rc == 0 || errno == EINPROGRESS);
    }
    /* Let the first filler finish its handshake into the queue. */
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);

    char err[256] = "", want[256];
    int fd = -1;
    double t0 = now_s();
    int rc = dcc_net_connect_tcp("127.0.0.1", port, 200, &fd, err, sizeof err);
    double took = now_s() - t0;
    for (int i = 0; i < 2; i++)
        close(fillers[i]);
    close(lfd);

    assert_int_equal(rc, DCC_EXIT_TIMEOUT);
    assert_int_equal(fd, -1);
    snprintf(want, sizeof want, "connecting to 127.0.0.1:%d timed out after 200 ms", port);
    assert_string_equal(err, want);
    assert_true(took >= 0.15 && took < 1.5);
}

static void test_open_tcp_host_from_spec_and_close(void **state)
{
    struct net_fx *fx = *state;
    char spec[64], err[256] = "";
    snprintf(spec, sizeof spec, "127.0.0.1:%d/2", fx->port);
    struct dcc_hostlist list;
    parse_one(spec, &list);
    const struct dcc_host *h = &list.hosts[0];
    assert_int_equal(h->mode, DCC_HOST_TCP);
    assert_int_equal(h->port, fx->port);
    assert_int_equal(h->n_slots, 2);

    assert_int_equal(dcc_net_open(h, client_opts(), &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);
    assert_string_equal(err, "");
    assert_true(fx->t.in_fd >= 0);
    assert_int_equal(fx->t.out_fd, fx->t.in_fd);
    assert_int_equal(fx->t.ssh_pid, 0);

    int peer = accept_bounded(fx->listen_fd);
    char got[16];
    write_all(fx->t.out_fd, "DIST00000001", 12);
    read_exactly(peer, got, 12);
    assert_string_equal(got, "DIST00000001");

    dcc_net_close(&fx->t);
    assert_int_equal(fx->t.in_fd, -1);
    assert_int_equal(fx->t.out_fd, -1);
    /* The helper sees the client hang up. */
    assert_eof(peer);
    close(peer);
}

static void test_open_tcp_refused_leaves_a_closable_transport(void **state)
{
    struct net_fx *fx = *state;
    int port = closed_port();
    char spec[64], err[256] = "", want[256];
    snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
    struct dcc_hostlist list;
    parse_one(spec, &list);

    /* A transport reused from an earlier ssh job must be reset, or closing
     * it would signal that old pid. The stale pid is a child of ours, so
     * even if it is not reset, teardown only ends our own process. */
    pid_t stale = fork();
    assert_true(stale >= 0);
    if (stale == 0) {
        pause();
        _exit(0);
    }
    fx->t.in_fd = fx->t.out_fd = 12345;
    fx->t.ssh_pid = stale;
    int rc = dcc_net_open(&list.hosts[0], client_opts(), &fx->t, err, sizeof err);
    dcc_hosts_free(&list);
    assert_int_equal(fx->t.ssh_pid, 0);
    kill(stale, SIGKILL);
    assert_int_equal(waitpid(stale, NULL, 0), stale);

    assert_int_equal(rc, DCC_EXIT_CONNECT_FAILED);
    snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%d: Connection refused", port);
    assert_string_equal(err, want);
    assert_int_equal(fx->t.in_fd, -1);
    assert_int_equal(fx->t.out_fd, -1);
    dcc_net_close(&fx->t); /* callers close on every path; this must be a no-op */
    assert_int_equal(fx->t.in_fd, -1);
    assert_int_equal(fx->t.ssh_pid, 0);
}

/* ---- ssh ------------------------------------------------------------------ */

static void test_ssh_default_command_without_user(void **state)
{
    struct net_fx *fx = *state;
    char fake[128], err[256] = "", args[512];
    make_fake_ssh(fx, "fake-ssh", "exec cat", fake, sizeof fake);
    struct dcc_hostlist list;
    parse_one("@box", &list);
    assert_int_equal(list.hosts[0].mode, DCC_HOST_SSH);
    assert_null(list.hosts[0].user);

    assert_int_equal(dcc_net_open_ssh(&list.hosts[0], fake, &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);
    assert_string_equal(err, "");
    assert_true(fx->t.ssh_pid > 0);
    assert_int_not_equal(fx->t.in_fd, fx->t.out_fd);
    assert_cloexec(fx->t.in_fd);
    assert_cloexec(fx->t.out_fd);

    assert_echoes(&fx->t);
    /* The echo came from cat, so the script has finished writing args. */
    read_args(fx, args, sizeof args);
    assert_string_equal(args, "box\n"
                              "distccd\n"
                              "--inetd\n"
                              "--enable-tcp-insecure\n");
    close_and_assert_reaped(&fx->t);
}

static void test_ssh_user_and_command_from_spec(void **state)
{
    struct net_fx *fx = *state;
    char fake[128], err[256] = "", args[512];
    make_fake_ssh(fx, "fake-ssh", "exec cat", fake, sizeof fake);
    struct dcc_hostlist list;
    parse_one("alice@box/3:/opt/bin/distccd", &list);
    assert_string_equal(list.hosts[0].user, "alice");
    assert_string_equal(list.hosts[0].ssh_command, "/opt/bin/distccd");

    assert_int_equal(dcc_net_open_ssh(&list.hosts[0], fake, &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);
    assert_echoes(&fx->t);
    read_args(fx, args, sizeof args);
    assert_string_equal(args, "-l\n"
                              "alice\n"
                              "box\n"
                              "/opt/bin/distccd\n"
                              "--inetd\n"
                              "--enable-tcp-insecure\n");
    close_and_assert_reaped(&fx->t);
}

static void test_open_splits_DISTCC_SSH_on_blanks(void **state)
{
    struct net_fx *fx = *state;
    char fake[128], env[256], err[256] = "", args[512];
    make_fake_ssh(fx, "fake-ssh", "exec cat", fake, sizeof fake);
    /* Runs of blanks and tabs separate words; none become empty arguments. */
    snprintf(env, sizeof env, " \t%s\t-o \t X  ", fake);
    setenv("DISTCC_SSH", env, 1);
    struct dcc_hostlist list;
    parse_one("alice@box:/opt/bin/distccd", &list);

    memset(&fx->t, 0x55, sizeof fx->t); /* dcc_net_open initialises it */
    assert_int_equal(dcc_net_open(&list.hosts[0], client_opts(), &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);
    assert_true(fx->t.ssh_pid > 0);
    assert_echoes(&fx->t);
    read_args(fx, args, sizeof args);
    assert_string_equal(args, "-o\n"
                              "X\n"
                              "-l\n"
                              "alice\n"
                              "box\n"
                              "/opt/bin/distccd\n"
                              "--inetd\n"
                              "--enable-tcp-insecure\n");
    close_and_assert_reaped(&fx->t);
}

static void test_open_without_DISTCC_SSH_runs_ssh_from_PATH(void **state)
{
    struct net_fx *fx = *state;
    char fake[128], path[4096], err[256] = "", args[512];
    make_fake_ssh(fx, "ssh", "exec cat", fake, sizeof fake);
    snprintf(path, sizeof path, "%s:%s", fx->dir, fx->old_path ? fx->old_path : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    struct dcc_hostlist list;
    parse_one("bob@box", &list);

    assert_int_equal(dcc_net_open(&list.hosts[0], client_opts(), &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);
    assert_echoes(&fx->t);
    read_args(fx, args, sizeof args);
    assert_string_equal(args, "-l\n"
                              "bob\n"
                              "box\n"
                              "distccd\n"
                              "--inetd\n"
                              "--enable-tcp-insecure\n");
    close_and_assert_reaped(&fx->t);
}

static void test_close_ends_ssh_by_closing_its_stdin(void **state)
{
    struct net_fx *fx = *state;
    char fake[128], tail[256], err[256] = "", ended[128], got[64];
    /* Not exec: the shell outlives cat and notes that cat saw end of file,
     * which a SIGTERM from dcc_net_close would have prevented. */
    snprintf(ended, sizeof ended, "%s/ended", fx->dir);
    snprintf(tail, sizeof tail, "cat\necho stdin-closed > '%s'", ended);
    make_fake_ssh(fx, "fake-ssh", tail, fake, sizeof fake);
    struct dcc_hostlist list;
    parse_one("@box", &list);
    assert_int_equal(dcc_net_open_ssh(&list.hosts[0], fake, &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);
    assert_echoes(&fx->t);

    close_and_assert_reaped(&fx->t);
    read_file(ended, got, sizeof got);
    assert_string_equal(got, "stdin-closed\n");
}

static void test_close_kills_an_ssh_that_lingers(void **state)
{
    struct net_fx *fx = *state;
    char fake[128], err[256] = "", args[512];
    /* Ignores its closed stdin and would run for 30 s. */
    make_fake_ssh(fx, "fake-ssh", "echo started; exec sleep 30", fake, sizeof fake);
    struct dcc_hostlist list;
    parse_one("@box", &list);
    assert_int_equal(dcc_net_open_ssh(&list.hosts[0], fake, &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);

    char got[16];
    read_exactly(fx->t.in_fd, got, 8);
    assert_string_equal(got, "started\n");
    read_args(fx, args, sizeof args);
    assert_string_equal(args, "box\ndistccd\n--inetd\n--enable-tcp-insecure\n");

    double t0 = now_s();
    close_and_assert_reaped(&fx->t);
    double took = now_s() - t0;
    assert_true(took < 5.0);
}

static void test_close_kills_an_ssh_that_ignores_sigterm(void **state)
{
    struct net_fx *fx = *state;
    char fake[128], err[256] = "";
    /* The ignored SIGTERM survives the exec: only SIGKILL ends it. */
    make_fake_ssh(fx, "fake-ssh", "trap '' TERM; echo started; exec sleep 30", fake, sizeof fake);
    struct dcc_hostlist list;
    parse_one("@box", &list);
    assert_int_equal(dcc_net_open_ssh(&list.hosts[0], fake, &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);
    char got[16];
    read_exactly(fx->t.in_fd, got, 8);
    assert_string_equal(got, "started\n");

    double t0 = now_s();
    close_and_assert_reaped(&fx->t);
    assert_true(now_s() - t0 < 10.0);
}

static void test_blank_DISTCC_SSH_means_ssh(void **state)
{
    struct net_fx *fx = *state;
    char fake[128], path[4096], err[256] = "", args[512];
    make_fake_ssh(fx, "ssh", "exec cat", fake, sizeof fake);
    snprintf(path, sizeof path, "%s:%s", fx->dir, fx->old_path ? fx->old_path : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    setenv("DISTCC_SSH", " \t ", 1);
    struct dcc_hostlist list;
    parse_one("@box", &list);
    assert_int_equal(dcc_net_open(&list.hosts[0], client_opts(), &fx->t, err, sizeof err), 0);
    dcc_hosts_free(&list);
    assert_echoes(&fx->t);
    read_args(fx, args, sizeof args);
    assert_string_equal(args, "box\ndistccd\n--inetd\n--enable-tcp-insecure\n");
    close_and_assert_reaped(&fx->t);
}

static void test_DISTCC_SSH_of_more_than_8_words_is_refused(void **state)
{
    struct net_fx *fx = *state;
    char err[256] = "";
    struct dcc_hostlist list;
    parse_one("@box", &list);
    assert_int_equal(
        dcc_net_open_ssh(&list.hosts[0], "ssh -a -b -c -d -e -f -g -h", &fx->t, err, sizeof err),
        DCC_EXIT_BAD_ARGUMENTS);
    dcc_hosts_free(&list);
    assert_string_equal(err, "DISTCC_SSH \"ssh -a -b -c -d -e -f -g -h\" has more than 8 words");
    assert_int_equal(fx->t.ssh_pid, 0);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_missing_ssh_program_gives_eof_and_a_message(void **state)
{
    struct net_fx *fx = *state;
    char missing[128], log[128], err[256] = "", got[512], want[512];
    snprintf(missing, sizeof missing, "%s/no-such-ssh", fx->dir);
    snprintf(log, sizeof log, "%s/stderr", fx->dir);
    struct dcc_hostlist list;
    parse_one("@box", &list);

    /* The child reports on the inherited stderr; catch it in a file. */
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(logfd >= 0);
    dup2(logfd, 2);
    close(logfd);
    int rc = dcc_net_open_ssh(&list.hosts[0], missing, &fx->t, err, sizeof err);
    dup2(saved, 2);
    close(saved);
    dcc_hosts_free(&list);

    /* The failure shows up as a reply that ends at once, not as a hang. */
    assert_int_equal(rc, 0);
    assert_eof(fx->t.in_fd);
    close_and_assert_reaped(&fx->t);
    read_file(log, got, sizeof got);
    snprintf(want, sizeof want, "distcc: cannot run %s: No such file or directory\n", missing);
    assert_string_equal(got, want);
}

int main(void)
{
    /* A fake ssh that died must fail a test, not kill the runner. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_tcp_loopback_gives_a_blocking_nodelay_fd,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_tcp_refused_names_host_and_port, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_connect_tcp_unresolvable_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_tcp_localhost_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_tcp_times_out_on_a_full_backlog, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_tcp_host_from_spec_and_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_tcp_refused_leaves_a_closable_transport, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ssh_default_command_without_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ssh_user_and_command_from_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_splits_DISTCC_SSH_on_blanks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_without_DISTCC_SSH_runs_ssh_from_PATH, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_close_ends_ssh_by_closing_its_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_kills_an_ssh_that_lingers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_kills_an_ssh_that_ignores_sigterm, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_blank_DISTCC_SSH_means_ssh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_DISTCC_SSH_of_more_than_8_words_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_ssh_program_gives_eof_and_a_message, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
