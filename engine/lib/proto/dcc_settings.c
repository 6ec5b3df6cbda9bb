/* The table of every environment variable distcc's programs read, and reading them once. */
#include "proto/dcc_settings.h"

#include "base/dcc_util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define C DCC_READ_CLIENT
#define D DCC_READ_DAEMON
#define P DCC_READ_PUMP
#define M DCC_READ_MONITOR
#define E DCC_READ_ENVD
#define KEEP DCC_BAD_KEEPS_DEFAULT
#define WARN DCC_BAD_WARNS

/* The defaults here are the only ones: programs, distcc-config and the man
 * pages (tests/bats/man-settings.bats) follow this table. */
const struct dcc_setting dcc_settings_table[] = {
    {DCC_SET_HOSTS, "DISTCC_HOSTS", DCC_SETTING_HOSTS, 0, 0, NULL, 0, C | P | M, KEEP,
     "the host list; unset: $DISTCC_DIR/hosts, then the system hosts file"},
    {DCC_SET_DIR, "DISTCC_DIR", DCC_SETTING_PATH, 0, 0, "~/.distcc", 0, C | M | E, KEEP,
     "directory of lock/, state/ and a user's hosts file"},
    {DCC_SET_VERBOSE, "DISTCC_VERBOSE", DCC_SETTING_BOOL, 0, 1, "0", 0, C | E, KEEP,
     "1 logs every step of every job"},
    {DCC_SET_LOG, "DISTCC_LOG", DCC_SETTING_PATH, 0, 0, NULL, 0, C | E, KEEP,
     "file the client logs to instead of stderr"},
    {DCC_SET_FALLBACK, "DISTCC_FALLBACK", DCC_SETTING_BOOL, 0, 1, "1", 1, C | E, KEEP,
     "0 fails a job instead of compiling locally when hosts fail"},
    {DCC_SET_BACKOFF_PERIOD, "DISTCC_BACKOFF_PERIOD", DCC_SETTING_SECONDS, 0, INT_MAX, "60", 60,
     C | E, KEEP, "seconds a failed host is avoided; 0 never avoids one"},
    {DCC_SET_IO_TIMEOUT, "DISTCC_IO_TIMEOUT", DCC_SETTING_SECONDS, 1, 86400, "300", 300, C | D | E,
     DCC_BAD_IS_ERROR, "seconds a network read or write may stall"},
    {DCC_SET_PAUSE_TIME_MSEC, "DISTCC_PAUSE_TIME_MSEC", DCC_SETTING_MSEC, 0, INT_MAX, "1000", 1000,
     C | E, KEEP, "longest wait in milliseconds between checks for a free slot"},
    {DCC_SET_SAVE_TEMPS, "DISTCC_SAVE_TEMPS", DCC_SETTING_BOOL, 0, 1, "0", 0, C | E, KEEP,
     "1 keeps the preprocessed source and the helper's stderr"},
    {DCC_SET_SKIP_LOCAL_RETRY, "DISTCC_SKIP_LOCAL_RETRY", DCC_SETTING_FLAG, 0, 1, NULL, 0, C | E,
     KEEP, "set: a compile that failed on a helper is not retried locally"},
    {DCC_SET_TCP_CORK, "DISTCC_TCP_CORK", DCC_SETTING_BOOL, 0, 1, "1", 1, C | E, KEEP,
     "0 turns TCP corking off"},
    {DCC_SET_SSH, "DISTCC_SSH", DCC_SETTING_STRING, 0, 0, "ssh", 0, C | E, KEEP,
     "command used for @host hosts"},
    {DCC_SET_NO_REWRITE_CROSS, "DISTCC_NO_REWRITE_CROSS", DCC_SETTING_FLAG, 0, 1, NULL, 0, C | E,
     KEEP, "set: gcc is sent as gcc instead of CHOST-gcc"},
    {DCC_SET_PRINCIPAL, "DISTCC_PRINCIPAL", DCC_SETTING_STRING, 0, 0, NULL, 0, C, KEEP,
     "the helpers' GSS-API service name for ,auth hosts"},
    {DCC_SET_MAX_DISCREPANCY, "DISTCC_MAX_DISCREPANCY", DCC_SETTING_INT, 0, INT_MAX, "1", 1,
     C | P | E, KEEP, "pump-mode jobs that fail remotely but compile here before pump mode is off"},
    {DCC_SET_HELPER_TTL, "DISTCC_HELPER_TTL", DCC_SETTING_SECONDS, 0, 604800, "600", 600, C | E,
     WARN, "seconds what a helper is (ours or stock, its features) is kept; 0 asks every time"},
    {DCC_SET_ZSTD_LEVEL, "DISTCC_ZSTD_LEVEL", DCC_SETTING_INT, 1, 19, "1", 1, C | E, WARN,
     "zstd level of what is sent to ,zstd hosts (1 fastest, 19 smallest)"},
    {DCC_SET_DIRECTIVES_ONLY, "DISTCC_DIRECTIVES_ONLY", DCC_SETTING_BOOL, 0, 1, "0", 0, C | E, WARN,
     "1: gcc -fdirectives-only here, macros expanded by ,zstd helpers of ours"},
    {DCC_SET_CPP_DIRECT, "DISTCC_CPP_DIRECT", DCC_SETTING_BOOL, 0, 1, "1", 1, C | E, WARN,
     "0: gcc -E through the driver; 1: its cc1 run directly, learned from gcc -###"},
    {DCC_SET_TOOLCHAIN_MATCH, "DISTCC_TOOLCHAIN_MATCH", DCC_SETTING_STRING, 0, 0, "exact", 0, C | E,
     KEEP,
     "which helpers get a job: exact (same compiler version), minor (patch level may differ), off"},
    {DCC_SET_HELPER_LOAD, "DISTCC_HELPER_LOAD", DCC_SETTING_STRING, 0, 0, "on", 0, C | E, KEEP,
     "on: a job goes first where other clients leave slots free (helpers of ours); off: list order"},
    {DCC_SET_HELPER_LOAD_TTL, "DISTCC_HELPER_LOAD_TTL", DCC_SETTING_MSEC, 0, 60000, "1000", 1000,
     C | E, WARN, "milliseconds a helper's load is kept for the next jobs; 0 asks every time"},
    {DCC_SET_INCLUDE_SERVER_PORT, "INCLUDE_SERVER_PORT", DCC_SETTING_PATH, 0, 0, NULL, 0, C, KEEP,
     "set by pump: turns pump mode on"},
    {DCC_SET_INCLUDE_SERVER_DIR, "INCLUDE_SERVER_DIR", DCC_SETTING_PATH, 0, 0, NULL, 0, P, KEEP,
     "set by pump --startup: what pump --shutdown removes"},
    {DCC_SET_TMPDIR, "TMPDIR", DCC_SETTING_PATH, 0, 0, "/tmp", 0, C | D | P, KEEP,
     "where temporary files and directories go"},
    {DCC_SET_DAEMON_PATH, "DISTCCD_PATH", DCC_SETTING_PATH, 0, 0, NULL, 0, D, KEEP,
     "where distccd looks for compilers instead of PATH"},
    {DCC_SET_DAEMON_PRINCIPAL, "DISTCCD_PRINCIPAL", DCC_SETTING_STRING, 0, 0, NULL, 0, D, KEEP,
     "the GSS-API principal distccd --auth accepts as"},
    {DCC_SET_ENABLE_DISCREPANCY_EMAIL, "DISTCC_ENABLE_DISCREPANCY_EMAIL", DCC_SETTING_BOOL, 0, 1,
     NULL, 0, E, KEEP,
     "stock distcc's switch for mailing pump discrepancies (read by no program here)"},
    {DCC_SET_EMAILLOG_WHOM_TO_BLAME, "DISTCC_EMAILLOG_WHOM_TO_BLAME", DCC_SETTING_STRING, 0, 0,
     NULL, 0, E, KEEP, "stock distcc's address for those mails (read by no program here)"},
    {DCC_SET_OLD_EMAILLOG_WHOM_TO_BLAME, "DCC_EMAILLOG_WHOM_TO_BLAME", DCC_SETTING_STRING, 0, 0,
     NULL, 0, E, KEEP,
     "old Gentoo spelling that distcc never read; use DISTCC_EMAILLOG_WHOM_TO_BLAME"},
    {DCC_SET_UNCACHED_ERR_FD, "UNCACHED_ERR_FD", DCC_SETTING_INT, 0, 999999999, NULL, 0, E, KEEP,
     "file descriptor for stock pump mode's include-server errors (read by no program here)"},
    {DCC_SET_COUNT, NULL, DCC_SETTING_STRING, 0, 0, NULL, 0, 0, KEEP, NULL},
};

