/* Unit tests for dcc_toolchain: running probes, finding compilers, CHOST, and the /toolchain JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/dcc_toolchain.h"
#include "test_helpers.h"

static char root[64];

static void path_in(char *out, size_t len, const char *rel)
{
    dcc_test_path_in(out, len, root, rel);
}

static void mkdir_in(const char *rel)
{
    char p[PATH_MAX];
    path_in(p, sizeof(p), rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void write_in(const char *rel, const char *text, mode_t mode)
{
    char p[PATH_MAX];
    path_in(p, sizeof(p), rel);
    dcc_test_write_text(p, text, mode);
    assert_int_equal(chmod(p, mode), 0);
}

static void link_in(const char *target, const char *rel)
{
    char p[PATH_MAX];
    path_in(p, sizeof(p), rel);
    assert_int_equal(symlink(target, p), 0);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A Gentoo gcc as far as the probes can tell. */
static const char fake_gcc[] =
    "#!/bin/sh\n"
    "case \"$1\" in\n"
    "-dumpfullversion) echo 13.2.1 ;;\n"
    "-dumpversion) echo 13 ;;\n"
    "-dumpmachine) echo x86_64-pc-linux-gnu ;;\n"
    "-v)\n"
    "  echo 'Using built-in specs.' >&2\n"
    "  echo \"COLLECT_GCC=$0\" >&2\n"
    "  echo 'Target: x86_64-pc-linux-gnu' >&2\n"
    "  echo \"Configured with: /var/tmp/portage/sys-devel/gcc-13/work/configure "
    "--host=x86_64-pc-linux-gnu --enable-default-pie --enable-default-ssp --enable-cet "
    "'--with-pkgversion=Gentoo 13.2.1_p20240210 p14'\" >&2\n"
    "  echo 'Thread model: posix' >&2\n"
    "  echo 'Supported LTO compression algorithms: zlib zstd' >&2\n"
    "  echo 'gcc version 13.2.1 20240210 (Gentoo 13.2.1_p20240210 p14) ' >&2\n"
    "  ;;\n"
    "*) echo 'gcc: fatal error: no input files' >&2; exit 1 ;;\n"
    "esac\n";

/* gcc 4.9 has no -dumpfullversion and was built without default PIE. */
static const char fake_oldgcc[] =
    "#!/bin/sh\n"
    "case \"$1\" in\n"
    "-dumpfullversion) echo \"oldgcc: error: unrecognized command line option '$1'\" >&2; "
    "exit 1 ;;\n"
    "-dumpversion) echo 4.9.4 ;;\n"
    "-dumpmachine) echo i686-pc-linux-gnu ;;\n"
    "-v) printf 'Configured with: ../configure --prefix=/usr --disable-default-pie\\n"
    "Thread model: single\\ngcc version 4.9.4 (Gentoo 4.9.4 p1.0, pie-0.6.4)\\n' >&2 ;;\n"
    "esac\n";

static const char fake_clang[] =
    "#!/bin/sh\n"
    "case \"$1\" in\n"
    "-dumpfullversion) echo \"clang: error: unknown argument: '$1'\" >&2; exit 1 ;;\n"
    "-dumpversion) echo 16.0.6 ;;\n"
    "-dumpmachine) echo x86_64-pc-linux-gnu ;;\n"
    "-v) printf 'clang version 16.0.6\\nTarget: x86_64-pc-linux-gnu\\nThread model: posix\\n"
    "InstalledDir: /usr/lib/llvm/16/bin\\n' >&2 ;;\n"
    "esac\n";

static const char fake_brokencc[] = "#!/bin/sh\n"
                                    "case \"$1\" in\n"
                                    "-dumpfullversion) echo 13.1.0 ;;\n"
                                    "-dumpmachine) exit 3 ;;\n"
                                    "esac\n";

static const char fake_distcc[] = "#!/bin/sh\necho 'this is distcc, never run me'\nexit 0\n";

