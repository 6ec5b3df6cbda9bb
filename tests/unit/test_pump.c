/* Unit tests for dcc_pump: client path and link checks, argument re-rooting, .d root stripping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/dcc_args.h"
#include "daemon/dcc_pump.h"
#include "test_helpers.h"
#include "base/dcc_util.h"

#define ROOT "/var/tmp/distccd_ab12CD/root"

/* ---- Directory placeholders ---- */

static void test_dir_placeholder(void **state)
{
    (void)state;
    /* Empty, named exactly so: the directory only. */
    assert_int_equal(dcc_pump_is_dir_placeholder("/src/inc/forcing_technique_271828", 0), 1);
    assert_int_equal(dcc_pump_is_dir_placeholder("/forcing_technique_271828", 0), 1);
    /* With a body, or another name, it is a file like any other. */
    assert_int_equal(dcc_pump_is_dir_placeholder("/src/inc/forcing_technique_271828", 1), 0);
    assert_int_equal(dcc_pump_is_dir_placeholder("/src/inc/forcing_technique_2718281", 0), 0);
    assert_int_equal(dcc_pump_is_dir_placeholder("/src/inc/xforcing_technique_271828", 0), 0);
    assert_int_equal(dcc_pump_is_dir_placeholder("/src/forcing_technique_271828/a.h", 0), 0);
    assert_int_equal(dcc_pump_is_dir_placeholder("/src/inc/empty.h", 0), 0);
}

/* ---- NAME and CDIR ---- */

static const struct path_case {
    const char *path;
    int may_be_root;
    const char *why; /* NULL: accepted */
} path_cases[] = {
    {"/src/m.c", 0, NULL},
    {"/usr/include/stdio.h", 0, NULL},
    {"/src/inc/forcing_technique_271828", 0, NULL},
    {"/a", 0, NULL},
    {"/src/..hidden/.x", 0, NULL},
    {"/src/a...b", 0, NULL},
    {"/", 1, NULL},
    {"/home/u/proj", 1, NULL},
    {"/", 0, "it names the root directory"},
    {"", 0, "it is not an absolute path"},
    {"src/m.c", 0, "it is not an absolute path"},
    {"./m.c", 0, "it is not an absolute path"},
    {"../m.c", 1, "it is not an absolute path"},
    {"/src/../etc/passwd", 0, "it has a \"..\" component"},
    {"/..", 0, "it has a \"..\" component"},
    {"/src/..", 1, "it has a \"..\" component"},
    {"/src/./m.c", 0, "it has a \".\" component"},
    {"/.", 1, "it has a \".\" component"},
    {"/src//m.c", 0, "it has an empty component (\"//\" or a trailing \"/\")"},
    {"//src/m.c", 0, "it has an empty component (\"//\" or a trailing \"/\")"},
    {"/src/", 0, "it has an empty component (\"//\" or a trailing \"/\")"},
    {"/src/", 1, "it has an empty component (\"//\" or a trailing \"/\")"},
    {"//", 1, "it has an empty component (\"//\" or a trailing \"/\")"},
};

static void test_check_path_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof path_cases / sizeof path_cases[0]; i++) {
        const struct path_case *c = &path_cases[i];
        print_message("# \"%s\" (may be root: %d)\n", c->path, c->may_be_root);
        char why[200] = "";
        int rc = dcc_pump_check_path(c->path, strlen(c->path), c->may_be_root, why, sizeof why);
        assert_int_equal(rc, c->why ? -1 : 0);
        assert_string_equal(why, c->why ? c->why : "");
    }
}

static void test_check_path_nul_byte(void **state)
{
    (void)state;
    static const char name[] = "/src/a.h\0/../../etc/passwd";
    char why[200] = "";
    assert_int_equal(dcc_pump_check_path(name, sizeof name - 1, 0, why, sizeof why), -1);
    assert_string_equal(why, "it contains a NUL byte");
}

static void test_check_path_depth(void **state)
{
    (void)state;
    /* 64 components pass (each directory costs the helper an inode), 65 do not */
    char name[65 * 2 + 1];
    for (int i = 0; i < 65; i++)
        memcpy(name + 2 * i, "/d", 2);
    name[64 * 2] = '\0';
    char why[200] = "";
    assert_int_equal(dcc_pump_check_path(name, strlen(name), 0, why, sizeof why), 0);
    name[64 * 2] = '/';
    name[65 * 2] = '\0';
    assert_int_equal(dcc_pump_check_path(name, strlen(name), 1, why, sizeof why), -1);
    assert_string_equal(why, "it has more than 64 components");
}

