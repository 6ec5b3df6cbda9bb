/* Protocol 3 (pump) on the daemon: client path and link checks, argument re-rooting, .d root stripping. */
#include "daemon/dcc_pump.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proto/dcc_optcat.h"
#include "proto/dcc_wire.h"
#include "base/dcc_util.h"

#define DCC_PUMP_MAX_COMPONENT 255

int dcc_pump_check_path(const char *path, size_t len, int may_be_root, char *why, size_t whylen)
{
    if (strlen(path) != len) {
        dcc_set_err(why, whylen, "it contains a NUL byte");
        return -1;
    }
    if (path[0] != '/') {
        dcc_set_err(why, whylen, "it is not an absolute path");
        return -1;
    }
    if (len >= PATH_MAX) {
        dcc_set_err(why, whylen, "it is longer than %d bytes", PATH_MAX - 1);
        return -1;
    }
    if (len == 1) {
        if (may_be_root)
            return 0;
        dcc_set_err(why, whylen, "it names the root directory");
        return -1;
    }
    size_t components = 0;
    for (const char *p = path + 1;; p++) {
        size_t n = strcspn(p, "/");
        if (++components > DCC_PUMP_MAX_DEPTH) {
            dcc_set_err(why, whylen, "it has more than %d components", DCC_PUMP_MAX_DEPTH);
            return -1;
        }
        if (n == 0) {
            dcc_set_err(why, whylen, "it has an empty component (\"//\" or a trailing \"/\")");
            return -1;
        }
        if (n == 1 && p[0] == '.') {
            dcc_set_err(why, whylen, "it has a \".\" component");
            return -1;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            dcc_set_err(why, whylen, "it has a \"..\" component");
            return -1;
        }
        if (n > DCC_PUMP_MAX_COMPONENT) {
            dcc_set_err(why, whylen, "a component is longer than %d bytes", DCC_PUMP_MAX_COMPONENT);
            return -1;
        }
        p += n;
        if (*p == '\0')
            return 0;
    }
}

/* How many directories below the root the directory holding name is
 * (name is checked: no ".", "..", or empty parts). */
static size_t dcc_pump_name_depth(const char *name)
{
    size_t depth = 0;
    for (const char *p = name + 1; (p = strchr(p, '/')) != NULL; p++)
        depth++;
    return depth;
}

char *dcc_pump_link_target(const char *name, const char *target, size_t len, char *why,
                           size_t whylen)
{
    if (strlen(target) != len) {
        dcc_set_err(why, whylen, "its target contains a NUL byte");
        errno = EINVAL;
        return NULL;
    }
    if (len == 0) {
        dcc_set_err(why, whylen, "its target is empty");
        errno = EINVAL;
        return NULL;
    }
    int absolute = target[0] == '/';
    size_t up = dcc_pump_name_depth(name);
    /* An absolute target becomes "../" for each directory above the link,
     * then the target without its "/": the directories above a link are
     * real ones (every NAME is created with O_NOFOLLOW), so it names the
     * same file, and the job's root never appears in the link itself, so
     * the whole chain can be checked with RESOLVE_BENEATH. */
    size_t outlen = absolute ? 3 * up + len - 1 : len;
    if (outlen >= PATH_MAX) {
        dcc_set_err(why, whylen, "its target is longer than %d bytes", PATH_MAX - 1);
        errno = EINVAL;
        return NULL;
    }
    long depth = absolute ? 0 : (long)up;
    for (const char *p = target;;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0) {
                dcc_set_err(why, whylen, "its target climbs out of the job's root");
                errno = EINVAL;
                return NULL;
            }
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n;
        if (*p == '\0')
            break;
        p++;
    }
    if (absolute && outlen == 0)
        outlen = 1; /* "/" for a link directly under the root: "." */
    char *out = malloc(outlen + 1);
    if (!out) {
        dcc_set_err(why, whylen, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    if (!absolute) {
        memcpy(out, target, len + 1);
    } else if (up == 0 && len == 1) {
        memcpy(out, ".", 2);
    } else {
        for (size_t i = 0; i < up; i++)
            memcpy(out + 3 * i, "../", 3);
        memcpy(out + 3 * up, target + 1, len); /* with the NUL */
        if (len == 1)
            out[3 * up - 1] = '\0'; /* "/" alone: "../.." rather than "../../" */
    }
    return out;
}

/* Whether the unresolved rest of a link's path, after a component the job
 * does not have (yet), climbs with "..": the compiler could create that
 * directory, and then the ".." would count from wherever the links before
 * it really led. */
static int dcc_pump_climbs_after(const char *rest)
{
    for (const char *p = rest;;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p += n;
        if (*p == '\0')
            return 0;
        p++;
    }
}

static int dcc_pump_openat2_beneath(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC | (unsigned)flags,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    /* EAGAIN: a rename somewhere raced a ".." step; the kernel asks to retry. */
    int fd, tries = 0;
    do
        fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN && ++tries < 16);
    if (fd >= 0)
        close(fd);
    return fd >= 0 ? 0 : -1;
}

