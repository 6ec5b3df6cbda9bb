/* What every unit test may share: argv from a line of words, tests/data fixtures, fresh temporary directories and the files in them. */
#ifndef DCC_TEST_HELPERS_H
#define DCC_TEST_HELPERS_H

/* Linked into every unit test (tests/unit/test_helpers.c). Each helper
 * checks its own work with cmocka asserts, so a test that calls one fails
 * at the line that went wrong; only dcc_test_tmpdir and dcc_test_rmtree
 * return a status instead, for setup and teardown functions, which report
 * failure by their return value. */

#include <stddef.h>
#include <sys/types.h>

/* "gcc -c x.c" -> malloc'd argv (dcc_argv_free); words never hold blanks
 * in these tests. */
char **words(const char *line);

/* Asserts that this process has no child left, reaped or not. */
void no_children_left(void);

/* The descriptor the next open() would get: equal before and after a call
 * means the call leaked no fd. */
int dcc_test_lowest_free_fd(void);

/* tests/data/SUB from the top of the tree (make runs tests there), else
 * relative to the binary in BUILD/tests/unit/, so a test started by hand
 * from anywhere finds it too. SUB must hold a README. One SUB per test
 * program: the answer is kept. */
const char *dcc_test_data_dir(const char *sub);

/* A fresh directory made from the mkdtemp template tmpl ("/tmp/NAME.XXXXXX")
 * into dir (len bytes): 0, or -1 when it does not fit or cannot be made. */
int dcc_test_tmpdir(char *dir, size_t len, const char *tmpl);

/* Removes dir and everything below it, links as links (never what they
 * point to); directories a test left without permissions are opened up
 * first. 0, or -1 when something stays. */
int dcc_test_rmtree(const char *dir);

/* dir/rel into out (len bytes); fails the test when it does not fit. */
void dcc_test_path_in(char *out, size_t len, const char *dir, const char *rel);

/* Creates path and every missing directory above it with mode (mkdir -p). */
void dcc_test_make_dirs(const char *path, mode_t mode);

/* Whether path exists (stat: a link counts if its target exists). */
int dcc_test_exists(const char *path);

/* Writes len bytes of data to path, truncated, or created with mode minus
 * the umask as open() does (0666 is what fopen gives); an existing file
 * keeps its mode. */
void dcc_test_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* dcc_test_write_file with text, without its NUL. */
void dcc_test_write_text(const char *path, const char *text, mode_t mode);

/* The whole file, NUL-terminated, malloc'd; *len its size when len is not
 * NULL. Fails the test, naming path, when it cannot be read. */
char *dcc_test_read_file(const char *path, size_t *len);

/* The names in dir but "." and "..", dot files included, sorted bytewise and
 * joined by single spaces into out (cut at outlen - 1): a temporary left
 * behind shows up here. */
void dcc_test_dir_entries(const char *dir, char *out, size_t outlen);

#endif
