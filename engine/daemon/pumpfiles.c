/* Protocol 3's request in one distccd job: CDIR and the arguments, then the
 * client's files (NFIL, NAME with FILE or LINK) written under the job's
 * root without ever following a link, checked with daemon/dcc_pump. */
#include "job.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "proto/dcc_caps.h"
#include "proto/dcc_hcwire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The body of a string packet whose header (len) has been read. NUL bytes
 * are kept for the caller to refuse with the name, instead of hanging up. */
static int read_string_body(struct dcc_conn *c, const char *token, uint32_t len, char **out)
{
    *out = NULL;
    if (len > c->limits.max_arg_len) {
        snprintf(c->err, sizeof c->err, "%s of %u bytes exceeds the limit of %u", token, len,
                 c->limits.max_arg_len);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    char *s = malloc((size_t)len + 1);
    if (!s) {
        snprintf(c->err, sizeof c->err, "out of memory for a %u-byte %s", len, token);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    int rc = dcc_wire_read(c, s, len);
    if (rc) {
        free(s);
        return rc;
    }
    s[len] = '\0';
    *out = s;
    return 0;
}

/* Opens the directory that holds path (a checked client path) under the
 * root, or with whole the directory path itself, creating what is missing
 * one component at a time, at most DCC_PUMP_MAX_DIRS in all (*dirs counts
 * them for the job). Never follows a symlink: an earlier LINK cannot
 * redirect a later write. *last is the final component of path (without
 * whole). Returns an fd, or -1 with the reason in why. */
static int open_client_dir(int rootfd, const char *path, int whole, unsigned *dirs,
                           const char **last, char *why, size_t whylen)
{
    int fd = rootfd;
    const char *p = path + 1;
    for (;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (!whole && p[n] == '\0')) {
            *last = p;
            return fd == rootfd ? dup(rootfd) : fd;
        }
        char comp[256];
        snprintf(comp, sizeof comp, "%.*s", (int)n, p);
        int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 && errno == ENOENT) {
            if (*dirs >= DCC_PUMP_MAX_DIRS) {
                snprintf(why, whylen, "the job's files would need more than %d directories",
                         DCC_PUMP_MAX_DIRS);
                if (fd != rootfd)
                    close(fd);
                return -1;
            }
            if (mkdirat(fd, comp, 0700) != 0) {
                snprintf(why, whylen, "cannot create %.*s: %s", (int)(p + n - path), path,
                         strerror(errno));
                if (fd != rootfd)
                    close(fd);
                return -1;
            }
            (*dirs)++;
            sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (sub < 0) {
            struct stat st;
            int is_link = fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
            snprintf(why, whylen, "%.*s is %s", (int)(p + n - path), path,
                     is_link ? "a symbolic link" : "not a directory");
            if (fd != rootfd)
                close(fd);
            return -1;
        }
        if (fd != rootfd)
            close(fd);
        fd = sub;
        p += n;
        if (*p == '\0') {
            *last = p;
            return fd;
        }
        p++;
    }
}

/* Why name (the last component, in dirfd) cannot be created anew. */
static const char *exists_why(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return "it is a directory holding an earlier NAME";
    return "it was sent twice";
}

/* The directory that is to hold NAME name under the root, made as needed
 * (open_client_dir), with *last its final component; -1 once the job is
 * refused. */
static int open_name_dir(struct job *j, int rootfd, const char *name, const char **last)
{
    char why[400];
    int dirfd = open_client_dir(rootfd, name, 0, &j->pump_dirs, last, why, sizeof why);
    if (dirfd < 0)
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name, why);
    return dirfd;
}

/* Creates NAME name under the root for writing; -1 once the job is
 * refused (why is in it). */
static int create_pump_file(struct job *j, int rootfd, const char *name)
{
    const char *last;
    int dirfd = open_name_dir(j, rootfd, name, &last);
    if (dirfd < 0)
        return -1;
    int fd = openat(dirfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            dccd_refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name,
                        exists_why(dirfd, last));
        else
            dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot create NAME \"%.300s\" in the job: %s", name,
                        strerror(errno));
    }
    close(dirfd);
    return fd;
}