static int dcc_pump_link_error(int err, char *why, size_t whylen)
{
    if (err == EXDEV)
        dcc_set_err(why, whylen, "it leads out of the job's root through other links");
    else if (err == ELOOP)
        dcc_set_err(why, whylen,
                    "it is part of a loop of links, or of a chain longer than the kernel follows");
    else if (err == ENOSYS)
        dcc_set_err(why, whylen, "this kernel has no openat2, so links cannot be checked");
    else
        dcc_set_err(why, whylen, "it cannot be checked: %s", strerror(err));
    return -1;
}

int dcc_pump_check_link_beneath(int rootfd, const char *name, const char *target, char *why,
                                size_t whylen)
{
    /* The kernel walks the link and every link after it, and stops with
     * EXDEV at the first step out of the root, before it would notice
     * that something further on is missing. */
    if (dcc_pump_openat2_beneath(rootfd, name + 1, 0) == 0)
        return 0;
    int err = errno;
    if (err != ENOENT && err != ENOTDIR)
        return dcc_pump_link_error(err, why, whylen);
    /* Dangling: fine when it is the last component that is missing.
     * Otherwise find the first prefix of the target that does not resolve;
     * nothing after it may climb. */
    const char *slash = strrchr(name, '/');
    size_t dirlen = (size_t)(slash - name); /* without the leading "/" below */
    size_t tlen = strlen(target);
    char *path = malloc(dirlen + tlen + 2);
    if (!path) {
        dcc_set_err(why, whylen, "out of memory");
        errno = ENOMEM;
        return -1;
    }
    int rc = 0;
    for (const char *p = target;;) {
        p += strcspn(p, "/");
        if (*p == '\0')
            break; /* only the whole target is missing */
        if (dirlen > 0)
            snprintf(path, dirlen + tlen + 2, "%.*s/%.*s", (int)dirlen - 1, name + 1,
                     (int)(p - target), target);
        else
            snprintf(path, dirlen + tlen + 2, "%.*s", (int)(p - target), target);
        /* a prefix is walked through: a file there stops the walk too */
        if (dcc_pump_openat2_beneath(rootfd, path, O_DIRECTORY) != 0) {
            err = errno;
            if (err != ENOENT && err != ENOTDIR)
                rc = dcc_pump_link_error(err, why, whylen);
            else if (dcc_pump_climbs_after(p + 1)) {
                dcc_set_err(
                    why, whylen,
                    "its target climbs with \"..\" out of a directory the job does not have");
                errno = EINVAL;
                rc = -1;
            }
            break;
        }
        p++;
    }
    free(path);
    return rc;
}

/* What pump mode does with an option word (the catalogue's roles): a
 * path the compiler reads is re-rooted when absolute (DCC_ROLE_REROOT:
 * -I, -include ...), and so is OLD in an OLD=NEW map (DCC_ROLE_MAP). The
 * job's argv is read as either driver may, as the client read it. */
static int dcc_pump_opt(const char *word, struct dcc_optcat_word *w)
{
    return dcc_optcat_lookup(word, DCC_OPT_DRIVERS, w);
}

/* A new argv under construction: every word malloc'd. */
struct dcc_pump_argv {
    char **words;
    size_t n, cap;
};

static int dcc_pump_push_own(struct dcc_pump_argv *a, char *word)
{
    if (!word)
        return -1;
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **w = realloc(a->words, cap * sizeof *w);
        if (!w) {
            free(word);
            return -1;
        }
        a->words = w;
        a->cap = cap;
    }
    a->words[a->n++] = word;
    a->words[a->n] = NULL;
    return 0;
}

static int dcc_pump_push(struct dcc_pump_argv *a, const char *word)
{
    return dcc_pump_push_own(a, strdup(word));
}

/* Whether path is dir or below it, component by component. */
static int dcc_pump_path_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int dcc_pump_is_dir_placeholder(const char *name, uint32_t wire_len)
{
    const char *last = strrchr(name, '/');
    return wire_len == 0 && last && strcmp(last + 1, DCC_PUMP_DIR_PLACEHOLDER) == 0;
}

