/* Whether a helper's toolchain fits this machine's for a job's compiler, both sides' facts kept under $DISTCC_DIR. */
#include "client/dcc_fit.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "base/dcc_util.h"
#include "client/dcc_paths.h"
#include "client/dcc_remote.h"
#include "proto/dcc_args.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIT_MAX_FILE (1u << 20) /* a kept file longer than this is ignored */
#define PROBE_SOURCE "int distcc_probe;\n"

static const char *const policy_names[] = {
    [DCC_FIT_EXACT] = "exact", [DCC_FIT_MINOR] = "minor", [DCC_FIT_OFF] = "off"};

int dcc_fit_parse_policy(const char *text, enum dcc_fit_policy *policy)
{
    if (!text || !*text) {
        *policy = DCC_FIT_EXACT;
        return 0;
    }
    for (size_t i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++)
        if (strcmp(text, policy_names[i]) == 0) {
            *policy = (enum dcc_fit_policy)i;
            return 0;
        }
    return -1;
}

const char *dcc_fit_policy_name(enum dcc_fit_policy policy)
{
    return (unsigned)policy < sizeof policy_names / sizeof policy_names[0] ? policy_names[policy]
                                                                           : "?";
}

/* ---- files kept under $DISTCC_DIR ------------------------------------------ */

/* Whether doc's "learned" is younger than ttl_s. */
static int fresh(const json_t *doc, long ttl_s)
{
    json_t *learned = json_object_get(doc, "learned");
    time_t now = time(NULL);
    return json_is_integer(learned) && json_integer_value(learned) <= (json_int_t)now &&
           (json_int_t)now - json_integer_value(learned) < ttl_s;
}

/* Keeps doc in path; a failure only costs learning it again. */
static void write_json(const char *path, const json_t *doc)
{
    if (dcc_paths_write_json(path, doc) != 0)
        dcc_debug("cannot write %s: %s", path, strerror(errno));
}

static json_t *read_json(const char *path)
{
    return dcc_paths_read_json(path, FIT_MAX_FILE);
}

/* $DISTCC_DIR/SUB/STEM.json, the directory made. */
static int kept_path(const char *distcc_dir, const char *sub, const char *stem, char *path,
                     size_t len, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    int rc = dcc_paths_make_subdir(distcc_dir, sub, dir, sizeof dir, err, errlen);
    if (rc != 0)
        return rc;
    if (snprintf(path, len, "%s/%s.json", dir, stem) >= (int)len) {
        dcc_set_err(err, errlen, "file name too long in %s", dir);
        return DCC_EXIT_IO_ERROR;
    }
    return 0;
}

/* Learning a fact once for all the jobs that start together: the first
 * takes this lock (FILE.lock) and learns it, the others wait, then read
 * what it kept. -1 without a lock (each learns it then). Closing the fd
 * lets the next one in. */
