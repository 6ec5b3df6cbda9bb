/* A hostile pump client for tests/bats/hcache.bats: names each file by the
 * digest of one file (CLAIM) and, when the helper asks, sends the bytes of
 * another (SENT).
 *   hcache-client PORT CDIR NAME:CLAIM:SENT... -- COMPILER ARGS...
 * Prints "asked:" and the indices MISS named, then "status N" (the exit
 * code in STAT) and the helper's SERR. */
#include "proto/dcc_bulk.h"
#include "proto/dcc_caps.h"
#include "proto/dcc_hcwire.h"
#include "proto/dcc_wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    int dash = 3;
    while (dash < argc && strcmp(argv[dash], "--") != 0)
        dash++;
    int nfiles = dash - 3;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0)
        return 3;
    struct dcc_conn c;
    dcc_conn_init(&c, s, s, 30000);
    int rc = dcc_wire_write_token(&c, DCC_TOK_DIST, dcc_caps_dist_value(3, DCC_FEAT_HCACHE));
    rc = rc ? rc : dcc_wire_write_string(&c, DCC_TOK_CDIR, argv[2]);
    rc = rc ? rc : dcc_wire_write_argv(&c, argv + dash + 1);
    rc = rc ? rc : dcc_wire_write_token(&c, DCC_TOK_NFIL, (uint32_t)nfiles);
    for (int i = 0; i < nfiles && !rc; i++) {
        char *spec = argv[3 + i];
        char *claim = strchr(spec, ':');
        *claim++ = '\0';
        char *sent = strchr(claim, ':');
        *sent = '\0';
        size_t len;
        char *data = read_file(claim, &len);
        if (!data)
            return 4;
        unsigned char d[DCC_HC_DIGEST_LEN];
        dcc_hcwire_digest(data, len, d);
        rc = dcc_wire_write_string(&c, DCC_TOK_NAME, spec);
        rc = rc ? rc : dcc_hcwire_write_digest(&c, d);
    }
    unsigned char *miss = NULL;
    rc = rc ? rc : dcc_hcwire_read_miss(&c, (size_t)nfiles, &miss);
    if (rc) {
        fprintf(stderr, "hcache-client: %s\n", c.err);
        return 5;
    }
    printf("asked:");
    for (int i = 0; i < nfiles && !rc; i++) {
        if (!dcc_hcwire_bit(miss, (size_t)i))
            continue;
        printf(" %d", i);
        const char *sent = argv[3 + i] + strlen(argv[3 + i]) + 1;
        sent += strlen(sent) + 1;
        rc = dcc_bulk_send_file(&c, DCC_TOK_FILE, sent, DCC_COMPRESS_LZO1X);
    }
    printf("\n");
    free(miss);
    uint32_t ver, stat;
    char *serr = NULL;
    size_t serr_len;
    rc = rc ? rc : dcc_wire_read_token(&c, DCC_TOK_DONE, &ver);
    rc = rc ? rc : dcc_wire_read_token(&c, DCC_TOK_STAT, &stat);
    rc = rc ? rc : dcc_bulk_recv_buf(&c, DCC_TOK_SERR, DCC_COMPRESS_LZO1X, &serr, &serr_len);
    if (rc) {
        fprintf(stderr, "hcache-client: %s\n", c.err);
        return 6;
    }
    printf("status %d\n%s", WEXITSTATUS((int)stat), serr);
    free(serr);
    close(s);
    return 0;
}
