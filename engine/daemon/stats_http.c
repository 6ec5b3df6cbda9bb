/* The --stats port: one HTTP request per connection, answered from a snapshot
 * of the counters (this runs in a forked child). Not libmicrohttpd: the 3.x
 * page must stay byte for byte what stock writes (LF-only header lines, no
 * Date or Content-Length, an answer even to a client that sends nothing),
 * which that library cannot produce. */
#include "daemon.h"

#include "base/dcc_log.h"
#include "daemon/dcc_stats.h"
#include "proto/dcc_toolchain.h"
#include "base/dcc_util.h"
#include "proto/dcc_wire.h"

#include <errno.h>
#if DCC_WITH_JSON
#include <jansson.h>
#endif
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX 8192
/* Overall limits, not per read: a client trickling its request one byte at
 * a time is answered (with what it sent so far, like a client that sends
 * nothing) when the first runs out, and one that does not read its answer
 * is left when the second does, so slow clients hold a stats process for
 * seconds at most. */
#define REQUEST_DEADLINE_MS 2000
#define REPLY_DEADLINE_MS 5000

static int ms_left(long long deadline)
{
    long long left = deadline - dcc_now_ms();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* Reads until the end of the request headers, a full buffer, or the
 * deadline; only the request line matters. */
static int read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    long long deadline = dcc_now_ms() + REQUEST_DEADLINE_MS;
    while (len + 1 < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = ms_left(deadline);
        if (left == 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
            break;
    }
    buf[len] = '\0';
    return (int)len;
}

static void write_all(int fd, const char *p, size_t len)
{
    long long deadline = dcc_now_ms() + REPLY_DEADLINE_MS;
    while (len > 0) {
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        int left = ms_left(deadline);
        if (left == 0 || poll(&pf, 1, left) <= 0)
            return;
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, const char *status, const char *type, const struct dcc_buf *body)
{
    struct dcc_buf out = {0};
    dcc_buf_printf(
        &out, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
        status, type, body->len);
    dcc_buf_append(&out, body->data ? body->data : "", body->len);
    write_all(fd, out.data, out.len);
    dcc_buf_free(&out);
}

#if DCC_WITH_JSON
/* Adds "sandbox" to a JSON page (/stats.json, /toolchain): the mode, the
 * mechanisms jobs run with, the missing ones with the reason, the limits. */
static int add_sandbox_json(const struct dccd_config *cfg, struct dcc_buf *body)
{
    static const char *const modes[] = {"auto", "required", "off"};
    json_t *page = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
    json_t *using = json_array(), *missing = json_object();
    int rc = page && json_is_object(page) && using && missing ? 0 : -1;
    for (int i = 0; i < DCC_SBX_COUNT && rc == 0; i++) {
        if (cfg->sandbox.use & (1u << i))
            rc = json_array_append_new(using, json_string(dcc_sandbox_mechanisms[i]));
        else if (cfg->sandbox_mode != DCC_SANDBOX_OFF)
            rc = json_object_set_new(missing, dcc_sandbox_mechanisms[i],
                                     json_string(cfg->sandbox_probe.why[i]));
    }
    const struct dcc_sandbox_limits *l = &cfg->limits;
    json_t *sb = rc == 0 ? json_pack("{s:s, s:O, s:O, s:i, s:{s:I, s:I, s:I, s:I, s:i}}", "mode",
                                     modes[cfg->sandbox_mode], "using", using, "missing", missing,
                                     "landlock_abi", cfg->sandbox.landlock_abi, "limits", "memory",
                                     (json_int_t)l->memory, "cpu_secs", (json_int_t)l->cpu_seconds,
                                     "file_size", (json_int_t)l->file_size, "processes",
                                     (json_int_t)l->processes, "lifetime_secs", cfg->job_lifetime)
                         : NULL;
    json_decref(using);
    json_decref(missing);
    char *text = NULL;
    if (sb && json_object_set_new(page, "sandbox", sb) == 0)
        text = json_dumps(page, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(page);
    if (!text)
        return -1;
    body->len = 0;
    rc = dcc_buf_appends(body, text) == 0 && dcc_buf_appends(body, "\n") == 0 ? 0 : -1;
    free(text);
    return rc;
}
#endif

void dccd_serve_stats(const struct dccd_config *cfg, int fd, const char *peer,
                      const struct dcc_stats *st)
{
    char req[REQUEST_MAX];
    read_request(fd, req, sizeof req);
    /* "GET /path HTTP/1.x": anything else gets the classic page, as stock does. */
    char path[256] = "/";
    if (strncmp(req, "GET ", 4) == 0) {
        size_t i = 0;
        const char *p = req + 4;
        while (p[i] && p[i] != ' ' && p[i] != '\r' && p[i] != '\n' && i < sizeof path - 1) {
            path[i] = p[i];
            i++;
        }
        path[i] = '\0';
    }
    char *q = strchr(path, '?');
    if (q)
        *q = '\0';

    time_t now = time(NULL);
    struct dcc_host_figures fig;
    dcc_stats_read_host(&fig, cfg->tmpdir);
    struct dcc_buf body = {0};
    char err[512];
    if (!DCC_WITH_JSON && (strcmp(path, "/stats.json") == 0 || strcmp(path, "/toolchain") == 0)) {
        /* Built without jansson (WITH_JSON=0): say so rather than serve the
         * classic page under a JSON name. */
        (void)err;
        (void)peer;
        dcc_buf_printf(&body, "%s: this distccd is built without JSON support (jansson)\n", path);
        respond(fd, "404 Not Found", "text/plain", &body);
#if DCC_WITH_JSON
    } else if (strcmp(path, "/stats.json") == 0) {
        if (dcc_stats_render_json(st, &fig, now, &body) == 0 && add_sandbox_json(cfg, &body) == 0)
            respond(fd, "200 OK", "application/json", &body);
    } else if (strcmp(path, "/toolchain") == 0) {
        if (dcc_toolchain_report(cfg->whitelist_dir, cfg->compiler_path, &body, err, sizeof err) ==
                0 &&
            add_sandbox_json(cfg, &body) == 0) {
            respond(fd, "200 OK", "application/json", &body);
        } else {
            dcc_warn("toolchain report for %s failed: %s", peer, err);
            dcc_buf_free(&body);
            dcc_buf_printf(&body, "%s\n", err);
            respond(fd, "500 Internal Server Error", "text/plain", &body);
        }
#endif
    } else if (strcmp(path, "/metrics") == 0) {
        if (dcc_stats_render_prometheus(st, &fig, now, &body) == 0)
            respond(fd, "200 OK", "text/plain; version=0.0.4", &body);
    } else {
        /* The distcc 3.x page, byte for byte, for existing scrapers. */
        if (dcc_stats_render_text(st, &fig, now, &body) == 0)
            write_all(fd, body.data, body.len);
    }
    dcc_buf_free(&body);
}
