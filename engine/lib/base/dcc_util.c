/* A growable buffer and argv array helpers used across the library. */
#include "base/dcc_util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int dcc_buf_reserve(struct dcc_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1) {
        errno = ENOMEM;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int dcc_buf_append(struct dcc_buf *b, const void *data, size_t len)
{
    if (dcc_buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int dcc_buf_appends(struct dcc_buf *b, const char *s)
{
    return dcc_buf_append(b, s, strlen(s));
}

int dcc_buf_vprintf(struct dcc_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return -1;
    if (dcc_buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int dcc_buf_printf(struct dcc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dcc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void dcc_buf_free(struct dcc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

size_t dcc_argv_len(char *const *argv)
{
    size_t n = 0;
    while (argv && argv[n])
        n++;
    return n;
}

char **dcc_argv_dup(char *const *argv)
{
    size_t n = dcc_argv_len(argv);
    char **copy = calloc(n + 1, sizeof *copy);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        copy[i] = strdup(argv[i]);
        if (!copy[i]) {
            dcc_argv_free(copy);
            return NULL;
        }
    }
    return copy;
}

void dcc_argv_free(char **argv)
{
    if (!argv)
        return;
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

int dcc_argv_insert(char ***argvp, size_t pos, const char *const *items, size_t n)
{
    size_t len = dcc_argv_len(*argvp);
    if (pos > len) {
        errno = EINVAL;
        return -1;
    }
    char **copies = calloc(n + 1, sizeof *copies);
    if (!copies)
        return -1;
    for (size_t i = 0; i < n; i++) {
        copies[i] = strdup(items[i]);
        if (!copies[i]) {
            dcc_argv_free(copies);
            return -1;
        }
    }
    char **grown = realloc(*argvp, (len + n + 1) * sizeof *grown);
    if (!grown) {
        dcc_argv_free(copies);
        return -1;
    }
    memmove(grown + pos + n, grown + pos, (len - pos + 1) * sizeof *grown);
    memcpy(grown + pos, copies, n * sizeof *grown);
    free(copies);
    *argvp = grown;
    return 0;
}

void dcc_argv_remove(char **argv, size_t pos, size_t n)
{
    size_t len = dcc_argv_len(argv);
    if (pos >= len)
        return;
    if (n > len - pos)
        n = len - pos;
    for (size_t i = pos; i < pos + n; i++)
        free(argv[i]);
    memmove(argv + pos, argv + pos + n, (len - pos - n + 1) * sizeof *argv);
}

int dcc_argv_set(char **argv, size_t i, const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        return -1;
    free(argv[i]);
    argv[i] = copy;
    return 0;
}

char *dcc_argv_join(char *const *argv)
{
    struct dcc_buf b = {0};
    if (dcc_buf_reserve(&b, 0) != 0)
        return NULL;
    for (size_t i = 0; argv && argv[i]; i++) {
        const char *a = argv[i];
        int quote = a[0] == '\0' || strpbrk(a, " \t\n'\"\\$") != NULL;
        int rc = dcc_buf_appends(&b, i ? " " : "");
        if (quote) {
            rc |= dcc_buf_appends(&b, "'");
            for (const char *p = a; *p; p++)
                rc |= *p == '\'' ? dcc_buf_appends(&b, "'\\''") : dcc_buf_append(&b, p, 1);
            rc |= dcc_buf_appends(&b, "'");
        } else {
            rc |= dcc_buf_appends(&b, a);
        }
        if (rc) {
            dcc_buf_free(&b);
            return NULL;
        }
    }
    return b.data;
}

int dcc_str_endswith(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int dcc_str_startswith(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

void dcc_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int dcc_read_regular_fd(int fd, const char *path, size_t max, const char *what, struct dcc_buf *out,
                        char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        dcc_set_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
        errno = EIO;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        dcc_set_err(err, errlen, "cannot read %s: not a regular file", path);
        errno = EINVAL;
        return -1;
    }
    char chunk[8192];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            dcc_set_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (got == 0) {
            if (!out->data && dcc_buf_append(out, "", 0) != 0)
                break;
            return 0;
        }
        if ((size_t)got > max - out->len) {
            dcc_set_err(err, errlen, "cannot read %s: larger than %zu bytes, which is not %s", path,
                        max, what);
            break;
        }
        if (dcc_buf_append(out, chunk, (size_t)got) != 0) {
            dcc_set_err(err, errlen, "cannot read %s: out of memory", path);
            break;
        }
    }
    dcc_buf_free(out);
    errno = EIO;
    return -1;
}

long long dcc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t dcc_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int dcc_dir_spread_subdirs(int fd)
{
    int flags;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0)
        return -1;
    if (flags & FS_TOPDIR_FL)
        return 0;
    flags |= FS_TOPDIR_FL;
    return ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0 ? 0 : -1;
}
