/* distccmon-gui: the GTK 3 monitor of distcc jobs (slot rows with phase history, per-host load, job list, helpers' --stats figures). */
#include <errno.h>
#include <gtk/gtk.h>
#include <limits.h>
#include <math.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if DCC_GUI_CURL
#include <curl/curl.h>
#endif

#include "base/dcc_exit.h"
#include "proto/dcc_hosts.h"
#include "proto/dcc_settings.h"
#include "base/dcc_log.h"
#include "client/dcc_monitor.h"
#include "client/dcc_state.h"
#include "base/dcc_util.h"

#ifndef DCC_VERSION
#define DCC_VERSION "unknown"
#endif
#ifndef DCC_SYSCONFDIR
#define DCC_SYSCONFDIR "/etc"
#endif

#define PORTAGE_DISTCC_DIR "/var/tmp/portage/.distcc"
#define HELPER_PERIOD_MS 5000
#define HELPER_TIMEOUT_MS 2000
/* /toolchain runs every compiler's probes on the helper: slower, and asked
 * once per helper (its compilers change with an emerge, not per poll). */
#define TOOLCHAIN_TIMEOUT_MS 10000
#define HELPER_BODY_MAX (1024 * 1024) /* a /toolchain report is a few KB */
#define DUMP_DEADLINE_MS 30000
#define CELL_WIDTH 4 /* logical pixels per history sample */

/* One phase: its name, the letter --dump uses, and the colour it is drawn in. */
struct phase_style {
    const char *name;
    char letter;
    double r, g, b;
};

/* Indexed by enum dcc_phase. */
static const struct phase_style phase_styles[] = {
    {"Startup", 'U', 0.62, 0.62, 0.62}, {"Blocked", 'B', 0.80, 0.15, 0.15},
    {"Connect", 'N', 0.60, 0.45, 0.80}, {"Preprocess", 'P', 0.95, 0.75, 0.10},
    {"Send", 'S', 0.20, 0.45, 0.85},    {"Compile", 'C', 0.20, 0.70, 0.25},
    {"Receive", 'R', 0.10, 0.70, 0.75}, {"Done", 'D', 0.40, 0.40, 0.40},
};
#define N_PHASES (sizeof phase_styles / sizeof phase_styles[0])

static const struct phase_style *style_of(int phase)
{
    return phase >= 0 && (size_t)phase < N_PHASES ? &phase_styles[phase]
                                                  : &phase_styles[DCC_PHASE_COMPILE];
}

/* ---- options ------------------------------------------------------------------ */

struct options {
    int dump;
    int polls;
    double interval;
    const char *distcc_dir;
    int stats_port;
    int no_stats;
};

enum {
    OPT_HELP = 1,
    OPT_VERSION,
    OPT_DUMP,
    OPT_POLLS,
    OPT_INTERVAL,
    OPT_DIR,
    OPT_STATS_PORT,
    OPT_NO_STATS
};

static const char help_tail[] =
    "\n"
    "Shows the distcc jobs of this machine, read from $DISTCC_DIR/state (default\n"
    "~/.distcc/state): one row per host and slot with a strip of recent phases,\n"
    "the load of every host, the job list, and the figures of helpers that serve\n"
    "--stats. The window switches between ~/.distcc and Portage's\n"
    "/var/tmp/portage/.distcc. With --dump it shows the window, polls --polls\n"
    "times, prints what the window drew and exits.\n"
    "\n"
    "Exit status: 0 closed, 100 no display, 101 bad arguments, 105 out of memory,\n"
    "107 standard output failed.\n";

