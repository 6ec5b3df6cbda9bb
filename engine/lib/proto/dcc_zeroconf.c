/* Zeroconf (DNS-SD over mDNS, through Avahi): the _distcc._tcp TXT record, which helpers a client may use, the client's cached list, browsing and publishing. */
#include "proto/dcc_zeroconf.h"

#include "proto/dcc_hosts.h"
#include "base/dcc_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DCC_WITH_ZEROCONF
#define DCC_WITH_ZEROCONF 0
#endif

#if DCC_WITH_ZEROCONF
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>

#include "base/dcc_dl.h"

#ifndef DCC_AVAHI_SONAME
#define DCC_AVAHI_SONAME "libavahi-client.so.3"
#endif

/* Avahi (and D-Bus, systemd's library and libgcrypt behind it) is loaded
 * when first needed (dcc_dl): a client without +zeroconf does not load it at
 * every start. Every name below is a slot of avahi_lib (avahi-common's are
 * found through avahi-client's dependencies). */
#define AVAHI_SYMBOLS(X) \
    X(avahi_address_snprint) \
    X(avahi_alternative_service_name) \
    X(avahi_client_errno) \
    X(avahi_client_free) \
    X(avahi_client_get_state) \
    X(avahi_client_new) \
    X(avahi_entry_group_add_service_strlst) \
    X(avahi_entry_group_add_service_subtype) \
    X(avahi_entry_group_commit) \
    X(avahi_entry_group_get_client) \
    X(avahi_entry_group_is_empty) \
    X(avahi_entry_group_new) \
    X(avahi_entry_group_reset) \
    X(avahi_free) \
    X(avahi_service_browser_new) \
    X(avahi_service_resolver_free) \
    X(avahi_service_resolver_new) \
    X(avahi_simple_poll_free) \
    X(avahi_simple_poll_get) \
    X(avahi_simple_poll_iterate) \
    X(avahi_simple_poll_new) \
    X(avahi_simple_poll_quit) \
    X(avahi_strdup) \
    X(avahi_strerror) \
    X(avahi_string_list_free) \
    X(avahi_string_list_get_next) \
    X(avahi_string_list_get_size) \
    X(avahi_string_list_get_text) \
    X(avahi_string_list_new_from_array) \
    X(avahi_threaded_poll_free) \
    X(avahi_threaded_poll_get) \
    X(avahi_threaded_poll_new) \
    X(avahi_threaded_poll_start) \
    X(avahi_threaded_poll_stop)

DCC_DL_TABLE(avahi_api, avahi_lib, DCC_AVAHI_SONAME, AVAHI_SYMBOLS);

#define avahi_address_snprint (*avahi_api.f.avahi_address_snprint)
#define avahi_alternative_service_name (*avahi_api.f.avahi_alternative_service_name)
#define avahi_client_errno (*avahi_api.f.avahi_client_errno)
#define avahi_client_free (*avahi_api.f.avahi_client_free)
#define avahi_client_get_state (*avahi_api.f.avahi_client_get_state)
#define avahi_client_new (*avahi_api.f.avahi_client_new)
#define avahi_entry_group_add_service_strlst (*avahi_api.f.avahi_entry_group_add_service_strlst)
#define avahi_entry_group_add_service_subtype (*avahi_api.f.avahi_entry_group_add_service_subtype)
#define avahi_entry_group_commit (*avahi_api.f.avahi_entry_group_commit)
#define avahi_entry_group_get_client (*avahi_api.f.avahi_entry_group_get_client)
#define avahi_entry_group_is_empty (*avahi_api.f.avahi_entry_group_is_empty)
#define avahi_entry_group_new (*avahi_api.f.avahi_entry_group_new)
#define avahi_entry_group_reset (*avahi_api.f.avahi_entry_group_reset)
#define avahi_free (*avahi_api.f.avahi_free)
#define avahi_service_browser_new (*avahi_api.f.avahi_service_browser_new)
#define avahi_service_resolver_free (*avahi_api.f.avahi_service_resolver_free)
#define avahi_service_resolver_new (*avahi_api.f.avahi_service_resolver_new)
#define avahi_simple_poll_free (*avahi_api.f.avahi_simple_poll_free)
#define avahi_simple_poll_get (*avahi_api.f.avahi_simple_poll_get)
#define avahi_simple_poll_iterate (*avahi_api.f.avahi_simple_poll_iterate)
#define avahi_simple_poll_new (*avahi_api.f.avahi_simple_poll_new)
#define avahi_simple_poll_quit (*avahi_api.f.avahi_simple_poll_quit)
#define avahi_strdup (*avahi_api.f.avahi_strdup)
#define avahi_strerror (*avahi_api.f.avahi_strerror)
#define avahi_string_list_free (*avahi_api.f.avahi_string_list_free)
#define avahi_string_list_get_next (*avahi_api.f.avahi_string_list_get_next)
#define avahi_string_list_get_size (*avahi_api.f.avahi_string_list_get_size)
#define avahi_string_list_get_text (*avahi_api.f.avahi_string_list_get_text)
#define avahi_string_list_new_from_array (*avahi_api.f.avahi_string_list_new_from_array)
#define avahi_threaded_poll_free (*avahi_api.f.avahi_threaded_poll_free)
#define avahi_threaded_poll_get (*avahi_api.f.avahi_threaded_poll_get)
#define avahi_threaded_poll_new (*avahi_api.f.avahi_threaded_poll_new)
#define avahi_threaded_poll_start (*avahi_api.f.avahi_threaded_poll_start)
#define avahi_threaded_poll_stop (*avahi_api.f.avahi_threaded_poll_stop)
#endif

