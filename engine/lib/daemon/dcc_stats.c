/* distccd's job counters, their 1/5/15 minute windows, the host figures and the text, JSON and Prometheus pages. */
#include "daemon/dcc_stats.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#if DCC_WITH_JSON
#include <jansson.h>
#endif
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const int window_secs[3] = {60, 300, 900};

/* ---- counting ---------------------------------------------------------- */

static size_t ring_slot(time_t t)
{
    long long m = (long long)t % DCC_STATS_WINDOW;
    return (size_t)(m < 0 ? m + DCC_STATS_WINDOW : m);
}

/* Moves the ring's newest slot up to `now`. The seconds skipped had no
 * finished jobs and the children count that was current all along. */
static void ring_advance(struct dcc_stats *st, time_t now)
{
    if (now <= st->ring_time)
        return;
    time_t gap = now - st->ring_time;
    if (gap > DCC_STATS_WINDOW)
        gap = DCC_STATS_WINDOW;
    unsigned int kids = st->current_load > 0 ? (unsigned int)st->current_load : 0;
    for (time_t t = now - gap + 1; t <= now; t++) {
        size_t s = ring_slot(t);
        st->compiles_per_sec[s] = 0;
        st->kids_per_sec[s] = kids;
    }
    st->ring_time = now;
}

void dcc_stats_init(struct dcc_stats *st, time_t now)
{
    memset(st, 0, sizeof(*st));
    st->started = now;
    st->ring_time = now;
    st->longest_job_time_msecs = -1;
}

/* Copies a fixed-size field from a job record, which need not be
 * NUL-terminated (it arrived over a pipe). */