static void test_check_path_lengths(void **state)
{
    (void)state;
    char why[200] = "";
    /* a 255-byte component passes, 256 does not */
    char name[PATH_MAX + 8];
    name[0] = '/';
    memset(name + 1, 'a', 255);
    name[256] = '\0';
    assert_int_equal(dcc_pump_check_path(name, strlen(name), 0, why, sizeof why), 0);
    strcpy(name + 256, "b");
    assert_int_equal(dcc_pump_check_path(name, strlen(name), 0, why, sizeof why), -1);
    assert_string_equal(why, "a component is longer than 255 bytes");
    /* the whole: shorter than PATH_MAX */
    size_t n = 0;
    while (n + 100 < PATH_MAX) {
        name[n++] = '/';
        memset(name + n, 'd', 99);
        n += 99;
    }
    name[n] = '\0';
    assert_int_equal(dcc_pump_check_path(name, n, 0, why, sizeof why), 0);
    memset(name + n, 'e', PATH_MAX - n);
    name[PATH_MAX] = '\0';
    assert_int_equal(dcc_pump_check_path(name, PATH_MAX, 0, why, sizeof why), -1);
    snprintf(name, sizeof name, "it is longer than %d bytes", PATH_MAX - 1);
    assert_string_equal(why, name);
}

/* ---- LINK ---- */

static const struct link_case {
    const char *name;
    const char *target;
    const char *made; /* NULL: refused */
} link_cases[] = {
    {"/src/cc", "m.c", "m.c"},
    {"/src/inc/b.h", "../other/b.h", "../other/b.h"},
    {"/src/inc/b.h", "./b2.h", "./b2.h"},
    {"/a/b/c/l", "../../x", "../../x"},
    {"/a/b/c/l", "../../../x", "../../../x"}, /* lands on /x: still inside */
    {"/a/b/c/l", "d/../../../../../x", NULL},
    {"/a/b/c/l", "d/../../../../x", "d/../../../../x"},
    {"/a/b/c/l", "../../../../x", NULL},
    {"/l", "..", NULL},
    {"/l", "x/..", "x/.."},
    {"/l", ".", "."},
    /* absolute: made relative to the link's directory, never the host path */
    {"/src/lib", "/usr/lib/x", "../usr/lib/x"},
    {"/src/lib", "/", ".."},
    {"/src/lib", "/a/../b", "../a/../b"},
    {"/a/b/l", "/", "../.."},
    {"/a/b/l", "/usr/", "../../usr/"},
    {"/l", "/", "."},
    {"/l", "/usr/include", "usr/include"},
    {"/src/lib", "/../etc", NULL},
    {"/src/lib", "/a/../../etc", NULL},
    {"/src/lib", "", NULL},
};

static void test_link_target_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof link_cases / sizeof link_cases[0]; i++) {
        const struct link_case *c = &link_cases[i];
        print_message("# %s -> %s\n", c->name, c->target);
        char why[200] = "";
        char *made = dcc_pump_link_target(c->name, c->target, strlen(c->target), why, sizeof why);
        if (c->made) {
            assert_non_null(made);
            assert_string_equal(made, c->made);
            assert_string_equal(why, "");
        } else {
            assert_null(made);
            assert_string_equal(why, c->target[0] ? "its target climbs out of the job's root"
                                                  : "its target is empty");
        }
        free(made);
    }
}

static void test_link_target_nul_byte(void **state)
{
    (void)state;
    static const char target[] = "a.h\0../../../../etc";
    char why[200] = "";
    assert_null(dcc_pump_link_target("/src/l", target, sizeof target - 1, why, sizeof why));
    assert_string_equal(why, "its target contains a NUL byte");
}

/* ---- links, checked with the kernel once all are in place ---- */

/* A job root in a fresh directory: src/a/b/c, usr/include/stdio.h. */
static int make_root(char *dir, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/test_pump.XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char cmd[PATH_MAX + 100];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p root/src/a/b/c root/usr/include && : >root/usr/include/stdio.h",
             dir);
    assert_int_equal(system(cmd), 0);
    char root[PATH_MAX + 8];
    snprintf(root, sizeof root, "%s/root", dir);
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static void remove_root(int rootfd, const char *dir)
{
    close(rootfd);
    assert_int_equal(dcc_test_rmtree(dir), 0);
}

