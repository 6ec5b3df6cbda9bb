/* distccd --zeroconf: what this helper announces over mDNS, and when it stops. */
#include "zeroconf.h"

#include "base/dcc_log.h"
#include "proto/dcc_toolchain.h"
#include "proto/dcc_zeroconf.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* `cc -dumpFOO` on the compilers' PATH, as stock's helper announces it
 * (stock's clients browse for exactly that pair). 0, or -1. */
static int cc_dump(const struct dccd_config *cfg, const char *what, char *out, size_t outlen)
{
    char cc[4096], err[256];
    if (!cfg->compiler_path ||
        dcc_toolchain_find("cc", cfg->compiler_path, NULL, cc, sizeof cc) != 0)
        return -1;
    char *argv[] = {"cc", (char *)what, NULL};
    struct dcc_buf b = {0};
    int status = 0, rc = -1;
    if (dcc_toolchain_capture(cc, argv, cfg->compiler_path, 5000, 256, &b, &status, err,
                              sizeof err) == 0 &&
        WIFEXITED(status) && WEXITSTATUS(status) == 0 && b.data) {
        size_t n = strcspn(b.data, " \t\r\n");
        if (n > 0 && n < outlen) {
            memcpy(out, b.data, n);
            out[n] = '\0';
            rc = 0;
        }
    }
    dcc_buf_free(&b);
    return rc;
}

static void report(int error, const char *line, void *ctx)
{
    (void)ctx;
    if (error)
        dcc_warn("--zeroconf: %s", line);
    else
        dcc_notice("--zeroconf: %s", line);
}

struct dcc_zc_publisher *dccd_zeroconf_start(const struct dccd_config *cfg)
{
    if (!dcc_zc_available()) {
        dcc_warn(
            "--zeroconf: this distccd was built without Zeroconf (no Avahi: build with WITH_ZEROCONF=1, "
            "USE=zeroconf on Gentoo); not announcing");
        return NULL;
    }
    char machine[128] = "", version[128] = "", err[512];
    if (cc_dump(cfg, "-dumpmachine", machine, sizeof machine) != 0 ||
        cc_dump(cfg, "-dumpversion", version, sizeof version) != 0) {
        /* Clients then go by gnuhost alone, and stock's find nothing. */
        dcc_warn(
            "--zeroconf: cannot run cc -dumpmachine / -dumpversion on the compilers' PATH; announcing "
            "without the compiler");
        machine[0] = version[0] = '\0';
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct dcc_zc_publish_opts o = {
        .hostname = cfg->hostname,
        .port = cfg->port,
        .cpus = cpus > 0 ? (int)cpus : 1,
        .jobs = cfg->jobs,
        .distcc_version = DCC_VERSION,
        .gnuhost = DCC_GNU_HOST,
        .cc_machine = machine,
        .cc_version = version,
        .report = report,
    };
    struct dcc_zc_publisher *pub = NULL;
    if (dcc_zc_publish_start(&o, &pub, err, sizeof err) != 0) {
        dcc_warn("--zeroconf: %s; not announcing", err);
        return NULL;
    }
    dcc_info("--zeroconf: announcing %s port %d, %d jobs, cc %s %s", DCC_ZC_SERVICE_TYPE, cfg->port,
             cfg->jobs, machine[0] ? machine : "(unknown)", version);
    return pub;
}

void dccd_zeroconf_stop(struct dcc_zc_publisher *pub)
{
    if (!pub)
        return;
    dcc_zc_publish_stop(pub);
    dcc_info("--zeroconf: announcement withdrawn");
}
