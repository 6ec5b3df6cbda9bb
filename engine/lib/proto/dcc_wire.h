/* Wire framing of the distcc protocol: 12-byte token headers, strings and
 * argv, over fds with an idle timeout and caps on every received length. */
#ifndef DCC_WIRE_H
#define DCC_WIRE_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#define DCC_TOKEN_LEN 4
#define DCC_HEADER_LEN 12

/* The protocol's tokens, each named once. Protocols 1 and 2: DIST, ARGC/ARGV,
 * DOTI from the client; DONE, STAT, SERR, SOUT, DOTO from the daemon.
 * Protocol 3 (pump) adds CDIR, NFIL and NAME with FILE or LINK from the
 * client and DOTD from the daemon; --auth's GSS-API tokens go as TLEN. */
#define DCC_TOK_DIST "DIST"
#define DCC_TOK_ARGC "ARGC"
#define DCC_TOK_ARGV "ARGV"
#define DCC_TOK_DOTI "DOTI"
#define DCC_TOK_DONE "DONE"
#define DCC_TOK_STAT "STAT"
#define DCC_TOK_SERR "SERR"
#define DCC_TOK_SOUT "SOUT"
#define DCC_TOK_DOTO "DOTO"
#define DCC_TOK_DOTD "DOTD"
#define DCC_TOK_CDIR "CDIR"
#define DCC_TOK_NFIL "NFIL"
#define DCC_TOK_NAME "NAME"
#define DCC_TOK_FILE "FILE"
#define DCC_TOK_LINK "LINK"
#define DCC_TOK_TLEN "TLEN"
#define DCC_TOK_CAPS "CAPS" /* ours only: what a helper can do (proto/dcc_caps.h) */
#define DCC_TOK_DGST "DGST" /* ours only: a file named by its digest (proto/dcc_hcwire.h) */
#define DCC_TOK_MISS "MISS" /* ours only: the digests a helper lacks (proto/dcc_hcwire.h) */

/* The name stock distcc's include server gives the empty FILE that makes a
 * directory exist on the helper (NAME dir/forcing_technique_271828); its
 * helpers expect exactly this. */
#define DCC_PUMP_DIR_PLACEHOLDER "forcing_technique_271828"

/* Every length read from a peer is checked against these before anything is
 * allocated. */
struct dcc_wire_limits {
    uint32_t max_argc;       /* ARGC */
    uint32_t max_arg_len;    /* one ARGV, CDIR, NAME, LINK */
    uint64_t max_args_total; /* all ARGV bytes of one request */
    uint64_t max_body;       /* one bulk body, compressed and decompressed */
    uint64_t max_body_mem;   /* memory one body may hold at once: an LZO body
                              * and what it inflates to, together */
    uint32_t max_files;      /* NFIL (protocol 3) */
};

#define DCC_WIRE_DEFAULT_MAX_ARGC 4096u
#define DCC_WIRE_DEFAULT_MAX_ARG_LEN (64u * 1024u)
#define DCC_WIRE_DEFAULT_MAX_ARGS_TOTAL (2u * 1024u * 1024u)
#define DCC_WIRE_DEFAULT_MAX_BODY (1024ull * 1024u * 1024u)
#define DCC_WIRE_DEFAULT_MAX_FILES 65536u

/* One read in progress, for its rate: when its first byte came, how many. */
struct dcc_wire_progress {
    long long first_ms;
    uint64_t got;
};

/* One end of a job connection. in_fd and out_fd are the same socket except in
 * --inetd/ssh mode. Errors leave one line in err and return a distcc exit
 * code: 107 I/O, 108 truncated (peer closed early), 109 protocol, 118 timeout,
 * 105 out of memory. */
