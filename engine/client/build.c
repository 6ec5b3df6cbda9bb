/* The client's decision: which helper runs a job, and when to build locally. */
#include "client.h"
#include "slots.h"

#include "proto/dcc_args.h"
#include "client/dcc_exec.h"
#include "client/dcc_hostcaps.h"
#include "base/dcc_exit.h"
#include "client/dcc_incscan.h"
#include "base/dcc_log.h"
#include "client/dcc_net.h"
#include "client/dcc_paths.h"
#include "client/dcc_remote.h"
#include "base/dcc_util.h"
#include "proto/dcc_whitelist.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void write_out(int fd, const struct dcc_buf *b)
{
    size_t off = 0;
    while (b->data && off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n <= 0)
            return;
        off += (size_t)n;
    }
}

/* Runs the user's command here, in a local slot. argv[0] is resolved past
 * the masquerade directory so the compiler does not come back into distcc. */
static int build_locally_in(struct client *cl, const char *file, const char *why,
                            struct dcc_slot *held)
{
    char **argv = cl->local_argv;
    char real[PATH_MAX], err[512];
    if (!strchr(argv[0], '/')) {
        if (dcc_whitelist_find_compiler(argv[0], getenv("PATH"), NULL, real, sizeof real, err,
                                        sizeof err) != 0) {
            dcc_error("%s", err);
            if (held)
                dcc_slots_release(held);
            return DCC_EXIT_COMPILER_MISSING;
        }
        dcc_argv_set(argv, 0, real);
    }
    struct dcc_slot slot;
    if (held)
        slot = *held; /* the localhost slot picked from the host list */
    else
        dcc_slots_acquire_local(cl, &slot);
    dcc_slots_state(cl, DCC_PHASE_COMPILE, file, "localhost", slot.index);
    if (dcc_log_get_level() >= DCC_LOG_DEBUG) {
        char *line = dcc_argv_join(argv);
        dcc_debug("running %s locally (slot %d): %s", file, slot.index, line ? line : argv[0]);
        free(line);
    }
    int status;
    int rc = dcc_exec_run(argv, -1, -1, &status, err, sizeof err);
    dcc_slots_release(&slot);
    if (rc) {
        dcc_error("%s", err);
        return rc;
    }
    dcc_info("job %s: built locally (%s), exit %d", file, why, dcc_exec_exit_code(status));
    return dcc_exec_exit_code(status);
}

static int build_locally(struct client *cl, const char *file, const char *why)
{
    return build_locally_in(cl, file, why, NULL);
}

/* The monitor's view of a remote job, told by dcc_remote as it goes. */
static void note_phase(void *ctx, int phase)
{
    dcc_slots_state(ctx, (enum dcc_phase)phase, NULL, NULL, -1);
}

/* Pump mode for one job: decided once, before the first ",cpp,lzo" helper
 * is tried; any doubt means the job goes as protocol 2 with local cpp. */
struct pump_job {
    int decided, usable;
    struct dcc_inc_list files;
    char cwd[PATH_MAX];
    char *deps_file;
    char why[700];
};

static void discrepancy_path(const struct client *cl, char *buf, size_t len)
{
    snprintf(buf, len, "%s/discrepancy_counter", cl->pump_dir);
}

/* How many jobs of this build failed on a pump helper but compiled here: one
 * '@' each, as stock distcc keeps it. */
