/* Pump's per-build pack of file skeletons: reading it (every length checked,
 * every entry verified before use), looking entries up, writing it atomically. */
#include "client/dcc_skel.h"

#include "base/dcc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The layout (host byte order: the pack never leaves this machine):
 *   header  magic[16], u32 mode, u32 count, u64 total (the file's size),
 *           u64 digest of the index
 *   index   count struct index_slot (the digest of the entry's path, its
 *           offset), sorted by that digest, then by path: a lookup
 *           searches the index alone and reads one entry
 *   entry   struct entry_head, then the path, then the payload; head.digest
 *           covers the rest of the head, the path and the payload. */
static const char skel_magic[16] = "dcc-skel 3\n";

struct pack_head {
    char magic[16];
    uint32_t mode, count;
    uint64_t total, index_digest;
};

struct index_slot {
    uint64_t hash, off;
};

struct entry_head {
    uint64_t digest; /* of everything after this field */
    uint32_t pathlen, len;
    uint64_t dev, ino;
    int64_t size, mtime_s, mtime_ns, ctime_s, ctime_ns, read_at;
    uint64_t content;
};

_Static_assert(sizeof(struct entry_head) == 88, "no padding: the digest covers the bytes");

struct added {
    struct entry_head h;
    char *path;
    unsigned char *payload;
};

struct dcc_skel_pack {
    char *path; /* dir/skeletons-MODE, or dir/NAME */
    char *dir;
    char *name; /* the file's name in dir */
    unsigned mode;
    unsigned char *data; /* the pack as read; NULL: empty */
    size_t size;
    uint32_t count;
    struct added *add;
    size_t nadd, capadd;
    unsigned long hits, misses;
};

#define FNV_OFFSET DCC_FNV1A_INIT

/* FNV-1a's idea eight bytes at a time, each step mixed (a multiply and a
 * shift): every job checks every entry it uses, a megabyte or so, and
 * FNV-1a byte by byte was a tenth of a warm scan. Not a security boundary
 * (see dcc_skel_digest). */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    uint64_t w = len; /* the tail (at most 7 bytes) above its length: "a" and "a\0" differ */
    for (size_t i = 0; i < len; i++)
        w |= (uint64_t)p[i] << (8 * i + 8);
    h = (h ^ w) * 0x100000001b3ULL;
    return h ^ h >> 32;
}

uint64_t dcc_skel_digest(const void *data, size_t len)
{
    return fnv(FNV_OFFSET, data, len);
}

static uint64_t entry_digest(const struct entry_head *h, const void *path, const void *payload)
{
    uint64_t d = fnv(FNV_OFFSET, (const char *)h + sizeof h->digest, sizeof *h - sizeof h->digest);
    d = fnv(d, path, h->pathlen);
    return fnv(d, payload, h->len);
}

/* The entry at index i, bounds-checked (not its digest). NULL when damaged. */
static const unsigned char *entry_at(const struct dcc_skel_pack *p, uint32_t i,
                                     struct entry_head *h)
{
    uint64_t off;
    memcpy(&off,
           p->data + sizeof(struct pack_head) + (size_t)i * sizeof(struct index_slot) +
               offsetof(struct index_slot, off),
           sizeof off);
    if (off > p->size || p->size - off < sizeof *h)
        return NULL;
    memcpy(h, p->data + off, sizeof *h);
    size_t room = p->size - (size_t)off - sizeof *h;
    if (h->pathlen == 0 || h->pathlen > room || h->len > room - h->pathlen)
        return NULL;
    return p->data + off + sizeof *h;
}

/* The pack's bytes, mapped: every job reads a megabyte or more of packs,
 * and copying them in was a sixth of a warm scan. Writers only ever
 * replace a pack by renaming a new one over it, so the mapped file never
 * changes under the reader; a pack cut short in place by something else
 * would end the job with SIGBUS (the pump directory is the build's own).
 * 0, or -1: none. */
static int map_whole(int fd, unsigned char **data, size_t *size)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size < (off_t)sizeof(struct pack_head) || (uint64_t)st.st_size > DCC_SKEL_MAX_BYTES)
        return -1;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED)
        return -1;
    *data = m;
    *size = (size_t)st.st_size;
    return 0;
}

static void pack_read(struct dcc_skel_pack *p)
{
    int fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return;
    unsigned char *data = NULL;
    size_t size = 0;
    int r = map_whole(fd, &data, &size);
    close(fd);
    if (r != 0)
        return;
    struct pack_head h;
    memcpy(&h, data, sizeof h);
    size_t index_len = (size_t)h.count * sizeof(struct index_slot);
    if (memcmp(h.magic, skel_magic, sizeof skel_magic) != 0 || h.mode != p->mode ||
        h.total != size || h.count > (size - sizeof h) / sizeof(struct index_slot) ||
        h.index_digest != fnv(FNV_OFFSET, data + sizeof h, index_len)) {
        munmap(data, size);
        return;
    }
    p->data = data;
    p->size = size;
    p->count = h.count;
}

