/* Writing a received file where gcc would: regular files atomically through
 * a temporary beside the file finally written, special files in place. */
#include "client/dcc_output.h"

#include "client/dcc_cleanup.h"
#include "base/dcc_exit.h"
#include "base/dcc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As many links as the kernel follows in one lookup before ELOOP. */
#define DCC_OUTPUT_MAX_LINKS 40

/* Bytes of the final name kept in a temporary's name: with the dot and
 * ".distcc-XXXXXX" it stays well under NAME_MAX (255). */
#define DCC_OUTPUT_TMP_BASE 200

int dcc_output_follow_links(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
    char cur[PATH_MAX], target[PATH_MAX], next[PATH_MAX];
    int n = snprintf(cur, sizeof cur, "%s", name);
    if (n < 0 || (size_t)n >= sizeof cur) {
        dcc_set_err(err, errlen, "output name %.300s is too long", name);
        return DCC_EXIT_IO_ERROR;
    }
    for (int hops = 0; hops <= DCC_OUTPUT_MAX_LINKS; hops++) {
        struct stat st;
        ssize_t len = -1;
        /* Not a link (or not there, or unreadable): this is the name to
         * write, and opening it reports any trouble. */
        if (lstat(cur, &st) == 0 && S_ISLNK(st.st_mode))
            len = readlink(cur, target, sizeof target);
        if (len < 0) {
            n = snprintf(out, outlen, "%s", cur);
            if (n < 0 || (size_t)n >= outlen) {
                dcc_set_err(err, errlen, "output name %.300s is too long", cur);
                return DCC_EXIT_IO_ERROR;
            }
            return 0;
        }
        if ((size_t)len >= sizeof target) {
            dcc_set_err(err, errlen, "the symbolic link %.300s points to a name too long", cur);
            return DCC_EXIT_IO_ERROR;
        }
        target[len] = '\0';
        const char *slash = strrchr(cur, '/');
        if (target[0] == '/' || !slash)
            n = snprintf(next, sizeof next, "%s", target);
        else
            n = snprintf(next, sizeof next, "%.*s/%s", (int)(slash - cur), cur, target);
        if (n < 0 || (size_t)n >= sizeof next) {
            dcc_set_err(err, errlen, "the symbolic link %.300s leads to a name too long", cur);
            return DCC_EXIT_IO_ERROR;
        }
        memcpy(cur, next, (size_t)n + 1);
    }
    dcc_set_err(err, errlen, "cannot write %.300s: %s", name, strerror(ELOOP));
    return DCC_EXIT_IO_ERROR;
}

/* The name to write under rule, and whether it is a special file that is
 * written in place. */
static int choose_target(const char *name, enum dcc_output_rule rule, char *path, size_t pathlen,
                         int *in_place, char *err, size_t errlen)
{
    struct stat lst, st;
    *in_place = 0;
    int is_link = lstat(name, &lst) == 0 && S_ISLNK(lst.st_mode);
    int exists = stat(name, &st) == 0;
    /* as unlinks a non-empty output before it opens the name again (bfd's
     * cache.c), which replaces a link to a file with data by a new file;
     * cpp's fopen always writes through. */
    int replace_link = is_link && rule == DCC_OUTPUT_OBJECT && exists && st.st_size != 0;
    int follow = is_link && !replace_link;
    /* A device, FIFO or socket is opened under the name given, so the
     * kernel follows the links: /dev/stdout leads through /proc/self/fd/1
     * to "pipe:[N]", which names no file that could be opened again. */
    if (exists && !replace_link && !S_ISREG(st.st_mode)) {
        *in_place = 1;
        follow = 0;
    }
    if (follow) {
        /* Ask the kernel whether this process may follow the link at all:
         * with fs.protected_symlinks a link planted by another user in a
         * sticky, world-writable directory is refused to gcc, and following
         * it by hand below must not get past that. */
        int probe = open(name, O_PATH | O_CLOEXEC);
        if (probe >= 0)
            close(probe);
        else if (errno != ENOENT) {
            dcc_set_err(err, errlen, "cannot write %.300s: %s", name, strerror(errno));
            return DCC_EXIT_IO_ERROR;
        }
        int rc = dcc_output_follow_links(name, path, pathlen, err, errlen);
        if (rc)
            return rc;
    } else {
        int n = snprintf(path, pathlen, "%s", name);
        if (n < 0 || (size_t)n >= pathlen) {
            dcc_set_err(err, errlen, "output name %.300s is too long", name);
            return DCC_EXIT_IO_ERROR;
        }
    }
    return 0;
}

