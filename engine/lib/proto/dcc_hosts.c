/* Host specifications: parsing distcc's host-list grammar, finding the list, lock names. */
#include "proto/dcc_hosts.h"
#include "proto/dcc_bulk.h"
#include "proto/dcc_settings.h"
#include "base/dcc_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DCC_SYSCONFDIR
#define DCC_SYSCONFDIR "/etc"
#endif

/* What separates tokens; '#' also ends a token because a comment may follow
 * a host on the same line, as stock distcc allows. */
#define TOKEN_STOPS " #\t\n\v\f\r"

/* Host names and user names end at these; '=' is here because a slot limit
 * may be written =N as well as /N. */
#define HOSTID_STOPS ":/=,"

/* The longest piece of user text quoted in an error: a runaway token must not
 * push "what is wrong" off the end of the caller's buffer. */
#define SHOWN_MAX 64

struct spec_ctx {
    const char *token;
    char *err;
    size_t errlen;
};

/* Copies n bytes of s for quoting in an error line. Control bytes become '?'
 * so a hosts file with escape sequences cannot drive the user's terminal, and
 * the line stays one line. */
static const char *shown(char *buf, size_t buflen, const char *s, size_t n)
{
    size_t keep = n, o = 0;
    int cut = 0;
    if (keep > SHOWN_MAX) {
        keep = SHOWN_MAX;
        cut = 1;
    }
    for (size_t i = 0; i < keep && o + 1 < buflen; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    for (const char *dots = cut ? "..." : ""; *dots && o + 1 < buflen; dots++)
        buf[o++] = *dots;
    buf[o] = '\0';
    return buf;
}

static int spec_bad(struct spec_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int spec_bad(struct spec_ctx *c, const char *fmt, ...)
{
    char tok[SHOWN_MAX + 8], why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    dcc_set_err(c->err, c->errlen, "bad host specification \"%s\": %s",
                shown(tok, sizeof tok, c->token, strlen(c->token)), why);
    return -1;
}

/* Digits only (no sign, no blanks, no base prefix), value within 1..max. */
static int parse_bounded(const char *s, size_t n, long max, int *out)
{
    long v = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
        if (v > max)
            return -1;
    }
    if (v < 1)
        return -1;
    *out = (int)v;
    return 0;
}

/* *pp points at '/' or '='; the limit text runs to the next delimiter so the
 * error quotes what the user actually wrote ("4x", "-1", ""). */
static int parse_limit(struct spec_ctx *c, const char **pp, int *slots)
{
    const char *s = *pp + 1;
    size_t n = strcspn(s, HOSTID_STOPS);
    char part[SHOWN_MAX + 8];
    if (parse_bounded(s, n, DCC_MAX_SLOTS, slots) != 0)
        return spec_bad(c, "slot limit \"%s\" is not a number 1-%d", shown(part, sizeof part, s, n),
                        DCC_MAX_SLOTS);
    *pp = s + n;
    return 0;
}

static int parse_port(struct spec_ctx *c, const char **pp, int *port)
{
    const char *s = *pp + 1;
    size_t n = strcspn(s, "/=,");
    char part[SHOWN_MAX + 8];
    if (parse_bounded(s, n, 65535, port) != 0)
        return spec_bad(c, "port \"%s\" is not a number 1-65535", shown(part, sizeof part, s, n));
    *pp = s + n;
    return 0;
}

static int is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '-' || ch == '_';
}

/* Host and user names reach ssh's argv and lock file names, so only the
 * characters real names use are let through, and never a leading '-' that
 * ssh would read as an option. */
static int check_name(struct spec_ctx *c, const char *what, const char *s, size_t n)
{
    char part[SHOWN_MAX + 8];
    shown(part, sizeof part, s, n);
    if (s[0] == '-')
        return spec_bad(c, "%s name \"%s\" must not start with \"-\"", what, part);
    for (size_t i = 0; i < n; i++)
        if (!is_name_char(s[i]))
            return spec_bad(c,
                            "%s name \"%s\" may only hold letters, digits, \".\", \"-\" and \"_\"",
                            what, part);
    return 0;
}