static int parse_options(int argc, char **argv, struct options *o, int *done)
{
    char *dir = NULL;
    double interval = 0.5;
    int polls = 1, port = DCC_DEFAULT_STATS_PORT;
    struct poptOption table[] = {
        {"dump", '\0', POPT_ARG_NONE, NULL, OPT_DUMP,
         "print what the window shows after --polls polls, then exit", NULL},
        {"polls", '\0', POPT_ARG_INT, &polls, OPT_POLLS, "polls before --dump prints (default 1)",
         "N"},
        {"interval", '\0', POPT_ARG_DOUBLE, &interval, OPT_INTERVAL,
         "seconds between polls (default 0.5)", "SECS"},
        {"distcc-dir", '\0', POPT_ARG_STRING, &dir, OPT_DIR,
         "watch DIR/state (default $DISTCC_DIR, else ~/.distcc)", "DIR"},
        {"stats-port", '\0', POPT_ARG_INT, &port, OPT_STATS_PORT,
         "the helpers' --stats port (default 3633)", "PORT"},
        {"no-stats", '\0', POPT_ARG_NONE, NULL, OPT_NO_STATS,
         "do not ask the helpers for their figures", NULL},
        {"help", '?', POPT_ARG_NONE, NULL, OPT_HELP, "show this help and exit", NULL},
        {"version", '\0', POPT_ARG_NONE, NULL, OPT_VERSION, "print the version and exit", NULL},
        POPT_TABLEEND,
    };
    memset(o, 0, sizeof *o);
    *done = 0;
    poptContext ctx = poptGetContext("distccmon-gui", argc, (const char **)argv, table, 0);
    int rc, status = -1;
    while (status < 0 && (rc = poptGetNextOpt(ctx)) != -1) {
        switch (rc) {
        case OPT_HELP:
            poptPrintHelp(ctx, stdout, 0);
            fputs(help_tail, stdout);
            status = 0;
            break;
        case OPT_VERSION:
            printf("distccmon-gui %s\n", DCC_VERSION);
            status = 0;
            break;
        case OPT_DUMP:
            o->dump = 1;
            break;
        case OPT_NO_STATS:
            o->no_stats = 1;
            break;
        case OPT_POLLS:
        case OPT_INTERVAL:
        case OPT_DIR:
        case OPT_STATS_PORT:
            break;
        default:
            dcc_error("bad argument \"%s\": %s (see distccmon-gui --help)",
                      poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
            status = DCC_EXIT_BAD_ARGUMENTS;
            break;
        }
    }
    if (status < 0 && poptPeekArg(ctx)) {
        dcc_error("unexpected argument \"%s\" (see distccmon-gui --help)", poptPeekArg(ctx));
        status = DCC_EXIT_BAD_ARGUMENTS;
    } else if (status < 0 && (polls < 1 || polls > 100000)) {
        dcc_error("bad --polls %d: give a count from 1 to 100000", polls);
        status = DCC_EXIT_BAD_ARGUMENTS;
    } else if (status < 0 && (!isfinite(interval) || interval < 0.05 || interval > 3600)) {
        dcc_error("bad --interval %g: give seconds from 0.05 to 3600", interval);
        status = DCC_EXIT_BAD_ARGUMENTS;
    } else if (status < 0 && (port < 1 || port > 65535)) {
        dcc_error("bad --stats-port %d: give a port from 1 to 65535", port);
        status = DCC_EXIT_BAD_ARGUMENTS;
    } else if (status < 0 && dir && (!dir[0] || strlen(dir) >= PATH_MAX - 16)) {
        dcc_error("bad --distcc-dir: give a directory name");
        status = DCC_EXIT_BAD_ARGUMENTS;
    }
    o->polls = polls;
    o->interval = interval;
    o->stats_port = port;
    o->distcc_dir = dir ? strdup(dir) : NULL;
    if (status < 0 && dir && !o->distcc_dir) {
        dcc_error("out of memory");
        status = DCC_EXIT_OUT_OF_MEMORY;
    }
    poptFreeContext(ctx);
    free(dir);
    if (status >= 0) {
        *done = 1;
        return status;
    }
    return 0;
}

/* ---- the application's state ------------------------------------------------ */

#define MAX_DIRS 4

struct helper_round; /* one fetch of every helper's figures, in a thread */

struct app {
    struct options opt;
    struct dcc_monitor model;
    char dirs[MAX_DIRS][PATH_MAX];
    const char *dir_notes[MAX_DIRS];
    int n_dirs;
    int current_dir;
    char state_dir[PATH_MAX + 16];
    char status[PATH_MAX + 256];
    int state_ok; /* the last poll read the state directory */

    struct dcc_mon_helper *helpers;
    size_t n_helpers;
    int helper_rounds; /* finished */
    int helper_busy;

    GtkWidget *window, *dir_combo, *status_label, *slots_area, *hosts_view, *jobs_view;
    GtkListStore *hosts_store, *jobs_store;
    int row_height;     /* logical pixels, from the font */
    int name_w, file_w; /* the slot rows' label and file columns, measured per poll */
    int drawn_polls;    /* polls the slot area has drawn */
    int dumped;
    int exit_code;
    guint poll_timer;
};

static void dir_choices(struct app *a)
{
    char home[PATH_MAX], err[256];
    struct dcc_settings set;
    (void)dcc_settings_load(&set, err, sizeof err); /* DISTCC_DIR cannot be bad */
    const char *env = set.str[DCC_SET_DIR];
    a->n_dirs = 0;
    /* The first choice is where this monitor starts. */
    if (a->opt.distcc_dir) {
        snprintf(a->dirs[a->n_dirs], PATH_MAX, "%s", a->opt.distcc_dir);
        a->dir_notes[a->n_dirs++] = "--distcc-dir";
    }
    if (env && env[0]) {
        snprintf(a->dirs[a->n_dirs], PATH_MAX, "%s", env);
        a->dir_notes[a->n_dirs++] = "$DISTCC_DIR";
    }
    const char *h = getenv("HOME");
    if (h && h[0]) {
        snprintf(home, sizeof home, "%s/.distcc", h);
        snprintf(a->dirs[a->n_dirs], PATH_MAX, "%s", home);
        a->dir_notes[a->n_dirs++] = "yours";
    } else if (!env && dcc_hosts_distcc_dir(home, sizeof home, err, sizeof err) == 0) {
        snprintf(a->dirs[a->n_dirs], PATH_MAX, "%s", home);
        a->dir_notes[a->n_dirs++] = "yours";
    }
    snprintf(a->dirs[a->n_dirs], PATH_MAX, "%s", PORTAGE_DISTCC_DIR);
    a->dir_notes[a->n_dirs++] = "Portage";
    /* The same directory named twice (a trailing slash counts) is one choice. */
    for (int i = 0; i < a->n_dirs; i++) {
        size_t len = strlen(a->dirs[i]);
        while (len > 1 && a->dirs[i][len - 1] == '/')
            a->dirs[i][--len] = '\0';
    }
    for (int i = 1; i < a->n_dirs; i++) {
        for (int j = 0; j < i; j++) {
            if (strcmp(a->dirs[i], a->dirs[j]) == 0) {
                memmove(&a->dirs[i], &a->dirs[i + 1],
                        (size_t)(a->n_dirs - i - 1) * sizeof a->dirs[0]);
                memmove(&a->dir_notes[i], &a->dir_notes[i + 1],
                        (size_t)(a->n_dirs - i - 1) * sizeof a->dir_notes[0]);
                a->n_dirs--;
                i--;
                break;
            }
        }
    }
}

/* ---- polling ---------------------------------------------------------------- */

static void set_status(struct app *a, const struct dcc_state_list *jobs, const char *err)
{
    struct stat st;
    if (err) {
        snprintf(a->status, sizeof a->status, "%s", err);
    } else if (stat(a->state_dir, &st) != 0) {
        snprintf(a->status, sizeof a->status,
                 "No state directory %s yet: no distcc job has run with DISTCC_DIR=%s",
                 a->state_dir, a->dirs[a->current_dir]);
    } else if (jobs->n == 0) {
        snprintf(a->status, sizeof a->status,
                 "No distcc jobs running (%lu finished since this monitor started)", a->model.done);
    } else {
        size_t hosts = 0;
        for (size_t i = 0; i < a->model.n_hosts; i++)
            hosts += a->model.hosts[i].running > 0;
        snprintf(a->status, sizeof a->status, "%zu job%s running on %zu host%s, %lu finished",
                 jobs->n, jobs->n == 1 ? "" : "s", hosts, hosts == 1 ? "" : "s", a->model.done);
    }
}

static const struct dcc_mon_helper *helper_of(const struct app *a, const char *host)
{
    for (size_t i = 0; i < a->n_helpers; i++)
        if (strcmp(a->helpers[i].host, host) == 0)
            return &a->helpers[i];
    return NULL;
}

static void helper_figures(const struct dcc_mon_helper *h, char *jobs, size_t jlen, char *load,
                           size_t llen)
{
    if (!h) {
        snprintf(jobs, jlen, "-");
        snprintf(load, llen, "-");
    } else if (!h->answered) {
        snprintf(jobs, jlen, "no stats: %s", h->error);
        snprintf(load, llen, "-");
    } else {
        snprintf(jobs, jlen, "%lu ok, %lu failed, %d/%d running", h->compile_ok,
                 h->compile_error + h->compile_timeout, h->kids_current, h->kids_max);
        snprintf(load, llen, "%.2f", h->load1);
    }
}

/* Sets the list's rows in place (no clear and refill: the view keeps its
 * scroll position and selection and does not flicker). */
static void fill_hosts(struct app *a)
{
    GtkTreeModel *tm = GTK_TREE_MODEL(a->hosts_store);
    GtkTreeIter it;
    gboolean have = gtk_tree_model_get_iter_first(tm, &it);
    for (size_t i = 0; i < a->model.n_hosts; i++) {
        const struct dcc_mon_host *h = &a->model.hosts[i];
        const struct dcc_mon_helper *hp = helper_of(a, h->name);
        char running[64], jobs[320], load[32];
        if (h->listed)
            snprintf(running, sizeof running, "%d/%d", h->running, h->slots);
        else
            snprintf(running, sizeof running, "%d", h->running);
        helper_figures(hp, jobs, sizeof jobs, load, sizeof load);
        if (!have)
            gtk_list_store_append(a->hosts_store, &it);
        gtk_list_store_set(a->hosts_store, &it, 0, h->label, 1, running, 2, (guint64)h->done, 3,
                           jobs, 4, load, 5, hp && hp->compilers[0] ? hp->compilers : "-", -1);
        have = have ? gtk_tree_model_iter_next(tm, &it) : FALSE;
    }
    while (have)
        have = gtk_list_store_remove(a->hosts_store, &it);
}

static void fill_jobs(struct app *a, double now)
{
    GtkTreeModel *tm = GTK_TREE_MODEL(a->jobs_store);
    GtkTreeIter it;
    gboolean have = gtk_tree_model_get_iter_first(tm, &it);
    for (size_t i = 0; i < a->model.n_jobs; i++) {
        const struct dcc_mon_job *j = &a->model.jobs[i];
        char where[160], in_phase[32], total[32];
        snprintf(where, sizeof where, "%s[%d]", j->host, j->slot);
        dcc_monitor_format_duration(now - j->phase_since, in_phase, sizeof in_phase);
        dcc_monitor_format_duration(now - j->started, total, sizeof total);
        if (!have)
            gtk_list_store_append(a->jobs_store, &it);
        gtk_list_store_set(a->jobs_store, &it, 0, (gint64)j->pid, 1, where, 2,
                           style_of(j->phase)->name, 3, j->file, 4, in_phase, 5, total, -1);
        have = have ? gtk_tree_model_iter_next(tm, &it) : FALSE;
    }
    while (have)
        have = gtk_list_store_remove(a->jobs_store, &it);
}

static void measure_slots(struct app *a, int *name_w, int *file_w);

/* Measured once per poll, not per draw: hundreds of rows stay cheap to draw. */
static void resize_slots(struct app *a)
{
    measure_slots(a, &a->name_w, &a->file_w);
    int rows = a->model.n_slots ? (int)a->model.n_slots : 2;
    gtk_widget_set_size_request(a->slots_area,
                                a->name_w + a->file_w + DCC_MON_HISTORY * CELL_WIDTH + 24,
                                rows * a->row_height + 4);
}

static double now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int poll_state(struct app *a)
{
    struct dcc_state_list jobs = {0};
    char err[PATH_MAX + 128] = "";
    int rc = dcc_state_read_dir(a->state_dir, &jobs, err, sizeof err);
    a->state_ok = rc == 0;
    struct dcc_hostlist hosts;
    int have_hosts = dcc_monitor_load_hosts(DCC_SYSCONFDIR, &hosts) == 0;
    double now = now_secs();
    /* An unreadable directory is a message in the window and no jobs; the
     * rows still age, so their history shows the gap. */
    int bad = dcc_monitor_poll(&a->model, &jobs, have_hosts ? &hosts : NULL, now) != 0;
    dcc_hosts_free(&hosts);
    if (bad) {
        snprintf(err, sizeof err, "out of memory");
        rc = DCC_EXIT_OUT_OF_MEMORY;
    }
    set_status(a, &jobs, rc ? err : NULL);
    dcc_state_list_free(&jobs);
    gtk_label_set_text(GTK_LABEL(a->status_label), a->status);
    fill_hosts(a);
    fill_jobs(a, now);
    resize_slots(a);
    gtk_widget_queue_draw(a->slots_area);
    return 0;
}

static void maybe_dump(struct app *a);

static gboolean dump_when_idle(gpointer data)
{
    maybe_dump(data);
    return G_SOURCE_REMOVE;
}

static gboolean on_poll_timer(gpointer data)
{
    struct app *a = data;
    if (a->opt.dump && a->model.polls >= (unsigned long)a->opt.polls)
        return G_SOURCE_CONTINUE; /* waiting for the draw and the helpers */
    poll_state(a);
    return G_SOURCE_CONTINUE;
}

static void watch_dir(struct app *a, int index)
{
    a->current_dir = index;
    snprintf(a->state_dir, sizeof a->state_dir, "%s/state", a->dirs[index]);
    /* The host list is looked up like a client in that directory would. */
    setenv("DISTCC_DIR", a->dirs[index], 1);
    dcc_monitor_reset(&a->model);
    dcc_monitor_init(&a->model);
    a->drawn_polls = 0;
    char title[PATH_MAX + 64];
    snprintf(title, sizeof title, "distcc monitor: %s", a->dirs[index]);
    gtk_window_set_title(GTK_WINDOW(a->window), title);
    poll_state(a);
}

static void on_dir_changed(GtkComboBox *combo, gpointer data)
{
    struct app *a = data;
    int i = gtk_combo_box_get_active(combo);
    if (i >= 0 && i < a->n_dirs && i != a->current_dir)
        watch_dir(a, i);
}

/* ---- the slot rows ------------------------------------------------------------- */

static int text_width(GtkWidget *w, const char *s)
{
    PangoLayout *l = gtk_widget_create_pango_layout(w, s);
    int width, height;
    pango_layout_get_pixel_size(l, &width, &height);
    g_object_unref(l);
    return width;
}

static void slot_label(const struct dcc_mon_slot *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s[%d]", s->host, s->slot);
}

static void measure_slots(struct app *a, int *name_w, int *file_w)
{
    *name_w = text_width(a->slots_area, "localhost[0]");
    *file_w = text_width(a->slots_area, "a_source_file.c");
    for (size_t i = 0; i < a->model.n_slots; i++) {
        char label[160];
        slot_label(&a->model.slots[i], label, sizeof label);
        int w = text_width(a->slots_area, label);
        if (w > *name_w)
            *name_w = w;
        w = text_width(a->slots_area, a->model.slots[i].file);
        if (w > *file_w)
            *file_w = w;
    }
    /* Long names are cut, not allowed to push the history off screen. */
    int cap = text_width(a->slots_area, "a_very_long_source_name_.cpp");
    if (*file_w > cap)
        *file_w = cap;
    if (*name_w > cap)
        *name_w = cap;
}

static void draw_text(cairo_t *cr, GtkWidget *w, const char *s, double x, double y, int max_w)
{
    PangoLayout *l = gtk_widget_create_pango_layout(w, s);
    pango_layout_set_width(l, max_w * PANGO_SCALE);
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
}

static gboolean on_draw_slots(GtkWidget *w, cairo_t *cr, gpointer data)
{
    struct app *a = data;
    int width = gtk_widget_get_allocated_width(w);
    int rh = a->row_height, name_w = a->name_w, file_w = a->file_w;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    if (a->model.n_slots == 0) {
        /* Says why it is empty rather than showing nothing. */
        draw_text(cr, w, a->status, 8, 4, width - 16);
    }
    double strip_x = name_w + file_w + 16;
    double x0, y0, x1, y1;
    cairo_clip_extents(cr, &x0, &y0, &x1, &y1);
    for (size_t i = 0; i < a->model.n_slots; i++) {
        const struct dcc_mon_slot *s = &a->model.slots[i];
        double y = 2 + (double)i * rh;
        if (y + rh < y0 || y > y1)
            continue; /* only the rows in view: hundreds of rows stay cheap */
        if (i % 2) {
            cairo_set_source_rgb(cr, 0.96, 0.96, 0.97);
            cairo_rectangle(cr, 0, y, width, rh);
            cairo_fill(cr);
        }
        if (i > 0 && strcmp(a->model.slots[i - 1].host, s->host) != 0) {
            cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
            cairo_rectangle(cr, 0, y, width, 1);
            cairo_fill(cr);
        }
        char label[160];
        slot_label(s, label, sizeof label);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        draw_text(cr, w, label, 4, y + 2, name_w);
        if (s->pid) {
            const struct phase_style *ps = style_of(s->phase);
            cairo_set_source_rgb(cr, ps->r * 0.6, ps->g * 0.6, ps->b * 0.6);
            draw_text(cr, w, s->file, name_w + 10, y + 2, file_w);
        }
        /* Oldest sample on the left, the newest at the right edge: the
         * strip moves left one cell per poll. */
        for (int k = 0; k < DCC_MON_HISTORY; k++) {
            double cx = strip_x + k * CELL_WIDTH;
            if (s->history[k] == DCC_MON_IDLE)
                cairo_set_source_rgb(cr, 0.90, 0.90, 0.92);
            else {
                const struct phase_style *ps = style_of(s->history[k]);
                cairo_set_source_rgb(cr, ps->r, ps->g, ps->b);
            }
            cairo_rectangle(cr, cx, y + 2, CELL_WIDTH, rh - 4);
            cairo_fill(cr);
        }
    }
    if (a->drawn_polls < (int)a->model.polls) {
        a->drawn_polls = (int)a->model.polls;
        if (a->opt.dump)
            g_idle_add(dump_when_idle, a);
    }
    return FALSE;
}

/* ---- helpers' figures, fetched in a thread ------------------------------------------ */

struct helper_round {
    struct app *app;
    int port;
    int dir_generation;
    struct dcc_mon_helper *helpers;
    size_t n;
};

#if DCC_GUI_CURL
struct body {
    struct dcc_buf buf;
    int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
    struct body *b = data;
    size_t len = size * n;
    if (b->buf.len + len > HELPER_BODY_MAX) {
        b->too_big = 1;
        return 0;
    }
    return dcc_buf_append(&b->buf, p, len) == 0 ? len : 0;
}

/* GET http://host:port/path into b; 0, or -1 with err. */
static int fetch(const char *host, int port, const char *path, long timeout_ms, struct body *b,
                 char *err, size_t errlen)
{
    char url[512], curl_err[CURL_ERROR_SIZE] = "";
    int v6 = strchr(host, ':') != NULL;
    snprintf(url, sizeof url, v6 ? "http://[%s]:%d%s" : "http://%s:%d%s", host, port, path);
    CURL *c = curl_easy_init();
    if (!c) {
        dcc_set_err(err, errlen, "curl_easy_init failed");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)HELPER_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_HTTP09_ALLOWED, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode res = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    if (b->too_big) {
        dcc_set_err(err, errlen, "%s is over %d bytes", path, HELPER_BODY_MAX);
        return -1;
    }
    if (res != CURLE_OK) {
        dcc_set_err(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(res));
        return -1;
    }
    if (code != 200) {
        dcc_set_err(err, errlen, "%s answered HTTP %ld", path, code);
        return -1;
    }
    return 0;
}

static void fetch_helper(struct dcc_mon_helper *h)
{
    struct body b = {0};
    char err[256];
    if (fetch(h->host, h->port, "/stats.json", HELPER_TIMEOUT_MS, &b, err, sizeof err) != 0 ||
        dcc_monitor_parse_stats(b.buf.data ? b.buf.data : "", b.buf.len, h, err, sizeof err) != 0) {
        h->answered = 0;
        snprintf(h->error, sizeof h->error, "%s", err);
        dcc_buf_free(&b.buf);
        return;
    }
    dcc_buf_free(&b.buf);
    memset(&b, 0, sizeof b);
    /* Compiler versions are what an admin compares; a helper without
     * /toolchain still shows its counters. */
    if (!h->compilers[0] &&
        fetch(h->host, h->port, "/toolchain", TOOLCHAIN_TIMEOUT_MS, &b, err, sizeof err) == 0)
        dcc_monitor_parse_toolchain(b.buf.data ? b.buf.data : "", b.buf.len, h, err, sizeof err);
    dcc_buf_free(&b.buf);
}
#else
static void fetch_helper(struct dcc_mon_helper *h)
{
    h->answered = 0;
    snprintf(h->error, sizeof h->error, "built without libcurl");
}
#endif

static gboolean helper_round_done(gpointer data)
{
    struct helper_round *r = data;
    struct app *a = r->app;
    free(a->helpers);
    a->helpers = r->helpers;
    a->n_helpers = r->n;
    a->helper_busy = 0;
    a->helper_rounds++;
    free(r);
    fill_hosts(a);
    if (a->opt.dump)
        maybe_dump(a);
    return G_SOURCE_REMOVE;
}

static gpointer helper_thread(gpointer data)
{
    struct helper_round *r = data;
    for (size_t i = 0; i < r->n; i++)
        fetch_helper(&r->helpers[i]);
    g_idle_add(helper_round_done, r);
    return NULL;
}

/* Asks every listed TCP host for its figures, unless a round is running. */
static gboolean on_helper_timer(gpointer data)
{
    struct app *a = data;
    if (a->opt.no_stats || a->helper_busy)
        return G_SOURCE_CONTINUE;
    struct helper_round *r = calloc(1, sizeof *r);
    if (!r)
        return G_SOURCE_CONTINUE;
    r->app = a;
    r->helpers = calloc(a->model.n_hosts ? a->model.n_hosts : 1, sizeof *r->helpers);
    if (!r->helpers) {
        free(r);
        return G_SOURCE_CONTINUE;
    }
    for (size_t i = 0; i < a->model.n_hosts; i++) {
        const struct dcc_mon_host *h = &a->model.hosts[i];
        if (h->tcp_port == 0)
            continue;
        struct dcc_mon_helper *hp = &r->helpers[r->n++];
        snprintf(hp->host, sizeof hp->host, "%s", h->name);
        hp->port = a->opt.stats_port;
        const struct dcc_mon_helper *was = helper_of(a, h->name);
        if (was)
            snprintf(hp->compilers, sizeof hp->compilers, "%s", was->compilers);
    }
    a->helper_busy = 1;
    GThread *t = g_thread_try_new("helpers", helper_thread, r, NULL);
    if (!t) {
        free(r->helpers);
        free(r);
        a->helper_busy = 0;
        return G_SOURCE_CONTINUE;
    }
    g_thread_unref(t);
    return G_SOURCE_CONTINUE;
}

/* ---- --dump ----------------------------------------------------------------------- */

static int dump_model(struct app *a, FILE *out)
{
    struct dcc_buf b = {0};
    int rc = 0, scale = gtk_widget_get_scale_factor(a->window);
    int ww, wh;
    gtk_window_get_size(GTK_WINDOW(a->window), &ww, &wh);
    rc |= dcc_buf_printf(&b, "directory: %s\n", a->dirs[a->current_dir]);
    for (int i = 0; i < a->n_dirs; i++)
        rc |= dcc_buf_printf(&b, "  %s %s (%s)\n", i == a->current_dir ? "*" : " ", a->dirs[i],
                             a->dir_notes[i]);
    rc |= dcc_buf_printf(&b, "status: %s\n", a->status);
    rc |= dcc_buf_printf(
        &b, "scale: %d\nrow height: %d (%d pixels)\nwindow: %dx%d (%dx%d pixels)\n", scale,
        a->row_height, a->row_height * scale, ww, wh, ww * scale, wh * scale);
    rc |= dcc_buf_printf(&b, "hosts: %zu\n", a->model.n_hosts);
    for (size_t i = 0; i < a->model.n_hosts; i++) {
        const struct dcc_mon_host *h = &a->model.hosts[i];
        const struct dcc_mon_helper *hp = helper_of(a, h->name);
        char jobs[320], load[32];
        helper_figures(hp, jobs, sizeof jobs, load, sizeof load);
        if (h->listed)
            rc |= dcc_buf_printf(&b, "  %s  %d/%d running  %lu done", h->label, h->running,
                                 h->slots, h->done);
        else
            rc |= dcc_buf_printf(&b, "  %s  %d running  %lu done", h->label, h->running, h->done);
        if (hp)
            rc |= dcc_buf_printf(&b, "  helper: %s; load %s; %s", jobs, load,
                                 hp->compilers[0] ? hp->compilers : "-");
        rc |= dcc_buf_appends(&b, "\n");
    }
    size_t shown = a->model.polls < DCC_MON_HISTORY ? a->model.polls : DCC_MON_HISTORY;
    rc |= dcc_buf_printf(&b, "slots: %zu\n", a->model.n_slots);
    for (size_t i = 0; i < a->model.n_slots; i++) {
        const struct dcc_mon_slot *s = &a->model.slots[i];
        char label[160], hist[DCC_MON_HISTORY + 1];
        slot_label(s, label, sizeof label);
        for (size_t k = 0; k < shown; k++) {
            unsigned char p = s->history[DCC_MON_HISTORY - shown + k];
            hist[k] = p == DCC_MON_IDLE ? '.' : style_of(p)->letter;
        }
        hist[shown] = '\0';
        rc |= dcc_buf_printf(&b, "  %-24s %-10s %-30s |%s|\n", label,
                             s->pid ? style_of(s->phase)->name : "idle", s->pid ? s->file : "",
                             hist);
    }
    rc |= dcc_buf_printf(&b, "jobs: %zu\n", a->model.n_jobs);
    double now = now_secs();
    for (size_t i = 0; i < a->model.n_jobs; i++) {
        const struct dcc_mon_job *j = &a->model.jobs[i];
        char where[160], in_phase[32], total[32];
        snprintf(where, sizeof where, "%s[%d]", j->host, j->slot);
        dcc_monitor_format_duration(now - j->phase_since, in_phase, sizeof in_phase);
        dcc_monitor_format_duration(now - j->started, total, sizeof total);
        rc |= dcc_buf_printf(&b, "  %6ld  %-24s %-10s %s  in phase %s, running %s\n", j->pid, where,
                             style_of(j->phase)->name, j->file, in_phase, total);
    }
    if (rc) {
        dcc_buf_free(&b);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    size_t wrote = fwrite(b.data, 1, b.len, out);
    int bad = wrote != b.len || fflush(out) != 0;
    dcc_buf_free(&b);
    return bad ? DCC_EXIT_IO_ERROR : 0;
}

/* Prints once the window has drawn the last poll and, unless told not to
 * ask, the helpers have answered once; then quits. */
static void maybe_dump(struct app *a)
{
    if (a->dumped || a->model.polls < (unsigned long)a->opt.polls || a->drawn_polls < a->opt.polls)
        return;
    if (!a->opt.no_stats && a->helper_rounds == 0) {
        on_helper_timer(a);
        return;
    }
    a->dumped = 1;
    a->exit_code = dump_model(a, stdout);
    if (a->exit_code == DCC_EXIT_IO_ERROR)
        dcc_error("cannot write to standard output: %s", strerror(errno));
    gtk_main_quit();
}

static gboolean on_dump_deadline(gpointer data)
{
    struct app *a = data;
    if (!a->dumped) {
        dcc_error("the window did not draw within %d seconds", DUMP_DEADLINE_MS / 1000);
        a->exit_code = DCC_EXIT_DISTCC_FAILED;
        gtk_main_quit();
    }
    return G_SOURCE_REMOVE;
}

/* ---- the window ---------------------------------------------------------------------- */

static GtkWidget *list_view(GtkListStore *store, const char *const *titles, int n)
{
    GtkWidget *view = gtk_tree_view_new_with_model(GTK_TREE_MODEL(store));
    for (int i = 0; i < n; i++) {
        GtkCellRenderer *r = gtk_cell_renderer_text_new();
        GtkTreeViewColumn *c = gtk_tree_view_column_new_with_attributes(titles[i], r, "text", i,
                                                                        NULL);
        gtk_tree_view_column_set_resizable(c, TRUE);
        gtk_tree_view_append_column(GTK_TREE_VIEW(view), c);
    }
    return view;
}

static GtkWidget *scrolled(GtkWidget *child, int min_height)
{
    GtkWidget *sw = gtk_scrolled_window_new(NULL, NULL);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_AUTOMATIC,
                                   GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(sw), min_height);
    gtk_container_add(GTK_CONTAINER(sw), child);
    return sw;
}

static GtkWidget *legend(void)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 10);
    for (size_t i = DCC_PHASE_BLOCKED; i < DCC_PHASE_DONE; i++) {
        char markup[160];
        const struct phase_style *ps = &phase_styles[i];
        snprintf(markup, sizeof markup, "<span background=\"#%02x%02x%02x\">    </span> %s",
                 (unsigned)lround(ps->r * 255), (unsigned)lround(ps->g * 255),
                 (unsigned)lround(ps->b * 255), ps->name);
        GtkWidget *l = gtk_label_new(NULL);
        gtk_label_set_markup(GTK_LABEL(l), markup);
        gtk_box_pack_start(GTK_BOX(box), l, FALSE, FALSE, 0);
    }
    return box;
}

