/* A table of temporary files and children that a signal handler can undo.
 * Slots are filled before they are marked used, so a handler that runs in
 * the middle of an update sees either the old or the new entry, never half. */
#include "client/dcc_cleanup.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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
        /* The path is whole before a handler can see the slot in use. */
        atomic_signal_fence(memory_order_seq_cst);
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
            atomic_signal_fence(memory_order_seq_cst);
            return;
        }
}

/* entry: a pid, or minus a process group's id. */
static void add_child_entry(pid_t entry)
{
    for (size_t i = 0; i < DCC_CLEANUP_MAX_CHILDREN; i++)
        if (children[i] == 0) {
            owner = getpid();
            children[i] = entry;
            return;
        }
}

void dcc_cleanup_add_child(pid_t pid)
{
    if (pid > 0)
        add_child_entry(pid);
}

void dcc_cleanup_add_group(pid_t pid)
{
    if (pid > 0)
        add_child_entry(-pid);
}

void dcc_cleanup_forget_child(pid_t pid)
{
    for (size_t i = 0; i < DCC_CLEANUP_MAX_CHILDREN; i++)
        if (children[i] == pid || children[i] == -pid)
            children[i] = 0;
}

int dcc_cleanup_run(int sig)
{
    int saved = errno, removed = 0;
    if (owner == 0 || owner != getpid())
        return 0;
    for (size_t i = 0; i < DCC_CLEANUP_MAX_CHILDREN; i++)
        if (children[i] != 0)
            kill(children[i], sig); /* negative: the whole group */
    /* A moment for them to go, so one that is about to create its output
     * file does not do so after it was removed (at most 0.5 s). */
    for (int tries = 0; tries < 50; tries++) {
        int running = 0;
        for (size_t i = 0; i < DCC_CLEANUP_MAX_CHILDREN; i++) {
            pid_t p = children[i] < 0 ? -children[i] : children[i];
            if (p <= 0)
                continue;
            /* WNOWAIT: an ended child stays to be reaped (and its status
             * read) by whoever waits for it. */
            siginfo_t si;
            si.si_pid = 0;
            if (waitid(P_PID, (id_t)p, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0)
                running = 1;
        }
        if (!running)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
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
