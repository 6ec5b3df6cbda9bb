/* What an interrupted client leaves behind: its temporary files and running
 * children, undone from a signal handler. */
#ifndef DCC_CLEANUP_H
#define DCC_CLEANUP_H

#include <sys/types.h>

/* How many temporary files and children can be registered at once (a job
 * has at most a .i, an object and a .d in flight, and one child). */
#define DCC_CLEANUP_MAX_FILES 8
#define DCC_CLEANUP_MAX_CHILDREN 4

/* Remembers path for removal by dcc_cleanup_run. 0, or -1 when the table is
 * full or the path too long (the file is then only removed on the normal
 * path). */
int dcc_cleanup_add_file(const char *path);
/* Forgets path (after it was renamed into place, removed or kept). */
void dcc_cleanup_forget_file(const char *path);

/* Remembers and forgets a running child; dcc_cleanup_run signals it (with
 * _group: its whole process group, whose leader it is). */
void dcc_cleanup_add_child(pid_t pid);
void dcc_cleanup_add_group(pid_t pid);
void dcc_cleanup_forget_child(pid_t pid);

/* Async-signal-safe: sends sig to every remembered child, waits up to 0.5 s
 * for them to end, and removes every remembered file. Does nothing in a process other than the one that
 * registered them (a child between fork and exec). Returns how many files
 * were removed. */
int dcc_cleanup_run(int sig);

/* Forgets everything (for tests). */
void dcc_cleanup_reset(void);

#endif