/* A directory placeholder (dcc_pump_is_dir_placeholder): the directories
 * that hold it are made, as for any NAME, and the empty file is not. No
 * compile reads it, and on a helper's disk each file made and removed per
 * job is an inode allocated and freed: a stock include server sends one
 * for every directory a header's path climbs through. */
static void make_pump_dir(struct job *j, int rootfd, const char *name)
{
    const char *last;
    int dirfd = open_name_dir(j, rootfd, name, &last);
    if (dirfd >= 0)
        close(dirfd);
}

/* Creates NAME name under the root and writes the FILE body (wire_len bytes
 * on the wire) into it as it arrives, as DOTI is in protocols 1 and 2, and
 * adds its size to *total. 0, or the wire error when the body broke off or
 * could not be written (the rest of it is then still on the wire). */
static int store_pump_file(struct job *j, int rootfd, const char *name, uint32_t wire_len,
                           uint64_t *total)
{
    struct dcc_conn *c = &j->conn;
    int fd = create_pump_file(j, rootfd, name);
    if (fd < 0)
        return dcc_wire_discard(c, wire_len);
    /* One body is bounded by --max-body-size (an LZO body is decompressed
     * within it); the sum is checked right after, so the job's files never
     * count more than the limit once it is accepted. */
    uint64_t len = 0;
    int rc = dcc_bulk_recv_body_fd(c, wire_len, j->how, fd, &len);
    if (rc && c->local_fault && j->how != DCC_COMPRESS_NONE) {
        /* An LZO body is all read before it is written: the request can
         * go on, and the client hears why (a full disk, say). */
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot write NAME \"%.300s\" in the job: %s", name,
                    c->err);
        rc = 0;
    }
    if (close(fd) != 0 && !rc)
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot write NAME \"%.300s\" in the job: %s", name,
                    strerror(errno));
    *total += len;
    return rc;
}

/* NAME name under the root with the bytes of data, from the header cache
 * or a body already read: the job's own copy, so nothing it does to the
 * file reaches the cache. */
static void write_pump_file(struct job *j, int rootfd, const char *name, const char *data,
                            size_t len)
{
    int fd = create_pump_file(j, rootfd, name);
    if (fd < 0)
        return;
    struct dcc_conn *c = &j->conn;
    if (dcc_bulk_write_fd(c, fd, data, len) != 0)
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot write NAME \"%.300s\" in the job: %s", name,
                    c->err);
    if (close(fd) != 0)
        dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot write NAME \"%.300s\" in the job: %s", name,
                    strerror(errno));
}

/* Makes the link (its target re-made by dcc_pump_link_target) and keeps it
 * for dcc_pump_check_link_beneath, once every file is in place. */
static void store_pump_link(struct job *j, int rootfd, const char *name, const char *target,
                            size_t len)
{
    char why[400];
    char *to = dcc_pump_link_target(name, target, len, why, sizeof why);
    if (!to) {
        dccd_refuse(j, errno == ENOMEM ? DCC_EXIT_OUT_OF_MEMORY : DCC_EXIT_ACCESS_DENIED,
                    "LINK \"%.300s\" -> \"%.200s\" is refused: %s", name, target, why);
        return;
    }
    if (j->nlinks == j->links_cap) {
        size_t cap = j->links_cap ? 2 * j->links_cap : 16;
        struct pump_link *grown = realloc(j->links, cap * sizeof *grown);
        if (!grown) {
            dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory for LINK \"%.300s\"", name);
            free(to);
            return;
        }
        j->links = grown;
        j->links_cap = cap;
    }
    struct pump_link *l = &j->links[j->nlinks];
    l->name = strdup(name);
    l->sent = strdup(target);
    l->made = to;
    if (!l->name || !l->sent) {
        dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory for LINK \"%.300s\"", name);
        free(l->name);
        free(l->sent);
        free(to);
        return;
    }
    j->nlinks++;
    const char *last;
    int dirfd = open_name_dir(j, rootfd, name, &last);
    if (dirfd < 0)
        return;
    if (symlinkat(to, dirfd, last) != 0) {
        if (errno == EEXIST)
            dccd_refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name,
                        exists_why(dirfd, last));
        else
            dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot create LINK \"%.300s\" in the job: %s", name,
                        strerror(errno));
    }
    close(dirfd);
}

