/* Bulk bodies of the distcc protocol (DOTI, DOTO, SERR, SOUT, DOTD, FILE):
 * plain, one LZO1X-1 block per body, or (between our programs) one zstd
 * frame per body, with bounded decompression. */
#ifndef DCC_BULK_H
#define DCC_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "proto/dcc_wire.h"

enum dcc_compress {
    DCC_COMPRESS_NONE = 0,
    DCC_COMPRESS_LZO1X = 1,
    DCC_COMPRESS_ZSTD = 2, /* ours only: DCC_FEAT_ZSTD (proto/dcc_caps.h) */
};

/* How bodies travel in protocol protover (1-3) for a request that uses
 * features (DCC_FEAT_*): none in 1, LZO in 2 and 3, zstd with DCC_FEAT_ZSTD. */
enum dcc_compress dcc_bulk_how(uint32_t protover, unsigned features);

/* zstd levels a sender may use; the default is fast, for a LAN. */
#define DCC_ZSTD_DEFAULT_LEVEL 1
#define DCC_ZSTD_MIN_LEVEL 1
#define DCC_ZSTD_MAX_LEVEL 19

/* One LZO1X-1 block. Returns 0, or a distcc exit code with one line in err.
 * Decompression never produces more than cap bytes: a body that would is a
 * protocol error (109), found without allocating more than cap + 1 bytes. */
int dcc_lzo_compress(const void *in, size_t inlen, char **out, size_t *outlen, char *err,
                     size_t errlen);
int dcc_lzo_decompress(const void *in, size_t inlen, uint64_t cap, char **out, size_t *outlen,
                       char *err, size_t errlen);

/* One zstd frame at level (0: the default), its content size in its header.
 * Decompression insists on exactly one frame that declares its size, and
 * refuses a size above cap before allocating anything: a frame that says
 * less than it holds, or more, is a protocol error (109). */
int dcc_zstd_compress(const void *in, size_t inlen, int level, char **out, size_t *outlen,
                      char *err, size_t errlen);
int dcc_zstd_decompress(const void *in, size_t inlen, uint64_t cap, char **out, size_t *outlen,
                        char *err, size_t errlen);

/* Sending. A length-0 body is always sent raw as length 0. Plain bodies from
 * an fd go out with sendfile(2) where the kernel allows. */
int dcc_bulk_send_buf(struct dcc_conn *c, const char *token, const void *data, size_t len,
                      enum dcc_compress how);
int dcc_bulk_send_fd(struct dcc_conn *c, const char *token, int fd, enum dcc_compress how);
int dcc_bulk_send_file(struct dcc_conn *c, const char *token, const char *path,
                       enum dcc_compress how);

/* Receiving: reads the header (insisting on token) and the body. Buffers are
 * NUL-terminated (not counted in *len). Every length is checked against
 * c->limits.max_body before allocation. */
int dcc_bulk_recv_buf(struct dcc_conn *c, const char *token, enum dcc_compress how, char **data,
                      size_t *len);
/* Writes the body to fd (plain bodies use splice(2) where possible). */
int dcc_bulk_recv_fd(struct dcc_conn *c, const char *token, enum dcc_compress how, int fd,
                     uint64_t *len);

/* The same, for when the header has already been read (FILE in protocol 3). */
int dcc_bulk_recv_body_buf(struct dcc_conn *c, uint32_t wire_len, enum dcc_compress how,
                           char **data, size_t *len);
int dcc_bulk_recv_body_fd(struct dcc_conn *c, uint32_t wire_len, enum dcc_compress how, int fd,
                          uint64_t *len);

/* Writes all of buf to a file fd; 0 or an exit code (107) with err in c. */
int dcc_bulk_write_fd(struct dcc_conn *c, int fd, const void *buf, size_t len);

#endif
