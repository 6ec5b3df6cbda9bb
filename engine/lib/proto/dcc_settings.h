/* Every environment variable distcc's programs read: one table (kind, default, readers, help) and the values, read once. */
#ifndef DCC_SETTINGS_H
#define DCC_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

/* How a value is read. Booleans take only "1" and "0", as stock distcc's
 * do; a flag is on when the variable is set at all, whatever its value. */
enum dcc_setting_kind {
    DCC_SETTING_BOOL,    /* 0 or 1 */
    DCC_SETTING_FLAG,    /* set (any value) or unset */
    DCC_SETTING_INT,     /* a whole number in [min, max] */
    DCC_SETTING_SECONDS, /* a whole number of seconds in [min, max] */
    DCC_SETTING_MSEC,    /* a whole number of milliseconds in [min, max] */
    DCC_SETTING_STRING,  /* text */
    DCC_SETTING_PATH,    /* a file or directory; distcc-config wants it absolute */
    DCC_SETTING_HOSTS,   /* a host list (dcc_hosts_parse) */
};

/* Who reads a variable (the man page that documents it follows the
 * program), and DCC_READ_ENVD: distcc-config --set-env writes it. */
#define DCC_READ_CLIENT 0x01u  /* distcc, distcc(1) */
#define DCC_READ_DAEMON 0x02u  /* distccd, distccd(1) */
#define DCC_READ_PUMP 0x04u    /* pump, pump(1) */
#define DCC_READ_MONITOR 0x08u /* distccmon-text and -gui */
#define DCC_READ_ENVD 0x10u    /* distcc-config --set-env, distcc-config(1) VARIABLES */

/* A value that does not fit: kept at the default silently (stock's way,
 * so a typo cannot mean "no backoff" or a busy loop), an error, or (our
 * own variables) kept at the default with a warning. */
enum dcc_setting_bad { DCC_BAD_KEEPS_DEFAULT, DCC_BAD_IS_ERROR, DCC_BAD_WARNS };

enum dcc_setting_id {
    DCC_SET_HOSTS,
    DCC_SET_DIR,
    DCC_SET_VERBOSE,
    DCC_SET_LOG,
    DCC_SET_FALLBACK,
    DCC_SET_BACKOFF_PERIOD,
    DCC_SET_IO_TIMEOUT,
    DCC_SET_PAUSE_TIME_MSEC,
    DCC_SET_SAVE_TEMPS,
    DCC_SET_SKIP_LOCAL_RETRY,
    DCC_SET_TCP_CORK,
    DCC_SET_SSH,
    DCC_SET_NO_REWRITE_CROSS,
    DCC_SET_PRINCIPAL,
    DCC_SET_MAX_DISCREPANCY,
    DCC_SET_HELPER_TTL,
    DCC_SET_ZSTD_LEVEL,
    DCC_SET_DIRECTIVES_ONLY,
    DCC_SET_CPP_DIRECT,
    DCC_SET_TOOLCHAIN_MATCH,
    DCC_SET_HELPER_LOAD,
    DCC_SET_HELPER_LOAD_TTL,
    DCC_SET_INCLUDE_SERVER_PORT,
    DCC_SET_INCLUDE_SERVER_DIR,
    DCC_SET_TMPDIR,
    DCC_SET_DAEMON_PATH,
    DCC_SET_DAEMON_PRINCIPAL,
    DCC_SET_ENABLE_DISCREPANCY_EMAIL,
    DCC_SET_EMAILLOG_WHOM_TO_BLAME,
    DCC_SET_OLD_EMAILLOG_WHOM_TO_BLAME,
    DCC_SET_UNCACHED_ERR_FD,
    DCC_SET_COUNT
};

struct dcc_setting {
    enum dcc_setting_id id;
    const char *name;
    enum dcc_setting_kind kind;
    long min, max;    /* numbers only */
    const char *def;  /* the default as the man pages write it; NULL: unset means off / none */
    long def_num;     /* numbers and booleans: the default's value */
    unsigned readers; /* DCC_READ_* */
    enum dcc_setting_bad bad;
    const char *help; /* one line */
};

/* In the order the man pages list them, indexed by enum dcc_setting_id;
 * dcc_settings_table[DCC_SET_COUNT].name is NULL. */
extern const struct dcc_setting dcc_settings_table[];

/* The entry for name, or NULL when no program of ours reads it. */
const struct dcc_setting *dcc_setting_find(const char *name);

/* The values, read once by a program and handed to the modules that need
 * them. Numbers and booleans are the default when unset (or when a bad
 * value keeps the default); strings are NULL when unset. */
struct dcc_settings {
    long num[DCC_SET_COUNT];        /* BOOL, FLAG (1 when set), INT, SECONDS, MSEC */
    const char *str[DCC_SET_COUNT]; /* the raw value (getenv's pointer), NULL when unset */
    char warning[320]; /* the first DCC_BAD_WARNS value kept at its default, "" when none */
};

/* Reads every variable of the table from the environment. Every value is
 * filled (a bad one that is an error keeps its default); returns 0, or -1
 * with err naming the first bad variable and its value, e.g.
 * DISTCC_IO_TIMEOUT must be a positive number of seconds, not "x". */
int dcc_settings_load(struct dcc_settings *s, char *err, size_t errlen);

/* The same for the variables one program reads (DCC_READ_*): the others
 * keep their defaults and are not checked, so a bad value meant for
 * another program stops nothing here. */
int dcc_settings_load_for(struct dcc_settings *s, unsigned readers, char *err, size_t errlen);

/* Reads and checks one number-like value (an entry of kind BOOL, INT,
 * SECONDS, MSEC) as dcc_settings_load does: 0 with *out (the default when
 * value is NULL or empty, or bad and kept silently), 1 with err when bad,
 * kept and to be warned of (DCC_BAD_WARNS), -1 with err when bad. */
int dcc_setting_parse_number(const struct dcc_setting *e, const char *value, long *out, char *err,
                             size_t errlen);

/* One line per variable that a program of readers (DCC_READ_*) reads:
 * "  NAME  help (default D)", for --help. */
void dcc_settings_help(FILE *out, unsigned readers);

/* A string setting, or the table's default when it is unset or empty
 * (TMPDIR: /tmp); NULL when there is neither. Not for DISTCC_DIR, whose
 * default is written for people (~/.distcc). */
const char *dcc_settings_str(const struct dcc_settings *s, enum dcc_setting_id id);

#endif
