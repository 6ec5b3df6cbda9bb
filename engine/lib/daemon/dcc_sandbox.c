/* The job sandbox: probing the kernel's namespaces, Landlock and seccomp,
 * and confining one compiler process with them between fork and exec. */
#include "daemon/dcc_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DCC_WITH_SECCOMP
#define DCC_WITH_SECCOMP 0
#endif
#if DCC_WITH_SECCOMP
#include <seccomp.h>
#endif
#ifndef DCC_GNU_HOST
#define DCC_GNU_HOST "unknown-linux-gnu"
#endif

const char *const dcc_sandbox_mechanisms[DCC_SBX_COUNT] = {"user", "mount",    "pid",
                                                           "net",  "landlock", "seccomp"};

/* ------------------------------------------------------------------------
 * Landlock, by raw system calls: the C library has no wrappers, and the
 * kernel headers of older systems lack the later fields, so the ABI is
 * spelled out here (it is stable: fields are only ever appended).
 * ------------------------------------------------------------------------ */

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

enum {
    LL_EXECUTE = 1ull << 0,
    LL_WRITE_FILE = 1ull << 1,
    LL_READ_FILE = 1ull << 2,
    LL_READ_DIR = 1ull << 3,
    LL_REMOVE_DIR = 1ull << 4,
    LL_REMOVE_FILE = 1ull << 5,
    LL_MAKE_CHAR = 1ull << 6,
    LL_MAKE_DIR = 1ull << 7,
    LL_MAKE_REG = 1ull << 8,
    LL_MAKE_SOCK = 1ull << 9,
    LL_MAKE_FIFO = 1ull << 10,
    LL_MAKE_BLOCK = 1ull << 11,
    LL_MAKE_SYM = 1ull << 12,
    LL_REFER = 1ull << 13,     /* ABI 2 */
    LL_TRUNCATE = 1ull << 14,  /* ABI 3 */
    LL_IOCTL_DEV = 1ull << 15, /* ABI 5 */
};
#define LL_NET_BIND_TCP (1ull << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ull << 1)
#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

/* The file system rights each ABI knows. */
static uint64_t ll_fs_rights(int abi)
{
    uint64_t r = (1ull << 13) - 1;
    if (abi >= 2)
        r |= LL_REFER;
    if (abi >= 3)
        r |= LL_TRUNCATE;
    if (abi >= 5)
        r |= LL_IOCTL_DEV;
    return r;
}

#define LL_FILE_RIGHTS (LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV)
#define LL_READ (LL_READ_FILE | LL_READ_DIR)
#define LL_RUN (LL_READ | LL_EXECUTE)
#define LL_JOB \
    (LL_READ | LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_DIR | LL_MAKE_REG | \
     LL_REFER | LL_TRUNCATE)

static int landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    return v > 0 ? (int)v : 0;
}

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)n ? 0 : -1;
}

/* Makes the calling process root of nothing: a new user namespace (with
 * others in flags) where it keeps its own uid and gid, mapped one to one. */
static int enter_user_namespace(int flags, char *err, size_t errlen)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | flags) != 0) {
        set_err(err, errlen, "unshare: %s", strerror(errno));
        return -1;
    }
    /* A daemon that switched from root to its job user is not dumpable,
     * which leaves /proc/self/uid_map owned by root. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    char map[64];
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) != 0) {
        set_err(err, errlen, "cannot write uid_map: %s", strerror(errno));
        return -1;
    }
    if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT) {
        set_err(err, errlen, "cannot write setgroups: %s", strerror(errno));
        return -1;
    }
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (write_file("/proc/self/gid_map", map) != 0) {
        set_err(err, errlen, "cannot write gid_map: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Mounts dir on itself with noexec, nosuid and nodev added; flags the
 * original mount locks (read-only, the atime ones) are kept, or the kernel
 * refuses the remount in a user namespace. */
