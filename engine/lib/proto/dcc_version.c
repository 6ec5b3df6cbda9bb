/* --version: the lines scripts split (stock's first two) and then ours. */
#include "proto/dcc_version.h"

#include "proto/dcc_hosts.h"
#include "proto/dcc_whitelist.h"

#include <stdio.h>
#include <string.h>

#ifndef DCC_VERSION
#define DCC_VERSION "unknown"
#endif
#ifndef DCC_GNU_HOST
#define DCC_GNU_HOST "unknown-linux-gnu"
#endif
#ifndef DCC_SYSCONFDIR
#define DCC_SYSCONFDIR "/etc"
#endif

void dcc_version_whitelist_dirs(char *buf, size_t len)
{
    /* LIBDIR/distcc is /usr/lib/distcc in most builds: say it once. */
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (int i = 0; dcc_whitelist_default_dirs[i]; i++) {
        int seen = 0;
        for (int k = 0; k < i; k++)
            seen |= strcmp(dcc_whitelist_default_dirs[k], dcc_whitelist_default_dirs[i]) == 0;
        if (seen || used >= len)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? " or " : "",
                         dcc_whitelist_default_dirs[i]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

void dcc_version_text(const char *program, char *buf, size_t len)
{
    char dirs[1024];
    dcc_version_whitelist_dirs(dirs, sizeof dirs);
    /* Tools read line 1 word by word and take line 2 as stock prints it;
     * stock's third line and the block after it are free text, so ours say
     * what this build is and which files it reads. */
    snprintf(
        buf, len,
        "%s %s %s\n"
        "  (protocols 1, 2 and 3) (default port %d)\n"
        "  a reimplementation of distcc 3.4 for Gentoo; works with its clients and helpers\n"
        "  host list: $DISTCC_HOSTS, $DISTCC_DIR/hosts (default ~/.distcc/hosts), %s/distcc/hosts\n"
        "  compiler whitelist (distccd): %s\n"
        "\n"
        "Documentation: man %s\n",
        program, DCC_VERSION, DCC_GNU_HOST, DCC_DEFAULT_PORT, DCC_SYSCONFDIR, dirs, program);
}
