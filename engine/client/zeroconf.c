/* +zeroconf in the client: the helpers found over mDNS, from the list one client at a time refreshes. */
#include "zeroconf.h"

#include "base/dcc_log.h"
#include "proto/dcc_toolchain.h"
#include "proto/dcc_zeroconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What `cc -dumpFOO` prints here, as stock asks (the helpers announce the
 * same). cc is looked up past the masquerade directory, so it is never
 * distcc itself. 0, or -1. */
static int cc_dump(const char *what, char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    char cc[4096], err[256];
    if (!path || dcc_toolchain_find("cc", path, NULL, cc, sizeof cc) != 0)
        return -1;
    char *argv[] = {"cc", (char *)what, NULL};
    struct dcc_buf b = {0};
    int status = 0;
    int rc = dcc_toolchain_capture(cc, argv, path, 5000, 256, &b, &status, err, sizeof err);
    if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && b.data) {
        size_t n = strcspn(b.data, " \t\r\n");
        if (n > 0 && n < outlen) {
            memcpy(out, b.data, n);
            out[n] = '\0';
        } else {
            rc = -1;
        }
    } else {
        rc = -1;
    }
    dcc_buf_free(&b);
    return rc;
}

/* Browses and writes the list (a failure becomes an "# error:" line, so
 * clients do not all browse again until it is stale). */
static void refresh(const char *dir)
{
    char machine[128], version[128], err[512];
    if (cc_dump("-dumpmachine", machine, sizeof machine) != 0)
        snprintf(machine, sizeof machine, "%s", DCC_GNU_HOST);
    if (cc_dump("-dumpversion", version, sizeof version) != 0)
        version[0] = '\0';
    struct dcc_zc_service *svc = NULL;
    size_t n = 0;
    struct dcc_buf text = {0};
    char header[512];
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
    if (dcc_zc_browse(DCC_ZC_SERVICE_TYPE, DCC_ZC_BROWSE_MS, &svc, &n, err, sizeof err) != 0) {
        dcc_buf_printf(&text, "# error: +zeroconf: %s\n", err);
    } else {
        snprintf(
            header, sizeof header,
            "helpers found by browsing %s at %s, for a client whose cc is %s%s%s (the list is refreshed "
            "after %d s)",
            DCC_ZC_SERVICE_TYPE, when, machine, version[0] ? " " : "", version, DCC_ZC_CACHE_TTL);
        if (dcc_zc_format_list(svc, n, machine, version, header, &text) != 0)
            dcc_buf_free(&text);
    }
    free(svc);
    if (text.data && dcc_zc_cache_write(dir, text.data, err, sizeof err) != 0)
        dcc_debug("+zeroconf: %s", err);
    dcc_buf_free(&text);
}

/* Refreshes from a detached process holding lock_fd, so this job goes on
 * with the stale list at once. */
static void refresh_in_background(const char *dir, int lock_fd)
{
    pid_t pid = fork();
    if (pid < 0) {
        dcc_debug("+zeroconf: cannot fork to refresh the list: %s", strerror(errno));
        return;
    }
    if (pid > 0) {
        waitpid(pid, NULL, 0);
        return;
    }
    /* The middle process ends at once, so the refresher is nobody's child
     * and nothing waits for it. */
    if (fork() != 0)
        _exit(0);
    setsid();
    static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM};
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        signal(reset[i], SIG_DFL);
    /* No output of the build's and no lock of this job's is held by it:
     * make would wait for the one, other jobs for the other. */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    if (lock_fd != 3) {
        dup2(lock_fd, 3);
        lock_fd = 3;
    }
    if (close_range(4, ~0U, 0) != 0)
        for (int fd = 4; fd < 1024; fd++)
            close(fd);
    dcc_log_set_level(DCC_LOG_CRITICAL);
    refresh(dir);
    _exit(0);
}