static int make_tree(void **state)
{
    (void)state;
    if (dcc_test_tmpdir(root, sizeof(root), "/tmp/test_toolchain.XXXXXX") != 0)
        return -1;
    mkdir_in("bin");
    mkdir_in("distccbin");
    mkdir_in("masq");
    mkdir_in("wl");
    mkdir_in("wl/sub");
    write_in("distccbin/distcc", fake_distcc, 0755);
    link_in("../distccbin/distcc", "masq/gcc");
    link_in("../distccbin/distcc", "masq/g++");

    /* The whitelist as Gentoo makes it, plus things that are no compiler. */
    static const char *const listed[] = {"gcc", "g++", "oldgcc", "clang", "nosuchcc", "brokencc"};
    for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "wl/%s", listed[i]);
        link_in("../distccbin/distcc", rel);
    }
    write_in("wl/cc", "", 0755); /* a plain file counts too */
    link_in("/nonexistent/ghost", "wl/ghost");
    link_in(".", "wl/bin");
    char fifo[PATH_MAX];
    path_in(fifo, sizeof(fifo), "wl/fifo");
    assert_int_equal(mkfifo(fifo, 0644), 0);

    write_in("bin/gcc", fake_gcc, 0755);
    link_in("gcc", "bin/cc");
    write_in("bin/oldgcc", fake_oldgcc, 0755);
    write_in("bin/clang", fake_clang, 0755);
    write_in("bin/brokencc", fake_brokencc, 0755);
    write_in("bin/as",
             "#!/bin/sh\necho 'GNU assembler (Gentoo 2.41 p5) 2.41.0'\n"
             "echo 'Copyright (C) 2023 Free Software Foundation, Inc.'\n",
             0755);
    write_in("bin/ld", "#!/bin/sh\necho 'GNU ld (Gentoo 2.41 p5) 2.41.0'\n", 0755);
    write_in("bin/notexec", fake_gcc, 0644);
    write_in("make.conf", "# generated\nCHOST=\"x86_64-pc-linux-gnu\"\n", 0644);
    return 0;
}

static int remove_tree(void **state)
{
    (void)state;
    return dcc_test_rmtree(root);
}

/* The PATH a daemon might have: junk, the whitelist itself, its bin link, a
 * masquerade dir of distcc links, then the real compilers. */
static void daemon_path(char *out, size_t len)
{
    assert_true((size_t)snprintf(out, len, "relative/dir::%s/wl:%s/wl/bin/:%s/masq:%s/bin", root,
                                 root, root, root) < len);
}

