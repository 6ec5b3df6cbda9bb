/* Unit tests for dcc_bulk: plain, LZO and zstd bodies, sendfile/splice
 * paths, the caps that keep a crafted body from exhausting memory, and LZO
 * bodies as stock distcc 3.4 writes and reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_helpers.h"

#include <fcntl.h>
#include <limits.h>
#include <lzo/lzo1x.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "proto/dcc_bulk.h"
#include "proto/dcc_caps.h"
#include "base/dcc_exit.h"
#include "base/dcc_util.h"

struct pair {
    int a, b;
    struct dcc_conn ca, cb;
    char dir[64];
};

static int setup(void **state)
{
    struct pair *p = calloc(1, sizeof *p);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    p->a = sv[0];
    p->b = sv[1];
    dcc_conn_init(&p->ca, p->a, p->a, 5000);
    dcc_conn_init(&p->cb, p->b, p->b, 5000);
    assert_int_equal(dcc_test_tmpdir(p->dir, sizeof p->dir, "/tmp/test_bulk_XXXXXX"), 0);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    close(p->a);
    close(p->b);
    assert_int_equal(dcc_test_rmtree(p->dir), 0);
    free(p);
    return 0;
}

/* Big bodies do not fit in a socket buffer: send them from a child. */
static pid_t send_in_child(struct pair *p, const char *token, const void *data, size_t len,
                           enum dcc_compress how)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(dcc_bulk_send_buf(&p->ca, token, data, len, how) == 0 ? 0 : 1);
    return pid;
}

static void expect_child_ok(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static char *pattern(size_t len)
{
    char *d = malloc(len);
    for (size_t i = 0; i < len; i++)
        d[i] = (char)("int main(void) { return 0; }\n"[i % 29] ^ (char)(i / 4096));
    return d;
}

static const char *lzo_data_dir(void)
{
    return dcc_test_data_dir("lzo");
}

static void read_whole_file(const char *path, struct dcc_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char chunk[4096];
    size_t got;
    memset(b, 0, sizeof *b);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(dcc_buf_append(b, chunk, got), 0);
    assert_int_equal(ferror(f), 0);
    fclose(f);
}

static void read_lzo_sample(const char *name, struct dcc_buf *b)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", lzo_data_dir(), name);
    read_whole_file(path, b);
}

static void test_lzo_roundtrip_and_compresses(void **state)
{
    (void)state;
    size_t len = 200000;
    char *d = pattern(len);
    char *z, *back, err[256];
    size_t zlen, blen;
    assert_int_equal(dcc_lzo_compress(d, len, &z, &zlen, err, sizeof err), 0);
    assert_true(zlen < len / 4);
    assert_int_equal(dcc_lzo_decompress(z, zlen, 1 << 20, &back, &blen, err, sizeof err), 0);
    assert_int_equal(blen, len);
    assert_memory_equal(back, d, len);
    free(d);
    free(z);
    free(back);
}

