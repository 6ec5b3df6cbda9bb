/* The monitors' model: per-host load, per host/slot rows with phase history, and the job list, built from state polls. */
#include "client/dcc_monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if DCC_WITH_JSON
#include <jansson.h>
#endif

void dcc_monitor_init(struct dcc_monitor *m)
{
    memset(m, 0, sizeof *m);
}

void dcc_monitor_free(struct dcc_monitor *m)
{
    free(m->hosts);
    free(m->slots);
    free(m->jobs);
    memset(m, 0, sizeof *m);
}

void dcc_monitor_reset(struct dcc_monitor *m)
{
    dcc_monitor_free(m);
}

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

/* ---- hosts ---------------------------------------------------------------- */

struct host_set {
    struct dcc_mon_host *rows;
    size_t n, cap;
};

static struct dcc_mon_host *host_find(struct dcc_mon_host *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

/* The row for name, added (with the done count the old model had for it)
 * when missing; NULL when out of memory. */
static struct dcc_mon_host *host_get(struct host_set *s, const struct dcc_monitor *old,
                                     const char *name)
{
    struct dcc_mon_host *r = host_find(s->rows, s->n, name);
    if (r)
        return r;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8;
        struct dcc_mon_host *p = realloc(s->rows, ncap * sizeof *p);
        if (!p)
            return NULL;
        s->rows = p;
        s->cap = ncap;
    }
    r = &s->rows[s->n++];
    memset(r, 0, sizeof *r);
    copy_str(r->name, sizeof r->name, name);
    copy_str(r->label, sizeof r->label, name);
    const struct dcc_mon_host *was = host_find(old->hosts, old->n_hosts, name);
    if (was)
        r->done = was->done;
    return r;
}

/* How one host entry is named: "box:3632", "[::1]:3632", "user@box", "localhost". */
static void host_label(const struct dcc_host *h, char *buf, size_t len)
{
    switch (h->mode) {
    case DCC_HOST_TCP:
        snprintf(buf, len, h->is_ipv6 ? "[%s]:%d" : "%s:%d", h->hostname, h->port);
        break;
    case DCC_HOST_SSH:
        snprintf(buf, len, "%s@%s", h->user ? h->user : "", h->hostname);
        break;
    default:
        snprintf(buf, len, "%s", h->hostname);
        break;
    }
}

int dcc_monitor_load_hosts(const char *sysconfdir, struct dcc_hostlist *list)
{
    char *text = NULL, path[4096], err[512];
    enum dcc_hosts_source src;
    memset(list, 0, sizeof *list);
    if (dcc_hosts_find(sysconfdir, &text, &src, path, sizeof path, err, sizeof err) != 0 || !text)
        return -1;
    int rc = dcc_hosts_parse(text, list, err, sizeof err);
    free(text);
    return rc;
}

static int job_present(const struct dcc_state_list *jobs, long pid)
{
    for (size_t i = 0; i < jobs->n; i++)
        if (jobs->items[i].pid == pid)
            return 1;
    return 0;
}

static int build_hosts(const struct dcc_monitor *m, const struct dcc_state_list *jobs,
                       const struct dcc_hostlist *list, struct host_set *s, unsigned long *finished)
{
    for (size_t i = 0; list && i < list->n; i++) {
        const struct dcc_host *h = &list->hosts[i];
        struct dcc_mon_host *r = host_get(s, m, h->hostname);
        if (!r)
            return -1;
        /* Two entries with one name (two ports, tcp and ssh) cannot be told
         * apart in the state files, so they share a row under the name. */
        if (r->listed++ == 0)
            host_label(h, r->label, sizeof r->label);
        else
            copy_str(r->label, sizeof r->label, h->hostname);
        r->slots += h->n_slots;
        if (h->mode == DCC_HOST_TCP && r->tcp_port == 0)
            r->tcp_port = h->port;
    }
    if (list) {
        /* Jobs that must run here also use the cpu_localhost_N slots, up to
         * --localslots of them. */
        struct dcc_mon_host *local = host_find(s->rows, s->n, "localhost");
        if (local && local->slots < list->local_slots)
            local->slots = list->local_slots;
    }
    for (size_t i = 0; i < jobs->n; i++) {
        const char *host = jobs->items[i].host;
        if (!host[0])
            continue;
        struct dcc_mon_host *r = host_get(s, m, host);
        if (!r)
            return -1;
        r->running++;
    }
    /* Jobs of the last poll that are gone now have finished on their host;
     * a host keeps its row while it has a count to show. */
    *finished = 0;
    for (size_t i = 0; i < m->n_jobs; i++) {
        const struct dcc_mon_job *j = &m->jobs[i];
        if (job_present(jobs, j->pid))
            continue;
        (*finished)++;
        if (!j->host[0])
            continue;
        struct dcc_mon_host *r = host_get(s, m, j->host);
        if (!r)
            return -1;
        r->done++;
    }
    for (size_t i = 0; i < m->n_hosts; i++) {
        if (m->hosts[i].done > 0 && !host_get(s, m, m->hosts[i].name))
            return -1;
    }
    return 0;
}