/* What the fake tree above must produce; %1$s is the tree's root. */
#define EXPECTED_REPORT \
    "{\"schema\":1,\"host\":\"testhost\",\"chost\":\"x86_64-pc-linux-gnu\"," \
    "\"chost_source\":\"make.conf\",\"whitelist_dir\":\"%1$s/wl\",\"compilers\":{" \
    "\"brokencc\":{\"found\":true,\"path\":\"%1$s/bin/brokencc\",\"version\":\"13.1.0\"," \
    "\"machine\":null,\"pie_default\":null,\"ssp_default\":null,\"cet_enabled\":null," \
    "\"thread_model\":null,\"version_line\":null," \
    "\"error\":\"brokencc -dumpmachine: exited with status 3\"}," \
    "\"cc\":{\"found\":true,\"path\":\"%1$s/bin/cc\",\"version\":\"13.2.1\"," \
    "\"machine\":\"x86_64-pc-linux-gnu\",\"pie_default\":true,\"ssp_default\":true," \
    "\"cet_enabled\":true,\"thread_model\":\"posix\"," \
    "\"version_line\":\"gcc version 13.2.1 20240210 (Gentoo 13.2.1_p20240210 p14)\"," \
    "\"error\":null}," \
    "\"clang\":{\"found\":true,\"path\":\"%1$s/bin/clang\",\"version\":\"16.0.6\"," \
    "\"machine\":\"x86_64-pc-linux-gnu\",\"pie_default\":null,\"ssp_default\":null," \
    "\"cet_enabled\":null,\"thread_model\":\"posix\"," \
    "\"version_line\":\"clang version 16.0.6\",\"error\":null}," \
    "\"g++\":{\"found\":false,\"path\":null,\"version\":null,\"machine\":null," \
    "\"pie_default\":null,\"ssp_default\":null,\"cet_enabled\":null,\"thread_model\":null," \
    "\"version_line\":null,\"error\":null}," \
    "\"gcc\":{\"found\":true,\"path\":\"%1$s/bin/gcc\",\"version\":\"13.2.1\"," \
    "\"machine\":\"x86_64-pc-linux-gnu\",\"pie_default\":true,\"ssp_default\":true," \
    "\"cet_enabled\":true,\"thread_model\":\"posix\"," \
    "\"version_line\":\"gcc version 13.2.1 20240210 (Gentoo 13.2.1_p20240210 p14)\"," \
    "\"error\":null}," \
    "\"ghost\":{\"found\":false,\"path\":null,\"version\":null,\"machine\":null," \
    "\"pie_default\":null,\"ssp_default\":null,\"cet_enabled\":null,\"thread_model\":null," \
    "\"version_line\":null,\"error\":null}," \
    "\"nosuchcc\":{\"found\":false,\"path\":null,\"version\":null,\"machine\":null," \
    "\"pie_default\":null,\"ssp_default\":null,\"cet_enabled\":null,\"thread_model\":null," \
    "\"version_line\":null,\"error\":null}," \
    "\"oldgcc\":{\"found\":true,\"path\":\"%1$s/bin/oldgcc\",\"version\":\"4.9.4\"," \
    "\"machine\":\"i686-pc-linux-gnu\",\"pie_default\":false,\"ssp_default\":false," \
    "\"cet_enabled\":false,\"thread_model\":\"single\"," \
    "\"version_line\":\"gcc version 4.9.4 (Gentoo 4.9.4 p1.0, pie-0.6.4)\",\"error\":null}}," \
    "\"binutils\":{" \
    "\"as\":{\"found\":true,\"path\":\"%1$s/bin/as\",\"version\":\"2.41.0\"," \
    "\"banner\":\"GNU assembler (Gentoo 2.41 p5) 2.41.0\",\"error\":null}," \
    "\"ld\":{\"found\":true,\"path\":\"%1$s/bin/ld\",\"version\":\"2.41.0\"," \
    "\"banner\":\"GNU ld (Gentoo 2.41 p5) 2.41.0\",\"error\":null}}}\n"

static void report_describes_every_whitelisted_compiler(void **state)
{
    (void)state;
    char path[1024], wl[PATH_MAX], make_conf[PATH_MAX];
    daemon_path(path, sizeof(path));
    path_in(wl, sizeof(wl), "wl");
    path_in(make_conf, sizeof(make_conf), "make.conf");
    unsetenv("CHOST");

    struct dcc_toolchain_opts opts = {
        .whitelist_dir = wl, .path = path, .make_conf = make_conf, .hostname = "testhost"};
    struct dcc_buf buf = {0};
    char err[256] = "";
    assert_int_equal(dcc_toolchain_report_opts(&opts, &buf, err, sizeof(err)), 0);
    assert_int_equal(buf.data[buf.len - 1], '\n');

    char expected[8192];
    assert_true((size_t)snprintf(expected, sizeof(expected), EXPECTED_REPORT, root) <
                sizeof(expected));
    /* Byte for byte: key order is part of what a reader sees. */
    assert_string_equal(buf.data, expected);
    dcc_buf_free(&buf);
    no_children_left();
}

static void chost_from_the_environment_wins(void **state)
{
    (void)state;
    char wl[PATH_MAX], make_conf[PATH_MAX];
    path_in(wl, sizeof(wl), "wl/sub"); /* an empty whitelist */
    path_in(make_conf, sizeof(make_conf), "make.conf");
    setenv("CHOST", "aarch64-unknown-linux-gnu", 1);
    struct dcc_toolchain_opts opts = {
        .whitelist_dir = wl, .path = "", .make_conf = make_conf, .hostname = "h"};
    struct dcc_buf buf = {0};
    char err[256];
    assert_int_equal(dcc_toolchain_report_opts(&opts, &buf, err, sizeof(err)), 0);
    unsetenv("CHOST");
    json_t *j = json_loads(buf.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "chost")),
                        "aarch64-unknown-linux-gnu");
    assert_string_equal(json_string_value(json_object_get(j, "chost_source")), "env");
    assert_int_equal(json_object_size(json_object_get(j, "compilers")), 0);
    json_t *as = json_object_get(json_object_get(j, "binutils"), "as");
    assert_true(json_is_false(json_object_get(as, "found")));
    json_decref(j);
    dcc_buf_free(&buf);

    /* Nowhere to find one: null, not "". */
    struct dcc_toolchain_opts none = {
        .whitelist_dir = wl, .path = "", .make_conf = "/nonexistent", .hostname = "h"};
    assert_int_equal(dcc_toolchain_report_opts(&none, &buf, err, sizeof(err)), 0);
    assert_non_null(strstr(buf.data, "\"chost\":null,\"chost_source\":null,"));
    dcc_buf_free(&buf);
}