/* Makes NAME name -> LINK sent as the daemon does. */
static char *add_link(int rootfd, const char *name, const char *sent)
{
    char why[200] = "";
    char *made = dcc_pump_link_target(name, sent, strlen(sent), why, sizeof why);
    assert_non_null(made);
    assert_int_equal(symlinkat(made, rootfd, name + 1), 0);
    return made;
}

static const struct beneath_case {
    const char *name;
    const char *sent;
    const char *why; /* NULL: accepted */
} beneath_cases[] = {
    /* each passes the lexical check alone */
    {"/src/a/b/c/s", "../../../..", NULL}, /* the root itself */
    {"/src/a/b/c/t", "s/../../../..", "it leads out of the job's root through other links"},
    /* a ".." that climbs out is found before what is missing after it */
    {"/src/a/b/c/u", "s/../no/such/file", "it leads out of the job's root through other links"},
    {"/src/a/b/c/v", "s/src/a/b/c/t/x", "it leads out of the job's root through other links"},
    {"/src/inc", "/usr/include", NULL},
    {"/src/stdio.h", "inc/stdio.h", NULL},
    {"/src/abs", "/src/a/b/c/s/usr/include/stdio.h", NULL},
    /* dangling: fine when only the end is missing, or nothing after climbs */
    {"/src/dangling.h", "no-such.h", NULL},
    {"/src/a/dangling", "../../src/no/such/dir", NULL},
    {"/src/a/b/c/w", "s/no-such-dir/../..",
     "its target climbs with \"..\" out of a directory the job does not have"},
    {"/src/a/b/c/x", "../../../../usr/include/stdio.h/..",
     "its target climbs with \"..\" out of a directory the job does not have"},
    {"/src/loop1", "loop2",
     "it is part of a loop of links, or of a chain longer than the kernel follows"},
    {"/src/loop2", "loop1",
     "it is part of a loop of links, or of a chain longer than the kernel follows"},
};

static void test_link_beneath_table(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    int rootfd = make_root(dir, sizeof dir);
    char *made[sizeof beneath_cases / sizeof beneath_cases[0]];
    for (size_t i = 0; i < sizeof beneath_cases / sizeof beneath_cases[0]; i++)
        made[i] = add_link(rootfd, beneath_cases[i].name, beneath_cases[i].sent);
    for (size_t i = 0; i < sizeof beneath_cases / sizeof beneath_cases[0]; i++) {
        const struct beneath_case *c = &beneath_cases[i];
        print_message("# %s -> %s (made %s)\n", c->name, c->sent, made[i]);
        char why[300] = "";
        int rc = dcc_pump_check_link_beneath(rootfd, c->name, made[i], why, sizeof why);
        assert_string_equal(why, c->why ? c->why : "");
        assert_int_equal(rc, c->why ? -1 : 0);
        free(made[i]);
    }
    remove_root(rootfd, dir);
}

/* ---- arguments ---- */

#define MAPS \
    "-fdebug-prefix-map=" ROOT "=/ -fdebug-prefix-map=" ROOT "/=/ -fmacro-prefix-map=" ROOT "= "
#define OUT "/var/tmp/distccd_ab12CD/m.o"
#define DEPS "/var/tmp/distccd_ab12CD/deps.d"