#define LIST_NAME "list"
#define LOCK_NAME "refresh.lock"

int dcc_zc_available(void)
{
    return DCC_WITH_ZEROCONF;
}

/* ---- the TXT record ---------------------------------------------------- */

/* A TXT number: decimal digits only, 1..DCC_MAX_SLOTS, else 0. */
static int txt_number(const char *v)
{
    long n = 0;
    if (!*v)
        return 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        n = n * 10 + (*p - '0');
        if (n > DCC_MAX_SLOTS)
            return 0;
    }
    return (int)n;
}

static void txt_copy(char *dst, size_t dstlen, const char *v, size_t vlen)
{
    if (vlen >= dstlen)
        return; /* over-long: dropped, since a cut version could match another */
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
}

void dcc_zc_txt_item(struct dcc_zc_service *s, const void *item, size_t len)
{
    const char *p = item;
    const char *eq = len ? memchr(p, '=', len) : NULL;
    if (!eq)
        return;
    size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
    const char *v = eq + 1;
    if (klen == 0 || klen > 31 || vlen > 255)
        return;
    for (size_t i = 0; i < vlen; i++)
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
            return;
    char key[32], value[256];
    memcpy(key, p, klen);
    key[klen] = '\0';
    memcpy(value, v, vlen);
    value[vlen] = '\0';

    if (strcmp(key, "txtvers") == 0)
        s->txtvers = txt_number(value);
    else if (strcmp(key, "cpus") == 0)
        s->cpus = txt_number(value);
    else if (strcmp(key, "jobs") == 0)
        s->jobs = txt_number(value);
    else if (strcmp(key, "distcc") == 0)
        txt_copy(s->distcc, sizeof s->distcc, value, vlen);
    else if (strcmp(key, "gnuhost") == 0)
        txt_copy(s->gnuhost, sizeof s->gnuhost, value, vlen);
    else if (strcmp(key, "cc_machine") == 0)
        txt_copy(s->cc_machine, sizeof s->cc_machine, value, vlen);
    else if (strcmp(key, "cc_version") == 0)
        txt_copy(s->cc_version, sizeof s->cc_version, value, vlen);
}

int dcc_zc_slots(const struct dcc_zc_service *s)
{
    if (s->jobs > 0)
        return s->jobs;
    if (s->cpus > 0)
        return s->cpus * 4 > DCC_MAX_SLOTS ? DCC_MAX_SLOTS : s->cpus * 4;
    return DCC_DEFAULT_REMOTE_SLOTS;
}

/* The vendor fields GNU triples carry; a triple with four fields has one
 * whatever it is called. */
