/* Unit tests for dcc_busy: a helper's load asked, kept for a moment, and the slots it leaves this client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/dcc_exit.h"
#include "client/dcc_busy.h"
#include "test_helpers.h"

/* Other clients' connections take the helper's jobs first; never more than
 * the host list gives it, never less than none. */
static void test_room_is_jobs_less_others(void **state)
{
    (void)state;
    struct dcc_caps_load l = {.jobs = 4, .running = 4, .waiting = 3, .others = 0};
    assert_int_equal(dcc_busy_room(&l, 4), 4);
    assert_int_equal(dcc_busy_room(&l, 2), 2);
    l.others = 3;
    assert_int_equal(dcc_busy_room(&l, 4), 1);
    l.others = 4;
    assert_int_equal(dcc_busy_room(&l, 4), 0);
    l.others = 1000000;
    assert_int_equal(dcc_busy_room(&l, 4), 0);
    l = (struct dcc_caps_load){.jobs = 1000000, .others = 0};
    assert_int_equal(dcc_busy_room(&l, 3), 3);
}

struct fixture {
    char dir[256];
    struct dcc_hostlist hosts;
    struct dcc_busy_opts o;
    pid_t server;
};

static struct fixture *fixture_for(const char *hosts)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/test_busy.XXXXXX"), 0);
    char err[300];
    assert_int_equal(dcc_hosts_parse(hosts, &f->hosts, err, sizeof err), 0);
    f->o.caps.distcc_dir = f->dir;
    f->o.caps.io_timeout_ms = 2000;
    f->o.caps.net.timeout_ms = 2000;
    f->o.ttl_ms = 60000;
    return f;
}

static void fixture_free(struct fixture *f)
{
    if (f->server > 0) {
        kill(f->server, SIGKILL);
        waitpid(f->server, NULL, 0);
    }
    dcc_hosts_free(&f->hosts);
    dcc_test_rmtree(f->dir);
    free(f);
}

/* One helper that answers `n` questions with `answer` (raw bytes) on a
 * free loopback port; the port is returned. */
static int serve_answers(struct fixture *f, const char *answer, int n)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t alen = sizeof a;
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    assert_int_equal(listen(s, 4), 0);
    f->server = fork();
    assert_true(f->server >= 0);
    if (f->server == 0) {
        alarm(20);
        for (int i = 0; i < n; i++) {
            int c = accept(s, NULL, NULL);
            if (c < 0)
                _exit(1);
            char q[4096];
            (void)!read(c, q, sizeof q);
            (void)!write(c, answer, strlen(answer));
            close(c);
        }
        _exit(0);
    }
    close(s);
    return ntohs(a.sin_port);
}

static struct fixture *fixture_with_helper(const char *answer, int n)
{
    struct fixture *f = fixture_for("127.0.0.1:1");
    int port = serve_answers(f, answer, n);
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d/4", port);
    dcc_hosts_free(&f->hosts);
    char err[300];
    assert_int_equal(dcc_hosts_parse(spec, &f->hosts, err, sizeof err), 0);
    return f;
}

#define LOAD_ANSWER "{\"caps\":1,\"load\":{\"jobs\":4,\"running\":4,\"waiting\":1,\"others\":3}}"

static char *framed(const char *body)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "CAPS%08zx%s", strlen(body), body);
    return buf;
}

/* Asked once, then read from $DISTCC_DIR/helpers until it is older than
 * the TTL: the helper here answers one question only. */
static void test_get_asks_once_and_keeps_the_answer(void **state)
{
    (void)state;
    struct fixture *f = fixture_with_helper(framed(LOAD_ANSWER), 1);
    struct dcc_caps_load l;
    char err[400] = "";
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dcc_busy_get(&f->hosts.hosts[0], &f->o, &l, err, sizeof err), 0);
        assert_int_equal(l.jobs, 4);
        assert_int_equal(l.running, 4);
        assert_int_equal(l.waiting, 1);
        assert_int_equal(l.others, 3);
        assert_int_equal(dcc_busy_room(&l, 4), 1);
    }
    fixture_free(f);
}

/* With DISTCC_HELPER_LOAD_TTL=0 every job asks. */
static void test_ttl_zero_asks_every_time(void **state)
{
    (void)state;
    struct fixture *f = fixture_with_helper(framed(LOAD_ANSWER), 1);
    f->o.ttl_ms = 0;
    struct dcc_caps_load l;
    char err[400] = "";
    assert_int_equal(dcc_busy_get(&f->hosts.hosts[0], &f->o, &l, err, sizeof err), 0);
    assert_int_equal(l.others, 3);
    /* The helper answered its one question: the next is refused. */
    waitpid(f->server, NULL, 0);
    f->server = 0;
    assert_int_equal(dcc_busy_get(&f->hosts.hosts[0], &f->o, &l, err, sizeof err), -1);
    assert_int_equal(l.jobs, 0);
    fixture_free(f);
}

