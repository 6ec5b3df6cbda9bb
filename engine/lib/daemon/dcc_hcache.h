/* The daemon's content-addressed header cache for protocol 3
 * (DCC_FEAT_HCACHE): files kept under the BLAKE2b-256 of their bytes,
 * computed here, within a size bound, least recently used evicted first,
 * shared by the daemon's job processes and kept across restarts. */
#ifndef DCC_HCACHE_H
#define DCC_HCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/dcc_hcwire.h"

/* Layout under the directory (0700, owned by the daemon's user):
 *   o/XX/HEX   one entry, mode 0400, named by its digest (XX: its first
 *              two hex digits); its mtime is when it was last used
 *   tmp/       entries being written: "CHARGE.PID.N", linked into o/ once
 *              whole, so a reader never sees half an entry
 *   ledger     the bytes charged to the entries (8 bytes), read and
 *              written under flock(2) on the file itself, which also
 *              serialises eviction
 * Each entry is charged its size rounded up to 4 KiB plus 1 KiB (its inode
 * and name), so many tiny files cannot exceed the bound either. */
#define DCC_HCACHE_DEFAULT_SIZE (256ull << 20)
/* An entry larger than the bound divided by this is not kept. */
#define DCC_HCACHE_LARGEST_PART 8
/* Eviction goes down to this many eighths of the bound, so it is rare. */
#define DCC_HCACHE_LOW_WATER_EIGHTHS 7
/* A hit touches the entry's mtime only when it is older than this. */
#define DCC_HCACHE_TOUCH_SECONDS 60

struct dcc_hcache {
    int dirfd;      /* the cache directory, -1 when closed */
    uint64_t limit; /* bytes */
    int lockfd;     /* ledger, opened by each process for itself (flock is per open file) */
    pid_t lockpid;
    unsigned seq; /* temporaries' names */
    char path[4096];
};

/* What a scan found and did. */
struct dcc_hcache_scan {
    uint64_t entries, bytes;   /* after it */
    uint64_t evicted, removed; /* entries evicted; temporaries and strays removed */
};

/* Opens dir (creating it and its parents' last component with mode 0700
 * when create is set); it must be a directory owned by this user, and is
 * made 0700 if it is looser. 0, or -1 with err. */
int dcc_hcache_open(struct dcc_hcache *hc, const char *dir, uint64_t limit, int create, char *err,
                    size_t errlen);
void dcc_hcache_close(struct dcc_hcache *hc);

/* The entry for digest d, read whole into *data (malloc'd, *len bytes,
 * NUL-terminated) when it is at most max bytes and its bytes still have
 * that digest. Returns 1 for a hit, else 0: there is none, it could not be
 * read (err says why), or it did not verify (then it is removed). */
int dcc_hcache_get(struct dcc_hcache *hc, const unsigned char d[DCC_HC_DIGEST_LEN], uint64_t max,
                   char **data, size_t *len, char *err, size_t errlen);

/* Keeps data under its own digest, computed here into d. Returns 1 when it
 * was added, 0 when it was there already or is too large to keep (larger
 * than the bound / DCC_HCACHE_LARGEST_PART), -1 with err when it could not
 * be written (a full disk): the cache stays as it was. */
int dcc_hcache_put(struct dcc_hcache *hc, const void *data, size_t len,
                   unsigned char d[DCC_HC_DIGEST_LEN], char *err, size_t errlen);

/* Counts every entry, removes temporaries of processes that are gone and
 * files that are no entry, evicts least recently used entries until the
 * entries fit the bound (plus room, when they did not fit), and writes the
 * ledger anew. At the daemon's start and whenever a put would pass the
 * bound. 0, or -1 with err. */
int dcc_hcache_scan(struct dcc_hcache *hc, struct dcc_hcache_scan *st, char *err, size_t errlen);

/* The bytes the ledger charges now (for tests and the log). */
uint64_t dcc_hcache_charged(struct dcc_hcache *hc);
/* What an entry of len bytes is charged. */
uint64_t dcc_hcache_charge(uint64_t len);

#endif