static void missing_whitelist_dir_is_an_error(void **state)
{
    (void)state;
    struct dcc_buf buf = {0};
    char err[256] = "";
    assert_int_equal(
        dcc_toolchain_report("/nonexistent/distcc", "/usr/bin", &buf, err, sizeof(err)), -1);
    assert_string_equal(err, "cannot read the whitelist directory /nonexistent/distcc: "
                             "No such file or directory");
    assert_int_equal(buf.len, 0);
}

static void find_skips_distcc_and_the_whitelist(void **state)
{
    (void)state;
    char path[1024], wl[PATH_MAX], out[PATH_MAX], want[PATH_MAX];
    daemon_path(path, sizeof(path));
    path_in(wl, sizeof(wl), "wl");

    assert_int_equal(dcc_toolchain_find("gcc", path, wl, out, sizeof(out)), 0);
    path_in(want, sizeof(want), "bin/gcc");
    assert_string_equal(out, want);
    /* Only distcc links for g++, so none at all. */
    assert_int_equal(dcc_toolchain_find("g++", path, wl, out, sizeof(out)), -1);
    /* Without the whitelist to skip, its own gcc is still a distcc link. */
    assert_int_equal(dcc_toolchain_find("gcc", path, NULL, out, sizeof(out)), 0);
    assert_string_equal(out, want);
    /* The whitelist's plain file "cc" is found via the dir only when it is
     * not the whitelist. */
    char wl_only[PATH_MAX];
    path_in(wl_only, sizeof(wl_only), "wl");
    assert_int_equal(dcc_toolchain_find("cc", wl_only, wl, out, sizeof(out)), -1);
    assert_int_equal(dcc_toolchain_find("cc", wl_only, NULL, out, sizeof(out)), 0);
    assert_int_equal(dcc_toolchain_find("notexec", path, wl, out, sizeof(out)), -1);
    assert_int_equal(dcc_toolchain_find("sub", path, wl, out, sizeof(out)), -1);
    assert_int_equal(dcc_toolchain_find("../bin/gcc", path, wl, out, sizeof(out)), -1);
    assert_int_equal(dcc_toolchain_find("", path, wl, out, sizeof(out)), -1);
    char tiny[8];
    assert_int_equal(dcc_toolchain_find("gcc", path, wl, tiny, sizeof(tiny)), -1);
    /* Relative entries are never searched, even when they would match. */
    assert_int_equal(chdir(root), 0);
    assert_int_equal(dcc_toolchain_find("gcc", "bin", wl, out, sizeof(out)), -1);
    assert_int_equal(dcc_toolchain_find("gcc", ":bin:", wl, out, sizeof(out)), -1);
    assert_int_equal(chdir("/"), 0);
}

