/* Protocol 3's header cache on the wire (DCC_FEAT_HCACHE): BLAKE2b-256
 * digests of file contents, the DGST packet that names a file by its digest
 * instead of sending it, and the helper's MISS answer: which of them it
 * lacks. */
#ifndef DCC_HCWIRE_H
#define DCC_HCWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/dcc_wire.h"

/* A request of protocol 3 with DCC_FEAT_HCACHE (DIST 00000203):
 *   DIST CDIR ARGC ARGV... NFIL n, then n times NAME and one of
 *     FILE <len> body      as in protocol 3 (empty files, ...)
 *     LINK <len> target    as in protocol 3
 *     DGST 00000020 d      d: the 32-byte BLAKE2b-256 of the file's bytes
 *   the helper answers MISS <len> bitmap: bit i (byte i / 8, bit i % 8,
 *   least significant first) set when it lacks the i-th DGST's file; len is
 *   (number of DGST + 7) / 8, unused bits are 0;
 *   the client sends one FILE body (LZO, as in protocol 3) per set bit, in
 *   order; then DONE ... as in protocol 3.
 * The helper files every body under the digest it computes itself, and
 * refuses a job whose body does not match its DGST. */
#define DCC_HC_DIGEST_LEN 32
#define DCC_HC_HEX_LEN (2 * DCC_HC_DIGEST_LEN)

/* BLAKE2b-256 of len bytes. */
void dcc_hcwire_digest(const void *data, size_t len, unsigned char out[DCC_HC_DIGEST_LEN]);
/* Lowercase hex, NUL-terminated. */
void dcc_hcwire_hex(const unsigned char d[DCC_HC_DIGEST_LEN], char out[DCC_HC_HEX_LEN + 1]);

/* DGST and its 32 bytes. */
int dcc_hcwire_write_digest(struct dcc_conn *c, const unsigned char d[DCC_HC_DIGEST_LEN]);
/* The body of a DGST whose header said len: anything but 32 is a protocol
 * error (109). */
int dcc_hcwire_read_digest_body(struct dcc_conn *c, uint32_t len,
                                unsigned char d[DCC_HC_DIGEST_LEN]);

/* The header after a NAME in such a request: *which is 0 for FILE, 1 for
 * LINK, 2 for DGST; anything else is a protocol error (109). */
int dcc_hcwire_read_entry(struct dcc_conn *c, int *which, uint32_t *value);

/* Bytes of a bitmap for n digests. */
static inline size_t dcc_hcwire_miss_len(size_t n)
{
    return (n + 7) / 8;
}
static inline int dcc_hcwire_bit(const unsigned char *map, size_t i)
{
    return (map[i / 8] >> (i % 8)) & 1;
}
static inline void dcc_hcwire_set_bit(unsigned char *map, size_t i)
{
    map[i / 8] |= (unsigned char)(1u << (i % 8));
}

/* MISS and the bitmap for n digests. */
int dcc_hcwire_write_miss(struct dcc_conn *c, const unsigned char *map, size_t n);
/* Reads MISS for n digests into a malloc'd bitmap (*map, at least one
 * byte); a length other than dcc_hcwire_miss_len(n) or a bit set past n is
 * a protocol error (109). */
int dcc_hcwire_read_miss(struct dcc_conn *c, size_t n, unsigned char **map);

#endif