/* A stock client's link to one of its compiler's default include
 * directories: no link is made (nothing in the job points out of it); path
 * options under the directory keep naming the helper's own. */
static void keep_system_dir(struct job *j, const char *name)
{
    if (j->nsystem_dirs >= DCC_PUMP_MAX_SYSTEM_DIRS) {
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED,
                    "LINK \"%.300s\" is refused: more than %d system directories", name,
                    DCC_PUMP_MAX_SYSTEM_DIRS);
        return;
    }
    char *copy = strdup(name);
    if (!copy) {
        dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory for LINK \"%.300s\"", name);
        return;
    }
    j->system_dirs[j->nsystem_dirs++] = copy;
}

void dccd_pump_free(struct job *j)
{
    for (size_t i = 0; i < j->nsystem_dirs; i++)
        free(j->system_dirs[i]);
    j->nsystem_dirs = 0;
    j->system_dirs[0] = NULL;
}

static void free_pump_links(struct job *j)
{
    for (size_t i = 0; i < j->nlinks; i++) {
        free(j->links[i].name);
        free(j->links[i].sent);
        free(j->links[i].made);
    }
    free(j->links);
    j->links = NULL;
    j->nlinks = j->links_cap = 0;
}

/* Every link, now that all are in place: one that passed the lexical check
 * alone can still lead out through another ("t -> s/../..", "s -> ..."),
 * and the compiler follows links when it writes its dump files. */
static void check_pump_links(struct job *j, int rootfd)
{
    char why[300];
    for (size_t i = 0; i < j->nlinks && !j->refusal[0]; i++) {
        const struct pump_link *l = &j->links[i];
        if (dcc_pump_check_link_beneath(rootfd, l->name, l->made, why, sizeof why) != 0)
            dccd_refuse(j, errno == ENOMEM ? DCC_EXIT_OUT_OF_MEMORY : DCC_EXIT_ACCESS_DENIED,
                        "LINK \"%.300s\" -> \"%.200s\" is refused: %s", l->name, l->sent, why);
    }
}

/* Adds n bytes to the job's total; refuses the job (naming name) once the
 * files and the names and link targets that came with them exceed
 * --max-body-size. */
static void count_pump_bytes(struct job *j, const char *name, uint64_t *total, uint64_t n)
{
    *total += n;
    if (*total > j->conn.limits.max_body)
        dccd_refuse(
            j, DCC_EXIT_ACCESS_DENIED,
            "NAME \"%.300s\" is refused: the job's files, names and links add up to more than the limit of "
            "%llu bytes (--max-body-size)",
            name, (unsigned long long)j->conn.limits.max_body);
}

/* DCC_FEAT_HCACHE: the files the client named by digest. Those in the
 * cache are copied into the root as they come; the others wait, in the
 * order of their DGST, for their bodies after MISS. */
struct hc_wanted {
    char *name;
    unsigned char digest[DCC_HC_DIGEST_LEN];
};

struct hc_request {
    uint32_t digests;         /* DGST packets so far */
    unsigned char *miss;      /* the MISS bitmap, one bit per DGST */
    struct hc_wanted *wanted; /* the set bits' names and digests */
    size_t nwanted, cap;
    uint64_t name_bytes; /* held in wanted, bounded by --max-body-memory */
    unsigned hits;
    uint64_t hit_bytes, sent_bytes;
};

