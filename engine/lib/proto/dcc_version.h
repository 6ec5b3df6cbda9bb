/* The text of --version, shared by distcc and distccd so both say the same. */
#ifndef DCC_VERSION_H
#define DCC_VERSION_H

#include <stddef.h>

/* Fills buf with stock distcc's layout: line 1 "PROGRAM VERSION TARGET",
 * line 2 the protocols and the default port, then what this build is and
 * which files it reads. Every line ends in a newline. */
void dcc_version_text(const char *program, char *buf, size_t len);

/* The default whitelist directories as one phrase, each named once:
 * "/usr/lib/distcc", or "/usr/local/lib/distcc or /usr/lib/distcc". */
void dcc_version_whitelist_dirs(char *buf, size_t len);

#endif
