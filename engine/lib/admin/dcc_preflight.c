/* Preflight: the local fingerprint, parsing /toolchain answers, comparing and rendering rows. */
#include "admin/dcc_preflight.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/dcc_run.h"
#include "proto/dcc_toolchain.h"

static const char *const field_names[DCC_PF_NFIELDS] = {
    [DCC_PF_VERSION] = "version", [DCC_PF_TRIPLE] = "triple", [DCC_PF_BINUTILS] = "binutils",
    [DCC_PF_PIE] = "pie",         [DCC_PF_SSP] = "ssp",       [DCC_PF_FOUND] = "found",
};

const char *dcc_preflight_field_name(enum dcc_pf_field f)
{
    return (unsigned)f < DCC_PF_NFIELDS ? field_names[f] : "?";
}

const char *dcc_preflight_level_name(enum dcc_pf_level l)
{
    switch (l) {
    case DCC_PF_SAME:
        return "ok";
    case DCC_PF_WARN:
        return "warning";
    case DCC_PF_ERROR:
        return "error";
    }
    return "?";
}

int dcc_preflight_parse_fields(const char *list, unsigned *mask, char *err, size_t errlen)
{
    unsigned m = 0;
    int saw_none = 0, words = 0;
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ", \t\r\n");
        words++;
        int known = 0;
        if (len == 4 && strncmp(p, "none", 4) == 0) {
            saw_none = known = 1;
        }
        for (int f = 0; f < DCC_PF_NFIELDS && !known; f++) {
            if (strlen(field_names[f]) == len && strncmp(p, field_names[f], len) == 0) {
                m |= DCC_PF_BIT(f);
                known = 1;
            }
        }
        if (!known) {
            dcc_set_err(err, errlen,
                        "unknown field \"%.*s\" (known: version, triple, binutils, pie, ssp, "
                        "found, none)",
                        (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        p += len;
    }
    if (saw_none && words > 1) {
        dcc_set_err(err, errlen, "\"none\" cannot be combined with other fields");
        return -1;
    }
    *mask = m;
    return 0;
}

/* ---- reading reports ---------------------------------------------------- */

int dcc_preflight_parse_report(const char *body, size_t len, json_t **report, char *err,
                               size_t errlen)
{
    *report = NULL;
    if (!body || len == 0) {
        dcc_set_err(err, errlen, "empty answer instead of a /toolchain report");
        return -1;
    }
    if (memmem(body, len, "<distccstats>", 13)) {
        dcc_set_err(err, errlen, "no /toolchain endpoint (a stock distcc stats page answered)");
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        dcc_set_err(err, errlen, "not a /toolchain report: %s (line %d)", jerr.text, jerr.line);
        return -1;
    }
    const char *why = NULL;
    json_t *schema = json_is_object(root) ? json_object_get(root, "schema") : NULL;
    if (!json_is_object(root))
        why = "not a JSON object";
    else if (!json_is_integer(schema) || json_integer_value(schema) != 1)
        why = "\"schema\" is not 1";
    else if (!json_is_object(json_object_get(root, "compilers")))
        why = "no \"compilers\" object";
    if (why) {
        dcc_set_err(err, errlen, "not a /toolchain report: %s", why);
        json_decref(root);
        return -1;
    }
    *report = root;
    return 0;
}

/* ---- the local side -------------------------------------------------------- */

int dcc_preflight_local_chost(const char *path, const char *make_conf, char *out, size_t outlen,
                              const char **source)
{
    const char *env = getenv("CHOST");
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        *source = "env";
        return 0;
    }
    char prog[PATH_MAX];
    if (!path)
        path = getenv("PATH");
    if (path && dcc_toolchain_find("portageq", path, NULL, prog, sizeof(prog)) == 0) {
        char *argv[] = {"portageq", "envvar", "CHOST", NULL};
        struct dcc_buf b = {0};
        int st = 0;
        char why[256];
        if (dcc_toolchain_capture(prog, argv, path, 10000, 4096, &b, &st, why, sizeof(why)) == 0 &&
            WIFEXITED(st) && WEXITSTATUS(st) == 0 && b.data) {
            size_t len = strcspn(b.data, "\r\n");
            if (len > 0 && len < outlen && !strpbrk(b.data, " \t")) {
                memcpy(out, b.data, len);
                out[len] = '\0';
                *source = "portageq";
                dcc_buf_free(&b);
                return 0;
            }
        }
        dcc_buf_free(&b);
    }
    return dcc_toolchain_chost(make_conf, out, outlen, source);
}

