/* env.d files (/etc/env.d/02distcc): reading, editing in place, distcc's variables, atomic writes. */
#ifndef DCC_ENVD_H
#define DCC_ENVD_H

#include <stddef.h>
#include <sys/types.h>

#include "base/dcc_util.h"
#include "proto/dcc_settings.h"

/* An env.d file is a handful of lines; anything larger is not one. */
#define DCC_ENVD_MAX_SIZE (256 * 1024)

struct dcc_envd_line {
    char *text;    /* the line as read (or as rewritten), without its newline */
    char *name;    /* the variable this line assigns; NULL for comments and other lines */
    char *value;   /* its value with the quoting removed; NULL when name is NULL */
    size_t val_at; /* where the written value (quotes included) starts in text */
    size_t val_len;
};

struct dcc_envd {
    struct dcc_envd_line *lines;
    size_t n;
};

/* Splits text into lines and recognises NAME=value, NAME="value",
 * NAME='value' (optionally after "export ", optionally followed by
 * "# comment"). Every other line is kept verbatim. 0, or -1 with err
 * (a NUL byte, too large, out of memory). */
int dcc_envd_parse(const char *text, size_t len, struct dcc_envd *env, char *err, size_t errlen);

/* Reads and parses a file. -1 with err; errno is ENOENT when it is missing. */
int dcc_envd_load(const char *path, struct dcc_envd *env, char *err, size_t errlen);

/* The value env-update would use: the last assignment wins. NULL if unset. */
const char *dcc_envd_get(const struct dcc_envd *env, const char *name);

enum dcc_envd_change {
    DCC_ENVD_UNCHANGED, /* it already had that value */
    DCC_ENVD_REPLACED,  /* an existing line was rewritten (trailing comment kept) */
    DCC_ENVD_ADDED,     /* the variable was missing and a line was appended */
};

/* Sets name to value as NAME="value". The first assignment is rewritten in
 * place and later ones (which would override it) are dropped. The value must
 * pass dcc_envd_value_ok. 0, or -1 with err. */
int dcc_envd_set(struct dcc_envd *env, const char *name, const char *value,
                 enum dcc_envd_change *change, char *err, size_t errlen);

/* The whole file again, every line ending in a newline. 0 or -1 (ENOMEM). */
int dcc_envd_render(const struct dcc_envd *env, struct dcc_buf *out);

/* Renders and writes atomically with mode 0644. 0, or -1 with err. */
int dcc_envd_save(const char *path, const struct dcc_envd *env, char *err, size_t errlen);

void dcc_envd_free(struct dcc_envd *env);

/* 1 for a shell variable name ([A-Za-z_][A-Za-z0-9_]*). */
int dcc_envd_name_ok(const char *name);

/* A value is written inside double quotes, which env-update expands, so
 * quotes, backslashes, $, backquotes and control characters are refused.
 * 0, or -1 with err naming the character. */
int dcc_envd_value_ok(const char *value, char *err, size_t errlen);

/* distcc's own variables, the only ones distcc-config writes: the entries
 * of dcc_settings_table marked DCC_READ_ENVD, with their kinds and ranges.
 * What only env.d needs is kept here, by name. */
struct dcc_envd_note {
    const char *name;    /* an entry of dcc_settings_table */
    const char *refused; /* not to be set in env.d: where it belongs instead */
    const char *note;    /* what setting it to a value does not do */
};

/* NULL-name terminated. */
extern const struct dcc_envd_note dcc_envd_notes[];

/* The settings entry for name when distcc-config knows it (it may set it,
 * or refuses it with a reason), else NULL. */
const struct dcc_setting *dcc_envd_var_find(const char *name);

/* What only env.d says about name, or NULL. */
const struct dcc_envd_note *dcc_envd_note_find(const char *name);

/* 0 when name is distcc's, settable, and value fits its kind and range; -1
 * with err saying what is wrong and what is expected. */
int dcc_envd_var_check(const char *name, const char *value, char *err, size_t errlen);

/* Files ---------------------------------------------------------------- */

/* Writes data to a hidden temporary file in path's directory (env-update
 * skips dotfiles, so a crash never leaves a second 02distcc behind), sets
 * mode, fsyncs and renames it over path. Path is unchanged on any failure.
 * 0, or -1 with err. */
int dcc_envd_write_file(const char *path, const void *data, size_t len, mode_t mode, char *err,
                        size_t errlen);

/* mkdir -p with mode for the directories it creates. *created (may be NULL)
 * is set to 1 when the last component did not exist. 0, or -1 with err. */
int dcc_envd_mkdirs(const char *path, mode_t mode, int *created, char *err, size_t errlen);

#endif