/* An IPv6 literal, optionally with a %zone for link-local addresses. */
static int check_ipv6(struct spec_ctx *c, const char *s, size_t n)
{
    char addr[INET6_ADDRSTRLEN + 1], part[SHOWN_MAX + 8];
    unsigned char bin[16];
    const char *zone = memchr(s, '%', n);
    size_t alen = zone ? (size_t)(zone - s) : n;
    shown(part, sizeof part, s, n);
    if (alen >= sizeof addr)
        return spec_bad(c, "\"%s\" is not an IPv6 address", part);
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET6, addr, bin) != 1)
        return spec_bad(c, "\"%s\" is not an IPv6 address", part);
    if (zone) {
        size_t zlen = n - alen - 1;
        if (zlen == 0)
            return spec_bad(c, "\"%s\" has an empty zone after \"%%\"", part);
        for (size_t i = 0; i < zlen; i++)
            if (!is_name_char(zone[1 + i]))
                return spec_bad(c, "\"%s\" has a bad zone after \"%%\"", part);
    }
    return 0;
}

/* HOSTID = name | IPv4 | [IPv6]; stores the name without brackets. */
static int parse_hostid(struct spec_ctx *c, const char **pp, struct dcc_host *h)
{
    const char *s = *pp;
    size_t n;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close)
            return spec_bad(c, "\"[\" has no closing \"]\"");
        s++;
        n = (size_t)(close - s);
        if (n == 0)
            return spec_bad(c, "empty IPv6 address in \"[]\"");
        if (check_ipv6(c, s, n) != 0)
            return -1;
        h->is_ipv6 = 1;
        *pp = close + 1;
    } else {
        n = strcspn(s, HOSTID_STOPS);
        if (n == 0)
            return spec_bad(c, "empty host name");
        if (check_name(c, "host", s, n) != 0)
            return -1;
        *pp = s + n;
    }
    h->hostname = strndup(s, n);
    if (!h->hostname)
        return spec_bad(c, "out of memory");
    return 0;
}

