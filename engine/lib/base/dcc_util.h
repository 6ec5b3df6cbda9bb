/* Small shared helpers: a growable byte buffer and NULL-terminated argv arrays. */
#ifndef DCC_UTIL_H
#define DCC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct dcc_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
};

/* All return 0, or -1 with errno ENOMEM; the buffer is unchanged on failure. */
int dcc_buf_reserve(struct dcc_buf *b, size_t extra);
int dcc_buf_append(struct dcc_buf *b, const void *data, size_t len);
int dcc_buf_appends(struct dcc_buf *b, const char *s);
int dcc_buf_printf(struct dcc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dcc_buf_vprintf(struct dcc_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void dcc_buf_free(struct dcc_buf *b);

/* argv arrays: NULL-terminated, every string and the array malloc'd. */
size_t dcc_argv_len(char *const *argv);
char **dcc_argv_dup(char *const *argv); /* NULL on ENOMEM */
void dcc_argv_free(char **argv);        /* NULL is fine */
/* Inserts copies of the strings at position pos (0..len); 0 or -1 (ENOMEM). */
int dcc_argv_insert(char ***argv, size_t pos, const char *const *items, size_t n);
/* Removes n entries starting at pos. */
void dcc_argv_remove(char **argv, size_t pos, size_t n);
/* Replaces entry i with a copy of s; 0 or -1. */
int dcc_argv_set(char **argv, size_t i, const char *s);
/* One printable line for logs: words separated by spaces, quoted where they
 * hold blanks or quotes. Caller frees; NULL on ENOMEM. */
char *dcc_argv_join(char *const *argv);

/* Formats one line into a caller's error buffer; NULL or size 0 is fine. */
void dcc_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Milliseconds on the monotonic clock: for deadlines and durations. */
long long dcc_now_ms(void);

/* Reads the whole regular file open on fd into out (NUL-terminated), refusing
 * one larger than max bytes. path and what ("a host list") only word the
 * error: "cannot read PATH: larger than MAX bytes, which is not WHAT".
 * 0, or -1 with err and errno (EINVAL not a regular file, EIO otherwise).
 * fd stays open. */
int dcc_read_regular_fd(int fd, const char *path, size_t max, const char *what, struct dcc_buf *out,
                        char *err, size_t errlen);

/* Asks the file system to place the directories made in the directory open
 * on fd in block groups of their own, as for top-level directories (ext2/3/4
 * FS_TOPDIR_FL, "chattr +T"): a hint to the allocator, nothing else. A
 * daemon that makes and removes a tree of files per job otherwise packs
 * all of them into the group of its TMPDIR, where ext4 without a journal
 * scans past every inode freed there in the last 35 seconds for each new
 * one. 0, or -1 with errno (ENOTTY, EOPNOTSUPP, EINVAL: a file system
 * without the flag). */
int dcc_dir_spread_subdirs(int fd);

/* FNV-1a 64 of data, going on from h (DCC_FNV1A_INIT to start): a fast
 * hash for tables and cache checks, not for anything an adversary picks. */
#define DCC_FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t dcc_fnv1a(uint64_t h, const void *data, size_t len);

/* 1 if s ends with suffix. */
int dcc_str_endswith(const char *s, const char *suffix);
/* 1 if s starts with prefix. */
int dcc_str_startswith(const char *s, const char *prefix);

#endif
