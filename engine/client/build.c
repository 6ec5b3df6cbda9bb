/* The client's decision: which helper runs a job, and when to build locally. */
#include "client.h"
#include "slots.h"

#include "dcc_args.h"
#include "dcc_exec.h"
#include "dcc_exit.h"
#include "dcc_log.h"
#include "dcc_net.h"
#include "dcc_remote.h"
#include "dcc_util.h"
#include "dcc_whitelist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
static int build_locally(struct client *cl, const char *file, const char *why)
{
    char **argv = cl->local_argv;
    char real[PATH_MAX], err[512];
    if (!strchr(argv[0], '/')) {
        if (dcc_whitelist_find_compiler(argv[0], getenv("PATH"), NULL, real, sizeof real, err, sizeof err) != 0) {
            dcc_error("%s", err);
            return DCC_EXIT_COMPILER_MISSING;
        }
        dcc_argv_set(argv, 0, real);
    }
    struct dcc_slot slot;
    dcc_slots_acquire_local(cl, &slot);
    dcc_slots_state(cl, DCC_PHASE_COMPILE, file, "localhost", slot.index);
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
    snprintf(file, sizeof file, "%s", named ? base_name(named) : "-");
    dcc_slots_init(cl);
    dcc_slots_state(cl, DCC_PHASE_STARTUP, file, "", 0);

    if (scan.local_only) {
        dcc_debug("%s must be built locally: %s", file, scan.why_local);
        int rc = build_locally(cl, file, scan.why_local);
        dcc_slots_done(cl);
        return rc;
    }
    int rc = dcc_slots_load_hosts(cl);
    if (rc == DCC_EXIT_BAD_HOSTSPEC || cl->hosts.n == 0) {
        if (rc != DCC_EXIT_BAD_HOSTSPEC && cl->hosts_source == DCC_HOSTS_FROM_NONE)
            dcc_warn("no hosts are configured (set DISTCC_HOSTS, ~/.distcc/hosts or %s/distcc/hosts); building %s locally",
                     DCC_SYSCONFDIR, file);
        if (!cl->fallback) {
            dcc_error("DISTCC_FALLBACK=0: not building %s locally", file);
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
    int cpp_started = 0, result = -1, last_failure = DCC_EXIT_NO_HOSTS;
    char why_local[700] = "no helper could take it";
    char remote_failed_on[600] = "";
    struct dcc_remote_opts opts = {
        .io_timeout_ms = cl->io_timeout_ms,
        .connect_timeout_ms = DCC_CONNECT_TIMEOUT_MS,
        .tcp_cork = cl->tcp_cork,
    };
    for (;;) {
        struct dcc_slot slot;
        const struct dcc_host *host = dcc_slots_pick(cl, &slot, file);
        if (!host)
            break; /* every helper failed or is backed off */
        if (host->mode == DCC_HOST_LOCAL) {
            dcc_slots_release(&slot);
            snprintf(why_local, sizeof why_local, "localhost was chosen");
            break;
        }
        char hostname[600];
        dcc_hosts_format(host, hostname, sizeof hostname);
        if (!cpp_started) {
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
        dcc_slots_state(cl, DCC_PHASE_COMPILE, file, host->hostname, slot.index);
        struct dcc_remote_result res;
        dcc_remote_compile(argv, &scan, host, &cpp, &opts, &res);
        dcc_slots_state(cl, DCC_PHASE_RECEIVE, file, host->hostname, slot.index);

        if (res.outcome == DCC_REMOTE_HOST_FAILED) {
            /* Backed off before its slot is freed, so no waiting job takes
             * the slot and fails the same way. */
            dcc_slots_backoff(cl, host);
            dcc_slots_release(&slot);
            dcc_warn("%s failed for %s: %s; trying elsewhere", hostname, file, res.err);
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
        int code = dcc_exec_exit_code(res.status);
        const char *refusal = dcc_remote_refusal(&res.serr);
        if (res.status == 0) {
            write_out(2, &res.serr);
            write_out(1, &res.sout);
            dcc_info("job %s: compiled on %s", file, hostname);
            result = 0;
        } else if (refusal && !cl->skip_local_retry && cl->fallback) {
            /* Said once, so the admin learns why this helper did not help. */
            size_t len = strcspn(refusal, "\n");
            dcc_warn("%.*s; building %s locally", (int)len, refusal, file);
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
    if (result < 0) {
        if (!cl->fallback) {
            dcc_error("%s was not built: %s, and DISTCC_FALLBACK=0 forbids building it locally", file, why_local);
            result = last_failure;
        } else {
            result = build_locally(cl, file, why_local);
            if (result == 0 && remote_failed_on[0])
                dcc_warn("%s failed on %s but compiled here: the helper's compiler or binutils differ from this "
                         "machine's (distcc-preflight compares them)", file, remote_failed_on);
        }
    }
    dcc_slots_done(cl);
    return result;
}
