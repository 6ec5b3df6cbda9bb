/* Protocol 3's header cache on the wire: BLAKE2b-256 digests (libb2), DGST
 * and MISS. */
#include "proto/dcc_hcwire.h"

#include "base/dcc_exit.h"

#include <blake2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dcc_hcwire_digest(const void *data, size_t len, unsigned char out[DCC_HC_DIGEST_LEN])
{
    /* Cannot fail with these arguments: the output length is in range and
     * there is no key. */
    blake2b(out, data, NULL, DCC_HC_DIGEST_LEN, len, 0);
}

void dcc_hcwire_hex(const unsigned char d[DCC_HC_DIGEST_LEN], char out[DCC_HC_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < DCC_HC_DIGEST_LEN; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[DCC_HC_HEX_LEN] = '\0';
}

int dcc_hcwire_write_digest(struct dcc_conn *c, const unsigned char d[DCC_HC_DIGEST_LEN])
{
    int rc = dcc_wire_write_token(c, DCC_TOK_DGST, DCC_HC_DIGEST_LEN);
    return rc ? rc : dcc_wire_write(c, d, DCC_HC_DIGEST_LEN);
}

int dcc_hcwire_read_digest_body(struct dcc_conn *c, uint32_t len,
                                unsigned char d[DCC_HC_DIGEST_LEN])
{
    if (len != DCC_HC_DIGEST_LEN) {
        snprintf(c->err, sizeof c->err, "DGST of %u bytes (a digest is %d)", len,
                 DCC_HC_DIGEST_LEN);
        c->local_fault = 0;
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    return dcc_wire_read(c, d, DCC_HC_DIGEST_LEN);
}

int dcc_hcwire_read_entry(struct dcc_conn *c, int *which, uint32_t *value)
{
    static const char *const tokens[] = {DCC_TOK_FILE, DCC_TOK_LINK, DCC_TOK_DGST};
    char hdr[DCC_HEADER_LEN], got[DCC_TOKEN_LEN + 1];
    int rc = dcc_wire_read(c, hdr, sizeof hdr);
    if (rc)
        return rc;
    if (dcc_wire_parse_header(hdr, got, value) == 0)
        for (int i = 0; i < 3; i++)
            if (memcmp(got, tokens[i], DCC_TOKEN_LEN) == 0) {
                *which = i;
                return 0;
            }
    for (int i = 0; i < DCC_TOKEN_LEN; i++)
        got[i] = hdr[i] >= 0x20 && hdr[i] < 0x7f ? hdr[i] : '?';
    got[DCC_TOKEN_LEN] = '\0';
    snprintf(c->err, sizeof c->err, "protocol derailment: expected FILE, LINK or DGST, got %s",
             got);
    c->local_fault = 0;
    return DCC_EXIT_PROTOCOL_ERROR;
}

int dcc_hcwire_write_miss(struct dcc_conn *c, const unsigned char *map, size_t n)
{
    size_t len = dcc_hcwire_miss_len(n);
    int rc = dcc_wire_write_token(c, DCC_TOK_MISS, (uint32_t)len);
    return rc || len == 0 ? rc : dcc_wire_write(c, map, len);
}

int dcc_hcwire_read_miss(struct dcc_conn *c, size_t n, unsigned char **map)
{
    *map = NULL;
    uint32_t len;
    int rc = dcc_wire_read_token(c, DCC_TOK_MISS, &len);
    if (rc)
        return rc;
    size_t want = dcc_hcwire_miss_len(n);
    if (len != want) {
        snprintf(c->err, sizeof c->err, "MISS of %u bytes for %zu digests (expected %zu)", len, n,
                 want);
        c->local_fault = 0;
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    unsigned char *m = calloc(want + 1, 1);
    if (!m) {
        snprintf(c->err, sizeof c->err, "out of memory for MISS");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    if (want && (rc = dcc_wire_read(c, m, want)) != 0) {
        free(m);
        return rc;
    }
    if (n % 8 && (m[want - 1] >> (n % 8))) {
        free(m);
        snprintf(c->err, sizeof c->err, "MISS names a digest past the %zu sent", n);
        c->local_fault = 0;
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    *map = m;
    return 0;
}