static const struct rewrite_case {
    const char *client;
    const char *server;
} rewrite_cases[] = {
    /* the plain job: -MMD, -MF, and -MQ naming the client's -o */
    {"gcc -c m.c -o m.o", "gcc " MAPS "-c m.c -o " OUT " -MMD -MF " DEPS " -MQm.o"},
    /* no -o: the name scan gave it */
    {"gcc -O2 -c sub/m.c", "gcc " MAPS "-O2 -c sub/m.c -o " OUT " -MMD -MF " DEPS " -MQm.o"},
    {"gcc -c m.c -oobj/m.o", "gcc " MAPS "-c m.c -o" OUT " -MMD -MF " DEPS " -MQobj/m.o"},
    /* an absolute source */
    {"gcc -c /home/u/m.c -o /home/u/m.o",
     "gcc " MAPS "-c " ROOT "/home/u/m.c -o " OUT " -MMD -MF " DEPS " -MQ/home/u/m.o"},
    /* every path option, separate and joined */
    {"gcc -I/a -I /b -Irel -I rel2 -c m.c -o m.o",
     "gcc " MAPS "-I" ROOT "/a -I " ROOT "/b -Irel -I rel2 -c m.c -o " OUT " -MMD -MF " DEPS
     " -MQm.o"},
    {"gcc -include /a/c.h -include/b/c.h -include c.h -imacros /m.h -imacros/n.h -c m.c -o m.o",
     "gcc " MAPS "-include " ROOT "/a/c.h -include" ROOT "/b/c.h -include c.h -imacros " ROOT
     "/m.h -imacros" ROOT "/n.h -c m.c -o " OUT " -MMD -MF " DEPS " -MQm.o"},
    {"gcc -idirafter /d -idirafter/e -iprefix /p/ -iwithprefix /w -iwithprefixbefore /wb -iwithprefixbefore/wc "
     "-c m.c -o m.o",
     "gcc " MAPS "-idirafter " ROOT "/d -idirafter" ROOT "/e -iprefix " ROOT
     "/p/ -iwithprefix " ROOT "/w -iwithprefixbefore " ROOT "/wb -iwithprefixbefore" ROOT
     "/wc -c m.c -o " OUT " -MMD -MF " DEPS " -MQm.o"},
    {"gcc -isystem /s -isystem/t -iquote /q -iquote/r -iquote q -c m.c -o m.o",
     "gcc " MAPS "-isystem " ROOT "/s -isystem" ROOT "/t -iquote " ROOT "/q -iquote" ROOT
     "/r -iquote q -c m.c -o " OUT " -MMD -MF " DEPS " -MQm.o"},
    {"gcc --include-directory=/x --include-directory /y --include-directory-after=/z --include=/c.h --imacros /m.h "
     "-c m.c -o m.o",
     "gcc " MAPS "--include-directory=" ROOT "/x --include-directory " ROOT
     "/y --include-directory-after=" ROOT "/z --include=" ROOT "/c.h --imacros " ROOT
     "/m.h -c m.c -o " OUT " -MMD -MF " DEPS " -MQm.o"},
    {"gcc -Xpreprocessor -I/x -Xpreprocessor -DX -c m.c -o m.o",
     "gcc " MAPS "-Xpreprocessor -I" ROOT "/x -Xpreprocessor -DX -c m.c -o " OUT " -MMD -MF " DEPS
     " -MQm.o"},
    /* values of other options are not paths to re-root */
    {"gcc -MT -I/x -D -I/y -c m.c -o m.o",
     "gcc " MAPS "-MT -I/x -D -I/y -c m.c -o " OUT " -MMD -MF " DEPS},
    {"gcc -isysroot /usr/sys --sysroot=/usr/sys -c m.c -o m.o",
     "gcc " MAPS "-isysroot /usr/sys --sysroot=/usr/sys -c m.c -o " OUT " -MMD -MF " DEPS
     " -MQm.o"},
    /* dependency options: -MF goes (both forms), the rest stay */
    {"gcc -MD -MF m.d -c m.c -o m.o", "gcc " MAPS "-MD -c m.c -o " OUT " -MF " DEPS " -MQm.o"},
    {"gcc -MMD -MFdeps/m.d -MP -c m.c -o m.o",
     "gcc " MAPS "-MMD -MP -c m.c -o " OUT " -MF " DEPS " -MQm.o"},
    {"gcc -MD -MT tgt -MQq -MG -c m.c -o m.o",
     "gcc " MAPS "-MD -MT tgt -MQq -MG -c m.c -o " OUT " -MF " DEPS},
    {"gcc -MD -MTtgt -c m.c -o m.o", "gcc " MAPS "-MD -MTtgt -c m.c -o " OUT " -MF " DEPS},
    {"gcc -MD -MQtgt -c m.c -o m.o", "gcc " MAPS "-MD -MQtgt -c m.c -o " OUT " -MF " DEPS},
    /* -Wp,-MD,F: cc1 names the target after the source */
    {"gcc -Wp,-MD,.deps/m.d -c src/m.c -o obj/x.o",
     "gcc " MAPS "-MD -c src/m.c -o " OUT " -MF " DEPS " -MQm.o"},
    {"gcc -Wp,-MMD,m.d -c a.b.cc", "gcc " MAPS "-MMD -c a.b.cc -o " OUT " -MF " DEPS " -MQa.b.o"},
    /* a target that starts with '-' stays a target */
    {"gcc -c m.c -o-m.o", "gcc " MAPS "-c m.c -o" OUT " -MMD -MF " DEPS " -MQ-m.o"},
    {"gcc -Wp,-MD,m.d -MT t -c m.c", "gcc " MAPS "-MD -MT t -c m.c -o " OUT " -MF " DEPS},
    /* the client's prefix maps: OLD re-rooted when absolute, after ours */
    {"gcc -g -fdebug-prefix-map=/home/u=/src -fmacro-prefix-map=/home/u=. -ffile-prefix-map=/b=/c "
     "-ffile-prefix-map=rel=x -c m.c -o m.o",
     "gcc " MAPS "-g -fdebug-prefix-map=" ROOT "/home/u=/src -fmacro-prefix-map=" ROOT
     "/home/u=. -ffile-prefix-map=" ROOT "/b=/c -ffile-prefix-map=rel=x -c m.c -o " OUT
     " -MMD -MF " DEPS " -MQm.o"},
    /* gcc 12 reads --debug-prefix-map= as -fdebug-prefix-map= */
    {"gcc -g --debug-prefix-map=/home/u=/src -c m.c -o m.o",
     "gcc " MAPS "-g --debug-prefix-map=" ROOT "/home/u=/src -c m.c -o " OUT " -MMD -MF " DEPS
     " -MQm.o"},
};

