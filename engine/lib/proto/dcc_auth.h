/* GSS-API mutual authentication as distcc 3.4 speaks it, and distccd's principal white/black lists. */
#ifndef DCC_AUTH_H
#define DCC_AUTH_H

#include <stddef.h>

#include "proto/dcc_wire.h"

/* The exchange, before any request (stock's auth_distcc.c / auth_distccd.c):
 *   client '*'  ->  daemon '*'          one byte each way: "I authenticate"
 *   TLEN<len><token> both ways          GSS-API context tokens until both
 *                                       sides are complete (the client sends
 *                                       first; a side sends only non-empty
 *                                       tokens)
 *   daemon 'y' or 'n'                   the verdict of the principal lists;
 *                                       after 'n' the daemon hangs up
 * Both sides insist on mutual authentication, replay and sequence detection. */
#define DCC_AUTH_HANDSHAKE '*'
#define DCC_AUTH_ACCESS 'y'
#define DCC_AUTH_NO_ACCESS 'n'
#define DCC_AUTH_TOKEN_MAX (256u * 1024u) /* a Kerberos AP-REQ with a PAC is ~12 KiB */
#define DCC_AUTH_PRINCIPAL_MAX 255        /* longer names are refused (and in lists) */
#define DCC_AUTH_LIST_FILE_MAX (4 * 1024 * 1024)

/* 1 when this build has GSS-API (the Makefile's WITH_GSSAPI), else 0; the
 * functions below that need it then fail with a message saying so. */
int dcc_auth_available(void);

/* A --whitelist or --blacklist: one principal per line; blank lines and
 * lines starting with '#' are skipped, blanks around a name are dropped.
 * "alice" matches alice in any realm (stock compares the part before '@'),
 * "alice@EXAMPLE.ORG" only that one. */
struct dcc_auth_list {
    char **names; /* sorted */
    size_t n;
    int deny; /* 1: a blacklist, 0: a whitelist */
    char path[512];
};

/* Parses text (len bytes, need not end in NUL); 0, or -1 with err naming the
 * line. l is initialised here and left empty on failure. */
int dcc_auth_list_parse(const char *text, size_t len, struct dcc_auth_list *l, char *err,
                        size_t errlen);
/* Reads and parses a regular file of at most DCC_AUTH_LIST_FILE_MAX bytes. */
int dcc_auth_list_load(const char *path, int deny, struct dcc_auth_list *l, char *err,
                       size_t errlen);
/* 1 when principal (as GSS-API displays it, "alice@EXAMPLE.ORG") is listed. */
int dcc_auth_list_has(const struct dcc_auth_list *l, const char *principal);
/* 1 when the list lets principal in: listed in a whitelist, or not listed in
 * a blacklist. */
int dcc_auth_list_allows(const struct dcc_auth_list *l, const char *principal);
void dcc_auth_list_free(struct dcc_auth_list *l);

/* The helper's principal a client asks for, as stock names it: with
 * DISTCC_PRINCIPAL=SERVICE the host-based name "SERVICE@HOST", otherwise
 * "host/HOST" (a principal name in the default realm). HOST is the
 * ",auth=NAME" of the host spec, else the name the helper's address
 * resolves back to. 0, or -1 when it does not fit or a part is empty. */
int dcc_auth_target(const char *host, const char *service, char *buf, size_t buflen,
                    int *hostbased);

/* Client side: runs the exchange above on c (right after connecting),
 * waiting at most wait_ms for each answer. Returns 0 when the helper proved
 * to be target and let us in; else 119 (GSS-API failure: no ticket, ticket
 * expired, unknown principal, a helper that is not target or does not
 * authenticate), 113 (the helper's lists refused our principal), or the wire
 * error, with one line in err that says what to do. */
int dcc_auth_connect(struct dcc_conn *c, const char *target, int hostbased, int wait_ms, char *err,
                     size_t errlen);

/* Daemon side: the acceptor credentials, made once at start-up. */
struct dcc_auth_server {
    void *cred;                            /* gss_cred_id_t */
    void *krb;                             /* krb5_context */
    void *keytab;                          /* krb5_keytab, the in-memory copy */
    char name[DCC_AUTH_PRINCIPAL_MAX + 1]; /* DISTCCD_PRINCIPAL, or "" for any key */
    char keytab_name[512];                 /* where the keys came from */
    int keys;                              /* entries copied */
};

/* Copies the keys of the default keytab (KRB5_KTNAME, else the system's) into
 * memory and makes acceptor credentials for principal (stock's
 * DISTCCD_PRINCIPAL: "SERVICE@HOST" is host-based, anything else a principal
 * name such as "host/box.example.org"; NULL or "" accepts for any key in the
 * keytab). Called before dropping root, so the keytab may stay readable by
 * root alone. 0, or 119 with err. */
int dcc_auth_server_init(struct dcc_auth_server *s, const char *principal, char *err,
                         size_t errlen);
void dcc_auth_server_free(struct dcc_auth_server *s);

/* Daemon side of the exchange on c. On 0 principal holds the client's name
 * and 'y' was sent. Otherwise: 119 (no handshake, a GSS-API failure), 113
 * (list said no; 'n' was sent), or the wire error; err says why, and
 * principal holds the name when it is known. */
int dcc_auth_accept(const struct dcc_auth_server *s, struct dcc_conn *c,
                    const struct dcc_auth_list *list, char *principal, size_t plen, char *err,
                    size_t errlen);

#endif
