/* The daemon's content-addressed header cache: entries named by the digest
 * of their bytes, a ledger of what they are charged under flock(2), and
 * least-recently-used eviction by mtime. */
#include "daemon/dcc_hcache.h"

#include "base/dcc_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENTRY_DIR "o"
#define TMP_DIR "tmp"
#define LEDGER "ledger"

uint64_t dcc_hcache_charge(uint64_t len)
{
    return (len + 4095) / 4096 * 4096 + 1024;
}

int dcc_hcache_open(struct dcc_hcache *hc, const char *dir, uint64_t limit, int create, char *err,
                    size_t errlen)
{
    memset(hc, 0, sizeof *hc);
    hc->dirfd = hc->lockfd = -1;
    hc->limit = limit;
    if (strlen(dir) >= sizeof hc->path) {
        snprintf(err, errlen, "header cache directory %.100s... is too long", dir);
        return -1;
    }
    snprintf(hc->path, sizeof hc->path, "%s", dir);
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the header cache directory %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the header cache directory %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat the header cache directory %s: %s", dir,
                 strerror(errno));
        close(fd);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(
            err, errlen,
            "the header cache directory %s belongs to uid %u, not to the daemon's user (uid %u)",
            dir, (unsigned)st.st_uid, (unsigned)geteuid());
        close(fd);
        return -1;
    }
    if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0) {
        snprintf(err, errlen, "cannot make the header cache directory %s private (0700): %s", dir,
                 strerror(errno));
        close(fd);
        return -1;
    }
    if ((mkdirat(fd, ENTRY_DIR, 0700) != 0 && errno != EEXIST) ||
        (mkdirat(fd, TMP_DIR, 0700) != 0 && errno != EEXIST)) {
        snprintf(err, errlen, "cannot set up the header cache directory %s: %s", dir,
                 strerror(errno));
        close(fd);
        return -1;
    }
    hc->dirfd = fd;
    return 0;
}

void dcc_hcache_close(struct dcc_hcache *hc)
{
    if (hc->dirfd >= 0)
        close(hc->dirfd);
    if (hc->lockfd >= 0)
        close(hc->lockfd);
    hc->dirfd = hc->lockfd = -1;
}

/* The ledger, locked for this process: flock(2) locks belong to an open
 * file, which a forked job process shares with the daemon, so each process
 * opens its own. */
