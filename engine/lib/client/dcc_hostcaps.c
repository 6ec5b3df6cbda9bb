/* What the client knows of each helper: ours (and its CAPS answer) or stock,
 * learned once and kept under $DISTCC_DIR/helpers for a while. */
#include "client/dcc_hostcaps.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "base/dcc_util.h"
#include "client/dcc_paths.h"
#include "proto/dcc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if !DCC_WITH_JSON
/* Built without jansson (WITH_JSON=0): no helper is asked, every one is
 * taken for stock 3.4, and no feature of ours is used. */
void dcc_hostcaps_free(struct dcc_hostcaps *c)
{
    memset(c, 0, sizeof *c);
}

unsigned dcc_hostcaps_usable(const struct dcc_hostcaps *c, unsigned want)
{
    (void)c, (void)want;
    return 0;
}

int dcc_hostcaps_ask(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                     struct dcc_hostcaps *out, char *err, size_t errlen)
{
    (void)host, (void)o, (void)err, (void)errlen;
    memset(out, 0, sizeof *out);
    out->learned = time(NULL);
    return 0;
}

int dcc_hostcaps_exchange(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                          const char *question, const char *what, json_t **answer, char *err,
                          size_t errlen)
{
    (void)host, (void)o, (void)question, (void)what, (void)err, (void)errlen;
    *answer = NULL;
    return 0;
}

int dcc_hostcaps_get(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                     struct dcc_hostcaps *out, char *err, size_t errlen)
{
    int rc = dcc_hostcaps_ask(host, o, out, err, errlen);
    out->ours = host->mode == DCC_HOST_LOCAL;
    return rc;
}

void dcc_hostcaps_forget(const struct dcc_host *host, const char *distcc_dir)
{
    (void)host, (void)distcc_dir;
}
#else
void dcc_hostcaps_free(struct dcc_hostcaps *c)
{
    json_decref(c->doc);
    memset(c, 0, sizeof *c);
}

unsigned dcc_hostcaps_usable(const struct dcc_hostcaps *c, unsigned want)
{
    return c->ours ? c->caps.features & want : 0;
}

/* Fills out from an answer (doc, taken over) or, with doc NULL, as stock. */
static int take_answer(struct dcc_hostcaps *out, json_t *doc, time_t learned, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->learned = learned;
    if (!doc)
        return 0;
    if (dcc_caps_parse(doc, &out->caps, err, errlen) != 0) {
        json_decref(doc);
        return -1;
    }
    out->ours = 1;
    out->doc = doc;
    return 0;
}

int dcc_hostcaps_file(const struct dcc_host *host, const char *distcc_dir, const char *suffix,
                      int make_dir, char *path, size_t len, char *err, size_t errlen)
{
    char dir[PATH_MAX], stem[512];
    int rc = make_dir ? dcc_paths_make_subdir(distcc_dir, DCC_HOSTCAPS_SUBDIR, dir, sizeof dir, err,
                                              errlen)
                      : dcc_paths_subdir_name(distcc_dir, DCC_HOSTCAPS_SUBDIR, dir, sizeof dir, err,
                                              errlen);
    if (rc != 0)
        return rc;
    if (dcc_hosts_lock_name(host, stem, sizeof stem) != 0 ||
        snprintf(path, len, "%s/%s%s", dir, stem, suffix) >= (int)len) {
        dcc_set_err(err, errlen, "the helper's name is too long for a file name");
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

#define TURN_MAX_RECORD 1024 /* a failure left longer than this is not read */

int dcc_hostcaps_turn_take(const struct dcc_host *host, const char *distcc_dir, const char *suffix,
                           long wait_ms, struct dcc_hostcaps_turn *t)
{
    char path[PATH_MAX], err[300];
    t->fd = -1;
    t->waited = 0;
    t->since = time(NULL);
    if (dcc_hostcaps_file(host, distcc_dir, suffix, 1, path, sizeof path, err, sizeof err) != 0)
        return 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0600);
    if (fd < 0) {
        dcc_debug("asking without a turn: %s: %s", path, strerror(errno));
        return 0;
    }
    /* flock cannot time out: tried again, 1 ms at first, then less often. */
    long long deadline = dcc_now_ms() + (wait_ms > 0 ? wait_ms : 0);
    long pause_us = 1000;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            close(fd);
            return 0;
        }
        t->waited = 1;
        long long left = deadline - dcc_now_ms();
        if (left <= 0) {
            close(fd);
            return 1;
        }
        if (pause_us / 1000 > left)
            pause_us = (long)left * 1000;
        struct timespec ts = {.tv_sec = pause_us / 1000000, .tv_nsec = pause_us % 1000000 * 1000};
        nanosleep(&ts, NULL);
        if (pause_us < 32000)
            pause_us *= 2;
    }
    t->fd = fd;
    return 0;
}