/* The LEVEL of ,zstd=LEVEL: a number in the range the senders accept. */
static int parse_zstd_level(struct spec_ctx *c, const char *s, size_t n, int *level)
{
    char part[SHOWN_MAX + 8];
    long v = 0;
    size_t i = 0;
    for (; i < n && i < 3 && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (s[i] - '0');
    if (n == 0 || i != n || v < DCC_ZSTD_MIN_LEVEL || v > DCC_ZSTD_MAX_LEVEL)
        return spec_bad(c, "zstd level \"%s\" is not a number %d-%d",
                        shown(part, sizeof part, s, n), DCC_ZSTD_MIN_LEVEL, DCC_ZSTD_MAX_LEVEL);
    *level = (int)v;
    return 0;
}

static int parse_options(struct spec_ctx *c, const char **pp, struct dcc_host *h)
{
    const char *p = *pp;
    char part[SHOWN_MAX + 8];
    while (*p == ',') {
        const char *opt = p + 1;
        size_t n = strcspn(opt, ",");
        if (n == 3 && memcmp(opt, "lzo", 3) == 0)
            h->compress_lzo = 1;
        else if (n == 3 && memcmp(opt, "cpp", 3) == 0)
            h->cpp_on_server = 1;
        else if (n == 4 && memcmp(opt, "zstd", 4) == 0)
            h->compress_zstd = 1;
        else if (n > 4 && memcmp(opt, "zstd=", 5) == 0) {
            if (parse_zstd_level(c, opt + 5, n - 5, &h->zstd_level) != 0)
                return -1;
            h->compress_zstd = 1;
        } else if (n == 4 && memcmp(opt, "auth", 4) == 0)
            h->auth = 1;
        else if (n > 4 && memcmp(opt, "auth=", 5) == 0) {
            /* The helper's name for its GSS-API principal (instead of the
             * name its address resolves to), e.g. through an ssh tunnel. */
            if (n == 5)
                return spec_bad(c, "\",auth=\" needs a host name");
            if (n - 5 > DCC_HOSTS_AUTH_NAME_MAX)
                return spec_bad(c, "\",auth=NAME\" is longer than %d bytes",
                                DCC_HOSTS_AUTH_NAME_MAX);
            if (check_name(c, "auth", opt + 5, n - 5) != 0)
                return -1;
            free(h->auth_name);
            if (!(h->auth_name = strndup(opt + 5, n - 5)))
                return spec_bad(c, "out of memory");
            h->auth = 1;
        } else
            return spec_bad(c,
                            "unknown option \",%s\" (known options: \",lzo\", \",zstd\", "
                            "\",zstd=LEVEL\", \",cpp\", \",auth\", \",auth=NAME\")",
                            shown(part, sizeof part, opt, n));
        p = opt + n;
    }
    if (h->cpp_on_server && !h->compress_lzo && !h->compress_zstd)
        return spec_bad(c, "pump mode (',cpp') requires compression (',lzo' or ',zstd')");
    h->protover = h->cpp_on_server ? 3 : h->compress_lzo || h->compress_zstd ? 2 : 1;
    *pp = p;
    return 0;
}

static int spec_trailing(struct spec_ctx *c, const char *p)
{
    char rest[SHOWN_MAX + 8], done[SHOWN_MAX + 8];
    if (*p == '\0')
        return 0;
    return spec_bad(c, "unexpected \"%s\" after \"%s\"", shown(rest, sizeof rest, p, strlen(p)),
                    shown(done, sizeof done, c->token, (size_t)(p - c->token)));
}

static int is_limit_start(char ch)
{
    return ch == '/' || ch == '=';
}

/* localhost[/N]: stock distcc only recognises the slash form here, so
 * "localhost=N" stays what it is there, a TCP host named localhost. */
static int parse_local(struct spec_ctx *c, struct dcc_host *h)
{
    const char *p = c->token + strlen("localhost");
    h->mode = DCC_HOST_LOCAL;
    h->n_slots = DCC_DEFAULT_LOCALHOST_SLOTS;
    h->protover = 1;
    h->hostname = strdup("localhost");
    if (!h->hostname)
        return spec_bad(c, "out of memory");
    if (*p == '/' && parse_limit(c, &p, &h->n_slots) != 0)
        return -1;
    if (*p != '\0') {
        char rest[SHOWN_MAX + 8];
        return spec_bad(c, "localhost takes only a slot limit (localhost/N), not \"%s\"",
                        shown(rest, sizeof rest, p, strlen(p)));
    }
    return 0;
}

/* [USER]@HOSTID[/LIMIT][:COMMAND][OPTIONS] */
static int parse_ssh(struct spec_ctx *c, struct dcc_host *h)
{
    const char *p = c->token;
    const char *at = strchr(p, '@');
    h->mode = DCC_HOST_SSH;
    h->n_slots = DCC_DEFAULT_REMOTE_SLOTS;
    if (at > p) {
        if (check_name(c, "user", p, (size_t)(at - p)) != 0)
            return -1;
        h->user = strndup(p, (size_t)(at - p));
        if (!h->user)
            return spec_bad(c, "out of memory");
    }
    p = at + 1;
    if (parse_hostid(c, &p, h) != 0)
        return -1;
    if (is_limit_start(*p) && parse_limit(c, &p, &h->n_slots) != 0)
        return -1;
    if (*p == ':') {
        size_t n = strcspn(p + 1, ",");
        if (n == 0)
            return spec_bad(c, "empty command after \":\"");
        h->ssh_command = strndup(p + 1, n);
        if (!h->ssh_command)
            return spec_bad(c, "out of memory");
        p += 1 + n;
    }
    if (parse_options(c, &p, h) != 0)
        return -1;
    return spec_trailing(c, p);
}

/* HOSTID[:PORT][/LIMIT][OPTIONS] or the older HOSTID[/LIMIT][:PORT][OPTIONS] */
static int parse_tcp(struct spec_ctx *c, struct dcc_host *h)
{
    const char *p = c->token;
    int have_limit = 0;
    h->mode = DCC_HOST_TCP;
    h->n_slots = DCC_DEFAULT_REMOTE_SLOTS;
    h->port = DCC_DEFAULT_PORT;
    if (parse_hostid(c, &p, h) != 0)
        return -1;
    if (is_limit_start(*p)) {
        if (parse_limit(c, &p, &h->n_slots) != 0)
            return -1;
        have_limit = 1;
    }
    if (*p == ':' && parse_port(c, &p, &h->port) != 0)
        return -1;
    if (is_limit_start(*p)) {
        if (have_limit)
            return spec_bad(c, "the slot limit is given twice");
        if (parse_limit(c, &p, &h->n_slots) != 0)
            return -1;
    }
    if (parse_options(c, &p, h) != 0)
        return -1;
    return spec_trailing(c, p);
}

/* --localslots=N and --localslots_cpp=N (also with '/', like any limit). */
static int parse_keyword_slots(struct spec_ctx *c, const char *name, int *slots)
{
    const char *p = c->token + strlen(name);
    if (!is_limit_start(*p))
        return spec_bad(c, "expected %s=N", name);
    if (parse_limit(c, &p, slots) != 0)
        return -1;
    return spec_trailing(c, p);
}

static int parse_keyword(struct spec_ctx *c, struct dcc_hostlist *list)
{
    const char *t = c->token;
    if (strcmp(t, "--randomize") == 0) {
        list->randomize = 1;
        return 0;
    }
    if (strcmp(t, "+zeroconf") == 0) {
        if (!list->zeroconf)
            list->zeroconf_at = list->n;
        list->zeroconf = 1;
        return 0;
    }
    /* The longer keyword first: "--localslots" is its prefix. */
    if (dcc_str_startswith(t, "--localslots_cpp"))
        return parse_keyword_slots(c, "--localslots_cpp", &list->local_slots_cpp);
    if (dcc_str_startswith(t, "--localslots"))
        return parse_keyword_slots(c, "--localslots", &list->local_slots);
    return spec_bad(c, "unknown keyword (known: --randomize, --localslots=N, --localslots_cpp=N, "
                       "+zeroconf)");
}

static void host_free(struct dcc_host *h)
{
    free(h->spec);
    free(h->hostname);
    free(h->user);
    free(h->ssh_command);
    free(h->auth_name);
    memset(h, 0, sizeof *h);
}

static int parse_host(struct spec_ctx *c, struct dcc_host *h)
{
    const char *t = c->token;
    memset(h, 0, sizeof *h);
    h->protover = 1;
    if (strcmp(t, "localhost") == 0 || dcc_str_startswith(t, "localhost/"))
        return parse_local(c, h);
    if (strchr(t, '@'))
        return parse_ssh(c, h);
    return parse_tcp(c, h);
}

int dcc_hosts_parse(const char *text, struct dcc_hostlist *list, char *err, size_t errlen)
{
    size_t cap = 0;
    memset(list, 0, sizeof *list);
    list->local_slots = DCC_DEFAULT_LOCAL_SLOTS;
    list->local_slots_cpp = DCC_DEFAULT_LOCAL_SLOTS_CPP;

    for (const char *p = text ? text : ""; *p;) {
        if (*p == '#') {
            p += strcspn(p, "\n\r");
            continue;
        }
        size_t n = strcspn(p, TOKEN_STOPS);
        if (n == 0) {
            p++;
            continue;
        }
        char *token = strndup(p, n);
        if (!token) {
            dcc_set_err(err, errlen, "out of memory while reading the host list");
            goto fail;
        }
        p += n;
        struct spec_ctx c = {token, err, errlen};

        if ((token[0] == '-' && token[1] == '-') || token[0] == '+') {
            int rc = parse_keyword(&c, list);
            free(token);
            if (rc != 0)
                goto fail;
            continue;
        }

        if (list->n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct dcc_host *grown = NULL;
            if (ncap <= SIZE_MAX / sizeof *grown)
                grown = realloc(list->hosts, ncap * sizeof *grown);
            if (!grown) {
                free(token);
                dcc_set_err(err, errlen, "out of memory while reading the host list");
                goto fail;
            }
            list->hosts = grown;
            cap = ncap;
        }
        struct dcc_host *h = &list->hosts[list->n];
        int rc = parse_host(&c, h);
        h->spec = token;
        if (rc != 0) {
            host_free(h);
            goto fail;
        }
        list->n++;
    }
    return 0;

fail:
    dcc_hosts_free(list);
    return -1;
}

void dcc_hosts_free(struct dcc_hostlist *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        host_free(&list->hosts[i]);
    free(list->hosts);
    memset(list, 0, sizeof *list);
}

const char *dcc_hosts_source_name(enum dcc_hosts_source src)
{
    switch (src) {
    case DCC_HOSTS_FROM_ENV:
        return "$DISTCC_HOSTS";
    case DCC_HOSTS_FROM_USER:
        return "$DISTCC_DIR/hosts";
    case DCC_HOSTS_FROM_SYSTEM:
        return DCC_SYSCONFDIR "/distcc/hosts";
    case DCC_HOSTS_FROM_NONE:
        break;
    }
    return "no host list";
}

int dcc_hosts_distcc_dir(char *buf, size_t buflen, char *err, size_t errlen)
{
    struct dcc_settings s;
    char ignored[256];
    (void)dcc_settings_load(&s, ignored, sizeof ignored); /* only DISTCC_IO_TIMEOUT can be bad */
    return dcc_hosts_distcc_dir_in(&s, buf, buflen, err, errlen);
}

int dcc_hosts_distcc_dir_in(const struct dcc_settings *s, char *buf, size_t buflen, char *err,
                            size_t errlen)
{
    const char *dir = s->str[DCC_SET_DIR];
    int n;
    /* An empty DISTCC_DIR would put lock/ and state/ at the root. */
    if (dir && *dir) {
        n = snprintf(buf, buflen, "%s", dir);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
        }
        if (!home) {
            dcc_set_err(err, errlen,
                        "cannot find the distcc directory: neither DISTCC_DIR nor HOME "
                        "is set, and the user has no home directory");
            return -1;
        }
        n = snprintf(buf, buflen, "%s/.distcc", home);
    }
    if (n < 0 || (size_t)n >= buflen) {
        dcc_set_err(err, errlen, "the distcc directory name is too long (over %zu bytes)",
                    buflen ? buflen - 1 : 0);
        if (buflen)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}

/* Reads a whole hosts file. 1 when it does not exist (try the next place),
 * 0 with *text, -1 with err. */
static int read_hosts_file(const char *path, char **text, char *err, size_t errlen)
{
    /* O_NONBLOCK so a FIFO named hosts cannot hang the compiler; it is
     * refused below as not a regular file anyway. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        dcc_set_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct dcc_buf b = {0};
    if (dcc_read_regular_fd(fd, path, DCC_HOSTS_FILE_MAX, "a host list", &b, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    if (memchr(b.data, '\0', b.len)) {
        dcc_set_err(err, errlen, "cannot read %s: it holds a NUL byte, which is not a host list",
                    path);
        dcc_buf_free(&b);
        close(fd);
        return -1;
    }
    close(fd);
    if (!b.data) {
        b.data = strdup("");
        if (!b.data) {
            dcc_set_err(err, errlen, "cannot read %s: out of memory", path);
            return -1;
        }
    }
    *text = b.data;
    return 0;
}

static int set_path(char *path, size_t pathlen, const char *value, char *err, size_t errlen)
{
    int n = snprintf(path, pathlen, "%s", value);
    if (n < 0 || (size_t)n >= pathlen) {
        dcc_set_err(err, errlen, "host list path %s is too long", value);
        if (pathlen)
            path[0] = '\0';
        return -1;
    }
    return 0;
}

int dcc_hosts_find(const char *sysconfdir, char **text, enum dcc_hosts_source *src, char *path,
                   size_t pathlen, char *err, size_t errlen)
{
    struct dcc_settings s;
    char ignored[256];
    (void)dcc_settings_load(&s, ignored, sizeof ignored);
    return dcc_hosts_find_in(&s, sysconfdir, text, src, path, pathlen, err, errlen);
}

int dcc_hosts_find_in(const struct dcc_settings *s, const char *sysconfdir, char **text,
                      enum dcc_hosts_source *src, char *path, size_t pathlen, char *err,
                      size_t errlen)
{
    char dir[PATH_MAX];
    const char *env = s->str[DCC_SET_HOSTS];

    *text = NULL;
    *src = DCC_HOSTS_FROM_NONE;
    if (pathlen)
        path[0] = '\0';

    /* Set but empty still wins: the caller then reports that
     * $DISTCC_HOSTS contained no hosts, as stock distcc does. */
    if (env) {
        *text = strdup(env);
        if (!*text) {
            dcc_set_err(err, errlen, "out of memory copying $DISTCC_HOSTS");
            return -1;
        }
        *src = DCC_HOSTS_FROM_ENV;
        return 0;
    }

    struct {
        enum dcc_hosts_source src;
        int usable;
    } places[2] = {{DCC_HOSTS_FROM_USER, 0}, {DCC_HOSTS_FROM_SYSTEM, 0}};
    char files[2][PATH_MAX + 32];

    /* No HOME is not fatal: stock distcc also goes on to the system file. */
    char ignored[256];
    if (dcc_hosts_distcc_dir_in(s, dir, sizeof dir, ignored, sizeof ignored) == 0) {
        int n = snprintf(files[0], sizeof files[0], "%s/hosts", dir);
        places[0].usable = n > 0 && (size_t)n < sizeof files[0];
    }
    if (sysconfdir) {
        int n = snprintf(files[1], sizeof files[1], "%s/distcc/hosts", sysconfdir);
        places[1].usable = n > 0 && (size_t)n < sizeof files[1];
    }

    for (size_t i = 0; i < 2; i++) {
        if (!places[i].usable)
            continue;
        int rc = read_hosts_file(files[i], text, err, errlen);
        if (rc == 1)
            continue;
        if (rc == 0 && set_path(path, pathlen, files[i], err, errlen) != 0) {
            free(*text);
            *text = NULL;
            return -1;
        }
        if (rc != 0)
            return -1;
        *src = places[i].src;
        return 0;
    }
    return 0;
}

int dcc_hosts_total_slots(const struct dcc_hostlist *list)
{
    /* Thousands of hosts at 10000 slots each would overflow an int. */
    long long total = 0;
    for (size_t i = 0; i < list->n; i++) {
        total += list->hosts[i].n_slots;
        if (total >= INT_MAX)
            return INT_MAX;
    }
    return (int)total;
}

/* A private generator (xorshift32) so shuffling neither depends on nor
 * disturbs the program's rand() state, and a seed gives the same order on
 * every libc. */
static uint32_t shuffle_next(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

void dcc_hosts_shuffle(struct dcc_hostlist *list, unsigned int seed)
{
    if (!list->randomize || list->n < 2)
        return;
    uint32_t state = (uint32_t)seed ? (uint32_t)seed : 0x9e3779b9u;
    for (size_t i = list->n - 1; i > 0; i--) {
        size_t j = shuffle_next(&state) % (i + 1);
        struct dcc_host tmp = list->hosts[i];
        list->hosts[i] = list->hosts[j];
        list->hosts[j] = tmp;
    }
}

int dcc_hosts_lock_name(const struct dcc_host *h, char *buf, size_t buflen)
{
    int n;
    switch (h->mode) {
    case DCC_HOST_LOCAL:
        n = snprintf(buf, buflen, "localhost");
        break;
    case DCC_HOST_TCP:
        n = snprintf(buf, buflen, "tcp_%s_%d", h->hostname, h->port);
        break;
    case DCC_HOST_SSH:
        n = snprintf(buf, buflen, "ssh_%s", h->hostname);
        break;
    default:
        n = -1;
        break;
    }
    if (n < 0 || (size_t)n >= buflen) {
        if (buflen)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}

int dcc_hosts_format(const struct dcc_host *h, char *buf, size_t buflen)
{
    const char *lb = h->is_ipv6 ? "[" : "", *rb = h->is_ipv6 ? "]" : "";
    const char *comp = h->cpp_on_server ? ",cpp" : "";
    const char *wire = h->compress_zstd                      ? ",zstd"
                       : h->compress_lzo || h->cpp_on_server ? ",lzo"
                                                             : "";
    char level[16] = "";
    if (h->compress_zstd && h->zstd_level)
        snprintf(level, sizeof level, "=%d", h->zstd_level);
    char opts[DCC_HOSTS_AUTH_NAME_MAX + 48];
    snprintf(opts, sizeof opts, "%s%s%s%s%s%s", comp, wire, level, h->auth ? ",auth" : "",
             h->auth_name ? "=" : "", h->auth_name ? h->auth_name : "");
    int n;
    switch (h->mode) {
    case DCC_HOST_LOCAL:
        n = snprintf(buf, buflen, "localhost/%d", h->n_slots);
        break;
    case DCC_HOST_TCP:
        n = snprintf(buf, buflen, "%s%s%s:%d/%d%s", lb, h->hostname, rb, h->port, h->n_slots, opts);
        break;
    case DCC_HOST_SSH:
        n = snprintf(buf, buflen, "%s@%s%s%s/%d%s%s%s", h->user ? h->user : "", lb, h->hostname, rb,
                     h->n_slots, h->ssh_command ? ":" : "", h->ssh_command ? h->ssh_command : "",
                     opts);
        break;
    default:
        n = -1;
        break;
    }
    if (n < 0 || (size_t)n >= buflen) {
        if (buflen)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}
