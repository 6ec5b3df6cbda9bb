/* env.d files: parse and edit without losing lines, distcc's variable table, atomic file writes. */
#include "admin/dcc_envd.h"

#include "base/dcc_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct dcc_envd_note dcc_envd_notes[] = {
    {"DISTCC_ENABLE_DISCREPANCY_EMAIL", NULL,
     "this distcc sends no mail, so DISTCC_ENABLE_DISCREPANCY_EMAIL has no effect; it is accepted because "
     "Gentoo's file has always listed it"},
    {"DISTCC_EMAILLOG_WHOM_TO_BLAME", NULL,
     "this distcc sends no mail, so DISTCC_EMAILLOG_WHOM_TO_BLAME has no effect"},
    {"DCC_EMAILLOG_WHOM_TO_BLAME", NULL,
     "stock distcc reads DISTCC_EMAILLOG_WHOM_TO_BLAME, not this old Gentoo name, and this distcc sends no mail; "
     "it has no effect"},
    {"DISTCC_HOSTS",
     "is not set in env.d: use distcc-config --set-hosts, which writes the hosts file", NULL},
    {NULL, NULL, NULL},
};

int dcc_envd_name_ok(const char *name)
{
    if (!name || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return 0;
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return 0;
    return 1;
}

int dcc_envd_value_ok(const char *value, char *err, size_t errlen)
{
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '$' || *p == '`') {
            dcc_set_err(err, errlen,
                        "the value may not contain %c (env-update would expand or unquote it)", *p);
            return -1;
        }
        if (*p < 0x20 || *p == 0x7f) {
            dcc_set_err(err, errlen,
                        "the value may not contain control characters such as newlines");
            return -1;
        }
    }
    return 0;
}

const struct dcc_envd_note *dcc_envd_note_find(const char *name)
{
    for (const struct dcc_envd_note *n = dcc_envd_notes; n->name; n++)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

const struct dcc_setting *dcc_envd_var_find(const char *name)
{
    const struct dcc_setting *e = dcc_setting_find(name);
    const struct dcc_envd_note *n = dcc_envd_note_find(name);
    return e && ((e->readers & DCC_READ_ENVD) || (n && n->refused)) ? e : NULL;
}

int dcc_envd_var_check(const char *name, const char *value, char *err, size_t errlen)
{
    const struct dcc_setting *e = dcc_envd_var_find(name);
    const struct dcc_envd_note *n = dcc_envd_note_find(name);
    if (!e) {
        dcc_set_err(err, errlen,
                    "%.100s is not one of distcc's variables (the list is in distcc-config(1))",
                    name);
        return -1;
    }
    if (n && n->refused) {
        dcc_set_err(err, errlen, "%s %s", e->name, n->refused);
        return -1;
    }
    char why[160];
    if (dcc_envd_value_ok(value, why, sizeof why) != 0) {
        dcc_set_err(err, errlen, "%s: %s", name, why);
        return -1;
    }
    if (*value == '\0')
        return 0;
    switch (e->kind) {
    case DCC_SETTING_FLAG:
        /* distcc (ours and stock's) takes any value, 0 too, as "on". */
        if (strcmp(value, "1") != 0) {
            dcc_set_err(err, errlen,
                        "%s is on whenever it is set, to any value, 0 too: set it to 1, or leave "
                        "it out of the file to have it off; not \"%.60s\"",
                        name, value);
            return -1;
        }
        break;
    case DCC_SETTING_BOOL:
        if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0) {
            dcc_set_err(err, errlen, "%s takes 0 or 1, not \"%.60s\"", name, value);
            return -1;
        }
        break;
    case DCC_SETTING_INT:
    case DCC_SETTING_SECONDS:
    case DCC_SETTING_MSEC: {
        size_t len = strlen(value);
        if (len > 9 || strspn(value, "0123456789") != len) {
            dcc_set_err(err, errlen, "%s takes a whole number, not \"%.60s\"", name, value);
            return -1;
        }
        long v = strtol(value, NULL, 10);
        if (v < e->min || v > e->max) {
            dcc_set_err(err, errlen, "%s takes a whole number from %ld to %ld, not \"%.60s\"", name,
                        e->min, e->max, value);
            return -1;
        }
        break;
    }
    case DCC_SETTING_PATH:
        if (value[0] != '/') {
            dcc_set_err(err, errlen, "%s takes an absolute path (starting with /), not \"%.60s\"",
                        name, value);
            return -1;
        }
        break;
    case DCC_SETTING_STRING:
    case DCC_SETTING_HOSTS:
        break;
    }
    return 0;
}