static void copy_field(char *dst, size_t dstlen, const char *src, size_t srclen)
{
    size_t n = strnlen(src, srclen);
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int ran_compiler(int outcome)
{
    return outcome == DCC_JOB_OK || outcome == DCC_JOB_COMPILE_ERROR ||
           outcome == DCC_JOB_TIMEOUT || outcome == DCC_JOB_CLI_DISCONNECT;
}

void dcc_stats_record(struct dcc_stats *st, const struct dcc_job_record *rec, time_t now)
{
    switch (rec->outcome) {
    case DCC_JOB_OK:
        st->compile_ok++;
        break;
    case DCC_JOB_COMPILE_ERROR:
        st->compile_error++;
        break;
    case DCC_JOB_TIMEOUT:
        st->compile_timeout++;
        break;
    case DCC_JOB_CLI_DISCONNECT:
        st->cli_disconnect++;
        break;
    case DCC_JOB_BAD_REQUEST:
        st->rej_bad_req++;
        break;
    case DCC_JOB_REFUSED:
        st->refused++;
        break;
    case DCC_JOB_DROPPED:
        st->dropped++;
        break;
    case DCC_JOB_QUERY:
        st->caps_queries++;
        break;
    default:
        st->other++;
        break;
    }

    if (rec->auth_failed) {
        st->auth_failed++;
    } else if (rec->principal[0]) {
        st->auth_ok++;
        size_t i = 0;
        while (i < st->n_principals &&
               strncmp(st->principals[i].name, rec->principal, sizeof st->principals[i].name) != 0)
            i++;
        if (i == st->n_principals && i < DCC_STATS_PRINCIPALS) {
            copy_field(st->principals[i].name, sizeof st->principals[i].name, rec->principal,
                       sizeof rec->principal);
            st->n_principals++;
        }
        if (i < st->n_principals)
            st->principals[i].jobs++;
        else
            st->principals_other++;
    }

    if (rec->outcome == DCC_JOB_OK && rec->msecs > st->longest_job_time_msecs) {
        st->longest_job_time_msecs = rec->msecs;
        copy_field(st->longest_job, sizeof(st->longest_job), rec->file, sizeof(rec->file));
        copy_field(st->longest_job_compiler, sizeof(st->longest_job_compiler), rec->compiler,
                   sizeof(rec->compiler));
    }
    if (rec->max_rss_kb > st->max_rss_kb) {
        st->max_rss_kb = rec->max_rss_kb;
        copy_field(st->max_rss_name, sizeof(st->max_rss_name), rec->compiler,
                   sizeof(rec->compiler));
    }

    if (ran_compiler(rec->outcome)) {
        ring_advance(st, now);
        /* A clock stepped back counts into the newest second rather than
         * rewriting history. */
        st->compiles_per_sec[ring_slot(st->ring_time)]++;
    }
}

void dcc_stats_accept(struct dcc_stats *st)
{
    st->tcp_accept++;
}

void dcc_stats_overload(struct dcc_stats *st)
{
    st->rej_overload++;
}

void dcc_stats_dropped(struct dcc_stats *st)
{
    st->dropped++;
}

void dcc_stats_set_max_kids(struct dcc_stats *st, int max_kids)
{
    st->max_kids = max_kids;
}

void dcc_stats_set_kids(struct dcc_stats *st, int running, time_t now)
{
    if (running < 0)
        running = 0;
    ring_advance(st, now);
    st->current_load = running;
    size_t s = ring_slot(st->ring_time);
    if ((unsigned int)running > st->kids_per_sec[s])
        st->kids_per_sec[s] = (unsigned int)running;
    if (running > st->max_kids)
        st->max_kids = running;
}

void dcc_stats_windows(const struct dcc_stats *st, time_t now, struct dcc_stats_windows *w)
{
    time_t end = now > st->ring_time ? now : st->ring_time;
    unsigned int kids_now = st->current_load > 0 ? (unsigned int)st->current_load : 0;

    for (int k = 0; k < 3; k++) {
        unsigned long compiles = 0, kid_secs = 0, counted = 0;
        for (time_t t = end - window_secs[k] + 1; t <= end; t++) {
            if (t < st->started)
                continue;
            counted++;
            if (t > st->ring_time) {
                kid_secs += kids_now;
            } else {
                size_t s = ring_slot(t);
                compiles += st->compiles_per_sec[s];
                kid_secs += st->kids_per_sec[s];
            }
        }
        w->secs[k] = window_secs[k];
        w->compiles[k] = compiles;
        w->avg_kids[k] = counted ? (double)kid_secs / (double)counted : 0.0;
    }
}

/* ---- host figures ------------------------------------------------------ */

/* Reads at most cap-1 bytes of a small file (a /proc entry) into buf. */
static ssize_t read_small_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

static int count_procstate_D(const char *proc_dir, int *count)
{
    DIR *d = opendir(proc_dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *p = e->d_name;
        if (!isdigit((unsigned char)*p))
            continue;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p)
            continue;
        char path[512];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s/stat", proc_dir, e->d_name) >= sizeof(path))
            continue;
        char stat[1024];
        /* A process that ended while we looked is simply not counted. */
        if (read_small_file(path, stat, sizeof(stat)) <= 0)
            continue;
        /* comm may itself hold ") ", so the state follows the last one */
        char *close_paren = strrchr(stat, ')');
        if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'D')
            n++;
    }
    closedir(d);
    *count = n;
    return 0;
}

/* Device-mapper, md, loop and ram devices sit on top of (or beside) real
 * disks; counting them would count the same I/O twice or count none. */
static int is_layered_device(const char *name)
{
    static const char *const prefixes[] = {"loop", "ram", "zram", "dm-", "md"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (dcc_str_startswith(name, prefixes[i]))
            return 1;
    return 0;
}

struct disk_line {
    char name[64];
    unsigned long long sectors;
};

static int name_listed(const struct disk_line *lines, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(lines[i].name) == len && memcmp(lines[i].name, name, len) == 0)
            return 1;
    return 0;
}

/* sda1 -> sda, nvme0n1p2 -> nvme0n1, mmcblk0p1 -> mmcblk0: a partition is a
 * name that, without its trailing number (and a 'p' after a digit), names
 * another device in the same list. */
