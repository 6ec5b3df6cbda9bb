/* distcc-preflight: asks every host for its toolchain and prints one table of what disagrees. */
#include <curl/curl.h>
#include <errno.h>
#include <iniparser.h>
#include <jansson.h>
#include <limits.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/dcc_hosts.h"
#include "admin/dcc_preflight.h"
#include "admin/dcc_verdict.h"
#include "proto/dcc_toolchain.h"
#include "base/dcc_util.h"

#define MAX_NAMES 64
#define MAX_IGNORE 256
#define ANSWER_CAP (1024 * 1024) /* a /toolchain answer larger than this is refused */

static const char *prog_name = "distcc-preflight";

static void say_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

struct settings {
    double timeout_s;
    int stats_port;
    unsigned errors;
    int warn_ok;
    int json;
    int quiet;
    const char *hosts_text;
    const char *names[MAX_NAMES];
    size_t n_names;
    char *ignore[MAX_IGNORE];
    size_t n_ignore;
};

/* Adds the blank/comma separated words of text to the ignore list. */
static int add_ignore(struct settings *s, const char *text)
{
    const char *p = text;
    while (*p) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, " \t,");
        if (len == 0)
            break;
        if (s->n_ignore >= MAX_IGNORE) {
            say_error("too many hosts to ignore (at most %d)", MAX_IGNORE);
            return -1;
        }
        s->ignore[s->n_ignore] = strndup(p, len);
        if (!s->ignore[s->n_ignore]) {
            say_error("out of memory");
            return -1;
        }
        s->n_ignore++;
        p += len;
    }
    return 0;
}

static int is_ignored(const struct settings *s, const char *host)
{
    for (size_t i = 0; i < s->n_ignore; i++)
        if (strcmp(s->ignore[i], host) == 0)
            return 1;
    return 0;
}