struct dcc_conn {
    int in_fd;
    int out_fd;
    int timeout_ms; /* idle timeout for each wait; <= 0 waits forever */
    struct dcc_wire_limits limits;
    uint64_t bytes_in;
    uint64_t bytes_out;
    int local_fault; /* the last error was on our own file (disk full, unreadable), not the peer */
    /* When set: a wait interrupted by a signal after which *cancel is non-zero
     * ends with 117 ("interrupted") instead of waiting on (a daemon job
     * process being stopped). */
    const volatile sig_atomic_t *cancel;
    /* A request's overall deadline (dcc_now_ms(), 0 = none) and the
     * rate a read in progress must keep: once its first byte is here, it
     * may take grace_ms, or longer only while it averages min_rate bytes/s
     * (0 = any rate). Waiting for a read's first byte counts only against
     * timeout_ms and the deadline. */
    long long deadline_ms;
    uint32_t min_rate;
    int rate_grace_ms;
    /* When whole_rate is set, everything read from then on is one read for
     * the rate as well (a phase in which the peer has no reason to pause):
     * dcc_wire_measure_from_now starts it. */
    int whole_rate;
    struct dcc_wire_progress phase;
    int cut;        /* the last error was DCC_WIRE_CUT_DEADLINE or DCC_WIRE_CUT_RATE */
    int zstd_level; /* for zstd bodies sent (dcc_bulk); 0: DCC_ZSTD_DEFAULT_LEVEL */
    char err[512];
};

#define DCC_WIRE_CUT_DEADLINE 1
#define DCC_WIRE_CUT_RATE 2

/* Waits until in_fd has input for the read p, within the idle timeout, the
 * deadline and the minimum rate; 0, or an exit code (118 when a limit
 * passed, with c->cut saying which). Then dcc_wire_progress_add counts
 * what was read. */
int dcc_wire_wait_input(struct dcc_conn *c, const struct dcc_wire_progress *p);
void dcc_wire_progress_add(struct dcc_wire_progress *p, size_t n);
/* From now on, all that is read must keep --min-rate as one read, counted
 * from now (so silence is cut after the grace as well). */
void dcc_wire_measure_from_now(struct dcc_conn *c);

void dcc_conn_init(struct dcc_conn *c, int in_fd, int out_fd, int timeout_ms);

/* Raw I/O: everything or an error. */
int dcc_wire_read(struct dcc_conn *c, void *buf, size_t len);
int dcc_wire_write(struct dcc_conn *c, const void *buf, size_t len);
/* Reads and throws away len bytes (for bodies of refused requests). */
int dcc_wire_discard(struct dcc_conn *c, uint64_t len);

/* Formats / parses a header. Parsing accepts exactly 4 token characters and 8
 * hex digits; returns 0 or -1. */
void dcc_wire_format_header(char out[DCC_HEADER_LEN], const char *token, uint32_t value);
int dcc_wire_parse_header(const char in[DCC_HEADER_LEN], char token[DCC_TOKEN_LEN + 1],
                          uint32_t *value);
/* The same where b is an extension a peer need not know of: errors name
 * only a ("expected DIST"). */
int dcc_wire_read_token_or(struct dcc_conn *c, const char *a, const char *b, int *which,
                           uint32_t *value);

int dcc_wire_write_token(struct dcc_conn *c, const char *token, uint32_t value);
/* Reads a header and insists on `token` ("protocol derailment" otherwise). */
int dcc_wire_read_token(struct dcc_conn *c, const char *token, uint32_t *value);
/* Reads a header whose token is one of `a` or `b`; *which is 0 or 1. */
int dcc_wire_read_either(struct dcc_conn *c, const char *a, const char *b, int *which,
                         uint32_t *value);

/* A string body (not NUL-terminated on the wire). Reading caps the length at
 * max and returns a NUL-terminated copy; an embedded NUL is a protocol error. */
int dcc_wire_write_string(struct dcc_conn *c, const char *token, const char *s);
int dcc_wire_read_string(struct dcc_conn *c, const char *token, uint32_t max, char **out);

/* ARGC then one ARGV per word. */
int dcc_wire_write_argv(struct dcc_conn *c, char *const *argv);
int dcc_wire_read_argv(struct dcc_conn *c, char ***argv);

/* Sets TCP_CORK (when on) so headers and bodies leave in full packets;
 * harmless on non-TCP fds. */
void dcc_wire_cork(int fd, int on);

#endif