static int remount_noexec(const char *dir, char *err, size_t errlen)
{
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0) {
        set_err(err, errlen, "statvfs %s: %s", dir, strerror(errno));
        return -1;
    }
    if (mount(dir, dir, NULL, MS_BIND, NULL) != 0) {
        set_err(err, errlen, "bind mount of %s: %s", dir, strerror(errno));
        return -1;
    }
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOEXEC | MS_NOSUID | MS_NODEV;
    flags |= sv.f_flag & (ST_RDONLY | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
    if (!(sv.f_flag & (ST_NOATIME | ST_RELATIME)))
        flags |= MS_STRICTATIME;
    if (mount(NULL, dir, NULL, flags, NULL) != 0) {
        set_err(err, errlen, "noexec remount of %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Probe and decision
 * ------------------------------------------------------------------------ */

struct probe_result {
    unsigned have;
    int err[DCC_SBX_COUNT];
    char step[DCC_SBX_COUNT][40];
};

/* In the probe child: each namespace on its own, so one missing does not
 * hide the others. */
static void probe_namespaces(const char *dir, struct probe_result *r)
{
    char err[160];
    pid_t pid;
    static const struct {
        unsigned bit;
        int flag;
    } others[] = {{DCC_SBX_MOUNTNS, CLONE_NEWNS},
                  {DCC_SBX_PIDNS, CLONE_NEWPID},
                  {DCC_SBX_NETNS, CLONE_NEWNET}};
    if (enter_user_namespace(0, err, sizeof err) != 0) {
        r->err[0] = errno;
        snprintf(r->step[0], sizeof r->step[0], "%s",
                 strncmp(err, "unshare", 7) == 0 ? "unshare" : "id map");
        for (size_t i = 0; i < 3; i++) {
            r->err[i + 1] = 0;
            snprintf(r->step[i + 1], sizeof r->step[i + 1], "needs a user namespace");
        }
        return;
    }
    r->have |= DCC_SBX_USERNS;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        int bit = __builtin_ctz(others[i].bit);
        if (unshare(others[i].flag) != 0) {
            r->err[bit] = errno;
            snprintf(r->step[bit], sizeof r->step[bit], "unshare");
            continue;
        }
        if (others[i].flag == CLONE_NEWNS && remount_noexec(dir, err, sizeof err) != 0) {
            r->err[bit] = errno;
            snprintf(r->step[bit], sizeof r->step[bit], "noexec mount of the job directory");
            continue;
        }
        if (others[i].flag == CLONE_NEWPID) {
            /* The namespace exists only once its first process does. */
            pid = fork();
            if (pid == 0)
                _exit(0);
            if (pid < 0) {
                r->err[bit] = errno;
                snprintf(r->step[bit], sizeof r->step[bit], "fork into it");
                continue;
            }
            waitpid(pid, NULL, 0);
        }
        r->have |= others[i].bit;
    }
}

int dcc_sandbox_probe(const char *dir, uid_t uid, gid_t gid, struct dcc_sandbox_probe *p, char *err,
                      size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->landlock_abi = landlock_abi();
    if (p->landlock_abi > 0)
        p->have |= DCC_SBX_LANDLOCK;
    else
        snprintf(p->why[4], sizeof p->why[4],
                 "the kernel has no Landlock (or it is not in the lsm= list)");
#if DCC_WITH_SECCOMP
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0)
        p->have |= DCC_SBX_SECCOMP;
    else
        snprintf(p->why[5], sizeof p->why[5], "the kernel has no seccomp filters");
#else
    snprintf(p->why[5], sizeof p->why[5], "this distccd is built without libseccomp");
#endif

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        set_err(err, errlen, "cannot probe the sandbox: pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        set_err(err, errlen, "cannot probe the sandbox: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        struct probe_result r;
        memset(&r, 0, sizeof r);
        if (uid != (uid_t)-1 && geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
            r.err[0] = errno;
            snprintf(r.step[0], sizeof r.step[0], "switching to the job user");
        } else {
            probe_namespaces(dir, &r);
        }
        (void)!write(fds[1], &r, sizeof r);
        _exit(0);
    }
    close(fds[1]);
    struct probe_result r;
    ssize_t n;
    do
        n = read(fds[0], &r, sizeof r);
    while (n < 0 && errno == EINTR);
    close(fds[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof r) {
        set_err(err, errlen, "cannot probe the sandbox: the probe process failed");
        return -1;
    }
    p->have |= r.have;
    /* With Landlock's signal scope (ABI 6) a job is contained without a
     * pid namespace: see reap_job. */
    if (p->landlock_abi >= 6)
        p->have |= DCC_SBX_PIDNS;
    for (int i = 0; i < 4; i++)
        if (!(p->have & (1u << i)))
            snprintf(p->why[i], sizeof p->why[i], "%s%s%s", r.step[i], r.err[i] ? ": " : "",
                     r.err[i] ? strerror(r.err[i]) : "");
    return 0;
}

void dcc_sandbox_describe(unsigned mask, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < DCC_SBX_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                         dcc_sandbox_mechanisms[i]);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, len, "none");
}

int dcc_sandbox_mode_parse(const char *text, enum dcc_sandbox_mode *mode)
{
    static const struct {
        const char *name;
        enum dcc_sandbox_mode mode;
    } modes[] = {
        {"auto", DCC_SANDBOX_AUTO}, {"required", DCC_SANDBOX_REQUIRED}, {"off", DCC_SANDBOX_OFF}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(text, modes[i].name) == 0) {
            *mode = modes[i].mode;
            return 0;
        }
    }
    return -1;
}

