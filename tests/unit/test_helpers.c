/* The unit tests' shared helpers (test_helpers.h): argv, tests/data, temporary directories, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/dcc_util.h"
#include "test_helpers.h"

char **words(const char *line)
{
    char *copy = strdup(line);
    char *parts[128];
    size_t n = 0;
    assert_non_null(copy);
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        assert_true(n < 127);
        parts[n++] = w;
    }
    parts[n] = NULL;
    char **argv = dcc_argv_dup(parts);
    assert_non_null(argv);
    free(copy);
    return argv;
}

void no_children_left(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

int dcc_test_lowest_free_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    close(fd);
    return fd;
}

const char *dcc_test_data_dir(const char *sub)
{
    static char dir[PATH_MAX + 32];
    if (dir[0])
        return dir;
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "tests/data/%s/README", sub);
    if (access(probe, R_OK) == 0) {
        snprintf(dir, sizeof dir, "tests/data/%s", sub);
        return dir;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        assert_non_null(slash);
        *slash = '\0';
    }
    snprintf(dir, sizeof dir, "%s/tests/data/%s", exe, sub);
    return dir;
}

int dcc_test_tmpdir(char *dir, size_t len, const char *tmpl)
{
    int n = snprintf(dir, len, "%s", tmpl);
    if (n < 0 || (size_t)n >= len)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

/* Post-order: a directory is removed after its entries; chmod only on
 * directories, since on a link it would change the link's target. */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag == FTW_DP || flag == FTW_DNR)
        chmod(path, 0700);
    return remove(path);
}

/* Set when open_up met a directory it could not read before its chmod:
 * what is below it was not seen yet, so another pass is needed. */
static int opened_unread;

/* Pre-order: gives every directory its owner's rwx, so that the removal
 * can read it, even one a test took the permissions away from. */
static int open_up(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if ((flag == FTW_D || flag == FTW_DNR) && (st->st_mode & 0700) != 0700)
        chmod(path, (st->st_mode & 07777) | 0700);
    if (flag == FTW_DNR)
        opened_unread = 1;
    return 0;
}

int dcc_test_rmtree(const char *dir)
{
    chmod(dir, 0700);
    for (int pass = 0; pass < 64; pass++) {
        opened_unread = 0;
        nftw(dir, open_up, 16, FTW_PHYS);
        if (!opened_unread)
            break;
    }
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void dcc_test_path_in(char *out, size_t len, const char *dir, const char *rel)
{
    int n = snprintf(out, len, "%s/%s", dir, rel);
    assert_true(n >= 0 && (size_t)n < len);
}

void dcc_test_make_dirs(const char *path, mode_t mode)
{
    char *copy = strdup(path);
    assert_non_null(copy);
    for (char *p = copy + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(copy, mode);
            *p = '/';
        }
    }
    mkdir(copy, mode);
    free(copy);
}

int dcc_test_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

void dcc_test_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        fail_msg("open %s: %s", path, strerror(errno));
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail_msg("write %s: %s", path, strerror(errno));
        done += (size_t)n;
    }
    assert_int_equal(close(fd), 0);
}

void dcc_test_write_text(const char *path, const char *text, mode_t mode)
{
    dcc_test_write_file(path, text, strlen(text), mode);
}

char *dcc_test_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("open %s: %s", path, strerror(errno));
    size_t have = 0, cap = 4096;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (have == cap - 1) {
            char *bigger = realloc(buf, cap * 2);
            assert_non_null(bigger);
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + have, cap - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail_msg("read %s: %s", path, strerror(errno));
        if (n == 0)
            break;
        have += (size_t)n;
    }
    close(fd);
    buf[have] = '\0';
    if (len)
        *len = have;
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void dcc_test_dir_entries(const char *dir, char *out, size_t outlen)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("opendir %s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char **more = realloc(names, (n + 1) * sizeof *names);
        assert_non_null(more);
        names = more;
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(out, " ", outlen - strlen(out) - 1);
        strncat(out, names[i], outlen - strlen(out) - 1);
        free(names[i]);
    }
    free(names);
}