struct dcc_skel_pack *dcc_skel_open_named(const char *dir, const char *name, unsigned mode)
{
    struct dcc_skel_pack *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->mode = mode;
    if (!(p->dir = strdup(dir)) || !(p->name = strdup(name)) ||
        asprintf(&p->path, "%s/%s", dir, name) < 0) {
        free(p->dir);
        free(p->name);
        free(p);
        return NULL;
    }
    pack_read(p);
    return p;
}

struct dcc_skel_pack *dcc_skel_open(const char *dir, unsigned mode)
{
    char name[32];
    snprintf(name, sizeof name, "skeletons-%x", mode);
    return dcc_skel_open_named(dir, name, mode);
}

static int same_status(const struct entry_head *h, const struct stat *st)
{
    return h->dev == (uint64_t)st->st_dev && h->ino == (uint64_t)st->st_ino &&
           h->size == (int64_t)st->st_size && h->mtime_s == (int64_t)st->st_mtim.tv_sec &&
           h->mtime_ns == (int64_t)st->st_mtim.tv_nsec &&
           h->ctime_s == (int64_t)st->st_ctim.tv_sec && h->ctime_ns == (int64_t)st->st_ctim.tv_nsec;
}

/* Whether path's content still has the digest (a racy entry). */
static int content_matches(const char *path, const struct entry_head *h)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return 0;
    struct dcc_buf b = {0};
    char ignored[64];
    int r = dcc_read_regular_fd(fd, path, 256u << 20, "a header", &b, ignored, sizeof ignored);
    close(fd);
    int same = r == 0 && (int64_t)b.len == h->size &&
               dcc_skel_digest(b.data ? b.data : "", b.len) == h->content;
    dcc_buf_free(&b);
    return same;
}

static int path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : alen < blen ? -1 : alen > blen;
}

static uint64_t path_hash(const char *path, size_t len)
{
    return fnv(FNV_OFFSET, path, len);
}

/* The hash of the index slot i. */
static uint64_t slot_hash(const struct dcc_skel_pack *p, uint32_t i)
{
    uint64_t h;
    memcpy(&h, p->data + sizeof(struct pack_head) + (size_t)i * sizeof(struct index_slot),
           sizeof h);
    return h;
}

static int find_added(const struct dcc_skel_pack *p, const char *path, size_t len)
{
    for (size_t i = p->nadd; i-- > 0;)
        if (path_cmp(p->add[i].path, p->add[i].h.pathlen, path, len) == 0)
            return (int)i;
    return -1;
}

