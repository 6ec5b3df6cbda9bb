/* Compiler whitelist checks and the PATH search for the real compiler. */
#include "proto/dcc_whitelist.h"

#include "proto/dcc_toolchain.h"
#include "base/dcc_util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DCC_LIBDIR
#define DCC_LIBDIR "/usr/lib"
#endif

const char *const dcc_whitelist_default_dirs[] = {DCC_LIBDIR "/distcc", "/usr/lib/distcc", NULL};

int dcc_whitelist_dir_usable(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "compiler whitelist %s cannot be read: %s", dir, strerror(errno));
        return -1;
    }
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL)
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
                strcmp(e->d_name, "bin") != 0;
    closedir(d);
    if (!found) {
        snprintf(err, errlen, "compiler whitelist %s is empty", dir);
        return -1;
    }
    return 0;
}

int dcc_whitelist_check(const char *dir, const char *argv0, char *name, size_t namelen, char *why,
                        size_t whylen)
{
    const char *base = argv0;
    if (dcc_str_startswith(base, "/usr/bin/"))
        base += strlen("/usr/bin/");
    else if (dcc_str_startswith(base, "/bin/"))
        base += strlen("/bin/");
    if (*base == '\0' || strchr(base, '/') || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
        strcmp(base, "bin") == 0) {
        snprintf(why, whylen,
                 "compiler \"%s\" is refused: only names from the whitelist %s may run", argv0,
                 dir);
        return -1;
    }
    if (strlen(base) >= namelen || strlen(dir) + strlen(base) + 2 > PATH_MAX) {
        snprintf(why, whylen, "compiler name \"%.64s...\" is too long", argv0);
        return -1;
    }
    char entry[PATH_MAX + 1];
    if ((size_t)snprintf(entry, sizeof entry, "%s/%s", dir, base) >= sizeof entry) {
        snprintf(why, whylen, "whitelist path for \"%.64s\" is too long", base);
        return -1;
    }
    struct stat st;
    int found = lstat(entry, &st) == 0;
    if (!found && errno != ENOENT && errno != ENOTDIR) {
        /* Usually the job user cannot reach the directory: say that, not
         * "missing", or the admin looks for the wrong fault. */
        snprintf(why, whylen, "whitelist entry %s cannot be checked: %s", entry, strerror(errno));
        return -1;
    }
    if (!found || S_ISDIR(st.st_mode)) {
        snprintf(why, whylen,
                 "compiler \"%s\" is not in the whitelist %s on this helper (add a link there)",
                 base, dir);
        return -1;
    }
    snprintf(name, namelen, "%s", base);
    return 0;
}

int dcc_whitelist_find_compiler(const char *name, const char *path, const char *whitelist_dir,
                                char *out, size_t outlen, char *err, size_t errlen)
{
    /* One PATH search for the whole project: dcc_toolchain_find skips the
     * whitelist directory and anything that is distcc itself. */
    if (dcc_toolchain_find(name, path && *path ? path : "/usr/local/bin:/usr/bin:/bin",
                           whitelist_dir, out, outlen) == 0)
        return 0;
    snprintf(err, errlen, "compiler %s is not found on PATH (apart from distcc itself)", name);
    return -1;
}