int dcc_sandbox_decide(enum dcc_sandbox_mode mode, const struct dcc_sandbox_probe *p, unsigned *use,
                       char *msg, size_t msglen)
{
    msg[0] = '\0';
    if (mode == DCC_SANDBOX_OFF) {
        *use = 0;
        return 0;
    }
    unsigned missing = DCC_SBX_ALL & ~p->have;
    size_t used = 0;
    for (int i = 0; i < DCC_SBX_COUNT && missing; i++) {
        if (!(missing & (1u << i)))
            continue;
        int n = snprintf(msg + used, msglen - used, "%s%s (%s)", used ? ", " : "",
                         dcc_sandbox_mechanisms[i], p->why[i][0] ? p->why[i] : "not available");
        if (n < 0 || (size_t)n >= msglen - used)
            break;
        used += (size_t)n;
    }
    *use = p->have & DCC_SBX_ALL;
    return mode == DCC_SANDBOX_REQUIRED && missing ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Preparation (in the daemon, once)
 * ------------------------------------------------------------------------ */

static int add_path(char ***list, size_t *n, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return 0; /* not on this system: nothing to allow */
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], real) == 0)
            return 0;
    char **grown = realloc(*list, (*n + 1) * sizeof **list);
    if (!grown)
        return -1;
    *list = grown;
    if (!(grown[*n] = strdup(real)))
        return -1;
    (*n)++;
    return 0;
}

static int add_glob(char ***list, size_t *n, const char *pattern)
{
    glob_t g;
    if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
        return 0;
    int rc = 0;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
        rc = add_path(list, n, g.gl_pathv[i]);
    globfree(&g);
    return rc;
}

/* What a compile reads: system headers and libraries (shared libraries,
 * gcc's specs and plugins' headers, the locale archive), the loader's
 * cache, clang's configuration files and the release files its driver
 * tells distributions apart by, Gentoo's gcc-config settings (its
 * /usr/bin/gcc reads them to find the real gcc), time zones for __DATE__. */
static const char *const read_paths[] = {
    "/usr/include",
    "/usr/local/include",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libx32",
    "/usr/libexec",
    "/usr/local/lib",
    "/lib",
    "/lib32",
    "/lib64",
    "/usr/share/locale",
    "/usr/share/zoneinfo",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/clang",
    "/etc/env.d/gcc",
    "/etc/os-release",
    "/etc/lsb-release",
    "/etc/debian_version",
    "/etc/gentoo-release",
    "/etc/redhat-release",
    "/dev/urandom",
    NULL,
};

/* What a compile may execute besides the compiler itself: gcc's and
 * clang's private programs (cc1, cc1plus, collect2, lto-wrapper), Gentoo's
 * per-CHOST gcc-bin and binutils-bin, the dynamic loader. */
static const char *const exec_globs[] = {
    "/usr/lib/gcc",
    "/usr/libexec/gcc",
    "/usr/lib64/gcc",
    "/usr/lib/gcc-cross",
    "/usr/libexec/gcc-cross",
    "/usr/lib/llvm*",
    "/usr/lib64/llvm*",
    "/usr/*-*-*/gcc-bin",
    "/usr/*-*-*/binutils-bin",
    "/usr/*-*-*/bin",
    "/lib*/ld-linux*.so*",
    "/lib*/ld64.so*",
    "/lib/ld-musl-*.so*",
    "/usr/lib*/ld-linux*.so*",
    "/lib/*/ld-linux*.so*",
    "/usr/lib/*/ld-linux*.so*",
    NULL,
};

/* The assembler and friends the driver runs from PATH for -c and -S. */
static const char *const binutils[] = {"as", "ld", "ld.bfd", "ld.gold", "objcopy", NULL};

static int add_binutils(char ***list, size_t *n, const char *prefix)
{
    static const char *const dirs[] = {"/usr/local/bin", "/usr/bin", "/bin", NULL};
    char path[PATH_MAX];
    for (int d = 0; dirs[d]; d++)
        for (int b = 0; binutils[b]; b++) {
            snprintf(path, sizeof path, "%s/%s%s", dirs[d], prefix, binutils[b]);
            if (access(path, X_OK) == 0 && add_path(list, n, path) != 0)
                return -1;
        }
    return 0;
}

#if DCC_WITH_SECCOMP
/* System calls a compile never needs and a hostile one would want: the
 * kernel's own interfaces, other processes' memory, namespaces and mounts,
 * code from memory (memfd) and io_uring, which seccomp cannot see into. */
static const char *const denied_calls[] = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "kexec_load",
    "kexec_file_load",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "userfaultfd",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "open_by_handle_at",
    "name_to_handle_at",
    "memfd_create",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "open_tree",
    "move_mount",
    "mount_setattr",
    "kcmp",
    "pidfd_getfd",
    "quotactl",
    "ioperm",
    "iopl",
    "syslog",
    "lookup_dcookie",
    /* System V IPC and POSIX message queues: no compiler uses them, and
     * with them refused a job needs no IPC namespace of its own. */
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    NULL,
};

