/* What the fuzz targets share: a socketpair fed with one input, so the
 * library reads it as the daemon reads a client, and argv built from text. */
#ifndef DCC_FUZZ_FEED_H
#define DCC_FUZZ_FEED_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/dcc_util.h"
#include "proto/dcc_wire.h"

/* A connection whose peer wrote data and hung up: every read the library
 * makes sees the client's bytes, then end of file (a truncated request),
 * never a wait. Input beyond what the socket buffer holds is dropped (the
 * targets cap -max_len well below it). *peer is closed by fuzz_conn_close. */
static inline int fuzz_conn_open(struct dcc_conn *c, int *peer, const uint8_t *data, size_t size)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort(); /* out of fds: a leak in the target, not an input to skip */
    int big = 4 * 1024 * 1024;
    (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    (void)fcntl(sv[1], F_SETFL, O_NONBLOCK);
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    /* Answers the library writes back (none while reading) go nowhere. */
    shutdown(sv[1], SHUT_WR);
    dcc_conn_init(c, sv[0], sv[0], 1000);
    /* Bodies a daemon would accept, small enough that a fuzzer's claimed
     * lengths cost no real memory. */
    c->limits.max_body = 4u * 1024u * 1024u;
    c->limits.max_body_mem = 8u * 1024u * 1024u;
    *peer = sv[1];
    return 0;
}

static inline void fuzz_conn_close(struct dcc_conn *c, int peer)
{
    close(c->in_fd);
    close(peer);
}

/* The input as argv: words split at blanks and newlines, up to the first
 * NUL byte (where a C string ends). NULL when there is no word; free with
 * dcc_argv_free. */
static inline char **fuzz_words(const uint8_t *data, size_t size, size_t max_words)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return NULL;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char **parts = calloc(max_words + 1, sizeof *parts);
    if (!parts) {
        free(copy);
        return NULL;
    }
    size_t n = 0;
    char *save = NULL;
    for (char *w = strtok_r(copy, " \t\n", &save); w && n < max_words;
         w = strtok_r(NULL, " \t\n", &save))
        parts[n++] = w;
    char **argv = n ? dcc_argv_dup(parts) : NULL;
    free(parts);
    free(copy);
    return argv;
}

#endif
