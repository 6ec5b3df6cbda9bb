/* One compile on one helper, plain or LZO, with the object written atomically. */
#include "client/dcc_remote.h"

#include "client/dcc_cc1.h"
#include "proto/dcc_bulk.h"
#include "proto/dcc_caps.h"
#include "client/dcc_cleanup.h"
#include "client/dcc_exec.h"
#include "client/dcc_hcsend.h"
#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "client/dcc_net.h"
#include "client/dcc_output.h"
#include "client/dcc_state.h"
#include "proto/dcc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int dcc_cpp_start(char *const *argv, const struct dcc_scan *scan, const char *tmpdir,
                  struct dcc_cpp *cpp, char *err, size_t errlen)
{
    int slot_fd = cpp->slot_fd, directives_only = cpp->directives_only;
    const char *cc1_dir = cpp->cc1_dir;
    memset(cpp, 0, sizeof *cpp);
    cpp->slot_fd = slot_fd;
    cpp->directives_only = directives_only;
    cpp->cc1_dir = cc1_dir;
    if (scan->preprocessed) {
        snprintf(cpp->path, sizeof cpp->path, "%s", scan->input);
        return 0;
    }
    const char *ext = dcc_args_preproc_ext(scan->input);
    if (!ext)
        ext = ".i";
    int n = snprintf(cpp->path, sizeof cpp->path, "%s/distcc_XXXXXX%s", tmpdir, ext);
    if (n < 0 || (size_t)n >= sizeof cpp->path) {
        snprintf(err, errlen, "TMPDIR %s is too long", tmpdir);
        return DCC_EXIT_IO_ERROR;
    }
    int fd = mkostemps(cpp->path, (int)strlen(ext), O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file in %s: %s", tmpdir, strerror(errno));
        cpp->path[0] = '\0';
        return DCC_EXIT_IO_ERROR;
    }
    close(fd);
    cpp->owns_file = 1;
    dcc_cleanup_add_file(cpp->path);
    static const char *const directives[] = {"-fdirectives-only"};
    char **cpp_argv = dcc_args_cpp_argv(argv, scan, cpp->path);
    if (cpp_argv && directives_only && dcc_argv_insert(&cpp_argv, 1, directives, 1) != 0) {
        dcc_argv_free(cpp_argv);
        cpp_argv = NULL;
    }
    char **direct = cpp_argv && cc1_dir ? dcc_cc1_argv(cpp_argv, scan->input, cpp->path, cc1_dir)
                                        : NULL;
    if (direct && dcc_cc1_without_ours(direct, cpp_argv, &cpp->canon_argv) != 0) {
        dcc_argv_free(direct);
        direct = NULL;
    }
    if (direct) {
        dcc_argv_free(cpp_argv);
        cpp_argv = direct;
    }
    if (!cpp_argv) {
        snprintf(err, errlen, "out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    int rc = dcc_exec_spawn_group(cpp_argv, -1, -1, &cpp->pid, err, errlen);
    dcc_argv_free(cpp_argv);
    return rc;
}

/* cc1 again with gcc's default names for system headers, its messages
 * (the same as the first run's) dropped. */
static void rerun_canonical(struct dcc_cpp *cpp)
{
    char err[300];
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0 ||
        dcc_exec_spawn_group(cpp->canon_argv, -1, devnull, &cpp->pid, err, sizeof err) != 0 ||
        dcc_exec_wait(cpp->pid, &cpp->status) != 0)
        cpp->status = W_EXITCODE(DCC_EXIT_DISTCC_FAILED, 0);
    cpp->pid = 0;
    if (devnull >= 0)
        close(devnull);
}

int dcc_cpp_finish(struct dcc_cpp *cpp)
{
    if (cpp->pid > 0) {
        if (dcc_exec_wait(cpp->pid, &cpp->status) != 0)
            cpp->status = W_EXITCODE(DCC_EXIT_DISTCC_FAILED, 0);
        cpp->pid = 0;
        if (cpp->status == 0 && cpp->canon_argv && dcc_cc1_canon_differs(cpp->path))
            rerun_canonical(cpp);
    }
    dcc_argv_free(cpp->canon_argv);
    cpp->canon_argv = NULL;
    if (cpp->slot_fd >= 0) {
        close(cpp->slot_fd); /* closing drops the (OFD) lock */
        cpp->slot_fd = -1;
    }
    return cpp->status;
}

void dcc_cpp_cleanup(struct dcc_cpp *cpp, int keep)
{
    if (cpp->pid > 0) {
        kill(-cpp->pid, SIGTERM); /* its group: the driver and its cc1 */
        dcc_cpp_finish(cpp);
    }
    if (cpp->owns_file && !keep && cpp->path[0])
        unlink(cpp->path);
    if (cpp->owns_file)
        dcc_cleanup_forget_file(cpp->path);
    cpp->owns_file = 0;
}

void dcc_remote_result_free(struct dcc_remote_result *res)
{
    dcc_buf_free(&res->serr);
    dcc_buf_free(&res->sout);
}

const char *dcc_remote_refusal(const struct dcc_buf *serr)
{
    if (!serr->data)
        return NULL;
    /* Any line may hold the phrase (a compiler message quoting it); the
     * refusal is a line of its own that starts "distccd on ". */
    for (const char *m = strstr(serr->data, " refused this job: "); m;
         m = strstr(m + 1, " refused this job: ")) {
        const char *p = m;
        while (p > serr->data && p[-1] != '\n')
            p--;
        if (strncmp(p, "distccd on ", 11) == 0)
            return p;
    }
    return NULL;
}

static void note_phase(const struct dcc_remote_opts *opts, enum dcc_phase phase)
{
    if (opts->phase)
        opts->phase(opts->phase_ctx, (int)phase);
}

static void host_failed(struct dcc_remote_result *res, int code, const char *what, const char *why)
{
    res->outcome = DCC_REMOTE_HOST_FAILED;
    res->exit_code = code;
    snprintf(res->err, sizeof res->err, "%s: %s", what, why);
}

/* Receives DOTO (or DOTD) into out (dcc_output: a temporary beside the
 * file finally written, or a special file in place; out->fd is -1 when keep
 * is 0 and the body was dropped); dcc_output_commit puts it in place once
 * the whole reply is here, so an interrupted job never leaves a truncated or
 * lone file. */
static int receive_object(struct dcc_conn *c, enum dcc_compress how, const char *token,
                          const char *output, enum dcc_output_rule rule, int keep,
                          struct dcc_output *out, struct dcc_remote_result *res)
{
    out->fd = -1;
    out->tmp[0] = '\0';
    uint32_t len;
    int rc = dcc_wire_read_token(c, token, &len);
    if (rc) {
        host_failed(res, rc, "reading the object", c->err);
        return -1;
    }
    if (!keep) {
        /* A failed compile sends no object; drain whatever came. */
        rc = dcc_wire_discard(c, len);
        if (rc)
            host_failed(res, rc, "reading the reply", c->err);
        return rc ? -1 : 0;
    }
    rc = dcc_output_open(out, output, rule, res->err, sizeof res->err);
    if (rc) {
        res->outcome = DCC_REMOTE_LOCAL_ERROR;
        res->exit_code = rc;
        return -1;
    }
    rc = dcc_bulk_recv_body_fd(c, len, how, out->fd, NULL);
    if (rc == 0 && dcc_output_close(out, c->err, sizeof c->err) != 0)
        rc = DCC_EXIT_IO_ERROR;
    if (rc) {
        dcc_output_discard(out);
        if (c->local_fault) {
            /* Name the object: "cannot write file" alone does not say where. */
            const char *why = strrchr(c->err, ':');
            res->outcome = DCC_REMOTE_LOCAL_ERROR;
            res->exit_code = DCC_EXIT_IO_ERROR;
            snprintf(res->err, sizeof res->err, "cannot write %.300s: %.200s", output,
                     why ? why + 2 : c->err);
        } else {
            host_failed(res, rc, "reading the object", c->err);
        }
        return -1;
    }
    return 0;
}

/* Puts a received file in place; on failure removes its temporary. */
static int place_file(struct dcc_output *out, struct dcc_remote_result *res)
{
    int rc = dcc_output_commit(out, res->err, sizeof res->err);
    if (rc) {
        res->outcome = DCC_REMOTE_LOCAL_ERROR;
        res->exit_code = rc;
        return -1;
    }
    return 0;
}

/* A failure while we send or wait for the reply. A helper hangs up on
 * clients outside its --allow list without a word (it does not read
 * requests from strangers): the connection ends before any byte of a reply,
 * which gets a hint instead of the bare socket error. Over ssh there is no
 * --allow: the command that ssh runs ended instead. */
static void request_failed(struct dcc_remote_result *res, const struct dcc_host *host,
                           const struct dcc_conn *c, int rc, const char *what)
{
    char hint[400];
    if (rc == DCC_EXIT_TRUNCATED && c->bytes_in == 0 && host->mode == DCC_HOST_SSH) {
        snprintf(
            hint, sizeof hint,
            "ssh to %.100s ended without a reply (does \"ssh %.100s %.100s --inetd\" run there? see "
            "ssh's message above)",
            host->hostname, host->hostname, host->ssh_command ? host->ssh_command : "distccd");
        host_failed(res, rc, "no answer", hint);
    } else if (rc == DCC_EXIT_TRUNCATED && c->bytes_in == 0) {
        host_failed(
            res, rc, "no answer",
            "the helper closed the connection without a reply (is this machine in its --allow list? did "
            "the daemon stop?)");
    } else {
        host_failed(res, rc, what, c->err);
    }
}

/* DONE STAT SERR SOUT DOTO, and in protocol 3 DOTD after a success (into
 * deps_file, or dropped when that is NULL). */
/* Sending the request failed: on our side (a file we could not read: build
 * here), or on the helper's (try another). */
static void send_failed(struct dcc_remote_result *res, const struct dcc_host *host,
                        struct dcc_conn *c, int rc, const char *what)
{
    if (c->local_fault) {
        res->outcome = DCC_REMOTE_LOCAL_ERROR;
        res->exit_code = rc;
        snprintf(res->err, sizeof res->err, "%s", c->err);
    } else {
        request_failed(res, host, c, rc, what);
    }
}

static void read_reply(struct dcc_conn *c, const struct dcc_host *host, uint32_t ver,
                       enum dcc_compress how, const char *output, const char *deps_file,
                       const struct dcc_remote_opts *opts, struct dcc_remote_result *res)
{
    uint32_t done_ver, stat;
    note_phase(opts, DCC_PHASE_COMPILE);
    int rc = dcc_wire_read_token(c, DCC_TOK_DONE, &done_ver);
    if (rc) {
        request_failed(res, host, c, rc, "waiting for the result");
        return;
    }
    note_phase(opts, DCC_PHASE_RECEIVE);
    if (done_ver != ver) {
        host_failed(res, DCC_EXIT_PROTOCOL_ERROR, "reading the result",
                    "the helper answered in another protocol version");
        return;
    }
    rc = dcc_wire_read_token(c, DCC_TOK_STAT, &stat);
    char *body = NULL;
    size_t blen = 0;
    if (!rc)
        rc = dcc_bulk_recv_buf(c, DCC_TOK_SERR, how, &body, &blen);
    if (!rc) {
        dcc_buf_append(&res->serr, body, blen);
        free(body);
        body = NULL;
        rc = dcc_bulk_recv_buf(c, DCC_TOK_SOUT, how, &body, &blen);
    }
    if (!rc) {
        dcc_buf_append(&res->sout, body, blen);
        free(body);
    }
    if (rc) {
        host_failed(res, rc, "reading the result", c->err);
        return;
    }
    res->status = (int)stat;
    /* Both files arrive before either is in place, the object last: a reply
     * cut short, or a .d that cannot be written, leaves neither behind. */
    struct dcc_output obj = {.fd = -1}, deps = {.fd = -1};
    if (receive_object(c, how, DCC_TOK_DOTO, output, DCC_OUTPUT_OBJECT, stat == 0, &obj, res) != 0)
        return;
    if ((ver == 3 && stat == 0 &&
         receive_object(c, how, DCC_TOK_DOTD, deps_file, DCC_OUTPUT_DEPS, deps_file != NULL, &deps,
                        res) != 0) ||
        place_file(&deps, res) != 0 || place_file(&obj, res) != 0) {
        dcc_output_discard(&obj);
        return;
    }
    res->outcome = DCC_REMOTE_DONE;
}

void dcc_remote_compile(char *const *argv, const struct dcc_scan *scan, const struct dcc_host *host,
                        struct dcc_cpp *cpp, const struct dcc_remote_opts *opts,
                        struct dcc_remote_result *res)
{
    memset(res, 0, sizeof *res);
    struct dcc_transport t;
    note_phase(opts, DCC_PHASE_CONNECT);
    int rc = dcc_net_open(host, &opts->net, &t, res->err, sizeof res->err);
    if (rc) {
        res->outcome = DCC_REMOTE_HOST_FAILED;
        res->exit_code = rc;
        return;
    }
    struct dcc_conn c;
    dcc_conn_init(&c, t.in_fd, t.out_fd, opts->io_timeout_ms);
    uint32_t ver = (uint32_t)(host->protover >= 2 ? 2 : 1);
    unsigned feats = opts->features &
                     (ver >= 2 ? DCC_FEAT_ZSTD | DCC_FEAT_DIRECTIVES : DCC_FEAT_DIRECTIVES);
    enum dcc_compress how = dcc_bulk_how(ver, feats);
    c.zstd_level = opts->zstd_level;
    char **remote_argv = dcc_args_strip_local(argv);
    if (!remote_argv) {
        res->outcome = DCC_REMOTE_LOCAL_ERROR;
        res->exit_code = DCC_EXIT_OUT_OF_MEMORY;
        snprintf(res->err, sizeof res->err, "out of memory");
        dcc_net_close(&t);
        return;
    }
    if (opts->tcp_cork)
        dcc_wire_cork(t.out_fd, 1);
    /* The header and arguments go out while cpp still runs. */
    rc = dcc_wire_write_token(&c, DCC_TOK_DIST, dcc_caps_dist_value(ver, feats));
    if (!rc)
        rc = dcc_wire_write_argv(&c, remote_argv);
    dcc_argv_free(remote_argv);
    if (rc) {
        request_failed(res, host, &c, rc, "sending the request");
        goto out;
    }
    /* Flush the request now: a helper that starts the compiler as soon as it
     * has the arguments overlaps its start-up with our cpp. */
    if (opts->tcp_cork) {
        dcc_wire_cork(t.out_fd, 0);
        dcc_wire_cork(t.out_fd, 1);
    }
    if (cpp->pid > 0)
        note_phase(opts, DCC_PHASE_CPP);
    int cpp_status = dcc_cpp_finish(cpp);
    if (cpp_status != 0) {
        res->outcome = DCC_REMOTE_CPP_FAILED;
        res->status = cpp_status;
        goto out;
    }
    note_phase(opts, DCC_PHASE_SEND);
    rc = dcc_bulk_send_file(&c, DCC_TOK_DOTI, cpp->path, how);
    if (opts->tcp_cork)
        dcc_wire_cork(t.out_fd, 0);
    if (rc) {
        send_failed(res, host, &c, rc, "sending the source");
        goto out;
    }

