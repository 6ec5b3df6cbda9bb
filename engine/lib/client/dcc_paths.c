/* Where the client keeps and finds things: $DISTCC_DIR's subdirectories and the PATH it hands the compiler. */
#include "client/dcc_paths.h"
#include "base/dcc_exit.h"
#include "base/dcc_util.h"
#include "proto/dcc_hosts.h"
#include "proto/dcc_toolchain.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_dir(const char *path, char *err, size_t errlen)
{
    /* 0777 so the umask decides: Portage shares one DISTCC_DIR between root
     * and the portage group and sets a group-writable umask for it. */
    if (mkdir(path, 0777) == 0)
        return 0;
    int saved = errno;
    struct stat st;
    if (saved == EEXIST) {
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        dcc_set_err(err, errlen, "cannot use %s: it exists but is not a directory", path);
        return -1;
    }
    if (saved == ENOENT)
        return 1;
    dcc_set_err(err, errlen,
                "cannot create directory %s: %s (set DISTCC_DIR to a writable directory)", path,
                strerror(saved));
    return -1;
}

int dcc_paths_subdir_name(const char *distcc_dir, const char *sub, char *path, size_t pathlen,
                          char *err, size_t errlen)
{
    char top[PATH_MAX];
    if (!distcc_dir) {
        if (dcc_hosts_distcc_dir(top, sizeof top, err, errlen) != 0)
            return DCC_EXIT_IO_ERROR;
        distcc_dir = top;
    }
    int n = snprintf(path, pathlen, "%s/%s", distcc_dir, sub);
    if (n < 0 || (size_t)n >= pathlen) {
        dcc_set_err(err, errlen, "the distcc directory name %s is too long", distcc_dir);
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

int dcc_paths_make_subdir(const char *distcc_dir, const char *sub, char *path, size_t pathlen,
                          char *err, size_t errlen)
{
    int rc = dcc_paths_subdir_name(distcc_dir, sub, path, pathlen, err, errlen);
    if (rc != 0)
        return rc;
    /* The usual case, both present, costs one mkdir. */
    rc = make_dir(path, err, errlen);
    if (rc == 1) {
        char top[PATH_MAX];
        snprintf(top, sizeof top, "%.*s", (int)(strlen(path) - strlen(sub) - 1), path);
        rc = make_dir(top, err, errlen);
        if (rc == 1) {
            dcc_set_err(err, errlen,
                        "cannot create directory %s: its parent does not exist "
                        "(set DISTCC_DIR to a writable directory)",
                        top);
            return DCC_EXIT_IO_ERROR;
        }
        if (rc == 0)
            rc = make_dir(path, err, errlen);
        if (rc == 1)
            dcc_set_err(err, errlen, "cannot create directory %s: %s", path, strerror(ENOENT));
    }
    return rc == 0 ? 0 : DCC_EXIT_IO_ERROR;
}

/* Whether dir (len bytes of a PATH string) holds name as the distcc client. */
static int path_entry_is_distcc(const char *dir, size_t len, const char *name)
{
    char cand[PATH_MAX];
    return len > 0 && len + strlen(name) + 2 <= sizeof cand &&
           snprintf(cand, sizeof cand, "%.*s/%s", (int)len, dir, name) > 0 &&
           dcc_toolchain_is_distcc(cand);
}

int dcc_paths_without_distcc(const char *name, const char *path, char *out, size_t outlen)
{
    if (outlen == 0)
        return -1;
    /* As stock distcc: everything up to and including the first entry
     * where name is distcc goes (a wrapper such as ccache placed before it
     * already ran); later distcc entries go too. Empty entries (the
     * working directory) are kept. */
    const char *rest = path;
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (path_entry_is_distcc(p, len, name)) {
            rest = colon ? colon + 1 : p + len;
            break;
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    size_t w = 0;
    int first = 1;
    for (const char *p = rest;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (!path_entry_is_distcc(p, len, name)) {
            if (w + !first + len >= outlen)
                return -1;
            if (!first)
                out[w++] = ':';
            memcpy(out + w, p, len);
            w += len;
            first = 0;
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    out[w] = '\0';
    return 0;
}

#if DCC_WITH_JSON
json_t *dcc_paths_read_json(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *text = NULL;
    ssize_t got = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (size_t)st.st_size <= max &&
        (text = malloc((size_t)st.st_size)))
        got = read(fd, text, (size_t)st.st_size);
    close(fd);
    json_t *doc = got == st.st_size ? json_loadb(text, (size_t)got, 0, NULL) : NULL;
    free(text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static int write_json(const char *path, const json_t *doc, int shared);

int dcc_paths_write_json(const char *path, const json_t *doc)
{
    return write_json(path, doc, 1);
}

int dcc_paths_write_json_own(const char *path, const json_t *doc)
{
    return write_json(path, doc, 0);
}

static int write_json(const char *path, const json_t *doc, int shared)
{
    char tmp[PATH_MAX + 16];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -1;
    mode_t mask = umask(0);
    umask(mask);
    int bad = fchmod(fd, (shared ? 0666 : 0644) & ~mask) != 0;
    bad |= json_dumpfd(doc, fd, JSON_COMPACT) != 0;
    bad |= close(fd) != 0;
    if (bad || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}
#endif