static int parse_timeout(const char *text, double *out, const char *where)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v > 0) || v > 3600) {
        say_error("%s: timeout \"%s\" is not a number of seconds between 0 and 3600", where, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* [preflight] in distcc.conf: timeout, errors, ignore, stats_port, warn_ok. */
static int read_config(const char *file, int must_exist, struct settings *s)
{
    if (access(file, F_OK) != 0) {
        if (!must_exist && errno == ENOENT)
            return 0;
        say_error("cannot read config %s: %s", file, strerror(errno));
        return -1;
    }
    if (access(file, R_OK) != 0) {
        say_error("cannot read config %s: %s", file, strerror(errno));
        return -1;
    }
    dictionary *ini = iniparser_load(file);
    if (!ini) {
        say_error("cannot parse config %s (is it an INI file?)", file);
        return -1;
    }
    int rc = -1;
    char where[PATH_MAX + 32];
    char err[256];
    const char *v = iniparser_getstring(ini, "preflight:timeout", NULL);
    snprintf(where, sizeof(where), "%s [preflight] timeout", file);
    if (v && parse_timeout(v, &s->timeout_s, where) != 0)
        goto out;
    v = iniparser_getstring(ini, "preflight:errors", NULL);
    if (v && dcc_preflight_parse_fields(v, &s->errors, err, sizeof(err)) != 0) {
        say_error("%s [preflight] errors: %s", file, err);
        goto out;
    }
    v = iniparser_getstring(ini, "preflight:ignore", NULL);
    if (v && add_ignore(s, v) != 0)
        goto out;
    v = iniparser_getstring(ini, "preflight:stats_port", NULL);
    if (v) {
        char *end;
        long port = strtol(v, &end, 10);
        if (end == v || *end || port < 1 || port > 65535) {
            say_error("%s [preflight] stats_port: \"%s\" is not a port 1-65535", file, v);
            goto out;
        }
        s->stats_port = (int)port;
    }
    int b = iniparser_getboolean(ini, "preflight:warn_ok", -1);
    if (b >= 0)
        s->warn_ok = b;
    rc = 0;
out:
    iniparser_freedict(ini);
    return rc;
}

/* ---- asking the hosts, all at once ------------------------------------------ */

struct target {
    char host[256];
    int unreachable; /* no report: reason says why */
    char reason[512];
    const char *spec; /* the host as written, for a probe compile */
    int over_ssh;
    char probe_why[64]; /* set: no /toolchain here, so compile a probe */
    size_t first_probe; /* its probes, one per compiler name, from here */
    char url[400];
    struct dcc_buf body;
    int too_big;
    CURL *easy;
    char curl_err[CURL_ERROR_SIZE];
    json_t *report;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    struct target *t = user;
    size_t len = size * nmemb;
    if (t->body.len + len > ANSWER_CAP) {
        t->too_big = 1;
        return 0; /* aborts the transfer */
    }
    return dcc_buf_append(&t->body, data, len) == 0 ? len : 0;
}

static void set_unreachable(struct target *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_unreachable(struct target *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    t->unreachable = 1;
    vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
    va_end(ap);
}

static void finish_target(struct target *t, CURLcode res)
{
    if (res == CURLE_COULDNT_CONNECT)
        snprintf(t->probe_why, sizeof(t->probe_why), "stats port closed");
    if (res != CURLE_OK) {
        if (t->too_big)
            set_unreachable(t, "bad answer: larger than %d bytes (%s)", ANSWER_CAP, t->url);
        else
            set_unreachable(t, "%s (%s)", t->curl_err[0] ? t->curl_err : curl_easy_strerror(res),
                            t->url);
        return;
    }
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code == 404) {
        snprintf(t->probe_why, sizeof(t->probe_why), "no /toolchain: HTTP 404");
        set_unreachable(t, "no /toolchain endpoint: HTTP 404 (%s)", t->url);
        return;
    }
    if (code != 200 && code != 0) { /* 0: HTTP/0.9, a stock distcc stats page */
        set_unreachable(t, "bad answer: HTTP %ld (%s)", code, t->url);
        return;
    }
    char err[300];
    if (dcc_preflight_parse_report(t->body.data, t->body.len, &t->report, err, sizeof(err)) != 0) {
        if (t->body.data && memmem(t->body.data, t->body.len, "<distccstats>", 13))
            snprintf(t->probe_why, sizeof(t->probe_why), "stock distcc stats page");
        set_unreachable(t, "bad answer: %s (%s)", err, t->url);
        return;
    }
    t->unreachable = 0;
}

static int fetch_all(struct target *targets, size_t n, double timeout_s)
{
    CURLM *multi = curl_multi_init();
    if (!multi) {
        say_error("cannot start libcurl");
        return -1;
    }
    long ms = (long)(timeout_s * 1000.0);
    if (ms < 1)
        ms = 1;
    size_t running_n = 0;
    for (size_t i = 0; i < n; i++) {
        struct target *t = &targets[i];
        if (t->unreachable)
            continue;
        t->easy = curl_easy_init();
        if (!t->easy) {
            set_unreachable(t, "cannot start libcurl");
            continue;
        }
        curl_easy_setopt(t->easy, CURLOPT_URL, t->url);
        curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(t->easy, CURLOPT_NOPROXY, "*"); /* the daemon's ACL sees us, not a proxy */
        curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, ms);
        curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
        curl_easy_setopt(t->easy, CURLOPT_HTTP09_ALLOWED,
                         1L); /* stock distcc's page has no headers */
        curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
        curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->curl_err);
        curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
        if (curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
            set_unreachable(t, "cannot start libcurl");
            curl_easy_cleanup(t->easy);
            t->easy = NULL;
            continue;
        }
        running_n++;
    }
    int still = 0;
    while (running_n > 0) {
        if (curl_multi_perform(multi, &still) != CURLM_OK)
            break;
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct target *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            finish_target(t, msg->data.result);
            curl_multi_remove_handle(multi, t->easy);
            curl_easy_cleanup(t->easy);
            t->easy = NULL;
            running_n--;
        }
        if (running_n > 0 && curl_multi_poll(multi, NULL, 0, 200, NULL) != CURLM_OK)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        if (targets[i].easy) { /* only after a libcurl failure */
            set_unreachable(&targets[i], "libcurl failed (%s)", targets[i].url);
            curl_multi_remove_handle(multi, targets[i].easy);
            curl_easy_cleanup(targets[i].easy);
            targets[i].easy = NULL;
        }
    }
    curl_multi_cleanup(multi);
    return 0;
}

