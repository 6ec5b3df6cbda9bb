/* Pump mode with a helper's header cache, the client's side: digests of the
 * job's files (kept per build), DGST, MISS and the bodies it asks for. */
#include "client/dcc_hcsend.h"

#include "base/dcc_exit.h"
#include "base/dcc_util.h"
#include "proto/dcc_bulk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIGEST_SUBDIR "digests"
/* A file changed this recently is hashed every time. */
#define RACY_SECONDS 2

/* The identity a kept digest belongs to: everything that changes when the
 * file's bytes may have. */
static int identity(const char *path, const struct stat *st, char *out, size_t len)
{
    int n = snprintf(out, len, "%s\n%llu %llu %llu %lld.%09ld %lld.%09ld\n", path,
                     (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
                     (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
                     st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
    return n > 0 && (size_t)n < len ? n : -1;
}

/* digest_dir/digests/HASH, HASH from the identity: one small file. */
static void kept_path(const char *digest_dir, const char *id, size_t idlen, char *out, size_t len)
{
    unsigned char h[DCC_HC_DIGEST_LEN];
    char hex[DCC_HC_HEX_LEN + 1];
    dcc_hcwire_digest(id, idlen, h);
    dcc_hcwire_hex(h, hex);
    snprintf(out, len, "%s/" DIGEST_SUBDIR "/%.32s", digest_dir, hex);
}

static int unhex(const char *s, unsigned char d[DCC_HC_DIGEST_LEN])
{
    for (size_t i = 0; i < DCC_HC_DIGEST_LEN; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = s[2 * i + (size_t)k];
            unsigned x = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
                         : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
                                                  : 16;
            if (x > 15)
                return -1;
            v = v * 16 + x;
        }
        d[i] = (unsigned char)v;
    }
    return 0;
}

/* The kept digest for id; 0 when found. */
static int read_kept(const char *kpath, const char *id, size_t idlen,
                     unsigned char d[DCC_HC_DIGEST_LEN])
{
    char buf[8192];
    int fd = open(kpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n != (ssize_t)(idlen + DCC_HC_HEX_LEN + 1) || memcmp(buf, id, idlen) != 0 ||
        buf[n - 1] != '\n')
        return -1;
    return unhex(buf + idlen, d);
}

/* Keeps it, atomically; failing to is no error. */
static void write_kept(const char *digest_dir, const char *kpath, const char *id, size_t idlen,
                       const unsigned char d[DCC_HC_DIGEST_LEN])
{
    char dir[4200], tmp[4400], hex[DCC_HC_HEX_LEN + 1];
    snprintf(dir, sizeof dir, "%s/" DIGEST_SUBDIR, digest_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return;
    int n = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", kpath, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    dcc_hcwire_hex(d, hex);
    int ok = write(fd, id, idlen) == (ssize_t)idlen &&
             write(fd, hex, DCC_HC_HEX_LEN) == DCC_HC_HEX_LEN && write(fd, "\n", 1) == 1;
    if (close(fd) != 0 || !ok || rename(tmp, kpath) != 0)
        unlink(tmp);
}

int dcc_hcsend_digest(const char *path, const char *digest_dir, unsigned char d[DCC_HC_DIGEST_LEN],
                      char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? DCC_EXIT_NO_SUCH_FILE : DCC_EXIT_IO_ERROR;
    }
    struct stat st;
    int statted = fstat(fd, &st) == 0;
    if (!statted || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "cannot read %s: %s", path,
                 statted ? "not a regular file" : strerror(errno));
        close(fd);
        return DCC_EXIT_IO_ERROR;
    }
    char id[4200], kpath[4300];
    int idlen = digest_dir ? identity(path, &st, id, sizeof id) : -1;
    if (idlen > 0) {
        kept_path(digest_dir, id, (size_t)idlen, kpath, sizeof kpath);
        if (read_kept(kpath, id, (size_t)idlen, d) == 0) {
            close(fd);
            return 0;
        }
    }
    struct dcc_buf buf = {0};
    if (dcc_read_regular_fd(fd, path, DCC_WIRE_DEFAULT_MAX_BODY, "a file pump mode sends", &buf,
                            err, errlen) != 0) {
        close(fd);
        return DCC_EXIT_IO_ERROR;
    }
    close(fd);
    dcc_hcwire_digest(buf.data, buf.len, d);
    dcc_buf_free(&buf);
    time_t now = time(NULL);
    if (idlen > 0 && st.st_mtime < now - RACY_SECONDS && st.st_ctime < now - RACY_SECONDS)
        write_kept(digest_dir, kpath, id, (size_t)idlen, d);
    return 0;
}

int dcc_hcsend_file(struct dcc_conn *c, struct dcc_hcsend *s, const char *path,
                    const char *digest_dir)
{
    unsigned char d[DCC_HC_DIGEST_LEN];
    int rc = dcc_hcsend_digest(path, digest_dir, d, c->err, sizeof c->err);
    if (rc) {
        c->local_fault = 1;
        return rc;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char **grown = realloc(s->paths, cap * sizeof *grown);
        if (!grown) {
            snprintf(c->err, sizeof c->err, "out of memory");
            c->local_fault = 1;
            return DCC_EXIT_OUT_OF_MEMORY;
        }
        s->paths = grown;
        s->cap = cap;
    }
    if (!(s->paths[s->n] = strdup(path))) {
        snprintf(c->err, sizeof c->err, "out of memory");
        c->local_fault = 1;
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    s->n++;
    return dcc_hcwire_write_digest(c, d);
}

int dcc_hcsend_finish(struct dcc_conn *c, struct dcc_hcsend *s, int cork, enum dcc_compress how)
{
    /* The helper answers only once it has every DGST. */
    dcc_wire_cork(c->out_fd, 0);
    unsigned char *miss;
    int rc = dcc_hcwire_read_miss(c, s->n, &miss);
    if (rc)
        return rc;
    if (cork)
        dcc_wire_cork(c->out_fd, 1);
    for (size_t i = 0; i < s->n && !rc; i++)
        if (dcc_hcwire_bit(miss, i))
            rc = dcc_bulk_send_file(c, DCC_TOK_FILE, s->paths[i], how);
    free(miss);
    return rc;
}

void dcc_hcsend_free(struct dcc_hcsend *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->paths[i]);
    free(s->paths);
    s->paths = NULL;
    s->n = s->cap = 0;
}