/* ---- slots ---------------------------------------------------------------- */

static int by_host_slot(const void *a, const void *b)
{
    const struct dcc_mon_slot *x = a, *y = b;
    int c = strcmp(x->host, y->host);
    if (c)
        return c;
    return (x->slot > y->slot) - (x->slot < y->slot);
}

static struct dcc_mon_slot *slot_find(struct dcc_mon_slot *rows, size_t n, const char *host,
                                      int slot)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].slot == slot && strcmp(rows[i].host, host) == 0)
            return &rows[i];
    return NULL;
}

static struct dcc_mon_slot *slot_get(struct dcc_mon_slot *rows, size_t *n, size_t *not_kept,
                                     const char *host, int slot)
{
    struct dcc_mon_slot *r = slot_find(rows, *n, host, slot);
    if (r)
        return r;
    if (*n >= DCC_MON_MAX_ROWS) {
        (*not_kept)++;
        return NULL;
    }
    r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    copy_str(r->host, sizeof r->host, host);
    r->slot = slot;
    memset(r->history, DCC_MON_IDLE, sizeof r->history);
    return r;
}

static struct dcc_mon_slot *build_slots(const struct dcc_monitor *m,
                                        const struct dcc_state_list *jobs,
                                        const struct host_set *hosts, size_t *n_out,
                                        size_t *not_kept)
{
    struct dcc_mon_slot *rows = malloc(DCC_MON_MAX_ROWS * sizeof *rows);
    if (!rows)
        return NULL;
    size_t n = 0;
    *not_kept = 0;
    /* Time moves on for every row: the oldest sample drops off. */
    for (size_t i = 0; i < m->n_slots && n < DCC_MON_MAX_ROWS; i++) {
        rows[n] = m->slots[i];
        memmove(rows[n].history, rows[n].history + 1, DCC_MON_HISTORY - 1);
        rows[n].history[DCC_MON_HISTORY - 1] = DCC_MON_IDLE;
        rows[n].pid = 0;
        rows[n].phase = 0;
        rows[n].file[0] = '\0';
        rows[n].listed = 0;
        n++;
    }
    for (size_t i = 0; i < hosts->n; i++) {
        const struct dcc_mon_host *h = &hosts->rows[i];
        int ahead = h->slots < DCC_MON_MAX_LISTED_SLOTS ? h->slots : DCC_MON_MAX_LISTED_SLOTS;
        for (int s = 0; s < ahead; s++) {
            struct dcc_mon_slot *r = slot_get(rows, &n, not_kept, h->name, s);
            if (r)
                r->listed = 1;
        }
    }
    for (size_t i = 0; i < jobs->n; i++) {
        const struct dcc_state_entry *e = &jobs->items[i];
        struct dcc_mon_slot *r = slot_get(rows, &n, not_kept, e->host, e->slot);
        if (!r || r->pid != 0)
            continue; /* two clients claim one slot: the row shows the first */
        r->pid = e->pid;
        r->phase = e->phase;
        copy_str(r->file, sizeof r->file, e->file);
        r->history[DCC_MON_HISTORY - 1] = (unsigned char)e->phase;
    }
    /* A row nobody listed and that has been idle for its whole history
     * has nothing left to show. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        rows[i].idle_polls = rows[i].pid ? 0 : rows[i].idle_polls + 1;
        if (!rows[i].listed && rows[i].idle_polls >= DCC_MON_HISTORY)
            continue;
        rows[kept++] = rows[i];
    }
    qsort(rows, kept, sizeof *rows, by_host_slot);
    *n_out = kept;
    return rows;
}

/* ---- jobs ------------------------------------------------------------------- */

static const struct dcc_mon_job *job_find(const struct dcc_monitor *m, long pid)
{
    for (size_t i = 0; i < m->n_jobs; i++)
        if (m->jobs[i].pid == pid)
            return &m->jobs[i];
    return NULL;
}

static struct dcc_mon_job *build_jobs(const struct dcc_monitor *m,
                                      const struct dcc_state_list *jobs, double now, size_t *n_out,
                                      size_t *not_kept)
{
    size_t n = jobs->n < DCC_MON_MAX_JOBS ? jobs->n : DCC_MON_MAX_JOBS;
    *not_kept = jobs->n - n;
    struct dcc_mon_job *out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const struct dcc_state_entry *e = &jobs->items[i];
        struct dcc_mon_job *j = &out[i];
        j->pid = e->pid;
        j->phase = e->phase;
        j->slot = e->slot;
        copy_str(j->file, sizeof j->file, e->file);
        copy_str(j->host, sizeof j->host, e->host);
        const struct dcc_mon_job *was = job_find(m, e->pid);
        j->started = e->started > 0 ? e->started : was ? was->started : now;
        j->phase_since = e->since > 0 ? e->since : now;
    }
    *n_out = n;
    return out;
}

