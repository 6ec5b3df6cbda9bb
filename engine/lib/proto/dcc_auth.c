/* GSS-API mutual authentication as distcc 3.4 speaks it, and distccd's principal white/black lists. */
#include "proto/dcc_auth.h"

#include "base/dcc_exit.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if DCC_WITH_GSSAPI
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "base/dcc_dl.h"

#ifndef DCC_GSSAPI_SONAME
#define DCC_GSSAPI_SONAME "libgssapi_krb5.so.2"
#endif

/* GSS-API and Kerberos are loaded when first needed (dcc_dl): a client
 * that never authenticates does not load them (and the dozen libraries
 * they pull in) at every start. Every name below is a slot of gss_lib. */
#define GSS_SYMBOLS(X) \
    X(gss_accept_sec_context) \
    X(gss_acquire_cred_from) \
    X(gss_canonicalize_name) \
    X(gss_delete_sec_context) \
    X(gss_display_name) \
    X(gss_display_status) \
    X(gss_import_name) \
    X(gss_init_sec_context) \
    X(gss_release_buffer) \
    X(gss_release_cred) \
    X(gss_release_name) \
    X(krb5_free_context) \
    X(krb5_free_error_message) \
    X(krb5_free_keytab_entry_contents) \
    X(krb5_free_principal) \
    X(krb5_free_unparsed_name) \
    X(krb5_get_error_message) \
    X(krb5_init_context) \
    X(krb5_is_referral_realm) \
    X(krb5_kt_add_entry) \
    X(krb5_kt_close) \
    X(krb5_kt_default) \
    X(krb5_kt_end_seq_get) \
    X(krb5_kt_get_entry) \
    X(krb5_kt_get_name) \
    X(krb5_kt_next_entry) \
    X(krb5_kt_remove_entry) \
    X(krb5_kt_resolve) \
    X(krb5_kt_start_seq_get) \
    X(krb5_parse_name) \
    X(krb5_principal_compare_any_realm) \
    X(krb5_sname_to_principal) \
    X(krb5_unparse_name) \
    X(GSS_C_NT_HOSTBASED_SERVICE) \
    X(GSS_C_NT_USER_NAME) \
    X(gss_mech_krb5)

DCC_DL_TABLE(gss_api, gss_lib, DCC_GSSAPI_SONAME, GSS_SYMBOLS);

#define gss_accept_sec_context (*gss_api.f.gss_accept_sec_context)
#define gss_acquire_cred_from (*gss_api.f.gss_acquire_cred_from)
#define gss_canonicalize_name (*gss_api.f.gss_canonicalize_name)
#define gss_delete_sec_context (*gss_api.f.gss_delete_sec_context)
#define gss_display_name (*gss_api.f.gss_display_name)
#define gss_display_status (*gss_api.f.gss_display_status)
#define gss_import_name (*gss_api.f.gss_import_name)
#define gss_init_sec_context (*gss_api.f.gss_init_sec_context)
#define gss_release_buffer (*gss_api.f.gss_release_buffer)
#define gss_release_cred (*gss_api.f.gss_release_cred)
#define gss_release_name (*gss_api.f.gss_release_name)
#define krb5_free_context (*gss_api.f.krb5_free_context)
#define krb5_free_error_message (*gss_api.f.krb5_free_error_message)
#define krb5_free_keytab_entry_contents (*gss_api.f.krb5_free_keytab_entry_contents)
#define krb5_free_principal (*gss_api.f.krb5_free_principal)
#define krb5_free_unparsed_name (*gss_api.f.krb5_free_unparsed_name)
#define krb5_get_error_message (*gss_api.f.krb5_get_error_message)
#define krb5_init_context (*gss_api.f.krb5_init_context)
#define krb5_is_referral_realm (*gss_api.f.krb5_is_referral_realm)
#define krb5_kt_add_entry (*gss_api.f.krb5_kt_add_entry)
#define krb5_kt_close (*gss_api.f.krb5_kt_close)
#define krb5_kt_default (*gss_api.f.krb5_kt_default)
#define krb5_kt_end_seq_get (*gss_api.f.krb5_kt_end_seq_get)
#define krb5_kt_get_entry (*gss_api.f.krb5_kt_get_entry)
#define krb5_kt_get_name (*gss_api.f.krb5_kt_get_name)
#define krb5_kt_next_entry (*gss_api.f.krb5_kt_next_entry)
#define krb5_kt_remove_entry (*gss_api.f.krb5_kt_remove_entry)
#define krb5_kt_resolve (*gss_api.f.krb5_kt_resolve)
#define krb5_kt_start_seq_get (*gss_api.f.krb5_kt_start_seq_get)
#define krb5_parse_name (*gss_api.f.krb5_parse_name)
#define krb5_principal_compare_any_realm (*gss_api.f.krb5_principal_compare_any_realm)
#define krb5_sname_to_principal (*gss_api.f.krb5_sname_to_principal)
#define krb5_unparse_name (*gss_api.f.krb5_unparse_name)
#define GSS_C_NT_HOSTBASED_SERVICE (*gss_api.f.GSS_C_NT_HOSTBASED_SERVICE)
#define GSS_C_NT_USER_NAME (*gss_api.f.GSS_C_NT_USER_NAME)
#define gss_mech_krb5 (*gss_api.f.gss_mech_krb5)
#endif

