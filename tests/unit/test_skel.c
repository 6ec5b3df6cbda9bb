/* Unit tests for dcc_skel: pump's per-build skeleton pack: hits, misses when a file changed, damaged packs ignored, writers that race. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/dcc_skel.h"

struct fixture {
    char dir[64];
    char file[PATH_MAX];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/dcc-skel-XXXXXX") != 0)
        return -1;
    snprintf(f->file, sizeof f->file, "%s/x.h", f->dir);
    dcc_test_write_file(f->file, "#define X 1\n", 12, 0644);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    dcc_test_rmtree(f->dir);
    free(f);
    return 0;
}

static int64_t now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec;
}

/* Adds path's entry (payload text, content digest as given) and saves. */
static void keep(const char *dir, const char *path, int64_t read_at, uint64_t digest,
                 const char *payload)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    struct dcc_skel_pack *p = dcc_skel_open(dir, 5);
    assert_non_null(p);
    assert_int_equal(dcc_skel_add(p, path, &st, read_at, digest, payload, strlen(payload)), 0);
    assert_int_equal(dcc_skel_save(p), 0);
    dcc_skel_close(p);
}

/* What a fresh reader finds for path: the payload, or NULL. */
static char *lookup(const char *dir, const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    struct dcc_skel_pack *p = dcc_skel_open(dir, 5);
    assert_non_null(p);
    const unsigned char *k;
    size_t n;
    char *got = NULL;
    int r = dcc_skel_find(p, path, &st, &k, &n);
    assert_true(r == 0 || r == 1);
    if (r == 1) {
        got = strndup((const char *)k, n);
        assert_non_null(got);
    }
    unsigned long hits, misses;
    dcc_skel_counts(p, &hits, &misses);
    assert_int_equal(hits, r == 1);
    assert_int_equal(misses, r == 0);
    dcc_skel_close(p);
    return got;
}

static uint64_t digest_of(const char *path)
{
    size_t len;
    char *text = dcc_test_read_file(path, &len);
    uint64_t d = dcc_skel_digest(text, len);
    free(text);
    return d;
}

static void test_a_kept_skeleton_is_found_by_the_next_reader(void **state)
{
    struct fixture *f = *state;
    char *got = lookup(f->dir, f->file);
    assert_null(got); /* no pack yet */
    keep(f->dir, f->file, now_s(), digest_of(f->file), "skeleton of x.h");
    got = lookup(f->dir, f->file);
    assert_non_null(got);
    assert_string_equal(got, "skeleton of x.h");
    free(got);
    /* another lexing mode has its own pack */
    struct stat st;
    assert_int_equal(stat(f->file, &st), 0);
    struct dcc_skel_pack *p = dcc_skel_open(f->dir, 4);
    const unsigned char *k;
    size_t n;
    assert_int_equal(dcc_skel_find(p, f->file, &st, &k, &n), 0);
    dcc_skel_close(p);
    /* a newer entry for the same path replaces the old one */
    keep(f->dir, f->file, now_s(), digest_of(f->file), "second");
    got = lookup(f->dir, f->file);
    assert_string_equal(got, "second");
    free(got);
}