static void capture_times_out_and_kills_the_whole_group(void **state)
{
    (void)state;
    char pidfile[PATH_MAX], script[PATH_MAX + 64];
    path_in(pidfile, sizeof(pidfile), "slow.pid");
    snprintf(script, sizeof(script),
             "#!/bin/sh\nsleep 30 &\necho $! > '%s'\necho started\nsleep 30\n", pidfile);
    write_in("bin/slow", script, 0755);
    char prog[PATH_MAX];
    path_in(prog, sizeof(prog), "bin/slow");
    char *argv[] = {"slow", NULL};
    struct dcc_buf out = {0};
    char err[512] = "";
    int st = -1;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(
        dcc_toolchain_capture(prog, argv, "/bin:/usr/bin", 300, 1024, &out, &st, err, sizeof(err)),
        -1);
    double took = seconds_since(&t0);
    assert_true(took >= 0.3 && took < 2.0);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "%s did not finish within 300 ms", prog);
    assert_string_equal(err, want);
    assert_string_equal(out.data, "started\n");
    dcc_buf_free(&out);
    no_children_left();

    /* The background sleep was in the group too: it must be gone (or a
     * zombie waiting for init), not left running for 30 s. */
    FILE *f = fopen(pidfile, "r");
    assert_non_null(f);
    int grandchild = 0;
    assert_int_equal(fscanf(f, "%d", &grandchild), 1);
    fclose(f);
    char stat_path[64], stat[256] = "";
    snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", grandchild);
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        f = fopen(stat_path, "r");
        if (!f) {
            gone = 1;
            break;
        }
        if (!fgets(stat, sizeof(stat), f))
            stat[0] = '\0';
        fclose(f);
        const char *paren = strrchr(stat, ')');
        gone = paren && paren[1] == ' ' && paren[2] == 'Z';
        if (!gone)
            usleep(10000);
    }
    assert_true(gone);
}

static void capture_keeps_the_first_cap_bytes_and_drains_the_rest(void **state)
{
    (void)state;
    /* About 600 kB, far more than a pipe holds: the child must not block. */
    write_in("bin/chatty",
             "#!/bin/sh\ni=0\nwhile [ $i -lt 20000 ]; do\n"
             "  echo 1.2.3-padding-padding-padding\n  i=$((i+1))\ndone\nexit 7\n",
             0755);
    char prog[PATH_MAX];
    path_in(prog, sizeof(prog), "bin/chatty");
    char *argv[] = {"chatty", NULL};
    struct dcc_buf out = {0};
    assert_int_equal(dcc_buf_appends(&out, "before:"), 0);
    char err[512] = "";
    int st = -1;
    assert_int_equal(
        dcc_toolchain_capture(prog, argv, "", 10000, 1000, &out, &st, err, sizeof(err)), 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 7);
    assert_int_equal(out.len, 7 + 1000);
    assert_true(dcc_str_startswith(out.data, "before:1.2.3-padding-padding-padding\n1.2.3"));
    dcc_buf_free(&out);
    no_children_left();
}

static void capture_reports_programs_that_cannot_start(void **state)
{
    (void)state;
    char *argv[] = {"x", NULL};
    struct dcc_buf out = {0};
    char err[512] = "";
    int st = -1;
    assert_int_equal(dcc_toolchain_capture("/nonexistent/cc", argv, NULL, 1000, 100, &out, &st, err,
                                           sizeof(err)),
                     -1);
    assert_string_equal(err, "cannot run /nonexistent/cc: No such file or directory");
    char prog[PATH_MAX];
    path_in(prog, sizeof(prog), "bin/notexec");
    assert_int_equal(
        dcc_toolchain_capture(prog, argv, NULL, 1000, 100, &out, &st, err, sizeof(err)), -1);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "cannot run %s: Permission denied", prog);
    assert_string_equal(err, want); /* even root needs an x bit to exec */
    assert_int_equal(out.len, 0);
    dcc_buf_free(&out);
    no_children_left();
}

static void capture_gives_a_clean_environment(void **state)
{
    (void)state;
    write_in("bin/envcheck",
             "#!/bin/sh\n"
             "read line\n"
             "echo \"stdin=[$line] lc=$LC_ALL path=$PATH arg0=$0 arg1=$1\"\n"
             "for fd in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$fd ] && echo \"fd $fd open\"; done\n"
             "echo err >&2\n",
             0755);
    char prog[PATH_MAX];
    path_in(prog, sizeof(prog), "bin/envcheck");
    /* An fd the daemon forgot to mark close-on-exec must not leak in. */
    int devnull = open("/dev/null", O_RDONLY);
    assert_true(devnull >= 0);
    int leak = fcntl(devnull, F_DUPFD, 7);
    assert_int_equal(leak, 7);
    close(devnull);
    setenv("LC_ALL", "de_DE.UTF-8", 1);
    char *argv[] = {"envcheck", "-v", NULL};
    struct dcc_buf out = {0};
    char err[512] = "";
    int st = -1;
    assert_int_equal(
        dcc_toolchain_capture(prog, argv, "/only/this", 5000, 4096, &out, &st, err, sizeof(err)),
        0);
    unsetenv("LC_ALL");
    close(leak);
    assert_int_equal(st, 0);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof(want), "stdin=[] lc=C path=/only/this arg0=%s arg1=-v\nerr\n", prog);
    assert_string_equal(out.data, want);
    dcc_buf_free(&out);
}

