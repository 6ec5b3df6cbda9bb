/* Pump mode with a helper's header cache (DCC_FEAT_HCACHE), the client's
 * side: each file named by its BLAKE2b-256 digest (remembered per build by
 * the file's identity), then only the bodies the helper's MISS asks for. */
#ifndef DCC_HCSEND_H
#define DCC_HCSEND_H

#include <stddef.h>

#include "proto/dcc_bulk.h"
#include "proto/dcc_hcwire.h"
#include "proto/dcc_wire.h"

/* The files named by DGST in one request, in order. */
struct dcc_hcsend {
    char **paths;
    size_t n, cap;
};

/* The digest of the file at path. digest_dir (may be NULL): a directory
 * (pump's, one build) where digests are kept by the file's path, device,
 * inode, size, mtime and ctime, so a header read by many jobs is hashed
 * once; a file changed in the last 2 seconds is not kept (its time stamps
 * may not show a second change). 0, or an exit code with err (115: no such
 * file, 107: unreadable). */
int dcc_hcsend_digest(const char *path, const char *digest_dir, unsigned char d[DCC_HC_DIGEST_LEN],
                      char *err, size_t errlen);

/* After NAME path: DGST with the file's digest, and path kept for
 * dcc_hcsend_finish. 0, or an exit code (c->local_fault set when the file
 * could not be read). */
int dcc_hcsend_file(struct dcc_conn *c, struct dcc_hcsend *s, const char *path,
                    const char *digest_dir);

/* After the last file: flushes (a corked socket is uncorked, and corked
 * again when cork is set), reads MISS and sends one FILE body (compressed
 * as how: LZO, or zstd with DCC_FEAT_ZSTD) per file it names, in order. 0,
 * or an exit code. */
int dcc_hcsend_finish(struct dcc_conn *c, struct dcc_hcsend *s, int cork, enum dcc_compress how);

void dcc_hcsend_free(struct dcc_hcsend *s);

#endif