int dcc_skel_find(struct dcc_skel_pack *p, const char *path, const struct stat *st,
                  const unsigned char **payload, size_t *len)
{
    size_t plen = strlen(path);
    int a = find_added(p, path, plen);
    if (a >= 0 && same_status(&p->add[a].h, st)) {
        p->hits++;
        *payload = p->add[a].payload;
        *len = p->add[a].h.len;
        return 1;
    }
    uint64_t want = path_hash(path, plen);
    uint32_t lo = 0, hi = p->data ? p->count : 0;
    while (lo < hi) { /* the first slot with the path's hash */
        uint32_t mid = lo + (hi - lo) / 2;
        if (slot_hash(p, mid) < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint32_t i = lo; p->data && i < p->count && slot_hash(p, i) == want; i++) {
        struct entry_head h;
        const unsigned char *e = entry_at(p, i, &h);
        if (!e)
            break; /* damaged: as if absent */
        if (path_cmp((const char *)e, h.pathlen, path, plen) != 0)
            continue;
        if (!same_status(&h, st) || h.digest != entry_digest(&h, e, e + h.pathlen) ||
            (h.ctime_s + DCC_SKEL_RACY_S > h.read_at && !content_matches(path, &h)))
            break;
        p->hits++;
        *payload = e + h.pathlen;
        *len = h.len;
        return 1;
    }
    p->misses++;
    return 0;
}

int dcc_skel_add(struct dcc_skel_pack *p, const char *path, const struct stat *st, int64_t read_at,
                 uint64_t digest, const void *payload, size_t len)
{
    size_t plen = strlen(path);
    if (plen == 0 || plen > UINT32_MAX || len > UINT32_MAX)
        return 0; /* not kept */
    if (p->nadd == p->capadd) {
        size_t cap = p->capadd ? p->capadd * 2 : 64;
        struct added *v = realloc(p->add, cap * sizeof *v);
        if (!v)
            return -1;
        p->add = v;
        p->capadd = cap;
    }
    struct added *a = &p->add[p->nadd];
    a->path = strdup(path);
    a->payload = malloc(len ? len : 1);
    if (!a->path || !a->payload) {
        free(a->path);
        free(a->payload);
        return -1;
    }
    memcpy(a->payload, payload, len);
    a->h = (struct entry_head){.pathlen = (uint32_t)plen,
                               .len = (uint32_t)len,
                               .dev = (uint64_t)st->st_dev,
                               .ino = (uint64_t)st->st_ino,
                               .size = (int64_t)st->st_size,
                               .mtime_s = (int64_t)st->st_mtim.tv_sec,
                               .mtime_ns = (int64_t)st->st_mtim.tv_nsec,
                               .ctime_s = (int64_t)st->st_ctim.tv_sec,
                               .ctime_ns = (int64_t)st->st_ctim.tv_nsec,
                               .read_at = read_at,
                               .content = digest};
    a->h.digest = entry_digest(&a->h, a->path, a->payload);
    p->nadd++;
    return 0;
}

/* One entry of the pack being written. */
struct out_entry {
    uint64_t hash; /* of the path */
    const struct entry_head *h;
    const char *path;
    const unsigned char *payload;
};

static int out_cmp(const void *a, const void *b)
{
    const struct out_entry *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return path_cmp(x->path, x->h->pathlen, y->path, y->h->pathlen);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *d = data;
    while (len) {
        ssize_t w = write(fd, d, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        d += w;
        len -= (size_t)w;
    }
    return 0;
}

static size_t entry_size(const struct entry_head *h)
{
    return sizeof *h + h->pathlen + h->len;
}

int dcc_skel_save(struct dcc_skel_pack *p)
{
    if (!p->nadd)
        return 0;
    struct entry_head *old = NULL;
    struct out_entry *v = malloc((p->count + p->nadd) * sizeof *v);
    if (p->count && v)
        old = malloc(p->count * sizeof *old);
    if (!v || (p->count && !old)) {
        free(v);
        free(old);
        return -1;
    }
    size_t n = 0, bytes = 0;
    /* the newest entries first: a path added here replaces the pack's */
    for (size_t i = 0; i < p->nadd; i++) {
        if (find_added(p, p->add[i].path, p->add[i].h.pathlen) != (int)i)
            continue;
        v[n++] = (struct out_entry){path_hash(p->add[i].path, p->add[i].h.pathlen), &p->add[i].h,
                                    p->add[i].path, p->add[i].payload};
        bytes += entry_size(&p->add[i].h);
    }
    for (uint32_t i = 0; i < p->count; i++) {
        const unsigned char *e = entry_at(p, i, &old[i]);
        if (!e || old[i].digest != entry_digest(&old[i], e, e + old[i].pathlen) ||
            find_added(p, (const char *)e, old[i].pathlen) >= 0)
            continue;
        size_t sz = entry_size(&old[i]);
        if (bytes + sz + (n + 1) * sizeof(struct index_slot) + sizeof(struct pack_head) >
            DCC_SKEL_MAX_BYTES)
            break; /* bounded: the old entries that do not fit are dropped */
        v[n++] = (struct out_entry){path_hash((const char *)e, old[i].pathlen), &old[i],
                                    (const char *)e, e + old[i].pathlen};
        bytes += sz;
    }
    int rc = -1;
    size_t total = sizeof(struct pack_head) + n * sizeof(struct index_slot) + bytes;
    if (total > DCC_SKEL_MAX_BYTES) {
        free(v);
        free(old);
        return -1;
    }
    qsort(v, n, sizeof *v, out_cmp);
    struct index_slot *index = malloc((n ? n : 1) * sizeof *index);
    char *tmp = NULL;
    if (index && asprintf(&tmp, "%s/.%s-XXXXXX", p->dir, p->name) >= 0) {
        uint64_t off = sizeof(struct pack_head) + n * sizeof(struct index_slot);
        for (size_t i = 0; i < n; i++) {
            index[i] = (struct index_slot){v[i].hash, off};
            off += entry_size(v[i].h);
        }
        struct pack_head h = {.mode = p->mode, .count = (uint32_t)n, .total = total};
        memcpy(h.magic, skel_magic, sizeof skel_magic);
        h.index_digest = fnv(FNV_OFFSET, index, n * sizeof *index);
        int fd = mkstemp(tmp);
        if (fd >= 0) {
            int ok = write_all(fd, &h, sizeof h) == 0 &&
                     write_all(fd, index, n * sizeof *index) == 0;
            for (size_t i = 0; ok && i < n; i++)
                ok = write_all(fd, v[i].h, sizeof *v[i].h) == 0 &&
                     write_all(fd, v[i].path, v[i].h->pathlen) == 0 &&
                     write_all(fd, v[i].payload, v[i].h->len) == 0;
            ok = close(fd) == 0 && ok;
            if (ok && rename(tmp, p->path) == 0)
                rc = 0;
            else
                unlink(tmp);
        }
    } else {
        tmp = NULL;
    }
    free(tmp);
    free(index);
    free(v);
    free(old);
    return rc;
}

void dcc_skel_counts(const struct dcc_skel_pack *p, unsigned long *hits, unsigned long *misses)
{
    *hits = p ? p->hits : 0;
    *misses = p ? p->misses : 0;
}

void dcc_skel_sizes(const struct dcc_skel_pack *p, size_t *entries, size_t *added)
{
    *entries = p ? p->count : 0;
    *added = p ? p->nadd : 0;
}

void dcc_skel_close(struct dcc_skel_pack *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nadd; i++) {
        free(p->add[i].path);
        free(p->add[i].payload);
    }
    free(p->add);
    if (p->data)
        munmap(p->data, p->size);
    free(p->path);
    free(p->dir);
    free(p->name);
    free(p);
}