static void hc_request_free(struct hc_request *hc)
{
    for (size_t i = 0; i < hc->nwanted; i++)
        free(hc->wanted[i].name);
    free(hc->wanted);
    free(hc->miss);
}

/* NAME name named by digest d, the index-th DGST: from the cache into the
 * root, or wanted. */
static void take_digest(struct job *j, int rootfd, const char *name,
                        const unsigned char d[DCC_HC_DIGEST_LEN], uint32_t index,
                        struct hc_request *hc, uint64_t *total)
{
    char err[300];
    char *data = NULL;
    size_t len = 0;
    if (dcc_hcache_get(j->cfg->hcache, d, j->conn.limits.max_body, &data, &len, err, sizeof err)) {
        write_pump_file(j, rootfd, name, data, len);
        free(data);
        hc->hits++;
        hc->hit_bytes += len;
        count_pump_bytes(j, name, total, len);
        return;
    }
    size_t nlen = strlen(name) + 1;
    hc->name_bytes += nlen;
    if (hc->name_bytes > j->conn.limits.max_body_mem) {
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED,
                    "NAME \"%.300s\" is refused: the names of the files to send take more than "
                    "%llu bytes (--max-body-memory)",
                    name, (unsigned long long)j->conn.limits.max_body_mem);
        return;
    }
    if (hc->nwanted == hc->cap) {
        size_t cap = hc->cap ? 2 * hc->cap : 64;
        struct hc_wanted *grown = realloc(hc->wanted, cap * sizeof *grown);
        if (!grown) {
            dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory for NAME \"%.300s\"", name);
            return;
        }
        hc->wanted = grown;
        hc->cap = cap;
    }
    struct hc_wanted *w = &hc->wanted[hc->nwanted];
    w->name = strdup(name);
    if (!w->name) {
        dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory for NAME \"%.300s\"", name);
        return;
    }
    memcpy(w->digest, d, sizeof w->digest);
    hc->nwanted++;
    dcc_hcwire_set_bit(hc->miss, index);
}

/* MISS, then the wanted bodies: each is filed in the cache under the digest
 * computed here, and must have the digest its DGST named (else the job is
 * refused: its client sent something else than it said). A refused job
 * asks for nothing. */
static int receive_wanted(struct job *j, int rootfd, struct hc_request *hc, uint64_t *total)
{
    struct dcc_conn *c = &j->conn;
    size_t nask = hc->nwanted;
    if (j->refusal[0] || rootfd < 0) {
        memset(hc->miss, 0, dcc_hcwire_miss_len(hc->digests));
        nask = 0;
    }
    int rc = dcc_hcwire_write_miss(c, hc->miss, hc->digests);
    for (size_t i = 0; i < nask && !rc; i++) {
        const struct hc_wanted *w = &hc->wanted[i];
        uint32_t blen;
        rc = dcc_wire_read_token(c, DCC_TOK_FILE, &blen);
        if (rc)
            break;
        if (blen > c->limits.max_body) {
            snprintf(c->err, sizeof c->err, "FILE of %u bytes exceeds the limit of %llu", blen,
                     (unsigned long long)c->limits.max_body);
            rc = DCC_EXIT_PROTOCOL_ERROR;
            break;
        }
        if (j->refusal[0]) {
            rc = dcc_wire_discard(c, blen);
            continue;
        }
        char *data = NULL;
        size_t len = 0;
        rc = dcc_bulk_recv_body_buf(c, blen, j->how, &data, &len);
        if (rc)
            break;
        unsigned char d[DCC_HC_DIGEST_LEN];
        char err[300];
        if (dcc_hcache_put(j->cfg->hcache, data, len, d, err, sizeof err) < 0)
            dcc_warn("header cache: %s", err);
        if (memcmp(d, w->digest, sizeof d) != 0)
            dccd_refuse(
                j, DCC_EXIT_PROTOCOL_ERROR,
                "NAME \"%.300s\" is refused: its FILE does not have the digest its DGST named",
                w->name);
        else
            write_pump_file(j, rootfd, w->name, data, len);
        free(data);
        hc->sent_bytes += len;
        if (!j->refusal[0])
            count_pump_bytes(j, w->name, total, len);
    }
    if (!rc)
        dcc_info("header cache: %u of %u files from the cache (%llu bytes), %zu sent (%llu bytes)",
                 hc->hits, hc->digests, (unsigned long long)hc->hit_bytes, nask,
                 (unsigned long long)hc->sent_bytes);
    return rc;
}