static int say(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int say(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int dcc_auth_available(void)
{
    return DCC_WITH_GSSAPI;
}

/* ---- principal lists ---- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void dcc_auth_list_free(struct dcc_auth_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->n = 0;
}

int dcc_auth_list_parse(const char *text, size_t len, struct dcc_auth_list *l, char *err,
                        size_t errlen)
{
    int deny = l->deny;
    char path[sizeof l->path];
    memcpy(path, l->path, sizeof path);
    memset(l, 0, sizeof *l);
    l->deny = deny;
    memcpy(l->path, path, sizeof path);
    size_t cap = 0, line = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        line++;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (s == e || *s == '#')
            continue;
        size_t n = (size_t)(e - s);
        for (const char *q = s; q < e; q++)
            if (isspace((unsigned char)*q) || iscntrl((unsigned char)*q)) {
                dcc_auth_list_free(l);
                return say(err, errlen, -1,
                           "line %zu: \"%.*s\" is not one principal (a blank or control "
                           "character inside)",
                           line, (int)(n > 80 ? 80 : n), s);
            }
        if (n > DCC_AUTH_PRINCIPAL_MAX) {
            dcc_auth_list_free(l);
            return say(err, errlen, -1, "line %zu: a principal longer than %d bytes", line,
                       DCC_AUTH_PRINCIPAL_MAX);
        }
        if (l->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(l->names, ncap * sizeof *nv);
            if (!nv) {
                dcc_auth_list_free(l);
                return say(err, errlen, -1, "out of memory");
            }
            l->names = nv;
            cap = ncap;
        }
        if (!(l->names[l->n] = strndup(s, n))) {
            dcc_auth_list_free(l);
            return say(err, errlen, -1, "out of memory");
        }
        l->n++;
    }
    if (l->n)
        qsort(l->names, l->n, sizeof *l->names, cmp_names);
    return 0;
}

int dcc_auth_list_load(const char *path, int deny, struct dcc_auth_list *l, char *err,
                       size_t errlen)
{
    memset(l, 0, sizeof *l);
    l->deny = deny;
    snprintf(l->path, sizeof l->path, "%s", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return say(err, errlen, -1, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return say(err, errlen, -1, "%s is not a regular file", path);
    }
    if (st.st_size > DCC_AUTH_LIST_FILE_MAX) {
        close(fd);
        return say(err, errlen, -1, "%s is larger than %d bytes", path, DCC_AUTH_LIST_FILE_MAX);
    }
    char *text = malloc((size_t)st.st_size + 1);
    if (!text) {
        close(fd);
        return say(err, errlen, -1, "out of memory");
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    char why[300];
    int rc = dcc_auth_list_parse(text, got, l, why, sizeof why);
    free(text);
    if (rc)
        return say(err, errlen, -1, "%s: %s", path, why);
    return 0;
}

int dcc_auth_list_has(const struct dcc_auth_list *l, const char *principal)
{
    if (!l || !l->n || !principal)
        return 0;
    const char *key = principal;
    if (bsearch(&key, l->names, l->n, sizeof *l->names, cmp_names))
        return 1;
    /* Stock compares the name without its realm. */
    const char *at = strrchr(principal, '@');
    if (!at || at == principal || (size_t)(at - principal) > DCC_AUTH_PRINCIPAL_MAX)
        return 0;
    char bare[DCC_AUTH_PRINCIPAL_MAX + 1];
    memcpy(bare, principal, (size_t)(at - principal));
    bare[at - principal] = '\0';
    key = bare;
    return bsearch(&key, l->names, l->n, sizeof *l->names, cmp_names) != NULL;
}

int dcc_auth_list_allows(const struct dcc_auth_list *l, const char *principal)
{
    if (!l)
        return 1;
    return dcc_auth_list_has(l, principal) != l->deny;
}

int dcc_auth_target(const char *host, const char *service, char *buf, size_t buflen, int *hostbased)
{
    int n;
    if (!host || !*host)
        return -1;
    if (service && *service) {
        *hostbased = 1;
        n = snprintf(buf, buflen, "%s@%s", service, host);
    } else {
        *hostbased = 0;
        n = snprintf(buf, buflen, "host/%s", host);
    }
    if (n < 0 || (size_t)n >= buflen || (size_t)n > DCC_AUTH_PRINCIPAL_MAX) {
        if (buflen)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}

#if !DCC_WITH_GSSAPI

#define NO_GSSAPI \
    "this build has no GSS-API support (rebuild with WITH_GSSAPI=1 and libkrb5-dev / app-crypt/mit-krb5)"

int dcc_auth_connect(struct dcc_conn *c, const char *target, int hostbased, int wait_ms, char *err,
                     size_t errlen)
{
    (void)c, (void)target, (void)hostbased, (void)wait_ms;
    return say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "%s", NO_GSSAPI);
}

int dcc_auth_server_init(struct dcc_auth_server *s, const char *principal, char *err, size_t errlen)
{
    (void)principal;
    memset(s, 0, sizeof *s);
    return say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "%s", NO_GSSAPI);
}