int dcc_monitor_poll(struct dcc_monitor *m, const struct dcc_state_list *jobs,
                     const struct dcc_hostlist *hosts, double now)
{
    struct host_set hs = {0};
    unsigned long finished = 0;
    size_t n_slots = 0, n_jobs = 0, rows_not_kept = 0, jobs_not_kept = 0;
    struct dcc_mon_slot *slots = NULL;
    struct dcc_mon_job *js = NULL;
    if (build_hosts(m, jobs, hosts, &hs, &finished) != 0)
        goto oom;
    if (!(slots = build_slots(m, jobs, &hs, &n_slots, &rows_not_kept)))
        goto oom;
    if (!(js = build_jobs(m, jobs, now, &n_jobs, &jobs_not_kept)))
        goto oom;
    free(m->hosts);
    free(m->slots);
    free(m->jobs);
    m->hosts = hs.rows;
    m->n_hosts = hs.n;
    m->slots = slots;
    m->n_slots = n_slots;
    m->jobs = js;
    m->n_jobs = n_jobs;
    m->rows_not_kept = rows_not_kept;
    m->jobs_not_kept = jobs_not_kept;
    m->done += finished;
    m->local_slots = hosts ? hosts->local_slots : 0;
    m->polls++;
    return 0;
oom:
    free(hs.rows);
    free(slots);
    free(js);
    return -1;
}

/* ---- text ------------------------------------------------------------------- */

int dcc_monitor_format_text(const struct dcc_monitor *m, struct dcc_buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < m->n_jobs && rc == 0; i++) {
        const struct dcc_mon_job *j = &m->jobs[i];
        /* Stock distccmon-text's line, byte for byte. */
        rc = dcc_buf_printf(out, "%6ld  %-10.10s  %-30.30s %24.24s[%d]\n", j->pid,
                            dcc_state_phase_name(j->phase), j->file, j->host, j->slot);
    }
    if (rc == 0 && m->jobs_not_kept)
        rc = dcc_buf_printf(out, "  (%zu more jobs not shown)\n", m->jobs_not_kept);
    for (size_t i = 0; i < m->n_hosts && rc == 0; i++) {
        const struct dcc_mon_host *r = &m->hosts[i];
        if (r->listed)
            rc = dcc_buf_printf(out, "  %s  %d/%d running\n", r->label, r->running, r->slots);
        else if (r->running)
            rc = dcc_buf_printf(out, "  %s  %d running\n", r->label, r->running);
    }
    if (rc == 0)
        rc = dcc_buf_appends(out, "\n");
    return rc;
}