static int lock_ledger(struct dcc_hcache *hc)
{
    if (hc->lockfd >= 0 && hc->lockpid != getpid()) {
        close(hc->lockfd);
        hc->lockfd = -1;
    }
    if (hc->lockfd < 0) {
        hc->lockfd = openat(hc->dirfd, LEDGER, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (hc->lockfd < 0)
            return -1;
        hc->lockpid = getpid();
    }
    while (flock(hc->lockfd, LOCK_EX) != 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

static void unlock_ledger(struct dcc_hcache *hc)
{
    flock(hc->lockfd, LOCK_UN);
}

static uint64_t read_ledger(const struct dcc_hcache *hc)
{
    uint64_t v = 0;
    if (pread(hc->lockfd, &v, sizeof v, 0) != (ssize_t)sizeof v)
        return 0;
    return v;
}

static void write_ledger(const struct dcc_hcache *hc, uint64_t v)
{
    (void)!pwrite(hc->lockfd, &v, sizeof v, 0);
}

/* Adds (or with sub, takes away) charge; under the lock. */
static void ledger_add(struct dcc_hcache *hc, uint64_t charge, int sub)
{
    uint64_t v = read_ledger(hc);
    write_ledger(hc, sub ? (v > charge ? v - charge : 0) : v + charge);
}

static void entry_path(const unsigned char d[DCC_HC_DIGEST_LEN], char *dir, size_t dirlen,
                       char *path, size_t pathlen)
{
    char hex[DCC_HC_HEX_LEN + 1];
    dcc_hcwire_hex(d, hex);
    snprintf(dir, dirlen, ENTRY_DIR "/%.2s", hex);
    snprintf(path, pathlen, ENTRY_DIR "/%.2s/%s", hex, hex);
}

static int is_entry_name(const char *name, const char *dirname)
{
    if (strlen(name) != DCC_HC_HEX_LEN || strncmp(name, dirname, 2) != 0)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static void drop_entry(struct dcc_hcache *hc, const char *path, uint64_t size)
{
    if (lock_ledger(hc) != 0)
        return;
    if (unlinkat(hc->dirfd, path, 0) == 0)
        ledger_add(hc, dcc_hcache_charge(size), 1);
    unlock_ledger(hc);
}

int dcc_hcache_get(struct dcc_hcache *hc, const unsigned char d[DCC_HC_DIGEST_LEN], uint64_t max,
                   char **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    char dir[16], path[128];
    entry_path(d, dir, sizeof dir, path, sizeof path);
    int fd = openat(hc->dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    struct stat st;
    struct dcc_buf buf = {0};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max ||
        dcc_read_regular_fd(fd, path, (size_t)max, "a header", &buf, err, errlen) != 0) {
        close(fd);
        return 0; /* the client sends it */
    }
    unsigned char got[DCC_HC_DIGEST_LEN];
    dcc_hcwire_digest(buf.data, buf.len, got);
    if (memcmp(got, d, sizeof got) != 0) {
        /* Damaged on disk, or changed by something that is not this
         * cache: never handed to a job. */
        dcc_buf_free(&buf);
        close(fd);
        drop_entry(hc, path, (uint64_t)st.st_size);
        return 0;
    }
    if (st.st_mtime < time(NULL) - DCC_HCACHE_TOUCH_SECONDS)
        futimens(fd, NULL); /* the entry's last use, for eviction */
    close(fd);
    *data = buf.data;
    *len = buf.len;
    return 1;
}

/* --- Scanning and eviction ---------------------------------------------- */

struct scan_entry {
    struct timespec used;
    uint64_t charge;
    char name[DCC_HC_HEX_LEN + 1];
};

static int by_age(const void *a, const void *b)
{
    const struct scan_entry *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    if (x->used.tv_nsec != y->used.tv_nsec)
        return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* A directory under at, for readdir; NULL when there is none. */
static DIR *open_dir_at(int at, const char *name)
{
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0)
        close(fd);
    return d;
}

/* The temporaries: those of live processes count with the charge in their
 * name, the rest go. */
static uint64_t scan_temporaries(struct dcc_hcache *hc, struct dcc_hcache_scan *st)
{
    uint64_t total = 0;
    DIR *d = open_dir_at(hc->dirfd, TMP_DIR);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        unsigned long long charge;
        long pid;
        unsigned n;
        char end;
        if (sscanf(e->d_name, "%llu.%ld.%u%c", &charge, &pid, &n, &end) == 3 && pid > 0 &&
            (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
            total += charge;
            continue;
        }
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            st->removed++;
    }
    closedir(d);
    return total;
}

/* Appends the entries of o/XX to *v. -1 when out of memory. */
static int scan_entry_dir(int entfd, const char *xx, struct scan_entry **v, size_t *n, size_t *cap,
                          struct dcc_hcache_scan *st)
{
    DIR *d = open_dir_at(entfd, xx);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISREG(sb.st_mode) || !is_entry_name(e->d_name, xx)) {
            if (unlinkat(dirfd(d), e->d_name, S_ISDIR(sb.st_mode) ? AT_REMOVEDIR : 0) == 0)
                st->removed++;
            continue;
        }
        if (*n == *cap) {
            size_t c = *cap ? 2 * *cap : 1024;
            struct scan_entry *g = realloc(*v, c * sizeof *g);
            if (!g) {
                rc = -1;
                break;
            }
            *v = g;
            *cap = c;
        }
        struct scan_entry *s = &(*v)[(*n)++];
        s->used = sb.st_mtim;
        s->charge = dcc_hcache_charge((uint64_t)sb.st_size);
        memcpy(s->name, e->d_name, sizeof s->name);
    }
    closedir(d);
    return rc;
}

/* Under the lock: counts, cleans and evicts so that need more bytes fit,
 * and writes the ledger (without need). */
static int scan_locked(struct dcc_hcache *hc, uint64_t need, struct dcc_hcache_scan *st, char *err,
                       size_t errlen)
{
    memset(st, 0, sizeof *st);
    uint64_t total = scan_temporaries(hc, st);
    int entfd = openat(hc->dirfd, ENTRY_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (entfd < 0) {
        snprintf(err, errlen, "cannot open the header cache's %s: %s", ENTRY_DIR, strerror(errno));
        return -1;
    }
    struct scan_entry *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (int i = 0; i < 256 && rc == 0; i++) {
        char xx[3];
        snprintf(xx, sizeof xx, "%02x", i);
        rc = scan_entry_dir(entfd, xx, &v, &n, &cap, st);
    }
    if (rc) {
        snprintf(err, errlen, "out of memory scanning the header cache");
        free(v);
        close(entfd);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        total += v[i].charge;
    if (total + need > hc->limit) {
        uint64_t low = hc->limit / 8 * DCC_HCACHE_LOW_WATER_EIGHTHS;
        qsort(v, n, sizeof *v, by_age);
        for (size_t i = 0; i < n && total + need > low; i++) {
            char path[DCC_HC_HEX_LEN + 8];
            snprintf(path, sizeof path, "%.2s/%s", v[i].name, v[i].name);
            if (unlinkat(entfd, path, 0) == 0 || errno == ENOENT) {
                total -= v[i].charge;
                st->evicted++;
            }
        }
    }
    st->entries = n - st->evicted;
    st->bytes = total;
    write_ledger(hc, total);
    free(v);
    close(entfd);
    return 0;
}

int dcc_hcache_scan(struct dcc_hcache *hc, struct dcc_hcache_scan *st, char *err, size_t errlen)
{
    if (lock_ledger(hc) != 0) {
        snprintf(err, errlen, "cannot lock the header cache's ledger in %s: %s", hc->path,
                 strerror(errno));
        return -1;
    }
    int rc = scan_locked(hc, 0, st, err, errlen);
    unlock_ledger(hc);
    return rc;
}

uint64_t dcc_hcache_charged(struct dcc_hcache *hc)
{
    if (lock_ledger(hc) != 0)
        return 0;
    uint64_t v = read_ledger(hc);
    unlock_ledger(hc);
    return v;
}

/* Writes all of len bytes to fd; 0, or -1 with errno. */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int dcc_hcache_put(struct dcc_hcache *hc, const void *data, size_t len,
                   unsigned char d[DCC_HC_DIGEST_LEN], char *err, size_t errlen)
{
    dcc_hcwire_digest(data, len, d);
    uint64_t charge = dcc_hcache_charge(len);
    if (charge > hc->limit / DCC_HCACHE_LARGEST_PART)
        return 0;
    char dir[16], path[128];
    entry_path(d, dir, sizeof dir, path, sizeof path);
    if (faccessat(hc->dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return 0; /* a get found it missing or damaged first: it is whole now */

    /* The temporary is made and charged in one step under the lock, so a
     * scan always counts it. */
    if (lock_ledger(hc) != 0) {
        snprintf(err, errlen, "cannot lock the header cache's ledger in %s: %s", hc->path,
                 strerror(errno));
        return -1;
    }
    struct dcc_hcache_scan st;
    if (read_ledger(hc) + charge > hc->limit && scan_locked(hc, charge, &st, err, errlen) != 0) {
        unlock_ledger(hc);
        return -1;
    }
    char tmp[96];
    snprintf(tmp, sizeof tmp, TMP_DIR "/%llu.%ld.%u", (unsigned long long)charge, (long)getpid(),
             hc->seq++);
    int fd = openat(hc->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a header cache entry in %s: %s", hc->path,
                 strerror(errno));
        unlock_ledger(hc);
        return -1;
    }
    ledger_add(hc, charge, 0);
    unlock_ledger(hc);

    int werr = write_all(fd, data, len) != 0 ? errno : 0;
    if (close(fd) != 0 && !werr)
        werr = errno;
    if (!werr && mkdirat(hc->dirfd, dir, 0700) != 0 && errno != EEXIST)
        werr = errno;
    int added = 0;
    if (lock_ledger(hc) != 0) {
        /* Cannot happen once the ledger is open; the temporary goes at the
         * next scan. */
        snprintf(err, errlen, "cannot lock the header cache's ledger in %s: %s", hc->path,
                 strerror(errno));
        return -1;
    }
    if (!werr && linkat(hc->dirfd, tmp, hc->dirfd, path, 0) == 0)
        added = 1;
    else if (!werr && errno != EEXIST)
        werr = errno;
    unlinkat(hc->dirfd, tmp, 0);
    if (!added)
        ledger_add(hc, charge, 1);
    unlock_ledger(hc);
    if (werr) {
        snprintf(err, errlen, "cannot write a header cache entry in %s: %s", hc->path,
                 strerror(werr));
        return -1;
    }
    return added;
}