static void line_free(struct dcc_envd_line *l)
{
    free(l->text);
    free(l->name);
    free(l->value);
    memset(l, 0, sizeof *l);
}

void dcc_envd_free(struct dcc_envd *env)
{
    if (!env)
        return;
    for (size_t i = 0; i < env->n; i++)
        line_free(&env->lines[i]);
    free(env->lines);
    env->lines = NULL;
    env->n = 0;
}

/* Reads one quoted or bare value starting at *pp the way env-update's
 * shell-like lexer does for the quoting distcc files use. Fills out and
 * moves *pp past it; -1 when a quote is not closed on this line. */
static int read_value(const char **pp, struct dcc_buf *out)
{
    const char *p = *pp;
    int rc = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`'))
                p++;
            rc |= dcc_buf_append(out, p, 1);
        }
        if (*p != '"')
            return -1;
        p++;
    } else if (*p == '\'') {
        const char *end = strchr(p + 1, '\'');
        if (!end)
            return -1;
        rc |= dcc_buf_append(out, p + 1, (size_t)(end - p - 1));
        p = end + 1;
    } else {
        const char *start = p;
        while (*p && !isspace((unsigned char)*p) && *p != '#' && *p != '"' && *p != '\'')
            p++;
        rc |= dcc_buf_append(out, start, (size_t)(p - start));
    }
    if (rc == 0 && !out->data)
        rc = dcc_buf_append(out, "", 0);
    *pp = p;
    return rc ? -2 : 0;
}

/* Fills name/value of a line that assigns a variable. 0 when it does,
 * 1 when it is some other line, -1 on ENOMEM. */
static int parse_assignment(struct dcc_envd_line *l)
{
    const char *p = l->text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
        p += 6;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    const char *name = p;
    if (!(isalpha((unsigned char)*p) || *p == '_'))
        return 1;
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    if (*p != '=')
        return 1;
    size_t name_len = (size_t)(p - name);
    p++;
    const char *val_start = p;
    struct dcc_buf value = {0};
    int rc = read_value(&p, &value);
    if (rc == -2) {
        dcc_buf_free(&value);
        return -1;
    }
    if (rc != 0) {
        dcc_buf_free(&value);
        return 1;
    }
    const char *val_end = p;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '\0' && *p != '#') {
        dcc_buf_free(&value);
        return 1;
    }
    l->name = strndup(name, name_len);
    if (!l->name) {
        dcc_buf_free(&value);
        return -1;
    }
    l->value = value.data;
    l->val_at = (size_t)(val_start - l->text);
    l->val_len = (size_t)(val_end - val_start);
    return 0;
}

static int append_line(struct dcc_envd *env, const char *text, size_t len)
{
    struct dcc_envd_line *grown = realloc(env->lines, (env->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    env->lines = grown;
    struct dcc_envd_line *l = &env->lines[env->n];
    memset(l, 0, sizeof *l);
    l->text = strndup(text, len);
    if (!l->text)
        return -1;
    env->n++;
    if (parse_assignment(l) < 0)
        return -1;
    return 0;
}

int dcc_envd_parse(const char *text, size_t len, struct dcc_envd *env, char *err, size_t errlen)
{
    memset(env, 0, sizeof *env);
    if (len > DCC_ENVD_MAX_SIZE) {
        dcc_set_err(err, errlen, "larger than %d bytes, which is not an env.d file",
                    DCC_ENVD_MAX_SIZE);
        return -1;
    }
    if (memchr(text, '\0', len)) {
        dcc_set_err(err, errlen, "it holds a NUL byte, which is not an env.d file");
        return -1;
    }
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t line_len = nl ? (size_t)(nl - (text + at)) : len - at;
        if (append_line(env, text + at, line_len) != 0) {
            dcc_set_err(err, errlen, "out of memory");
            dcc_envd_free(env);
            return -1;
        }
        at += line_len + (nl ? 1 : 0);
    }
    return 0;
}

int dcc_envd_load(const char *path, struct dcc_envd *env, char *err, size_t errlen)
{
    memset(env, 0, sizeof *env);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int saved = errno;
        dcc_set_err(err, errlen, "cannot read %s: %s", path, strerror(saved));
        errno = saved;
        return -1;
    }
    struct dcc_buf b = {0};
    if (dcc_read_regular_fd(fd, path, DCC_ENVD_MAX_SIZE, "an env.d file", &b, err, errlen) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    close(fd);
    char why[200];
    int rc = dcc_envd_parse(b.data ? b.data : "", b.len, env, why, sizeof why);
    if (rc != 0) {
        dcc_set_err(err, errlen, "cannot read %s: %s", path, why);
        errno = EINVAL;
    }
    dcc_buf_free(&b);
    return rc;
}

const char *dcc_envd_get(const struct dcc_envd *env, const char *name)
{
    const char *found = NULL;
    for (size_t i = 0; i < env->n; i++)
        if (env->lines[i].name && strcmp(env->lines[i].name, name) == 0)
            found = env->lines[i].value;
    return found;
}

/* Rewrites line l to assign value, keeping what was before the value
 * (indentation, "export") and after it (a trailing comment). */
static int rewrite_line(struct dcc_envd_line *l, const char *value)
{
    struct dcc_buf b = {0};
    int rc = dcc_buf_append(&b, l->text, l->val_at);
    rc |= dcc_buf_printf(&b, "\"%s\"", value);
    rc |= dcc_buf_appends(&b, l->text + l->val_at + l->val_len);
    char *copy = strdup(value);
    if (rc != 0 || !copy) {
        dcc_buf_free(&b);
        free(copy);
        return -1;
    }
    free(l->text);
    free(l->value);
    l->text = b.data;
    l->value = copy;
    l->val_len = strlen(value) + 2;
    return 0;
}

int dcc_envd_set(struct dcc_envd *env, const char *name, const char *value,
                 enum dcc_envd_change *change, char *err, size_t errlen)
{
    if (!dcc_envd_name_ok(name)) {
        dcc_set_err(err, errlen, "\"%.60s\" is not a variable name", name);
        return -1;
    }
    if (dcc_envd_value_ok(value, err, errlen) != 0)
        return -1;

    size_t first = env->n;
    size_t count = 0;
    for (size_t i = 0; i < env->n; i++) {
        if (env->lines[i].name && strcmp(env->lines[i].name, name) == 0) {
            if (first == env->n)
                first = i;
            count++;
        }
    }

    if (first == env->n) {
        struct dcc_buf line = {0};
        if (dcc_buf_printf(&line, "%s=\"%s\"", name, value) != 0 ||
            append_line(env, line.data, line.len) != 0) {
            dcc_buf_free(&line);
            dcc_set_err(err, errlen, "out of memory");
            return -1;
        }
        dcc_buf_free(&line);
        *change = DCC_ENVD_ADDED;
        return 0;
    }

    struct dcc_envd_line *l = &env->lines[first];
    if (count == 1 && strcmp(l->value, value) == 0) {
        *change = DCC_ENVD_UNCHANGED;
        return 0;
    }
    if (rewrite_line(l, value) != 0) {
        dcc_set_err(err, errlen, "out of memory");
        return -1;
    }
    /* env-update lets a later assignment win, so keeping one would undo ours. */
    size_t out = first + 1;
    for (size_t i = first + 1; i < env->n; i++) {
        if (env->lines[i].name && strcmp(env->lines[i].name, name) == 0)
            line_free(&env->lines[i]);
        else
            env->lines[out++] = env->lines[i];
    }
    env->n = out;
    *change = DCC_ENVD_REPLACED;
    return 0;
}

int dcc_envd_render(const struct dcc_envd *env, struct dcc_buf *out)
{
    if (dcc_buf_append(out, "", 0) != 0)
        return -1;
    for (size_t i = 0; i < env->n; i++) {
        if (dcc_buf_appends(out, env->lines[i].text) != 0 || dcc_buf_append(out, "\n", 1) != 0)
            return -1;
    }
    return 0;
}

int dcc_envd_save(const char *path, const struct dcc_envd *env, char *err, size_t errlen)
{
    struct dcc_buf b = {0};
    if (dcc_envd_render(env, &b) != 0) {
        dcc_buf_free(&b);
        dcc_set_err(err, errlen, "cannot write %s: out of memory", path);
        return -1;
    }
    int rc = dcc_envd_write_file(path, b.data, b.len, 0644, err, errlen);
    dcc_buf_free(&b);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int dcc_envd_write_file(const char *path, const void *data, size_t len, mode_t mode, char *err,
                        size_t errlen)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) : 0;
    const char *base = slash ? slash + 1 : path;
    char tmp[PATH_MAX];
    int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX", (int)dir_len, path, base)
                  : snprintf(tmp, sizeof tmp, ".%s.XXXXXX", base);
    if (*base == '\0' || n < 0 || (size_t)n >= sizeof tmp) {
        dcc_set_err(err, errlen, "cannot write %s: the name is empty or too long", path);
        return -1;
    }

    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        dcc_set_err(err, errlen, "cannot write %s: cannot create a temporary file there: %s", path,
                    strerror(errno));
        return -1;
    }
    const char *step = "write";
    if (write_all(fd, data, len) != 0)
        goto fail;
    /* mkstemp makes 0600 and the umask must not decide what others can read. */
    step = "chmod";
    if (fchmod(fd, mode) != 0)
        goto fail;
    step = "fsync";
    if (fsync(fd) != 0)
        goto fail;
    step = "close";
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    step = "rename";
    if (rename(tmp, path) != 0)
        goto fail;

    char dir[PATH_MAX];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", dir_len ? (int)dir_len : 1, path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd); /* best effort: the rename itself already happened */
        close(dfd);
    }
    return 0;

fail:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    dcc_set_err(err, errlen, "cannot write %s: %s failed: %s", path, step, strerror(saved));
    errno = saved;
    return -1;
}

int dcc_envd_mkdirs(const char *path, mode_t mode, int *created, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (created)
        *created = 0;
    if (len == 0 || len >= sizeof buf) {
        dcc_set_err(err, errlen, "cannot create directory \"%.80s\": the name is empty or too long",
                    path);
        return -1;
    }
    memcpy(buf, path, len + 1);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';

    for (char *p = buf + 1;; p++) {
        int last = *p == '\0';
        if (*p != '/' && !last)
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) == 0) {
            /* The umask must not leave /etc/distcc unreadable for users. */
            if (chmod(buf, mode) != 0) {
                dcc_set_err(err, errlen, "cannot set the mode of %s: %s", buf, strerror(errno));
                return -1;
            }
            if (last && created)
                *created = 1;
        } else if (errno != EEXIST) {
            dcc_set_err(err, errlen, "cannot create directory %s: %s", buf, strerror(errno));
            return -1;
        } else {
            struct stat st;
            if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
                dcc_set_err(err, errlen,
                            "cannot create directory %s: a file of that name is in the way", buf);
                return -1;
            }
        }
        *p = saved;
        if (last)
            break;
    }
    return 0;
}