int dcc_output_open(struct dcc_output *out, const char *name, enum dcc_output_rule rule, char *err,
                    size_t errlen)
{
    out->path[0] = out->tmp[0] = '\0';
    out->fd = -1;
    int in_place;
    int rc = choose_target(name, rule, out->path, sizeof out->path, &in_place, err, errlen);
    if (rc)
        return rc;
    if (in_place) {
        /* /dev/null, a FIFO, a terminal: replacing it would break the
         * machine (as root) or fail (no temporary can be made in /dev). */
        out->fd = open(out->path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
        if (out->fd < 0) {
            dcc_set_err(err, errlen, "cannot open %.300s: %s", out->path, strerror(errno));
            return DCC_EXIT_IO_ERROR;
        }
        return 0;
    }
    const char *slash = strrchr(out->path, '/');
    const char *base = slash ? slash + 1 : out->path;
    /* The temporary's own name is cut to DCC_OUTPUT_TMP_BASE bytes of the
     * final one: a name of NAME_MAX bytes, which gcc can write, must not
     * fail for want of room for ".distcc-XXXXXX". */
    int n = snprintf(out->tmp, sizeof out->tmp, "%.*s.%.*s.distcc-XXXXXX", (int)(base - out->path),
                     out->path, DCC_OUTPUT_TMP_BASE, base);
    if (n < 0 || (size_t)n >= sizeof out->tmp || strlen(base) > NAME_MAX) {
        out->tmp[0] = '\0';
        dcc_set_err(err, errlen, "output name %.300s is too long", out->path);
        return DCC_EXIT_IO_ERROR;
    }
    out->fd = mkostemp(out->tmp, O_CLOEXEC);
    if (out->fd < 0) {
        dcc_set_err(err, errlen, "cannot create %.300s: %s", out->tmp, strerror(errno));
        out->tmp[0] = '\0';
        return DCC_EXIT_IO_ERROR;
    }
    dcc_cleanup_add_file(out->tmp);
    /* mkstemp made it 0600; the new file gets the mode gcc would create it
     * with. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(out->fd, 0666 & ~mask) != 0) {
        dcc_set_err(err, errlen, "cannot set the mode of %.300s: %s", out->tmp, strerror(errno));
        dcc_output_discard(out);
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

int dcc_output_close(struct dcc_output *out, char *err, size_t errlen)
{
    if (out->fd < 0)
        return 0;
    int rc = close(out->fd);
    out->fd = -1;
    if (rc != 0) {
        dcc_set_err(err, errlen, "cannot write %.300s: %s", out->tmp[0] ? out->tmp : out->path,
                    strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

int dcc_output_commit(struct dcc_output *out, char *err, size_t errlen)
{
    int rc = dcc_output_close(out, err, errlen);
    if (rc || !out->tmp[0]) {
        dcc_output_discard(out);
        return rc;
    }
    if (rename(out->tmp, out->path) != 0) {
        dcc_set_err(err, errlen, "cannot rename the result to %.300s: %s", out->path,
                    strerror(errno));
        dcc_output_discard(out);
        return DCC_EXIT_IO_ERROR;
    }
    dcc_cleanup_forget_file(out->tmp);
    out->tmp[0] = '\0';
    return 0;
}

void dcc_output_discard(struct dcc_output *out)
{
    if (out->fd >= 0) {
        close(out->fd);
        out->fd = -1;
    }
    if (out->tmp[0]) {
        unlink(out->tmp);
        dcc_cleanup_forget_file(out->tmp);
        out->tmp[0] = '\0';
    }
}
