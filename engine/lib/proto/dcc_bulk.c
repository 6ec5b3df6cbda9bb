/* Bulk bodies: plain (sendfile/splice), one LZO1X-1 block or one zstd frame, bounded. */
#include "proto/dcc_bulk.h"

#include "base/dcc_exit.h"
#include "proto/dcc_caps.h"

#include <errno.h>
#include <fcntl.h>
#include <lzo/lzo1x.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static int fail_as(struct dcc_conn *c, int local, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int fail_as(struct dcc_conn *c, int local, int code, const char *fmt, va_list ap)
{
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    c->local_fault = local;
    c->cut = 0;
    return code;
}

/* The peer or the connection failed. */
static int fail(struct dcc_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct dcc_conn *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_as(c, 0, code, fmt, ap);
    va_end(ap);
    return rc;
}

/* Our own file failed: callers then know not to blame the peer. */
static int fail_local(struct dcc_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_local(struct dcc_conn *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_as(c, 1, code, fmt, ap);
    va_end(ap);
    return rc;
}

static int lzo_ready(char *err, size_t errlen)
{
    static int state; /* 0 unknown, 1 ok, -1 broken */
    if (state == 0)
        state = lzo_init() == LZO_E_OK ? 1 : -1;
    if (state < 0) {
        snprintf(err, errlen, "the lzo2 library failed to initialise");
        return DCC_EXIT_DISTCC_FAILED;
    }
    return 0;
}

int dcc_lzo_compress(const void *in, size_t inlen, char **out, size_t *outlen, char *err,
                     size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    int rc = lzo_ready(err, errlen);
    if (rc)
        return rc;
    /* LZO's documented worst case for incompressible input. */
    size_t cap = inlen + inlen / 16 + 64 + 3;
    char *buf = malloc(cap + 1);
    void *work = malloc(LZO1X_1_MEM_COMPRESS);
    if (!buf || !work) {
        free(buf);
        free(work);
        snprintf(err, errlen, "out of memory compressing %zu bytes", inlen);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    lzo_uint olen = cap;
    int lrc = lzo1x_1_compress(in, inlen, (unsigned char *)buf, &olen, work);
    free(work);
    if (lrc != LZO_E_OK) {
        free(buf);
        snprintf(err, errlen, "lzo compression failed (error %d)", lrc);
        return DCC_EXIT_DISTCC_FAILED;
    }
    buf[olen] = '\0';
    *out = buf;
    *outlen = olen;
    return 0;
}

int dcc_lzo_decompress(const void *in, size_t inlen, uint64_t cap, char **out, size_t *outlen,
                       char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    int rc = lzo_ready(err, errlen);
    if (rc)
        return rc;
    if (cap > SIZE_MAX - 1)
        cap = SIZE_MAX - 1;
    /* No uncompressed length travels on the wire, so guess and grow, never
     * beyond the cap: a crafted body cannot make us allocate more. */
    uint64_t size = (uint64_t)inlen * 8 + 1024;
    for (;;) {
        if (size > cap)
            size = cap;
        char *buf = malloc((size_t)size + 1);
        if (!buf) {
            snprintf(err, errlen, "out of memory decompressing to %llu bytes",
                     (unsigned long long)size);
            return DCC_EXIT_OUT_OF_MEMORY;
        }
        lzo_uint olen = (lzo_uint)size;
        int lrc = lzo1x_decompress_safe(in, inlen, (unsigned char *)buf, &olen, NULL);
        if (lrc == LZO_E_OK) {
            buf[olen] = '\0';
            *out = buf;
            *outlen = olen;
            return 0;
        }
        free(buf);
        if (lrc != LZO_E_OUTPUT_OVERRUN) {
            snprintf(err, errlen, "corrupt lzo body of %zu bytes (lzo error %d)", inlen, lrc);
            return DCC_EXIT_PROTOCOL_ERROR;
        }
        if (size >= cap) {
            snprintf(err, errlen,
                     "lzo body of %zu bytes decompresses to more than the limit of %llu bytes",
                     inlen, (unsigned long long)cap);
            return DCC_EXIT_PROTOCOL_ERROR;
        }
        size = size > cap / 2 ? cap : size * 2;
    }
}

enum dcc_compress dcc_bulk_how(uint32_t protover, unsigned features)
{
    if (protover < 2)
        return DCC_COMPRESS_NONE;
    return features & DCC_FEAT_ZSTD ? DCC_COMPRESS_ZSTD : DCC_COMPRESS_LZO1X;
}

/* One context each way, kept for the process: programs compress and
 * inflate one body at a time, and a fresh context per body costs more than
 * a small body's compression. */
static ZSTD_CCtx *zstd_cctx(void)
{
    static ZSTD_CCtx *cctx;
    if (!cctx)
        cctx = ZSTD_createCCtx();
    return cctx;
}

static ZSTD_DCtx *zstd_dctx(void)
{
    static ZSTD_DCtx *dctx;
    if (!dctx)
        dctx = ZSTD_createDCtx();
    return dctx;
}

int dcc_zstd_compress(const void *in, size_t inlen, int level, char **out, size_t *outlen,
                      char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    if (level == 0)
        level = DCC_ZSTD_DEFAULT_LEVEL;
    size_t cap = ZSTD_compressBound(inlen);
    ZSTD_CCtx *cctx = zstd_cctx();
    char *buf = ZSTD_isError(cap) ? NULL : malloc(cap + 1);
    if (!buf || !cctx) {
        free(buf);
        snprintf(err, errlen, "out of memory compressing %zu bytes", inlen);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    /* One-shot compression writes the content size into the frame header,
     * which the receiver insists on; the checksum makes a body damaged on
     * the way an error instead of a wrong object. */
    size_t n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(n))
        n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(n))
        n = ZSTD_compress2(cctx, buf, cap, in, inlen);
    if (ZSTD_isError(n)) {
        free(buf);
        snprintf(err, errlen, "zstd compression failed (%s)", ZSTD_getErrorName(n));
        return DCC_EXIT_DISTCC_FAILED;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

int dcc_zstd_decompress(const void *in, size_t inlen, uint64_t cap, char **out, size_t *outlen,
                        char *err, size_t errlen)
{
    static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd}; /* ZSTD_MAGICNUMBER, LE */
    *out = NULL;
    *outlen = 0;
    if (cap > SIZE_MAX - 1)
        cap = SIZE_MAX - 1;
    if (inlen < sizeof magic || memcmp(in, magic, sizeof magic) != 0) {
        snprintf(err, errlen, "corrupt zstd body of %zu bytes (not a zstd frame)", inlen);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    size_t framelen = ZSTD_findFrameCompressedSize(in, inlen);
    if (ZSTD_isError(framelen)) {
        snprintf(err, errlen, "corrupt zstd body of %zu bytes (%s)", inlen,
                 ZSTD_getErrorName(framelen));
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    if (framelen != inlen) {
        snprintf(err, errlen, "zstd body of %zu bytes has %zu bytes after its frame", inlen,
                 inlen - framelen);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    unsigned long long size = ZSTD_getFrameContentSize(in, inlen);
    if (size == ZSTD_CONTENTSIZE_ERROR) {
        snprintf(err, errlen, "corrupt zstd body of %zu bytes (bad frame header)", inlen);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    /* The declared size bounds the allocation before anything is inflated;
     * without it, a frame could only be bounded by inflating it. */
    if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
        snprintf(err, errlen, "zstd body of %zu bytes does not declare its decompressed size",
                 inlen);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    if (size > cap) {
        snprintf(err, errlen,
                 "zstd body of %zu bytes decompresses to more than the limit of %llu bytes", inlen,
                 (unsigned long long)cap);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    ZSTD_DCtx *dctx = zstd_dctx();
    char *buf = dctx ? malloc((size_t)size + 1) : NULL;
    if (!buf) {
        snprintf(err, errlen, "out of memory decompressing to %llu bytes", size);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    /* Into a buffer of exactly the declared size: zstd fails a frame whose
     * blocks hold more, or less, than its header says. */
    size_t n = ZSTD_decompressDCtx(dctx, buf, (size_t)size, in, inlen);
    if (ZSTD_isError(n) || n != size) {
        free(buf);
        if (ZSTD_isError(n))
            snprintf(err, errlen, "corrupt zstd body of %zu bytes (%s)", inlen,
                     ZSTD_getErrorName(n));
        else
            snprintf(err, errlen,
                     "zstd body of %zu bytes decompresses to %zu bytes, not the %llu it declares",
                     inlen, n, size);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

int dcc_bulk_write_fd(struct dcc_conn *c, int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_local(c, DCC_EXIT_IO_ERROR, "cannot write file: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_header_and_buf(struct dcc_conn *c, const char *token, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR,
                    "%s body of %zu bytes is too large for the protocol", token, len);
    int rc = dcc_wire_write_token(c, token, (uint32_t)len);
    return rc ? rc : dcc_wire_write(c, data, len);
}

int dcc_bulk_send_buf(struct dcc_conn *c, const char *token, const void *data, size_t len,
                      enum dcc_compress how)
{
    if (how == DCC_COMPRESS_NONE || len == 0)
        return send_header_and_buf(c, token, data, len);
    char *z;
    size_t zlen;
    int rc = how == DCC_COMPRESS_ZSTD
                 ? dcc_zstd_compress(data, len, c->zstd_level, &z, &zlen, c->err, sizeof c->err)
                 : dcc_lzo_compress(data, len, &z, &zlen, c->err, sizeof c->err);
    if (rc)
        return rc;
    rc = send_header_and_buf(c, token, z, zlen);
    free(z);
    return rc;
}

/* Reads a whole regular file into memory (for compression). */
static int slurp_fd(struct dcc_conn *c, int fd, size_t size, char **out)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return fail(c, DCC_EXIT_OUT_OF_MEMORY, "out of memory reading a %zu-byte file", size);
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return fail_local(c, DCC_EXIT_IO_ERROR, "cannot read file: %s",
                              n < 0 ? strerror(errno) : "it shrank");
        }
        got += (size_t)n;
    }
    buf[size] = '\0';
    *out = buf;
    return 0;
}

static int send_plain_fd(struct dcc_conn *c, int fd, size_t size)
{
    off_t off = 0;
    while ((size_t)off < size) {
        struct pollfd p = {.fd = c->out_fd, .events = POLLOUT};
        int pr = poll(&p, 1, c->timeout_ms > 0 ? c->timeout_ms : -1);
        if (pr == 0)
            return c->timeout_ms % 1000
                       ? fail(c, DCC_EXIT_TIMEOUT, "timed out after %d ms waiting to write to peer",
                              c->timeout_ms)
                       : fail(c, DCC_EXIT_TIMEOUT, "timed out after %d s waiting to write to peer",
                              c->timeout_ms / 1000);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            return fail(c, DCC_EXIT_IO_ERROR, "poll failed: %s", strerror(errno));
        }
        ssize_t n = sendfile(c->out_fd, fd, &off, size - (size_t)off);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0 && (errno == EINVAL || errno == ENOSYS) && off == 0)
            break; /* this fd pair cannot sendfile: copy below */
        if (n < 0)
            return fail(
                c, errno == EPIPE || errno == ECONNRESET ? DCC_EXIT_TRUNCATED : DCC_EXIT_IO_ERROR,
                "sending file failed: %s", strerror(errno));
        if (n == 0)
            return fail_local(c, DCC_EXIT_IO_ERROR, "file shrank while being sent");
        c->bytes_out += (uint64_t)n;
    }
    if ((size_t)off == size)
        return 0;
    char *buf;
    int rc = slurp_fd(c, fd, size, &buf);
    if (rc)
        return rc;
    rc = dcc_wire_write(c, buf, size);
    free(buf);
    return rc;
}

int dcc_bulk_send_fd(struct dcc_conn *c, const char *token, int fd, enum dcc_compress how)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return fail_local(c, DCC_EXIT_IO_ERROR, "cannot stat file: %s", strerror(errno));
    if (st.st_size < 0 || (uint64_t)st.st_size > UINT32_MAX)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR,
                    "%s file of %lld bytes is too large for the protocol", token,
                    (long long)st.st_size);
    size_t size = (size_t)st.st_size;
    if (how == DCC_COMPRESS_NONE || size == 0) {
        int rc = dcc_wire_write_token(c, token, (uint32_t)size);
        return rc ? rc : send_plain_fd(c, fd, size);
    }
    char *buf;
    int rc = slurp_fd(c, fd, size, &buf);
    if (rc)
        return rc;
    rc = dcc_bulk_send_buf(c, token, buf, size, how);
    free(buf);
    return rc;
}

int dcc_bulk_send_file(struct dcc_conn *c, const char *token, const char *path,
                       enum dcc_compress how)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail_local(c, errno == ENOENT ? DCC_EXIT_NO_SUCH_FILE : DCC_EXIT_IO_ERROR,
                          "cannot open %s: %s", path, strerror(errno));
    int rc = dcc_bulk_send_fd(c, token, fd, how);
    close(fd);
    return rc;
}

static int check_body_len(struct dcc_conn *c, uint32_t wire_len)
{
    if ((uint64_t)wire_len > c->limits.max_body)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR, "body of %u bytes exceeds the limit of %llu bytes",
                    wire_len, (unsigned long long)c->limits.max_body);
    return 0;
}

int dcc_bulk_recv_body_buf(struct dcc_conn *c, uint32_t wire_len, enum dcc_compress how,
                           char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int rc = check_body_len(c, wire_len);
    if (rc)
        return rc;
    /* In memory, the body and what it inflates to share one budget. */
    uint64_t mem = c->limits.max_body_mem;
    if ((uint64_t)wire_len >= mem)
        return fail(c, DCC_EXIT_PROTOCOL_ERROR,
                    "body of %u bytes does not fit the memory limit of %llu bytes", wire_len,
                    (unsigned long long)mem);
    uint64_t inflate_cap = c->limits.max_body < mem - wire_len ? c->limits.max_body
                                                               : mem - wire_len;
    /* Memory follows the bytes that really arrive: a header that merely
     * claims a large body reserves nothing. */
    size_t cap = wire_len < 1024 * 1024 ? wire_len : 1024 * 1024;
    char *raw = malloc(cap + 1);
    if (!raw)
        return fail(c, DCC_EXIT_OUT_OF_MEMORY, "out of memory for a %u-byte body", wire_len);
    size_t got = 0;
    while (got < wire_len) {
        if (got == cap) {
            size_t grown = cap * 2 < wire_len ? cap * 2 : wire_len;
            char *p = realloc(raw, grown + 1);
            if (!p) {
                free(raw);
                return fail(c, DCC_EXIT_OUT_OF_MEMORY, "out of memory for a %u-byte body",
                            wire_len);
            }
            raw = p;
            cap = grown;
        }
        uint64_t before = c->bytes_in;
        rc = dcc_wire_read(c, raw + got, cap - got);
        if (rc) {
            free(raw);
            if (rc == DCC_EXIT_TRUNCATED) /* count from the whole body, not this chunk */
                snprintf(c->err, sizeof c->err,
                         "peer closed the connection with %llu bytes still expected",
                         (unsigned long long)(wire_len - got - (c->bytes_in - before)));
            return rc;
        }
        got = cap;
    }
    raw[wire_len] = '\0';
    if (how == DCC_COMPRESS_NONE || wire_len == 0) {
        *data = raw;
        *len = wire_len;
        return 0;
    }
    rc = how == DCC_COMPRESS_ZSTD
             ? dcc_zstd_decompress(raw, wire_len, inflate_cap, data, len, c->err, sizeof c->err)
             : dcc_lzo_decompress(raw, wire_len, inflate_cap, data, len, c->err, sizeof c->err);
    free(raw);
    return rc;
}

int dcc_bulk_recv_buf(struct dcc_conn *c, const char *token, enum dcc_compress how, char **data,
                      size_t *len)
{
    uint32_t wire_len;
    *data = NULL;
    *len = 0;
    int rc = dcc_wire_read_token(c, token, &wire_len);
    return rc ? rc : dcc_bulk_recv_body_buf(c, wire_len, how, data, len);
}

/* socket -> pipe -> file without copying through user space. Returns 1 when
 * splice is not possible for these fds (nothing consumed), 0 or an exit code. */
static int splice_to_fd(struct dcc_conn *c, uint32_t len, int fd)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return 1;
    uint32_t left = len;
    int rc = 0, first = 1;
    struct dcc_wire_progress prog = {0, 0};
    while (left > 0) {
        rc = dcc_wire_wait_input(c, &prog);
        if (rc)
            break;
        ssize_t n = splice(c->in_fd, NULL, pipefd[1], NULL, left,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0 && first && (errno == EINVAL || errno == ENOSYS)) {
            rc = 1;
            break;
        }
        if (n < 0) {
            rc = fail(c, errno == ECONNRESET ? DCC_EXIT_TRUNCATED : DCC_EXIT_IO_ERROR,
                      "read failed: %s", strerror(errno));
            break;
        }
        if (n == 0) {
            rc = fail(c, DCC_EXIT_TRUNCATED,
                      "peer closed the connection with %u bytes still expected", left);
            break;
        }
        first = 0;
        c->bytes_in += (uint64_t)n;
        dcc_wire_progress_add(&prog, (size_t)n);
        if (c->whole_rate)
            dcc_wire_progress_add(&c->phase, (size_t)n);
        left -= (uint32_t)n;
        ssize_t moved = 0;
        while (moved < n) {
            ssize_t m = splice(pipefd[0], NULL, fd, NULL, (size_t)(n - moved), SPLICE_F_MOVE);
            if (m < 0 && errno == EINTR)
                continue;
            if (m <= 0) {
                rc = fail_local(c, DCC_EXIT_IO_ERROR, "cannot write file: %s",
                                m < 0 ? strerror(errno) : "no progress");
                break;
            }
            moved += m;
        }
        if (rc)
            break;
    }
    close(pipefd[0]);
    close(pipefd[1]);
    return rc;
}

int dcc_bulk_recv_body_fd(struct dcc_conn *c, uint32_t wire_len, enum dcc_compress how, int fd,
                          uint64_t *len)
{
    if (len)
        *len = 0;
    int rc = check_body_len(c, wire_len);
    if (rc)
        return rc;
    if (how == DCC_COMPRESS_NONE && wire_len > 0) {
        rc = splice_to_fd(c, wire_len, fd);
        if (rc == 0 && len)
            *len = wire_len;
        if (rc != 1)
            return rc;
    }
    char *data;
    size_t dlen;
    rc = dcc_bulk_recv_body_buf(c, wire_len, how, &data, &dlen);
    if (rc)
        return rc;
    rc = dcc_bulk_write_fd(c, fd, data, dlen);
    free(data);
    if (rc == 0 && len)
        *len = dlen;
    return rc;
}

int dcc_bulk_recv_fd(struct dcc_conn *c, const char *token, enum dcc_compress how, int fd,
                     uint64_t *len)
{
    uint32_t wire_len;
    int rc = dcc_wire_read_token(c, token, &wire_len);
    return rc ? rc : dcc_bulk_recv_body_fd(c, wire_len, how, fd, len);
}