/* ---- hosts without /toolchain: a probe compile through the daemon ----------- */

/* The client: --distcc, else distcc next to this program, else on $PATH. */
static int find_distcc(const char *opt, char *out, size_t outlen)
{
    if (opt) {
        if (access(opt, X_OK) != 0) {
            say_error("--distcc %s: %s", opt, strerror(errno));
            return -1;
        }
        snprintf(out, outlen, "%s", opt);
        return 0;
    }
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len > 0) {
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if ((size_t)snprintf(out, outlen, "%s/distcc", self) < outlen && access(out, X_OK) == 0)
                return 0;
        }
    }
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && path[0] == '/' &&
            (size_t)snprintf(out, outlen, "%.*s/distcc", (int)n, path) < outlen &&
            access(out, X_OK) == 0)
            return 0;
        path += n;
        if (*path == ':')
            path++;
    }
    out[0] = '\0';
    return -1;
}

/* Every target marked with probe_why gets one probe per compiler name, all
 * run at once. Unreachable ones keep the first reason plus the probe's. */
static int probe_targets(struct target *targets, size_t n_targets, const struct settings *s,
                         const char *distcc, struct dcc_pf_probe **probes_out, size_t *n_out)
{
    size_t n = 0;
    for (size_t i = 0; i < n_targets; i++)
        if (targets[i].probe_why[0])
            n += s->n_names;
    *probes_out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    struct dcc_pf_probe *probes = calloc(n, sizeof(*probes));
    if (!probes) {
        say_error("out of memory");
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_targets; i++) {
        if (!targets[i].probe_why[0])
            continue;
        targets[i].first_probe = k;
        for (size_t c = 0; c < s->n_names; c++) {
            probes[k].host_spec = targets[i].spec;
            probes[k].compiler = s->names[c];
            probes[k].over_ssh = targets[i].over_ssh;
            k++;
        }
    }
    char err[512];
    if (!distcc[0]) {
        for (size_t i = 0; i < n; i++)
            snprintf(probes[i].err, sizeof(probes[i].err),
                     "no distcc client found (next to distcc-preflight or on PATH; see --distcc)");
    } else if (dcc_preflight_probe_run(probes, n, distcc, (int)(s->timeout_s * 1000.0), err,
                                       sizeof(err)) != 0) {
        say_error("cannot probe: %s", err);
        dcc_preflight_probe_free(probes, n);
        free(probes);
        return -1;
    }
    *probes_out = probes;
    *n_out = n;
    return 0;
}

/* ---- the program ------------------------------------------------------------ */

static int add_name(struct settings *s, const char *name)
{
    for (size_t i = 0; i < s->n_names; i++)
        if (strcmp(s->names[i], name) == 0)
            return 0;
    if (s->n_names >= MAX_NAMES) {
        say_error("too many --compiler names (at most %d)", MAX_NAMES);
        return -1;
    }
    s->names[s->n_names++] = name;
    return 0;
}

/* The compiler's own triple, when nothing else names the CHOST. */
static void triple_of(const char *name, char *out, size_t outlen)
{
    char prog[PATH_MAX];
    const char *path = getenv("PATH");
    out[0] = '\0';
    if (!path || dcc_toolchain_find(name, path, NULL, prog, sizeof(prog)) != 0)
        return;
    char *argv[] = {(char *)name, "-dumpmachine", NULL};
    struct dcc_buf b = {0};
    int st = 0;
    char why[256];
    if (dcc_toolchain_capture(prog, argv, NULL, 5000, 4096, &b, &st, why, sizeof(why)) == 0 &&
        st == 0 && b.data) {
        size_t len = strcspn(b.data, " \t\r\n");
        if (len > 0 && len < outlen) {
            memcpy(out, b.data, len);
            out[len] = '\0';
        }
    }
    dcc_buf_free(&b);
}