static void capture_survives_a_daemon_that_ignores_sigchld(void **state)
{
    (void)state;
    /* With SIGCHLD ignored the kernel reaps for us and the status is lost;
     * the output must still arrive and nothing may hang. */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
    char prog[PATH_MAX];
    path_in(prog, sizeof(prog), "bin/gcc");
    char *argv[] = {"gcc", "-dumpfullversion", NULL};
    struct dcc_buf out = {0};
    char err[512] = "";
    int st = -1;
    int rc = dcc_toolchain_capture(prog, argv, "", 5000, 100, &out, &st, err, sizeof(err));
    assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(st, 0);
    assert_string_equal(out.data, "13.2.1\n");
    dcc_buf_free(&out);
}

static void slow_compilers_are_cut_off_and_the_report_keeps_its_deadline(void **state)
{
    (void)state;
    mkdir_in("slowwl");
    mkdir_in("slowbin");
    static const char *const names[] = {"slow1", "slow2", "slow3"};
    for (int i = 0; i < 3; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "slowwl/%s", names[i]);
        write_in(rel, "", 0644);
        snprintf(rel, sizeof(rel), "slowbin/%s", names[i]);
        write_in(rel, "#!/bin/sh\nexec sleep 30\n", 0755);
    }
    char wl[PATH_MAX], bin[PATH_MAX];
    path_in(wl, sizeof(wl), "slowwl");
    path_in(bin, sizeof(bin), "slowbin");
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s:/bin:/usr/bin", bin);
    struct dcc_toolchain_opts opts = {.whitelist_dir = wl,
                                      .path = path,
                                      .hostname = "h",
                                      .make_conf = "/nonexistent",
                                      .probe_timeout_ms = 300,
                                      .total_timeout_ms = 400};
    struct dcc_buf buf = {0};
    char err[256];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(dcc_toolchain_report_opts(&opts, &buf, err, sizeof(err)), 0);
    /* slow1 300 ms, slow2 the 100 ms left, slow3 not run, as and ld not run */
    assert_true(seconds_since(&t0) < 1.5);

    json_t *j = json_loads(buf.data, 0, NULL);
    assert_non_null(j);
    json_t *c = json_object_get(j, "compilers");
    char want[PATH_MAX + 128];
    snprintf(want, sizeof(want), "slow1 -dumpfullversion: %s/slow1 did not finish within 300 ms",
             bin);
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "slow1"), "error")),
                        want);
    assert_true(json_is_true(json_object_get(json_object_get(c, "slow1"), "found")));
    assert_true(json_is_null(json_object_get(json_object_get(c, "slow1"), "version")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "slow3"), "error")),
                        "slow3 -dumpfullversion: not probed: the report ran out of time");
    json_t *ld = json_object_get(json_object_get(j, "binutils"), "ld");
    assert_true(json_is_true(json_object_get(ld, "found")));
    assert_string_equal(json_string_value(json_object_get(ld, "error")),
                        "ld --version: not probed: the report ran out of time");
    json_decref(j);
    dcc_buf_free(&buf);
    no_children_left();
}