static int learn_lock(const char *file)
{
    char path[PATH_MAX + 8];
    if (snprintf(path, sizeof path, "%s.lock", file) >= (int)sizeof path)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void learn_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* ---- this machine ------------------------------------------------------------ */

/* What makes a kept report stale besides its age: another compiler file. */
static int compiler_key(const char *path, char *key, size_t len)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    snprintf(key, len, "%s|%lld|%lld.%09ld|%lld.%09ld", path, (long long)st.st_size,
             (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
             st.st_ctim.tv_nsec);
    return 0;
}

/* The report kept in file when it is fresh and of this compiler (key). */
static json_t *kept_report(const char *file, long ttl_s, const char *key)
{
    json_t *kept = read_json(file), *report = NULL;
    if (kept && fresh(kept, ttl_s) && json_is_string(json_object_get(kept, "key")) &&
        strcmp(json_string_value(json_object_get(kept, "key")), key) == 0 &&
        json_is_object(json_object_get(kept, "report")))
        report = json_incref(json_object_get(kept, "report"));
    json_decref(kept);
    return report;
}

int dcc_fit_local(const char *path, const char *name, const char *distcc_dir, long ttl_s,
                  struct dcc_pf_row *row, char *err, size_t errlen)
{
    char key[PATH_MAX + 100], stem[PATH_MAX], file[PATH_MAX];
    const char *base = strrchr(path, '/');
    if (!base || base == path || !base[1] || compiler_key(path, key, sizeof key) != 0) {
        dcc_set_err(err, errlen, "cannot read the compiler %s", path);
        return -1;
    }
    base++;
    /* One file per compiler path: its slashes become '_' (the key inside
     * tells two paths apart that map to one name). */
    snprintf(stem, sizeof stem, "%s", path + 1);
    for (char *c = stem; *c; c++)
        if (*c == '/')
            *c = '_';
    int keep = ttl_s > 0 && kept_path(distcc_dir, DCC_FIT_LOCAL_SUBDIR, stem, file, sizeof file,
                                      err, errlen) == 0;
    json_t *report = keep ? kept_report(file, ttl_s, key) : NULL;
    int lock = -1;
    if (keep && !report) {
        lock = learn_lock(file);
        report = kept_report(file, ttl_s, key);
    }
    if (!report) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%.*s", (int)(base - 1 - path), path);
        const char *names[] = {base};
        struct dcc_buf json = {0};
        if (dcc_tcmatch_local_report(names, 1, dir, NULL, 0, &json, err, errlen) != 0 ||
            !json.data) {
            if (!json.data)
                dcc_set_err(err, errlen, "out of memory");
            dcc_buf_free(&json);
            learn_unlock(lock);
            return -1;
        }
        report = json_loads(json.data, 0, NULL);
        dcc_buf_free(&json);
        if (!json_is_object(report)) {
            json_decref(report);
            dcc_set_err(err, errlen, "this machine's toolchain report for %s is not JSON", path);
            learn_unlock(lock);
            return -1;
        }
        if (keep) {
            json_t *doc = json_pack("{s:I, s:s, s:O}", "learned", (json_int_t)time(NULL), "key",
                                    key, "report", report);
            if (doc)
                write_json(file, doc);
            json_decref(doc);
        }
    }
    learn_unlock(lock);
    memset(row, 0, sizeof *row);
    row->kind = DCC_PF_ROW_LOCAL;
    snprintf(row->host, sizeof row->host, "(local)");
    dcc_tcmatch_row_from_report(report, base, row);
    snprintf(row->compiler, sizeof row->compiler, "%s", name);
    json_decref(report);
    return 0;
}

/* ---- the helper --------------------------------------------------------------- */

static void remove_probe_dir(const char *dir)
{
    static const char *const files[] = {"probe.i", "probe.ii", "probe.o"};
    char p[PATH_MAX];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (snprintf(p, sizeof p, "%s/%s", dir, files[i]) < (int)sizeof p)
            unlink(p);
    rmdir(dir);
}

/* One compile of a one-line preprocessed file with -v on host: gcc -v's
 * stderr says the version, target, configuration and assembler. 0 with
 * *status and the helper's stderr in serr, or the client's exit code. */