static int is_vendor(const char *s, size_t n)
{
    static const char *const vendors[] = {"pc",   "unknown", "gentoo", "redhat",
                                          "suse", "apple",   "w64",    "none"};
    for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++)
        if (strlen(vendors[i]) == n && memcmp(vendors[i], s, n) == 0)
            return 1;
    return 0;
}

/* The triple without its vendor field, into out. */
static void triple_key(const char *t, char *out, size_t outlen)
{
    const char *d1 = strchr(t, '-');
    const char *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
    const char *d3 = d2 ? strchr(d2 + 1, '-') : NULL;
    if (d2 && (d3 || is_vendor(d1 + 1, (size_t)(d2 - d1 - 1))))
        snprintf(out, outlen, "%.*s%s", (int)(d1 - t), t, d2);
    else
        snprintf(out, outlen, "%s", t);
}

int dcc_zc_same_target(const char *a, const char *b)
{
    if (!a || !b || !*a || !*b)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    char ka[128], kb[128];
    triple_key(a, ka, sizeof ka);
    triple_key(b, kb, sizeof kb);
    return strcmp(ka, kb) == 0;
}

int dcc_zc_usable(const struct dcc_zc_service *s, const char *machine, const char *version,
                  char *why, size_t whylen)
{
    const char *target = s->cc_machine[0] ? s->cc_machine : s->gnuhost;
    if (!target[0]) {
        dcc_set_err(why, whylen,
                    "it does not say its compiler's target (no cc_machine or gnuhost)");
        return 0;
    }
    if (!dcc_zc_same_target(target, machine)) {
        dcc_set_err(why, whylen, "compiler target %s, not %s", target, machine);
        return 0;
    }
    if (version && version[0] && s->cc_version[0] && strcmp(s->cc_version, version) != 0) {
        dcc_set_err(why, whylen, "compiler %s %s, not %s", target, s->cc_version, version);
        return 0;
    }
    return 1;
}

static void dns_label_part(const char *in, char *out, size_t outlen)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outlen; i++) {
        char c = in[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[i] = c;
        else if (c >= 'A' && c <= 'Z')
            out[i] = (char)(c - 'A' + 'a');
        else
            out[i] = '-';
    }
    out[i] = '\0';
}