/* One NAME and its FILE or LINK. Once the job is refused, bodies are read
 * and thrown away, so the refusal can still be answered. */
static int receive_pump_file(struct job *j, int rootfd, uint64_t *total, struct hc_request *hc)
{
    struct dcc_conn *c = &j->conn;
    uint32_t len;
    char *name = NULL, *target = NULL;
    int rc = dcc_wire_read_token(c, DCC_TOK_NAME, &len);
    if (!rc)
        rc = read_string_body(c, DCC_TOK_NAME, len, &name);
    int which;
    uint32_t blen;
    unsigned char digest[DCC_HC_DIGEST_LEN];
    if (!rc && hc)
        rc = dcc_hcwire_read_entry(c, &which, &blen);
    else if (!rc)
        rc = dcc_wire_read_either(c, DCC_TOK_FILE, DCC_TOK_LINK, &which, &blen);
    if (!rc && which == 2)
        rc = dcc_hcwire_read_digest_body(c, blen, digest);
    if (rc)
        goto out;
    uint32_t index = 0;
    if (which == 2) {
        blen = 0; /* read */
        index = hc->digests++;
    }
    uint64_t cap = which == 0 ? c->limits.max_body : c->limits.max_arg_len;
    if (blen > cap) {
        snprintf(c->err, sizeof c->err, "%s of %u bytes exceeds the limit of %llu",
                 which ? DCC_TOK_LINK : DCC_TOK_FILE, blen, (unsigned long long)cap);
        rc = DCC_EXIT_PROTOCOL_ERROR;
        goto out;
    }
    char why[300];
    if (!j->refusal[0] && dcc_pump_check_path(name, len, 0, why, sizeof why) != 0)
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED, "NAME \"%.300s\" is refused: %s", name, why);
    if (!j->refusal[0] && rootfd >= 0 && strlen(j->root) + len >= PATH_MAX)
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED,
                    "NAME \"%.300s\" is refused: it is too long inside the job directory", name);
    if (!j->refusal[0])
        count_pump_bytes(j, name, total, (uint64_t)len + (which == 1 ? blen : 0));
    if (j->refusal[0] || rootfd < 0) {
        rc = dcc_wire_discard(c, blen);
        goto out;
    }
    if (which == 2) {
        take_digest(j, rootfd, name, digest, index, hc, total);
        goto out;
    }
    if (which == 1) {
        rc = read_string_body(c, DCC_TOK_LINK, blen, &target);
        if (!rc && dcc_pump_is_system_link(name, target, blen))
            keep_system_dir(j, name);
        else if (!rc)
            store_pump_link(j, rootfd, name, target, blen);
        goto out;
    }
    if (dcc_pump_is_dir_placeholder(name, blen)) {
        make_pump_dir(j, rootfd, name);
        goto out;
    }
    rc = store_pump_file(j, rootfd, name, blen, total);
    if (!rc && !j->refusal[0])
        count_pump_bytes(j, name, total, 0);
out:
    free(name);
    free(target);
    return rc;
}

int dccd_pump_read_head(struct job *j)
{
    struct dcc_conn *c = &j->conn;
    uint32_t len;
    char why[300];
    int rc = dcc_wire_read_token(c, DCC_TOK_CDIR, &len);
    if (!rc)
        rc = read_string_body(c, DCC_TOK_CDIR, len, &j->cdir);
    if (rc)
        return rc;
    if (dcc_pump_check_path(j->cdir, len, 1, why, sizeof why) != 0)
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED, "CDIR \"%.300s\" is refused: %s", j->cdir, why);
    return dcc_wire_read_argv(c, &j->argv);
}