static int build_seccomp(struct dcc_sandbox *sb, char *err, size_t errlen)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        set_err(err, errlen, "seccomp_init failed");
        return -1;
    }
    int rc = 0;
    for (int i = 0; denied_calls[i] && rc == 0; i++) {
        int nr = seccomp_syscall_resolve_name(denied_calls[i]);
        if (nr != __NR_SCMP_ERROR)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    /* Only local sockets (the jobserver, a compiler's own pipes). */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX));
    /* clone3 hides its flags in memory: make the C library use clone,
     * whose flags can be checked. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    static const unsigned long ns_flags[] = {CLONE_NEWUSER,  CLONE_NEWNS,  CLONE_NEWPID,
                                             CLONE_NEWNET,   CLONE_NEWIPC, CLONE_NEWUTS,
                                             CLONE_NEWCGROUP};
    for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0] && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
    if (rc != 0) {
        set_err(err, errlen, "cannot build the seccomp filter: %s", strerror(-rc));
        seccomp_release(ctx);
        return -1;
    }
    /* Exported once; each job loads the ready program. */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        set_err(err, errlen, "cannot export the seccomp filter: %s", strerror(errno));
        seccomp_release(ctx);
        return -1;
    }
    rc = seccomp_export_bpf(ctx, fds[1]);
    close(fds[1]);
    seccomp_release(ctx);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t got = 0;
    while (buf && rc == 0 && (got = read(fds[0], buf + len, cap - len)) > 0) {
        len += (size_t)got;
        if (len == cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    close(fds[0]);
    if (!buf || rc != 0 || got < 0 || len == 0 || len % sizeof(struct sock_filter) != 0 ||
        len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        free(buf);
        set_err(err, errlen, "cannot export the seccomp filter");
        return -1;
    }
    sb->bpf = buf;
    sb->bpf_len = (unsigned short)(len / sizeof(struct sock_filter));
    return 0;
}
#endif

/* Opens each listed path once, as the rule it becomes: a directory gets
 * the rights for what is beneath it, a file only those a file can have. A
 * path that is gone now is left out. */
static int open_rules(struct dcc_sandbox *sb)
{
    size_t n = sb->nread + sb->nexec;
    if (n == 0)
        return 0;
    sb->rule_fds = malloc(n * sizeof *sb->rule_fds);
    sb->rule_rights = malloc(n * sizeof *sb->rule_rights);
    if (!sb->rule_fds || !sb->rule_rights)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *path = i < sb->nread ? sb->read_paths[i] : sb->exec_paths[i - sb->nread];
        uint64_t rights = i < sb->nread ? LL_READ : LL_RUN;
        int fd = open(path, O_PATH | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) != 0) {
            close(fd);
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            rights &= LL_FILE_RIGHTS;
        sb->rule_fds[sb->nrules] = fd;
        sb->rule_rights[sb->nrules++] = rights;
    }
    return 0;
}

int dcc_sandbox_prepare(struct dcc_sandbox *sb, unsigned use, int abi,
                        const struct dcc_sandbox_limits *limits, char *err, size_t errlen)
{
    memset(sb, 0, sizeof *sb);
    for (int i = 0; i < 3; i++)
        sb->ns_fd[i] = -1;
    /* Without a user namespace there is no pid namespace either, and the
     * reaper needs Landlock's signal scope (ABI 6): without both, nothing
     * contains the job's processes, and "pid" is not claimed. */
    if ((use & DCC_SBX_PIDNS) && !(use & DCC_SBX_USERNS) && !((use & DCC_SBX_LANDLOCK) && abi >= 6))
        use &= ~DCC_SBX_PIDNS;
    sb->use = use;
    sb->landlock_abi = abi;
    if (limits)
        sb->limits = *limits;
    int rc = 0;
    if (use & DCC_SBX_LANDLOCK) {
        for (int i = 0; read_paths[i] && rc == 0; i++)
            rc = add_path(&sb->read_paths, &sb->nread, read_paths[i]);
        for (int i = 0; exec_globs[i] && rc == 0; i++)
            rc = add_glob(&sb->exec_paths, &sb->nexec, exec_globs[i]);
        if (rc == 0)
            rc = add_binutils(&sb->exec_paths, &sb->nexec, "");
        if (rc == 0)
            rc = add_binutils(&sb->exec_paths, &sb->nexec, DCC_GNU_HOST "-");
        if (rc == 0)
            rc = open_rules(sb);
        if (rc != 0) {
            set_err(err, errlen, "out of memory listing the sandbox's paths");
            dcc_sandbox_free(sb);
            return -1;
        }
    }
#if DCC_WITH_SECCOMP
    if ((use & DCC_SBX_SECCOMP) && build_seccomp(sb, err, errlen) != 0) {
        dcc_sandbox_free(sb);
        return -1;
    }
#endif
    return 0;
}

