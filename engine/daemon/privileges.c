/* distccd's privileges: the user jobs run as, the sandbox every job is
 * confined with, and --auth's keys, read while still root. */
#include "distccd.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The user jobs run as when the daemon starts as root: --user, else
 * distcc, else nobody. NULL when there is none. */
static struct passwd *job_user(const struct dccd_config *cfg, const char **name)
{
    *name = cfg->user ? cfg->user : "distcc";
    struct passwd *pw = getpwnam(*name);
    if (!pw && !cfg->user)
        pw = getpwnam(*name = "nobody");
    return pw;
}

void dccd_drop_root(const struct dccd_config *cfg)
{
    if (getuid() != 0 && geteuid() != 0)
        return;
    const char *name;
    struct passwd *pw = job_user(cfg, &name);
    if (!pw)
        dccd_die(DCC_EXIT_SETUID_FAILED,
                 "user \"%s\" does not exist; pass --user with an unprivileged user", name);
    if (pw->pw_uid == 0)
        dccd_die(DCC_EXIT_SETUID_FAILED,
                 "refusing to run jobs as root (--user %s); pass an unprivileged user", name);
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
        dccd_die(DCC_EXIT_SETUID_FAILED, "cannot switch to user %s: %s", name, strerror(errno));
    if (setuid(0) == 0)
        dccd_die(DCC_EXIT_SETUID_FAILED, "root privileges could be regained after switching to %s",
                 name);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    dcc_info("running jobs as user %s (uid %u)", name, (unsigned)pw->pw_uid);
}

/* Finds out what the kernel offers the job user, decides with --sandbox,
 * says once what is missing, and prepares what every job will use. */
void dccd_setup_sandbox(struct dccd_config *cfg)
{
    unsigned use = 0;
    int abi = 0;
    char err[600];
    uid_t job_uid = (uid_t)-1;
    gid_t job_gid = (gid_t)-1;
    static const char *const mode_names[] = {"auto", "required", "off"};
    if (cfg->sandbox_mode != DCC_SANDBOX_OFF) {
        uid_t uid = (uid_t)-1;
        gid_t gid = (gid_t)-1;
        const char *name;
        struct passwd *pw = getuid() == 0 || geteuid() == 0 ? job_user(cfg, &name) : NULL;
        if (pw) {
            uid = job_uid = pw->pw_uid;
            gid = job_gid = pw->pw_gid;
        }
        struct dcc_sandbox_probe *probe = &cfg->sandbox_probe;
        if (dcc_sandbox_probe(cfg->tmpdir, uid, gid, probe, err, sizeof err) != 0)
            dccd_die(DCC_EXIT_DISTCC_FAILED, "%s", err);
        if (dcc_sandbox_decide(cfg->sandbox_mode, probe, &use, cfg->sandbox_missing,
                               sizeof cfg->sandbox_missing) != 0)
            dccd_die(DCC_EXIT_DISTCC_FAILED, "--sandbox=required, but jobs cannot have: %s",
                     cfg->sandbox_missing);
        if (cfg->sandbox_missing[0])
            dcc_warn("sandbox: jobs run without %s", cfg->sandbox_missing);
        abi = probe->landlock_abi;
    }
    if (dcc_sandbox_prepare(&cfg->sandbox, use, abi, &cfg->limits, err, sizeof err) != 0)
        dccd_die(DCC_EXIT_DISTCC_FAILED, "%s", err);
    /* Jobs then only join these: a new network namespace per job would
     * cost milliseconds. Each job makes its own namespaces without them. */
    if (dcc_sandbox_share(&cfg->sandbox, cfg->tmpdir, job_uid, job_gid, err, sizeof err) != 0)
        dcc_warn("sandbox: %s; each job makes its own namespaces", err);
    char mechs[128];
    dcc_sandbox_describe(use, mechs, sizeof mechs);
    /* Under --inetd every connection is a new daemon: not worth a notice each. */
    if (cfg->inetd)
        dcc_info("sandbox %s: jobs run with %s (Landlock ABI %d)", mode_names[cfg->sandbox_mode],
                 mechs, abi);
    else
        dcc_notice("sandbox %s: jobs run with %s (Landlock ABI %d)", mode_names[cfg->sandbox_mode],
                   mechs, abi);
}

/* --auth: the principal lists and the acceptor's keys, read while still
 * root (the job processes that accept run as the job user). */
void dccd_setup_auth(struct dccd_config *cfg)
{
    char err[800];
    if (!cfg->auth) {
        if (cfg->principals_given)
            dcc_warn("--%s %s has no effect without --auth",
                     cfg->principals.deny ? "blacklist" : "whitelist", cfg->principals.path);
        return;
    }
    if (!dcc_auth_available())
        dccd_die(DCC_EXIT_GSSAPI_FAILED,
                 "--auth: this distccd was built without GSS-API (rebuild with WITH_GSSAPI=1; "
                 "Debian libkrb5-dev, Gentoo app-crypt/mit-krb5)");
    if (cfg->principals_given) {
        char path[sizeof cfg->principals.path];
        snprintf(path, sizeof path, "%s", cfg->principals.path);
        if (dcc_auth_list_load(path, cfg->principals.deny, &cfg->principals, err, sizeof err) != 0)
            dccd_die(DCC_EXIT_GSSAPI_FAILED, "--%s: %s",
                     cfg->principals.deny ? "blacklist" : "whitelist", err);
    }
    if (dcc_auth_server_init(&cfg->auth_server, cfg->principal_name, err, sizeof err) != 0)
        dccd_die(DCC_EXIT_GSSAPI_FAILED, "--auth: %s", err);
    char lists[700] = "";
    if (cfg->principals_given)
        snprintf(lists, sizeof lists, "; %zu principals %s (%s)", cfg->principals.n,
                 cfg->principals.deny ? "refused" : "allowed", cfg->principals.path);
    dcc_notice(
        "--auth: clients must authenticate with GSS-API; accepting as %s with %d keys from %s%s",
        cfg->auth_server.name[0] ? cfg->auth_server.name : "any principal in the keytab",
        cfg->auth_server.keys, cfg->auth_server.keytab_name, lists);
}
