/* Unit tests for dcc_hcache (and dcc_hcwire's digest): entries under the
 * digest of their bytes, verification, the bound and LRU eviction, many
 * writers at once, damaged entries and strays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/dcc_hcache.h"
#include "proto/dcc_hcwire.h"
#include "test_helpers.h"

struct fixture {
    char dir[256];
    char cache[300];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/test_hcache.XXXXXX") != 0)
        return -1;
    snprintf(f->cache, sizeof f->cache, "%s/cache", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    int rc = dcc_test_rmtree(f->dir);
    free(f);
    return rc;
}

static void entry_file(const struct fixture *f, const unsigned char d[DCC_HC_DIGEST_LEN], char *out,
                       size_t len)
{
    char hex[DCC_HC_HEX_LEN + 1];
    dcc_hcwire_hex(d, hex);
    snprintf(out, len, "%s/o/%.2s/%s", f->cache, hex, hex);
}

/* An entry's mtime is its last use: set it to secs ago. */
static void set_age(const struct fixture *f, const unsigned char d[DCC_HC_DIGEST_LEN], long secs)
{
    char path[512];
    entry_file(f, d, path, sizeof path);
    struct timespec t[2] = {{time(NULL) - secs, 0}, {time(NULL) - secs, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static void test_digest_is_blake2b_256(void **state)
{
    (void)state;
    unsigned char d[DCC_HC_DIGEST_LEN];
    char hex[DCC_HC_HEX_LEN + 1];
    dcc_hcwire_digest("abc", 3, d);
    dcc_hcwire_hex(d, hex);
    assert_string_equal(hex, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
    dcc_hcwire_digest("", 0, d);
    dcc_hcwire_hex(d, hex);
    assert_string_equal(hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

/* What was put comes back, under the digest computed here, across a
 * reopen (a daemon restart); the directory is private. */
static void test_put_then_get(void **state)
{
    struct fixture *f = *state;
    struct dcc_hcache hc;
    char err[512];
    assert_int_equal(dcc_hcache_open(&hc, f->cache, 1 << 20, 1, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(f->cache, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    const char text[] = "#define X 1\n";
    unsigned char d[DCC_HC_DIGEST_LEN], want[DCC_HC_DIGEST_LEN];
    dcc_hcwire_digest(text, sizeof text - 1, want);
    assert_int_equal(dcc_hcache_put(&hc, text, sizeof text - 1, d, err, sizeof err), 1);
    assert_memory_equal(d, want, sizeof d);
    assert_int_equal(dcc_hcache_put(&hc, text, sizeof text - 1, d, err, sizeof err), 0);
    assert_int_equal(dcc_hcache_charged(&hc), dcc_hcache_charge(sizeof text - 1));
    char path[512];
    entry_file(f, d, path, sizeof path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0400);
    dcc_hcache_close(&hc);

    assert_int_equal(dcc_hcache_open(&hc, f->cache, 1 << 20, 0, err, sizeof err), 0);
    char *data;
    size_t len;
    assert_int_equal(dcc_hcache_get(&hc, d, 1 << 20, &data, &len, err, sizeof err), 1);
    assert_int_equal(len, sizeof text - 1);
    assert_memory_equal(data, text, len);
    free(data);
    /* Larger than the caller takes: a miss, not an error. */
    assert_int_equal(dcc_hcache_get(&hc, d, 4, &data, &len, err, sizeof err), 0);
    /* Bytes never put are not there. */
    unsigned char other[DCC_HC_DIGEST_LEN];
    dcc_hcwire_digest("#define X 2\n", 12, other);
    assert_int_equal(dcc_hcache_get(&hc, other, 1 << 20, &data, &len, err, sizeof err), 0);
    assert_null(data);
    dcc_hcache_close(&hc);
}

/* An entry whose bytes no longer have its digest is never handed out, and
 * goes (with its charge). */
static void test_damaged_entry_is_ignored_and_removed(void **state)
{
    struct fixture *f = *state;
    struct dcc_hcache hc;
    char err[512];
    assert_int_equal(dcc_hcache_open(&hc, f->cache, 1 << 20, 1, err, sizeof err), 0);
    unsigned char d[DCC_HC_DIGEST_LEN];
    assert_int_equal(dcc_hcache_put(&hc, "int good;\n", 10, d, err, sizeof err), 1);
    char path[512];
    entry_file(f, d, path, sizeof path);
    assert_int_equal(chmod(path, 0600), 0);
    dcc_test_write_text(path, "int evil;\n", 0600);
    char *data;
    size_t len;
    assert_int_equal(dcc_hcache_get(&hc, d, 1 << 20, &data, &len, err, sizeof err), 0);
    assert_null(data);
    assert_false(dcc_test_exists(path));
    assert_int_equal(dcc_hcache_charged(&hc), 0);
    /* A truncated entry too. */
    assert_int_equal(dcc_hcache_put(&hc, "int good;\n", 10, d, err, sizeof err), 1);
    assert_int_equal(truncate(path, 3), 0);
    assert_int_equal(dcc_hcache_get(&hc, d, 1 << 20, &data, &len, err, sizeof err), 0);
    assert_false(dcc_test_exists(path));
    dcc_hcache_close(&hc);
}

/* The ledger never passes the bound; the least recently used go first, and
 * a get counts as a use. */
static void test_eviction_keeps_the_bound_lru(void **state)
{
    struct fixture *f = *state;
    struct dcc_hcache hc;
    char err[512];
    uint64_t limit = 10 * dcc_hcache_charge(100);
    assert_int_equal(dcc_hcache_open(&hc, f->cache, limit, 1, err, sizeof err), 0);
    unsigned char d[30][DCC_HC_DIGEST_LEN];
    char text[100];
    for (int i = 0; i < 8; i++) {
        memset(text, 'a' + i, sizeof text);
        assert_int_equal(dcc_hcache_put(&hc, text, sizeof text, d[i], err, sizeof err), 1);
        set_age(f, d[i], 10000 - i); /* 0 is the oldest */
    }
    char *data;
    size_t len;
    /* Entry 0 is used now: it becomes the newest. */
    assert_int_equal(dcc_hcache_get(&hc, d[0], 1 << 20, &data, &len, err, sizeof err), 1);
    free(data);
    for (int i = 8; i < 12; i++) {
        memset(text, 'a' + i, sizeof text);
        assert_int_equal(dcc_hcache_put(&hc, text, sizeof text, d[i], err, sizeof err), 1);
        assert_true(dcc_hcache_charged(&hc) <= limit);
    }
    char path[512];
    entry_file(f, d[0], path, sizeof path);
    assert_true(dcc_test_exists(path));
    entry_file(f, d[1], path, sizeof path);
    assert_false(dcc_test_exists(path));
    entry_file(f, d[11], path, sizeof path);
    assert_true(dcc_test_exists(path));
    /* Down to the low-water mark, so eviction is rare. */
    struct dcc_hcache_scan st;
    assert_int_equal(dcc_hcache_scan(&hc, &st, err, sizeof err), 0);
    assert_true(st.bytes <= limit / 8 * DCC_HCACHE_LOW_WATER_EIGHTHS + dcc_hcache_charge(100));
    assert_int_equal(st.bytes, dcc_hcache_charged(&hc));
    /* A file larger than an eighth of the bound is not kept. */
    char *big = calloc(1, limit / 8 + 1);
    assert_non_null(big);
    assert_int_equal(dcc_hcache_put(&hc, big, limit / 8 + 1, d[20], err, sizeof err), 0);
    entry_file(f, d[20], path, sizeof path);
    assert_false(dcc_test_exists(path));
    free(big);
    dcc_hcache_close(&hc);
}

/* Temporaries of processes that are gone, and files that are no entry, go
 * at a scan; the ledger is what is on disk. */
static void test_scan_removes_strays(void **state)
{
    struct fixture *f = *state;
    struct dcc_hcache hc;
    char err[512], path[512];
    assert_int_equal(dcc_hcache_open(&hc, f->cache, 1 << 20, 1, err, sizeof err), 0);
    unsigned char d[DCC_HC_DIGEST_LEN];
    assert_int_equal(dcc_hcache_put(&hc, "x", 1, d, err, sizeof err), 1);
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    snprintf(path, sizeof path, "%s/tmp/5120.%ld.0", f->cache, (long)gone);
    dcc_test_write_text(path, "half", 0600);
    snprintf(path, sizeof path, "%s/o/00/not-an-entry", f->cache);
    dcc_test_make_dirs(f->cache, 0700);
    snprintf(path, sizeof path, "%s/o/00", f->cache);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/o/00/not-an-entry", f->cache);
    dcc_test_write_text(path, "junk", 0600);
    struct dcc_hcache_scan st;
    assert_int_equal(dcc_hcache_scan(&hc, &st, err, sizeof err), 0);
    assert_int_equal(st.removed, 2);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.bytes, dcc_hcache_charge(1));
    assert_false(dcc_test_exists(path));
    dcc_hcache_close(&hc);
}

/* Job processes put at once, the same and different files, past the
 * bound: every entry left verifies and the ledger matches the disk. */
static void test_concurrent_writers(void **state)
{
    struct fixture *f = *state;
    struct dcc_hcache hc;
    char err[512];
    uint64_t limit = 40 * dcc_hcache_charge(5000);
    assert_int_equal(dcc_hcache_open(&hc, f->cache, limit, 1, err, sizeof err), 0);
    pid_t kids[4];
    for (int k = 0; k < 4; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            char buf[5000], e[512];
            unsigned char d[DCC_HC_DIGEST_LEN];
            int bad = 0;
            for (int i = 0; i < 60; i++) {
                /* Half the files are shared by every writer. */
                int which = i % 2 ? i : 1000 * k + i;
                memset(buf, 0, sizeof buf);
                snprintf(buf, sizeof buf, "file %d\n", which);
                if (dcc_hcache_put(&hc, buf, sizeof buf, d, e, sizeof e) < 0)
                    bad = 1;
                if (dcc_hcache_charged(&hc) > limit)
                    bad = 1;
            }
            _exit(bad);
        }
    }
    for (int k = 0; k < 4; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    uint64_t charged = dcc_hcache_charged(&hc);
    struct dcc_hcache_scan st;
    assert_int_equal(dcc_hcache_scan(&hc, &st, err, sizeof err), 0);
    assert_int_equal(st.removed, 0);
    assert_int_equal(st.evicted, 0);
    assert_int_equal(st.bytes, charged);
    assert_int_equal(st.bytes, st.entries * dcc_hcache_charge(5000));
    assert_true(st.bytes <= limit);
    assert_true(st.entries > 0);
    /* Each entry left is whole. */
    int found = 0;
    char buf[5000];
    for (int which = 1; which < 4000; which++) {
        memset(buf, 0, sizeof buf);
        snprintf(buf, sizeof buf, "file %d\n", which);
        unsigned char d[DCC_HC_DIGEST_LEN];
        dcc_hcwire_digest(buf, sizeof buf, d);
        char *data;
        size_t len;
        if (dcc_hcache_get(&hc, d, 1 << 20, &data, &len, err, sizeof err) == 1) {
            assert_memory_equal(data, buf, sizeof buf);
            free(data);
            found++;
        }
    }
    assert_int_equal(found, (int)st.entries);
    dcc_hcache_close(&hc);
}

/* A directory of another user is refused; a loose one is made 0700. */
static void test_open_checks_owner_and_mode(void **state)
{
    struct fixture *f = *state;
    struct dcc_hcache hc;
    char err[512];
    assert_int_equal(mkdir(f->cache, 0755), 0);
    assert_int_equal(dcc_hcache_open(&hc, f->cache, 1 << 20, 0, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(f->cache, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    dcc_hcache_close(&hc);
    if (geteuid() == 0) {
        assert_int_equal(chown(f->cache, 65534, 65534), 0);
        assert_int_equal(dcc_hcache_open(&hc, f->cache, 1 << 20, 0, err, sizeof err), -1);
        assert_non_null(strstr(err, "belongs to uid 65534"));
    }
    char missing[400];
    snprintf(missing, sizeof missing, "%s/none", f->dir);
    assert_int_equal(dcc_hcache_open(&hc, missing, 1 << 20, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open the header cache directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_is_blake2b_256),
        cmocka_unit_test_setup_teardown(test_put_then_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_entry_is_ignored_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction_keeps_the_bound_lru, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_removes_strays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_checks_owner_and_mode, setup, teardown),
    };
    return cmocka_run_group_tests_name("hcache", tests, NULL, NULL);
}