static void chost_comes_from_make_conf_file_or_directory(void **state)
{
    (void)state;
    char out[128], p[PATH_MAX];
    const char *source = NULL;
    unsetenv("CHOST");

    write_in("mc1",
             "CHOST_x86=\"i686-pc-linux-gnu\"\n"
             "  export CHOST='x86_64-pc-linux-gnu' # the host\n"
             "CFLAGS=\"-O2\"\n",
             0644);
    path_in(p, sizeof(p), "mc1");
    assert_int_equal(dcc_toolchain_chost(p, out, sizeof(out), &source), 0);
    assert_string_equal(out, "x86_64-pc-linux-gnu");
    assert_string_equal(source, "make.conf");

    write_in("mc2", "CHOST=armv7a-unknown-linux-gnueabihf # comment\nCHOST=\"\n", 0644);
    path_in(p, sizeof(p), "mc2");
    assert_int_equal(dcc_toolchain_chost(p, out, sizeof(out), &source), 0);
    assert_string_equal(out, "armv7a-unknown-linux-gnueabihf");

    write_in("mc3", "CHOST=\"x86_64-pc-linux-gnu\"\nCHOST=\"\"\n", 0644);
    path_in(p, sizeof(p), "mc3");
    assert_int_equal(dcc_toolchain_chost(p, out, sizeof(out), &source), -1);

    /* Portage reads a make.conf directory's files in name order. */
    mkdir_in("mcdir");
    write_in("mcdir/10-base", "CHOST=\"x86_64-pc-linux-gnu\"\n", 0644);
    write_in("mcdir/20-cross", "CHOST=\"riscv64-unknown-linux-gnu\"\n", 0644);
    write_in("mcdir/30-flags", "MAKEOPTS=\"-j8\"\n", 0644);
    write_in("mcdir/.hidden", "CHOST=\"hidden-wrong\"\n", 0644);
    write_in("mcdir/99-backup~", "CHOST=\"backup-wrong\"\n", 0644);
    path_in(p, sizeof(p), "mcdir");
    assert_int_equal(dcc_toolchain_chost(p, out, sizeof(out), &source), 0);
    assert_string_equal(out, "riscv64-unknown-linux-gnu");

    setenv("CHOST", "powerpc64le-unknown-linux-gnu", 1);
    assert_int_equal(dcc_toolchain_chost(p, out, sizeof(out), &source), 0);
    assert_string_equal(out, "powerpc64le-unknown-linux-gnu");
    assert_string_equal(source, "env");
    setenv("CHOST", "", 1);
    assert_int_equal(dcc_toolchain_chost(p, out, sizeof(out), &source), 0);
    assert_string_equal(source, "make.conf");
    unsetenv("CHOST");

    assert_int_equal(dcc_toolchain_chost("/nonexistent/make.conf", out, sizeof(out), &source), -1);
}

static void banner_versions(void **state)
{
    (void)state;
    static const struct {
        const char *banner;
        const char *version;
    } cases[] = {
        {"GNU assembler (GNU Binutils for Debian) 2.40", "2.40"},
        {"GNU ld (GNU Binutils for Debian) 2.40\nCopyright 2023", "2.40"},
        {"GNU assembler (Gentoo 2.41 p5) 2.41.0", "2.41.0"},
        {"LLD 14.0.6 (compatible with GNU linkers)", "14.0.6"},
        {"GNU gold (GNU Binutils for Debian 2.40) 1.16", "1.16"},
        {"GNU ld version 2.30-123.el8", NULL},
    };
    char out[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (!cases[i].version) {
            /* "2.30-123.el8" is not digits and dots: no version rather than a wrong one */
            assert_int_equal(dcc_toolchain_banner_version(cases[i].banner, out, sizeof(out)), -1);
            continue;
        }
        assert_int_equal(dcc_toolchain_banner_version(cases[i].banner, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].version);
    }
    assert_int_equal(dcc_toolchain_banner_version("no version here", out, sizeof(out)), -1);
    assert_int_equal(dcc_toolchain_banner_version("", out, sizeof(out)), -1);
    char tiny[4];
    assert_int_equal(dcc_toolchain_banner_version("ld 2.40.50", tiny, sizeof(tiny)), -1);
}