/* Checked as protocol 2 is (by the caller), the files go under the job's
 * root (jobdir/root_XXXXXX); root + CDIR becomes the compiler's working
 * directory and the arguments are rewritten to match. A refused request
 * is read to its end. */
int dccd_pump_receive_files(struct job *j)
{
    struct dcc_conn *c = &j->conn;
    char why[300];
    uint32_t nfil;
    int rc = dcc_wire_read_token(c, DCC_TOK_NFIL, &nfil);
    if (rc)
        return rc;
    if (nfil > c->limits.max_files) {
        /* Not read to its end: that could take any time. */
        snprintf(c->err, sizeof c->err, "NFIL %u exceeds the limit of %u", nfil,
                 c->limits.max_files);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    if (!j->refusal[0] && dccd_take_slot(j) != 0)
        return 0;
    if (j->has_slot)
        dcc_wire_measure_from_now(c); /* as for DOTI: no pauses from here */
    int rootfd = -1;
    if (!j->refusal[0] && j->root[0]) {
        rootfd = open(j->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfd < 0)
            dccd_refuse(j, DCC_EXIT_IO_ERROR, "cannot open %s: %s", j->root, strerror(errno));
    }
    uint64_t total = 0;
    struct hc_request hcr = {0};
    struct hc_request *hc = j->features & DCC_FEAT_HCACHE ? &hcr : NULL;
    if (hc && !(hc->miss = calloc(dcc_hcwire_miss_len(nfil) + 1, 1))) {
        snprintf(c->err, sizeof c->err, "out of memory for NFIL %u", nfil);
        rc = DCC_EXIT_OUT_OF_MEMORY;
    }
    for (uint32_t i = 0; i < nfil && rc == 0; i++)
        rc = receive_pump_file(j, rootfd, &total, hc);
    if (hc && !rc)
        rc = receive_wanted(j, rootfd, hc, &total);
    if (hc)
        hc_request_free(hc);
    if (!rc && rootfd >= 0)
        check_pump_links(j, rootfd);
    free_pump_links(j);
    if (rc || j->refusal[0]) {
        if (rootfd >= 0)
            close(rootfd);
        return rc;
    }

    const char *last;
    int cwdfd = open_client_dir(rootfd, j->cdir, 1, &j->pump_dirs, &last, why, sizeof why);
    close(rootfd);
    if (cwdfd < 0) {
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED, "CDIR \"%.300s\" is refused: %s", j->cdir, why);
        return 0;
    }
    close(cwdfd);
    int n = snprintf(j->cwd, sizeof j->cwd, "%s%s", j->root,
                     strcmp(j->cdir, "/") == 0 ? "" : j->cdir);
    if (n < 0 || (size_t)n >= sizeof j->cwd) {
        dccd_refuse(j, DCC_EXIT_ACCESS_DENIED,
                    "CDIR \"%.300s\" is refused: it is too long inside the job directory", j->cdir);
        return 0;
    }
    struct dcc_pump_paths paths = {
        .root = j->root, .output = j->output, .deps = j->deps, .system_dirs = j->system_dirs};
    char err[200];
    int rewrite = dcc_pump_rewrite_args(&j->argv, &j->scan, &paths, err, sizeof err);
    if (rewrite != 0)
        dccd_refuse(j, rewrite == -2 ? DCC_EXIT_ACCESS_DENIED : DCC_EXIT_OUT_OF_MEMORY, "%s", err);
    /* The files are all here, so nothing can start early; -pipe still
     * lets the assembler run beside the compiler instead of after it. */
    else if (j->cfg->early_start && dcc_args_early_start(&j->argv, &j->scan) < 0)
        dccd_refuse(j, DCC_EXIT_OUT_OF_MEMORY, "out of memory rewriting the arguments");
    return 0;
}