void dcc_auth_server_free(struct dcc_auth_server *s)
{
    (void)s;
}

int dcc_auth_accept(const struct dcc_auth_server *s, struct dcc_conn *c,
                    const struct dcc_auth_list *list, char *principal, size_t plen, char *err,
                    size_t errlen)
{
    (void)s, (void)c, (void)list;
    if (plen)
        principal[0] = '\0';
    return say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "%s", NO_GSSAPI);
}

#else

#define WANTED_FLAGS (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG)

/* The messages behind a status: the mechanism's when there is one (it says
 * what happened: "Ticket expired"), else the generic one. */
static void status_text(OM_uint32 major, OM_uint32 minor, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    struct {
        OM_uint32 code;
        int type;
    } parts[2] = {{major, GSS_C_GSS_CODE}, {minor, GSS_C_MECH_CODE}};
    for (int i = 0; i < 2; i++) {
        if (parts[i].type == GSS_C_GSS_CODE && minor)
            continue;
        if (parts[i].type == GSS_C_MECH_CODE && !minor)
            continue;
        OM_uint32 ctx = 0, min2;
        do {
            gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
            if (GSS_ERROR(gss_display_status(&min2, parts[i].code, parts[i].type, GSS_C_NO_OID,
                                             &ctx, &msg)))
                break;
            int n = snprintf(buf + used, len - used, "%s%.*s", used ? ": " : "", (int)msg.length,
                             (const char *)msg.value);
            gss_release_buffer(&min2, &msg);
            if (n < 0 || (size_t)n >= len - used)
                return;
            used += (size_t)n;
        } while (ctx != 0);
    }
    if (!used)
        snprintf(buf, len, "GSS-API status %u/%u", (unsigned)major, (unsigned)minor);
}

static int send_token(struct dcc_conn *c, const gss_buffer_desc *tok)
{
    int rc = dcc_wire_write_token(c, DCC_TOK_TLEN, (uint32_t)tok->length);
    return rc ? rc : dcc_wire_write(c, tok->value, tok->length);
}