static int is_partition(const struct disk_line *lines, size_t n, const char *name)
{
    size_t len = strlen(name);
    size_t base = len;
    while (base > 0 && isdigit((unsigned char)name[base - 1]))
        base--;
    if (base == len || base == 0)
        return 0;
    if (name_listed(lines, n, name, base))
        return 1;
    if (base >= 2 && name[base - 1] == 'p' && isdigit((unsigned char)name[base - 2]) &&
        name_listed(lines, n, name, base - 1))
        return 1;
    return 0;
}

int dcc_stats_diskstats_sectors(const char *text, unsigned long long *sectors)
{
    enum { MAX_DISK_LINES = 4096 };
    size_t n = 0, cap = 0;
    struct disk_line *lines = NULL;
    int rc = -1;

    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[512];
        if (len < sizeof(line)) {
            memcpy(line, p, len);
            line[len] = '\0';
            unsigned int major, minor;
            struct disk_line dl;
            unsigned long long rd_ios, rd_merges, rd_sectors, rd_ticks, wr_ios, wr_merges,
                wr_sectors;
            if (sscanf(line, "%u %u %63s %llu %llu %llu %llu %llu %llu %llu", &major, &minor,
                       dl.name, &rd_ios, &rd_merges, &rd_sectors, &rd_ticks, &wr_ios, &wr_merges,
                       &wr_sectors) == 10) {
                if (n == cap) {
                    if (cap >= MAX_DISK_LINES)
                        break;
                    size_t ncap = cap ? cap * 2 : 16;
                    struct disk_line *nl = realloc(lines, ncap * sizeof(*lines));
                    if (!nl)
                        goto out;
                    lines = nl;
                    cap = ncap;
                }
                dl.sectors = rd_sectors + wr_sectors;
                lines[n++] = dl;
            }
        }
        p = eol ? eol + 1 : NULL;
    }
    if (n == 0)
        goto out;

    unsigned long long total = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_layered_device(lines[i].name) && !is_partition(lines, n, lines[i].name))
            total += lines[i].sectors;
    *sectors = total;
    rc = 0;
out:
    free(lines);
    return rc;
}

static int read_io_rate(const char *proc_dir, struct dcc_io_sampler *io, long *rate)
{
    char path[512];
    if ((size_t)snprintf(path, sizeof(path), "%s/diskstats", proc_dir) >= sizeof(path))
        return -1;
    enum { DISKSTATS_CAP = 1 << 20 };
    char *text = malloc(DISKSTATS_CAP);
    if (!text)
        return -1;
    unsigned long long sectors;
    int ok = read_small_file(path, text, DISKSTATS_CAP) > 0 &&
             dcc_stats_diskstats_sectors(text, &sectors) == 0;
    free(text);
    if (!ok)
        return -1;

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    if (!io->valid) {
        io->valid = 1;
        io->rate = 0;
    } else if (now - io->when < 1.0) {
        *rate = io->rate;
        return 0;
    } else if (sectors < io->sectors) {
        io->rate = 0; /* counters reset (device removed): no honest figure */
    } else {
        io->rate = lround((double)(sectors - io->sectors) / (now - io->when));
    }
    io->sectors = sectors;
    io->when = now;
    *rate = io->rate;
    return 0;
}

int dcc_stats_read_host_from(struct dcc_host_figures *fig, const char *tmpdir, const char *proc_dir,
                             struct dcc_io_sampler *io)
{
    int rc = 0;

    fig->load[0] = fig->load[1] = fig->load[2] = -1;
    fig->free_space_mb = -1;
    fig->procstate_D = 0;
    fig->io_rate = 0;

    double load[3];
    int got = getloadavg(load, 3);
    for (int i = 0; i < got && i < 3; i++)
        fig->load[i] = load[i];
    if (got < 3)
        rc = -1;