static int probe(const struct dcc_host *host, const char *name, const struct dcc_hostcaps_opts *o,
                 int *status, struct dcc_buf *serr, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    char dir[3000], src[3100], obj[3100];
    if (!tmp || !*tmp)
        tmp = "/tmp";
    size_t nlen = strlen(name);
    int cxx = (nlen >= 2 && strcmp(name + nlen - 2, "++") == 0) ||
              (nlen >= 3 && strcmp(name + nlen - 3, "c++") == 0);
    if (snprintf(dir, sizeof dir, "%s/distcc-probe.XXXXXX", tmp) >= (int)sizeof dir ||
        !mkdtemp(dir)) {
        dcc_set_err(err, errlen, "cannot make a directory in %s for a probe: %s", tmp,
                    strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    snprintf(src, sizeof src, "%s/probe.%s", dir, cxx ? "ii" : "i");
    snprintf(obj, sizeof obj, "%s/probe.o", dir);
    FILE *f = fopen(src, "we");
    int wrote = f && fputs(PROBE_SOURCE, f) >= 0;
    if (f && fclose(f) != 0)
        wrote = 0;
    if (!wrote) {
        dcc_set_err(err, errlen, "cannot write %s: %s", src, strerror(errno));
        remove_probe_dir(dir);
        return DCC_EXIT_IO_ERROR;
    }
    char *words[] = {(char *)name, "-c", "-v", src, "-o", obj, NULL};
    char **argv = dcc_argv_dup(words);
    struct dcc_scan scan;
    if (!argv || dcc_args_scan(&argv, &scan, err, errlen) != 0) {
        dcc_argv_free(argv);
        remove_probe_dir(dir);
        dcc_set_err(err, errlen, "out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    struct dcc_cpp cpp = {.pid = 0, .owns_file = 0, .slot_fd = -1};
    snprintf(cpp.path, sizeof cpp.path, "%s", src);
    struct dcc_remote_opts ropts = {.io_timeout_ms = o->io_timeout_ms, .net = o->net};
    struct dcc_remote_result res;
    dcc_remote_compile(argv, &scan, host, &cpp, &ropts, &res);
    dcc_argv_free(argv);
    remove_probe_dir(dir);
    int rc = 0;
    if (res.outcome == DCC_REMOTE_DONE) {
        *status = res.status;
        dcc_buf_append(serr, res.serr.data ? res.serr.data : "", res.serr.len);
    } else {
        dcc_set_err(err, errlen, "probing %s's toolchain: %s", host->hostname, res.err);
        rc = res.exit_code ? res.exit_code : DCC_EXIT_DISTCC_FAILED;
    }
    dcc_remote_result_free(&res);
    return rc;
}

static void row_from_probe(const char *name, int status, const char *serr, struct dcc_pf_row *row)
{
    row->probed = 1;
    snprintf(row->compiler, sizeof row->compiler, "%s", name);
    row->found = status == 0 ? 1 : -1;
    dcc_tcmatch_parse_probe_output(serr, row);
    if (row->found != 1) {
        size_t len = strcspn(serr, "\n");
        snprintf(row->error, sizeof row->error, "%.*s", (int)len, serr);
    }
}

/* A probe's answer kept in file when it is fresh: 1 with row, else 0. */
static int kept_probe(const char *file, long ttl_s, const char *name, struct dcc_pf_row *row)
{
    json_t *kept = read_json(file);
    json_t *st = json_object_get(kept, "status");
    json_t *text = json_object_get(kept, "stderr");
    int hit = kept && fresh(kept, ttl_s) && json_is_integer(st) && json_is_string(text);
    if (hit)
        row_from_probe(name, (int)json_integer_value(st), json_string_value(text), row);
    json_decref(kept);
    return hit;
}

int dcc_fit_remote(const struct dcc_host *host, const struct dcc_hostcaps *caps, const char *name,
                   const struct dcc_hostcaps_opts *o, struct dcc_pf_row *row, char *err,
                   size_t errlen)
{
    memset(row, 0, sizeof *row);
    row->kind = DCC_PF_ROW_REMOTE;
    snprintf(row->host, sizeof row->host, "%s", host->hostname);
    if (caps->ours) {
        const json_t *toolchain = json_object_get(caps->doc, "toolchain");
        if (!json_is_object(toolchain))
            return 0;
        dcc_tcmatch_row_from_report(toolchain, name, row);
        return 1;
    }
    char lock[512], stem[700], file[PATH_MAX];
    int keep = o->ttl_s > 0 && dcc_hosts_lock_name(host, lock, sizeof lock) == 0 &&
               snprintf(stem, sizeof stem, "%s.probe-%s", lock, name) < (int)sizeof stem &&
               kept_path(o->distcc_dir, DCC_HOSTCAPS_SUBDIR, stem, file, sizeof file, err,
                         errlen) == 0;
    if (keep && kept_probe(file, o->ttl_s, name, row))
        return 1;
    /* One job of the build probes; the others wait for its answer. */
    int held = keep ? learn_lock(file) : -1;
    if (keep && kept_probe(file, o->ttl_s, name, row)) {
        learn_unlock(held);
        return 1;
    }
    int status = 0;
    struct dcc_buf serr = {0};
    int rc = probe(host, name, o, &status, &serr, err, errlen);
    if (rc != 0) {
        learn_unlock(held);
        dcc_buf_free(&serr);
        return rc;
    }
    const char *out = serr.data ? serr.data : "";
    dcc_debug("probed %s's %s: exit status %d", host->spec, name, status);
    row_from_probe(name, status, out, row);
    if (keep) {
        json_t *doc = json_pack("{s:I, s:i, s:s%}", "learned", (json_int_t)time(NULL), "status",
                                status, "stderr", out, strlen(out));
        if (doc)
            write_json(file, doc);
        json_decref(doc);
    }
    learn_unlock(held);
    dcc_buf_free(&serr);
    return 1;
}

/* ---- the verdict ----------------------------------------------------------------- */

static void describe(const struct dcc_pf_finding *f, const char *name, const char *hostname,
                     char *why, size_t len)
{
    if (strcmp(f->what, "version") == 0)
        snprintf(why, len, "helper %s has %s %s, this machine %s", hostname, name, f->remote,
                 f->local);
    else if (strcmp(f->what, "found") == 0)
        snprintf(why, len, "helper %s has no %s (%s)", hostname, name, f->why);
    else if (strcmp(f->what, "machine") == 0)
        snprintf(why, len, "helper %s's %s targets %s, this machine's %s", hostname, name,
                 f->remote, f->local);
    else if (strcmp(f->what, "pie_default") == 0 || strcmp(f->what, "ssp_default") == 0)
        snprintf(why, len, "helper %s's %s has %s %s, this machine's %s", hostname, name, f->what,
                 f->remote, f->local);
    else
        snprintf(why, len, "helper %s has %s %s, this machine %s", hostname, f->what, f->remote,
                 f->local);
}

int dcc_fit_judge(const struct dcc_pf_row *local, struct dcc_pf_row *remote,
                  enum dcc_fit_policy policy, const char *hostname, char *why, size_t whylen)
{
    if (policy == DCC_FIT_OFF)
        return 1;
    /* Preflight's policy. A compiler the helper's report does not name is
     * no reason to skip it: the report may be older than its whitelist, and
     * a helper without the compiler refuses the job and says why. */
    dcc_tcmatch_compare(local, remote, DCC_PF_DEFAULT_ERRORS);
    for (size_t i = 0; i < remote->n_findings; i++) {
        const struct dcc_pf_finding *f = &remote->findings[i];
        /* exact: a patch level counts as well, when both sides know it. */
        int counts = f->level == DCC_PF_ERROR ||
                     (policy == DCC_FIT_EXACT && f->field == DCC_PF_VERSION &&
                      strcmp(f->what, "version") == 0 && *local->version && *remote->version);
        if (counts) {
            describe(f, local->compiler, hostname, why, whylen);
            return 0;
        }
    }
    return 1;
}

int dcc_fit_first_notice(const struct dcc_host *host, const char *name, time_t learned,
                         const char *distcc_dir)
{
    char dir[PATH_MAX], lock[512], prefix[700], path[PATH_MAX + 800], err[300];
    if (dcc_paths_make_subdir(distcc_dir, DCC_HOSTCAPS_SUBDIR, dir, sizeof dir, err, sizeof err) !=
            0 ||
        dcc_hosts_lock_name(host, lock, sizeof lock) != 0 ||
        snprintf(prefix, sizeof prefix, "%s.said-%s-", lock, name) >= (int)sizeof prefix)
        return 1; /* better said every time than never */
    snprintf(path, sizeof path, "%s/%s%lld", dir, prefix, (long long)learned);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0)
        return errno == EEXIST ? 0 : 1;
    close(fd);
    /* The markers of answers learned before are of no use any more. */
    DIR *d = opendir(dir);
    struct dirent *e;
    const char *mine = strrchr(path, '/') + 1;
    while (d && (e = readdir(d)))
        if (dcc_str_startswith(e->d_name, prefix) && strcmp(e->d_name, mine) != 0 &&
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
            unlink(path);
    if (d)
        closedir(d);
    return 1;
}

/* ---- -march=native ----------------------------------------------------------------- */

int dcc_fit_cpu_key(const char *cpuinfo, char *out, size_t outlen)
{
    static const char *const fields[] = {"vendor_id",       "cpu family", "model",
                                         "model name",      "stepping",   "flags",
                                         "CPU implementer", "CPU part",   "Features"};
    FILE *f = fopen(cpuinfo ? cpuinfo : "/proc/cpuinfo", "re");
    if (!f)
        return -1;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int seen = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (len == 1 && seen)
            break; /* the first processor's block is enough */
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            size_t flen = strlen(fields[i]);
            if (strncmp(line, fields[i], flen) == 0 &&
                (line[flen] == '\t' || line[flen] == ' ' || line[flen] == ':')) {
                for (ssize_t k = 0; k < len; k++)
                    h = (h ^ (unsigned char)line[k]) * 1099511628211ull;
                seen = 1;
            }
        }
    }
    free(line);
    fclose(f);
    if (!seen || outlen < 17)
        return -1;
    snprintf(out, outlen, "%016llx", (unsigned long long)h);
    return 0;
}

static json_t *strings_json(char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* A JSON array of strings as a NULL-terminated argv; NULL when not one. */
static char **strings_argv(const json_t *a)
{
    if (!json_is_array(a))
        return NULL;
    size_t n = json_array_size(a);
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        const json_t *e = json_array_get(a, i);
        if (!json_is_string(e) || !(v[i] = strdup(json_string_value(e)))) {
            dcc_argv_free(v);
            return NULL;
        }
    }
    return v;
}

static int native_from_json(const json_t *doc, struct dcc_march_native *r)
{
    const json_t *arch = json_object_get(doc, "arch"), *tune = json_object_get(doc, "tune");
    memset(r, 0, sizeof *r);
    if (!json_is_string(arch) || !(json_is_string(tune) || json_is_null(tune)))
        return -1;
    r->arch = strdup(json_string_value(arch));
    r->tune = json_is_string(tune) ? strdup(json_string_value(tune)) : NULL;
    r->mflags = strings_argv(json_object_get(doc, "mflags"));
    r->params = strings_argv(json_object_get(doc, "params"));
    if (!r->arch || (json_is_string(tune) && !r->tune) || !r->mflags || !r->params) {
        dcc_march_native_free(r);
        return -1;
    }
    return 0;
}

int dcc_fit_native(const char *path, const char *distcc_dir, struct dcc_march_native *reduced,
                   char *err, size_t errlen)
{
    char key[PATH_MAX + 100], cpu[32], stem[PATH_MAX], file[PATH_MAX], why[300];
    memset(reduced, 0, sizeof *reduced);
    if (*path != '/' || compiler_key(path, key, sizeof key) != 0) {
        dcc_set_err(err, errlen, "cannot read the compiler %s", path);
        return DCC_MARCH_CC_MISSING;
    }
    int keep = dcc_fit_cpu_key(NULL, cpu, sizeof cpu) == 0;
    snprintf(stem, sizeof stem, "%s", path + 1);
    for (char *c = stem; *c; c++)
        if (*c == '/')
            *c = '_';
    keep = keep && kept_path(distcc_dir, DCC_FIT_NATIVE_SUBDIR, stem, file, sizeof file, why,
                             sizeof why) == 0;
    json_t *kept = keep ? read_json(file) : NULL;
    const json_t *k = json_object_get(kept, "key"), *c = json_object_get(kept, "cpu");
    int hit = json_is_string(k) && strcmp(json_string_value(k), key) == 0 && json_is_string(c) &&
              strcmp(json_string_value(c), cpu) == 0 && native_from_json(kept, reduced) == 0;
    json_decref(kept);
    if (hit)
        return DCC_MARCH_OK;
    struct dcc_march_cc cc;
    int rc = dcc_march_cc_init(&cc, path, DCC_MARCH_DEFAULT_TIMEOUT_MS, err, errlen);
    if (rc != DCC_MARCH_OK)
        return rc;
    rc = dcc_march_expand(&cc, reduced, err, errlen);
    dcc_march_cc_free(&cc);
    if (rc != DCC_MARCH_OK || !keep)
        return rc;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o}", "key", key, "cpu", cpu, "arch",
                            reduced->arch, "tune", reduced->tune, "mflags",
                            strings_json(reduced->mflags), "params", strings_json(reduced->params));
    if (doc)
        write_json(file, doc);
    json_decref(doc);
    return DCC_MARCH_OK;
}