/* ---- probing by compiling ---------------------------------------------------- */

#define PROBE_OUTPUT_CAP 65536
#define PROBE_OBJECT_CAP (16 * 1024 * 1024)

/* Reads an unsigned field of size sz (1, 2, 4, 8) at off in the byte order. */
static uint64_t elf_get(const unsigned char *d, size_t off, size_t sz, int big)
{
    uint64_t v = 0;
    for (size_t i = 0; i < sz; i++)
        v |= (uint64_t)d[off + (big ? sz - 1 - i : i)] << (8 * i);
    return v;
}

int dcc_preflight_elf_comment(const unsigned char *d, size_t len, char *out, size_t outlen,
                              char *err, size_t errlen)
{
    out[0] = '\0';
    if (len < 52 || memcmp(d, "\177ELF", 4) != 0) {
        dcc_set_err(err, errlen, "not an ELF object");
        return -1;
    }
    int is64 = d[4] == 2, big = d[5] == 2;
    if ((d[4] != 1 && d[4] != 2) || (d[5] != 1 && d[5] != 2) || (is64 && len < 64)) {
        dcc_set_err(err, errlen, "not an ELF object");
        return -1;
    }
    /* Offsets of the header and section header fields, ELF32 vs ELF64. */
    size_t w = is64 ? 8 : 4;
    uint64_t shoff = elf_get(d, is64 ? 0x28 : 0x20, w, big);
    uint64_t shentsize = elf_get(d, is64 ? 0x3a : 0x2e, 2, big);
    uint64_t shnum = elf_get(d, is64 ? 0x3c : 0x30, 2, big);
    uint64_t shstrndx = elf_get(d, is64 ? 0x3e : 0x32, 2, big);
    size_t need = is64 ? 64 : 40;
    if (shentsize < need || shnum == 0 || shstrndx >= shnum || shoff > len ||
        shnum > (len - shoff) / shentsize) {
        dcc_set_err(err, errlen, "truncated or odd ELF section table");
        return -1;
    }
    size_t o_name = 0, o_offset = is64 ? 0x18 : 0x10, o_size = is64 ? 0x20 : 0x14;
    const unsigned char *strsec = d + shoff + shstrndx * shentsize;
    uint64_t str_off = elf_get(strsec, o_offset, w, big),
             str_size = elf_get(strsec, o_size, w, big);
    if (str_off > len || str_size > len - str_off) {
        dcc_set_err(err, errlen, "truncated ELF section names");
        return -1;
    }
    for (uint64_t i = 0; i < shnum; i++) {
        const unsigned char *sh = d + shoff + i * shentsize;
        uint64_t name = elf_get(sh, o_name, 4, big);
        if (name >= str_size || str_size - name < 9 ||
            memcmp(d + str_off + name, ".comment", 9) != 0)
            continue;
        uint64_t off = elf_get(sh, o_offset, w, big), size = elf_get(sh, o_size, w, big);
        if (off > len || size > len - off) {
            dcc_set_err(err, errlen, "truncated .comment section");
            return -1;
        }
        /* The first non-empty string; the section is a run of them. */
        const char *p = (const char *)d + off, *end = p + size;
        while (p < end && *p == '\0')
            p++;
        size_t slen = 0;
        while (p + slen < end && p[slen] != '\0')
            slen++;
        if (slen == 0)
            break;
        if (slen >= outlen)
            slen = outlen - 1;
        memcpy(out, p, slen);
        out[slen] = '\0';
        for (char *c = out; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
                *c = ' ';
        return 0;
    }
    dcc_set_err(err, errlen, "no .comment section");
    return -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static int is_cxx_name(const char *name)
{
    return strstr(name, "++") != NULL;
}

/* Reads at most cap bytes of file into b; 0, or -1 when it cannot be opened. */
static int read_capped(const char *file, size_t cap, struct dcc_buf *b)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char chunk[8192];
    ssize_t got;
    while (b->len < cap && (got = read(fd, chunk, sizeof(chunk))) > 0) {
        size_t take = (size_t)got;
        if (take > cap - b->len)
            take = cap - b->len;
        if (dcc_buf_append(b, chunk, take) != 0)
            break;
    }
    close(fd);
    return 0;
}

/* The environment changes of a probe: what changes the client's output or
 * where it writes is replaced or removed, the probe's own settings added. */
struct probe_env {
    char *hosts, *dir, *io_timeout; /* made here */
    const char *set[13];            /* for dcc_run_opts.env_set */
};

static void probe_env_free(struct probe_env *e)
{
    free(e->hosts);
    free(e->dir);
    free(e->io_timeout);
}

/* 0, or -1 on ENOMEM. */
static int probe_env_init(struct probe_env *e, const char *host_spec, const char *dir,
                          int timeout_ms)
{
    int secs = (timeout_ms + 999) / 1000;
    memset(e, 0, sizeof *e);
    if (asprintf(&e->hosts, "DISTCC_HOSTS=%s", host_spec) < 0)
        e->hosts = NULL;
    if (asprintf(&e->dir, "DISTCC_DIR=%s/distcc-dir", dir) < 0)
        e->dir = NULL;
    if (asprintf(&e->io_timeout, "DISTCC_IO_TIMEOUT=%d", secs > 0 ? secs : 1) < 0)
        e->io_timeout = NULL;
    if (!e->hosts || !e->dir || !e->io_timeout) {
        probe_env_free(e);
        return -1;
    }
    /* The client's temporary files go where the caller's do: an ssh
     * helper's distccd inherits TMPDIR too, and must be able to use it. */
    const char *set[] = {"DISTCC_FALLBACK=0", "DISTCC_SKIP_LOCAL_RETRY=1",
                         "DISTCC_BACKOFF_PERIOD=0",
                         /* The probe is how the toolchain is learned: the
                          * client must not ask the helper first. */
                         "DISTCC_TOOLCHAIN_MATCH=off", "LC_ALL=C", "DISTCC_VERBOSE=0", "DISTCC_LOG",
                         "DISTCC_SAVE_TEMPS", e->hosts, e->dir, e->io_timeout, NULL};
    memcpy(e->set, set, sizeof set);
    return 0;
}

/* Starts one probe in its directory under top; 0 with *run, or -1 with p->err. */
static int probe_start(struct dcc_pf_probe *p, size_t i, const char *top, const char *distcc_path,
                       int timeout_ms, struct dcc_run **run)
{
    char dir[PATH_MAX + 32], file[PATH_MAX + 64];
    const char *src = is_cxx_name(p->compiler) ? "probe.ii" : "probe.i";
    snprintf(dir, sizeof(dir), "%s/%zu", top, i);
    if (mkdir(dir, 0700) != 0) {
        dcc_set_err(p->err, sizeof(p->err), "cannot make %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(file, sizeof(file), "%s/%s", dir, src);
    FILE *f = fopen(file, "we");
    if (!f || fputs("int dcc_preflight_probe;\n", f) == EOF || fclose(f) != 0) {
        dcc_set_err(p->err, sizeof(p->err), "cannot write %s", file);
        return -1;
    }
    struct probe_env env;
    if (probe_env_init(&env, p->host_spec, dir, timeout_ms) != 0) {
        dcc_set_err(p->err, sizeof(p->err), "cannot set up the probe in %s", dir);
        return -1;
    }
    char *argv[] = {"distcc", (char *)p->compiler, "-c", "-v", (char *)src, "-o", "probe.o", NULL};
    struct dcc_run_opts o = {
        .argv = argv,
        .prog = distcc_path,
        .env_set = env.set,
        .dir = dir,
        .out = DCC_RUN_CAPTURE,
        .out_buf = &p->output,
        .err = DCC_RUN_MERGE,
        .cap = PROBE_OUTPUT_CAP,
        .timeout_ms = timeout_ms > 0 ? timeout_ms : 1,
        .flags = DCC_RUN_TRUNCATE,
    };
    char why[256];
    int rc = dcc_run_start(&o, run, why, sizeof(why));
    int e = errno;
    probe_env_free(&env);
    if (rc != DCC_RUN_OK) {
        dcc_set_err(p->err, sizeof(p->err), "cannot start %s: %s", distcc_path, strerror(e));
        return -1;
    }
    return 0;
}

int dcc_preflight_probe_run(struct dcc_pf_probe *probes, size_t n, const char *distcc_path,
                            int timeout_ms, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    char top[PATH_MAX];
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if ((size_t)snprintf(top, sizeof(top), "%s/distcc-preflight-probe.XXXXXX", tmp) >=
        sizeof(top) - 64) {
        dcc_set_err(err, errlen, "TMPDIR is too long");
        return -1;
    }
    if (!mkdtemp(top)) {
        dcc_set_err(err, errlen, "cannot make a temporary directory in %s: %s", tmp,
                    strerror(errno));
        return -1;
    }
    struct dcc_run **runs = calloc(n ? n : 1, sizeof(*runs));
    if (!runs) {
        rmdir(top);
        dcc_set_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct dcc_pf_probe *p = &probes[i];
        p->started = p->timed_out = p->have_object = 0;
        p->status = -1;
        p->comment[0] = p->err[0] = '\0';
        p->started = probe_start(p, i, top, distcc_path, timeout_ms, &runs[i]) == 0;
    }
    /* All at once: each one's output is read as it comes. */
    while (dcc_run_poll(runs, n) > 0)
        ;
    for (size_t i = 0; i < n; i++) {
        struct dcc_pf_probe *p = &probes[i];
        if (!runs[i])
            continue;
        char why[sizeof(p->err)];
        int end = dcc_run_finish(runs[i], &p->status, why, sizeof(why));
        if (end == DCC_RUN_TIMEOUT) {
            p->timed_out = 1;
        } else if (end != DCC_RUN_OK && end != DCC_RUN_LOST) {
            /* As from a shell: the reason on its output, and status 127. */
            dcc_buf_printf(&p->output, "%s\n", why);
            p->status = W_EXITCODE(127, 0);
        }
    }
    free(runs);

    for (size_t i = 0; i < n; i++) {
        struct dcc_pf_probe *p = &probes[i];
        if (!p->started)
            continue;
        char file[PATH_MAX + 64];
        snprintf(file, sizeof(file), "%s/%zu/probe.o", top, i);
        struct dcc_buf obj = {0};
        if (!p->timed_out && read_capped(file, PROBE_OBJECT_CAP, &obj) == 0) {
            p->have_object = obj.len > 0;
            if (p->have_object &&
                dcc_preflight_elf_comment((const unsigned char *)obj.data, obj.len, p->comment,
                                          sizeof(p->comment), p->err, sizeof(p->err)) != 0)
                p->comment[0] = '\0';
        }
        dcc_buf_free(&obj);
    }
    nftw(top, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

void dcc_preflight_probe_free(struct dcc_pf_probe *probes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dcc_buf_free(&probes[i].output);
}

/* The client's own explanation: from its warning "failed to distribute
 * FILE to HOST (WHY), trying another helper" (or ", running locally
 * instead", or nothing after it) the WHY, from "failed to distribute FILE to
 * HOST, running locally instead: WHY" (a refusal) the WHY; else its last
 * "error:" line, else the last line of the output. */
static void client_reason(const char *text, char *out, size_t outlen)
{
    static const char *const endings[] = {"), trying another helper", "), running locally instead",
                                          ")"};
    static const char refused[] = ", running locally instead: ";
    const char *best = NULL, *last = NULL;
    size_t best_len = 0, last_len = 0;
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *end = line + len;
        if (len > 0) {
            last = line;
            last_len = len;
        }
        const char *w = memmem(line, len, "] warning: failed to distribute ", 32);
        const char *open = w ? memmem(w, (size_t)(end - w), " (", 2) : NULL;
        const char *r = w ? memmem(w, (size_t)(end - w), refused, sizeof refused - 1) : NULL;
        if (r && (!open || r < open) && !best) {
            best = r + sizeof refused - 1;
            best_len = (size_t)(end - best);
        } else if (open && !best) {
            best = open + 2;
            best_len = (size_t)(end - best);
            for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++) {
                size_t el = strlen(endings[i]);
                if (best_len >= el && memcmp(end - el, endings[i], el) == 0) {
                    best_len -= el;
                    break;
                }
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    if (!best) {
        best = last;
        best_len = last_len;
    }
    if (!best) {
        snprintf(out, outlen, "no output");
        return;
    }
    if (best_len >= outlen)
        best_len = outlen - 1;
    memcpy(out, best, best_len);
    out[best_len] = '\0';
}

void dcc_preflight_row_from_probe(const struct dcc_pf_probe *p, struct dcc_pf_row *row)
{
    const char *text = p->output.data ? p->output.data : "";
    char why[200];
    snprintf(row->compiler, sizeof(row->compiler), "%s", p->compiler);
    row->probed = 1;
    row->found = -1;
    row->pie = row->ssp = -1;
    row->chost[0] = row->ld_version[0] = '\0';
    snprintf(row->comment, sizeof(row->comment), "%s", p->comment);
    if (!p->started) {
        row->kind = DCC_PF_ROW_UNREACHABLE;
        snprintf(row->reason, sizeof(row->reason), "probe compile not started: %s", p->err);
        return;
    }
    if (p->timed_out) {
        row->kind = DCC_PF_ROW_UNREACHABLE;
        snprintf(row->reason, sizeof(row->reason), "probe compile timed out");
        return;
    }
    int code = WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
    client_reason(text, why, sizeof(why));
    if (code == 0 && p->have_object) {
        row->kind = DCC_PF_ROW_REMOTE;
        row->found = 1;
        dcc_tcmatch_parse_probe_output(text, row);
        return;
    }
    /* Could not reach the helper at all: connect, no host, timeout, not run. */
    if (code == 103 || code == 116 || code == 118 || code == 127 || code < 0) {
        row->kind = DCC_PF_ROW_UNREACHABLE;
        snprintf(row->reason, sizeof(row->reason), "probe compile: %s", why);
        return;
    }
    if (p->over_ssh && code >= 107 && code <= 109) {
        /* ssh itself failed when it said something: its lines are the ones
         * that are not the client's. */
        for (const char *line = text; *line;) {
            size_t len = strcspn(line, "\n");
            if (len > 0 && !dcc_str_startswith(line, "distcc[")) {
                row->kind = DCC_PF_ROW_UNREACHABLE;
                snprintf(row->reason, sizeof(row->reason), "probe compile over ssh: %.*s",
                         (int)(len > 300 ? 300 : len), line);
                return;
            }
            line += len;
            if (*line)
                line++;
        }
    }
    row->kind = DCC_PF_ROW_REMOTE;
    snprintf(row->error, sizeof(row->error), "exit %d: %s", code, why);
}

/* ---- output ------------------------------------------------------------------ */

enum col {
    C_HOST,
    C_COMPILER,
    C_VERSION,
    C_TRIPLE,
    C_AS,
    C_LD,
    C_PIESSP,
    C_FOUND,
    C_RESULT,
    NCOLS
};
static const char *const col_titles[NCOLS] = {"HOST", "COMPILER", "VERSION", "TRIPLE", "AS",
                                              "LD",   "PIE/SSP",  "FOUND",   "RESULT"};

static const char *mark(enum dcc_pf_level l)
{
    return l == DCC_PF_ERROR ? "!" : l == DCC_PF_WARN ? "~" : "";
}

static void cell_text(const struct dcc_pf_row *r, enum col c, char *out, size_t outlen)
{
    int unreach = r->kind == DCC_PF_ROW_UNREACHABLE;
    int have_compiler = r->found == 1;
    const char *q = "?";
    switch (c) {
    case C_HOST:
        snprintf(out, outlen, "%s", r->host);
        return;
    case C_COMPILER:
        snprintf(out, outlen, "%s", unreach ? "-" : r->compiler);
        return;
    case C_VERSION:
        snprintf(out, outlen, "%s%s",
                 unreach || !have_compiler ? "-"
                 : *r->version             ? r->version
                                           : q,
                 mark(r->cell[DCC_PF_VERSION]));
        return;
    case C_TRIPLE:
        snprintf(out, outlen, "%s%s",
                 unreach || !have_compiler ? "-"
                 : *r->machine             ? r->machine
                                           : q,
                 mark(r->cell[DCC_PF_TRIPLE]));
        return;
    case C_AS:
    case C_LD: {
        const char *v = c == C_AS ? r->as_version : r->ld_version;
        /* one binutils cell level covers both; mark the one that differs */
        enum dcc_pf_level l = DCC_PF_SAME;
        for (size_t i = 0; i < r->n_findings; i++)
            if (r->findings[i].field == DCC_PF_BINUTILS &&
                strcmp(r->findings[i].what, c == C_AS ? "as" : "ld") == 0 &&
                r->findings[i].level > l)
                l = r->findings[i].level;
        snprintf(out, outlen, "%s%s", unreach ? "-" : *v ? v : q, mark(l));
        return;
    }
    case C_PIESSP:
        if (unreach || !have_compiler)
            snprintf(out, outlen, "-");
        else
            snprintf(out, outlen, "%s%s/%s%s",
                     r->pie < 0 ? q
                     : r->pie   ? "yes"
                                : "no",
                     mark(r->cell[DCC_PF_PIE]),
                     r->ssp < 0 ? q
                     : r->ssp   ? "yes"
                                : "no",
                     mark(r->cell[DCC_PF_SSP]));
        return;
    case C_FOUND:
        snprintf(out, outlen, "%s%s",
                 unreach         ? "-"
                 : have_compiler ? "yes"
                                 : "no",
                 mark(r->cell[DCC_PF_FOUND]));
        return;
    case C_RESULT:
        if (r->kind == DCC_PF_ROW_LOCAL)
            snprintf(out, outlen, "reference");
        else if (unreach)
            snprintf(out, outlen, "unreachable");
        else
            snprintf(out, outlen, "%s", dcc_preflight_level_name(r->level));
        return;
    case NCOLS:
        break;
    }
    out[0] = '\0';
}

int dcc_preflight_render_table(const struct dcc_pf_row *rows, size_t n, struct dcc_buf *out)
{
    size_t width[NCOLS];
    char cell[300];
    for (int c = 0; c < NCOLS; c++)
        width[c] = strlen(col_titles[c]);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOLS; c++) {
            cell_text(&rows[i], (enum col)c, cell, sizeof(cell));
            if (strlen(cell) > width[c])
                width[c] = strlen(cell);
        }
    for (size_t i = 0; i <= n; i++) {
        for (int c = 0; c < NCOLS; c++) {
            if (i == 0)
                snprintf(cell, sizeof(cell), "%s", col_titles[c]);
            else
                cell_text(&rows[i - 1], (enum col)c, cell, sizeof(cell));
            int rc = c == NCOLS - 1 ? dcc_buf_printf(out, "%s\n", cell)
                                    : dcc_buf_printf(out, "%-*s  ", (int)width[c], cell);
            if (rc != 0)
                return -1;
        }
    }
    return 0;
}

int dcc_preflight_render_findings(const struct dcc_pf_row *rows, size_t n, struct dcc_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct dcc_pf_row *r = &rows[i];
        if (r->kind == DCC_PF_ROW_UNREACHABLE) {
            if (dcc_buf_printf(out, "%s: unreachable: %s\n", r->host, r->reason) != 0)
                return -1;
            continue;
        }
        if (r->probed && r->found == 1 &&
            dcc_buf_printf(out, "%s %s: probe: compiled through the daemon (%s); .comment: %s\n",
                           r->host, r->compiler, r->probe_why,
                           *r->comment ? r->comment : "none") != 0)
            return -1;
        if (r->probed && r->found != 1 &&
            dcc_buf_printf(out, "%s %s: probe: compile through the daemon failed (%s): %s\n",
                           r->host, r->compiler, r->probe_why, r->error) != 0)
            return -1;
        /* Once per helper, and only when its jobs are not fully confined. */
        if (r->kind == DCC_PF_ROW_REMOTE && r->sandbox[0] && r->sandbox_full == 0 &&
            (i == 0 || strcmp(rows[i - 1].host, r->host) != 0) &&
            dcc_buf_printf(out, "%s: sandbox %s\n", r->host, r->sandbox) != 0)
            return -1;
        for (size_t k = 0; k < r->n_findings; k++) {
            const struct dcc_pf_finding *f = &r->findings[k];
            if (dcc_buf_printf(out, "%s %s: %s: %s %s, local %s: %s\n", r->host, r->compiler,
                               dcc_preflight_level_name(f->level), f->what, f->remote, f->local,
                               f->why) != 0)
                return -1;
        }
    }
    return 0;
}

static json_t *str_or_null(const char *s)
{
    return *s ? json_string(s) : json_null();
}

static json_t *flag_or_null(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

static json_t *row_json(const struct dcc_pf_row *r)
{
    const char *kind = r->kind == DCC_PF_ROW_LOCAL    ? "local"
                       : r->kind == DCC_PF_ROW_REMOTE ? "remote"
                                                      : "unreachable";
    json_t *o = json_pack("{s:s, s:s, s:s?, s:o, s:o}", "host", r->host, "kind", kind, "result",
                          r->kind == DCC_PF_ROW_REMOTE  ? dcc_preflight_level_name(r->level)
                          : r->kind == DCC_PF_ROW_LOCAL ? "reference"
                                                        : "unreachable",
                          "reason",
                          r->kind == DCC_PF_ROW_UNREACHABLE ? json_string(r->reason) : json_null(),
                          "findings", json_array());
    if (!o)
        return NULL;
    if (r->kind == DCC_PF_ROW_REMOTE &&
        json_object_set_new(o, "source", json_string(r->probed ? "probe" : "toolchain")) != 0) {
        json_decref(o);
        return NULL;
    }
    if (r->kind == DCC_PF_ROW_REMOTE &&
        json_object_set_new(o, "sandbox", str_or_null(r->sandbox)) != 0) {
        json_decref(o);
        return NULL;
    }
    if (r->probed && json_object_set_new(o, "comment", str_or_null(r->comment)) != 0) {
        json_decref(o);
        return NULL;
    }
    if (r->kind != DCC_PF_ROW_UNREACHABLE) {
        json_t *more = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "compiler",
                                 r->compiler, "found", json_boolean(r->found == 1), "chost",
                                 str_or_null(r->chost), "version", str_or_null(r->version),
                                 "machine", str_or_null(r->machine), "as",
                                 str_or_null(r->as_version), "ld", str_or_null(r->ld_version),
                                 "pie_default", flag_or_null(r->pie), "ssp_default",
                                 flag_or_null(r->ssp), "error", str_or_null(r->error));
        if (!more || json_object_update(o, more) != 0) {
            json_decref(more);
            json_decref(o);
            return NULL;
        }
        json_decref(more);
    }
    json_t *arr = json_object_get(o, "findings");
    for (size_t k = 0; k < r->n_findings; k++) {
        const struct dcc_pf_finding *f = &r->findings[k];
        json_t *fj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "field",
                               dcc_preflight_field_name(f->field), "level",
                               dcc_preflight_level_name(f->level), "what", f->what, "local",
                               f->local, "remote", f->remote, "why", f->why);
        if (!fj || json_array_append_new(arr, fj) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *dcc_preflight_rows_json(const struct dcc_pf_row *rows, size_t n)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *o = row_json(&rows[i]);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