int dcc_zc_subtype(const char *machine, const char *version, char *out, size_t outlen)
{
    if (!machine || !version || !*machine || !*version)
        return -1;
    /* stock cuts each part at 63 bytes before the same mapping */
    char m[64], v[64];
    dns_label_part(machine, m, sizeof m);
    dns_label_part(version, v, sizeof v);
    int n = snprintf(out, outlen, "_%s--%s._sub." DCC_ZC_SERVICE_TYPE, m, v);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- the client's list -------------------------------------------------- */

/* Lower is better; -1: no address a client can connect to. */
static int address_rank(const struct dcc_zc_service *s)
{
    if (!s->address[0] || s->port <= 0 || s->port > 65535)
        return -1;
    if (!s->is_ipv6)
        return strncmp(s->address, "127.", 4) == 0 ? 1 : 0;
    if (s->link_local)
        return -1;
    return strcmp(s->address, "::1") == 0 ? 3 : 2;
}

/* A service name fit for a comment line: control bytes become '?'. */
static void shown_name(const char *name, char *out, size_t outlen)
{
    size_t i = 0;
    for (; name[i] && i + 1 < outlen; i++)
        out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    out[i] = '\0';
}

static int cmp_names(const void *a, const void *b)
{
    const struct dcc_zc_service *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

int dcc_zc_format_list(const struct dcc_zc_service *s, size_t n, const char *machine,
                       const char *version, const char *header, struct dcc_buf *out)
{
    const struct dcc_zc_service **order = calloc(n + 1, sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < n; i++)
        order[i] = &s[i];
    qsort(order, n, sizeof *order, cmp_names);
    int rc = 0;
    if (header)
        rc |= dcc_buf_printf(out, "# %s\n", header);
    for (size_t i = 0; i < n && rc == 0;) {
        /* The best address among the entries of one name. */
        size_t j = i;
        const struct dcc_zc_service *best = NULL;
        int best_rank = -1;
        for (; j < n && strcmp(order[j]->name, order[i]->name) == 0; j++) {
            int r = address_rank(order[j]);
            if (r >= 0 && (best_rank < 0 || r < best_rank)) {
                best = order[j];
                best_rank = r;
            }
        }
        char name[64], why[256];
        shown_name(order[i]->name, name, sizeof name);
        if (!best) {
            rc |= dcc_buf_printf(out, "# left out %s: no address to connect to (%s%s port %d)\n",
                                 name, order[i]->address[0] ? order[i]->address : "no address",
                                 order[i]->link_local ? ", link-local" : "", order[i]->port);
        } else if (!dcc_zc_usable(best, machine, version, why, sizeof why)) {
            rc |= dcc_buf_printf(out, "# left out %s at %s: %s\n", name, best->address, why);
        } else {
            const char *target = best->cc_machine[0] ? best->cc_machine : best->gnuhost;
            rc |= dcc_buf_printf(out, "%s%s%s:%d/%d  # %s: %s%s%s%s%s\n", best->is_ipv6 ? "[" : "",
                                 best->address, best->is_ipv6 ? "]" : "", best->port,
                                 dcc_zc_slots(best), name, target, best->cc_version[0] ? " " : "",
                                 best->cc_version, best->distcc[0] ? ", distcc " : "",
                                 best->distcc);
        }
        i = j;
    }
    free(order);
    return rc ? -1 : 0;
}

/* ---- the cached list ----------------------------------------------------- */

int dcc_zc_dir(const char *distcc_dir, char *dir, size_t dirlen, char *err, size_t errlen)
{
    if (mkdir(distcc_dir, 0777) != 0 && errno != EEXIST) {
        dcc_set_err(err, errlen, "cannot create %s: %s", distcc_dir, strerror(errno));
        return -1;
    }
    int n = snprintf(dir, dirlen, "%s/zeroconf", distcc_dir);
    if (n < 0 || (size_t)n >= dirlen) {
        dcc_set_err(err, errlen, "the directory name %s/zeroconf is too long", distcc_dir);
        return -1;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        dcc_set_err(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int path_in(const char *dir, const char *name, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outlen) {
        dcc_set_err(err, errlen, "the file name %s/%s is too long", dir, name);
        return -1;
    }
    return 0;
}

enum dcc_zc_cache_state dcc_zc_cache_state(const char *dir, int ttl, time_t now)
{
    char path[4096];
    struct stat st;
    if (path_in(dir, LIST_NAME, path, sizeof path, NULL, 0) != 0 || stat(path, &st) != 0)
        return DCC_ZC_CACHE_MISSING;
    double age = difftime(now, st.st_mtime);
    return age > ttl || age < -ttl ? DCC_ZC_CACHE_STALE : DCC_ZC_CACHE_FRESH;
}

int dcc_zc_cache_read(const char *dir, char **text, char *err, size_t errlen)
{
    char path[4096];
    *text = NULL;
    if (path_in(dir, LIST_NAME, path, sizeof path, err, errlen) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        dcc_set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct dcc_buf b = {0};
    int rc = dcc_read_regular_fd(fd, path, DCC_ZC_LIST_MAX, "a list of Zeroconf helpers", &b, err,
                                 errlen);
    close(fd);
    if (rc != 0) {
        dcc_buf_free(&b);
        return -1;
    }
    if (!b.data && dcc_buf_appends(&b, "") != 0) {
        dcc_set_err(err, errlen, "out of memory");
        return -1;
    }
    *text = b.data;
    return 0;
}

int dcc_zc_cache_write(const char *dir, const char *text, char *err, size_t errlen)
{
    char path[4096], tmp[4096];
    if (path_in(dir, LIST_NAME, path, sizeof path, err, errlen) != 0 ||
        path_in(dir, LIST_NAME ".XXXXXX", tmp, sizeof tmp, err, errlen) != 0)
        return -1;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        dcc_set_err(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
        return -1;
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            dcc_set_err(err, errlen, "cannot write %s: %s", tmp,
                        w < 0 ? strerror(errno) : "no space");
            close(fd);
            unlink(tmp);
            return -1;
        }
        done += (size_t)w;
    }
    /* Readable by the user's other processes whatever mkostemp chose; the
     * list holds nothing secret (it is what the network announces). */
    if (fchmod(fd, 0644) != 0 || close(fd) != 0) {
        dcc_set_err(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        dcc_set_err(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int dcc_zc_refresh_lock(const char *dir, int wait_ms, char *err, size_t errlen)
{
    char path[4096];
    if (path_in(dir, LOCK_NAME, path, sizeof path, err, errlen) != 0)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
        dcc_set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    for (int waited = 0;; waited += 20) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            dcc_set_err(err, errlen, "cannot lock %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (waited >= wait_ms) {
            close(fd);
            return -2;
        }
        usleep(20 * 1000);
    }
}

size_t dcc_zc_txt_build(const struct dcc_zc_publish_opts *o, char buf[][96], size_t max)
{
    size_t n = 0;
#define ADD(...) \
    do { \
        if (n < max) { \
            int len_ = snprintf(buf[n], 96, __VA_ARGS__); \
            if (len_ > 0 && len_ < 96) \
                n++; \
        } \
    } while (0)
    /* stock's order and keys, so its client reads ours */
    ADD("txtvers=1");
    ADD("cpus=%d", o->cpus > 0 ? o->cpus : 1);
    if (o->jobs > 0)
        ADD("jobs=%d", o->jobs);
    if (o->distcc_version && *o->distcc_version)
        ADD("distcc=%s", o->distcc_version);
    if (o->gnuhost && *o->gnuhost)
        ADD("gnuhost=%s", o->gnuhost);
    if (o->cc_version && *o->cc_version)
        ADD("cc_version=%s", o->cc_version);
    if (o->cc_machine && *o->cc_machine)
        ADD("cc_machine=%s", o->cc_machine);
#undef ADD
    return n;
}

#if DCC_WITH_ZEROCONF

/* ---- browsing ------------------------------------------------------------ */

struct browse {
    AvahiSimplePoll *poll;
    AvahiClient *client;
    const char *type;
    struct dcc_zc_service *svc;
    size_t n, cap;
    int pending; /* resolvers running */
    int retries; /* resolves started again (bounded) */
    int all_for_now;
    int failed;
    char err[256];
};

static void browse_fail(struct browse *b, const char *what, int error)
{
    if (!b->failed)
        snprintf(b->err, sizeof b->err, "%s: %s", what, avahi_strerror(error));
    b->failed = 1;
    avahi_simple_poll_quit(b->poll);
}

static void on_resolved(AvahiServiceResolver *r, AvahiIfIndex iface, AvahiProtocol proto,
                        AvahiResolverEvent event, const char *name, const char *type,
                        const char *domain, const char *host_name, const AvahiAddress *a,
                        uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags,
                        void *userdata)
{
    (void)type, (void)host_name, (void)flags;
    struct browse *b = userdata;
    b->pending--;
    char shown[AVAHI_ADDRESS_STR_MAX] = "";
    if (event == AVAHI_RESOLVER_FOUND &&
        (!a || !avahi_address_snprint(shown, sizeof shown, a) || !port) && b->retries < 8) {
        /* Found, yet no address or port to use (records that expired
         * while they were being read): ask once more while time is left. */
        b->retries++;
        if (avahi_service_resolver_new(b->client, iface, proto, name, DCC_ZC_SERVICE_TYPE, domain,
                                       proto, 0, on_resolved, b))
            b->pending++;
        avahi_service_resolver_free(r);
        return;
    }
    if (event == AVAHI_RESOLVER_FOUND && name && a && b->n < DCC_ZC_MAX_SERVICES) {
        if (b->n == b->cap) {
            size_t ncap = b->cap ? b->cap * 2 : 8;
            struct dcc_zc_service *grown = realloc(b->svc, ncap * sizeof *grown);
            if (!grown) {
                avahi_service_resolver_free(r);
                return;
            }
            b->svc = grown;
            b->cap = ncap;
        }
        struct dcc_zc_service *s = &b->svc[b->n];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", name);
        avahi_address_snprint(s->address, sizeof s->address, a);
        s->is_ipv6 = a->proto == AVAHI_PROTO_INET6;
        s->link_local = s->is_ipv6 && a->data.ipv6.address[0] == 0xfe &&
                        (a->data.ipv6.address[1] & 0xc0) == 0x80;
        s->port = port;
        for (AvahiStringList *l = txt; l; l = avahi_string_list_get_next(l))
            dcc_zc_txt_item(s, avahi_string_list_get_text(l), avahi_string_list_get_size(l));
        /* one entry per name and address: IPv4 and IPv6 browses of one
         * helper resolve to the same address */
        int dup = 0;
        for (size_t i = 0; i < b->n && !dup; i++)
            dup = strcmp(b->svc[i].name, s->name) == 0 &&
                  strcmp(b->svc[i].address, s->address) == 0 && b->svc[i].port == s->port;
        if (!dup)
            b->n++;
    }
    avahi_service_resolver_free(r);
}

static void on_browse(AvahiServiceBrowser *sb, AvahiIfIndex iface, AvahiProtocol proto,
                      AvahiBrowserEvent event, const char *name, const char *type,
                      const char *domain, AvahiLookupResultFlags flags, void *userdata)
{
    (void)sb, (void)flags;
    struct browse *b = userdata;
    switch (event) {
    case AVAHI_BROWSER_NEW:
        if (b->pending + b->n >= DCC_ZC_MAX_SERVICES)
            break;
        /* DCC_ZC_SERVICE_TYPE, not type: a subtype browse reports the
         * subtype, which does not resolve */
        /* The address of the protocol it was found over: with any, avahi
         * may answer an IPv4 browse with the host's link-local IPv6
         * address, which no client can connect to without its interface. */
        if (avahi_service_resolver_new(b->client, iface, proto, name, DCC_ZC_SERVICE_TYPE, domain,
                                       proto, 0, on_resolved, b))
            b->pending++;
        (void)type;
        break;
    case AVAHI_BROWSER_REMOVE:
        for (size_t i = 0; i < b->n;) {
            if (strcmp(b->svc[i].name, name) == 0)
                b->svc[i] = b->svc[--b->n];
            else
                i++;
        }
        break;
    case AVAHI_BROWSER_FAILURE:
        browse_fail(b, "browsing failed", avahi_client_errno(b->client));
        break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
        b->all_for_now = 1;
        break;
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
        break;
    }
}

static void on_browse_client(AvahiClient *c, AvahiClientState state, void *userdata)
{
    struct browse *b = userdata;
    if (state == AVAHI_CLIENT_FAILURE)
        browse_fail(b, "avahi-daemon", avahi_client_errno(c));
}

int dcc_zc_browse(const char *type, int timeout_ms, struct dcc_zc_service **out, size_t *n,
                  char *err, size_t errlen)
{
    struct browse b = {.type = type};
    int error = 0, rc = -1;
    *out = NULL;
    *n = 0;
    if (dcc_dl_load(&avahi_lib, err, errlen) != 0)
        return -1;
    if (!(b.poll = avahi_simple_poll_new())) {
        dcc_set_err(err, errlen, "out of memory");
        return -1;
    }
    b.client = avahi_client_new(avahi_simple_poll_get(b.poll), 0, on_browse_client, &b, &error);
    if (!b.client) {
        dcc_set_err(err, errlen, "cannot reach avahi-daemon over the system bus: %s",
                    avahi_strerror(error));
        goto out;
    }
    if (!avahi_service_browser_new(b.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, type, NULL, 0,
                                   on_browse, &b)) {
        dcc_set_err(err, errlen, "cannot browse %s: %s", type,
                    avahi_strerror(avahi_client_errno(b.client)));
        goto out;
    }
    long long deadline = dcc_now_ms() + timeout_ms;
    while (!b.failed && !(b.all_for_now && b.pending == 0)) {
        long long left = deadline - dcc_now_ms();
        if (left <= 0 || avahi_simple_poll_iterate(b.poll, (int)left) != 0)
            break;
    }
    if (b.failed) {
        dcc_set_err(err, errlen, "%s", b.err);
        goto out;
    }
    *out = b.svc;
    *n = b.n;
    b.svc = NULL;
    rc = 0;
out:
    if (b.client)
        avahi_client_free(b.client); /* frees the browser and resolvers */
    avahi_simple_poll_free(b.poll);
    free(b.svc);
    return rc;
}

/* ---- publishing ---------------------------------------------------------- */

#define MAX_TXT 8

struct dcc_zc_publisher {
    AvahiThreadedPoll *poll;
    AvahiClient *client;
    AvahiEntryGroup *group;
    char *name;
    int port;
    char txt[MAX_TXT][96];
    size_t ntxt;
    char subtype[192]; /* "" when the compiler is not known */
    void (*report)(int error, const char *line, void *ctx);
    void *report_ctx;
};

static void pub_report(struct dcc_zc_publisher *p, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pub_report(struct dcc_zc_publisher *p, int error, const char *fmt, ...)
{
    if (!p->report)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->report(error, line, p->report_ctx);
}

static void pub_register(struct dcc_zc_publisher *p);

static void on_group(AvahiEntryGroup *g, AvahiEntryGroupState state, void *userdata)
{
    struct dcc_zc_publisher *p = userdata;
    p->group = g;
    switch (state) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
        pub_report(p, 0, "announced as \"%s\" (%s, port %d)", p->name, DCC_ZC_SERVICE_TYPE,
                   p->port);
        break;
    case AVAHI_ENTRY_GROUP_COLLISION: {
        char *alt = avahi_alternative_service_name(p->name);
        if (!alt) {
            pub_report(p, 1, "the name \"%s\" is taken and no other could be made", p->name);
            break;
        }
        pub_report(p, 0, "the name \"%s\" is taken on the network; trying \"%s\"", p->name, alt);
        avahi_free(p->name);
        p->name = alt;
        avahi_entry_group_reset(g);
        pub_register(p);
        break;
    }
    case AVAHI_ENTRY_GROUP_FAILURE:
        pub_report(p, 1, "announcing failed: %s",
                   avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
        break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
}

static void pub_register(struct dcc_zc_publisher *p)
{
    if (!p->group && !(p->group = avahi_entry_group_new(p->client, on_group, p))) {
        pub_report(p, 1, "cannot create an Avahi entry group: %s",
                   avahi_strerror(avahi_client_errno(p->client)));
        return;
    }
    if (!avahi_entry_group_is_empty(p->group))
        return;
    const char *items[MAX_TXT];
    for (size_t i = 0; i < p->ntxt; i++)
        items[i] = p->txt[i];
    AvahiStringList *txt = avahi_string_list_new_from_array(items, (int)p->ntxt);
    int rc = avahi_entry_group_add_service_strlst(p->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                  p->name, DCC_ZC_SERVICE_TYPE, NULL, NULL,
                                                  (uint16_t)p->port, txt);
    avahi_string_list_free(txt);
    if (rc == AVAHI_ERR_COLLISION) {
        on_group(p->group, AVAHI_ENTRY_GROUP_COLLISION, p);
        return;
    }
    if (rc < 0) {
        pub_report(p, 1, "cannot add the service \"%s\": %s", p->name, avahi_strerror(rc));
        return;
    }
    if (p->subtype[0] && (rc = avahi_entry_group_add_service_subtype(
                              p->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, p->name,
                              DCC_ZC_SERVICE_TYPE, NULL, p->subtype)) < 0)
        pub_report(p, 1, "cannot add the subtype %s: %s", p->subtype, avahi_strerror(rc));
    if ((rc = avahi_entry_group_commit(p->group)) < 0)
        pub_report(p, 1, "cannot announce \"%s\": %s", p->name, avahi_strerror(rc));
}

static void on_pub_client(AvahiClient *c, AvahiClientState state, void *userdata)
{
    struct dcc_zc_publisher *p = userdata;
    p->client = c; /* set before avahi_client_new returns */
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        pub_register(p);
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        /* the host name changes: announce again once it has settled */
        if (p->group)
            avahi_entry_group_reset(p->group);
        break;
    case AVAHI_CLIENT_FAILURE:
        if (avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED) {
            /* avahi-daemon went away: wait for the next one */
            pub_report(p, 1, "avahi-daemon went away; announcing again when it is back");
            avahi_client_free(c);
            p->client = NULL;
            p->group = NULL;
            int error = 0;
            if (!avahi_client_new(avahi_threaded_poll_get(p->poll), AVAHI_CLIENT_NO_FAIL,
                                  on_pub_client, p, &error))
                pub_report(p, 1, "cannot reconnect to avahi-daemon: %s", avahi_strerror(error));
        } else {
            pub_report(p, 1, "Avahi client failed: %s", avahi_strerror(avahi_client_errno(c)));
        }
        break;
    case AVAHI_CLIENT_CONNECTING:
        break;
    }
}

int dcc_zc_publish_start(const struct dcc_zc_publish_opts *o, struct dcc_zc_publisher **pub,
                         char *err, size_t errlen)
{
    *pub = NULL;
    if (dcc_dl_load(&avahi_lib, err, errlen) != 0)
        return -1;
    struct dcc_zc_publisher *p = calloc(1, sizeof *p);
    if (!p) {
        dcc_set_err(err, errlen, "out of memory");
        return -1;
    }
    p->port = o->port;
    p->report = o->report;
    p->report_ctx = o->report_ctx;
    p->ntxt = dcc_zc_txt_build(o, p->txt, MAX_TXT);
    if (dcc_zc_subtype(o->cc_machine, o->cc_version, p->subtype, sizeof p->subtype) != 0)
        p->subtype[0] = '\0';
    char name[64];
    /* a DNS label holds 63 bytes */
    snprintf(name, sizeof name, "distcc@%s",
             o->hostname && *o->hostname ? o->hostname : "localhost");
    p->name = avahi_strdup(name);
    int error = 0;
    if (!p->name || !(p->poll = avahi_threaded_poll_new())) {
        dcc_set_err(err, errlen, "out of memory");
        goto fail;
    }
    if (!avahi_client_new(avahi_threaded_poll_get(p->poll), AVAHI_CLIENT_NO_FAIL, on_pub_client, p,
                          &error)) {
        dcc_set_err(err, errlen, "cannot create an Avahi client: %s", avahi_strerror(error));
        p->client = NULL; /* freed by avahi_client_new */
        goto fail;
    }
    if (avahi_client_get_state(p->client) == AVAHI_CLIENT_CONNECTING)
        pub_report(
            p, 1,
            "avahi-daemon is not running (or the system bus is not); announcing once it starts");
    if (avahi_threaded_poll_start(p->poll) < 0) {
        dcc_set_err(err, errlen, "cannot start Avahi's thread");
        goto fail;
    }
    *pub = p;
    return 0;
fail:
    if (p->client)
        avahi_client_free(p->client);
    if (p->poll)
        avahi_threaded_poll_free(p->poll);
    avahi_free(p->name);
    free(p);
    return -1;
}

void dcc_zc_publish_stop(struct dcc_zc_publisher *p)
{
    if (!p)
        return;
    avahi_threaded_poll_stop(p->poll);
    /* freeing the client frees the entry group, which withdraws the
     * service with a goodbye (TTL 0) announcement */
    if (p->client)
        avahi_client_free(p->client);
    avahi_threaded_poll_free(p->poll);
    avahi_free(p->name);
    free(p);
}

#else /* !DCC_WITH_ZEROCONF */

#define NO_ZEROCONF \
    "this build has no Zeroconf support (built without Avahi: WITH_ZEROCONF=1 and libavahi-client-dev / net-dns/avahi[dbus])"

int dcc_zc_browse(const char *type, int timeout_ms, struct dcc_zc_service **out, size_t *n,
                  char *err, size_t errlen)
{
    (void)type, (void)timeout_ms;
    *out = NULL;
    *n = 0;
    dcc_set_err(err, errlen, NO_ZEROCONF);
    return -1;
}

int dcc_zc_publish_start(const struct dcc_zc_publish_opts *opts, struct dcc_zc_publisher **pub,
                         char *err, size_t errlen)
{
    (void)opts;
    *pub = NULL;
    dcc_set_err(err, errlen, NO_ZEROCONF);
    return -1;
}

void dcc_zc_publish_stop(struct dcc_zc_publisher *pub)
{
    (void)pub;
}

#endif
