/* distccd's access list: which client addresses (--allow CIDR) may submit jobs. */
#ifndef DCC_ACL_H
#define DCC_ACL_H

#include <stddef.h>
#include <sys/socket.h>

struct dcc_acl_entry {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network byte order; v4 uses the first 4; host bits cleared */
    int bits;               /* prefix length: 0..32 or 0..128 */
};

/* Start from {0}; dcc_acl_free releases it. */
struct dcc_acl {
    struct dcc_acl_entry *entries;
    size_t n;
};

/* Adds "IP" or "IP/BITS" (IPv4 or IPv6; no BITS means one address). Host bits
 * below the mask are accepted and cleared. 0, or -1 with one line in err
 * naming the spec, e.g.
 *   bad --allow address "10.0.0.0/33": prefix length "33" is not a number 0-32 */
int dcc_acl_add(struct dcc_acl *acl, const char *spec, char *err, size_t errlen);

/* --allow-private: 192.168.0.0/16 10.0.0.0/8 172.16.0.0/12 127.0.0.0/8
 * fe80::/10 fc00::/7 ::1/128. 0, or -1 when out of memory. */
int dcc_acl_add_private(struct dcc_acl *acl);

/* The default without --allow: 127.0.0.0/8 ::1/128. 0, or -1 when out of memory. */
int dcc_acl_add_loopback(struct dcc_acl *acl);

/* 1 if the client address matches an entry, else 0. An IPv4 client matches
 * IPv4 entries and, as ::ffff:a.b.c.d, IPv6 entries; an IPv4-mapped IPv6
 * client is treated the same way. An empty list allows nothing; families
 * other than IPv4/IPv6 and short lengths are refused. */
int dcc_acl_allows(const struct dcc_acl *acl, const struct sockaddr *sa, socklen_t len);

void dcc_acl_free(struct dcc_acl *acl);

/* The list for the log, "127.0.0.0/8 ::1/128" ("" when empty).
 * 0, or -1 if buf is too small. */
int dcc_acl_describe(const struct dcc_acl *acl, char *buf, size_t buflen);

#endif