    read_reply(&c, host, ver, how, scan->output, NULL, opts, res);
out:
    dcc_net_close(&t);
}

/* With pump->hcache a file goes as DGST, and its body only when the
 * helper's MISS asks for it (dcc_hcsend). */
static int send_pump_files(struct dcc_conn *c, const struct dcc_pump_request *pump, int cork,
                           enum dcc_compress how)
{
    const struct dcc_inc_list *files = pump->files;
    struct dcc_hcsend hs = {0};
    uint32_t n = 0;
    for (size_t i = 0; i < files->n; i++)
        n += files->v[i].kind != DCC_INC_SYSTEMDIR;
    int rc = dcc_wire_write_token(c, DCC_TOK_NFIL, n);
    for (size_t i = 0; i < files->n && !rc; i++) {
        const struct dcc_inc_entry *e = &files->v[i];
        if (e->kind == DCC_INC_FILE) {
            rc = dcc_wire_write_string(c, DCC_TOK_NAME, e->path);
            if (!rc && pump->hcache)
                rc = dcc_hcsend_file(c, &hs, e->path, pump->digest_dir);
            else if (!rc)
                rc = dcc_bulk_send_file(c, DCC_TOK_FILE, e->path, how);
        } else if (e->kind == DCC_INC_DIR) {
            char name[PATH_MAX];
            int len = snprintf(name, sizeof name, "%s/%s", strcmp(e->path, "/") ? e->path : "",
                               DCC_PUMP_DIR_PLACEHOLDER);
            if (len < 0 || (size_t)len >= sizeof name) {
                c->local_fault = 1;
                snprintf(c->err, sizeof c->err, "directory name %.200s... is too long", e->path);
                dcc_hcsend_free(&hs);
                return DCC_EXIT_IO_ERROR;
            }
            rc = dcc_wire_write_string(c, DCC_TOK_NAME, name);
            if (!rc)
                rc = dcc_bulk_send_buf(c, DCC_TOK_FILE, "", 0, how);
        }
    }
    if (!rc && pump->hcache)
        rc = dcc_hcsend_finish(c, &hs, cork, how);
    dcc_hcsend_free(&hs);
    return rc;
}

void dcc_remote_compile_pump(char *const *argv, const struct dcc_scan *scan,
                             const struct dcc_host *host, const struct dcc_pump_request *pump,
                             const struct dcc_remote_opts *opts, struct dcc_remote_result *res)
{
    memset(res, 0, sizeof *res);
    char **remote_argv = dcc_args_pump_argv(argv);
    if (!remote_argv) {
        res->outcome = DCC_REMOTE_LOCAL_ERROR;
        res->exit_code = DCC_EXIT_OUT_OF_MEMORY;
        snprintf(res->err, sizeof res->err, "out of memory");
        return;
    }
    struct dcc_transport t;
    note_phase(opts, DCC_PHASE_CONNECT);
    int rc = dcc_net_open(host, &opts->net, &t, res->err, sizeof res->err);
    if (rc) {
        dcc_argv_free(remote_argv);
        res->outcome = DCC_REMOTE_HOST_FAILED;
        res->exit_code = rc;
        return;
    }
    struct dcc_conn c;
    dcc_conn_init(&c, t.in_fd, t.out_fd, opts->io_timeout_ms);
    unsigned feats = opts->features & DCC_FEAT_ZSTD;
    enum dcc_compress how = dcc_bulk_how(3, feats);
    c.zstd_level = opts->zstd_level;
    if (opts->tcp_cork)
        dcc_wire_cork(t.out_fd, 1);
    note_phase(opts, DCC_PHASE_SEND);
    rc = dcc_wire_write_token(&c, DCC_TOK_DIST,
                              dcc_caps_dist_value(3, feats | (pump->hcache ? DCC_FEAT_HCACHE : 0)));
    if (!rc)
        rc = dcc_wire_write_string(&c, DCC_TOK_CDIR, pump->cwd);
    if (!rc)
        rc = dcc_wire_write_argv(&c, remote_argv);
    if (!rc)
        rc = send_pump_files(&c, pump, opts->tcp_cork, how);
    dcc_argv_free(remote_argv);
    if (opts->tcp_cork)
        dcc_wire_cork(t.out_fd, 0);
    if (rc) {
        send_failed(res, host, &c, rc, "sending the request");
    } else {
        read_reply(&c, host, 3, how, scan->output, pump->deps_file, opts, res);
    }
    dcc_net_close(&t);
}
