/* distcc-config --set-hosts, --get-hosts and --makeopts. */
#include "config.h"

#include "admin/dcc_envd.h"
#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "base/dcc_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct found_hosts {
    char *text;
    enum dcc_hosts_source src;
    char path[PATH_MAX + 32];
    char sysconfdir[PATH_MAX];
};

/* Looks the host list up in distcc's order, with the system file under --root. */
static int find_hosts(const struct cfg *c, struct found_hosts *f)
{
    char err[512];
    if (cfg_path(c, DCC_SYSCONFDIR, f->sysconfdir, sizeof f->sysconfdir) != 0)
        return CFG_EXIT_USAGE;
    if (dcc_hosts_find(f->sysconfdir, &f->text, &f->src, f->path, sizeof f->path, err,
                       sizeof err) != 0)
        return cfg_fail(DCC_EXIT_IO_ERROR, "%s", err);
    return 0;
}

static const char *source_label(const struct found_hosts *f, char *buf, size_t buflen)
{
    switch (f->src) {
    case DCC_HOSTS_FROM_ENV:
        snprintf(buf, buflen, "$DISTCC_HOSTS");
        break;
    case DCC_HOSTS_FROM_USER:
        snprintf(buf, buflen, "%s (the user's file)", f->path);
        break;
    case DCC_HOSTS_FROM_SYSTEM:
        snprintf(buf, buflen, "%s (the system file)", f->path);
        break;
    case DCC_HOSTS_FROM_NONE:
        snprintf(buf, buflen, "nowhere");
        break;
    }
    return buf;
}

static int no_hosts_configured(const struct found_hosts *f)
{
    char dir[PATH_MAX], ignored[256];
    if (dcc_hosts_distcc_dir(dir, sizeof dir, ignored, sizeof ignored) != 0)
        snprintf(dir, sizeof dir, "~/.distcc");
    return cfg_fail(
        DCC_EXIT_NO_HOSTS,
        "no hosts configured ($DISTCC_HOSTS is unset, %s/hosts and %s/distcc/hosts do not exist); "
        "set them with distcc-config --set-hosts \"HOST...\"",
        dir, f->sysconfdir);
}

