/* distcc-config: what the command files share (the run context, paths under --root, messages). */
#ifndef DISTCC_CONFIG_H
#define DISTCC_CONFIG_H

#include <limits.h>
#include <stddef.h>

#ifndef DCC_SYSCONFDIR
#define DCC_SYSCONFDIR "/etc"
#endif
#ifndef DCC_VERSION
#define DCC_VERSION "0.1.0"
#endif

/* Exit codes beyond distcc's (dcc_exit.h): Gentoo's tool uses 1 for a bad
 * option and for "must be run as root", and scripts rely on it. */
#define CFG_EXIT_USAGE 1

/* env-update only reads /etc/env.d, whatever SYSCONFDIR the build used. */
#define CFG_ENVD_FILE "/etc/env.d/02distcc"

struct cfg {
    char root[PATH_MAX];   /* "" for the running system, else a staged root without trailing / */
    const char *root_from; /* "--root", "$EROOT" or "$ROOT", for messages */
    const char *cmd;       /* the command as typed, "--set-hosts" */
    char **values;         /* its arguments (not owned) */
    size_t n_values;
};

/* Prints "distcc-config: MESSAGE" on stderr and returns code. */
int cfg_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* root + sys_path into out; on overflow prints and returns -1. */
int cfg_path(const struct cfg *c, const char *sys_path, char *out, size_t outlen);

/* Runs env-update when on the running system and says how to load the
 * change; returns the exit code (0, or 100 when env-update failed). */
int cfg_after_envd_change(const struct cfg *c);

extern const char cfg_default_envd[];

/* The commands; each returns the process exit code. */
int cfg_set_hosts(struct cfg *c);
int cfg_get_hosts(struct cfg *c);
int cfg_makeopts(struct cfg *c);
int cfg_get_verbose(struct cfg *c);
int cfg_set_verbose(struct cfg *c);
int cfg_get_log(struct cfg *c);
int cfg_set_log(struct cfg *c);
int cfg_get_env(struct cfg *c);
int cfg_set_env(struct cfg *c);
int cfg_install(struct cfg *c);
int cfg_update_masquerade(struct cfg *c);
int cfg_update_masquerade_crossdev(struct cfg *c);

#endif