int dcc_hostcaps_turn_failed(const struct dcc_hostcaps_turn *t, int *rc, char *err, size_t errlen)
{
    struct stat st;
    char rec[TURN_MAX_RECORD + 1];
    if (t->fd < 0 || !t->waited || fstat(t->fd, &st) != 0 || st.st_size <= 0 ||
        st.st_size > TURN_MAX_RECORD || st.st_mtime < t->since)
        return 0;
    ssize_t n = pread(t->fd, rec, (size_t)st.st_size, 0);
    if (n <= 0)
        return 0;
    rec[n] = '\0';
    /* "<exit code> <why>", as dcc_hostcaps_turn_end wrote it. */
    char *end;
    long code = strtol(rec, &end, 10);
    if (end == rec || *end != ' ' || code <= 0 || code > 255)
        return 0;
    *rc = (int)code;
    dcc_set_err(err, errlen, "%s (another job's question, just now)", end + 1);
    return 1;
}

void dcc_hostcaps_turn_end(struct dcc_hostcaps_turn *t, int rc, const char *err)
{
    if (t->fd < 0)
        return;
    if (rc == 0) {
        if (ftruncate(t->fd, 0) != 0)
            dcc_debug("cannot clear a question's turn: %s", strerror(errno));
    } else if (rc > 0 && err) {
        char rec[TURN_MAX_RECORD];
        int n = snprintf(rec, sizeof rec, "%d %s", rc, err);
        if (n < 0 || (size_t)n >= sizeof rec)
            n = (int)sizeof rec - 1;
        if (ftruncate(t->fd, 0) != 0 || pwrite(t->fd, rec, (size_t)n, 0) != n)
            dcc_debug("cannot leave a failed question's reason: %s", strerror(errno));
    }
    close(t->fd); /* the lock goes with it */
    t->fd = -1;
}

/* $DISTCC_DIR/helpers/<lock name>.json, the directory made when make_dir. */
static int cache_path(const struct dcc_host *host, const char *distcc_dir, int make_dir, char *path,
                      size_t len, char *err, size_t errlen)
{
    return dcc_hostcaps_file(host, distcc_dir, ".json", make_dir, path, len, err, errlen);
}

/* The kept answer when it is there, well formed and younger than ttl_s:
 * 1 with out filled, else 0. */
static int read_cache(const char *path, long ttl_s, struct dcc_hostcaps *out)
{
    json_t *kept = dcc_paths_read_json(path, DCC_HOSTCAPS_MAX_FILE);
    json_t *learned = json_object_get(kept, "learned");
    json_t *ours = json_object_get(kept, "ours");
    json_t *answer = json_object_get(kept, "answer");
    time_t now = time(NULL);
    int ok = json_is_integer(learned) && json_is_boolean(ours) &&
             json_integer_value(learned) <= (json_int_t)now &&
             (json_int_t)now - json_integer_value(learned) < ttl_s &&
             (json_is_true(ours) ? json_is_object(answer) : !answer || json_is_null(answer));
    char err[200];
    if (ok && take_answer(out, json_is_true(ours) ? json_incref(answer) : NULL,
                          (time_t)json_integer_value(learned), err, sizeof err) != 0)
        ok = 0;
    if (ok)
        out->from_cache = 1;
    json_decref(kept);
    return ok;
}

/* Keeps what was learned, whole or not at all: a temporary file renamed
 * over the old one. A failure only costs asking again next time. */
static void write_cache(const struct dcc_host *host, const char *distcc_dir,
                        const struct dcc_hostcaps *c)
{
    char path[PATH_MAX], err[300];
    if (cache_path(host, distcc_dir, 1, path, sizeof path, err, sizeof err) != 0) {
        dcc_debug("not keeping what the helper is: %s", err);
        return;
    }
    json_t *kept = json_pack("{s:I, s:b, s:O?}", "learned", (json_int_t)c->learned, "ours", c->ours,
                             "answer", c->doc);
    if (kept && dcc_paths_write_json(path, kept) != 0)
        dcc_debug("cannot write %s: %s", path, strerror(errno));
    json_decref(kept);
}