static void v_output_is_read_for_defaults(void **state)
{
    (void)state;
    struct dcc_compiler_v v;
    dcc_toolchain_parse_v("Target: x86_64-linux-gnu\n"
                          "Configured with: ../src/configure -v --enable-default-pie "
                          "--disable-default-ssp --enable-cet\n"
                          "Thread model: posix\r\n"
                          "gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) \n",
                          &v);
    assert_int_equal(v.pie_default, 1);
    assert_int_equal(v.ssp_default, 0);
    assert_int_equal(v.cet_enabled, 1);
    assert_string_equal(v.thread_model, "posix");
    assert_string_equal(v.version_line, "gcc version 12.2.0 (Debian 12.2.0-14+deb12u1)");

    /* A later option wins; a quoted one still counts; a longer one does not. */
    dcc_toolchain_parse_v("Configured with: x --enable-default-pie --disable-default-pie "
                          "'--enable-default-ssp' --enable-cet-extra",
                          &v);
    assert_int_equal(v.pie_default, 0);
    assert_int_equal(v.ssp_default, 1);
    assert_int_equal(v.cet_enabled, 0);
    assert_string_equal(v.thread_model, "");
    assert_string_equal(v.version_line, "");

    dcc_toolchain_parse_v("Debian clang version 14.0.6\nTarget: x86_64-pc-linux-gnu\n"
                          "Thread model: posix\n",
                          &v);
    assert_int_equal(v.pie_default, -1);
    assert_int_equal(v.ssp_default, -1);
    assert_int_equal(v.cet_enabled, -1);
    assert_string_equal(v.version_line, "Debian clang version 14.0.6");
}

/* popen's first line, for comparing with what the report says. */
static void shell_first_line(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = '\0';
    if (fgets(out, (int)len, p))
        out[strcspn(out, "\n")] = '\0';
    assert_int_equal(pclose(p), 0);
}

static void real_gcc_on_this_machine(void **state)
{
    (void)state;
    const char *path = getenv("PATH");
    assert_non_null(path);
    char wl[PATH_MAX];
    path_in(wl, sizeof(wl), "realwl");
    mkdir_in("realwl");
    write_in("realwl/gcc", "", 0644);

    struct dcc_buf buf = {0};
    char err[256] = "";
    assert_int_equal(dcc_toolchain_report(wl, path, &buf, err, sizeof(err)), 0);
    json_t *j = json_loads(buf.data, 0, NULL);
    assert_non_null(j);
    json_t *gcc = json_object_get(json_object_get(j, "compilers"), "gcc");
    assert_true(json_is_true(json_object_get(gcc, "found")));
    assert_true(json_is_null(json_object_get(gcc, "error")));

    char want[256];
    shell_first_line("gcc -dumpfullversion", want, sizeof(want));
    assert_true(want[0] != '\0');
    assert_string_equal(json_string_value(json_object_get(gcc, "version")), want);
    shell_first_line("gcc -dumpmachine", want, sizeof(want));
    assert_true(want[0] != '\0');
    assert_string_equal(json_string_value(json_object_get(gcc, "machine")), want);
    assert_true(json_is_boolean(json_object_get(gcc, "pie_default")));
    assert_true(dcc_str_startswith(json_string_value(json_object_get(gcc, "version_line")),
                                   "gcc version "));

    json_t *ld = json_object_get(json_object_get(j, "binutils"), "ld");
    if (json_is_true(json_object_get(ld, "found"))) {
        shell_first_line("LC_ALL=C ld --version", want, sizeof(want));
        assert_string_equal(json_string_value(json_object_get(ld, "banner")), want);
        assert_true(json_string_length(json_object_get(ld, "version")) > 0);
    }
    char host[256] = "";
    assert_int_equal(gethostname(host, sizeof(host)), 0);
    assert_string_equal(json_string_value(json_object_get(j, "host")), host);
    json_decref(j);
    dcc_buf_free(&buf);
    no_children_left();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_describes_every_whitelisted_compiler),
        cmocka_unit_test(chost_from_the_environment_wins),
        cmocka_unit_test(missing_whitelist_dir_is_an_error),
        cmocka_unit_test(find_skips_distcc_and_the_whitelist),
        cmocka_unit_test(capture_times_out_and_kills_the_whole_group),
        cmocka_unit_test(capture_keeps_the_first_cap_bytes_and_drains_the_rest),
        cmocka_unit_test(capture_reports_programs_that_cannot_start),
        cmocka_unit_test(capture_gives_a_clean_environment),
        cmocka_unit_test(capture_survives_a_daemon_that_ignores_sigchld),
        cmocka_unit_test(slow_compilers_are_cut_off_and_the_report_keeps_its_deadline),
        cmocka_unit_test(chost_comes_from_make_conf_file_or_directory),
        cmocka_unit_test(banner_versions),
        cmocka_unit_test(v_output_is_read_for_defaults),
        cmocka_unit_test(real_gcc_on_this_machine),
    };
    return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
