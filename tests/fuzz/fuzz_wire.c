/* Fuzz target: a client's whole request as distccd reads it off the socket
 * (DIST, ARGC/ARGV, DOTI in protocols 1 and 2; CDIR, ARGV, NFIL and each
 * NAME with its FILE or LINK in protocol 3), through dcc_wire and dcc_bulk. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/dcc_bulk.h"
#include "base/dcc_exit.h"
#include "base/dcc_util.h"
#include "proto/dcc_wire.h"
#include "fuzz_feed.h"

/* Where bodies go: the daemon writes them into the job; the bytes do not
 * matter here, only that every one is read, decompressed and written. */
static int sink = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (sink < 0)
        abort();
    return 0;
}

/* A refusal of this target's own (the daemon's checks), with its line. */
static int local_fail(struct dcc_conn *c, int code, const char *why)
{
    snprintf(c->err, sizeof c->err, "%s", why);
    return code;
}

/* A string packet whose header is read, as serve.c's read_string_body. */
static int read_body_string(struct dcc_conn *c, uint32_t len, char **out)
{
    *out = NULL;
    if (len > c->limits.max_arg_len)
        return local_fail(c, DCC_EXIT_PROTOCOL_ERROR, "string over the limit");
    char *s = malloc((size_t)len + 1);
    if (!s)
        return local_fail(c, DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    int rc = dcc_wire_read(c, s, len);
    if (rc) {
        free(s);
        return rc;
    }
    s[len] = '\0';
    *out = s;
    return 0;
}

static int read_pump_files(struct dcc_conn *c)
{
    uint32_t len;
    char *cdir = NULL;
    int rc = dcc_wire_read_token(c, DCC_TOK_CDIR, &len);
    if (!rc)
        rc = read_body_string(c, len, &cdir);
    free(cdir);
    char **argv = NULL;
    if (!rc)
        rc = dcc_wire_read_argv(c, &argv);
    dcc_argv_free(argv);
    uint32_t nfil = 0;
    if (!rc)
        rc = dcc_wire_read_token(c, DCC_TOK_NFIL, &nfil);
    if (!rc && nfil > c->limits.max_files)
        rc = local_fail(c, DCC_EXIT_PROTOCOL_ERROR, "NFIL over the limit");
    for (uint32_t i = 0; i < nfil && !rc; i++) {
        char *name = NULL;
        rc = dcc_wire_read_token(c, DCC_TOK_NAME, &len);
        if (!rc)
            rc = read_body_string(c, len, &name);
        free(name);
        int which = 0;
        uint32_t blen = 0;
        if (!rc)
            rc = dcc_wire_read_either(c, DCC_TOK_FILE, DCC_TOK_LINK, &which, &blen);
        if (rc)
            break;
        if (which == 1) {
            char *target = NULL;
            rc = read_body_string(c, blen, &target);
            free(target);
        } else if (blen > c->limits.max_body) {
            rc = local_fail(c, DCC_EXIT_PROTOCOL_ERROR, "FILE over the limit");
        } else {
            uint64_t got = 0;
            rc = dcc_bulk_recv_body_fd(c, blen, DCC_COMPRESS_LZO1X, sink, &got);
            if (!rc && got > c->limits.max_body)
                abort(); /* a body larger than the limit got through */
        }
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dcc_conn c;
    int peer;
    fuzz_conn_open(&c, &peer, data, size);
    uint32_t protover = 0;
    int rc = dcc_wire_read_token(&c, DCC_TOK_DIST, &protover);
    if (!rc && (protover < 1 || protover > 3))
        rc = local_fail(&c, DCC_EXIT_PROTOCOL_ERROR, "unsupported protocol version");
    if (!rc && protover < 3) {
        char **argv = NULL;
        rc = dcc_wire_read_argv(&c, &argv);
        if (!rc) {
            /* A request's words are C strings, never NULL before argc. */
            for (size_t i = 0; argv[i]; i++)
                (void)strlen(argv[i]);
        }
        dcc_argv_free(argv);
        uint32_t len = 0;
        if (!rc)
            rc = dcc_wire_read_token(&c, DCC_TOK_DOTI, &len);
        if (!rc && len <= c.limits.max_body) {
            uint64_t got = 0;
            rc = dcc_bulk_recv_body_fd(
                &c, len, protover == 2 ? DCC_COMPRESS_LZO1X : DCC_COMPRESS_NONE, sink, &got);
            if (!rc && got > c.limits.max_body)
                abort();
        }
    } else if (!rc) {
        rc = read_pump_files(&c);
    }
    /* Every failure leaves the line the daemon logs. */
    if (rc && !c.err[0])
        abort();
    fuzz_conn_close(&c, peer);
    return 0;
}