/* A token from the peer into a malloc'd buffer (caller frees tok->value). */
static int recv_token(struct dcc_conn *c, gss_buffer_desc *tok)
{
    uint32_t len;
    int rc = dcc_wire_read_token(c, DCC_TOK_TLEN, &len);
    if (rc)
        return rc;
    if (len == 0 || len > DCC_AUTH_TOKEN_MAX) {
        snprintf(c->err, sizeof c->err, "a GSS-API token of %u bytes (1 to %u allowed)",
                 (unsigned)len, DCC_AUTH_TOKEN_MAX);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    tok->value = malloc(len);
    if (!tok->value) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    tok->length = len;
    rc = dcc_wire_read(c, tok->value, len);
    if (rc) {
        free(tok->value);
        tok->value = NULL;
        tok->length = 0;
    }
    return rc;
}

static void name_text(gss_name_t name, char *buf, size_t len)
{
    OM_uint32 minor;
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    buf[0] = '\0';
    if (gss_display_name(&minor, name, &out, NULL) == GSS_S_COMPLETE) {
        if (out.length < len && !memchr(out.value, '\0', out.length)) {
            memcpy(buf, out.value, out.length);
            buf[out.length] = '\0';
        }
        gss_release_buffer(&minor, &out);
    }
}

static int import_name(const char *text, int hostbased, gss_name_t *name, char *err, size_t errlen)
{
    OM_uint32 minor;
    gss_buffer_desc b = {.length = strlen(text), .value = (void *)text};
    OM_uint32 major = gss_import_name(
        &minor, &b, hostbased ? GSS_C_NT_HOSTBASED_SERVICE : GSS_C_NT_USER_NAME, name);
    if (GSS_ERROR(major)) {
        char why[300];
        status_text(major, minor, why, sizeof why);
        return say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "GSS-API cannot use the name \"%s\": %s",
                   text, why);
    }
    return 0;
}

/* The client side of stock's "*" handshake: a helper without --auth reads
 * our '*' as the start of a request header and says nothing. */
static int client_handshake(struct dcc_conn *c, int wait_ms, char *err, size_t errlen)
{
    char b = DCC_AUTH_HANDSHAKE;
    int rc = dcc_wire_write(c, &b, 1);
    if (rc)
        return say(err, errlen, rc, "GSS-API handshake: %s", c->err);
    int saved = c->timeout_ms;
    c->timeout_ms = wait_ms;
    rc = dcc_wire_read(c, &b, 1);
    c->timeout_ms = saved;
    if (rc == DCC_EXIT_TIMEOUT)
        return say(err, errlen, DCC_EXIT_GSSAPI_FAILED,
                   "GSS-API handshake: no answer within %g s (does the helper run distccd --auth?)",
                   wait_ms / 1000.0);
    if (rc == DCC_EXIT_TRUNCATED)
        return say(
            err, errlen, DCC_EXIT_GSSAPI_FAILED,
            "GSS-API handshake: the helper hung up (does it run distccd --auth? is this machine in its "
            "--allow list?)");
    if (rc)
        return say(err, errlen, rc, "GSS-API handshake: %s", c->err);
    if (b != DCC_AUTH_HANDSHAKE)
        return say(
            err, errlen, DCC_EXIT_GSSAPI_FAILED,
            "GSS-API handshake: the helper answered 0x%02x, not '*' (it does not run distccd --auth)",
            (unsigned char)b);
    return 0;
}

