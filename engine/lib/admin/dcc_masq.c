/* Masquerade links: compiler names on PATH and the links in /usr/lib/distcc that follow them. */
#include "admin/dcc_masq.h"

#include "base/dcc_util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The compilers distcc can stand in for; versioned ones may carry -VER. */
static const struct {
    const char *base;
    int versioned;
} compiler_bases[] = {
    {"gcc", 1}, {"g++", 1}, {"clang", 1}, {"clang++", 1}, {"cc", 0}, {"c++", 0}, {"c99", 0},
};

static int is_chost_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* x86_64-pc-linux-gnu, x86_64-linux-gnu, x86_64-w64-mingw32: three parts or more. */
static int is_chost(const char *s, size_t len)
{
    size_t parts = 1, part_len = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '-') {
            if (part_len == 0)
                return 0;
            parts++;
            part_len = 0;
        } else if (is_chost_char(s[i])) {
            part_len++;
        } else {
            return 0;
        }
    }
    return part_len > 0 && parts >= 3;
}

/* "-13", "-13.2.0", "-11.0.0_pre9999": a dash, a digit, then version characters. */
static int is_version_suffix(const char *s)
{
    if (s[0] != '-' || !isdigit((unsigned char)s[1]))
        return 0;
    for (s += 2; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
            return 0;
    return 1;
}

enum dcc_masq_kind dcc_masq_classify(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || strchr(name, '/'))
        return DCC_MASQ_NOT_COMPILER;
    for (size_t b = 0; b < sizeof compiler_bases / sizeof compiler_bases[0]; b++) {
        const char *base = compiler_bases[b].base;
        size_t blen = strlen(base);
        for (size_t p = 0; p + blen <= len; p++) {
            if ((p > 0 && name[p - 1] != '-') || strncmp(name + p, base, blen) != 0)
                continue;
            const char *rest = name + p + blen;
            if (*rest && !(compiler_bases[b].versioned && is_version_suffix(rest)))
                continue;
            if (p == 0)
                return DCC_MASQ_BARE;
            if (is_chost(name, p - 1))
                return DCC_MASQ_CHOST;
        }
    }
    return DCC_MASQ_NOT_COMPILER;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A growable NULL-terminated string array, compatible with dcc_argv_free. */
struct names {
    char **v;
    size_t n, cap;
};

static int names_add(struct names *ns, const char *s)
{
    if (ns->n + 1 >= ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 16;
        char **grown = realloc(ns->v, cap * sizeof *grown);
        if (!grown)
            return -1;
        ns->v = grown;
        ns->cap = cap;
    }
    ns->v[ns->n] = strdup(s);
    if (!ns->v[ns->n])
        return -1;
    ns->v[++ns->n] = NULL;
    return 0;
}

/* Sorts and drops duplicates in place. */
static void names_sort_unique(struct names *ns)
{
    if (ns->n == 0)
        return;
    qsort(ns->v, ns->n, sizeof *ns->v, cmp_str);
    size_t out = 1;
    for (size_t i = 1; i < ns->n; i++) {
        if (strcmp(ns->v[i], ns->v[out - 1]) == 0)
            free(ns->v[i]);
        else
            ns->v[out++] = ns->v[i];
    }
    ns->n = out;
    ns->v[out] = NULL;
}

static int names_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], s) == 0)
            return 1;
    return 0;
}

struct dir_id {
    dev_t dev;
    ino_t ino;
};

/* Scans one PATH directory; 0, or -1 with err on ENOMEM. */
static int scan_dir(int dfd, int staged, int chost_only, struct names *found, char *err,
                    size_t errlen)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        enum dcc_masq_kind kind = dcc_masq_classify(e->d_name);
        if (kind == DCC_MASQ_NOT_COMPILER || (chost_only && kind != DCC_MASQ_CHOST))
            continue;
        struct stat st;
        int usable = fstatat(dfd, e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode) &&
                     (st.st_mode & 0111);
        if (!usable && staged)
            usable = fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        if (usable && names_add(found, e->d_name) != 0) {
            closedir(d);
            dcc_set_err(err, errlen, "out of memory listing compilers");
            return -1;
        }
    }
    closedir(d);
    return 0;
}