void dcc_monitor_format_duration(double secs, char *buf, size_t len)
{
    if (!(secs >= 0))
        secs = 0;
    if (secs < 10)
        snprintf(buf, len, "%.1fs", secs);
    else if (secs < 60)
        snprintf(buf, len, "%.0fs", secs);
    else if (secs < 3600)
        snprintf(buf, len, "%dm%02ds", (int)(secs / 60), (int)secs % 60);
    else if (secs < 1e9)
        snprintf(buf, len, "%dh%02dm", (int)(secs / 3600), (int)(secs / 60) % 60);
    else
        snprintf(buf, len, "long");
}

/* ---- helpers' own figures ------------------------------------------------------ */

#if DCC_WITH_JSON
static json_t *load_object(const char *body, size_t len, const char *what, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        dcc_set_err(err, errlen, "not a %s answer: %s (line %d)", what, jerr.text, jerr.line);
        return NULL;
    }
    if (!json_is_object(root) || json_integer_value(json_object_get(root, "schema")) != 1) {
        dcc_set_err(err, errlen, "not a %s answer: no \"schema\":1 object", what);
        json_decref(root);
        return NULL;
    }
    return root;
}

static unsigned long counter(const json_t *obj, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(obj, key));
    return v > 0 ? (unsigned long)v : 0;
}

int dcc_monitor_parse_stats(const char *body, size_t len, struct dcc_mon_helper *h, char *err,
                            size_t errlen)
{
    /* Stock distccd answers every path with its text page. */
    if (memmem(body, len, "<distccstats>", 13)) {
        dcc_set_err(err, errlen, "stock distcc's stats page, no /stats.json");
        return -1;
    }
    json_t *root = load_object(body, len, "/stats.json", err, errlen);
    if (!root)
        return -1;
    const json_t *c = json_object_get(root, "counters");
    h->compile_ok = counter(c, "compile_ok");
    h->compile_error = counter(c, "compile_error");
    h->compile_timeout = counter(c, "compile_timeout");
    h->refused = counter(c, "refused");
    h->overload = counter(c, "rej_overload");
    const json_t *kids = json_object_get(root, "kids");
    h->kids_current = (int)counter(kids, "current");
    h->kids_max = (int)counter(kids, "max");
    const json_t *w1 = json_object_get(json_object_get(root, "windows"), "1m");
    h->compiles_1m = counter(w1, "compiles");
    const json_t *load = json_object_get(json_object_get(root, "host"), "load");
    h->load1 = json_is_array(load) ? json_number_value(json_array_get(load, 0)) : 0;
    h->answered = 1;
    h->error[0] = '\0';
    json_decref(root);
    return 0;
}

int dcc_monitor_parse_toolchain(const char *body, size_t len, struct dcc_mon_helper *h, char *err,
                                size_t errlen)
{
    json_t *root = load_object(body, len, "/toolchain", err, errlen);
    if (!root)
        return -1;
    const json_t *compilers = json_object_get(root, "compilers");
    struct dcc_buf out = {0};
    const char *name;
    const json_t *c;
    int rc = 0;
    json_object_foreach((json_t *)compilers, name, c)
    {
        const char *version = json_string_value(json_object_get(c, "version"));
        if (!json_is_true(json_object_get(c, "found")) || !version)
            continue;
        rc |= dcc_buf_printf(&out, "%s%s %s", out.len ? ", " : "", name, version);
    }
    copy_str(h->compilers, sizeof h->compilers, rc == 0 && out.data ? out.data : "");
    dcc_buf_free(&out);
    json_decref(root);
    return 0;
}
#else
int dcc_monitor_parse_stats(const char *body, size_t len, struct dcc_mon_helper *h, char *err,
                            size_t errlen)
{
    (void)body, (void)len, (void)h;
    dcc_set_err(err, errlen, "built without jansson");
    return -1;
}

int dcc_monitor_parse_toolchain(const char *body, size_t len, struct dcc_mon_helper *h, char *err,
                                size_t errlen)
{
    (void)body, (void)len, (void)h;
    dcc_set_err(err, errlen, "built without jansson");
    return -1;
}
#endif
