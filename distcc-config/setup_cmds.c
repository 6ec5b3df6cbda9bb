/* distcc-config --install and --update-masquerade[-with-crossdev]. */
#include "config.h"

#include "admin/dcc_envd.h"
#include "base/dcc_exit.h"
#include "admin/dcc_masq.h"
#include "base/dcc_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void print_report(const char *dir, const struct dcc_masq_report *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        const struct dcc_masq_entry *e = &rep->entries[i];
        switch (e->action) {
        case DCC_MASQ_CREATED:
            printf("created %s/%s -> %s\n", dir, e->name,
                   strcmp(e->name, "bin") == 0 ? "." : DCC_MASQ_TARGET);
            break;
        case DCC_MASQ_REMOVED:
            printf("removed %s/%s (%s)\n", dir, e->name, e->why);
            break;
        case DCC_MASQ_FOREIGN:
            printf("left %s/%s alone (%s)\n", dir, e->name, e->why);
            break;
        case DCC_MASQ_KEPT:
            break;
        }
    }
    printf("%s: %zu created, %zu kept, %zu removed, %zu left alone\n", dir,
           rep->count[DCC_MASQ_CREATED], rep->count[DCC_MASQ_KEPT], rep->count[DCC_MASQ_REMOVED],
           rep->count[DCC_MASQ_FOREIGN]);
}

static int update_links(const struct cfg *c, int chost_only)
{
    char dir[PATH_MAX], target[PATH_MAX], err[512];
    if (cfg_path(c, DCC_MASQ_DIR, dir, sizeof dir) != 0 ||
        cfg_path(c, DCC_MASQ_TARGET, target, sizeof target) != 0)
        return CFG_EXIT_USAGE;
    int created;
    if (dcc_envd_mkdirs(dir, 0755, &created, err, sizeof err) != 0)
        return cfg_fail(DCC_EXIT_IO_ERROR, "%s", err);
    if (created)
        printf("created %s\n", dir);

    const char *path = getenv("PATH");
    char default_path[256];
    if (!path) {
        size_t n = confstr(_CS_PATH, default_path, sizeof default_path);
        path = n > 0 && n <= sizeof default_path ? default_path : "/usr/bin:/bin";
    }
    char **names;
    if (dcc_masq_scan_path(c->root, path, dir, chost_only, &names, err, sizeof err) != 0)
        return cfg_fail(DCC_EXIT_OUT_OF_MEMORY, "%s", err);

    struct dcc_masq_conf conf = {dir, DCC_MASQ_DIR, DCC_MASQ_TARGET, chost_only};
    struct dcc_masq_report rep;
    int failed = dcc_masq_update(&conf, names, &rep, err, sizeof err) != 0;
    print_report(dir, &rep);
    dcc_masq_report_free(&rep);
    size_t n_names = dcc_argv_len(names);
    dcc_argv_free(names);
    if (failed)
        return cfg_fail(DCC_EXIT_IO_ERROR, "%s", err);

    if (n_names == 0)
        printf("warning: no %scompiler found on PATH, so distccd will refuse every job; "
               "install one and run this again\n",
               chost_only ? "CHOST-prefixed " : "");
    if (access(target, F_OK) != 0)
        printf("note: %s does not exist yet; the links work once distcc is installed there\n",
               target);
    return 0;
}

int cfg_update_masquerade(struct cfg *c)
{
    return update_links(c, 0);
}
int cfg_update_masquerade_crossdev(struct cfg *c)
{
    return update_links(c, 1);
}

int cfg_install(struct cfg *c)
{
    char dir[PATH_MAX], envd[PATH_MAX], envd_dir[PATH_MAX], hosts[PATH_MAX + 8], err[512];
    if (cfg_path(c, DCC_SYSCONFDIR "/distcc", dir, sizeof dir) != 0 ||
        cfg_path(c, CFG_ENVD_FILE, envd, sizeof envd) != 0)
        return CFG_EXIT_USAGE;
    snprintf(hosts, sizeof hosts, "%s/hosts", dir);
    snprintf(envd_dir, sizeof envd_dir, "%s", envd);
    *strrchr(envd_dir, '/') = '\0';

    int created;
    if (dcc_envd_mkdirs(dir, 0755, &created, err, sizeof err) != 0)
        return cfg_fail(DCC_EXIT_IO_ERROR, "%s", err);
    printf(created ? "created %s\n" : "kept %s (it already exists)\n", dir);

    struct stat st;
    int wrote_envd = 0;
    if (lstat(envd, &st) == 0) {
        printf("kept %s (it already exists)\n", envd);
    } else if (errno != ENOENT) {
        return cfg_fail(DCC_EXIT_IO_ERROR, "cannot look at %s: %s", envd, strerror(errno));
    } else {
        if (dcc_envd_mkdirs(envd_dir, 0755, NULL, err, sizeof err) != 0 ||
            dcc_envd_write_file(envd, cfg_default_envd, strlen(cfg_default_envd), 0644, err,
                                sizeof err) != 0)
            return cfg_fail(DCC_EXIT_IO_ERROR, "%s", err);
        printf("wrote %s with distcc's defaults\n", envd);
        wrote_envd = 1;
    }

    int rc = update_links(c, 0);
    if (rc)
        return rc;
    if (lstat(hosts, &st) != 0)
        printf("next: name the helpers with distcc-config --set-hosts \"HOST...\" (writes %s)\n",
               hosts);
    return wrote_envd ? cfg_after_envd_change(c) : 0;
}