static long discrepancies(const struct client *cl)
{
    char path[PATH_MAX];
    struct stat st;
    discrepancy_path(cl, path, sizeof path);
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static void add_discrepancy(const struct client *cl, const char *file)
{
    char path[PATH_MAX];
    discrepancy_path(cl, path, sizeof path);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || write(fd, "@", 1) != 1)
        dcc_warn("cannot count the pump discrepancy of %s in %s: %s", file, path, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (discrepancies(cl) >= cl->max_discrepancy)
        dcc_warn(
            "%ld jobs failed in pump mode but compiled here (DISTCC_MAX_DISCREPANCY=%d): pump mode is off "
            "for the rest of this build",
            discrepancies(cl), cl->max_discrepancy);
}

/* The file list for pump mode, or why this job cannot use it. */
static void pump_decide(struct client *cl, char **argv, const struct dcc_scan *scan,
                        const char *compiler, struct pump_job *p)
{
    p->decided = 1;
    char **sysdirs = NULL;
    if (!cl->pump_dir) {
        snprintf(p->why, sizeof p->why, "not run under pump (INCLUDE_SERVER_PORT is unset)");
        return;
    }
    if (scan->preprocessed) {
        snprintf(p->why, sizeof p->why, "the source is preprocessed already");
        return;
    }
    if (scan->deps_from_wp) {
        snprintf(p->why, sizeof p->why, "-Wp,-MD and -Wp,-MMD are not sent in pump mode");
        return;
    }
    long n = discrepancies(cl);
    if (n >= cl->max_discrepancy) {
        snprintf(p->why, sizeof p->why,
                 "%ld jobs of this build failed in pump mode but compiled here "
                 "(DISTCC_MAX_DISCREPANCY=%d)",
                 n, cl->max_discrepancy);
        return;
    }
    if (!getcwd(p->cwd, sizeof p->cwd)) {
        snprintf(p->why, sizeof p->why, "cannot get the working directory: %s", strerror(errno));
        return;
    }
    errno = 0;
    p->deps_file = dcc_args_deps_file(argv, scan);
    if (!p->deps_file && errno == ENOMEM) {
        snprintf(p->why, sizeof p->why, "out of memory");
        return;
    }
    if (p->deps_file && strcmp(p->deps_file, "-") == 0) {
        /* gcc writes that .d to stdout; the helper's comes back as a file. */
        snprintf(p->why, sizeof p->why, "-MF - (dependencies on stdout) is not sent in pump mode");
        return;
    }
    char err[600];
    if (dcc_incscan_sysdirs(compiler, argv, cl->pump_dir, &sysdirs, err, sizeof err) != 0) {
        snprintf(p->why, sizeof p->why, "%s", err);
        return;
    }
    char *predefs = NULL; /* without them the scan only knows less */
    if (dcc_incscan_predefs(compiler, argv, cl->pump_dir, &predefs, err, sizeof err) != 0)
        dcc_debug("pump mode scans %s without the compiler's macros: %s", scan->input, err);
    int rc = dcc_incscan_run(argv, scan, p->cwd, sysdirs, predefs, cl->pump_dir, &p->files, err,
                             sizeof err);
    free(predefs);
    dcc_argv_free(sysdirs);
    if (rc != 0) {
        snprintf(p->why, sizeof p->why, "%s", rc < 0 ? "out of memory" : err);
        return;
    }
    p->usable = 1;
}

/* Whether host keeps a header cache for pump jobs: its CAPS answer, asked
 * once per DISTCC_HELPER_TTL (only pump jobs ask). */
static int pump_hcache(struct client *cl, const struct dcc_host *host)
{
    struct dcc_hostcaps_opts o = dcc_client_hostcaps_opts(cl);
    struct dcc_hostcaps caps;
    char err[600];
    if (dcc_hostcaps_get(host, &o, &caps, err, sizeof err) != 0) {
        dcc_debug("no header cache on %s: %s", host->hostname, err);
        return 0;
    }
    int use = dcc_hostcaps_usable(&caps, DCC_FEAT_HCACHE) != 0;
    dcc_hostcaps_free(&caps);
    return use;
}

static void pump_free(struct pump_job *p)
{
    dcc_inc_list_free(&p->files);
    free(p->deps_file);
}

/* The name a job goes by in the log: its source, else what it makes (a
 * link: its -o, or a.out), else "(no input)" (gcc --version). */
static void job_name(char **argv, const char *source, char *buf, size_t len)
{
    const char *out = NULL;
    int objects = 0;
    for (size_t i = 1; argv[i]; i++) {
        if (strcmp(argv[i], "-o") == 0 && argv[i + 1])
            out = argv[++i];
        else if (dcc_str_startswith(argv[i], "-o") && argv[i][2])
            out = argv[i] + 2;
        else if (argv[i][0] != '-' && dcc_args_is_object(argv[i]))
            objects = 1;
    }
    if (source)
        snprintf(buf, len, "%s", base_name(source));
    else if (out || objects)
        snprintf(buf, len, "%s", base_name(out ? out : "a.out"));
    else
        snprintf(buf, len, "(no input)");
}

/* DISTCC_SAVE_TEMPS: the helper's stderr is kept beside the .i, in TMPDIR
 * as distcc_server_stderr_*.txt (stock's name), after one line saying
 * which source and helper it came from. */
static void keep_server_stderr(const struct client *cl, const char *file, const char *source,
                               const char *hostname, const struct dcc_remote_result *res)
{
    char path[PATH_MAX], cwd[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/distcc_server_stderr_XXXXXX.txt", cl->tmpdir);
    if (n < 0 || (size_t)n >= sizeof path) {
        dcc_warn("cannot keep the helper's stderr for %s: TMPDIR %s is too long", file, cl->tmpdir);
        return;
    }
    int fd = mkostemps(path, 4, O_CLOEXEC);
    if (fd < 0) {
        dcc_warn("cannot keep the helper's stderr for %s in %s: %s", file, cl->tmpdir,
                 strerror(errno));
        return;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        dcc_warn("cannot keep the helper's stderr for %s in %s: %s", file, path, strerror(errno));
        close(fd);
        unlink(path);
        return;
    }
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "?");
    fprintf(f, "# distcc: stderr of %s compiling %s (in %s), exit %d\n", hostname, source, cwd,
            dcc_exec_exit_code(res->status));
    if (res->serr.data && res->serr.len)
        fwrite(res->serr.data, 1, res->serr.len, f);
    if (fclose(f) != 0) {
        dcc_warn("cannot keep the helper's stderr for %s in %s: %s", file, path, strerror(errno));
        unlink(path);
        return;
    }
    dcc_info("kept the helper's stderr for %s in %s", file, path);
}

/* Where a job stands after one try: done (result set), try another helper,
 * build it here, or fail without building (DISTCC_FALLBACK=0). */
enum verdict { VERDICT_DONE, VERDICT_NEXT_HOST, VERDICT_LOCAL, VERDICT_FAIL };

/* One job across its tries. */
struct job {
    struct client *cl;
    char **argv;
    struct dcc_scan scan;
    char file[256];    /* its name in the log */
    char **cpp_source; /* argv with the real compiler, for cpp here */
    struct dcc_cpp cpp;
    int cpp_started;
    struct pump_job pump;
    struct dcc_remote_opts opts;
    int result;                 /* VERDICT_DONE: the exit code */
    int last_failure;           /* VERDICT_FAIL: the exit code */
    char why_local[700];        /* VERDICT_LOCAL and VERDICT_FAIL: why no helper built it */
    char remote_failed_on[600]; /* the helper whose compile failed, before a local retry */
    int failed_in_pump;
    struct dcc_slot local_slot; /* localhost picked from the host list */
    int local_slot_held;
};

/* When no helper may help: fall back or fail, by DISTCC_FALLBACK. */
static enum verdict local_or_fail(const struct client *cl)
{
    return cl->fallback ? VERDICT_LOCAL : VERDICT_FAIL;
}

/* Local or remote. 1 with *rc when the job is settled without a helper (it
 * must stay here, or the host list is bad or empty), 0 when cl->hosts has
 * hosts to try. */
static int settled_without_helpers(struct client *cl, const struct dcc_scan *scan, const char *file,
                                   int *rc)
{
    if (scan->local_only) {
        dcc_debug("%s must be built locally: %s", file, scan->why_local);
        /* Only for --localslots: a bad list is reported by distributed jobs. */
        dcc_slots_load_hosts(cl, 1);
        *rc = build_locally(cl, file, scan->why_local);
        return 1;
    }
    int loaded = dcc_slots_load_hosts(cl, 0);
    if (loaded != DCC_EXIT_BAD_HOSTSPEC && cl->hosts.n > 0)
        return 0;
    /* Stock's "can't distribute work" and "failed to distribute ...", which
     * admins grep for, then what to do about it. */
    if (loaded != DCC_EXIT_BAD_HOSTSPEC && cl->hosts_source == DCC_HOSTS_FROM_NONE) {
        if (cl->fallback)
            dcc_warn(
                "no hostlist is set; can't distribute work (set DISTCC_HOSTS, ~/.distcc/hosts or "
                "%s/distcc/hosts): building %s locally",
                DCC_SYSCONFDIR, file);
        else
            dcc_error(
                "no hostlist is set; can't distribute work (set DISTCC_HOSTS, ~/.distcc/hosts or "
                "%s/distcc/hosts), and DISTCC_FALLBACK=0 forbids building %s locally",
                DCC_SYSCONFDIR, file);
    } else if (!cl->fallback) {
        dcc_error("failed to distribute %s and fallbacks are disabled (DISTCC_FALLBACK=0): %s",
                  file, loaded ? "the host list is unusable" : "the host list names no hosts");
    } else {
        dcc_warn("failed to distribute %s, running locally instead", file);
    }
    if (!cl->fallback)
        *rc = loaded ? loaded : DCC_EXIT_NO_HOSTS;
    else
        *rc = build_locally(cl, file, loaded ? "bad host list" : "no hosts");
    return 1;
}

/* cpp runs here while dcc_remote_compile connects; its slot is dropped as
 * soon as it ends. Once per job, for the first helper without pump mode.
 * 0, or -1 when cpp could not start (then the job is not sent). */
static int start_cpp(struct job *j, const struct dcc_host *host, struct dcc_slot *slot)
{
    struct client *cl = j->cl;
    struct dcc_slot cslot;
    char err[600];
    dcc_slots_acquire_cpp(cl, &cslot);
    dcc_slots_state(cl, DCC_PHASE_CPP, j->file, host->hostname, slot->index);
    j->cpp.slot_fd = cslot.fd;
    /* gcc's cc1 without the driver, its line kept under $DISTCC_DIR/cc1. */
    char cc1_dir[4096];
    j->cpp.cc1_dir = cl->set.num[DCC_SET_CPP_DIRECT] &&
                             dcc_paths_make_subdir(NULL, "cc1", cc1_dir, sizeof cc1_dir, err,
                                                   sizeof err) == 0
                         ? cc1_dir
                         : NULL;
    int rc = dcc_cpp_start(j->cpp_source, &j->scan, cl->tmpdir, &j->cpp, err, sizeof err);
    j->cpp.cc1_dir = NULL;
    j->cpp_started = 1;
    if (!rc)
        return 0;
    dcc_cpp_finish(&j->cpp);
    dcc_slots_release(slot);
    dcc_warn("%s; building %s locally", err, j->file);
    snprintf(j->why_local, sizeof j->why_local, "cpp could not start");
    j->last_failure = rc;
    return -1;
}

/* What the helper's answer means for the job; res is freed by the caller. */
static enum verdict judge_answer(struct job *j, const struct dcc_host *host, const char *hostname,
                                 int pumped, struct dcc_remote_result *res)
{
    struct client *cl = j->cl;
    const char *file = j->file;
    if (res->outcome == DCC_REMOTE_CPP_FAILED) {
        /* The preprocessor's own errors are already on stderr. */
        j->result = dcc_exec_exit_code(res->status);
        return VERDICT_DONE;
    }
    if (res->outcome == DCC_REMOTE_LOCAL_ERROR) {
        if (cl->fallback)
            dcc_warn("%s; building %s locally", res->err, file);
        snprintf(j->why_local, sizeof j->why_local, "%s", res->err);
        j->last_failure = res->exit_code ? res->exit_code : DCC_EXIT_IO_ERROR;
        return local_or_fail(cl);
    }
    dcc_slots_backoff_clear(cl, host);
    if (cl->save_temps)
        keep_server_stderr(cl, file, j->scan.input ? j->scan.input : file, hostname, res);
    int code = dcc_exec_exit_code(res->status);
    const char *refusal = dcc_remote_refusal(&res->serr);
    if (res->status == 0) {
        write_out(2, &res->serr);
        write_out(1, &res->sout);
        dcc_info("job %s: compiled on %s", file, hostname);
        j->result = 0;
        return VERDICT_DONE;
    }
    if (refusal && cl->fallback) {
        /* Said once, so the admin learns why this helper did not help. A
         * refusal is no compile failure: DISTCC_SKIP_LOCAL_RETRY does not
         * keep the job from being built here. */
        size_t len = strcspn(refusal, "\n");
        dcc_warn("failed to distribute %s to %s, running locally instead: %.*s", file, hostname,
                 (int)len, refusal);
        snprintf(j->why_local, sizeof j->why_local, "refused by %s", hostname);
        return VERDICT_LOCAL;
    }
    if (code >= 1 && code <= 127 && !cl->skip_local_retry && cl->fallback) {
        /* Usually an ordinary compile error that the local run repeats;
         * finish_job says when it is not. */
        dcc_info("compile of %s on %s failed (exit %d), retrying locally", file, hostname, code);
        dcc_debug("the helper said: %s", res->serr.data ? res->serr.data : "");
        snprintf(j->why_local, sizeof j->why_local, "failed on %s", hostname);
        snprintf(j->remote_failed_on, sizeof j->remote_failed_on, "%s", hostname);
        j->failed_in_pump = pumped;
        dcc_info("job %s: failed on %s, built locally", file, hostname);
        return VERDICT_LOCAL;
    }
    write_out(2, &res->serr);
    write_out(1, &res->sout);
    dcc_info("job %s: failed on %s, exit %d", file, hostname, code);
    j->result = code;
    return VERDICT_DONE;
}

/* What a ,zstd host (the way a host of ours is named) gets of want: zstd
 * and directives-only source when it is a helper of ours that offers them
 * (asked once, then kept); a stock one gets LZO and gcc -E, as ,lzo would. */
static unsigned helper_features(struct client *cl, const struct dcc_host *host,
                                const char *hostname, unsigned want)
{
    if (!host->compress_zstd || host->mode == DCC_HOST_LOCAL || !want)
        return 0;
    struct dcc_hostcaps_opts o = dcc_client_hostcaps_opts(cl);
    struct dcc_hostcaps caps;
    char err[600], names[64];
    dcc_caps_feature_list(want, names, sizeof names);
    if (dcc_hostcaps_get(host, &o, &caps, err, sizeof err) != 0) {
        dcc_debug("%s: not using %s: %s", hostname, names, err);
        return 0;
    }
    unsigned feats = dcc_hostcaps_usable(&caps, want);
    dcc_caps_feature_list(want & ~feats, names, sizeof names);
    if (want & ~feats)
        dcc_debug("%s: not using %s: %s", hostname, names,
                  caps.ours ? "the helper does not offer it" : "the helper is a stock distccd");
    dcc_hostcaps_free(&caps);
    return feats;
}

/* Whether this job's cpp could leave macros to the helper: gcc's
 * -fdirectives-only (clang has no such output), unless turned off. */
static int directives_possible(const struct job *j)
{
    const char *cc = base_name(j->cpp_source[0]);
    return j->cl->set.num[DCC_SET_DIRECTIVES_ONLY] && !j->scan.preprocessed && !strstr(cc, "clang");
}

/* One try: the job on the host dcc_slots_pick chose, in *slot. */
static enum verdict try_host(struct job *j, const struct dcc_host *host, struct dcc_slot *slot)
{
    struct client *cl = j->cl;
    if (host->mode == DCC_HOST_LOCAL) {
        /* Kept for the local compile, so localhost/N holds. */
        j->local_slot = *slot;
        j->local_slot_held = 1;
        snprintf(j->why_local, sizeof j->why_local, "localhost was chosen");
        return VERDICT_LOCAL;
    }
    char hostname[600];
    dcc_hosts_format(host, hostname, sizeof hostname);
    if (host->protover == 3 && !j->pump.decided) {
        pump_decide(cl, j->argv, &j->scan, j->cpp_source[0], &j->pump);
        if (!j->pump.usable)
            dcc_info("%s goes to %s without pump mode: %s", j->file, hostname, j->pump.why);
        if (cl->pump_dir)
            dcc_incscan_record(cl->pump_dir, j->pump.usable ? NULL : j->pump.why);
    }
    int pumped = host->protover == 3 && j->pump.usable;
    unsigned feats = helper_features(
        cl, host, hostname,
        DCC_FEAT_ZSTD | (!pumped && directives_possible(j) ? DCC_FEAT_DIRECTIVES : 0));
    /* A directives-only source kept from an earlier try is of no use to a
     * helper without the feature: preprocess again, in full. */
    if (j->cpp_started && j->cpp.directives_only && !(feats & DCC_FEAT_DIRECTIVES)) {
        dcc_cpp_cleanup(&j->cpp, 0);
        j->cpp_started = 0;
    }
    if (!j->cpp_started && !pumped) {
        j->cpp.directives_only = (feats & DCC_FEAT_DIRECTIVES) != 0;
        if (start_cpp(j, host, slot) != 0)
            return local_or_fail(cl);
    }
    if (pumped || !j->cpp.directives_only)
        feats &= ~DCC_FEAT_DIRECTIVES;
    dcc_slots_state(cl, DCC_PHASE_CONNECT, j->file, host->hostname, slot->index);
    j->opts.features = feats;
    j->opts.zstd_level = host->zstd_level ? host->zstd_level : (int)cl->set.num[DCC_SET_ZSTD_LEVEL];
    const char *wire = j->opts.features & DCC_FEAT_ZSTD ? "zstd" : "lzo";
    dcc_debug("connecting to %s for %s (%s%s%s)", hostname, j->file,
              pumped                ? "protocol 3, pump mode, "
              : host->protover >= 2 ? "protocol 2, "
                                    : "protocol 1",
              host->protover >= 2 ? wire : "",
              feats & DCC_FEAT_DIRECTIVES ? ", directives-only" : "");
    struct dcc_remote_result res;
    if (pumped) {
        struct dcc_pump_request req = {.files = &j->pump.files,
                                       .cwd = j->pump.cwd,
                                       .deps_file = j->pump.deps_file,
                                       .hcache = pump_hcache(cl, host),
                                       .digest_dir = cl->pump_dir};
        dcc_remote_compile_pump(j->argv, &j->scan, host, &req, &j->opts, &res);
        /* Asked again next time: it may no longer be the helper it was. */
        if (req.hcache && res.outcome == DCC_REMOTE_HOST_FAILED)
            dcc_hostcaps_forget(host, NULL);
    } else {
        dcc_remote_compile(j->argv, &j->scan, host, &j->cpp, &j->opts, &res);
    }
    enum verdict v;
    if (res.outcome == DCC_REMOTE_HOST_FAILED) {
        /* Backed off before its slot is freed, so no waiting job takes the
         * slot and fails the same way. */
        dcc_slots_backoff(cl, host);
        dcc_slots_release(slot);
        /* It may have been replaced by a distccd without the feature: ask
         * again next time. */
        if (j->opts.features)
            dcc_hostcaps_forget(host, NULL);
        if (dcc_slots_helper_left(cl))
            dcc_warn("failed to distribute %s to %s (%s), trying another helper", j->file, hostname,
                     res.err);
        else if (cl->fallback)
            dcc_warn("failed to distribute %s to %s (%s), running locally instead", j->file,
                     hostname, res.err);
        else
            dcc_warn("failed to distribute %s to %s (%s)", j->file, hostname, res.err);
        j->last_failure = res.exit_code ? res.exit_code : DCC_EXIT_DISTCC_FAILED;
        v = VERDICT_NEXT_HOST;
    } else {
        dcc_slots_release(slot);
        v = judge_answer(j, host, hostname, pumped, &res);
    }
    dcc_remote_result_free(&res);
    return v;
}

/* After the last try: cpp's files, then a local build or the failure. */
static int finish_job(struct job *j, enum verdict v)
{
    struct client *cl = j->cl;
    dcc_cpp_cleanup(&j->cpp, cl->save_temps);
    if (cl->save_temps && j->cpp.path[0] && !j->scan.preprocessed)
        dcc_info("kept the preprocessed source of %s in %s", j->file, j->cpp.path);
    dcc_argv_free(j->cpp_source);
    pump_free(&j->pump);
    if (v == VERDICT_FAIL) {
        dcc_error("failed to distribute %s and fallbacks are disabled (DISTCC_FALLBACK=0): %s",
                  j->file, j->why_local);
        j->result = j->last_failure;
    } else if (v == VERDICT_LOCAL) {
        /* localhost from the host list is a choice, not a fallback. */
        j->result = build_locally_in(cl, j->file, j->why_local,
                                     j->local_slot_held ? &j->local_slot : NULL);
        j->local_slot_held = 0;
        if (j->result == 0 && j->failed_in_pump) {
            dcc_warn(
                "%s failed in pump mode on %s but compiled here: counted as a pump discrepancy",
                j->file, j->remote_failed_on);
            add_discrepancy(cl, j->file);
        } else if (j->result == 0 && j->remote_failed_on[0])
            dcc_warn(
                "%s failed on %s but compiled here: the helper's compiler or binutils differ from this "
                "machine's (distcc-preflight compares them)",
                j->file, j->remote_failed_on);
    }
    if (j->local_slot_held)
        dcc_slots_release(&j->local_slot);
    dcc_slots_state(cl, DCC_PHASE_DONE, NULL, NULL, -1);
    return j->result;
}

/* The argv cpp runs here: the real compiler, not a masquerade link. */
static char **cpp_argv(const struct client *cl, char **argv)
{
    char **cpp_source = dcc_argv_dup(argv);
    char real[PATH_MAX], err[600];
    if (!cpp_source)
        return NULL;
    if (!strchr(cl->local_argv[0], '/') &&
        dcc_whitelist_find_compiler(cl->local_argv[0], getenv("PATH"), NULL, real, sizeof real, err,
                                    sizeof err) == 0)
        dcc_argv_set(cpp_source, 0, real);
    else
        dcc_argv_set(cpp_source, 0, cl->local_argv[0]);
    return cpp_source;
}

int dcc_client_build(struct client *cl, char ***argvp)
{
    struct job j;
    char err[600];
    j = (struct job){.cl = cl,
                     .cpp = {.path = "", .slot_fd = -1},
                     .result = -1,
                     .last_failure = DCC_EXIT_NO_HOSTS,
                     .why_local = "no helper could take it",
                     .local_slot = {.fd = -1}};
    /* Sent as explicit flags, to helpers whose toolchain is known to fit. */
    char native_why[sizeof j.scan.why_local];
    int native = dcc_client_expand_native(cl, argvp, native_why, sizeof native_why);
    if (dcc_args_scan(argvp, &j.scan, err, sizeof err) != 0) {
        dcc_error("%s", err);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    if (native < 0 && j.scan.local_only)
        snprintf(j.scan.why_local, sizeof j.scan.why_local, "%s", native_why);
    char **argv = j.argv = *argvp;
    const char *named = j.scan.input;
    for (size_t i = 1; !named && argv[i]; i++)
        if (argv[i][0] != '-' && dcc_args_is_source(argv[i]) &&
            !(i > 1 && strcmp(argv[i - 1], "-o") == 0))
            named = argv[i]; /* the scan stopped at a local-only option */
    job_name(argv, named, j.file, sizeof j.file);
    dcc_slots_init(cl);
    dcc_slots_state(cl, DCC_PHASE_STARTUP, j.file, "", 0);

    int rc;
    if (settled_without_helpers(cl, &j.scan, j.file, &rc)) {
        dcc_slots_done(cl);
        return rc;
    }
    j.cpp_source = cpp_argv(cl, argv);
    if (!j.cpp_source) {
        dcc_error("out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    char fit_why[700];
    if (dcc_client_fit_hosts(cl, j.file, base_name(argv[0]), j.cpp_source[0], native > 0,
                             &j.last_failure, fit_why, sizeof fit_why) == 0 &&
        fit_why[0]) {
        dcc_info("%s is built here: %s", j.file, fit_why);
        snprintf(j.why_local, sizeof j.why_local, "%s", fit_why);
    }
    j.opts = (struct dcc_remote_opts){
        .io_timeout_ms = cl->io_timeout_ms,
        .net = {.timeout_ms = DCC_CONNECT_TIMEOUT_MS,
                .ssh_command = cl->set.str[DCC_SET_SSH],
                .principal = cl->set.str[DCC_SET_PRINCIPAL]},
        .tcp_cork = cl->tcp_cork,
        .phase = note_phase,
        .phase_ctx = cl,
    };
    enum verdict v = VERDICT_NEXT_HOST;
    while (v == VERDICT_NEXT_HOST) {
        struct dcc_slot slot;
        const struct dcc_host *host = dcc_slots_pick(cl, &slot, j.file);
        /* None left: every helper failed this job or is backed off. */
        v = host ? try_host(&j, host, &slot) : local_or_fail(cl);
    }
    rc = finish_job(&j, v);
    dcc_slots_done(cl);
    return rc;
}

struct dcc_hostcaps_opts dcc_client_hostcaps_opts(const struct client *cl)
{
    return (struct dcc_hostcaps_opts){
        .distcc_dir = NULL,
        .ttl_s = cl->set.num[DCC_SET_HELPER_TTL],
        .io_timeout_ms = cl->io_timeout_ms,
        .net = {.timeout_ms = DCC_CONNECT_TIMEOUT_MS,
                .ssh_command = cl->set.str[DCC_SET_SSH],
                .principal = cl->set.str[DCC_SET_PRINCIPAL]},
    };
}

int dcc_client_scan_includes(struct client *cl, char ***argvp)
{
    struct dcc_scan scan;
    char err[600], real[PATH_MAX];
    if (dcc_args_scan(argvp, &scan, err, sizeof err) != 0) {
        dcc_error("%s", err);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    char **argv = *argvp;
    if (scan.local_only) {
        dcc_error("this command is not distributed, so nothing would be sent: %s", scan.why_local);
        return DCC_EXIT_BAD_ARGUMENTS;
    }
    const char *compiler = argv[0];
    if (!strchr(compiler, '/')) {
        if (dcc_whitelist_find_compiler(compiler, getenv("PATH"), NULL, real, sizeof real, err,
                                        sizeof err) != 0) {
            dcc_error("%s", err);
            return DCC_EXIT_COMPILER_MISSING;
        }
        compiler = real;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        dcc_error("cannot get the working directory: %s", strerror(errno));
        return DCC_EXIT_IO_ERROR;
    }
    char **sysdirs = NULL;
    int rc = dcc_incscan_sysdirs(compiler, argv, cl->pump_dir, &sysdirs, err, sizeof err);
    if (rc) {
        dcc_error("%s", err);
        return rc;
    }
    struct dcc_inc_list files = {0};
    char *predefs = NULL;
    if (dcc_incscan_predefs(compiler, argv, cl->pump_dir, &predefs, err, sizeof err) != 0)
        dcc_warn("scanning without the compiler's macros: %s", err);
    rc = dcc_incscan_run(argv, &scan, cwd, sysdirs, predefs, cl->pump_dir, &files, err, sizeof err);
    free(predefs);
    dcc_argv_free(sysdirs);
    if (rc) {
        dcc_error("pump mode would not be used for %s: %s", scan.input,
                  rc < 0 ? "out of memory" : err);
        dcc_inc_list_free(&files);
        return rc < 0 ? DCC_EXIT_OUT_OF_MEMORY : DCC_EXIT_DISTCC_FAILED;
    }
    static const char *const kinds[] = {
        [DCC_INC_FILE] = "FILE", [DCC_INC_DIR] = "DIRECTORY", [DCC_INC_SYSTEMDIR] = "SYSTEMDIR"};
    for (size_t i = 0; i < files.n; i++)
        printf("%-9s %s\n", kinds[files.v[i].kind], files.v[i].path);
    dcc_inc_list_free(&files);
    return fflush(stdout) == 0 ? 0 : DCC_EXIT_IO_ERROR;
}