static const char *usage_tail =
    "\nAsks each TCP host of the distcc host list (--hosts, $DISTCC_HOSTS, ~/.distcc/hosts,\n"
    "/etc/distcc/hosts) for GET /toolchain on its --stats port and compares gcc version,\n"
    "triple, as/ld and PIE/SSP defaults with this machine. A host without /toolchain\n"
    "(stats port closed, stock distcc 3.x) and an @ssh host are probed instead by\n"
    "compiling through the daemon with the distcc client (gcc -v and the object's\n"
    ".comment; ld is not known that way). Settings: [preflight] in\n"
    "/etc/distcc/distcc.conf (timeout, errors, ignore, stats_port, warn_ok).\n"
    "\nExit: 0 all hosts agree, 1 warnings only (0 with --warn-ok), 2 errors,\n"
    "3 a host is unreachable (2 wins when there are errors too), 4 usage or setup error.\n";

/* The command line as popt left it; popt strdup()s every string argument
 * and leaves freeing them to us. */
struct cli {
    char *hosts, *config, *errors, *timeout, *arg, *distcc;
    int port, warn_ok, version;
    const char *names[MAX_NAMES];
    size_t n_names;
    char *ignore[MAX_IGNORE];
    size_t n_ignore;
};

/* Everything one run holds, released by release_run. */
struct run {
    struct settings s;
    struct cli cli;
    struct dcc_hostlist hl;
    char *hosts_text;
    char chost[128];
    const char *chost_source;
    char chost_gcc[160]; /* a compiler name in s.names */
    struct dcc_buf local_json;
    json_t *local;
    struct target *targets;
    size_t n_targets;
    struct dcc_pf_probe *probes;
    size_t n_probes;
    char distcc[PATH_MAX];
    struct dcc_verdict verdict;
};

/* Reads the options into r->cli (and --json, --quiet into r->s). 0 to go
 * on, or -1 with *exit_code: 0 after --help or --version, else usage. */
