/* The client's decision: which helper runs a job, and when to build locally. */
#include "client.h"
#include "slots.h"

#include "proto/dcc_args.h"
#include "client/dcc_exec.h"
#include "base/dcc_exit.h"
#include "client/dcc_incscan.h"
#include "base/dcc_log.h"
#include "client/dcc_net.h"
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
static int build_locally_in(struct client *cl, const char *file, const char *why, struct dcc_slot *held)
{
    char **argv = cl->local_argv;
    char real[PATH_MAX], err[512];
    if (!strchr(argv[0], '/')) {
        if (dcc_whitelist_find_compiler(argv[0], getenv("PATH"), NULL, real, sizeof real, err, sizeof err) != 0) {
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
        dcc_warn("%ld jobs failed in pump mode but compiled here (DISTCC_MAX_DISCREPANCY=%d): pump mode is off "
                 "for the rest of this build", discrepancies(cl), cl->max_discrepancy);
}

/* The file list for pump mode, or why this job cannot use it. */
static void pump_decide(struct client *cl, char **argv, const struct dcc_scan *scan, const char *compiler,
                        struct pump_job *p)
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
        snprintf(p->why, sizeof p->why, "%ld jobs of this build failed in pump mode but compiled here "
                 "(DISTCC_MAX_DISCREPANCY=%d)", n, cl->max_discrepancy);
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
    int rc = dcc_incscan_run(argv, scan, p->cwd, sysdirs, &p->files, err, sizeof err);
    dcc_argv_free(sysdirs);
    if (rc != 0) {
        snprintf(p->why, sizeof p->why, "%s", rc < 0 ? "out of memory" : err);
        return;
    }
    p->usable = 1;
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
static void keep_server_stderr(const struct client *cl, const char *file, const char *source, const char *hostname,
                               const struct dcc_remote_result *res)
{
    char path[PATH_MAX], cwd[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/distcc_server_stderr_XXXXXX.txt", cl->tmpdir);
    if (n < 0 || (size_t)n >= sizeof path) {
        dcc_warn("cannot keep the helper's stderr for %s: TMPDIR %s is too long", file, cl->tmpdir);
        return;
    }
    int fd = mkostemps(path, 4, O_CLOEXEC);
    if (fd < 0) {
        dcc_warn("cannot keep the helper's stderr for %s in %s: %s", file, cl->tmpdir, strerror(errno));
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

int dcc_client_build(struct client *cl, char ***argvp)
{
    struct dcc_scan scan;
    char err[600];
    if (dcc_args_scan(argvp, &scan, err, sizeof err) != 0) {
        dcc_error("%s", err);
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    char **argv = *argvp;
    char file[256];
    const char *named = scan.input;
    for (size_t i = 1; !named && argv[i]; i++)
        if (argv[i][0] != '-' && dcc_args_is_source(argv[i]) && !(i > 1 && strcmp(argv[i - 1], "-o") == 0))
            named = argv[i]; /* the scan stopped at a local-only option */
    job_name(argv, named, file, sizeof file);
    dcc_slots_init(cl);
    dcc_slots_state(cl, DCC_PHASE_STARTUP, file, "", 0);

    if (scan.local_only) {
        dcc_debug("%s must be built locally: %s", file, scan.why_local);
        /* Only for --localslots: a bad list is reported by distributed jobs. */
        dcc_slots_load_hosts(cl, 1);
        int rc = build_locally(cl, file, scan.why_local);
        dcc_slots_done(cl);
        return rc;
    }
    int rc = dcc_slots_load_hosts(cl, 0);
    if (rc == DCC_EXIT_BAD_HOSTSPEC || cl->hosts.n == 0) {
        /* Stock's "can't distribute work" and "failed to distribute ...",
         * which admins grep for, then what to do about it. */
        if (rc != DCC_EXIT_BAD_HOSTSPEC && cl->hosts_source == DCC_HOSTS_FROM_NONE) {
            if (cl->fallback)
                dcc_warn("no hostlist is set; can't distribute work (set DISTCC_HOSTS, ~/.distcc/hosts or "
                         "%s/distcc/hosts): building %s locally", DCC_SYSCONFDIR, file);
            else
                dcc_error("no hostlist is set; can't distribute work (set DISTCC_HOSTS, ~/.distcc/hosts or "
                          "%s/distcc/hosts), and DISTCC_FALLBACK=0 forbids building %s locally", DCC_SYSCONFDIR,
                          file);
        } else if (!cl->fallback) {
            dcc_error("failed to distribute %s and fallbacks are disabled (DISTCC_FALLBACK=0): %s", file,
                      rc ? "the host list is unusable" : "the host list names no hosts");
        } else {
            dcc_warn("failed to distribute %s, running locally instead", file);
        }
        if (!cl->fallback) {
            dcc_slots_done(cl);
            return rc ? rc : DCC_EXIT_NO_HOSTS;
        }
        rc = build_locally(cl, file, rc ? "bad host list" : "no hosts");
        dcc_slots_done(cl);
        return rc;
    }

    /* The compiler that runs cpp here is the real one, not a masquerade link. */
    char **cpp_source = dcc_argv_dup(argv);
    char real[PATH_MAX];
    if (!cpp_source) {
        dcc_error("out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    if (!strchr(cl->local_argv[0], '/') &&
        dcc_whitelist_find_compiler(cl->local_argv[0], getenv("PATH"), NULL, real, sizeof real, err, sizeof err) == 0)
        dcc_argv_set(cpp_source, 0, real);
    else
        dcc_argv_set(cpp_source, 0, cl->local_argv[0]);

    struct dcc_cpp cpp = {.path = "", .slot_fd = -1};
    struct pump_job pump = {0};
    int failed_in_pump = 0;
    int cpp_started = 0, result = -1, last_failure = DCC_EXIT_NO_HOSTS;
    char why_local[700] = "no helper could take it";
    char remote_failed_on[600] = "";
    struct dcc_remote_opts opts = {
        .io_timeout_ms = cl->io_timeout_ms,
        .connect_timeout_ms = DCC_CONNECT_TIMEOUT_MS,
        .tcp_cork = cl->tcp_cork,
        .phase = note_phase,
        .phase_ctx = cl,
    };
    struct dcc_slot local_slot = {.fd = -1};
    int local_slot_held = 0;
    for (;;) {
        struct dcc_slot slot;
        const struct dcc_host *host = dcc_slots_pick(cl, &slot, file);
        if (!host)
            break; /* every helper failed or is backed off */
        if (host->mode == DCC_HOST_LOCAL) {
            /* Kept for the local compile, so localhost/N holds. */
            local_slot = slot;
            local_slot_held = 1;
            snprintf(why_local, sizeof why_local, "localhost was chosen");
            break;
        }
        char hostname[600];
        dcc_hosts_format(host, hostname, sizeof hostname);
        if (host->protover == 3 && !pump.decided) {
            pump_decide(cl, argv, &scan, cpp_source[0], &pump);
            if (!pump.usable)
                dcc_info("%s goes to %s without pump mode: %s", file, hostname, pump.why);
        }
        int pumped = host->protover == 3 && pump.usable;
        if (!cpp_started && !pumped) {
            struct dcc_slot cslot;
            dcc_slots_acquire_cpp(cl, &cslot);
            dcc_slots_state(cl, DCC_PHASE_CPP, file, host->hostname, slot.index);
            /* cpp runs while dcc_remote_compile connects; the cpp slot is
             * dropped as soon as cpp ends. */
            cpp.slot_fd = cslot.fd;
            rc = dcc_cpp_start(cpp_source, &scan, cl->tmpdir, &cpp, err, sizeof err);
            if (rc)
                dcc_cpp_finish(&cpp);
            cpp_started = 1;
            if (rc) {
                dcc_slots_release(&slot);
                dcc_warn("%s; building %s locally", err, file);
                snprintf(why_local, sizeof why_local, "cpp could not start");
                last_failure = rc;
                break;
            }
        }
        dcc_slots_state(cl, DCC_PHASE_CONNECT, file, host->hostname, slot.index);
        dcc_debug("connecting to %s for %s (%s)", hostname, file,
                  pumped ? "protocol 3, pump mode" : host->protover == 2 ? "protocol 2, lzo" : "protocol 1");
        struct dcc_remote_result res;
        if (pumped) {
            struct dcc_pump_request req = {.files = &pump.files, .cwd = pump.cwd, .deps_file = pump.deps_file};
            dcc_remote_compile_pump(argv, &scan, host, &req, &opts, &res);
        } else {
            dcc_remote_compile(argv, &scan, host, &cpp, &opts, &res);
        }

        if (res.outcome == DCC_REMOTE_HOST_FAILED) {
            /* Backed off before its slot is freed, so no waiting job takes
             * the slot and fails the same way. */
            dcc_slots_backoff(cl, host);
            dcc_slots_release(&slot);
            if (dcc_slots_helper_left(cl))
                dcc_warn("failed to distribute %s to %s (%s), trying another helper", file, hostname, res.err);
            else if (cl->fallback)
                dcc_warn("failed to distribute %s to %s (%s), running locally instead", file, hostname, res.err);
            else
                dcc_warn("failed to distribute %s to %s (%s)", file, hostname, res.err);
            last_failure = res.exit_code ? res.exit_code : DCC_EXIT_DISTCC_FAILED;
            dcc_remote_result_free(&res);
            continue;
        }
        dcc_slots_release(&slot);
        if (res.outcome == DCC_REMOTE_CPP_FAILED) {
            /* The preprocessor's own errors are already on stderr. */
            result = dcc_exec_exit_code(res.status);
            dcc_remote_result_free(&res);
            break;
        }
        if (res.outcome == DCC_REMOTE_LOCAL_ERROR) {
            if (cl->fallback)
                dcc_warn("%s; building %s locally", res.err, file);
            snprintf(why_local, sizeof why_local, "%s", res.err);
            last_failure = res.exit_code ? res.exit_code : DCC_EXIT_IO_ERROR;
            dcc_remote_result_free(&res);
            break;
        }
        dcc_slots_backoff_clear(cl, host);
        if (cl->save_temps)
            keep_server_stderr(cl, file, scan.input ? scan.input : file, hostname, &res);
        int code = dcc_exec_exit_code(res.status);
        const char *refusal = dcc_remote_refusal(&res.serr);
        if (res.status == 0) {
            write_out(2, &res.serr);
            write_out(1, &res.sout);
            dcc_info("job %s: compiled on %s", file, hostname);
            result = 0;
        } else if (refusal && cl->fallback) {
            /* Said once, so the admin learns why this helper did not help.
             * A refusal is no compile failure: DISTCC_SKIP_LOCAL_RETRY does
             * not keep the job from being built here. */
            size_t len = strcspn(refusal, "\n");
            dcc_warn("failed to distribute %s to %s, running locally instead: %.*s", file, hostname, (int)len,
                     refusal);
            snprintf(why_local, sizeof why_local, "refused by %s", hostname);
            dcc_remote_result_free(&res);
            break;
        } else if (code >= 1 && code <= 127 && !cl->skip_local_retry && cl->fallback) {
            /* Usually an ordinary compile error that the local run repeats;
             * see below for when it is not. */
            dcc_info("compile of %s on %s failed (exit %d), retrying locally", file, hostname, code);
            dcc_debug("the helper said: %s", res.serr.data ? res.serr.data : "");
            snprintf(why_local, sizeof why_local, "failed on %s", hostname);
            snprintf(remote_failed_on, sizeof remote_failed_on, "%s", hostname);
            failed_in_pump = pumped;
            dcc_info("job %s: failed on %s, built locally", file, hostname);
            dcc_remote_result_free(&res);
            break;
        } else {
            write_out(2, &res.serr);
            write_out(1, &res.sout);
            dcc_info("job %s: failed on %s, exit %d", file, hostname, code);
            result = code;
        }
        dcc_remote_result_free(&res);
        break;
    }
    dcc_cpp_cleanup(&cpp, cl->save_temps);
    if (cl->save_temps && cpp.path[0] && !scan.preprocessed)
        dcc_info("kept the preprocessed source of %s in %s", file, cpp.path);
    dcc_argv_free(cpp_source);
    pump_free(&pump);
    if (result < 0) {
        /* localhost from the host list is a choice, not a fallback. */
        if (!cl->fallback && !local_slot_held) {
            dcc_error("failed to distribute %s and fallbacks are disabled (DISTCC_FALLBACK=0): %s", file, why_local);
            result = last_failure;
        } else {
            result = build_locally_in(cl, file, why_local, local_slot_held ? &local_slot : NULL);
            local_slot_held = 0;
            if (result == 0 && failed_in_pump) {
                dcc_warn("%s failed in pump mode on %s but compiled here: counted as a pump discrepancy", file,
                         remote_failed_on);
                add_discrepancy(cl, file);
            } else if (result == 0 && remote_failed_on[0])
                dcc_warn("%s failed on %s but compiled here: the helper's compiler or binutils differ from this "
                         "machine's (distcc-preflight compares them)", file, remote_failed_on);
        }
    }
    if (local_slot_held)
        dcc_slots_release(&local_slot);
    dcc_slots_state(cl, DCC_PHASE_DONE, NULL, NULL, -1);
    dcc_slots_done(cl);
    return result;
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
        if (dcc_whitelist_find_compiler(compiler, getenv("PATH"), NULL, real, sizeof real, err, sizeof err) != 0) {
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
    rc = dcc_incscan_run(argv, &scan, cwd, sysdirs, &files, err, sizeof err);
    dcc_argv_free(sysdirs);
    if (rc) {
        dcc_error("pump mode would not be used for %s: %s", scan.input, rc < 0 ? "out of memory" : err);
        dcc_inc_list_free(&files);
        return rc < 0 ? DCC_EXIT_OUT_OF_MEMORY : DCC_EXIT_DISTCC_FAILED;
    }
    static const char *const kinds[] = {[DCC_INC_FILE] = "FILE", [DCC_INC_DIR] = "DIRECTORY",
                                        [DCC_INC_SYSTEMDIR] = "SYSTEMDIR"};
    for (size_t i = 0; i < files.n; i++)
        printf("%-9s %s\n", kinds[files.v[i].kind], files.v[i].path);
    dcc_inc_list_free(&files);
    return fflush(stdout) == 0 ? 0 : DCC_EXIT_IO_ERROR;
}