static void expect_garbage(const char *raw, const char *why)
{
    struct fixture *f = fixture_with_helper(raw, 1);
    struct dcc_caps_load l = {.jobs = 7};
    char err[400] = "", want[400];
    assert_int_equal(dcc_busy_get(&f->hosts.hosts[0], &f->o, &l, err, sizeof err), -1);
    assert_int_equal(l.jobs, 0);
    assert_string_equal(err, why);
    /* Kept as unanswered: the client's next jobs do not ask again. */
    char again[400] = "";
    assert_int_equal(dcc_busy_get(&f->hosts.hosts[0], &f->o, &l, again, sizeof again), -1);
    snprintf(want, sizeof want, "%s (kept)", err);
    assert_string_equal(again, want);
    fixture_free(f);
}

/* A helper that lies or answers garbage gives no load, and says why. */
static void test_garbage_answers_give_no_load(void **state)
{
    (void)state;
    expect_garbage("CAPSffffffff",
                   "asking 127.0.0.1 how busy it is: its CAPS answer is 4294967295 bytes long");
    expect_garbage("DONE00000001",
                   "asking 127.0.0.1 how busy it is: protocol derailment: expected CAPS, got DONE");
    expect_garbage(
        "CAPS00000003{{{",
        "asking 127.0.0.1 how busy it is: its CAPS answer is not JSON: string or '}' expected near '{'");
    expect_garbage(framed("{\"caps\":1,\"jobs\":4}"),
                   "asking 127.0.0.1 how busy it is: the answer has no \"load\" object");
    expect_garbage(
        framed("{\"caps\":1,\"load\":{\"jobs\":4,\"running\":0,\"waiting\":0,\"others\":-2}}"),
        "asking 127.0.0.1 how busy it is: \"load\": \"others\" is missing or not a count");
    expect_garbage("", "127.0.0.1 closed the connection unanswered");
}

/* A kept file that is not a load (edited, truncated, from the future) is
 * not used: the helper is asked. */
static void test_bad_kept_files_are_asked_again(void **state)
{
    (void)state;
    static const char *const kept[] = {
        "not json",
        "{\"learned_ms\":1,\"load\":{\"jobs\":4,\"running\":0,\"waiting\":0,\"others\":4}}",
        "{\"learned_ms\":99999999999999,\"load\":{\"jobs\":4,\"running\":0,\"waiting\":0,"
        "\"others\":4}}",
        "{\"learned_ms\":\"now\"}",
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        struct fixture *f = fixture_with_helper(framed(LOAD_ANSWER), 1);
        char path[512], name[128];
        assert_int_equal(dcc_hosts_lock_name(&f->hosts.hosts[0], name, sizeof name), 0);
        snprintf(path, sizeof path, "%s/helpers", f->dir);
        dcc_test_make_dirs(path, 0755);
        snprintf(path, sizeof path, "%s/helpers/%s.load", f->dir, name);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(kept[i], fp);
        fclose(fp);
        struct dcc_caps_load l;
        char err[400] = "";
        assert_int_equal(dcc_busy_get(&f->hosts.hosts[0], &f->o, &l, err, sizeof err), 0);
        assert_int_equal(l.others, 3); /* the helper's answer, not the file's 4 */
        fixture_free(f);
    }
}

/* Unreachable: no load, and kept so, for the TTL. */
static void test_unreachable_helper_gives_no_load(void **state)
{
    (void)state;
    struct fixture *f = fixture_for("127.0.0.1:1/4");
    struct dcc_caps_load l;
    char err[400] = "";
    assert_int_equal(dcc_busy_get(&f->hosts.hosts[0], &f->o, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "127.0.0.1"));
    char path[512], name[128];
    assert_int_equal(dcc_hosts_lock_name(&f->hosts.hosts[0], name, sizeof name), 0);
    snprintf(path, sizeof path, "%s/helpers/%s.load", f->dir, name);
    assert_int_equal(access(path, F_OK), 0);
    fixture_free(f);
}

/* One question per helper at a time: a second turn is not had while the
 * first is held, whether not waited for or waited for too short. */
