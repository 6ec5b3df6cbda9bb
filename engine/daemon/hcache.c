/* distccd's header cache: --header-cache-dir (or the default place) opened
 * once the daemon runs as its user, counted and brought within
 * --header-cache-size at the start. */
#include "distccd.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"

#include <stdio.h>
#include <unistd.h>

void dccd_setup_hcache(struct dccd_config *cfg)
{
    static struct dcc_hcache hc;
    if (cfg->hcache_size == 0) {
        if (cfg->hcache_dir)
            dcc_warn("--header-cache-dir %s has no effect with --header-cache-size 0",
                     cfg->hcache_dir);
        return;
    }
    const char *dir = cfg->hcache_dir;
    if (!dir) {
        if (access(DCCD_HCACHE_DEFAULT_PARENT, W_OK | X_OK) != 0) {
            dcc_info("no header cache: %s is not writable by this user (--header-cache-dir "
                     "names a place)",
                     DCCD_HCACHE_DEFAULT_PARENT);
            return;
        }
        dir = DCCD_HCACHE_DEFAULT_DIR;
    }
    char err[600];
    if (dcc_hcache_open(&hc, dir, cfg->hcache_size, 1, err, sizeof err) != 0) {
        if (cfg->hcache_dir)
            dccd_die(DCC_EXIT_IO_ERROR, "--header-cache-dir: %s", err);
        dcc_warn("%s; running without a header cache", err);
        return;
    }
    cfg->hcache = &hc;
    if (cfg->inetd)
        return; /* a daemon per connection: the jobs' puts keep the bound */
    struct dcc_hcache_scan st;
    if (dcc_hcache_scan(&hc, &st, err, sizeof err) != 0) {
        dcc_warn("header cache: %s", err);
        return;
    }
    dcc_notice("header cache in %s: %llu headers, %.1f of %.1f MiB%s", dir,
               (unsigned long long)st.entries, st.bytes / 1048576.0, cfg->hcache_size / 1048576.0,
               st.evicted ? " (the oldest evicted to fit)" : "");
}
