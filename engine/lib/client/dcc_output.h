/* Writing a file the client receives (object, dependency file) where gcc
 * would write it: regular files atomically, anything else in place. */
#ifndef DCC_OUTPUT_H
#define DCC_OUTPUT_H

#include <limits.h>
#include <stddef.h>

/* Which program's habits the client stands in for. */
enum dcc_output_rule {
    /* as (binutils), for -o: a symbolic link whose target is not empty is
     * itself replaced by the new file; a link to an empty file, a device or
     * nothing is followed. */
    DCC_OUTPUT_OBJECT,
    /* cpp, for -MF and -MD: every symbolic link is followed, so the link
     * stays and its (final) target gets the new contents. */
    DCC_OUTPUT_DEPS,
};

struct dcc_output {
    char path[PATH_MAX]; /* the name finally written, links followed as the rule says (a
                          * special file: the name given, which open follows) */
    char tmp[PATH_MAX];  /* a temporary in path's directory, or "" when written in place */
    int fd;              /* open for writing, -1 once closed */
};

/* Opens name for writing as the rule says. A regular file, or none yet,
 * gets a new temporary in the directory of the file finally written
 * (registered with dcc_cleanup) that dcc_output_commit renames over it, so
 * readers never see a half-written file and a failed job leaves the old one;
 * a device, FIFO or other special file is opened under the name given (the
 * kernel follows the links, /proc's to pipes too) and written in place, as
 * gcc does (a FIFO waits here for its reader). 0, or DCC_EXIT_IO_ERROR with
 * err naming the file. */
int dcc_output_open(struct dcc_output *out, const char *name, enum dcc_output_rule rule, char *err,
                    size_t errlen);

/* Closes the fd (reporting a late write error, as NFS gives at close). 0, or
 * DCC_EXIT_IO_ERROR with err. Safe to call twice. */
int dcc_output_close(struct dcc_output *out, char *err, size_t errlen);

/* Closes if still open, then renames the temporary into place (nothing to do
 * for a file written in place). 0, or DCC_EXIT_IO_ERROR with err; the
 * temporary is removed either way. */
int dcc_output_commit(struct dcc_output *out, char *err, size_t errlen);

/* Closes if still open and removes the temporary: the old file, if any, is
 * untouched. A file written in place keeps what was written. */
void dcc_output_discard(struct dcc_output *out);

/* The file name's final target after following every symbolic link (a
 * relative target is taken from the link's directory; a dangling link
 * yields the name it points to, which gcc would create). 0, or
 * DCC_EXIT_IO_ERROR with err (a loop, or a name too long). */
int dcc_output_follow_links(const char *name, char *out, size_t outlen, char *err, size_t errlen);

#endif