int dcc_pump_is_system_link(const char *name, const char *target, size_t len)
{
    if (strlen(target) != len || !dcc_pump_path_under(name, "/usr") || strcmp(name, "/usr") == 0)
        return 0;
    size_t up = 0;
    while (strncmp(target + 3 * up, "../", 3) == 0)
        up++;
    /* At least enough to climb from the link's own directory to "/". */
    return up >= dcc_pump_name_depth(name) + 1 && strcmp(target + 3 * up, name + 1) == 0;
}

/* prefix + root + value for an absolute value that is not under one of
 * system_dirs, else prefix + value. */
static char *dcc_pump_rooted_except(const char *prefix, size_t prefix_len, const char *value,
                                    const char *root, char *const *system_dirs)
{
    int keep = 0;
    for (size_t i = 0; value[0] == '/' && system_dirs && system_dirs[i] && !keep; i++)
        keep = dcc_pump_path_under(value, system_dirs[i]);
    const char *r = value[0] == '/' && !keep ? root : "";
    size_t rl = strlen(r), vl = strlen(value);
    char *out = malloc(prefix_len + rl + vl + 1);
    if (!out)
        return NULL;
    memcpy(out, prefix, prefix_len);
    memcpy(out + prefix_len, r, rl);
    memcpy(out + prefix_len + rl, value, vl + 1);
    return out;
}

/* prefix + (value with root in front when absolute) */
static char *dcc_pump_rooted(const char *prefix, size_t prefix_len, const char *value,
                             const char *root)
{
    return dcc_pump_rooted_except(prefix, prefix_len, value, root, NULL);
}

/* A path option word (joined form) rewritten, or NULL when word is not one
 * (*is_path 0) or on ENOMEM (*is_path 1). */
static char *dcc_pump_rewrite_joined(const char *word, const char *root, char *const *system_dirs,
                                     int *is_path)
{
    struct dcc_optcat_word w;
    *is_path = dcc_pump_opt(word, &w) && (w.opt->roles & DCC_ROLE_REROOT) && !w.sep &&
               w.value_at >= 0;
    return *is_path ? dcc_pump_rooted_except(word, (size_t)w.value_at, w.value, root, system_dirs)
                    : NULL;
}

/* The target cc1 names in a -Wp,-MD file: the source's base name, its
 * suffix replaced by ".o". */
static char *dcc_pump_wp_target(const char *source)
{
    const char *base = strrchr(source, '/');
    base = base ? base + 1 : source;
    const char *dot = strrchr(base, '.');
    size_t keep = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *out = malloc(keep + 3);
    if (out) {
        memcpy(out, base, keep);
        memcpy(out + keep, ".o", 3);
    }
    return out;
}

/* option + root + tail, for the maps given first. */
static char *dcc_pump_map(const char *option, const char *root, const char *tail)
{
    char *out = malloc(strlen(option) + strlen(root) + strlen(tail) + 1);
    if (out)
        sprintf(out, "%s%s%s", option, root, tail);
    return out;
}

