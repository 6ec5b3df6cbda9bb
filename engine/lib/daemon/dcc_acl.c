/* distccd's --allow list: parsing CIDR specs and matching client addresses against them. */
#include "daemon/dcc_acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest spec text quoted back in an error. */
#define ACL_SHOWN_MAX 64

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int acl_bad(char *err, size_t errlen, const char *spec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int acl_bad(char *err, size_t errlen, const char *spec, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    if (!err || errlen == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "bad --allow address \"%.*s%s\": %s", ACL_SHOWN_MAX, spec,
             strlen(spec) > ACL_SHOWN_MAX ? "..." : "", why);
    return -1;
}

/* Clears every bit after the first `bits`, so 192.168.1.7/24 is stored as
 * 192.168.1.0/24 and describes itself the way an admin expects. */
static void clear_host_bits(unsigned char *addr, int len, int bits)
{
    for (int i = 0; i < len; i++) {
        int keep = bits - i * 8;
        if (keep >= 8)
            continue;
        addr[i] &= keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
    }
}

static int prefix_matches(const unsigned char *net, const unsigned char *addr, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(net, addr, (size_t)whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (net[whole] & mask) == (addr[whole] & mask);
}

static int acl_append(struct dcc_acl *acl, const struct dcc_acl_entry *e)
{
    struct dcc_acl_entry *grown = realloc(acl->entries, (acl->n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    acl->entries = grown;
    acl->entries[acl->n++] = *e;
    return 0;
}

int dcc_acl_add(struct dcc_acl *acl, const char *spec, char *err, size_t errlen)
{
    struct dcc_acl_entry e;
    char text[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(spec, '/');
    size_t alen = slash ? (size_t)(slash - spec) : strlen(spec);
    int max;

    memset(&e, 0, sizeof e);
    e.family = memchr(spec, ':', alen) ? AF_INET6 : AF_INET;
    max = e.family == AF_INET6 ? 128 : 32;
    if (alen >= sizeof text)
        return acl_bad(err, errlen, spec, "\"%.*s...\" is not an IPv4 or IPv6 address",
                       ACL_SHOWN_MAX, spec);
    memcpy(text, spec, alen);
    text[alen] = '\0';
    if (inet_pton(e.family, text, e.addr) != 1)
        return acl_bad(err, errlen, spec, "\"%s\" is not an IPv4 or IPv6 address", text);

    e.bits = max;
    if (slash) {
        const char *b = slash + 1;
        size_t blen = strlen(b);
        int v = 0, ok = blen > 0 && blen <= 3;
        for (size_t i = 0; ok && i < blen; i++) {
            ok = b[i] >= '0' && b[i] <= '9';
            v = v * 10 + (b[i] - '0');
        }
        if (!ok || v > max)
            return acl_bad(err, errlen, spec, "prefix length \"%.*s\" is not a number 0-%d",
                           ACL_SHOWN_MAX, b, max);
        e.bits = v;
    }
    clear_host_bits(e.addr, e.family == AF_INET6 ? 16 : 4, e.bits);

    if (acl_append(acl, &e) != 0)
        return acl_bad(err, errlen, spec, "out of memory");
    return 0;
}

static int add_all(struct dcc_acl *acl, const char *const *specs, size_t n)
{
    char ignored[128];
    for (size_t i = 0; i < n; i++)
        if (dcc_acl_add(acl, specs[i], ignored, sizeof ignored) != 0)
            return -1;
    return 0;
}

int dcc_acl_add_private(struct dcc_acl *acl)
{
    /* Unlike stock 3.4, whose loop stopped one short and dropped ::1. */
    static const char *const private_nets[] = {
        "192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "127.0.0.0/8",
        "fe80::/10",      "fc00::/7",   "::1/128",
    };
    return add_all(acl, private_nets, sizeof private_nets / sizeof private_nets[0]);
}

int dcc_acl_add_loopback(struct dcc_acl *acl)
{
    static const char *const loopback_nets[] = {"127.0.0.0/8", "::1/128"};
    return add_all(acl, loopback_nets, sizeof loopback_nets / sizeof loopback_nets[0]);
}

int dcc_acl_allows(const struct dcc_acl *acl, const struct sockaddr *sa, socklen_t len)
{
    /* The client in both spellings, so the socket's family does not decide
     * which entries apply. */
    unsigned char v4[4], v6[16];
    int have_v4 = 0;

    if (!acl || !sa || len < (socklen_t)sizeof(sa_family_t))
        return 0;
    if (sa->sa_family == AF_INET) {
        if (len < (socklen_t)sizeof(struct sockaddr_in))
            return 0;
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        memcpy(v4, &sin->sin_addr, 4);
        memcpy(v6, v4_mapped_prefix, 12);
        memcpy(v6 + 12, v4, 4);
        have_v4 = 1;
    } else if (sa->sa_family == AF_INET6) {
        if (len < (socklen_t)sizeof(struct sockaddr_in6))
            return 0;
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        memcpy(v6, &sin6->sin6_addr, 16);
        if (memcmp(v6, v4_mapped_prefix, 12) == 0) {
            memcpy(v4, v6 + 12, 4);
            have_v4 = 1;
        }
    } else {
        return 0;
    }

    for (size_t i = 0; i < acl->n; i++) {
        const struct dcc_acl_entry *e = &acl->entries[i];
        if (e->family == AF_INET && have_v4 && prefix_matches(e->addr, v4, e->bits))
            return 1;
        if (e->family == AF_INET6 && prefix_matches(e->addr, v6, e->bits))
            return 1;
    }
    return 0;
}

void dcc_acl_free(struct dcc_acl *acl)
{
    if (!acl)
        return;
    free(acl->entries);
    acl->entries = NULL;
    acl->n = 0;
}

int dcc_acl_describe(const struct dcc_acl *acl, char *buf, size_t buflen)
{
    size_t used = 0;
    if (!buf || buflen == 0)
        return -1;
    buf[0] = '\0';
    for (size_t i = 0; i < acl->n; i++) {
        const struct dcc_acl_entry *e = &acl->entries[i];
        char text[INET6_ADDRSTRLEN];
        if (!inet_ntop(e->family, e->addr, text, sizeof text))
            goto too_small;
        int n = snprintf(buf + used, buflen - used, "%s%s/%d", i ? " " : "", text, e->bits);
        if (n < 0 || (size_t)n >= buflen - used)
            goto too_small;
        used += (size_t)n;
    }
    return 0;

too_small:
    buf[0] = '\0';
    return -1;
}