static int parse_options(int argc, const char **argv, struct run *r, int *exit_code)
{
    struct cli *c = &r->cli;
    enum { OPT_COMPILER = 1, OPT_IGNORE, OPT_HELP };
    struct poptOption options[] = {
        {"hosts", 0, POPT_ARG_STRING, &c->hosts, 0,
         "check these hosts instead of the distcc host list", "\"SPEC...\""},
        {"compiler", 'c', POPT_ARG_STRING, &c->arg, OPT_COMPILER,
         "compiler name to check (repeatable; default gcc, g++ and $CHOST-gcc)", "NAME"},
        {"stats-port", 0, POPT_ARG_INT, &c->port, 0, "the daemons' --stats port (3633)", "PORT"},
        {"timeout", 't', POPT_ARG_STRING, &c->timeout, 0, "seconds to wait for all hosts (5)",
         "SEC"},
        {"errors", 0, POPT_ARG_STRING, &c->errors, 0,
         "fields whose difference is an error: version,triple,binutils,pie,ssp,found or none",
         "LIST"},
        {"ignore", 0, POPT_ARG_STRING, &c->arg, OPT_IGNORE, "skip this host (repeatable)", "HOST"},
        {"warn-ok", 0, POPT_ARG_NONE, &c->warn_ok, 0, "exit 0 when there are only warnings", NULL},
        {"distcc", 0, POPT_ARG_STRING, &c->distcc, 0,
         "the distcc client for probe compiles (default: next to this program, else $PATH)",
         "PATH"},
        {"json", 0, POPT_ARG_NONE, &r->s.json, 0, "print JSON instead of the table", NULL},
        {"quiet", 'q', POPT_ARG_NONE, &r->s.quiet, 0, "print nothing; the exit code tells", NULL},
        {"config", 0, POPT_ARG_STRING, &c->config, 0,
         "settings file (" DCC_SYSCONFDIR "/distcc/distcc.conf)", "FILE"},
        {"version", 0, POPT_ARG_NONE, &c->version, 0, "print the version", NULL},
        {"help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, "show this help", NULL},
        POPT_TABLEEND};

    *exit_code = DCC_VERDICT_USAGE;
    int go = -1;
    poptContext pc = poptGetContext(prog_name, argc, argv, options, 0);
    poptSetOtherOptionHelp(pc, "[OPTION...]");
    int rc;
    while ((rc = poptGetNextOpt(pc)) > 0) {
        if (rc == OPT_COMPILER) {
            if (c->n_names >= MAX_NAMES) {
                say_error("too many --compiler names (at most %d)", MAX_NAMES);
                free(c->arg);
                goto out;
            }
            c->names[c->n_names++] = c->arg;
        } else if (rc == OPT_IGNORE) {
            if (c->n_ignore >= MAX_IGNORE) {
                say_error("too many --ignore hosts (at most %d)", MAX_IGNORE);
                free(c->arg);
                goto out;
            }
            c->ignore[c->n_ignore++] = c->arg;
        } else if (rc == OPT_HELP) {
            poptPrintHelp(pc, stdout, 0);
            fputs(usage_tail, stdout);
            *exit_code = 0;
            goto out;
        }
    }
    if (rc < -1) {
        say_error("%s: %s (see --help)", poptBadOption(pc, POPT_BADOPTION_NOALIAS),
                  poptStrerror(rc));
    } else if (poptPeekArg(pc)) {
        say_error("unexpected argument \"%s\" (see --help)", poptPeekArg(pc));
    } else if (c->version) {
        printf("distcc-preflight %s\n", DCC_VERSION);
        *exit_code = 0;
    } else {
        go = 0;
    }
out:
    poptFreeContext(pc);
    return go;
}

/* The settings file first, then the options over it. */
static int settle_settings(struct run *r)
{
    struct settings *s = &r->s;
    const struct cli *c = &r->cli;
    char err[1024];
    if (read_config(c->config ? c->config : DCC_SYSCONFDIR "/distcc/distcc.conf", c->config != NULL,
                    s) != 0)
        return -1;
    if (c->timeout && parse_timeout(c->timeout, &s->timeout_s, "--timeout") != 0)
        return -1;
    if (c->errors && dcc_preflight_parse_fields(c->errors, &s->errors, err, sizeof(err)) != 0) {
        say_error("--errors: %s", err);
        return -1;
    }
    if (c->port) {
        if (c->port < 1 || c->port > 65535) {
            say_error("--stats-port %d is not a port 1-65535", c->port);
            return -1;
        }
        s->stats_port = c->port;
    }
    if (c->warn_ok)
        s->warn_ok = 1;
    for (size_t i = 0; i < c->n_ignore; i++)
        if (add_ignore(s, c->ignore[i]) != 0)
            return -1;
    if (s->json && s->quiet) {
        say_error("--json and --quiet exclude each other");
        return -1;
    }
    return 0;
}

/* --hosts, else the distcc host list. */
static int read_host_list(struct run *r)
{
    char err[1024];
    if (r->cli.hosts) {
        r->s.hosts_text = r->cli.hosts;
    } else {
        enum dcc_hosts_source src = DCC_HOSTS_FROM_NONE;
        char hosts_path[PATH_MAX] = "";
        if (dcc_hosts_find(DCC_SYSCONFDIR, &r->hosts_text, &src, hosts_path, sizeof(hosts_path),
                           err, sizeof(err)) != 0) {
            say_error("%s", err);
            return -1;
        }
        r->s.hosts_text = r->hosts_text;
    }
    if (dcc_hosts_parse(r->s.hosts_text, &r->hl, err, sizeof(err)) != 0) {
        say_error("%s", err);
        return -1;
    }
    return 0;
}

/* The compiler names: --compiler, else gcc, g++ and $CHOST-gcc when it is
 * on PATH. */
static int choose_names(struct run *r)
{
    struct settings *s = &r->s;
    if (r->cli.n_names > 0) {
        for (size_t i = 0; i < r->cli.n_names; i++)
            if (add_name(s, r->cli.names[i]) != 0)
                return -1;
        return 0;
    }
    add_name(s, "gcc");
    add_name(s, "g++");
    char found[PATH_MAX];
    const char *path = getenv("PATH");
    snprintf(r->chost_gcc, sizeof(r->chost_gcc), "%s-gcc", r->chost);
    if (r->chost[0] && path &&
        dcc_toolchain_find(r->chost_gcc, path, NULL, found, sizeof(found)) == 0)
        add_name(s, r->chost_gcc);
    return 0;
}

/* This machine: its CHOST, the names to compare, and its report. */
static int take_local(struct run *r)
{
    char err[1024];
    if (dcc_preflight_local_chost(NULL, NULL, r->chost, sizeof(r->chost), &r->chost_source) != 0) {
        triple_of("gcc", r->chost, sizeof(r->chost));
        r->chost_source = r->chost[0] ? "gcc -dumpmachine" : NULL;
    }
    if (choose_names(r) != 0)
        return -1;
    int probe_ms = (int)(r->s.timeout_s * 1000.0);
    if (dcc_tcmatch_local_report(r->s.names, r->s.n_names, NULL, r->chost[0] ? r->chost : NULL,
                                 probe_ms, &r->local_json, err, sizeof(err)) != 0) {
        say_error("cannot take this machine's toolchain: %s", err);
        return -1;
    }
    if (dcc_preflight_parse_report(r->local_json.data, r->local_json.len, &r->local, err,
                                   sizeof(err)) != 0) {
        say_error("this machine's toolchain report: %s", err);
        return -1;
    }
    return 0;
}

/* One target per remote host name, in list order; ignored ones and
 * localhost left out, ssh hosts marked for a probe. */
static int list_targets(struct run *r)
{
    r->targets = calloc(r->hl.n ? r->hl.n : 1, sizeof(*r->targets));
    if (!r->targets) {
        say_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->hl.n; i++) {
        const struct dcc_host *h = &r->hl.hosts[i];
        if (h->mode == DCC_HOST_LOCAL || is_ignored(&r->s, h->hostname))
            continue;
        int dup = 0;
        for (size_t k = 0; k < r->n_targets; k++)
            if (strcmp(r->targets[k].host, h->hostname) == 0)
                dup = 1;
        if (dup)
            continue;
        struct target *t = &r->targets[r->n_targets++];
        snprintf(t->host, sizeof(t->host), "%s", h->hostname);
        t->spec = h->spec;
        t->over_ssh = h->mode == DCC_HOST_SSH;
        if (h->mode == DCC_HOST_SSH) {
            snprintf(t->probe_why, sizeof(t->probe_why), "ssh host");
            set_unreachable(t, "ssh host (%s)", h->spec);
            continue;
        }
        snprintf(t->url, sizeof(t->url),
                 h->is_ipv6 ? "http://[%s]:%d/toolchain" : "http://%s:%d/toolchain", h->hostname,
                 r->s.stats_port);
    }
    return 0;
}

/* TCP hosts over HTTP in parallel, then probe compiles where that failed. */
static int ask_hosts(struct run *r)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        say_error("cannot start libcurl");
        return -1;
    }
    int rc = fetch_all(r->targets, r->n_targets, r->s.timeout_s);
    curl_global_cleanup();
    if (rc != 0)
        return -1;
    if (find_distcc(r->cli.distcc, r->distcc, sizeof(r->distcc)) != 0 && r->cli.distcc)
        return -1;
    return probe_targets(r->targets, r->n_targets, &r->s, r->distcc, &r->probes, &r->n_probes);
}