static void test_a_file_rewritten_with_the_same_size_and_mtime_is_not_found(void **state)
{
    struct fixture *f = *state;
    /* kept long after the file's last change: its status is trusted */
    keep(f->dir, f->file, now_s() + 3600, 0, "old skeleton");
    char *got = lookup(f->dir, f->file);
    assert_string_equal(got, "old skeleton");
    free(got);
    struct stat before;
    assert_int_equal(stat(f->file, &before), 0);
    dcc_test_write_file(f->file, "#define Y 2\n", 12, 0644);
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, f->file, times, 0), 0);
    struct stat after;
    assert_int_equal(stat(f->file, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    /* only its ctime (which no one can set back) shows the change */
    got = lookup(f->dir, f->file);
    assert_null(got);
}

static void test_a_racy_entry_is_used_only_while_the_content_matches(void **state)
{
    struct fixture *f = *state;
    /* read in the second its status changed: the content decides */
    keep(f->dir, f->file, now_s(), digest_of(f->file), "racy");
    char *got = lookup(f->dir, f->file);
    assert_string_equal(got, "racy");
    free(got);
    keep(f->dir, f->file, now_s(), digest_of(f->file) ^ 1, "racy, other content");
    got = lookup(f->dir, f->file);
    assert_null(got);
}

static void test_a_damaged_pack_is_never_trusted(void **state)
{
    struct fixture *f = *state;
    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s/y.h", f->dir);
    dcc_test_write_file(other, "#include <x.h>\n", 15, 0644);
    keep(f->dir, other, now_s() + 3600, 0, "skeleton of y.h");
    keep(f->dir, f->file, now_s() + 3600, 0, "skeleton of x.h");
    char pack[PATH_MAX];
    snprintf(pack, sizeof pack, "%s/skeletons-5", f->dir);
    size_t len;
    char *good = dcc_test_read_file(pack, &len);
    assert_true(len > 100);
    /* every truncation: nothing is found */
    for (size_t cut = 0; cut < len; cut++) {
        dcc_test_write_file(pack, good, cut, 0600);
        char *got = lookup(f->dir, f->file);
        assert_null(got);
    }
    /* every byte changed: what is found is what was kept, or nothing */
    char *bad = malloc(len);
    assert_non_null(bad);
    size_t found = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, good, len);
        bad[i] ^= 0x5a;
        dcc_test_write_file(pack, bad, len, 0600);
        char *got = lookup(f->dir, f->file);
        if (got) {
            assert_string_equal(got, "skeleton of x.h");
            found++;
        }
        free(got);
    }
    /* a flipped byte of the other entry (or of padding-free fields that are
     * not read) leaves this one usable; the header, index and this entry's
     * bytes do not */
    assert_true(found > 0 && found < len);
    free(bad);
    /* the intact pack again, and a writer that starts from a damaged one
     * keeps only what it can verify */
    dcc_test_write_file(pack, good, len, 0600);
    char *got = lookup(f->dir, f->file);
    assert_string_equal(got, "skeleton of x.h");
    free(got);
    free(good);
}

/* Several clients of one build save at once: the pack stays whole, every
 * entry found is one that was kept, no temporary file is left. */
static void test_writers_that_race_leave_a_whole_pack(void **state)
{
    struct fixture *f = *state;
    enum { WRITERS = 4, FILES = 8, ROUNDS = 20 };
    char files[FILES][PATH_MAX];
    for (int i = 0; i < FILES; i++) {
        snprintf(files[i], sizeof files[i], "%s/h%d.h", f->dir, i);
        dcc_test_write_file(files[i], "#pragma once\n", 13, 0644);
    }
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            int bad = 0;
            for (int r = 0; r < ROUNDS; r++) {
                struct dcc_skel_pack *p = dcc_skel_open(f->dir, 5);
                if (!p)
                    _exit(2);
                for (int i = 0; i < FILES; i++) {
                    struct stat st;
                    const unsigned char *k;
                    size_t n;
                    if (stat(files[i], &st) != 0)
                        _exit(2);
                    if (dcc_skel_find(p, files[i], &st, &k, &n) == 1) {
                        char want[32];
                        snprintf(want, sizeof want, "file %d", i);
                        bad |= n != strlen(want) || memcmp(k, want, n) != 0;
                    } else if ((i + w) % 2 == 0) {
                        char text[32];
                        snprintf(text, sizeof text, "file %d", i);
                        if (dcc_skel_add(p, files[i], &st, now_s() + 3600, 0, text, strlen(text)) !=
                            0)
                            _exit(2);
                    }
                }
                if (dcc_skel_save(p) != 0)
                    bad = 1;
                dcc_skel_close(p);
            }
            _exit(bad);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    int found = 0;
    for (int i = 0; i < FILES; i++) {
        char *got = lookup(f->dir, files[i]);
        if (got) {
            char want[32];
            snprintf(want, sizeof want, "file %d", i);
            assert_string_equal(got, want);
            found++;
        }
        free(got);
    }
    assert_true(found > 0);
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        assert_true(strncmp(e->d_name, ".skeletons-", 11) != 0);
    closedir(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_kept_skeleton_is_found_by_the_next_reader, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_file_rewritten_with_the_same_size_and_mtime_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_racy_entry_is_used_only_while_the_content_matches,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_pack_is_never_trusted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writers_that_race_leave_a_whole_pack, setup, teardown),
    };
    return cmocka_run_group_tests_name("skel", tests, NULL, NULL);
}