int dcc_auth_connect(struct dcc_conn *c, const char *target, int hostbased, int wait_ms, char *err,
                     size_t errlen)
{
    char dl_err[300];
    if (dcc_dl_load(&gss_lib, dl_err, sizeof dl_err) != 0)
        return say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "GSS-API: %s", dl_err);
    gss_name_t name = GSS_C_NO_NAME;
    int rc = import_name(target, hostbased, &name, err, errlen);
    if (rc)
        return rc;
    /* Canonical for messages: host/box@REALM. */
    char shown[DCC_AUTH_PRINCIPAL_MAX + 1];
    OM_uint32 major, minor;
    gss_name_t canon = GSS_C_NO_NAME;
    if (gss_canonicalize_name(&minor, name, (gss_OID)gss_mech_krb5, &canon) == GSS_S_COMPLETE) {
        name_text(canon, shown, sizeof shown);
        gss_release_name(&minor, &canon);
    } else {
        snprintf(shown, sizeof shown, "%s", target);
    }
    if (!shown[0])
        snprintf(shown, sizeof shown, "%s", target);

    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER;
    OM_uint32 got_flags = 0;
    int sent_any = 0;
    for (;;) {
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, name, GSS_C_NO_OID,
                                     WANTED_FLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS, &in, NULL, &out,
                                     &got_flags, NULL);
        free(in.value);
        in.value = NULL;
        in.length = 0;
        if (GSS_ERROR(major)) {
            char why[400];
            status_text(major, minor, why, sizeof why);
            OM_uint32 min2;
            gss_release_buffer(&min2, &out);
            if (!sent_any)
                rc = say(
                    err, errlen, DCC_EXIT_GSSAPI_FAILED,
                    "GSS-API: cannot get a ticket for %s: %s (run kinit for a valid Kerberos ticket; is "
                    "this the helper's principal? see DISTCC_PRINCIPAL and ,auth=NAME)",
                    shown, why);
            else
                rc = say(
                    err, errlen, DCC_EXIT_GSSAPI_FAILED,
                    "GSS-API: the helper did not prove to be %s: %s (it does not hold that principal's "
                    "key: check DISTCC_PRINCIPAL and ,auth=NAME here, DISTCCD_PRINCIPAL and the keytab there)",
                    shown, why);
            goto out;
        }
        /* The first token is made before the handshake, so a client
         * without a ticket leaves without having said a word. */
        if (!sent_any && (rc = client_handshake(c, wait_ms, err, errlen)) != 0) {
            gss_release_buffer(&minor, &out);
            goto out;
        }
        if (out.length) {
            rc = send_token(c, &out);
            gss_release_buffer(&minor, &out);
            sent_any = 1;
            if (rc) {
                say(err, errlen, rc, "GSS-API: sending our token: %s", c->err);
                goto out;
            }
        }
        if (major != GSS_S_CONTINUE_NEEDED)
            break;
        int saved = c->timeout_ms;
        c->timeout_ms = wait_ms;
        rc = recv_token(c, &in);
        c->timeout_ms = saved;
        if (rc == DCC_EXIT_TRUNCATED) {
            /* Stock's daemon hangs up without a word when it cannot accept. */
            rc = say(
                err, errlen, DCC_EXIT_GSSAPI_FAILED,
                "GSS-API: the helper refused our ticket for %s and hung up (it does not hold that "
                "principal's key, or cannot use it: check DISTCC_PRINCIPAL, ,auth=NAME and the helper's "
                "DISTCCD_PRINCIPAL and keytab)",
                shown);
            goto out;
        }
        if (rc) {
            say(err, errlen, rc, "GSS-API: waiting for the helper's token: %s", c->err);
            goto out;
        }
    }
    if ((got_flags & WANTED_FLAGS) != WANTED_FLAGS) {
        rc = say(
            err, errlen, DCC_EXIT_GSSAPI_FAILED,
            "GSS-API: the security context with %s lacks mutual authentication, replay or sequence "
            "detection",
            shown);
        goto out;
    }
    char verdict;
    int saved = c->timeout_ms;
    c->timeout_ms = wait_ms;
    rc = dcc_wire_read(c, &verdict, 1);
    c->timeout_ms = saved;
    if (rc) {
        say(err, errlen, rc == DCC_EXIT_TRUNCATED ? DCC_EXIT_GSSAPI_FAILED : rc,
            "GSS-API: the helper authenticated as %s but then %s", shown,
            rc == DCC_EXIT_TRUNCATED ? "hung up without a verdict (it refused our principal?)"
                                     : c->err);
        rc = rc == DCC_EXIT_TRUNCATED ? DCC_EXIT_GSSAPI_FAILED : rc;
        goto out;
    }
    if (verdict != DCC_AUTH_ACCESS) {
        rc = say(
            err, errlen, DCC_EXIT_ACCESS_DENIED,
            "GSS-API: %s denied access: our principal is on its --blacklist or not on its --whitelist",
            shown);
        goto out;
    }
    rc = 0;