/* Moves the hosts of found into list at list->zeroconf_at. */
static int splice_found(struct dcc_hostlist *list, struct dcc_hostlist *found)
{
    if (found->n == 0)
        return 0;
    struct dcc_host *grown = realloc(list->hosts, (list->n + found->n) * sizeof *grown);
    if (!grown)
        return -1;
    size_t at = list->zeroconf_at <= list->n ? list->zeroconf_at : list->n;
    memmove(&grown[at + found->n], &grown[at], (list->n - at) * sizeof *grown);
    memcpy(&grown[at], found->hosts, found->n * sizeof *grown);
    list->hosts = grown;
    list->n += found->n;
    free(found->hosts); /* the strings now belong to list */
    found->hosts = NULL;
    found->n = 0;
    return 0;
}

void dcc_client_zeroconf_add(struct dcc_hostlist *list)
{
    if (!dcc_zc_available()) {
        dcc_warn(
            "+zeroconf: this distcc was built without Zeroconf (no Avahi: build with WITH_ZEROCONF=1, "
            "USE=zeroconf on Gentoo); it finds no helpers");
        return;
    }
    char distcc_dir[4096], dir[4200], err[600];
    if (dcc_hosts_distcc_dir(distcc_dir, sizeof distcc_dir, err, sizeof err) != 0 ||
        dcc_zc_dir(distcc_dir, dir, sizeof dir, err, sizeof err) != 0) {
        dcc_warn("+zeroconf: %s", err);
        return;
    }
    enum dcc_zc_cache_state state = dcc_zc_cache_state(dir, DCC_ZC_CACHE_TTL, time(NULL));
    if (state == DCC_ZC_CACHE_STALE) {
        int fd = dcc_zc_refresh_lock(dir, 0, err, sizeof err);
        if (fd >= 0) {
            dcc_debug("+zeroconf: the list is older than %d s; refreshing it in the background",
                      DCC_ZC_CACHE_TTL);
            refresh_in_background(dir, fd);
            close(fd);
        } else if (fd == -1) {
            dcc_warn("+zeroconf: %s", err);
        }
    } else if (state == DCC_ZC_CACHE_MISSING) {
        /* The first job browses; the others wait for its list. */
        int fd = dcc_zc_refresh_lock(dir, DCC_ZC_BROWSE_MS + 2000, err, sizeof err);
        if (fd >= 0) {
            if (dcc_zc_cache_state(dir, DCC_ZC_CACHE_TTL, time(NULL)) == DCC_ZC_CACHE_MISSING) {
                dcc_debug("+zeroconf: no list of helpers yet; browsing %s", DCC_ZC_SERVICE_TYPE);
                refresh(dir);
            }
            close(fd);
        } else if (fd == -1) {
            dcc_warn("+zeroconf: %s", err);
        }
    }
    char *text = NULL;
    if (dcc_zc_cache_read(dir, &text, err, sizeof err) != 0) {
        dcc_warn("+zeroconf: %s", err);
        return;
    }
    if (strncmp(text, "# error: ", 9) == 0)
        dcc_warn("%.*s", (int)strcspn(text + 9, "\n"), text + 9);
    struct dcc_hostlist found;
    if (dcc_hosts_parse(text, &found, err, sizeof err) != 0) {
        dcc_warn("+zeroconf: %s (in %s/list)", err, dir);
    } else {
        if (found.n == 0 && strncmp(text, "# error: ", 9) != 0)
            /* A warning when the build has no helper at all, so "running
             * locally instead" comes with its reason. */
            dcc_log(list->n ? DCC_LOG_INFO : DCC_LOG_WARNING,
                    "+zeroconf: no usable helper is announced on the network (see %s/list)", dir);
        else
            dcc_debug("+zeroconf: %zu helper%s from %s/list", found.n, found.n == 1 ? "" : "s",
                      dir);
        if (splice_found(list, &found) != 0)
            dcc_warn("+zeroconf: out of memory");
    }
    dcc_hosts_free(&found);
    free(text);
}