/* The facts gathered, handed to the policy. */
static int judge(struct run *r)
{
    struct dcc_verdict_host *hosts = calloc(r->n_targets ? r->n_targets : 1, sizeof(*hosts));
    if (!hosts) {
        say_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->n_targets; i++) {
        const struct target *t = &r->targets[i];
        hosts[i].host = t->host;
        hosts[i].report = t->unreachable ? NULL : t->report;
        hosts[i].reason = t->reason;
        hosts[i].probe_why = t->probe_why;
        hosts[i].probes = t->probe_why[0] ? &r->probes[t->first_probe] : NULL;
    }
    const struct dcc_verdict_policy policy = {.names = r->s.names,
                                              .n_names = r->s.n_names,
                                              .errors = r->s.errors,
                                              .warn_ok = r->s.warn_ok};
    char err[256];
    int rc = dcc_verdict_make(r->local, hosts, r->n_targets, &policy, &r->verdict, err,
                              sizeof(err));
    free(hosts);
    if (rc != 0)
        say_error("%s", err);
    return rc;
}

/* The table, the JSON or nothing; the exit code, or usage when stdout
 * cannot take it. */
static int print_verdict(const struct run *r)
{
    if (r->s.quiet)
        return r->verdict.exit_code;
    if (r->s.json) {
        json_t *out = dcc_verdict_json(&r->verdict, r->chost, r->chost_source);
        int rc = out ? json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) : -1;
        json_decref(out);
        if (rc != 0) {
            say_error("out of memory");
            return DCC_VERDICT_USAGE;
        }
        putchar('\n');
        return r->verdict.exit_code;
    }
    struct dcc_buf text = {0};
    if (dcc_verdict_render_text(&r->verdict, &text) != 0) {
        dcc_buf_free(&text);
        say_error("out of memory");
        return DCC_VERDICT_USAGE;
    }
    fwrite(text.data, 1, text.len, stdout);
    dcc_buf_free(&text);
    return r->verdict.exit_code;
}