static void test_one_turn_at_a_time(void **state)
{
    (void)state;
    struct fixture *f = fixture_for("127.0.0.1:1/4");
    const struct dcc_host *h = &f->hosts.hosts[0];
    struct dcc_hostcaps_turn a, b;
    assert_int_equal(dcc_hostcaps_turn_take(h, f->dir, ".asking", 0, &a), 0);
    assert_true(a.fd >= 0);
    assert_int_equal(a.waited, 0);
    assert_int_equal(dcc_hostcaps_turn_take(h, f->dir, ".asking", 0, &b), 1);
    assert_int_equal(b.fd, -1);
    assert_int_equal(dcc_hostcaps_turn_take(h, f->dir, ".asking", 30, &b), 1);
    /* Another question (the load) has a turn of its own. */
    assert_int_equal(dcc_hostcaps_turn_take(h, f->dir, ".load.asking", 0, &b), 0);
    dcc_hostcaps_turn_end(&b, -1, NULL);
    dcc_hostcaps_turn_end(&a, 0, NULL);
    assert_int_equal(a.fd, -1);
    assert_int_equal(dcc_hostcaps_turn_take(h, f->dir, ".asking", 0, &b), 0);
    dcc_hostcaps_turn_end(&b, 0, NULL);
    fixture_free(f);
}

static void write_file(const char *dir, const struct dcc_host *h, const char *suffix,
                       const char *text)
{
    char path[512], name[128];
    assert_int_equal(dcc_hosts_lock_name(h, name, sizeof name), 0);
    snprintf(path, sizeof path, "%s/helpers", dir);
    dcc_test_make_dirs(path, 0755);
    snprintf(path, sizeof path, "%s/helpers/%s%s", dir, name, suffix);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static long long wall_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* While another job asks a helper how busy it is, this one does not ask:
 * an answer a little older than the TTL is taken, else the load is
 * unknown. The helper here answers one question only, at the end. */
static void test_load_not_asked_while_another_job_asks(void **state)
{
    (void)state;
    struct fixture *f = fixture_with_helper(framed(LOAD_ANSWER), 1);
    const struct dcc_host *h = &f->hosts.hosts[0];
    struct dcc_hostcaps_turn other;
    assert_int_equal(dcc_hostcaps_turn_take(h, f->dir, ".load.asking", 0, &other), 0);
    struct dcc_caps_load l = {.jobs = 9};
    char err[400] = "", kept[300];
    assert_int_equal(dcc_busy_get(h, &f->o, &l, err, sizeof err), -1);
    assert_string_equal(err, "another job is asking 127.0.0.1 how busy it is");
    assert_int_equal(l.jobs, 0);
    snprintf(kept, sizeof kept,
             "{\"learned_ms\":%lld,\"load\":{\"jobs\":4,\"running\":1,\"waiting\":0,"
             "\"others\":2}}",
             wall_now_ms() - 2 * f->o.ttl_ms);
    write_file(f->dir, h, ".load", kept);
    assert_int_equal(dcc_busy_get(h, &f->o, &l, err, sizeof err), 0);
    assert_int_equal(l.others, 2);
    dcc_hostcaps_turn_end(&other, -1, NULL);
    /* The turn free, the old answer is too old: the helper is asked. */
    assert_int_equal(dcc_busy_get(h, &f->o, &l, err, sizeof err), 0);
    assert_int_equal(l.others, 3);
    fixture_free(f);
}

/* Another process holds host's CAPS turn, then ends it with rc/why, or
 * (rc 0) after keeping a stock answer; it is ready when *ready is read. */
static pid_t other_asker(struct fixture *f, const struct dcc_host *h, int rc, const char *why)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);
        struct dcc_hostcaps_turn t;
        if (dcc_hostcaps_turn_take(h, f->dir, ".asking", 0, &t) != 0 || t.fd < 0)
            _exit(1);
        (void)!write(p[1], "x", 1);
        struct timespec ts = {.tv_nsec = 300 * 1000000L};
        nanosleep(&ts, NULL);
        if (rc == 0) {
            char kept[100];
            snprintf(kept, sizeof kept, "{\"learned\":%lld,\"ours\":false}", (long long)time(NULL));
            write_file(f->dir, h, ".json", kept);
        }
        dcc_hostcaps_turn_end(&t, rc, why);
        _exit(0);
    }
    close(p[1]);
    char c;
    assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    return pid;
}

