/* Logging: one message per line, by level, to stderr, a file, syslog or a hook. */
#ifndef DCC_LOG_H
#define DCC_LOG_H

#include <stddef.h>

enum dcc_log_level {
    DCC_LOG_CRITICAL = 0,
    DCC_LOG_ERROR,
    DCC_LOG_WARNING,
    DCC_LOG_NOTICE,
    DCC_LOG_INFO,
    DCC_LOG_DEBUG,
};

/* "critical".."debug" (also "crit", "err", "warn"); 0 on success, -1 if unknown. */
int dcc_log_level_parse(const char *name, enum dcc_log_level *level);
const char *dcc_log_level_name(enum dcc_log_level level);

/* Program name shown in each line (default "distcc"). */
void dcc_log_set_program(const char *name);
void dcc_log_set_level(enum dcc_log_level level);
enum dcc_log_level dcc_log_get_level(void);

/* Where lines go. Opening a file reports failure into err ("failed to open
 * PATH: WHY", errno kept) and leaves the previous destination in place. */
void dcc_log_to_stderr(void);
int dcc_log_to_file(const char *path, char *err, size_t errlen);
void dcc_log_to_syslog(void);
/* The fd the log writes to (stderr or the file), -1 for syslog. */
int dcc_log_fd(void);

/* A hook sees every line at or below its level, besides the destination;
 * distccd uses it to return its warnings for a job in SERR. NULL removes it. */
typedef void (*dcc_log_hook_fn)(enum dcc_log_level level, const char *line, void *ctx);
void dcc_log_set_hook(dcc_log_hook_fn fn, enum dcc_log_level max_level, void *ctx);

void dcc_log(enum dcc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define dcc_crit(...) dcc_log(DCC_LOG_CRITICAL, __VA_ARGS__)
#define dcc_error(...) dcc_log(DCC_LOG_ERROR, __VA_ARGS__)
#define dcc_warn(...) dcc_log(DCC_LOG_WARNING, __VA_ARGS__)
#define dcc_notice(...) dcc_log(DCC_LOG_NOTICE, __VA_ARGS__)
#define dcc_info(...) dcc_log(DCC_LOG_INFO, __VA_ARGS__)
#define dcc_debug(...) dcc_log(DCC_LOG_DEBUG, __VA_ARGS__)

#endif