    if (!tmpdir || !*tmpdir)
        tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir)
        tmpdir = "/tmp";
    struct statvfs vfs;
    if (statvfs(tmpdir, &vfs) == 0) {
        unsigned long long frsize = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
        unsigned long long mb = (unsigned long long)vfs.f_bavail * frsize / (1024 * 1024);
        fig->free_space_mb = mb > LONG_MAX ? LONG_MAX : (long)mb;
    } else {
        rc = -1;
    }

    if (count_procstate_D(proc_dir, &fig->procstate_D) != 0)
        rc = -1;
    if (read_io_rate(proc_dir, io, &fig->io_rate) != 0)
        rc = -1;
    return rc;
}

/* The daemon has one view of the disks, so the previous sample lives here
 * rather than with every caller. A stats child forked from the daemon gets
 * a copy, which is why the parent refreshes it (dcc_stats_sample_io). */
static struct dcc_io_sampler host_io;

int dcc_stats_read_host(struct dcc_host_figures *fig, const char *tmpdir)
{
    return dcc_stats_read_host_from(fig, tmpdir, "/proc", &host_io);
}

int dcc_stats_sample_io(void)
{
    long rate;
    return read_io_rate("/proc", &host_io, &rate);
}

/* ---- rendering --------------------------------------------------------- */

/* Every figure any page shows, resolved once, so each page is a table. */
struct view {
    unsigned long tcp_accept, rej_bad_req, rej_overload, compile_ok, compile_error, compile_timeout,
        cli_disconnect, other, refused, other_with_refused, dropped, bad_req_with_dropped,
        caps_queries;
    char longest_job[128], longest_job_compiler[64], rss_plain[64], rss_name[72];
    long longest_msecs, max_rss_kb, max_kids, current_load;
    long avg_kids_int[3];
    double avg_kids[3];
    unsigned long compiles[3];
    double load[3];
    long procstate_D, io_rate, free_mb;
    double started, uptime, longest_secs, rss_bytes, free_bytes;
};

/* The text page is line-based: a control character in a client-chosen file
 * name must not start a line of its own. */
