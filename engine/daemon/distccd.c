/* distccd: the story of the daemon from its options to its exit; the parts
 * are options.c, privileges.c, listen.c and server.c (the accept loop). */
#include "distccd.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "proto/dcc_settings.h"
#include "proto/dcc_whitelist.h"
#include "proto/dcc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Until a connection has sent its first header; shorter when
 * DISTCC_IO_TIMEOUT is. A client sends it as soon as it connects. */
#define HANDSHAKE_MS 10000

static int detached; /* stderr is /dev/null from then on */

void dccd_die(int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dcc_crit("%s", msg);
    /* Before logging is set up (or when it goes to a file or syslog) the
     * admin at the terminal still needs to see why we stopped. */
    if (dcc_log_fd() != STDERR_FILENO && !detached)
        fprintf(stderr, "distccd: %s\n", msg);
    exit(code);
}

static void setup_logging(struct dccd_config *cfg)
{
    dcc_log_set_program("distccd");
    dcc_log_set_level(cfg->log_level);
    char err[512];
    if (cfg->log_file && *cfg->log_file) {
        if (dcc_log_to_file(cfg->log_file, err, sizeof err) != 0) {
            fprintf(stderr, "distccd: %s; create it writable by the daemon's user, or use syslog\n",
                    err);
            exit(DCC_EXIT_IO_ERROR);
        }
    } else if (cfg->log_stderr) {
        dcc_log_to_stderr();
    } else {
        dcc_log_to_syslog();
    }
}

static void choose_whitelist(struct dccd_config *cfg)
{
    char err[512] = "";
    if (cfg->whitelist_dir) {
        if (dcc_whitelist_dir_usable(cfg->whitelist_dir, err, sizeof err) == 0)
            return;
    } else {
        for (int i = 0; dcc_whitelist_default_dirs[i]; i++) {
            if (dcc_whitelist_dir_usable(dcc_whitelist_default_dirs[i], err, sizeof err) == 0) {
                cfg->whitelist_dir = dcc_whitelist_default_dirs[i];
                return;
            }
        }
    }
    if (cfg->tcp_insecure) {
        if (!cfg->whitelist_dir)
            cfg->whitelist_dir = dcc_whitelist_default_dirs[0];
        return;
    }
    dccd_die(
        DCC_EXIT_COMPILER_MISSING,
        "%s; link the allowed compilers there (distcc-config --update-masquerade) before starting distccd",
        err);
}

static void write_pid_file(const char *path)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp)
        dccd_die(DCC_EXIT_IO_ERROR, "pid file name %s is too long", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        dccd_die(DCC_EXIT_IO_ERROR, "cannot write pid file %s: %s", path, strerror(errno));
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        dccd_die(DCC_EXIT_IO_ERROR, "cannot write pid file %s: %s", path, strerror(errno));
    }
}

/* DISTCC_IO_TIMEOUT, where jobs go (TMPDIR), where compilers are found, and
 * the name SERR lines give this helper. */
static void read_environment(struct dccd_config *cfg)
{
    /* The table's values outlive this call: they point into environ. */
    static struct dcc_settings set;
    char err[256];
    if (dcc_settings_load_for(&set, DCC_READ_DAEMON, err, sizeof err) != 0)
        dccd_die(DCC_EXIT_BAD_ARGUMENTS, "%s", err);
    cfg->io_timeout_ms = (int)set.num[DCC_SET_IO_TIMEOUT] * 1000; /* at most 86400 s */
    cfg->tmpdir = dcc_settings_str(&set, DCC_SET_TMPDIR);
    cfg->compiler_path = set.str[DCC_SET_DAEMON_PATH] ? set.str[DCC_SET_DAEMON_PATH]
                                                      : getenv("PATH");
    cfg->principal_name = set.str[DCC_SET_DAEMON_PRINCIPAL];
    if (gethostname(cfg->hostname, sizeof cfg->hostname - 1) != 0)
        snprintf(cfg->hostname, sizeof cfg->hostname, "this helper");
    if (!cfg->inetd && !cfg->daemon_mode) {
        struct stat st;
        cfg->inetd = fstat(0, &st) == 0 && S_ISSOCK(st.st_mode);
    }
}

static void default_acl(struct dccd_config *cfg)
{
    if (cfg->acl_given)
        return;
    dcc_acl_add_loopback(&cfg->acl);
    dcc_notice("no --allow given: accepting clients from loopback only (127.0.0.0/8, ::1)");
}

/* Into the background once the ports are bound, so a failure to bind is
 * still the exit status of the command that started the daemon. */
static void detach(const struct dccd_config *cfg)
{
    pid_t pid = fork();
    if (pid < 0)
        dccd_die(DCC_EXIT_DISTCC_FAILED, "cannot fork: %s", strerror(errno));
    if (pid > 0)
        _exit(0);
    setsid();
    detached = 1;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (!cfg->log_stderr)
            dup2(null, 2);
        if (null > 2)
            close(null);
    }
}

int main(int argc, char **argv)
{
    static struct dccd_config cfg;
    cfg.log_level = DCC_LOG_NOTICE;
    cfg.max_body = DCC_WIRE_DEFAULT_MAX_BODY;
    cfg.slot_fd = -1; /* --inetd: no daemon hands out slots */
    dcc_log_set_program("distccd");
    dcc_log_to_stderr();
    dccd_parse_options(argc, (const char **)argv, &cfg);
    read_environment(&cfg);
    /* Under --inetd stderr may be the socket itself: without --log-file or
     * --log-stderr, setup_logging picks syslog. */
    setup_logging(&cfg);
    choose_whitelist(&cfg);
    default_acl(&cfg);
    dccd_setup_sandbox(&cfg);
    dccd_setup_auth(&cfg);
    if (cfg.zeroconf && cfg.inetd)
        dcc_warn("--zeroconf: not with --inetd (no daemon stays to answer); not announcing");
    signal(SIGPIPE, SIG_IGN);

    if (cfg.inetd)
        return dccd_serve_inetd(&cfg);

    cfg.handshake_ms = cfg.io_timeout_ms < HANDSHAKE_MS ? cfg.io_timeout_ms : HANDSHAKE_MS;
    int listen_fd = dccd_bind_listener(cfg.listen_addr, cfg.port, "jobs");
    int stats_fd = cfg.stats ? dccd_bind_listener(cfg.listen_addr, cfg.stats_port, "--stats") : -1;
    errno = 0;
    if (nice(cfg.nice) == -1 && errno)
        dcc_warn("cannot set niceness %d: %s", cfg.nice, strerror(errno));
    if (!cfg.no_detach)
        detach(&cfg);
    if (cfg.pid_file)
        write_pid_file(cfg.pid_file);
    dccd_drop_root(&cfg);
    dccd_setup_hcache(&cfg);
    dccd_caps_prepare(&cfg);

    dccd_serve_forever(&cfg, listen_fd, stats_fd);

    if (cfg.pid_file)
        unlink(cfg.pid_file);
    dcc_notice("distccd exiting");
    dccd_options_free();
    free(cfg.toolchain_json);
    dcc_sandbox_free(&cfg.sandbox);
    dcc_auth_server_free(&cfg.auth_server);
    dcc_auth_list_free(&cfg.principals);
    dcc_acl_free(&cfg.acl);
    if (cfg.hcache)
        dcc_hcache_close(cfg.hcache);
    return 0;
}