static void reap(pid_t pid)
{
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A job that finds another asking the helper what it is waits and takes
 * its answer: the helper (port 1, nobody there) is not asked. */
static void test_caps_waits_for_the_other_askers_answer(void **state)
{
    (void)state;
    struct fixture *f = fixture_for("127.0.0.1:1/4");
    f->o.caps.ttl_s = 600;
    const struct dcc_host *h = &f->hosts.hosts[0];
    pid_t pid = other_asker(f, h, 0, NULL);
    struct dcc_hostcaps c;
    char err[400] = "";
    assert_int_equal(dcc_hostcaps_get(h, &f->o.caps, &c, err, sizeof err), 0);
    assert_int_equal(c.ours, 0);
    assert_int_equal(c.from_cache, 1);
    dcc_hostcaps_free(&c);
    reap(pid);
    fixture_free(f);
}

/* ... or its failure, said as its own; the next job, finding the turn
 * free, asks the helper itself. */
static void test_caps_takes_the_other_askers_failure(void **state)
{
    (void)state;
    struct fixture *f = fixture_with_helper(
        framed("{\"caps\":1,\"server\":\"distccd 0.1.0\",\"protocols\":[1,2,3],\"jobs\":4}"), 1);
    f->o.caps.ttl_s = 600;
    const struct dcc_host *h = &f->hosts.hosts[0];
    pid_t pid = other_asker(f, h, 103, "cannot connect to 127.0.0.1: Connection refused");
    struct dcc_hostcaps c;
    char err[400] = "";
    assert_int_equal(dcc_hostcaps_get(h, &f->o.caps, &c, err, sizeof err), 103);
    assert_string_equal(
        err, "cannot connect to 127.0.0.1: Connection refused (another job's question, just now)");
    reap(pid);
    assert_int_equal(dcc_hostcaps_get(h, &f->o.caps, &c, err, sizeof err), 0);
    assert_int_equal(c.ours, 1);
    assert_int_equal(c.from_cache, 0);
    dcc_hostcaps_free(&c);
    fixture_free(f);
}

/* A failure left long ago (its asker gone since) is not taken for the
 * answer of the job this one waited for: the helper is asked. */
static void test_caps_old_failure_is_not_taken(void **state)
{
    (void)state;
    struct fixture *f = fixture_with_helper(
        framed("{\"caps\":1,\"server\":\"distccd 0.1.0\",\"protocols\":[1,2,3],\"jobs\":4}"), 1);
    f->o.caps.ttl_s = 600;
    const struct dcc_host *h = &f->hosts.hosts[0];
    write_file(f->dir, h, ".asking", "103 an hour ago");
    char path[512], name[128];
    assert_int_equal(dcc_hosts_lock_name(h, name, sizeof name), 0);
    snprintf(path, sizeof path, "%s/helpers/%s.asking", f->dir, name);
    struct timespec old[2] = {{.tv_sec = time(NULL) - 3600}, {.tv_sec = time(NULL) - 3600}};
    assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
    pid_t pid = other_asker(f, h, -1, NULL);
    struct dcc_hostcaps c;
    char err[400] = "";
    assert_int_equal(dcc_hostcaps_get(h, &f->o.caps, &c, err, sizeof err), 0);
    assert_int_equal(c.ours, 1);
    dcc_hostcaps_free(&c);
    reap(pid);
    fixture_free(f);
}

/* Picking among helpers does not wait for another job's question. */
static void test_caps_no_wait_while_another_asks(void **state)
{
    (void)state;
    struct fixture *f = fixture_for("127.0.0.1:1/4");
    f->o.caps.ttl_s = 600;
    f->o.caps.no_wait = 1;
    const struct dcc_host *h = &f->hosts.hosts[0];
    struct dcc_hostcaps_turn other;
    assert_int_equal(dcc_hostcaps_turn_take(h, f->dir, ".asking", 0, &other), 0);
    struct dcc_hostcaps c;
    char err[400] = "";
    assert_int_equal(dcc_hostcaps_get(h, &f->o.caps, &c, err, sizeof err), DCC_EXIT_BUSY);
    assert_string_equal(err, "another job is asking 127.0.0.1 what it can do");
    dcc_hostcaps_turn_end(&other, -1, NULL);
    fixture_free(f);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room_is_jobs_less_others),
        cmocka_unit_test(test_get_asks_once_and_keeps_the_answer),
        cmocka_unit_test(test_ttl_zero_asks_every_time),
        cmocka_unit_test(test_garbage_answers_give_no_load),
        cmocka_unit_test(test_bad_kept_files_are_asked_again),
        cmocka_unit_test(test_unreachable_helper_gives_no_load),
        cmocka_unit_test(test_one_turn_at_a_time),
        cmocka_unit_test(test_load_not_asked_while_another_job_asks),
        cmocka_unit_test(test_caps_waits_for_the_other_askers_answer),
        cmocka_unit_test(test_caps_takes_the_other_askers_failure),
        cmocka_unit_test(test_caps_old_failure_is_not_taken),
        cmocka_unit_test(test_caps_no_wait_while_another_asks),
    };
    return cmocka_run_group_tests_name("busy", tests, NULL, NULL);
}