static void copy_printable(char *dst, size_t dstlen, const char *src, const char *if_empty)
{
    if (!*src)
        src = if_empty;
    size_t i = 0;
    for (; src[i] && i + 1 < dstlen; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[i] = '\0';
}

static void build_view(const struct dcc_stats *st, const struct dcc_host_figures *fig, time_t now,
                       struct view *v)
{
    memset(v, 0, sizeof(*v));
    v->tcp_accept = st->tcp_accept;
    v->rej_bad_req = st->rej_bad_req;
    v->rej_overload = st->rej_overload;
    v->compile_ok = st->compile_ok;
    v->compile_error = st->compile_error;
    v->compile_timeout = st->compile_timeout;
    v->cli_disconnect = st->cli_disconnect;
    v->other = st->other;
    v->refused = st->refused;
    v->other_with_refused = st->other + st->refused;
    v->dropped = st->dropped;
    v->bad_req_with_dropped = st->rej_bad_req + st->dropped;
    v->caps_queries = st->caps_queries;

    copy_field(v->longest_job, sizeof(v->longest_job), st->longest_job, sizeof(st->longest_job));
    copy_field(v->longest_job_compiler, sizeof(v->longest_job_compiler), st->longest_job_compiler,
               sizeof(st->longest_job_compiler));
    copy_field(v->rss_plain, sizeof(v->rss_plain), st->max_rss_name, sizeof(st->max_rss_name));
    v->longest_msecs = st->longest_job_time_msecs;
    v->max_rss_kb = st->max_rss_kb;
    snprintf(v->rss_name, sizeof(v->rss_name), "(%s)", v->rss_plain[0] ? v->rss_plain : "none");
    v->max_kids = st->max_kids;
    v->current_load = st->current_load;

    struct dcc_stats_windows w;
    dcc_stats_windows(st, now, &w);
    for (int k = 0; k < 3; k++) {
        v->avg_kids[k] = w.avg_kids[k];
        v->avg_kids_int[k] = (long)w.avg_kids[k]; /* stock shows whole children */
        v->compiles[k] = w.compiles[k];
        v->load[k] = fig->load[k];
    }
    v->procstate_D = fig->procstate_D;
    v->io_rate = fig->io_rate;
    v->free_mb = fig->free_space_mb;

    v->started = (double)st->started;
    v->uptime = now > st->started ? (double)(now - st->started) : 0.0;
    v->longest_secs = st->longest_job_time_msecs < 0 ? -1.0
                                                     : (double)st->longest_job_time_msecs / 1000.0;
    v->rss_bytes = (double)st->max_rss_kb * 1024.0;
    v->free_bytes = fig->free_space_mb < 0 ? -1.0 : (double)fig->free_space_mb * 1048576.0;
}

enum vkind { V_ULONG, V_LONG, V_STR, V_LOAD, V_MB, V_DOUBLE };

#define VF(field) offsetof(struct view, field)

static const struct text_line {
    const char *name;
    enum vkind kind;
    size_t off;
} text_lines[] = {
    {"dcc_tcp_accept", V_ULONG, VF(tcp_accept)},
    {"dcc_rej_bad_req", V_ULONG, VF(bad_req_with_dropped)},
    {"dcc_rej_overload", V_ULONG, VF(rej_overload)},
    {"dcc_compile_ok", V_ULONG, VF(compile_ok)},
    {"dcc_compile_error", V_ULONG, VF(compile_error)},
    {"dcc_compile_timeout", V_ULONG, VF(compile_timeout)},
    {"dcc_cli_disconnect", V_ULONG, VF(cli_disconnect)},
    {"dcc_other", V_ULONG, VF(other_with_refused)},
    {"dcc_longest_job", V_STR, VF(longest_job)},
    {"dcc_longest_job_compiler", V_STR, VF(longest_job_compiler)},
    {"dcc_longest_job_time_msecs", V_LONG, VF(longest_msecs)},
    {"dcc_max_kids", V_LONG, VF(max_kids)},
    {"dcc_avg_kids1", V_LONG, VF(avg_kids_int[0])},
    {"dcc_avg_kids2", V_LONG, VF(avg_kids_int[1])},
    {"dcc_avg_kids3", V_LONG, VF(avg_kids_int[2])},
    {"dcc_current_load", V_LONG, VF(current_load)},
    {"dcc_load1", V_LOAD, VF(load[0])},
    {"dcc_load2", V_LOAD, VF(load[1])},
    {"dcc_load3", V_LOAD, VF(load[2])},
    {"dcc_num_compiles1", V_ULONG, VF(compiles[0])},
    {"dcc_num_compiles2", V_ULONG, VF(compiles[1])},
    {"dcc_num_compiles3", V_ULONG, VF(compiles[2])},
    {"dcc_num_procstate_D", V_LONG, VF(procstate_D)},
    {"dcc_max_RSS", V_LONG, VF(max_rss_kb)},
    {"dcc_max_RSS_name", V_STR, VF(rss_name)},
    {"dcc_io_rate", V_LONG, VF(io_rate)},
    {"dcc_free_space", V_MB, VF(free_mb)},
};

static const void *view_field(const struct view *v, size_t off)
{
    return (const char *)v + off;
}

/* Prometheus floats: whole numbers without a fraction, others short. */
static int append_prom_double(struct dcc_buf *buf, double d)
{
    if (d == floor(d) && fabs(d) < 1e15)
        return dcc_buf_printf(buf, "%.0f", d);
    return dcc_buf_printf(buf, "%.6g", d);
}

static int append_value(struct dcc_buf *buf, const struct view *v, enum vkind kind, size_t off)
{
    const void *p = view_field(v, off);
    switch (kind) {
    case V_ULONG:
        return dcc_buf_printf(buf, "%lu", *(const unsigned long *)p);
    case V_LONG:
        return dcc_buf_printf(buf, "%ld", *(const long *)p);
    case V_STR:
        return dcc_buf_appends(buf, (const char *)p);
    case V_LOAD:
        return dcc_buf_printf(buf, "%1.2f", *(const double *)p);
    case V_MB:
        return dcc_buf_printf(buf, "%ld MB", *(const long *)p);
    case V_DOUBLE:
        return append_prom_double(buf, *(const double *)p);
    }
    return -1;
}

/* On failure a renderer leaves the buffer as the caller gave it. */
static int render_failed(struct dcc_buf *buf, size_t len0)
{
    if (buf->data) {
        buf->len = len0;
        buf->data[len0] = '\0';
    }
    errno = ENOMEM;
    return -1;
}

int dcc_stats_http_header(struct dcc_buf *buf, const char *content_type)
{
    return dcc_buf_printf(buf, "HTTP/1.0 200 OK\nContent-Type: %s\nConnection: close\n\n",
                          content_type);
}

int dcc_stats_render_text(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                          time_t now, struct dcc_buf *buf)
{
    size_t len0 = buf->len;
    struct view v;
    build_view(st, fig, now, &v);
    char printable[128];

    if (dcc_stats_http_header(buf, DCC_STATS_TEXT_TYPE) != 0 ||
        dcc_buf_appends(buf, "argv /distccd\n<distccstats>\n") != 0)
        return render_failed(buf, len0);
    for (size_t i = 0; i < sizeof(text_lines) / sizeof(text_lines[0]); i++) {
        const struct text_line *l = &text_lines[i];
        int rc;
        if (l->kind == V_STR) {
            copy_printable(printable, sizeof(printable), view_field(&v, l->off), "none");
            rc = dcc_buf_printf(buf, "%s %s\n", l->name, printable);
        } else {
            rc = dcc_buf_printf(buf, "%s ", l->name);
            if (rc == 0)
                rc = append_value(buf, &v, l->kind, l->off);
            if (rc == 0)
                rc = dcc_buf_appends(buf, "\n");
        }
        if (rc != 0)
            return render_failed(buf, len0);
    }
    if (dcc_buf_appends(buf, "</distccstats>\n") != 0)
        return render_failed(buf, len0);
    return 0;
}

#if DCC_WITH_JSON /* the Makefile's WITH_JSON: jansson */

static const char *const window_names[3] = {"1m", "5m", "15m"};

/* A JSON string for a client-chosen name; bytes that are not UTF-8 become
 * '?' rather than failing the whole page. NULL for "" (shown as null). */
static json_t *json_name(const char *s)
{
    if (!*s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char clean[256];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof(clean); i++)
        clean[i] = ((unsigned char)s[i] < 0x80) ? s[i] : '?';
    clean[i] = '\0';
    return json_string(clean);
}

int dcc_stats_render_json(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                          time_t now, struct dcc_buf *buf)
{
    size_t len0 = buf->len;
    struct view v;
    build_view(st, fig, now, &v);

    json_t *windows = json_object();
    if (!windows)
        return render_failed(buf, len0);
    for (int k = 0; k < 3; k++) {
        json_t *w = json_pack("{s:i, s:I, s:f}", "secs", window_secs[k], "compiles",
                              (json_int_t)v.compiles[k], "avg_kids", v.avg_kids[k]);
        if (!w || json_object_set_new(windows, window_names[k], w) != 0) {
            json_decref(windows);
            return render_failed(buf, len0);
        }
    }

    json_t *root = json_pack(
        "{s:i, s:I, s:I,"
        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
        " s:{s:o, s:o, s:I},"
        " s:{s:I, s:o},"
        " s:{s:I, s:I},"
        " s:o,"
        " s:{s:[f, f, f], s:I, s:I, s:I}}",
        "schema", 1, "started", (json_int_t)st->started, "uptime_secs", (json_int_t)v.uptime,
        "counters", "tcp_accept", (json_int_t)v.tcp_accept, "rej_bad_req",
        (json_int_t)v.rej_bad_req, "rej_overload", (json_int_t)v.rej_overload, "compile_ok",
        (json_int_t)v.compile_ok, "compile_error", (json_int_t)v.compile_error, "compile_timeout",
        (json_int_t)v.compile_timeout, "cli_disconnect", (json_int_t)v.cli_disconnect, "other",
        (json_int_t)v.other, "refused", (json_int_t)v.refused, "dropped_slow",
        (json_int_t)v.dropped, "caps_queries", (json_int_t)v.caps_queries, "longest_job", "file",
        json_name(v.longest_job), "compiler", json_name(v.longest_job_compiler), "msecs",
        (json_int_t)v.longest_msecs, "max_rss", "kb", (json_int_t)v.max_rss_kb, "name",
        json_name(v.rss_plain), "kids", "max", (json_int_t)v.max_kids, "current",
        (json_int_t)v.current_load, "windows", windows, "host", "load", v.load[0], v.load[1],
        v.load[2], "free_space_mb", (json_int_t)v.free_mb, "procstate_D", (json_int_t)v.procstate_D,
        "io_rate", (json_int_t)v.io_rate);
    if (!root)
        return render_failed(buf, len0);
    json_t *principals = json_object();
    for (size_t i = 0; principals && i < st->n_principals; i++) {
        char name[sizeof st->principals[i].name];
        copy_field(name, sizeof name, st->principals[i].name, sizeof st->principals[i].name);
        json_t *n = json_integer((json_int_t)st->principals[i].jobs);
        json_t *key = json_name(name);
        if (!n || !key || !json_is_string(key) ||
            json_object_set_new(principals, json_string_value(key), n) != 0) {
            json_decref(n);
            json_decref(principals);
            principals = NULL;
        }
        json_decref(key);
    }
    json_t *auth = principals
                       ? json_pack("{s:I, s:I, s:o, s:I}", "ok", (json_int_t)st->auth_ok, "failed",
                                   (json_int_t)st->auth_failed, "principals", principals,
                                   "other_principals", (json_int_t)st->principals_other)
                       : NULL;
    if (!auth || json_object_set_new(root, "auth", auth) != 0) {
        json_decref(root);
        return render_failed(buf, len0);
    }

    char *text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (!text)
        return render_failed(buf, len0);
    int rc = dcc_buf_appends(buf, text) == 0 && dcc_buf_appends(buf, "\n") == 0 ? 0 : -1;
    free(text);
    return rc == 0 ? 0 : render_failed(buf, len0);
}

#endif /* DCC_WITH_JSON */

static const struct prom_line {
    const char *family;
    const char *type;
    const char *help;
    const char *labels; /* without braces, NULL for none */
    enum vkind kind;
    size_t off;
} prom_lines[] = {
    {"distccd_connections_total", "counter", "Connections accepted on the compile port.", NULL,
     V_ULONG, VF(tcp_accept)},
    {"distccd_jobs_total", "counter", "Jobs finished, by outcome.", "outcome=\"ok\"", V_ULONG,
     VF(compile_ok)},
    {"distccd_jobs_total", NULL, NULL, "outcome=\"compile_error\"", V_ULONG, VF(compile_error)},
    {"distccd_jobs_total", NULL, NULL, "outcome=\"timeout\"", V_ULONG, VF(compile_timeout)},
    {"distccd_jobs_total", NULL, NULL, "outcome=\"cli_disconnect\"", V_ULONG, VF(cli_disconnect)},
    {"distccd_jobs_total", NULL, NULL, "outcome=\"bad_request\"", V_ULONG, VF(rej_bad_req)},
    {"distccd_jobs_total", NULL, NULL, "outcome=\"overload\"", V_ULONG, VF(rej_overload)},
    {"distccd_jobs_total", NULL, NULL, "outcome=\"refused\"", V_ULONG, VF(refused)},
    {"distccd_jobs_total", NULL, NULL, "outcome=\"other\"", V_ULONG, VF(other)},
    {"distccd_jobs_total", NULL, NULL, "outcome=\"dropped_slow\"", V_ULONG, VF(dropped)},
    {"distccd_capability_queries_total", "counter",
     "CAPS questions answered (a client learning what this distccd can do; no job).", NULL, V_ULONG,
     VF(caps_queries)},
    {"distccd_start_time_seconds", "gauge", "When the daemon started, seconds since the epoch.",
     NULL, V_DOUBLE, VF(started)},
    {"distccd_uptime_seconds", "gauge", "Seconds since the daemon started.", NULL, V_DOUBLE,
     VF(uptime)},
    {"distccd_longest_job_seconds", "gauge",
     "Wall time of the longest successful job, -1 before the first.", NULL, V_DOUBLE,
     VF(longest_secs)},
    {"distccd_max_rss_bytes", "gauge", "Largest compiler resident set size seen.", NULL, V_DOUBLE,
     VF(rss_bytes)},
    {"distccd_children_limit", "gauge", "Job children allowed at once.", NULL, V_LONG,
     VF(max_kids)},
    {"distccd_children_running", "gauge", "Job children running now.", NULL, V_LONG,
     VF(current_load)},
    {"distccd_children_average", "gauge", "Mean job children running over the window.",
     "window=\"1m\"", V_DOUBLE, VF(avg_kids[0])},
    {"distccd_children_average", NULL, NULL, "window=\"5m\"", V_DOUBLE, VF(avg_kids[1])},
    {"distccd_children_average", NULL, NULL, "window=\"15m\"", V_DOUBLE, VF(avg_kids[2])},
    {"distccd_compiles", "gauge", "Jobs that ran the compiler and finished within the window.",
     "window=\"1m\"", V_ULONG, VF(compiles[0])},
    {"distccd_compiles", NULL, NULL, "window=\"5m\"", V_ULONG, VF(compiles[1])},
    {"distccd_compiles", NULL, NULL, "window=\"15m\"", V_ULONG, VF(compiles[2])},
    {"distccd_load_average", "gauge", "System load average, -1 when unknown.", "window=\"1m\"",
     V_DOUBLE, VF(load[0])},
    {"distccd_load_average", NULL, NULL, "window=\"5m\"", V_DOUBLE, VF(load[1])},
    {"distccd_load_average", NULL, NULL, "window=\"15m\"", V_DOUBLE, VF(load[2])},
    {"distccd_procs_blocked", "gauge", "Processes in uninterruptible sleep (state D).", NULL,
     V_LONG, VF(procstate_D)},
    {"distccd_io_sectors_per_second", "gauge", "Disk sectors read and written per second.", NULL,
     V_LONG, VF(io_rate)},
    {"distccd_free_space_bytes", "gauge",
     "Free space in the job directory's file system, -1 when unknown.", NULL, V_DOUBLE,
     VF(free_bytes)},
};

int dcc_stats_render_prometheus(const struct dcc_stats *st, const struct dcc_host_figures *fig,
                                time_t now, struct dcc_buf *buf)
{
    size_t len0 = buf->len;
    struct view v;
    build_view(st, fig, now, &v);

    for (size_t i = 0; i < sizeof(prom_lines) / sizeof(prom_lines[0]); i++) {
        const struct prom_line *l = &prom_lines[i];
        int rc = 0;
        /* A family's HELP and TYPE go once, on its first row. */
        if (l->type)
            rc = dcc_buf_printf(buf, "# HELP %s %s\n# TYPE %s %s\n", l->family, l->help, l->family,
                                l->type);
        if (rc == 0)
            rc = l->labels ? dcc_buf_printf(buf, "%s{%s} ", l->family, l->labels)
                           : dcc_buf_printf(buf, "%s ", l->family);
        if (rc == 0)
            rc = append_value(buf, &v, l->kind, l->off);
        if (rc == 0)
            rc = dcc_buf_appends(buf, "\n");
        if (rc != 0)
            return render_failed(buf, len0);
    }
    return 0;
}
