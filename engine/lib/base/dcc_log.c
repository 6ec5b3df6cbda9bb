/* Logging to stderr, a file or syslog, with an optional per-job hook. */
#include "base/dcc_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *name;
    const char *alias;
    int syslog_priority;
} level_table[] = {
    [DCC_LOG_CRITICAL] = {"critical", "crit", LOG_CRIT},
    [DCC_LOG_ERROR] = {"error", "err", LOG_ERR},
    [DCC_LOG_WARNING] = {"warning", "warn", LOG_WARNING},
    [DCC_LOG_NOTICE] = {"notice", NULL, LOG_NOTICE},
    [DCC_LOG_INFO] = {"info", NULL, LOG_INFO},
    [DCC_LOG_DEBUG] = {"debug", NULL, LOG_DEBUG},
};

enum dest { DEST_STDERR, DEST_FILE, DEST_SYSLOG };

static struct {
    char program[32];
    enum dcc_log_level level;
    enum dest dest;
    int file_fd;
    dcc_log_hook_fn hook;
    enum dcc_log_level hook_level;
    void *hook_ctx;
} log_state = {"distcc", DCC_LOG_WARNING, DEST_STDERR, -1, NULL, DCC_LOG_WARNING, NULL};

int dcc_log_level_parse(const char *name, enum dcc_log_level *level)
{
    for (size_t i = 0; i < sizeof level_table / sizeof level_table[0]; i++) {
        if (strcasecmp(name, level_table[i].name) == 0 ||
            (level_table[i].alias && strcasecmp(name, level_table[i].alias) == 0)) {
            *level = (enum dcc_log_level)i;
            return 0;
        }
    }
    return -1;
}

const char *dcc_log_level_name(enum dcc_log_level level)
{
    if ((size_t)level >= sizeof level_table / sizeof level_table[0])
        return "unknown";
    return level_table[level].name;
}

void dcc_log_set_program(const char *name)
{
    snprintf(log_state.program, sizeof log_state.program, "%s", name);
}

void dcc_log_set_level(enum dcc_log_level level)
{
    log_state.level = level;
}
enum dcc_log_level dcc_log_get_level(void)
{
    return log_state.level;
}

static void close_file(void)
{
    if (log_state.file_fd >= 0)
        close(log_state.file_fd);
    log_state.file_fd = -1;
}

void dcc_log_to_stderr(void)
{
    close_file();
    log_state.dest = DEST_STDERR;
}

int dcc_log_to_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) {
        /* Stock distccd's words, which the Gentoo wiki quotes. */
        int e = errno;
        snprintf(err, errlen, "failed to open %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    close_file();
    log_state.file_fd = fd;
    log_state.dest = DEST_FILE;
    return 0;
}

void dcc_log_to_syslog(void)
{
    close_file();
    openlog(log_state.program, LOG_PID, LOG_DAEMON);
    log_state.dest = DEST_SYSLOG;
}

int dcc_log_fd(void)
{
    switch (log_state.dest) {
    case DEST_FILE:
        return log_state.file_fd;
    case DEST_STDERR:
        return STDERR_FILENO;
    default:
        return -1;
    }
}

void dcc_log_set_hook(dcc_log_hook_fn fn, enum dcc_log_level max_level, void *ctx)
{
    log_state.hook = fn;
    log_state.hook_level = max_level;
    log_state.hook_ctx = ctx;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

void dcc_log(enum dcc_log_level level, const char *fmt, ...)
{
    int to_dest = level <= log_state.level;
    int to_hook = log_state.hook && level <= log_state.hook_level;
    if (!to_dest && !to_hook)
        return;

    int saved_errno = errno;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One message is one line, whatever the caller passed in. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';

    char line[2200];
    int n = snprintf(line, sizeof line, "%s[%ld] %s: %s\n", log_state.program, (long)getpid(),
                     dcc_log_level_name(level), msg);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;

    if (to_dest) {
        if (log_state.dest == DEST_SYSLOG) {
            syslog(level_table[level].syslog_priority, "%s: %s", dcc_log_level_name(level), msg);
        } else if (log_state.dest == DEST_FILE) {
            char stamp[32];
            time_t now = time(NULL);
            struct tm tm;
            localtime_r(&now, &tm);
            size_t sl = strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S ", &tm);
            char full[2240];
            int fl = snprintf(full, sizeof full, "%.*s%.*s", (int)sl, stamp, n, line);
            if (fl > 0)
                write_all(log_state.file_fd, full,
                          (size_t)fl < sizeof full ? (size_t)fl : sizeof full - 1);
        } else {
            write_all(STDERR_FILENO, line, (size_t)n);
        }
    }
    if (to_hook)
        log_state.hook(level, line, log_state.hook_ctx);
    errno = saved_errno;
}