const struct dcc_setting *dcc_setting_find(const char *name)
{
    for (const struct dcc_setting *e = dcc_settings_table; name && e->name; e++)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* A plain decimal number: no sign (unless negative values are allowed), no
 * blanks, nothing after it. */
static int read_decimal(const char *s, long min, long *out)
{
    if (!(s[0] >= '0' && s[0] <= '9') && !(s[0] == '-' && min < 0))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int dcc_setting_parse_number(const struct dcc_setting *e, const char *value, long *out, char *err,
                             size_t errlen)
{
    *out = e->def_num;
    if (!value || !*value)
        return 0;
    long v;
    int ok;
    if (e->kind == DCC_SETTING_BOOL) {
        ok = strcmp(value, "0") == 0 || strcmp(value, "1") == 0;
        v = value[0] == '1';
    } else {
        ok = read_decimal(value, e->min, &v) == 0 && v >= e->min && v <= e->max;
    }
    if (ok) {
        *out = v;
        return 0;
    }
    if (e->bad == DCC_BAD_KEEPS_DEFAULT)
        return 0;
    int rc = e->bad == DCC_BAD_WARNS ? 1 : -1;
    if (e->kind == DCC_SETTING_BOOL)
        dcc_set_err(err, errlen, "%s must be 0 or 1, not \"%.100s\"", e->name, value);
    else if (e->kind == DCC_SETTING_SECONDS && (read_decimal(value, e->min, &v) != 0 || v < e->min))
        dcc_set_err(err, errlen, "%s must be a positive number of seconds, not \"%.100s\"", e->name,
                    value);
    else if (e->kind == DCC_SETTING_SECONDS)
        dcc_set_err(err, errlen, "%s must be at most %ld seconds, not \"%.100s\"", e->name, e->max,
                    value);
    else
        dcc_set_err(err, errlen, "%s must be a whole number from %ld to %ld, not \"%.100s\"",
                    e->name, e->min, e->max, value);
    return rc;
}

static int is_number(enum dcc_setting_kind kind)
{
    return kind == DCC_SETTING_BOOL || kind == DCC_SETTING_INT || kind == DCC_SETTING_SECONDS ||
           kind == DCC_SETTING_MSEC;
}

int dcc_settings_load(struct dcc_settings *s, char *err, size_t errlen)
{
    return dcc_settings_load_for(s, ~0u, err, errlen);
}

int dcc_settings_load_for(struct dcc_settings *s, unsigned readers, char *err, size_t errlen)
{
    int rc = 0;
    s->warning[0] = '\0';
    for (const struct dcc_setting *e = dcc_settings_table; e->name; e++) {
        const char *value = (e->readers & readers) ? getenv(e->name) : NULL;
        s->str[e->id] = value;
        s->num[e->id] = e->kind == DCC_SETTING_FLAG ? value != NULL : e->def_num;
        if (!is_number(e->kind))
            continue;
        char why[256];
        int bad = dcc_setting_parse_number(e, value, &s->num[e->id], why, sizeof why);
        if (bad > 0 && !s->warning[0])
            snprintf(s->warning, sizeof s->warning, "%s: using %s", why, e->def);
        if (bad < 0 && rc == 0) {
            dcc_set_err(err, errlen, "%s", why);
            rc = -1;
        }
    }
    return rc;
}

const char *dcc_settings_str(const struct dcc_settings *s, enum dcc_setting_id id)
{
    const char *v = s->str[id];
    return v && *v ? v : dcc_settings_table[id].def;
}

void dcc_settings_help(FILE *out, unsigned readers)
{
    int width = 0;
    for (const struct dcc_setting *e = dcc_settings_table; e->name; e++)
        if ((e->readers & readers) && (int)strlen(e->name) > width)
            width = (int)strlen(e->name);
    for (const struct dcc_setting *e = dcc_settings_table; e->name; e++) {
        if (!(e->readers & readers))
            continue;
        if (e->def)
            fprintf(out, "  %-*s  %s (default %s)\n", width, e->name, e->help, e->def);
        else
            fprintf(out, "  %-*s  %s\n", width, e->name, e->help);
    }
}