out:
    free(in.value);
    if (ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    gss_release_name(&minor, &name);
    return rc;
}

void dcc_auth_server_free(struct dcc_auth_server *s)
{
    OM_uint32 minor;
    if (s->cred) {
        gss_cred_id_t cred = s->cred;
        gss_release_cred(&minor, &cred);
    }
    /* A MEMORY keytab keeps its entries past its last handle: they are
     * removed one by one first. */
    if (s->keytab) {
        for (int i = 0; i <= s->keys; i++) {
            krb5_kt_cursor cur;
            krb5_keytab_entry entry;
            if (krb5_kt_start_seq_get(s->krb, s->keytab, &cur) != 0)
                break;
            krb5_error_code code = krb5_kt_next_entry(s->krb, s->keytab, &entry, &cur);
            krb5_kt_end_seq_get(s->krb, s->keytab, &cur);
            if (code != 0)
                break;
            code = krb5_kt_remove_entry(s->krb, s->keytab, &entry);
            krb5_free_keytab_entry_contents(s->krb, &entry);
            if (code != 0)
                break;
        }
        krb5_kt_close(s->krb, s->keytab);
    }
    if (s->krb)
        krb5_free_context(s->krb);
    memset(s, 0, sizeof *s);
}

/* A host-based name whose host maps to no realm matches a key of that name
 * in any realm (as GSS-API matches it). 0, or KRB5_KT_NOTFOUND. */
static krb5_error_code any_realm_key(krb5_context k, krb5_keytab kt, krb5_const_principal want)
{
    krb5_kt_cursor cur;
    krb5_keytab_entry entry;
    krb5_error_code code = krb5_kt_start_seq_get(k, kt, &cur);
    if (code)
        return code;
    int found = 0;
    while (!found && krb5_kt_next_entry(k, kt, &entry, &cur) == 0) {
        found = krb5_principal_compare_any_realm(k, entry.principal, want);
        krb5_free_keytab_entry_contents(k, &entry);
    }
    krb5_kt_end_seq_get(k, kt, &cur);
    return found ? 0 : KRB5_KT_NOTFOUND;
}

static int krb_fail(struct dcc_auth_server *s, krb5_error_code code, char *err, size_t errlen,
                    const char *what)
{
    const char *msg = krb5_get_error_message(s->krb, code);
    say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "%s: %s", what, msg);
    krb5_free_error_message(s->krb, msg);
    dcc_auth_server_free(s);
    return DCC_EXIT_GSSAPI_FAILED;
}