static void release_run(struct run *r)
{
    for (size_t i = 0; i < r->n_targets; i++) {
        dcc_buf_free(&r->targets[i].body);
        json_decref(r->targets[i].report);
    }
    free(r->targets);
    dcc_verdict_free(&r->verdict);
    dcc_preflight_probe_free(r->probes, r->n_probes);
    free(r->probes);
    json_decref(r->local);
    dcc_buf_free(&r->local_json);
    dcc_hosts_free(&r->hl);
    free(r->hosts_text);
    for (size_t i = 0; i < r->s.n_ignore; i++)
        free(r->s.ignore[i]);
    for (size_t i = 0; i < r->cli.n_names; i++)
        free((char *)r->cli.names[i]);
    for (size_t i = 0; i < r->cli.n_ignore; i++)
        free(r->cli.ignore[i]);
    free(r->cli.hosts);
    free(r->cli.config);
    free(r->cli.errors);
    free(r->cli.timeout);
    free(r->cli.distcc);
}

int main(int argc, const char **argv)
{
    static struct run r = {.s = {.timeout_s = 5.0,
                                 .stats_port = DCC_DEFAULT_STATS_PORT,
                                 .errors = DCC_PF_DEFAULT_ERRORS}};
    int exit_code = DCC_VERDICT_USAGE;
    if (parse_options(argc, argv, &r, &exit_code) == 0 && settle_settings(&r) == 0 &&
        read_host_list(&r) == 0 && take_local(&r) == 0 && list_targets(&r) == 0 &&
        ask_hosts(&r) == 0 && judge(&r) == 0)
        exit_code = print_verdict(&r);
    if (fflush(stdout) != 0 && exit_code != DCC_VERDICT_USAGE) {
        say_error("cannot write the output: %s", strerror(errno));
        exit_code = DCC_VERDICT_USAGE;
    }
    release_run(&r);
    return exit_code;
}