static void test_lzo_bomb_is_capped(void **state)
{
    (void)state;
    size_t len = 4 << 20;
    char *zeros = calloc(1, len);
    char *z, *back = NULL, err[256];
    size_t zlen, blen;
    assert_int_equal(dcc_lzo_compress(zeros, len, &z, &zlen, err, sizeof err), 0);
    assert_int_equal(dcc_lzo_decompress(z, zlen, 1 << 20, &back, &blen, err, sizeof err),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(back);
    char want[200];
    snprintf(want, sizeof want,
             "lzo body of %zu bytes decompresses to more than the limit of 1048576 bytes", zlen);
    assert_string_equal(err, want);
    free(zeros);
    free(z);
}

static void test_lzo_corrupt(void **state)
{
    (void)state;
    char junk[64];
    memset(junk, 0xff, sizeof junk);
    char *back = NULL, err[256];
    size_t blen;
    assert_int_equal(dcc_lzo_decompress(junk, sizeof junk, 1 << 20, &back, &blen, err, sizeof err),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(back);
    assert_true(strncmp(err, "corrupt lzo body of 64 bytes", 28) == 0);
}

static void test_zstd_roundtrip_smaller_than_lzo(void **state)
{
    (void)state;
    struct dcc_buf src;
    read_lzo_sample("stock-doti.i", &src);
    char *z, *lz, *back, err[256];
    size_t zlen, lzlen, blen;
    assert_int_equal(dcc_zstd_compress(src.data, src.len, 0, &z, &zlen, err, sizeof err), 0);
    assert_int_equal(dcc_lzo_compress(src.data, src.len, &lz, &lzlen, err, sizeof err), 0);
    assert_true(zlen < lzlen);
    assert_int_equal(ZSTD_getFrameContentSize(z, zlen), src.len);
    assert_int_equal(dcc_zstd_decompress(z, zlen, src.len, &back, &blen, err, sizeof err), 0);
    assert_int_equal(blen, src.len);
    assert_memory_equal(back, src.data, src.len);
    assert_int_equal(back[blen], '\0');
    free(back);
    /* The level reaches the compressor (on a body this small a higher one
     * need not be smaller), and any level reads back. */
    char *z19;
    size_t z19len;
    assert_int_equal(dcc_zstd_compress(src.data, src.len, 19, &z19, &z19len, err, sizeof err), 0);
    assert_true(z19len != zlen);
    assert_int_equal(dcc_zstd_decompress(z19, z19len, src.len, &back, &blen, err, sizeof err), 0);
    assert_int_equal(blen, src.len);
    assert_memory_equal(back, src.data, src.len);
    free(back);
    free(z19);
    free(z);
    free(lz);
    free(src.data);
}

static void test_zstd_bomb_is_refused_by_its_declared_size(void **state)
{
    (void)state;
    size_t len = 16 << 20;
    char *zeros = calloc(1, len);
    char *z, *back = NULL, err[256];
    size_t zlen, blen;
    assert_int_equal(dcc_zstd_compress(zeros, len, 0, &z, &zlen, err, sizeof err), 0);
    free(zeros);
    assert_true(zlen < 4096);
    assert_int_equal(dcc_zstd_decompress(z, zlen, 1 << 20, &back, &blen, err, sizeof err),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(back);
    char want[200];
    snprintf(want, sizeof want,
             "zstd body of %zu bytes decompresses to more than the limit of 1048576 bytes", zlen);
    assert_string_equal(err, want);
    /* Exactly the limit is allowed. */
    assert_int_equal(dcc_zstd_decompress(z, zlen, len, &back, &blen, err, sizeof err), 0);
    assert_int_equal(blen, len);
    free(back);
    free(z);
}

/* A frame that does not say how big it is could only be bounded by
 * inflating it: refused, as a sender of ours never writes one. */
static void test_zstd_frame_without_size_is_refused(void **state)
{
    (void)state;
    const char text[] = "int main(void) { return 0; }\n";
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    assert_int_equal(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0), 0);
    char z[256];
    size_t zlen = ZSTD_compress2(cctx, z, sizeof z, text, sizeof text - 1);
    assert_false(ZSTD_isError(zlen));
    ZSTD_freeCCtx(cctx);
    char *back = NULL, err[256], want[200];
    size_t blen;
    assert_int_equal(dcc_zstd_decompress(z, zlen, 1 << 20, &back, &blen, err, sizeof err),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(back);
    snprintf(want, sizeof want, "zstd body of %zu bytes does not declare its decompressed size",
             zlen);
    assert_string_equal(err, want);
}

static void expect_corrupt_zstd(const char *z, size_t zlen)
{
    char *back = NULL, err[256], want[200];
    size_t blen;
    assert_int_equal(dcc_zstd_decompress(z, zlen, 1 << 20, &back, &blen, err, sizeof err),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(back);
    snprintf(want, sizeof want, "corrupt zstd body of %zu bytes (", zlen);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("unexpected error: %s", err);
}

static void test_zstd_corrupt(void **state)
{
    (void)state;
    char junk[300];
    memset(junk, 0xff, sizeof junk);
    char *back = NULL, err[256];
    size_t blen;
    assert_int_equal(dcc_zstd_decompress(junk, sizeof junk, 1 << 20, &back, &blen, err, sizeof err),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_string_equal(err, "corrupt zstd body of 300 bytes (not a zstd frame)");

    size_t len = 100000;
    char *d = pattern(len), *z;
    size_t zlen;
    assert_int_equal(dcc_zstd_compress(d, len, 0, &z, &zlen, err, sizeof err), 0);
    /* Cut short. */
    expect_corrupt_zstd(z, zlen - 7);
    /* A byte changed inside: the checksum, if nothing before it, says so. */
    for (size_t at = 20; at < zlen; at += zlen / 7) {
        z[at] ^= 0x5a;
        expect_corrupt_zstd(z, zlen);
        z[at] ^= 0x5a;
    }
    free(z);
    free(d);
}

/* The frame's declared size, its real size and the body's length must all
 * agree. */
static void test_zstd_size_mismatch(void **state)
{
    (void)state;
    const char text[] = "int main(void) { return 0; }\n";
    char *z, *back = NULL, err[256], want[200];
    size_t zlen, blen;
    assert_int_equal(dcc_zstd_compress(text, sizeof text - 1, 0, &z, &zlen, err, sizeof err), 0);
    /* A small frame: magic, descriptor (single segment, 1-byte size), size. */
    assert_int_equal((unsigned char)z[5], sizeof text - 1);
    z[5] = (char)(sizeof text + 10); /* says more than it holds */
    expect_corrupt_zstd(z, zlen);
    z[5] = (char)(sizeof text - 5); /* says less */
    expect_corrupt_zstd(z, zlen);
    z[5] = (char)(sizeof text - 1);

    /* Bytes after the frame (another frame, or junk) are not ignored. */
    char two[512];
    memcpy(two, z, zlen);
    memcpy(two + zlen, z, zlen);
    assert_int_equal(dcc_zstd_decompress(two, 2 * zlen, 1 << 20, &back, &blen, err, sizeof err),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(back);
    snprintf(want, sizeof want, "zstd body of %zu bytes has %zu bytes after its frame", 2 * zlen,
             zlen);
    assert_string_equal(err, want);
    assert_int_equal(dcc_zstd_decompress(z, zlen, 1 << 20, &back, &blen, err, sizeof err), 0);
    assert_string_equal(back, text);
    free(back);
    free(z);
}

static void test_plain_buf_roundtrip(void **state)
{
    struct pair *p = *state;
    assert_int_equal(dcc_bulk_send_buf(&p->ca, "SERR", "warning: x\n", 11, DCC_COMPRESS_NONE), 0);
    char *d;
    size_t len;
    assert_int_equal(dcc_bulk_recv_buf(&p->cb, "SERR", DCC_COMPRESS_NONE, &d, &len), 0);
    assert_int_equal(len, 11);
    assert_string_equal(d, "warning: x\n");
    free(d);
}

static void test_empty_lzo_body_is_raw_zero(void **state)
{
    struct pair *p = *state;
    assert_int_equal(dcc_bulk_send_buf(&p->ca, "DOTO", "", 0, DCC_COMPRESS_LZO1X), 0);
    char hdr[13] = {0};
    assert_int_equal(read(p->b, hdr, 12), 12);
    assert_string_equal(hdr, "DOTO00000000");
}

/* 3 MiB through the connection, compressed how, from a child. */
static void big_roundtrip(struct pair *p, const char *token, enum dcc_compress how)
{
    size_t len = 3 << 20;
    char *d = pattern(len);
    pid_t pid = send_in_child(p, token, d, len, how);
    char *got;
    size_t glen;
    assert_int_equal(dcc_bulk_recv_buf(&p->cb, token, how, &got, &glen), 0);
    expect_child_ok(pid);
    assert_int_equal(glen, len);
    assert_memory_equal(got, d, len);
    assert_true(p->cb.bytes_in < len / 4);
    free(got);
    free(d);
}

static void test_big_lzo_roundtrip(void **state)
{
    big_roundtrip(*state, "DOTI", DCC_COMPRESS_LZO1X);
}

static void test_file_plain_roundtrip_via_sendfile_and_splice(void **state)
{
    struct pair *p = *state;
    size_t len = 1 << 20;
    char *d = pattern(len);
    char src[128], dst[128];
    snprintf(src, sizeof src, "%s/src.o", p->dir);
    snprintf(dst, sizeof dst, "%s/dst.o", p->dir);
    int fd = open(src, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_int_equal(write(fd, d, len), (ssize_t)len);
    close(fd);
    pid_t pid = fork();
    if (pid == 0)
        _exit(dcc_bulk_send_file(&p->ca, "DOTO", src, DCC_COMPRESS_NONE) == 0 ? 0 : 1);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
    uint64_t got = 0;
    assert_int_equal(dcc_bulk_recv_fd(&p->cb, "DOTO", DCC_COMPRESS_NONE, out, &got), 0);
    close(out);
    expect_child_ok(pid);
    assert_int_equal(got, len);
    char *back = malloc(len);
    fd = open(dst, O_RDONLY);
    assert_int_equal(read(fd, back, len), (ssize_t)len);
    close(fd);
    assert_memory_equal(back, d, len);
    free(back);
    free(d);
}

static void test_file_lzo_to_fd(void **state)
{
    struct pair *p = *state;
    char src[128], dst[128];
    snprintf(src, sizeof src, "%s/in.i", p->dir);
    snprintf(dst, sizeof dst, "%s/out.i", p->dir);
    FILE *f = fopen(src, "w");
    for (int i = 0; i < 1000; i++)
        fprintf(f, "int v%d = %d;\n", i, i);
    fclose(f);
    assert_int_equal(dcc_bulk_send_file(&p->ca, "DOTI", src, DCC_COMPRESS_LZO1X), 0);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
    uint64_t got = 0;
    assert_int_equal(dcc_bulk_recv_fd(&p->cb, "DOTI", DCC_COMPRESS_LZO1X, out, &got), 0);
    close(out);
    struct stat a, b;
    stat(src, &a);
    stat(dst, &b);
    assert_int_equal(a.st_size, b.st_size);
    assert_int_equal(got, (uint64_t)a.st_size);
}

static void test_missing_file(void **state)
{
    struct pair *p = *state;
    assert_int_equal(dcc_bulk_send_file(&p->ca, "DOTI", "/nonexistent/x.i", DCC_COMPRESS_NONE),
                     DCC_EXIT_NO_SUCH_FILE);
    assert_string_equal(p->ca.err, "cannot open /nonexistent/x.i: No such file or directory");
    assert_int_equal(p->ca.local_fault, 1); /* our file, not the peer */
}

static void test_body_over_cap_not_allocated(void **state)
{
    struct pair *p = *state;
    assert_int_equal(write(p->a, "DOTIffffffff", 12), 12);
    char *d = NULL;
    size_t len;
    assert_int_equal(dcc_bulk_recv_buf(&p->cb, "DOTI", DCC_COMPRESS_NONE, &d, &len),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(d);
    assert_string_equal(p->cb.err,
                        "body of 4294967295 bytes exceeds the limit of 1073741824 bytes");
}

/* An LZO body and what it inflates to share max_body_mem: the inflated
 * part may take only what the body leaves. */
static void test_lzo_body_within_memory_budget(void **state)
{
    struct pair *p = *state;
    size_t n = 1 << 20;
    char *zeros = calloc(1, n);
    assert_non_null(zeros);
    assert_int_equal(dcc_bulk_send_buf(&p->ca, "DOTI", zeros, n, DCC_COMPRESS_LZO1X), 0);
    free(zeros);
    p->cb.limits.max_body_mem = 512 * 1024;
    char *d = NULL;
    size_t len;
    assert_int_equal(dcc_bulk_recv_buf(&p->cb, "DOTI", DCC_COMPRESS_LZO1X, &d, &len),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(d);
    uint64_t wire = p->cb.bytes_in - 12;
    char want[200];
    snprintf(want, sizeof want,
             "lzo body of %llu bytes decompresses to more than the limit of %llu bytes",
             (unsigned long long)wire, (unsigned long long)(512 * 1024 - wire));
    assert_string_equal(p->cb.err, want);
}

static void test_big_zstd_roundtrip_at_the_connection_level(void **state)
{
    struct pair *p = *state;
    p->ca.zstd_level = 3;
    big_roundtrip(p, "DOTO", DCC_COMPRESS_ZSTD);
}

/* A zstd body's declared size counts against the memory the wire body
 * leaves, as an LZO body's output does. */
static void test_zstd_body_within_memory_budget(void **state)
{
    struct pair *p = *state;
    size_t n = 1 << 20;
    char *zeros = calloc(1, n);
    assert_non_null(zeros);
    assert_int_equal(dcc_bulk_send_buf(&p->ca, "FILE", zeros, n, DCC_COMPRESS_ZSTD), 0);
    assert_int_equal(dcc_bulk_send_buf(&p->ca, "FILE", zeros, n, DCC_COMPRESS_ZSTD), 0);
    free(zeros);
    char dst[128];
    snprintf(dst, sizeof dst, "%s/file", p->dir);
    int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    uint64_t got;
    assert_int_equal(dcc_bulk_recv_fd(&p->cb, "FILE", DCC_COMPRESS_ZSTD, fd, &got), 0);
    assert_int_equal(got, n);
    close(fd);
    struct stat st;
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal(st.st_size, n);
    p->cb.limits.max_body_mem = 512 * 1024;
    uint64_t before = p->cb.bytes_in;
    char *d = NULL;
    size_t len;
    assert_int_equal(dcc_bulk_recv_buf(&p->cb, "FILE", DCC_COMPRESS_ZSTD, &d, &len),
                     DCC_EXIT_PROTOCOL_ERROR);
    assert_null(d);
    uint64_t wire = p->cb.bytes_in - before - 12;
    char want[200];
    snprintf(want, sizeof want,
             "zstd body of %llu bytes decompresses to more than the limit of %llu bytes",
             (unsigned long long)wire, (unsigned long long)(512 * 1024 - wire));
    assert_string_equal(p->cb.err, want);
}

static void test_bulk_how_follows_protocol_and_features(void **state)
{
    (void)state;
    assert_int_equal(dcc_bulk_how(1, 0), DCC_COMPRESS_NONE);
    assert_int_equal(dcc_bulk_how(2, 0), DCC_COMPRESS_LZO1X);
    assert_int_equal(dcc_bulk_how(3, 0), DCC_COMPRESS_LZO1X);
    assert_int_equal(dcc_bulk_how(2, DCC_FEAT_ZSTD), DCC_COMPRESS_ZSTD);
    assert_int_equal(dcc_bulk_how(3, DCC_FEAT_ZSTD | DCC_FEAT_HCACHE), DCC_COMPRESS_ZSTD);
    assert_int_equal(dcc_bulk_how(3, DCC_FEAT_HCACHE), DCC_COMPRESS_LZO1X);
}

static void test_truncated_body(void **state)
{
    struct pair *p = *state;
    assert_int_equal(write(p->a, "DOTI00000010abc", 15), 15);
    shutdown(p->a, SHUT_WR);
    char *d = NULL;
    size_t len;
    assert_int_equal(dcc_bulk_recv_buf(&p->cb, "DOTI", DCC_COMPRESS_NONE, &d, &len),
                     DCC_EXIT_TRUNCATED);
    assert_null(d);
    assert_string_equal(p->cb.err, "peer closed the connection with 13 bytes still expected");
    assert_int_equal(p->cb.local_fault, 0);
}

/* The DOTI body stock distcc 3.4 sent for tests/data/lzo/stock-doti.i (see
 * the README there) decodes to exactly that file. */
static void test_lzo_decodes_stock_body(void **state)
{
    (void)state;
    struct dcc_buf src, z;
    read_lzo_sample("stock-doti.i", &src);
    read_lzo_sample("stock-doti.lzo", &z);
    assert_int_equal(src.len, 9891);
    assert_int_equal(z.len, 1678);
    char *back = NULL, err[256];
    size_t blen = 0;
    assert_int_equal(dcc_lzo_decompress(z.data, z.len, 1 << 20, &back, &blen, err, sizeof err), 0);
    assert_int_equal(blen, src.len);
    assert_memory_equal(back, src.data, src.len);
    free(back);
    free(src.data);
    free(z.data);
}

/* The same body as it arrives on the wire, header and all, into a buffer
 * and into a file: the two ways the daemon and client take a body in. */
static void test_lzo_stock_body_from_the_wire(void **state)
{
    struct pair *p = *state;
    struct dcc_buf src, z;
    read_lzo_sample("stock-doti.i", &src);
    read_lzo_sample("stock-doti.lzo", &z);
    for (int to_file = 0; to_file <= 1; to_file++) {
        char hdr[13];
        snprintf(hdr, sizeof hdr, "DOTI%08zx", z.len);
        assert_int_equal(write(p->a, hdr, 12), 12);
        assert_int_equal(write(p->a, z.data, z.len), (ssize_t)z.len);
        if (!to_file) {
            char *got = NULL;
            size_t glen = 0;
            assert_int_equal(dcc_bulk_recv_buf(&p->cb, "DOTI", DCC_COMPRESS_LZO1X, &got, &glen), 0);
            assert_int_equal(glen, src.len);
            assert_memory_equal(got, src.data, src.len);
            free(got);
            continue;
        }
        char path[128];
        snprintf(path, sizeof path, "%s/doti.i", p->dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        uint64_t flen = 0;
        assert_int_equal(dcc_bulk_recv_fd(&p->cb, "DOTI", DCC_COMPRESS_LZO1X, fd, &flen), 0);
        close(fd);
        assert_int_equal(flen, src.len);
        struct dcc_buf back;
        read_whole_file(path, &back);
        assert_int_equal(back.len, src.len);
        assert_memory_equal(back.data, src.data, src.len);
        free(back.data);
    }
    /* Both bodies were read whole: nothing is left on the line. */
    assert_int_equal(p->cb.bytes_in, 2 * (12 + z.len));
    free(src.data);
    free(z.data);
}

/* What we send, stock reads: its receiver (dcc_r_bulk_lzo1x) is liblzo2's
 * lzo1x_decompress_safe on the whole body, called here directly. */
static void test_lzo_our_body_reads_as_stock_reads_it(void **state)
{
    (void)state;
    struct dcc_buf src;
    read_lzo_sample("stock-doti.i", &src);
    char *z = NULL, err[256];
    size_t zlen = 0;
    assert_int_equal(dcc_lzo_compress(src.data, src.len, &z, &zlen, err, sizeof err), 0);
    assert_true(zlen < src.len / 4);
    assert_int_equal(lzo_init(), LZO_E_OK);
    unsigned char *out = malloc(src.len + 64);
    assert_non_null(out);
    lzo_uint olen = src.len + 64;
    assert_int_equal(lzo1x_decompress_safe((const unsigned char *)z, zlen, out, &olen, NULL),
                     LZO_E_OK);
    assert_int_equal(olen, src.len);
    assert_memory_equal(out, src.data, src.len);
    free(out);
    free(z);
    free(src.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lzo_roundtrip_and_compresses),
        cmocka_unit_test(test_lzo_bomb_is_capped),
        cmocka_unit_test(test_lzo_corrupt),
        cmocka_unit_test(test_lzo_decodes_stock_body),
        cmocka_unit_test_setup_teardown(test_lzo_stock_body_from_the_wire, setup, teardown),
        cmocka_unit_test(test_lzo_our_body_reads_as_stock_reads_it),
        cmocka_unit_test(test_zstd_roundtrip_smaller_than_lzo),
        cmocka_unit_test(test_zstd_bomb_is_refused_by_its_declared_size),
        cmocka_unit_test(test_zstd_frame_without_size_is_refused),
        cmocka_unit_test(test_zstd_corrupt),
        cmocka_unit_test(test_zstd_size_mismatch),
        cmocka_unit_test(test_bulk_how_follows_protocol_and_features),
        cmocka_unit_test_setup_teardown(test_plain_buf_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_lzo_body_is_raw_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_lzo_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_plain_roundtrip_via_sendfile_and_splice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_lzo_to_fd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_over_cap_not_allocated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lzo_body_within_memory_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_zstd_roundtrip_at_the_connection_level, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_zstd_body_within_memory_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_body, setup, teardown),
    };
    return cmocka_run_group_tests_name("bulk", tests, NULL, NULL);
}