int dcc_auth_server_init(struct dcc_auth_server *s, const char *principal, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (principal && strlen(principal) > DCC_AUTH_PRINCIPAL_MAX)
        return say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "DISTCCD_PRINCIPAL is longer than %d bytes",
                   DCC_AUTH_PRINCIPAL_MAX);
    snprintf(s->name, sizeof s->name, "%s", principal ? principal : "");
    char dl_err[300];
    if (dcc_dl_load(&gss_lib, dl_err, sizeof dl_err) != 0)
        return say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "GSS-API: %s", dl_err);
    krb5_context k;
    krb5_error_code code = krb5_init_context(&k);
    if (code)
        return say(err, errlen, DCC_EXIT_GSSAPI_FAILED,
                   "cannot set up Kerberos (error %ld): check KRB5_CONFIG", (long)code);
    s->krb = k;
    krb5_keytab file;
    if ((code = krb5_kt_default(k, &file)) != 0)
        return krb_fail(s, code, err, errlen, "cannot find the keytab");
    if (krb5_kt_get_name(k, file, s->keytab_name, sizeof s->keytab_name) != 0)
        snprintf(s->keytab_name, sizeof s->keytab_name, "the default keytab");
    /* A copy in memory: the job processes, which no longer run as root,
     * accept with keys that only root may read. */
    char mem_name[64];
    snprintf(mem_name, sizeof mem_name, "MEMORY:distccd-%ld", (long)getpid());
    krb5_keytab mem;
    if ((code = krb5_kt_resolve(k, mem_name, &mem)) != 0) {
        krb5_kt_close(k, file);
        return krb_fail(s, code, err, errlen, "cannot make an in-memory keytab");
    }
    s->keytab = mem;
    krb5_kt_cursor cur;
    char what[700];
    snprintf(what, sizeof what, "cannot read the keytab %s (KRB5_KTNAME)", s->keytab_name);
    if ((code = krb5_kt_start_seq_get(k, file, &cur)) != 0) {
        krb5_kt_close(k, file);
        return krb_fail(s, code, err, errlen, what);
    }
    krb5_keytab_entry entry;
    while ((code = krb5_kt_next_entry(k, file, &entry, &cur)) == 0) {
        krb5_error_code add = krb5_kt_add_entry(k, mem, &entry);
        krb5_free_keytab_entry_contents(k, &entry);
        if (add) {
            krb5_kt_end_seq_get(k, file, &cur);
            krb5_kt_close(k, file);
            return krb_fail(s, add, err, errlen, "cannot copy a key into memory");
        }
        s->keys++;
    }
    krb5_kt_end_seq_get(k, file, &cur);
    krb5_kt_close(k, file);
    if (code != KRB5_KT_END)
        return krb_fail(s, code, err, errlen, what);
    if (s->keys == 0) {
        say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "the keytab %s holds no keys (KRB5_KTNAME)",
            s->keytab_name);
        dcc_auth_server_free(s);
        return DCC_EXIT_GSSAPI_FAILED;
    }

    gss_name_t name = GSS_C_NO_NAME;
    OM_uint32 major, minor;
    if (s->name[0]) {
        /* Looked up here first: the message can name the principal in
         * full, and MIT's acquire leaks on that failure. */
        krb5_principal want = NULL;
        char *at = strchr(s->name, '@');
        if (at) {
            char service[DCC_AUTH_PRINCIPAL_MAX + 1];
            snprintf(service, sizeof service, "%.*s", (int)(at - s->name), s->name);
            code = krb5_sname_to_principal(k, at + 1, service, KRB5_NT_SRV_HST, &want);
        } else {
            code = krb5_parse_name(k, s->name, &want);
        }
        if (code)
            return krb_fail(s, code, err, errlen, "DISTCCD_PRINCIPAL is not a principal name");
        krb5_keytab_entry found;
        int looked = !krb5_is_referral_realm(krb5_princ_realm(k, want));
        code = looked ? krb5_kt_get_entry(k, mem, want, 0, 0, &found) : any_realm_key(k, mem, want);
        char *full = NULL;
        if (code && krb5_unparse_name(k, want, &full) == 0) {
            char what2[1200];
            snprintf(what2, sizeof what2,
                     "the keytab %s holds no key for %s (DISTCCD_PRINCIPAL %s; klist -k lists "
                     "its keys)",
                     s->keytab_name, full, s->name);
            krb5_free_unparsed_name(k, full);
            krb5_free_principal(k, want);
            say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "%s", what2);
            dcc_auth_server_free(s);
            return DCC_EXIT_GSSAPI_FAILED;
        }
        krb5_free_principal(k, want);
        if (code)
            return krb_fail(s, code, err, errlen, "no key for DISTCCD_PRINCIPAL");
        if (looked)
            krb5_free_keytab_entry_contents(k, &found);
        /* As stock: "service@host" is host-based, anything else a name. */
        int rc = import_name(s->name, strchr(s->name, '@') != NULL, &name, err, errlen);
        if (rc) {
            dcc_auth_server_free(s);
            return rc;
        }
    }
    gss_key_value_element_desc el = {.key = "keytab", .value = mem_name};
    gss_key_value_set_desc store = {.count = 1, .elements = &el};
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_ACCEPT,
                                  &store, &cred, NULL, NULL);
    if (name != GSS_C_NO_NAME)
        gss_release_name(&minor, &name);
    if (GSS_ERROR(major)) {
        char why[400];
        status_text(major, minor, why, sizeof why);
        say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "no acceptor credentials for %s from %s: %s",
            s->name[0] ? s->name : "any principal", s->keytab_name, why);
        dcc_auth_server_free(s);
        return DCC_EXIT_GSSAPI_FAILED;
    }
    s->cred = cred;
    return 0;
}