int dcc_masq_scan_path(const char *root, const char *path, const char *skip_dir, int chost_only,
                       char ***names, char *err, size_t errlen)
{
    struct names found = {0};
    struct dir_id *seen = NULL;
    size_t n_seen = 0;
    *names = NULL;

    /* The skip dir is recorded as seen, so "/usr/lib/distcc/bin" (the same
     * directory through bin -> .) is skipped as well. */
    struct stat st;
    if (skip_dir && stat(skip_dir, &st) == 0) {
        seen = malloc(sizeof *seen);
        if (!seen)
            goto nomem;
        seen[n_seen++] = (struct dir_id){st.st_dev, st.st_ino};
    }

    const char *p = path ? path : "";
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        const char *entry = p;
        p += len + (colon ? 1 : 0);
        if (len == 0 || entry[0] != '/')
            continue;

        char full[PATH_MAX];
        int n = snprintf(full, sizeof full, "%s%.*s", root, (int)len, entry);
        if (n < 0 || (size_t)n >= sizeof full)
            continue;
        int dfd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            continue;
        if (fstat(dfd, &st) != 0) {
            close(dfd);
            continue;
        }
        int dup = 0;
        for (size_t i = 0; i < n_seen; i++)
            dup |= seen[i].dev == st.st_dev && seen[i].ino == st.st_ino;
        if (dup) {
            close(dfd);
            continue;
        }
        struct dir_id *grown = realloc(seen, (n_seen + 1) * sizeof *grown);
        if (!grown) {
            close(dfd);
            goto nomem;
        }
        seen = grown;
        seen[n_seen++] = (struct dir_id){st.st_dev, st.st_ino};
        if (scan_dir(dfd, root[0] != '\0', chost_only, &found, err, errlen) != 0) {
            free(seen);
            dcc_argv_free(found.v);
            return -1;
        }
    }
    free(seen);
    seen = NULL;
    if (!found.v && !(found.v = calloc(1, sizeof *found.v)))
        goto nomem;
    names_sort_unique(&found);
    *names = found.v;
    return 0;

nomem:
    free(seen);
    dcc_argv_free(found.v);
    dcc_set_err(err, errlen, "out of memory listing compilers");
    return -1;
}

/* Resolves "." and ".." lexically in an absolute path. 0, or -1 if too long. */
static int normalize(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen < 2)
        return -1;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        if (len == 0 || (len == 1 && seg[0] == '.'))
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            continue;
        }
        if (o + 1 + len + 1 > outlen)
            return -1;
        out[o++] = '/';
        memcpy(out + o, seg, len);
        o += len;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return 0;
}