int cfg_set_hosts(struct cfg *c)
{
    struct dcc_buf text = {0};
    int oom = dcc_buf_append(&text, "", 0);
    for (size_t i = 0; i < c->n_values; i++) {
        oom |= i ? dcc_buf_append(&text, " ", 1) : 0;
        oom |= dcc_buf_appends(&text, c->values[i]);
    }
    if (!oom && (text.len == 0 || text.data[text.len - 1] != '\n'))
        oom |= dcc_buf_append(&text, "\n", 1);
    if (oom) {
        dcc_buf_free(&text);
        return cfg_fail(DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    }

    char err[512];
    struct dcc_hostlist list;
    if (dcc_hosts_parse(text.data, &list, err, sizeof err) != 0) {
        dcc_buf_free(&text);
        return cfg_fail(DCC_EXIT_BAD_HOSTSPEC, "%s; nothing was written", err);
    }
    size_t n_hosts = list.n;
    int zeroconf = list.zeroconf;
    dcc_hosts_free(&list);
    if (n_hosts == 0 && !zeroconf) {
        dcc_buf_free(&text);
        return cfg_fail(DCC_EXIT_NO_HOSTS, "the list names no host; give at least one, "
                                           "e.g. distcc-config --set-hosts \"localhost box/4\"");
    }

    char dir[PATH_MAX], path[PATH_MAX + 8];
    if (geteuid() == 0) {
        if (cfg_path(c, DCC_SYSCONFDIR "/distcc", dir, sizeof dir) != 0) {
            dcc_buf_free(&text);
            return CFG_EXIT_USAGE;
        }
    } else if (dcc_hosts_distcc_dir(dir, sizeof dir, err, sizeof err) != 0) {
        dcc_buf_free(&text);
        return cfg_fail(CFG_EXIT_USAGE, "%s; set DISTCC_DIR or HOME", err);
    }
    snprintf(path, sizeof path, "%s/hosts", dir);

    int rc = 0;
    if (dcc_envd_mkdirs(dir, 0755, NULL, err, sizeof err) != 0 ||
        dcc_envd_write_file(path, text.data, text.len, 0644, err, sizeof err) != 0)
        rc = cfg_fail(DCC_EXIT_IO_ERROR, "%s", err);
    dcc_buf_free(&text);
    if (rc)
        return rc;
    printf("wrote %zu host%s%s to %s\n", n_hosts, n_hosts == 1 ? "" : "s",
           zeroconf ? " and +zeroconf" : "", path);

    /* A file nobody reads is a common surprise: say what wins over it. */
    struct found_hosts f = {0};
    if (find_hosts(c, &f) == 0) {
        if (f.src == DCC_HOSTS_FROM_ENV)
            printf("note: $DISTCC_HOSTS is set in this environment and wins over %s\n", path);
        else if (f.src != DCC_HOSTS_FROM_NONE && strcmp(f.path, path) != 0)
            printf("note: %s is read first and wins over %s for this user\n", f.path, path);
    }
    free(f.text);
    return 0;
}

int cfg_get_hosts(struct cfg *c)
{
    struct found_hosts f = {0};
    int rc = find_hosts(c, &f);
    if (rc)
        return rc;
    if (f.src == DCC_HOSTS_FROM_NONE)
        return no_hosts_configured(&f);

    char label[PATH_MAX + 64];
    printf("# from %s\n", source_label(&f, label, sizeof label));
    size_t len = strlen(f.text);
    fputs(f.text, stdout);
    if (len == 0 || f.text[len - 1] != '\n')
        putchar('\n');

    char err[512];
    struct dcc_hostlist list;
    if (dcc_hosts_parse(f.text, &list, err, sizeof err) != 0) {
        rc = cfg_fail(DCC_EXIT_BAD_HOSTSPEC, "%s in %s; fix it with distcc-config --set-hosts", err,
                      f.src == DCC_HOSTS_FROM_ENV ? "$DISTCC_HOSTS" : f.path);
    } else {
        if (list.n == 0 && !list.zeroconf)
            rc = cfg_fail(DCC_EXIT_NO_HOSTS,
                          "%s names no host; set them with distcc-config --set-hosts",
                          f.src == DCC_HOSTS_FROM_ENV ? "$DISTCC_HOSTS" : f.path);
        dcc_hosts_free(&list);
    }
    free(f.text);
    return rc;
}

/* "box/4", "[::1]/4", "user@box/8": enough to recognise the host. */
static int append_host_label(struct dcc_buf *b, const struct dcc_host *h)
{
    int rc = b->len ? dcc_buf_appends(b, ", ") : 0;
    if (h->mode == DCC_HOST_SSH)
        rc |= dcc_buf_printf(b, "%s@", h->user ? h->user : "");
    if (h->is_ipv6)
        rc |= dcc_buf_printf(b, "[%s]/%d", h->hostname, h->n_slots);
    else
        rc |= dcc_buf_printf(b, "%s/%d", h->hostname, h->n_slots);
    return rc;
}

int cfg_makeopts(struct cfg *c)
{
    struct found_hosts f = {0};
    int rc = find_hosts(c, &f);
    if (rc)
        return rc;

    char err[512];
    struct dcc_hostlist list = {0};
    if (f.text && dcc_hosts_parse(f.text, &list, err, sizeof err) != 0) {
        free(f.text);
        return cfg_fail(DCC_EXIT_BAD_HOSTSPEC, "%s in %s; fix it with distcc-config --set-hosts",
                        err, f.src == DCC_HOSTS_FROM_ENV ? "$DISTCC_HOSTS" : f.path);
    }
    free(f.text);

    long local = sysconf(_SC_NPROCESSORS_ONLN);
    if (local < 1)
        local = 1;
    /* localhost entries are this machine, whose cores are already counted. */
    long long remote = 0;
    int has_localhost = 0;
    struct dcc_buf labels = {0};
    int oom = dcc_buf_append(&labels, "", 0);
    for (size_t i = 0; i < list.n; i++) {
        if (list.hosts[i].mode == DCC_HOST_LOCAL) {
            has_localhost = 1;
            continue;
        }
        remote += list.hosts[i].n_slots;
        oom |= append_host_label(&labels, &list.hosts[i]);
    }
    int zeroconf = list.zeroconf;
    dcc_hosts_free(&list);
    if (oom) {
        dcc_buf_free(&labels);
        return cfg_fail(DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    }

    long long total = local + remote;
    long long jobs = 2 * total + 1;
    printf("MAKEOPTS=\"-j%lld -l%ld\"\n", jobs, local);
    printf("# %ld local core%s + %lld remote slot%s%s%s%s = %lld; -j = 2*%lld+1 = %lld; -l = %ld\n",
           local, local == 1 ? "" : "s", remote, remote == 1 ? "" : "s", labels.len ? " (" : "",
           labels.data, labels.len ? ")" : "", total, total, jobs, local);
    dcc_buf_free(&labels);

    char label[PATH_MAX + 64];
    if (f.src == DCC_HOSTS_FROM_NONE)
        printf("# no host list is configured, so only the local cores count\n");
    else
        printf("# hosts from %s%s%s\n", source_label(&f, label, sizeof label),
               has_localhost ? "; localhost is this machine, counted as its cores" : "",
               zeroconf ? "; +zeroconf helpers are found at run time and not counted" : "");
    return 0;
}