static void test_rewrite_table(void **state)
{
    (void)state;
    struct dcc_pump_paths paths = {.root = ROOT, .output = OUT, .deps = DEPS};
    for (size_t i = 0; i < sizeof rewrite_cases / sizeof rewrite_cases[0]; i++) {
        const struct rewrite_case *c = &rewrite_cases[i];
        print_message("# %s\n", c->client);
        char **argv = words(c->client);
        struct dcc_scan scan;
        char err[200] = "";
        assert_int_equal(dcc_args_scan(&argv, &scan, err, sizeof err), 0);
        assert_false(scan.local_only);
        assert_int_equal(dcc_pump_rewrite_args(&argv, &scan, &paths, err, sizeof err), 0);
        char *joined = dcc_argv_join(argv);
        assert_non_null(joined);
        assert_string_equal(joined, c->server);
        free(joined);
        dcc_argv_free(argv);
    }
}

static void test_rewrite_refuses_a_local_job(void **state)
{
    (void)state;
    struct dcc_pump_paths paths = {.root = ROOT, .output = OUT, .deps = DEPS};
    char **argv = words("gcc m.o -o prog");
    struct dcc_scan scan;
    char err[200] = "";
    assert_int_equal(dcc_args_scan(&argv, &scan, err, sizeof err), 0);
    assert_true(scan.local_only);
    assert_int_equal(dcc_pump_rewrite_args(&argv, &scan, &paths, err, sizeof err), -1);
    assert_string_equal(err, "this job has no source or output to rewrite");
    assert_string_equal(argv[1], "m.o"); /* untouched */
    dcc_argv_free(argv);
}

/* Whatever reaches the rewrite, no word it returns starts with '@'. */
static void test_rewrite_refuses_a_response_file(void **state)
{
    (void)state;
    struct dcc_pump_paths paths = {.root = ROOT, .output = OUT, .deps = DEPS};
    char **argv = words("gcc -D @opts -c m.c -o m.o");
    struct dcc_scan scan;
    char err[200] = "";
    assert_int_equal(dcc_args_scan(&argv, &scan, err, sizeof err), 0);
    assert_int_equal(dcc_pump_rewrite_args(&argv, &scan, &paths, err, sizeof err), -2);
    assert_string_equal(err, "the argument \"@opts\" would be read by gcc as a response file");
    dcc_argv_free(argv);

    /* cc1 gets -MQ and its value as two words whatever the driver got. */
    static const char *const targets[][2] = {
        {"gcc -c m.c -o@opts", "@opts"},
        {"gcc -Wp,-MD,d.d -c sub/@x.c", "@x.o"},
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        argv = words(targets[i][0]);
        assert_int_equal(dcc_args_scan(&argv, &scan, err, sizeof err), 0);
        assert_int_equal(dcc_pump_rewrite_args(&argv, &scan, &paths, err, sizeof err), -2);
        char want[200];
        snprintf(want, sizeof want,
                 "the dependency target \"%s\" would be read by gcc as a response file",
                 targets[i][1]);
        assert_string_equal(err, want);
        dcc_argv_free(argv);
    }
}