void dcc_sandbox_free(struct dcc_sandbox *sb)
{
    for (size_t i = 0; i < sb->nread; i++)
        free(sb->read_paths[i]);
    for (size_t i = 0; i < sb->nexec; i++)
        free(sb->exec_paths[i]);
    free(sb->read_paths);
    free(sb->exec_paths);
    for (size_t i = 0; i < sb->nrules; i++)
        close(sb->rule_fds[i]);
    free(sb->rule_fds);
    free(sb->rule_rights);
    free(sb->bpf);
    for (int i = 0; i < 3; i++)
        if (sb->ns_fd[i] >= 0)
            close(sb->ns_fd[i]);
    memset(sb, 0, sizeof *sb);
    for (int i = 0; i < 3; i++)
        sb->ns_fd[i] = -1;
}

/* ------------------------------------------------------------------------
 * The namespaces all jobs share (in the daemon, once)
 * ------------------------------------------------------------------------ */

static const char *const ns_names[3] = {"user", "mnt", "net"};

int dcc_sandbox_share(struct dcc_sandbox *sb, const char *dir, uid_t uid, gid_t gid, char *err,
                      size_t errlen)
{
    if (!(sb->use & DCC_SBX_USERNS))
        return 0;
    int flags = 0;
    if (sb->use & DCC_SBX_MOUNTNS)
        flags |= CLONE_NEWNS;
    if (sb->use & DCC_SBX_NETNS)
        flags |= CLONE_NEWNET;
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
        set_err(err, errlen, "cannot share the sandbox's namespaces: pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(go, O_CLOEXEC) != 0) {
        set_err(err, errlen, "cannot share the sandbox's namespaces: pipe: %s", strerror(errno));
        close(ready[0]);
        close(ready[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        set_err(err, errlen, "cannot share the sandbox's namespaces: fork: %s", strerror(errno));
        close(ready[0]);
        close(ready[1]);
        close(go[0]);
        close(go[1]);
        return -1;
    }
    if (pid == 0) {
        /* The holder: makes the namespaces, says so, and waits until the
         * daemon holds them by descriptor. An empty message is success. */
        close(ready[0]);
        close(go[1]);
        char msg[300] = "";
        if (uid != (uid_t)-1 && geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
            snprintf(msg, sizeof msg, "switching to the job user: %s", strerror(errno));
        else if (enter_user_namespace(flags, msg, sizeof msg) == 0 && (flags & CLONE_NEWNS))
            remount_noexec(dir, msg, sizeof msg);
        (void)!write(ready[1], msg, strlen(msg) + 1);
        close(ready[1]);
        char c;
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char msg[300];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof msg - 1 &&
           ((n = read(ready[0], msg + got, sizeof msg - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0)
            got += (size_t)n;
    msg[got] = '\0';
    close(ready[0]);
    int rc = 0;
    if (got == 0) {
        set_err(err, errlen, "cannot share the sandbox's namespaces: the holder process failed");
        rc = -1;
    } else if (msg[0]) {
        set_err(err, errlen, "cannot share the sandbox's namespaces: %s", msg);
        rc = -1;
    }
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (i == 1 && !(flags & CLONE_NEWNS))
            continue;
        if (i == 2 && !(flags & CLONE_NEWNET))
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/ns/%s", (long)pid, ns_names[i]);
        if ((sb->ns_fd[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
            set_err(err, errlen, "cannot share the sandbox's namespaces: %s: %s", path,
                    strerror(errno));
            rc = -1;
        }
    }
    close(go[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (rc != 0)
        for (int i = 0; i < 3; i++)
            if (sb->ns_fd[i] >= 0) {
                close(sb->ns_fd[i]);
                sb->ns_fd[i] = -1;
            }
    return rc;
}

static void close_span(unsigned lo, unsigned hi)
{
    if (lo > hi)
        return;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, lo, hi, 0) == 0)
        return;
#endif
    for (unsigned fd = lo; fd <= hi && fd < 1024; fd++)
        close((int)fd);
}

void dcc_sandbox_close_fds(const struct dcc_sandbox *sb)
{
    /* The sandbox's descriptors were opened one after the other at start,
     * so they are few runs of numbers: keep each run, close the gaps. */
    unsigned from = 3;
    for (;;) {
        unsigned next = ~0u; /* the lowest kept descriptor >= from */
        for (int i = 0; i < 3; i++)
            if (sb->ns_fd[i] >= (int)from && (unsigned)sb->ns_fd[i] < next)
                next = (unsigned)sb->ns_fd[i];
        for (size_t i = 0; i < sb->nrules; i++)
            if (sb->rule_fds[i] >= (int)from && (unsigned)sb->rule_fds[i] < next)
                next = (unsigned)sb->rule_fds[i];
        if (next == ~0u)
            break;
        close_span(from, next - 1);
        from = next + 1;
    }
    close_span(from, ~0u);
}

/* ------------------------------------------------------------------------
 * Entering (in the job's child, after fork, before exec)
 * ------------------------------------------------------------------------ */

static int allow_path(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        access &= LL_FILE_RIGHTS;
    struct ll_path_beneath_attr rule = {.allowed_access = access & handled, .parent_fd = fd};
    long rc = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0);
    int e = errno;
    close(fd);
    errno = e;
    return rc == 0 ? 0 : -1;
}

/* The cross-compiler prefix of a compiler name ("aarch64-unknown-linux-gnu-"
 * for aarch64-unknown-linux-gnu-gcc-13), or "" when it has none. */
static void compiler_prefix(const char *compiler, char *prefix, size_t len)
{
    static const char *const drivers[] = {"-gcc", "-g++", "-c++", "-cc", "-clang", NULL};
    const char *base = strrchr(compiler, '/');
    base = base ? base + 1 : compiler;
    prefix[0] = '\0';
    for (int i = 0; drivers[i]; i++) {
        const char *at = strstr(base, drivers[i]);
        if (at && at > base && (size_t)(at - base) + 2 < len) {
            snprintf(prefix, len, "%.*s-", (int)(at - base), base);
            return;
        }
    }
}

static int apply_landlock(const struct dcc_sandbox *sb, const struct dcc_sandbox_job *job,
                          char *err, size_t errlen)
{
    int abi = sb->landlock_abi;
    uint64_t handled = ll_fs_rights(abi);
    struct ll_ruleset_attr attr = {.handled_access_fs = handled};
    size_t size = sizeof attr.handled_access_fs;
    if (abi >= 4) {
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
        size = offsetof(struct ll_ruleset_attr, scoped);
    }
    if (abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        size = sizeof attr;
    }
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (rs < 0) {
        set_err(err, errlen, "landlock_create_ruleset: %s", strerror(errno));
        return -1;
    }
    const char *what = NULL;
    for (size_t i = 0; i < sb->nrules && !what; i++) {
        struct ll_path_beneath_attr rule = {.allowed_access = sb->rule_rights[i] & handled,
                                            .parent_fd = sb->rule_fds[i]};
        if (syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &rule, 0) != 0)
            what = "a toolchain or system path";
        close(sb->rule_fds[i]); /* not for the compiler */
    }
    if (!what && allow_path(rs, job->compiler, LL_RUN, handled) != 0)
        what = job->compiler;
    if (!what && allow_path(rs, job->dir, LL_JOB, handled) != 0)
        what = job->dir;
    if (!what &&
        allow_path(rs, "/dev/null", LL_READ_FILE | LL_WRITE_FILE | LL_TRUNCATE, handled) != 0)
        what = "/dev/null";
    /* A cross compiler's assembler ("aarch64-linux-gnu-as"). */
    char prefix[128];
    compiler_prefix(job->compiler, prefix, sizeof prefix);
    if (!what && prefix[0] && strcmp(prefix, DCC_GNU_HOST "-") != 0) {
        static const char *const dirs[] = {"/usr/local/bin", "/usr/bin", "/bin", NULL};
        char path[PATH_MAX];
        for (int d = 0; dirs[d] && !what; d++)
            for (int b = 0; binutils[b] && !what; b++) {
                snprintf(path, sizeof path, "%s/%s%s", dirs[d], prefix, binutils[b]);
                if (allow_path(rs, path, LL_RUN, handled) != 0)
                    what = path;
            }
    }
    if (what) {
        set_err(err, errlen, "landlock rule for %s: %s", what, strerror(errno));
        close(rs);
        return -1;
    }
    if (syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
        set_err(err, errlen, "landlock_restrict_self: %s", strerror(errno));
        close(rs);
        return -1;
    }
    close(rs);
    return 0;
}

/* processes only with a user namespace: without one RLIMIT_NPROC counts
 * every process of the job user, the daemon's and other jobs' too. */
static int apply_limits(const struct dcc_sandbox_limits *l, int per_job_processes, char *err,
                        size_t errlen)
{
    struct {
        int resource;
        const char *name;
        rlim_t soft, hard;
    } table[] = {
        {RLIMIT_CORE, "core", 0, 0},
        {RLIMIT_AS, "memory", l->memory, l->memory},
        {RLIMIT_FSIZE, "file-size", l->file_size, l->file_size},
        /* SIGXCPU first, SIGKILL a little later for one that catches it. */
        {RLIMIT_CPU, "cpu", (rlim_t)l->cpu_seconds, (rlim_t)l->cpu_seconds + 5},
        {RLIMIT_NPROC, "processes", per_job_processes ? (rlim_t)l->processes : 0,
         per_job_processes ? (rlim_t)l->processes : 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].resource != RLIMIT_CORE && table[i].soft == 0)
            continue;
        struct rlimit now;
        if (getrlimit(table[i].resource, &now) != 0)
            continue;
        /* Never raise what the daemon itself was given. */
        struct rlimit want = {table[i].soft, table[i].hard};
        if (now.rlim_max != RLIM_INFINITY) {
            if (want.rlim_max > now.rlim_max)
                want.rlim_max = now.rlim_max;
            if (want.rlim_cur > want.rlim_max)
                want.rlim_cur = want.rlim_max;
        }
        if (setrlimit(table[i].resource, &want) != 0) {
            set_err(err, errlen, "cannot set the %s limit: %s", table[i].name, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* The relay's stop signals kill the namespace: its init does not die of
 * SIGTERM from outside, and the compiler must not outlive the relay. */
static volatile pid_t relay_child;

static void relay_stop(int sig)
{
    (void)sig;
    if (relay_child > 0)
        kill(relay_child, SIGKILL);
}

/* Outside the namespace: waits for its init and returns the compiler's
 * status, which init sends through the pipe (init itself cannot die of the
 * compiler's signal). */
static int relay(pid_t init, int status_fd, int *status)
{
    relay_child = init;
    struct sigaction sa = {.sa_handler = relay_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int init_status = 0;
    while (waitpid(init, &init_status, 0) < 0 && errno == EINTR)
        ;
    int compiler_status;
    ssize_t n;
    do
        n = read(status_fd, &compiler_status, sizeof compiler_status);
    while (n < 0 && errno == EINTR);
    close(status_fd);
    *status = n == (ssize_t)sizeof compiler_status ? compiler_status : init_status;
    return 1;
}

/* Init of the namespace: reaps everything, and once the compiler is done
 * hands its status out and ends, which kills whatever else is left. */
static int init_of_namespace(pid_t compiler, int status_fd, int *status)
{
    for (;;) {
        int st;
        pid_t w = wait(&st);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            st = W_EXITCODE(127, 0);
        if (w == compiler || w < 0) {
            (void)!write(status_fd, &st, sizeof st);
            close(status_fd);
            *status = st;
            return 1;
        }
    }
}

static int confine(const struct dcc_sandbox *sb, const struct dcc_sandbox_job *job, char *err,
                   size_t errlen)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        set_err(err, errlen, "no_new_privs: %s", strerror(errno));
        return -1;
    }
    if ((sb->use & DCC_SBX_LANDLOCK) && apply_landlock(sb, job, err, errlen) != 0)
        return -1;
    if ((sb->use & DCC_SBX_SECCOMP) && sb->bpf) {
        struct sock_fprog prog = {.len = sb->bpf_len, .filter = sb->bpf};
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
            set_err(err, errlen, "seccomp: %s", strerror(errno));
            return -1;
        }
    }
    return apply_limits(&sb->limits, (sb->use & DCC_SBX_USERNS) != 0, err, errlen);
}

/* Joins the namespaces dcc_sandbox_share made (the user one first: it
 * gives the rights to join the others), then closes them. */
static int join_shared(const struct dcc_sandbox *sb, char *err, size_t errlen)
{
    static const int types[3] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET};
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        if (sb->ns_fd[i] < 0)
            continue;
        if (rc == 0 && setns(sb->ns_fd[i], types[i]) != 0) {
            set_err(err, errlen, "joining the jobs' %s namespace: %s", ns_names[i],
                    strerror(errno));
            rc = -1;
        }
        close(sb->ns_fd[i]);
    }
    return rc;
}

/* Set in the job's reaper (dcc_sandbox_reaper), and so in its children. */
static int reaper_ready;

/* Puts the calling process in a Landlock domain that only scopes signals,
 * and checks that it took: its parent, outside the domain, must be out of
 * reach. After this kill(-1) reaches only this domain: the job. */
static int scope_signals(char *err, size_t errlen)
{
    struct ll_ruleset_attr attr = {.scoped = LL_SCOPE_SIGNAL};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (rs < 0) {
        set_err(err, errlen, "landlock signal scope: %s", strerror(errno));
        return -1;
    }
    long rc = syscall(SYS_landlock_restrict_self, rs, 0);
    int e = errno;
    close(rs);
    if (rc != 0) {
        set_err(err, errlen, "landlock signal scope: %s", strerror(e));
        return -1;
    }
    if (kill(getppid(), 0) == 0) {
        set_err(err, errlen, "landlock signal scope: the job could still signal the daemon");
        return -1;
    }
    return 0;
}

static int uses_reaper(const struct dcc_sandbox *sb)
{
    return (sb->use & DCC_SBX_PIDNS) && (sb->use & DCC_SBX_LANDLOCK) && sb->landlock_abi >= 6;
}

int dcc_sandbox_reaper(const struct dcc_sandbox *sb, char *err, size_t errlen)
{
    if (!uses_reaper(sb) || reaper_ready)
        return 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        set_err(err, errlen, "no_new_privs: %s", strerror(errno));
        return -1;
    }
    if (scope_signals(err, errlen) != 0)
        return -1;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        set_err(err, errlen, "child subreaper: %s", strerror(errno));
        return -1;
    }
    reaper_ready = 1;
    return 0;
}

void dcc_sandbox_reap(void)
{
    if (!reaper_ready)
        return;
    int e = errno;
    for (;;) {
        /* Again after each one: a process that was forking when the first
         * kill came may have left a child. */
        kill(-1, SIGKILL);
        pid_t w = waitpid(-1, NULL, 0);
        if (w < 0 && errno != EINTR)
            break; /* ECHILD: nothing of the job is left */
    }
    errno = e;
}

/* The compiler under a reaper: it dies with it, and only the reaper's
 * children count (the compiler is its direct child). */
static int compiler_of_reaper(const struct dcc_sandbox *sb, const struct dcc_sandbox_job *job,
                              char *err, size_t errlen)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    return confine(sb, job, err, errlen);
}

int dcc_sandbox_enter(const struct dcc_sandbox *sb, const struct dcc_sandbox_job *job, int *status,
                      char *err, size_t errlen)
{
    *status = 0;
    int reaper = uses_reaper(sb);
    if (reaper && !reaper_ready) {
        set_err(err, errlen, "the job has no reaper (dcc_sandbox_reaper was not called)");
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        set_err(err, errlen, "no_new_privs: %s", strerror(errno));
        return -1;
    }
    if (!(sb->use & DCC_SBX_USERNS))
        return reaper ? compiler_of_reaper(sb, job, err, errlen) : confine(sb, job, err, errlen);
    int shared = sb->ns_fd[0] >= 0;
    /* Under seccomp a job cannot reach IPC objects at all (see
     * denied_calls); without it, it gets IPC of its own. */
    int flags = (sb->use & DCC_SBX_SECCOMP) && sb->bpf ? 0 : CLONE_NEWIPC;
    if (shared && join_shared(sb, err, errlen) != 0)
        return -1;
    if ((sb->use & DCC_SBX_MOUNTNS) && !shared)
        flags |= CLONE_NEWNS;
    if ((sb->use & DCC_SBX_PIDNS) && !reaper)
        flags |= CLONE_NEWPID;
    if ((sb->use & DCC_SBX_NETNS) && !shared)
        flags |= CLONE_NEWNET;
    if (enter_user_namespace(flags, err, errlen) != 0)
        return -1;
    if (sb->use & DCC_SBX_MOUNTNS) {
        if (!shared && remount_noexec(job->dir, err, errlen) != 0)
            return -1;
        /* The working directory and the output fds still point into the
         * old mount, where a file the job writes could be mapped as code. */
        if (chdir(job->cwd) != 0) {
            set_err(err, errlen, "chdir %s: %s", job->cwd, strerror(errno));
            return -1;
        }
        const char *outputs[] = {job->stdout_path, job->stderr_path};
        for (int fd = 1; fd <= 2; fd++) {
            const char *path = outputs[fd - 1];
            int again = path ? open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC) : -1;
            if (path && (again < 0 || dup2(again, fd) < 0)) {
                set_err(err, errlen, "cannot open %s again: %s", path, strerror(errno));
                if (again >= 0)
                    close(again);
                return -1;
            }
            if (again >= 0)
                close(again);
        }
    }
    if (reaper)
        return compiler_of_reaper(sb, job, err, errlen);
    if (!(sb->use & DCC_SBX_PIDNS))
        return confine(sb, job, err, errlen);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        set_err(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    /* Stop signals wait until the relay knows whom to kill. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop, &old);
    pid_t init = fork();
    if (init < 0) {
        set_err(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return -1;
    }
    if (init > 0) {
        close(fds[1]);
        return relay(init, fds[0], status);
    }
    close(fds[0]);
    /* The relay blocks its stop signals until it knows init's pid, and
     * only SIGKILL ends it before then. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    pid_t compiler = fork();
    if (compiler < 0) {
        set_err(err, errlen, "fork: %s", strerror(errno));
        close(fds[1]);
        return -1;
    }
    if (compiler > 0)
        return init_of_namespace(compiler, fds[1], status);
    close(fds[1]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return confine(sb, job, err, errlen);
}
