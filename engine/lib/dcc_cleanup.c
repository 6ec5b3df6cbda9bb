/* A table of temporary files and children that a signal handler can undo.
 * Slots are filled before they are marked used, so a handler that runs in
 * the middle of an update sees either the old or the new entry, never half. */
#include "dcc_cleanup.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static struct {
    volatile sig_atomic_t used;
    char path[PATH_MAX];
} files[DCC_CLEANUP_MAX_FILES];

static volatile pid_t children[DCC_CLEANUP_MAX_CHILDREN];

/* The process that registered the entries; a forked child must not act on
 * its parent's files. */
static volatile pid_t owner;

int dcc_cleanup_add_file(const char *path)
{
    size_t len = strlen(path);
    if (len == 0 || len >= PATH_MAX)
        return -1;
    for (size_t i = 0; i < DCC_CLEANUP_MAX_FILES; i++) {
        if (files[i].used)
            continue;
        memcpy(files[i].path, path, len + 1);
        owner = getpid();
        files[i].used = 1;
        return 0;
    }
    return -1;
}

void dcc_cleanup_forget_file(const char *path)
{
    for (size_t i = 0; i < DCC_CLEANUP_MAX_FILES; i++)
        if (files[i].used && strcmp(files[i].path, path) == 0) {
            files[i].used = 0;
            return;
        }
}

void dcc_cleanup_add_child(pid_t pid)
{
    if (pid <= 0)
        return;
    for (size_t i = 0; i < DCC_CLEANUP_MAX_CHILDREN; i++)
        if (children[i] == 0) {
            owner = getpid();
            children[i] = pid;
            return;
        }
}

void dcc_cleanup_forget_child(pid_t pid)
{
    for (size_t i = 0; i < DCC_CLEANUP_MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

int dcc_cleanup_run(int sig)
{
    int saved = errno, removed = 0;
    if (owner == 0 || owner != getpid())
        return 0;
    for (size_t i = 0; i < DCC_CLEANUP_MAX_CHILDREN; i++)
        if (children[i] > 0)
            kill(children[i], sig);
    for (size_t i = 0; i < DCC_CLEANUP_MAX_FILES; i++)
        if (files[i].used) {
            removed += unlink(files[i].path) == 0;
            files[i].used = 0;
        }
    errno = saved;
    return removed;
}

void dcc_cleanup_reset(void)
{
    for (size_t i = 0; i < DCC_CLEANUP_MAX_FILES; i++)
        files[i].used = 0;
    for (size_t i = 0; i < DCC_CLEANUP_MAX_CHILDREN; i++)
        children[i] = 0;
    owner = 0;
}