/* Stock's links to the client compiler's default include directories. */
static void test_system_links(void **state)
{
    (void)state;
    char up22[3 * 22 + 1] = "", up2[7] = "../../", target[512];
    for (int i = 0; i < 22; i++)
        strcat(up22, "../");
    static const struct {
        const char *name, *up, *rest;
        int is_system;
    } cases[] = {
        {"/usr/include", "22", "usr/include", 1},
        {"/usr/lib/gcc/x86_64-linux-gnu/12/include", "22",
         "usr/lib/gcc/x86_64-linux-gnu/12/include", 1},
        {"/usr/include", "2", "usr/include", 1},
        {"/usr/local/include", "2", "usr/local/include", 0}, /* not enough to leave the root */
        {"/usr/include", "22", "usr/lib", 0},
        {"/usr/include", "22", "usr/include/", 0},
        {"/usr/include", "22", "./usr/include", 0},
        {"/usr", "22", "usr", 0},
        {"/usrx/include", "22", "usrx/include", 0},
        {"/etc", "22", "etc", 0},
        {"/src/out", "22", "src/out", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(target, sizeof target, "%s%s", strcmp(cases[i].up, "22") == 0 ? up22 : up2,
                 cases[i].rest);
        print_message("# %s -> %s\n", cases[i].name, target);
        assert_int_equal(dcc_pump_is_system_link(cases[i].name, target, strlen(target)),
                         cases[i].is_system);
    }
    /* A NUL inside the target is never one. */
    snprintf(target, sizeof target, "%susr/include", up22);
    assert_int_equal(dcc_pump_is_system_link("/usr/include", target, strlen(target) + 1), 0);

    /* Options under a system directory are left alone, the rest re-rooted. */
    char *sys[] = {"/usr/include", NULL};
    struct dcc_pump_paths paths = {.root = ROOT, .output = OUT, .deps = DEPS, .system_dirs = sys};
    char **argv = words(
        "gcc -I/usr/include/linux -I /usr/include -I/usr/includex -isystem/usr/include/x "
        "-Xpreprocessor -I/usr/include/y -c /usr/include/m.c -o m.o");
    struct dcc_scan scan;
    char err[200] = "";
    assert_int_equal(dcc_args_scan(&argv, &scan, err, sizeof err), 0);
    assert_int_equal(dcc_pump_rewrite_args(&argv, &scan, &paths, err, sizeof err), 0);
    char *joined = dcc_argv_join(argv);
    assert_string_equal(joined,
                        "gcc " MAPS "-I/usr/include/linux -I /usr/include -I" ROOT "/usr/includex "
                        "-isystem/usr/include/x -Xpreprocessor -I/usr/include/y -c " ROOT
                        "/usr/include/m.c -o " OUT " -MMD -MF " DEPS " -MQm.o");
    free(joined);
    dcc_argv_free(argv);
}

/* ---- .d and stderr ---- */

static void test_strip_root(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"m.o: m.c " ROOT "/src/inc/a.h \\\n " ROOT "/opt/x.h\n",
         "m.o: m.c /src/inc/a.h \\\n /opt/x.h\n"},
        {ROOT "/a", "/a"},
        {ROOT, ROOT},             /* not followed by '/' */
        {ROOT "x/a", ROOT "x/a"}, /* a longer name that starts the same */
        {"/var/tmp/distccd_ab12CD/m.o", "/var/tmp/distccd_ab12CD/m.o"},
        {ROOT "/" ROOT "/", "//"},
        {"", ""},
        {"no root here\n", "no root here\n"},
        {ROOT "/src/m.c:3:2: error: #error x\n", "/src/m.c:3:2: error: #error x\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        print_message("# %s\n", cases[i].in);
        char *buf = strdup(cases[i].in);
        assert_non_null(buf);
        size_t n = dcc_pump_strip_root(buf, strlen(buf), ROOT);
        assert_int_equal(n, strlen(cases[i].out));
        assert_string_equal(buf, cases[i].out);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_placeholder),
        cmocka_unit_test(test_check_path_table),
        cmocka_unit_test(test_check_path_nul_byte),
        cmocka_unit_test(test_check_path_depth),
        cmocka_unit_test(test_check_path_lengths),
        cmocka_unit_test(test_link_target_table),
        cmocka_unit_test(test_link_target_nul_byte),
        cmocka_unit_test(test_link_beneath_table),
        cmocka_unit_test(test_rewrite_table),
        cmocka_unit_test(test_rewrite_refuses_a_local_job),
        cmocka_unit_test(test_rewrite_refuses_a_response_file),
        cmocka_unit_test(test_system_links),
        cmocka_unit_test(test_strip_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
