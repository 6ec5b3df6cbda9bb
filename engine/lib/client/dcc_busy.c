/* How busy each of our helpers is (the CAPS load question), kept for a
 * moment under $DISTCC_DIR/helpers, and how many of its slots a client
 * takes while other helpers have room. */
#include "client/dcc_busy.h"

#include "base/dcc_log.h"
#include "base/dcc_util.h"
#include "client/dcc_paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int dcc_busy_room(const struct dcc_caps_load *l, int n_slots)
{
    long room = (long)l->jobs - (long)l->others;
    if (room > n_slots)
        room = n_slots;
    return room > 0 ? (int)room : 0;
}

#if !DCC_WITH_JSON
/* Built without jansson (WITH_JSON=0): no helper is known to be ours, so
 * none is asked. */
int dcc_busy_get(const struct dcc_host *host, const struct dcc_busy_opts *o,
                 struct dcc_caps_load *out, char *err, size_t errlen)
{
    (void)host, (void)o;
    memset(out, 0, sizeof *out);
    dcc_set_err(err, errlen, "helpers' load is not asked by a distcc built without jansson");
    return -1;
}
#else
/* Wall-clock milliseconds: the kept answers are read by other processes. */
static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cache_path(const struct dcc_host *host, const char *distcc_dir, int make_dir, char *path,
                      size_t len, char *err, size_t errlen)
{
    return dcc_hostcaps_file(host, distcc_dir, ".load", make_dir, path, len, err, errlen);
}

/* The kept answer: 1 when it is fresh (*rc: 0 with *out, or -1 with err
 * for a question that went unanswered), 0 when there is none to use. */
static int read_cache(const char *path, long ttl_ms, struct dcc_caps_load *out, int *rc, char *err,
                      size_t errlen)
{
    json_t *kept = dcc_paths_read_json(path, DCC_BUSY_MAX_FILE);
    json_t *learned = json_object_get(kept, "learned_ms");
    long long now = wall_ms();
    int fresh = json_is_integer(learned) && json_integer_value(learned) <= now &&
                now - json_integer_value(learned) < ttl_ms;
    if (fresh && json_is_string(json_object_get(kept, "unanswered"))) {
        dcc_set_err(err, errlen, "%s (kept)",
                    json_string_value(json_object_get(kept, "unanswered")));
        *rc = -1;
    } else if (fresh) {
        char why[200];
        fresh = dcc_caps_load_parse(kept, out, why, sizeof why) == 0;
        *rc = 0;
    }
    json_decref(kept);
    return fresh;
}

/* Kept whole or not at all; a failure only costs asking again. */
static void write_cache(const struct dcc_host *host, const char *distcc_dir,
                        const struct dcc_caps_load *l, const char *unanswered)
{
    char path[PATH_MAX], err[300];
    if (cache_path(host, distcc_dir, 1, path, sizeof path, err, sizeof err) != 0)
        return;
    json_t *kept = l ? dcc_caps_load_build(l) : json_object();
    if (kept && unanswered)
        json_object_set_new(kept, "unanswered", json_string(unanswered));
    if (kept)
        json_object_set_new(kept, "learned_ms", json_integer(wall_ms()));
    if (kept && dcc_paths_write_json(path, kept) != 0)
        dcc_debug("cannot write %s: %s", path, strerror(errno));
    json_decref(kept);
}

int dcc_busy_get(const struct dcc_host *host, const struct dcc_busy_opts *o,
                 struct dcc_caps_load *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX], why[300];
    int rc = -1;
    int have_path = o->ttl_ms > 0 && cache_path(host, o->caps.distcc_dir, 0, path, sizeof path, why,
                                                sizeof why) == 0;
    if (have_path && read_cache(path, o->ttl_ms, out, &rc, err, errlen))
        return rc;
    /* One load question per helper at a time, never waited for: while
     * another of the client's processes asks, the last answer is good
     * for a little longer, else the load is unknown for this job. */
    struct dcc_hostcaps_turn turn = {.fd = -1};
    if (o->ttl_ms > 0) {
        if (dcc_hostcaps_turn_take(host, o->caps.distcc_dir, ".load.asking", 0, &turn) != 0) {
            long grace = o->ttl_ms * DCC_BUSY_GRACE;
            if (have_path && read_cache(path, grace, out, &rc, err, errlen))
                return rc;
            dcc_set_err(err, errlen, "another job is asking %s how busy it is", host->hostname);
            return -1;
        }
        if (have_path && read_cache(path, o->ttl_ms, out, &rc, err, errlen)) {
            dcc_hostcaps_turn_end(&turn, -1, NULL);
            return rc;
        }
    }
    /* A helper that does not answer at once is not waited for: the job
     * goes on as stock would send it. */
    struct dcc_hostcaps_opts ask = o->caps;
    if (ask.io_timeout_ms <= 0 || ask.io_timeout_ms > DCC_BUSY_ANSWER_MS)
        ask.io_timeout_ms = DCC_BUSY_ANSWER_MS;
    if (ask.net.timeout_ms <= 0 || ask.net.timeout_ms > DCC_BUSY_ANSWER_MS)
        ask.net.timeout_ms = DCC_BUSY_ANSWER_MS;
    char *question = dcc_caps_load_question();
    json_t *doc = NULL;
    rc = question ? dcc_hostcaps_exchange(host, &ask, question, "how busy it is", &doc, err, errlen)
                  : (dcc_set_err(err, errlen, "out of memory"), -1);
    free(question);
    if (rc == 0 && !doc) {
        dcc_set_err(err, errlen, "%s closed the connection unanswered", host->hostname);
        rc = -1;
    } else if (rc == 0 && dcc_caps_load_parse(doc, out, why, sizeof why) != 0) {
        dcc_set_err(err, errlen, "asking %s how busy it is: %s", host->hostname, why);
        rc = -1;
    }
    json_decref(doc);
    rc = rc ? -1 : 0;
    if (o->ttl_ms > 0)
        write_cache(host, o->caps.distcc_dir, rc == 0 ? out : NULL, rc == 0 ? NULL : err);
    dcc_hostcaps_turn_end(&turn, -1, NULL); /* a failure is kept in the .load file itself */
    return rc;
}
#endif
