/* Pump's per-build cache of file skeletons: what the include scanner made of
 * each file it read (the scanner decides what a skeleton holds), kept in one
 * pack file per lexing mode in pump's directory and shared by the clients of
 * one build. */
#ifndef DCC_SKEL_H
#define DCC_SKEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* A pack larger than this is not read; one that would grow past it starts
 * again with only the newest entries. */
#define DCC_SKEL_MAX_BYTES (64u << 20)
/* A file whose status changed less than this many seconds before it was
 * read may change again without its status showing it (timestamps are
 * coarse): its entry is only used after its content is checked. */
#define DCC_SKEL_RACY_S 2

struct dcc_skel_pack;

/* Opens dir/skeletons-MODE (MODE in hex): an absent, unreadable, damaged or
 * foreign pack reads as empty. NULL on ENOMEM only. */
struct dcc_skel_pack *dcc_skel_open(const char *dir, unsigned mode);

/* The same machinery for another per-build pack: dir/name (no '/' in
 * name), mode kept in its header and checked like a skeleton pack's. The
 * include scanner keeps its include lookups in one ("lookups"): the key is
 * the path looked at, the status is its directory's. */
struct dcc_skel_pack *dcc_skel_open_named(const char *dir, const char *name, unsigned mode);

/* The skeleton kept for path, when the entry is intact and st (the file's
 * status now) has the entry's device, inode, size, mtime and ctime; an
 * entry made while the file was racy is used only when the file's content
 * still has the digest it was made from. Returns 1 with *payload and *len
 * (valid until dcc_skel_close), 0 when there is none, -1 on ENOMEM. */
int dcc_skel_find(struct dcc_skel_pack *p, const char *path, const struct stat *st,
                  const unsigned char **payload, size_t *len);

/* Adds what this process made of path: st its status when read, read_at the
 * time (seconds, CLOCK_REALTIME) it was read, digest dcc_skel_digest of its
 * content. 0 or -1 (ENOMEM). */
int dcc_skel_add(struct dcc_skel_pack *p, const char *path, const struct stat *st, int64_t read_at,
                 uint64_t digest, const void *payload, size_t len);

/* The content digest (a 64-bit FNV-style hash, eight bytes a step: a cache
 * check, not a security boundary: the pack is the user's own, in a
 * directory only the user writes). */
uint64_t dcc_skel_digest(const void *data, size_t len);

/* Writes the pack again with the added entries (an entry added for a path
 * replaces the old one), under a temporary name renamed into place, so a
 * reader sees a whole pack; writers that race lose each other's additions,
 * which the next scan adds again. Nothing is written when nothing was
 * added. Best effort: 0, or -1 when it could not be written. */
int dcc_skel_save(struct dcc_skel_pack *p);

/* Counts since dcc_skel_open: entries used, files not found in the pack. */
void dcc_skel_counts(const struct dcc_skel_pack *p, unsigned long *hits, unsigned long *misses);

/* How many entries the pack held when opened, and how many were added
 * since: for a caller deciding whether a dcc_skel_save (which writes the
 * whole pack) is worth it. */
void dcc_skel_sizes(const struct dcc_skel_pack *p, size_t *entries, size_t *added);

void dcc_skel_close(struct dcc_skel_pack *p);

#endif