int dcc_hostcaps_exchange(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                          const char *question, const char *what, json_t **answer, char *err,
                          size_t errlen)
{
    *answer = NULL;
    /* Header and body in one write: a stock distccd shows what follows
     * the header it did not expect, then closes. */
    size_t qlen = question ? strlen(question) : 0;
    if (qlen == 0 || qlen > DCC_CAPS_MAX_QUESTION) {
        dcc_set_err(err, errlen, "our CAPS question is empty or longer than a distccd reads");
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    struct dcc_transport t;
    int rc = dcc_net_open(host, &o->net, &t, err, errlen);
    if (rc != 0)
        return rc;
    struct dcc_conn c;
    dcc_conn_init(&c, t.in_fd, t.out_fd, o->io_timeout_ms);
    uint32_t len = 0;
    char packet[DCC_HEADER_LEN + DCC_CAPS_MAX_QUESTION + 1];
    snprintf(packet, sizeof packet, "%s%08x%s", DCC_TOK_CAPS, (unsigned)qlen, question);
    rc = dcc_wire_write(&c, packet, DCC_HEADER_LEN + qlen);
    if (rc == 0)
        rc = dcc_wire_read_token(&c, DCC_TOK_CAPS, &len);
    if (rc == DCC_EXIT_TRUNCATED && c.bytes_in == 0) {
        /* Stock distccd closes the connection on a request that is not
         * DIST: a helper without our features. */
        dcc_net_close(&t);
        return 0;
    }
    char *body = NULL;
    if (rc == 0 && (len == 0 || len > DCC_CAPS_MAX_BODY)) {
        snprintf(c.err, sizeof c.err, "its CAPS answer is %u bytes long", len);
        rc = DCC_EXIT_PROTOCOL_ERROR;
    }
    if (rc == 0 && !(body = malloc(len)))
        rc = DCC_EXIT_OUT_OF_MEMORY;
    if (rc == 0)
        rc = dcc_wire_read(&c, body, len);
    dcc_net_close(&t);
    json_error_t jerr;
    json_t *doc = rc == 0 ? json_loadb(body, len, 0, &jerr) : NULL;
    free(body);
    if (rc == 0 && !doc) {
        snprintf(c.err, sizeof c.err, "its CAPS answer is not JSON: %s", jerr.text);
        rc = DCC_EXIT_PROTOCOL_ERROR;
    }
    if (rc != 0) {
        dcc_set_err(err, errlen, "asking %s %s: %s", host->hostname, what,
                    c.err[0] ? c.err : "out of memory");
        json_decref(doc);
        return rc;
    }
    *answer = doc;
    return 0;
}

int dcc_hostcaps_ask(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                     struct dcc_hostcaps *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *question = dcc_caps_question();
    if (!question) {
        dcc_set_err(err, errlen, "out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    json_t *doc = NULL;
    char why[400];
    int rc = dcc_hostcaps_exchange(host, o, question, "what it can do", &doc, err, errlen);
    free(question);
    time_t now = time(NULL);
    if (rc != 0)
        return rc;
    if (take_answer(out, doc, now, why, sizeof why) != 0) {
        dcc_set_err(err, errlen, "asking %s what it can do: %s", host->hostname, why);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    return 0;
}

int dcc_hostcaps_get(const struct dcc_host *host, const struct dcc_hostcaps_opts *o,
                     struct dcc_hostcaps *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (host->mode == DCC_HOST_LOCAL) {
        out->ours = 1;
        out->learned = time(NULL);
        return 0;
    }
    char path[PATH_MAX], why[300];
    int have_path = o->ttl_s > 0 &&
                    cache_path(host, o->distcc_dir, 0, path, sizeof path, why, sizeof why) == 0;
    if (have_path && read_cache(path, o->ttl_s, out))
        return 0;
    /* One question at a time per helper, shared by the client's
     * processes; the turn is waited for as long as asking may take. */
    struct dcc_hostcaps_turn turn = {.fd = -1};
    if (o->ttl_s > 0) {
        long wait_ms = o->no_wait ? 0
                                  : (long)o->net.timeout_ms +
                                        (o->io_timeout_ms > 0 ? o->io_timeout_ms : 300000);
        if (dcc_hostcaps_turn_take(host, o->distcc_dir, ".asking", wait_ms, &turn) != 0) {
            if (o->no_wait) {
                dcc_set_err(err, errlen, "another job is asking %s what it can do", host->hostname);
                return DCC_EXIT_BUSY;
            }
            dcc_debug("still no answer from %s after waiting: asking it too", host->hostname);
        }
        int failed;
        if (have_path && read_cache(path, o->ttl_s, out)) {
            dcc_hostcaps_turn_end(&turn, -1, NULL);
            return 0;
        }
        if (dcc_hostcaps_turn_failed(&turn, &failed, err, errlen)) {
            dcc_hostcaps_turn_end(&turn, -1, NULL);
            return failed;
        }
    }
    int rc = dcc_hostcaps_ask(host, o, out, err, errlen);
    if (rc == 0) {
        dcc_debug("%s is %s%s", host->spec, out->ours ? "ours: " : "stock distcc (no CAPS answer)",
                  out->ours ? out->caps.server : "");
        if (o->ttl_s > 0)
            write_cache(host, o->distcc_dir, out);
    }
    dcc_hostcaps_turn_end(&turn, rc, err);
    return rc;
}

void dcc_hostcaps_forget(const struct dcc_host *host, const char *distcc_dir)
{
    char path[PATH_MAX], err[300];
    if (cache_path(host, distcc_dir, 0, path, sizeof path, err, sizeof err) == 0)
        unlink(path);
}
#endif
