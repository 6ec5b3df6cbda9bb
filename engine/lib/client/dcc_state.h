/* Monitor state files: $DISTCC_DIR/state/binstate_<pid> in stock distcc's binary layout. */
#ifndef DCC_STATE_H
#define DCC_STATE_H

#include <stddef.h>

#define DCC_STATE_MAGIC 0x44494800UL /* "DIH\0" */
#define DCC_STATE_PREFIX "binstate_"
#define DCC_STATE_MAX_AGE 60 /* seconds; older files are leftovers and get removed */

enum dcc_phase {
    DCC_PHASE_STARTUP = 0,
    DCC_PHASE_BLOCKED = 1,
    DCC_PHASE_CONNECT = 2,
    DCC_PHASE_CPP = 3, /* shown as "Preprocess" */
    DCC_PHASE_SEND = 4,
    DCC_PHASE_COMPILE = 5,
    DCC_PHASE_RECEIVE = 6,
    DCC_PHASE_DONE = 7,
};

/* The file's bytes: stock's struct dcc_task_state, native layout, so stock
 * monitors read our files and we read stock clients'. 296 bytes on LP64:
 * struct_size 0, magic 8, cpid 16, file 24, host 152, slot 280, phase 284,
 * next 288 (a pointer in stock's memory; written as 0, never read). */
struct dcc_state_record {
    size_t struct_size;
    unsigned long magic;
    unsigned long cpid;
    char file[128];
    char host[128];
    int slot;
    int phase; /* stock's enum dcc_phase, which gcc stores as an int */
    void *next;
};

/* "Startup", "Blocked", "Connect", "Preprocess", "Send", "Compile",
 * "Receive", "Done"; "Unknown" otherwise. */
const char *dcc_state_phase_name(int phase);

/* Records this process's phase in state/binstate_<getpid()> under
 * distcc_dir (NULL: $DISTCC_DIR, else ~/.distcc), creating state/ if needed.
 * file (basename kept) and host may be NULL to keep the previous values, and
 * slot < 0 keeps the previous slot, like stock's dcc_note_state. The first
 * write makes the file whole under a temporary name and renames it into
 * place, so a monitor never sees it empty; the process keeps it open, and
 * each later phase is one pwrite of the whole record at offset 0 (stock
 * truncates and writes in place instead, so its readers can meet an empty
 * or short file). The record lies in the file's first page and is copied
 * into the page cache by one copy; Linux takes no lock for buffered reads,
 * so a reader copying the same bytes at that instant could in principle
 * see old and new fields mixed, which the readers take as one refresh of a
 * mixed phase/host/slot at worst (size and magic never change). The mtime
 * moves with each phase as before. When the file was unlinked
 * meanwhile (a monitor's clean-up of a file not written for a minute) or
 * the write fails, it is made again the first way. 0, or
 * DCC_EXIT_IO_ERROR with err; the compile should go on either way. */
int dcc_state_update(const char *distcc_dir, enum dcc_phase phase, const char *file,
                     const char *host, int slot, char *err, size_t errlen);

/* Removes this process's state file (nothing if it never wrote one, or if
 * it is a forked child of the process that did). Fit for atexit. */
void dcc_state_remove(void);

/* One job, as a monitor shows it. */
struct dcc_state_entry {
    long pid;
    int phase;
    int slot;
    char file[128]; /* control characters replaced by '?' */
    char host[128];
    double since;   /* when the phase began: the file's mtime, seconds since the epoch */
    double started; /* when the client process started (epoch seconds), -1 unknown */
};

struct dcc_state_list {
    struct dcc_state_entry *items;
    size_t n;
};

/* Reads every binstate_* in state_dir: files of the wrong size or magic are
 * ignored; files older than DCC_STATE_MAX_AGE seconds are leftovers and
 * unlinked, unless the pid in them still runs and started before the file
 * was written (a long compile, which writes no new phase for minutes; a pid
 * started later is a reused one). Jobs whose pid no longer exists and jobs
 * in phase Done are left out; a phase beyond Done reads as Compile, as in
 * stock. Sorted by host, then slot (then pid). A missing directory is an
 * empty list. 0, or DCC_EXIT_IO_ERROR / DCC_EXIT_OUT_OF_MEMORY with err;
 * *out is always safe to free. */
int dcc_state_read_dir(const char *state_dir, struct dcc_state_list *out, char *err, size_t errlen);
/* The same with another age limit in seconds (for tests). */
int dcc_state_read_dir_aged(const char *state_dir, int max_age, struct dcc_state_list *out,
                            char *err, size_t errlen);
void dcc_state_list_free(struct dcc_state_list *list);

#endif
