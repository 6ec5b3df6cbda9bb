/* Unit tests for dcc_output: which name a received file is written under,
 * where its temporary goes, and that special files are written in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/dcc_cleanup.h"
#include "base/dcc_exit.h"
#include "client/dcc_output.h"
#include "test_helpers.h"

struct fixture {
    char dir[64];
    char oldcwd[PATH_MAX];
    mode_t oldmask;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(dcc_test_tmpdir(f->dir, sizeof f->dir, "/tmp/dcc-test-output.XXXXXX"), 0);
    assert_non_null(getcwd(f->oldcwd, sizeof f->oldcwd));
    assert_int_equal(chdir(f->dir), 0);
    f->oldmask = umask(022);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    umask(f->oldmask);
    assert_int_equal(chdir(f->oldcwd), 0);
    dcc_test_rmtree(f->dir);
    free(f);
    return 0;
}

static void write_text(const char *path, const char *text)
{
    dcc_test_write_text(path, text, 0666);
}

/* The file's contents (up to 255 bytes), "" when it is empty. */
static const char *read_text(const char *path)
{
    static char buf[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    close(fd);
    return buf;
}

static void write_all(int fd, const char *text)
{
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* Entries of dir, sorted by name, joined by spaces: a temporary left behind
 * shows up here. */
static const char *entries(const char *dir)
{
    static char out[1024];
    dcc_test_dir_entries(dir, out, sizeof out);
    return out;
}

static void test_follow_links(void **state)
{
    (void)state;
    char out[PATH_MAX], err[256] = "";
    assert_int_equal(mkdir("sub", 0755), 0);
    assert_int_equal(mkdir("out", 0755), 0);
    /* Relative targets are taken from each link's own directory. */
    assert_int_equal(symlink("sub/mid.o", "link.o"), 0);
    assert_int_equal(symlink("../out/final.o", "sub/mid.o"), 0);
    assert_int_equal(dcc_output_follow_links("link.o", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "sub/../out/final.o");
    /* Not a link, or not there: the name itself. */
    assert_int_equal(dcc_output_follow_links("plain.o", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "plain.o");
    /* An absolute target replaces the whole name. */
    assert_int_equal(symlink("/nonexistent/abs.o", "sub/abs.o"), 0);
    assert_int_equal(dcc_output_follow_links("sub/abs.o", out, sizeof out, err, sizeof err), 0);
    assert_string_equal(out, "/nonexistent/abs.o");
    /* A loop is an error that names the file, as the kernel would. */
    assert_int_equal(symlink("loop2.o", "loop1.o"), 0);
    assert_int_equal(symlink("loop1.o", "loop2.o"), 0);
    assert_int_equal(dcc_output_follow_links("loop1.o", out, sizeof out, err, sizeof err),
                     DCC_EXIT_IO_ERROR);
    assert_string_equal(err, "cannot write loop1.o: Too many levels of symbolic links");
}

static void test_new_file_goes_through_a_temporary(void **state)
{
    (void)state;
    char err[256] = "";
    struct dcc_output o;
    assert_int_equal(mkdir("obj", 0755), 0);
    assert_int_equal(dcc_output_open(&o, "obj/x.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_string_equal(o.path, "obj/x.o");
    assert_int_equal(strncmp(o.tmp, "obj/.x.o.distcc-", 16), 0);
    assert_int_equal(strlen(o.tmp), strlen("obj/.x.o.distcc-XXXXXX"));
    write_all(o.fd, "new object");
    /* Nothing under the real name until the commit. */
    assert_int_equal(access("obj/x.o", F_OK), -1);
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    assert_int_equal(o.fd, -1);
    assert_string_equal(read_text("obj/x.o"), "new object");
    struct stat st;
    assert_int_equal(stat("obj/x.o", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_string_equal(entries("obj"), "x.o");
}

static void test_discard_keeps_the_old_file(void **state)
{
    (void)state;
    char err[256] = "";
    struct dcc_output o;
    write_text("x.o", "old object");
    assert_int_equal(dcc_output_open(&o, "x.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_int_equal(strncmp(o.tmp, ".x.o.distcc-", 12), 0);
    write_all(o.fd, "half");
    dcc_output_discard(&o);
    assert_string_equal(read_text("x.o"), "old object");
    assert_string_equal(entries("."), "x.o");
}

/* A signal handler (dcc_cleanup_run) removes a temporary in flight, and
 * only that: once renamed or discarded it is forgotten. */
static void test_temporaries_are_registered_for_signals(void **state)
{
    (void)state;
    char err[256] = "";
    struct dcc_output o;
    dcc_cleanup_reset();
    assert_int_equal(dcc_output_open(&o, "x.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_int_equal(dcc_cleanup_run(0), 1);
    assert_string_equal(entries("."), "");
    dcc_output_discard(&o);

    char renamed[PATH_MAX], discarded[PATH_MAX];
    assert_int_equal(dcc_output_open(&o, "x.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    snprintf(renamed, sizeof renamed, "%s", o.tmp);
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    assert_int_equal(dcc_output_open(&o, "y.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    snprintf(discarded, sizeof discarded, "%s", o.tmp);
    dcc_output_discard(&o);
    /* Files that happen to get those names later are not ours to remove. */
    write_text(renamed, "someone else's");
    write_text(discarded, "someone else's");
    assert_int_equal(dcc_cleanup_run(0), 0);
    assert_int_equal(access(renamed, F_OK), 0);
    assert_int_equal(access(discarded, F_OK), 0);
    dcc_cleanup_reset();
}

/* as replaces a link to an object with data; it follows one to an empty
 * file (or to nothing), and the temporary goes beside the final target. */
static void test_object_links(void **state)
{
    (void)state;
    char err[256] = "";
    struct dcc_output o;
    assert_int_equal(mkdir("sub", 0755), 0);
    write_text("sub/full.o", "old object");
    assert_int_equal(symlink("sub/full.o", "to-full.o"), 0);
    assert_int_equal(dcc_output_open(&o, "to-full.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_string_equal(o.path, "to-full.o");
    assert_int_equal(strncmp(o.tmp, ".to-full.o.distcc-", 18), 0);
    write_all(o.fd, "new");
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    assert_string_equal(read_text("sub/full.o"), "old object");
    assert_string_equal(read_text("to-full.o"), "new");
    struct stat st;
    assert_int_equal(lstat("to-full.o", &st), 0);
    assert_true(S_ISREG(st.st_mode));

    write_text("sub/empty.o", "");
    assert_int_equal(symlink("sub/empty.o", "to-empty.o"), 0);
    assert_int_equal(dcc_output_open(&o, "to-empty.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_string_equal(o.path, "sub/empty.o");
    assert_int_equal(strncmp(o.tmp, "sub/.empty.o.distcc-", 20), 0);
    write_all(o.fd, "new");
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    assert_int_equal(lstat("to-empty.o", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_string_equal(read_text("sub/empty.o"), "new");
    assert_string_equal(entries("sub"), "empty.o full.o");
}

/* cpp's fopen writes through every link, even to a file with data. */
static void test_deps_links(void **state)
{
    (void)state;
    char err[256] = "";
    struct dcc_output o;
    assert_int_equal(mkdir("deps", 0755), 0);
    write_text("deps/real.d", "old deps");
    assert_int_equal(symlink("deps/real.d", "x.d"), 0);
    assert_int_equal(dcc_output_open(&o, "x.d", DCC_OUTPUT_DEPS, err, sizeof err), 0);
    assert_string_equal(o.path, "deps/real.d");
    assert_int_equal(strncmp(o.tmp, "deps/.real.d.distcc-", 20), 0);
    write_all(o.fd, "x.o: x.c");
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(lstat("x.d", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_string_equal(read_text("deps/real.d"), "x.o: x.c");
    assert_string_equal(entries("deps"), "real.d");
}

static void test_fifo_is_written_in_place(void **state)
{
    (void)state;
    char err[256] = "";
    struct dcc_output o;
    assert_int_equal(mkfifo("pipe.o", 0644), 0);
    /* A reader first, so opening the writing end does not wait. */
    int reader = open("pipe.o", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    assert_true(reader >= 0);
    assert_int_equal(dcc_output_open(&o, "pipe.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_string_equal(o.path, "pipe.o");
    assert_string_equal(o.tmp, "");
    write_all(o.fd, "through the pipe");
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    char buf[64] = "";
    assert_int_equal(read(reader, buf, sizeof buf - 1), 16);
    assert_string_equal(buf, "through the pipe");
    close(reader);
    struct stat st;
    assert_int_equal(lstat("pipe.o", &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_string_equal(entries("."), "pipe.o");
}

/* A link to a FIFO (an empty special file) is followed by open, as it is to
 * /dev/null; the machine's /dev/null is left to the bats test, which gives
 * the client a private /dev. */
static void test_link_to_fifo_is_followed(void **state)
{
    (void)state;
    char err[256] = "";
    struct dcc_output o;
    assert_int_equal(mkdir("sub", 0755), 0);
    assert_int_equal(mkfifo("sub/pipe", 0644), 0);
    assert_int_equal(symlink("sub/pipe", "x.o"), 0);
    int reader = open("sub/pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    assert_true(reader >= 0);
    assert_int_equal(dcc_output_open(&o, "x.o", DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_string_equal(o.path, "x.o");
    assert_string_equal(o.tmp, "");
    write_all(o.fd, "object");
    dcc_output_discard(&o);
    char buf[16] = "";
    assert_int_equal(read(reader, buf, sizeof buf - 1), 6);
    assert_string_equal(buf, "object");
    close(reader);
    struct stat st;
    assert_int_equal(lstat("x.o", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_string_equal(entries("."), "sub x.o");
    assert_string_equal(entries("sub"), "pipe");
}

/* /dev/stdout into a pipe: the links end at /proc/self/fd/N, whose target
 * "pipe:[...]" names no file; the kernel's open reaches the pipe, and that is
 * where the object goes (as stock writes it). /proc/self/fd/N stands in for
 * /dev/stdout, so the machine's /dev is not touched. */
static void test_link_to_a_pipe_reached_only_by_the_kernel(void **state)
{
    (void)state;
    char err[256] = "", name[64], deps[64];
    struct dcc_output o;
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    snprintf(name, sizeof name, "/proc/self/fd/%d", pipefd[1]);
    assert_int_equal(dcc_output_open(&o, name, DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_string_equal(o.tmp, "");
    write_all(o.fd, "object");
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    /* The same for a .d (pump's -MF /dev/stdout), through one more link. */
    assert_int_equal(symlink(name, "deps.d"), 0);
    snprintf(deps, sizeof deps, "deps.d");
    assert_int_equal(dcc_output_open(&o, deps, DCC_OUTPUT_DEPS, err, sizeof err), 0);
    assert_string_equal(o.tmp, "");
    write_all(o.fd, " x.o: x.c");
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    close(pipefd[1]);
    char buf[64] = "";
    assert_int_equal(read(pipefd[0], buf, sizeof buf - 1), 15);
    assert_string_equal(buf, "object x.o: x.c");
    close(pipefd[0]);
    assert_string_equal(entries("."), "deps.d");
}

/* A name as long as the file system allows (255 bytes) is one gcc writes;
 * its temporary must not be longer. */
static void test_longest_file_name(void **state)
{
    (void)state;
    char err[256] = "", name[NAME_MAX + 1];
    struct dcc_output o;
    memset(name, 'a', NAME_MAX - 2);
    memcpy(name + NAME_MAX - 2, ".o", 3);
    assert_int_equal(strlen(name), 255);
    assert_int_equal(dcc_output_open(&o, name, DCC_OUTPUT_OBJECT, err, sizeof err), 0);
    assert_true(strlen(o.tmp) <= NAME_MAX);
    write_all(o.fd, "object");
    assert_int_equal(dcc_output_commit(&o, err, sizeof err), 0);
    assert_string_equal(read_text(name), "object");
    assert_string_equal(entries("."), name);
}

static void test_errors_name_the_file(void **state)
{
    (void)state;
    char err[256] = "";
    struct dcc_output o;
    assert_int_equal(dcc_output_open(&o, "nodir/x.o", DCC_OUTPUT_OBJECT, err, sizeof err),
                     DCC_EXIT_IO_ERROR);
    assert_int_equal(strncmp(err, "cannot create nodir/.x.o.distcc-", 32), 0);
    assert_string_equal(err + strlen(err) - strlen(": No such file or directory"),
                        ": No such file or directory");
    assert_int_equal(o.fd, -1);
    assert_string_equal(o.tmp, "");
    assert_int_equal(mkdir("adir", 0755), 0);
    assert_int_equal(dcc_output_open(&o, "adir", DCC_OUTPUT_OBJECT, err, sizeof err),
                     DCC_EXIT_IO_ERROR);
    assert_string_equal(err, "cannot open adir: Is a directory");
    assert_int_equal(o.fd, -1);
    /* A name with no room for the temporary's prefix and suffix. */
    char longname[PATH_MAX];
    memset(longname, 'a', sizeof longname - 10);
    longname[sizeof longname - 10] = '\0';
    char longerr[600];
    assert_int_equal(dcc_output_open(&o, longname, DCC_OUTPUT_OBJECT, longerr, sizeof longerr),
                     DCC_EXIT_IO_ERROR);
    assert_int_equal(strncmp(longerr, "output name aaa", 15), 0);
    assert_string_equal(longerr + strlen(longerr) - strlen(" is too long"), " is too long");
    assert_int_equal(o.fd, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_follow_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_file_goes_through_a_temporary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard_keeps_the_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temporaries_are_registered_for_signals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_object_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deps_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_is_written_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_to_fifo_is_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_to_a_pipe_reached_only_by_the_kernel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_longest_file_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_the_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