int dcc_masq_owns(const struct dcc_masq_conf *conf, const char *link_text)
{
    if (strcmp(link_text, conf->target) == 0)
        return 1;
    char joined[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
    int n = link_text[0] == '/'
                ? snprintf(joined, sizeof joined, "%s", link_text)
                : snprintf(joined, sizeof joined, "%s/%s", conf->logical_dir, link_text);
    if (n < 0 || (size_t)n >= sizeof joined)
        return 0;
    if (normalize(joined, a, sizeof a) != 0 || normalize(conf->target, b, sizeof b) != 0)
        return 0;
    return strcmp(a, b) == 0;
}

static int report_add(struct dcc_masq_report *rep, enum dcc_masq_action action, const char *name,
                      const char *why)
{
    struct dcc_masq_entry *grown = realloc(rep->entries, (rep->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    rep->entries = grown;
    char *copy = strdup(name);
    if (!copy)
        return -1;
    rep->entries[rep->n++] = (struct dcc_masq_entry){action, copy, why};
    rep->count[action]++;
    return 0;
}

void dcc_masq_report_free(struct dcc_masq_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->n; i++)
        free(rep->entries[i].name);
    free(rep->entries);
    memset(rep, 0, sizeof *rep);
}

/* Why a link of ours to a name that is not wanted goes. */
static const char *removal_reason(const struct dcc_masq_conf *conf, const char *name)
{
    enum dcc_masq_kind kind = dcc_masq_classify(name);
    if (kind == DCC_MASQ_NOT_COMPILER)
        return "not a compiler name";
    if (kind == DCC_MASQ_BARE && conf->chost_only)
        return "not CHOST-prefixed: with crossdev, unqualified calls stay local";
    return "no such compiler on PATH any more";
}

/* Decides and does what one directory entry needs. 0, or -1 with err. */
static int update_one(const struct dcc_masq_conf *conf, int dfd, const char *name, int wanted,
                      struct dcc_masq_report *rep, char *err, size_t errlen)
{
    int is_bin = strcmp(name, "bin") == 0;
    struct stat st;
    enum dcc_masq_action action;
    const char *why = NULL;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) {
            dcc_set_err(err, errlen, "cannot look at %s/%s: %s", conf->dir, name, strerror(errno));
            return -1;
        }
        if (!is_bin && !wanted)
            return 0;
        if (symlinkat(is_bin ? "." : conf->target, dfd, name) != 0) {
            dcc_set_err(err, errlen, "cannot create link %s/%s: %s", conf->dir, name,
                        strerror(errno));
            return -1;
        }
        action = DCC_MASQ_CREATED;
    } else if (!S_ISLNK(st.st_mode)) {
        action = DCC_MASQ_FOREIGN;
        why = S_ISDIR(st.st_mode) ? "a directory, not a link of ours"
                                  : "a file, not a link of ours";
    } else {
        char text[PATH_MAX];
        ssize_t len = readlinkat(dfd, name, text, sizeof text - 1);
        if (len < 0) {
            dcc_set_err(err, errlen, "cannot read link %s/%s: %s", conf->dir, name,
                        strerror(errno));
            return -1;
        }
        text[len] = '\0';
        if (is_bin) {
            int ours = strcmp(text, ".") == 0 || strcmp(text, "./") == 0;
            action = ours ? DCC_MASQ_KEPT : DCC_MASQ_FOREIGN;
            why = ours ? NULL : "a link, but not bin -> .";
        } else if (!dcc_masq_owns(conf, text)) {
            action = DCC_MASQ_FOREIGN;
            why = "a link that does not point at distcc";
        } else if (wanted) {
            action = DCC_MASQ_KEPT;
        } else {
            if (unlinkat(dfd, name, 0) != 0) {
                dcc_set_err(err, errlen, "cannot remove stale link %s/%s: %s", conf->dir, name,
                            strerror(errno));
                return -1;
            }
            action = DCC_MASQ_REMOVED;
            why = removal_reason(conf, name);
        }
    }
    if (report_add(rep, action, name, why) != 0) {
        dcc_set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int dcc_masq_update(const struct dcc_masq_conf *conf, char *const *wanted,
                    struct dcc_masq_report *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    int dfd = open(conf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        dcc_set_err(err, errlen, "cannot open %s: %s", conf->dir, strerror(errno));
        return -1;
    }
    int list_fd = dup(dfd);
    DIR *d = list_fd >= 0 ? fdopendir(list_fd) : NULL;
    if (!d) {
        dcc_set_err(err, errlen, "cannot list %s: %s", conf->dir, strerror(errno));
        if (list_fd >= 0)
            close(list_fd);
        close(dfd);
        return -1;
    }

    /* Every name that exists or should exist, in one sorted pass, so the
     * report reads in order and each name is decided once. */
    struct names all = {0};
    int rc = names_add(&all, "bin");
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = names_add(&all, e->d_name);
    closedir(d);
    for (size_t i = 0; rc == 0 && wanted && wanted[i]; i++) {
        if (wanted[i][0] == '\0' || strchr(wanted[i], '/') || strcmp(wanted[i], ".") == 0 ||
            strcmp(wanted[i], "..") == 0 || strcmp(wanted[i], "bin") == 0) {
            dcc_set_err(err, errlen, "\"%.80s\" cannot be a masquerade link name", wanted[i]);
            dcc_argv_free(all.v);
            close(dfd);
            return -1;
        }
        rc = names_add(&all, wanted[i]);
    }
    if (rc != 0) {
        dcc_set_err(err, errlen, "out of memory");
        dcc_argv_free(all.v);
        close(dfd);
        return -1;
    }
    names_sort_unique(&all);

    for (size_t i = 0; rc == 0 && i < all.n; i++)
        rc = update_one(conf, dfd, all.v[i], names_contains(wanted, all.v[i]), rep, err, errlen);
    dcc_argv_free(all.v);
    close(dfd);
    return rc;
}