static void build_window(struct app *a)
{
    a->window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
    gtk_window_set_default_size(GTK_WINDOW(a->window), 820, 600);
    gtk_window_set_icon_name(GTK_WINDOW(a->window), "distccmon-gui");
    g_signal_connect(a->window, "destroy", G_CALLBACK(gtk_main_quit), NULL);

    GtkWidget *vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    gtk_container_set_border_width(GTK_CONTAINER(vbox), 8);
    gtk_container_add(GTK_CONTAINER(a->window), vbox);

    GtkWidget *top = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_box_pack_start(GTK_BOX(top), gtk_label_new("Watching"), FALSE, FALSE, 0);
    a->dir_combo = gtk_combo_box_text_new();
    for (int i = 0; i < a->n_dirs; i++) {
        char item[PATH_MAX + 32];
        snprintf(item, sizeof item, "%s (%s)", a->dirs[i], a->dir_notes[i]);
        gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(a->dir_combo), item);
    }
    gtk_box_pack_start(GTK_BOX(top), a->dir_combo, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(vbox), top, FALSE, FALSE, 0);

    a->status_label = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(a->status_label), 0);
    gtk_label_set_ellipsize(GTK_LABEL(a->status_label), PANGO_ELLIPSIZE_END);
    gtk_box_pack_start(GTK_BOX(vbox), a->status_label, FALSE, FALSE, 0);

    a->hosts_store = gtk_list_store_new(6, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT64,
                                        G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
    static const char *const host_titles[] = {"Host",          "Running", "Done",
                                              "Helper's jobs", "Load",    "Compilers"};
    a->hosts_view = list_view(a->hosts_store, host_titles, 6);

    a->slots_area = gtk_drawing_area_new();
    g_signal_connect(a->slots_area, "draw", G_CALLBACK(on_draw_slots), a);
    /* Row height from the font, so a bigger font or GDK_SCALE keeps rows legible. */
    PangoLayout *l = gtk_widget_create_pango_layout(a->slots_area, "Hg[0]");
    int w, h;
    pango_layout_get_pixel_size(l, &w, &h);
    g_object_unref(l);
    a->row_height = h + 6;

    a->jobs_store = gtk_list_store_new(6, G_TYPE_INT64, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                       G_TYPE_STRING, G_TYPE_STRING);
    static const char *const job_titles[] = {"PID",    "Host[slot]", "Phase",
                                             "Source", "In phase",   "Running for"};
    a->jobs_view = list_view(a->jobs_store, job_titles, 6);

    GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_VERTICAL);
    GtkWidget *upper = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    gtk_box_pack_start(GTK_BOX(upper), scrolled(a->hosts_view, 3 * a->row_height + 24), FALSE, TRUE,
                       0);
    gtk_box_pack_start(GTK_BOX(upper), scrolled(a->slots_area, 4 * a->row_height), TRUE, TRUE, 0);
    gtk_box_pack_start(GTK_BOX(upper), legend(), FALSE, FALSE, 0);
    gtk_paned_pack1(GTK_PANED(paned), upper, TRUE, FALSE);
    gtk_paned_pack2(GTK_PANED(paned), scrolled(a->jobs_view, 3 * a->row_height), TRUE, FALSE);
    gtk_box_pack_start(GTK_BOX(vbox), paned, TRUE, TRUE, 0);
}