int dcc_auth_accept(const struct dcc_auth_server *s, struct dcc_conn *c,
                    const struct dcc_auth_list *list, char *principal, size_t plen, char *err,
                    size_t errlen)
{
    if (plen)
        principal[0] = '\0';
    char dl_err[300];
    if (dcc_dl_load(&gss_lib, dl_err, sizeof dl_err) != 0)
        return say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "GSS-API: %s", dl_err);
    char b;
    int rc = dcc_wire_read(c, &b, 1);
    if (rc)
        return say(err, errlen, rc, "%s", c->err);
    if (b != DCC_AUTH_HANDSHAKE)
        return say(
            err, errlen, DCC_EXIT_GSSAPI_FAILED,
            "no GSS-API handshake (this helper runs --auth; the client has no ,auth in its host list)");
    if ((rc = dcc_wire_write(c, &b, 1)) != 0)
        return say(err, errlen, rc, "%s", c->err);

    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    gss_name_t client = GSS_C_NO_NAME;
    OM_uint32 major, minor, flags = 0;
    do {
        gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
        if ((rc = recv_token(c, &in)) != 0) {
            say(err, errlen, rc, "during GSS-API authentication: %s", c->err);
            goto out;
        }
        if (client != GSS_C_NO_NAME)
            gss_release_name(&minor, &client);
        major = gss_accept_sec_context(&minor, &ctx, (gss_cred_id_t)s->cred, &in,
                                       GSS_C_NO_CHANNEL_BINDINGS, &client, NULL, &out, &flags, NULL,
                                       NULL);
        free(in.value);
        if (out.length) {
            /* Even after a failure: the token then carries the Kerberos
             * error, which tells the client what went wrong. */
            OM_uint32 min2;
            rc = send_token(c, &out);
            gss_release_buffer(&min2, &out);
            if (rc) {
                say(err, errlen, rc, "during GSS-API authentication: %s", c->err);
                goto out;
            }
        }
        if (GSS_ERROR(major)) {
            char why[400];
            status_text(major, minor, why, sizeof why);
            rc = say(err, errlen, DCC_EXIT_GSSAPI_FAILED, "GSS-API authentication failed: %s", why);
            goto out;
        }
    } while (major & GSS_S_CONTINUE_NEEDED);

    char who[DCC_AUTH_PRINCIPAL_MAX + 1];
    name_text(client, who, sizeof who);
    if (!who[0]) {
        rc = say(err, errlen, DCC_EXIT_GSSAPI_FAILED,
                 "GSS-API: the client's name is unreadable or too long");
        goto out;
    }
    /* It goes into log lines and lists: a name a realm should never issue
     * (a control character) is refused rather than logged. */
    for (const char *q = who; *q; q++)
        if (iscntrl((unsigned char)*q)) {
            rc = say(err, errlen, DCC_EXIT_GSSAPI_FAILED,
                     "GSS-API: the client's name holds a control character");
            goto out;
        }
    if (plen)
        snprintf(principal, plen, "%s", who);
    if ((flags & WANTED_FLAGS) != WANTED_FLAGS) {
        rc = say(err, errlen, DCC_EXIT_GSSAPI_FAILED,
                 "GSS-API: %s did not ask for mutual authentication, replay and sequence detection",
                 who);
        goto out;
    }
    if (!dcc_auth_list_allows(list, who)) {
        char no = DCC_AUTH_NO_ACCESS;
        (void)dcc_wire_write(c, &no, 1);
        rc = say(err, errlen, DCC_EXIT_ACCESS_DENIED, "principal %s is %s %s", who,
                 list->deny ? "on the --blacklist" : "not on the --whitelist", list->path);
        goto out;
    }
    char yes = DCC_AUTH_ACCESS;
    if ((rc = dcc_wire_write(c, &yes, 1)) != 0)
        say(err, errlen, rc, "%s", c->err);
out:
    if (client != GSS_C_NO_NAME)
        gss_release_name(&minor, &client);
    if (ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    return rc;
}

#endif