int dcc_pump_rewrite_args(char ***argvp, const struct dcc_scan *scan,
                          const struct dcc_pump_paths *paths, char *err, size_t errlen)
{
    char **argv = *argvp;
    const char *root = paths->root;
    struct dcc_pump_argv a = {0};
    char *target = NULL, *input = NULL;
    int has_md = 0, has_target = 0;
    int failure = -1; /* -2 once the job is refused */

    if (scan->local_only || !scan->input || !scan->output) {
        dcc_set_err(err, errlen, "this job has no source or output to rewrite");
        return -1;
    }
    /* Taken before dcc_args_set_files frees them. */
    target = scan->deps_from_wp ? dcc_pump_wp_target(scan->input) : strdup(scan->output);
    input = dcc_pump_rooted("", 0, scan->input, root);
    if (!target || !input || dcc_args_set_files(argv, scan, input, paths->output) != 0)
        goto nomem;

    /* gcc tries the last map given first: "ROOT/" makes the paths below the
     * root the client's, and "ROOT" alone (the working directory when CDIR
     * is "/") becomes "/", as comp_dir is in a local build there. */
    if (dcc_pump_push(&a, argv[0]) != 0 ||
        dcc_pump_push_own(&a, dcc_pump_map("-fdebug-prefix-map=", root, "=/")) != 0 ||
        dcc_pump_push_own(&a, dcc_pump_map("-fdebug-prefix-map=", root, "/=/")) != 0 ||
        dcc_pump_push_own(&a, dcc_pump_map("-fmacro-prefix-map=", root, "=")) != 0)
        goto nomem;

    for (size_t i = 1; argv[i]; i++) {
        const char *w = argv[i];
        const char *next = argv[i + 1];
        if (i == scan->input_idx || w[0] != '-') {
            if (dcc_pump_push(&a, w) != 0)
                goto nomem;
            continue;
        }
        struct dcc_optcat_word o;
        dcc_pump_opt(w, &o);
        if (o.opt && (o.opt->roles & DCC_ROLE_REROOT) && (o.sep ? next != NULL : o.value_at >= 0)) {
            if (o.sep) {
                if (dcc_pump_push(&a, w) != 0 ||
                    dcc_pump_push_own(
                        &a, dcc_pump_rooted_except("", 0, next, root, paths->system_dirs)) != 0)
                    goto nomem;
                i++;
            } else if (dcc_pump_push_own(&a, dcc_pump_rooted_except(w, (size_t)o.value_at, o.value,
                                                                    root, paths->system_dirs)) !=
                       0) {
                goto nomem;
            }
            continue;
        }
        if (o.opt && (o.opt->roles & DCC_ROLE_MAP) && !o.sep && o.value_at >= 0) {
            if (dcc_pump_push_own(&a, dcc_pump_rooted(w, (size_t)o.value_at, o.value, root)) != 0)
                goto nomem;
            continue;
        }
        if (dcc_optcat_is(&o, "-MF")) {
            i += o.sep && next; /* the client's .d is written by the client, from DOTD */
            continue;
        }
        has_md |= dcc_optcat_is(&o, "-MD") || dcc_optcat_is(&o, "-MMD");
        has_target |= dcc_optcat_is(&o, "-MT") || dcc_optcat_is(&o, "-MQ");
        if (dcc_pump_push(&a, w) != 0)
            goto nomem;
        if (o.sep && next) {
            int is_path = 0;
            char *cpp = dcc_optcat_is(&o, "-Xpreprocessor")
                            ? dcc_pump_rewrite_joined(next, root, paths->system_dirs, &is_path)
                            : NULL;
            if (is_path ? dcc_pump_push_own(&a, cpp) != 0 : dcc_pump_push(&a, next) != 0)
                goto nomem;
            i++;
        }
    }
    if (!has_md && dcc_pump_push(&a, "-MMD") != 0)
        goto nomem;
    if (dcc_pump_push(&a, "-MF") != 0 || dcc_pump_push(&a, paths->deps) != 0)
        goto nomem;
    /* Joined, never "-MQ" "TARGET", so a target that starts with '-' stays
     * a target. */
    if (!has_target && target[0] == '@') {
        /* Even joined, the driver hands cc1 "-MQ" "@..." as two words. */
        dcc_set_err(err, errlen,
                    "the dependency target \"%.200s\" would be read by gcc as a response file",
                    target);
        failure = -2;
        goto refused;
    }
    if (!has_target) {
        char *mq = malloc(strlen(target) + 4);
        if (!mq)
            goto nomem;
        memcpy(mq, "-MQ", 3);
        memcpy(mq + 3, target, strlen(target) + 1);
        if (dcc_pump_push_own(&a, mq) != 0)
            goto nomem;
    }
    /* The last guard: whatever the rewrite did, no word but the compiler's
     * name may start with '@'. */
    for (size_t i = 1; a.words[i]; i++)
        if (a.words[i][0] == '@') {
            dcc_set_err(err, errlen,
                        "the argument \"%.200s\" would be read by gcc as a response file",
                        a.words[i]);
            failure = -2;
            goto refused;
        }
    free(target);
    free(input);
    dcc_argv_free(*argvp);
    *argvp = a.words;
    return 0;

nomem:
    dcc_set_err(err, errlen, "out of memory rewriting the arguments");
refused:
    free(target);
    free(input);
    dcc_argv_free(a.words);
    return failure;
}

size_t dcc_pump_strip_root(char *buf, size_t len, const char *root)
{
    size_t rl = strlen(root);
    if (rl == 0)
        return len;
    size_t r = 0, w = 0;
    while (r < len) {
        if (r + rl < len && buf[r + rl] == '/' && memcmp(buf + r, root, rl) == 0) {
            r += rl;
            continue;
        }
        buf[w++] = buf[r++];
    }
    if (w < len)
        buf[w] = '\0';
    return w;
}