int main(int argc, char **argv)
{
    dcc_log_set_program("distccmon-gui");
    static struct app a;
    /* GTK's own options (--display, ...) first, without opening a display,
     * so --help and bad arguments work anywhere. */
    gtk_parse_args(&argc, &argv);
    int done;
    int code = parse_options(argc, argv, &a.opt, &done);
    if (done)
        return code;
    if (!gtk_init_check(&argc, &argv)) {
        dcc_error(
            "cannot open the display \"%s\": run it in an X or Wayland session, or give --display",
            getenv("DISPLAY") ? getenv("DISPLAY") : "");
        return DCC_EXIT_DISTCC_FAILED;
    }
#if DCC_GUI_CURL
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        a.opt.no_stats = 1;
#endif
    dcc_monitor_init(&a.model);
    dir_choices(&a);
    build_window(&a);
    a.current_dir = -1;
    g_signal_connect(a.dir_combo, "changed", G_CALLBACK(on_dir_changed), &a);
    /* The same path as a user's choice: the first entry is the start. */
    gtk_combo_box_set_active(GTK_COMBO_BOX(a.dir_combo), 0);
    gtk_widget_show_all(a.window);

    guint ms = (guint)(a.opt.interval * 1000);
    a.poll_timer = g_timeout_add(ms, on_poll_timer, &a);
    if (!a.opt.no_stats) {
        on_helper_timer(&a);
        g_timeout_add(HELPER_PERIOD_MS, on_helper_timer, &a);
    }
    if (a.opt.dump)
        g_timeout_add(DUMP_DEADLINE_MS, on_dump_deadline, &a);
    gtk_main();
    dcc_monitor_free(&a.model);
    /* A helper thread still running owns its round; it is left to exit with us. */
    if (!a.helper_busy)
        free(a.helpers);
#if DCC_GUI_CURL
    if (!a.helper_busy)
        curl_global_cleanup();
#endif
    free((char *)a.opt.distcc_dir);
    return a.exit_code;
}
