/* distcc-config's env.d commands (--get/--set-verbose, -log, -env) and running env-update. */
#include "config.h"

#include "admin/dcc_envd.h"
#include "base/dcc_exit.h"
#include "base/dcc_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Loads the env.d file; *missing says it does not exist (then env is empty). */
static int load_envd(const struct cfg *c, char *path, size_t pathlen, struct dcc_envd *env,
                     int *missing)
{
    char err[512];
    *missing = 0;
    if (cfg_path(c, CFG_ENVD_FILE, path, pathlen) != 0)
        return CFG_EXIT_USAGE;
    if (dcc_envd_load(path, env, err, sizeof err) == 0)
        return 0;
    if (errno == ENOENT) {
        *missing = 1;
        return 0;
    }
    return cfg_fail(DCC_EXIT_IO_ERROR, "%s", err);
}

static int get_var(const struct cfg *c, const char *name)
{
    char path[PATH_MAX];
    struct dcc_envd env;
    int missing;
    int rc = load_envd(c, path, sizeof path, &env, &missing);
    if (rc)
        return rc;
    if (missing)
        return cfg_fail(DCC_EXIT_NO_SUCH_FILE,
                        "%s does not exist; create it with distcc-config --install", path);
    const char *value = dcc_envd_get(&env, name);
    if (value)
        printf("%s=\"%s\"\n", name, value);
    else if (dcc_envd_var_find(name))
        rc = cfg_fail(CFG_EXIT_USAGE,
                      "%s is not set in %s; set it with distcc-config --set-env %s VALUE", name,
                      path, name);
    else
        rc = cfg_fail(CFG_EXIT_USAGE, "%s is not set in %s (and is not one of distcc's variables)",
                      name, path);
    dcc_envd_free(&env);
    return rc;
}

/* The wiki suggests DISTCC_DIR in env.d so distccmon-text shows emerge's
 * jobs in every shell; emerge then takes it from its environment instead of
 * its own default, so say what else changes with it. */
static void say_distcc_dir(const char *value)
{
    static const char portage_dir[] = "/var/tmp/portage/.distcc";
    size_t len = strlen(value);
    while (len > 1 && value[len - 1] == '/')
        len--;
    if (len == sizeof portage_dir - 1 && memcmp(value, portage_dir, len) == 0)
        printf(
            "note: every login shell now uses Portage's DISTCC_DIR, so distccmon-text shows emerge's jobs; "
            "Portage makes it group portage, and users who cannot write there need a DISTCC_DIR of their "
            "own for their builds\n");
    else
        printf(
            "warning: emerge takes DISTCC_DIR from its environment, so Portage's lock and state files now go "
            "to %s instead of %s, and Portage makes that directory group portage; %s is the value that "
            "shows emerge's jobs in every shell\n",
            value, portage_dir, portage_dir);
}

static int set_var(const struct cfg *c, const char *name, const char *value)
{
    char path[PATH_MAX], err[512];
    struct dcc_envd env;
    int missing;
    int rc = load_envd(c, path, sizeof path, &env, &missing);
    if (rc)
        return rc;
    if (missing &&
        dcc_envd_parse(cfg_default_envd, strlen(cfg_default_envd), &env, err, sizeof err) != 0)
        return cfg_fail(DCC_EXIT_OUT_OF_MEMORY, "%s", err);

    const char *old = dcc_envd_get(&env, name);
    char *was = old ? strdup(old) : NULL;
    enum dcc_envd_change change;
    if ((old && !was) || dcc_envd_set(&env, name, value, &change, err, sizeof err) != 0) {
        free(was);
        dcc_envd_free(&env);
        return cfg_fail(DCC_EXIT_OUT_OF_MEMORY, "%s", old && !was ? "out of memory" : err);
    }
    if (change == DCC_ENVD_UNCHANGED && !missing) {
        printf("%s is already \"%s\" in %s; nothing changed\n", name, value, path);
        free(was);
        dcc_envd_free(&env);
        return 0;
    }

    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    if ((missing && dcc_envd_mkdirs(dir, 0755, NULL, err, sizeof err) != 0) ||
        dcc_envd_save(path, &env, err, sizeof err) != 0) {
        free(was);
        dcc_envd_free(&env);
        return cfg_fail(DCC_EXIT_IO_ERROR, "%s", err);
    }
    dcc_envd_free(&env);

    if (missing)
        printf("created %s with distcc's defaults\n", path);
    if (change == DCC_ENVD_ADDED)
        printf("added %s=\"%s\" to %s (it was missing)\n", name, value, path);
    else if (change == DCC_ENVD_REPLACED)
        printf("set %s=\"%s\" in %s (was \"%s\")\n", name, value, path, was);
    else
        printf("%s is \"%s\" in %s\n", name, value, path);
    free(was);
    const struct dcc_envd_note *n = dcc_envd_note_find(name);
    if (*value && n && n->note)
        printf("note: %s\n", n->note);
    if (*value && strcmp(name, "DISTCC_DIR") == 0)
        say_distcc_dir(value);
    return cfg_after_envd_change(c);
}

/* Gentoo keeps env-update in /usr/sbin, which a user's PATH often lacks. */
static int find_env_update(char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    struct dcc_buf dirs = {0};
    if (dcc_buf_printf(&dirs, "%s:/usr/sbin:/sbin", path ? path : "") != 0) {
        dcc_buf_free(&dirs);
        return -1;
    }
    int found = -1;
    for (char *save = NULL, *d = strtok_r(dirs.data, ":", &save); d && found;
         d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue;
        int n = snprintf(out, outlen, "%s/env-update", d);
        struct stat st;
        if (n > 0 && (size_t)n < outlen && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
            access(out, X_OK) == 0)
            found = 0;
    }
    dcc_buf_free(&dirs);
    return found;
}

int cfg_after_envd_change(const struct cfg *c)
{
    if (c->root[0]) {
        printf("not running env-update on the staged root %s; run it inside that system "
               "(chroot %s env-update)\n",
               c->root, c->root);
        return 0;
    }
    char prog[PATH_MAX];
    if (find_env_update(prog, sizeof prog) != 0) {
        printf("env-update was not found, so /etc/profile.env was not regenerated; "
               "run env-update once Portage is installed\n");
        return 0;
    }
    printf("running %s\n", prog);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return cfg_fail(DCC_EXIT_DISTCC_FAILED, "cannot start env-update: %s; run it by hand",
                        strerror(errno));
    if (pid == 0) {
        execl(prog, "env-update", (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return cfg_fail(DCC_EXIT_DISTCC_FAILED, "lost env-update: %s; run it by hand",
                            strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return cfg_fail(DCC_EXIT_DISTCC_FAILED,
                        "env-update failed (%s %d); run it by hand, then: source /etc/profile",
                        WIFEXITED(status) ? "exit" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    printf("to use the new settings in this shell: source /etc/profile\n");
    return 0;
}

int cfg_get_verbose(struct cfg *c)
{
    return get_var(c, "DISTCC_VERBOSE");
}
int cfg_get_log(struct cfg *c)
{
    return get_var(c, "DISTCC_LOG");
}

int cfg_set_verbose(struct cfg *c)
{
    const char *v = c->values[0];
    if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
        return cfg_fail(CFG_EXIT_USAGE, "--set-verbose takes 0 or 1, not \"%s\"", v);
    return set_var(c, "DISTCC_VERBOSE", v);
}

int cfg_set_log(struct cfg *c)
{
    char err[512];
    if (dcc_envd_var_check("DISTCC_LOG", c->values[0], err, sizeof err) != 0)
        return cfg_fail(CFG_EXIT_USAGE, "%s", err);
    return set_var(c, "DISTCC_LOG", c->values[0]);
}

int cfg_get_env(struct cfg *c)
{
    if (c->n_values == 1) {
        if (!dcc_envd_name_ok(c->values[0]))
            return cfg_fail(CFG_EXIT_USAGE, "\"%s\" is not a variable name", c->values[0]);
        return get_var(c, c->values[0]);
    }
    char path[PATH_MAX];
    struct dcc_envd env;
    int missing;
    int rc = load_envd(c, path, sizeof path, &env, &missing);
    if (rc)
        return rc;
    if (missing)
        return cfg_fail(DCC_EXIT_NO_SUCH_FILE,
                        "%s does not exist; create it with distcc-config --install", path);
    struct dcc_buf out = {0};
    if (dcc_envd_render(&env, &out) != 0)
        rc = cfg_fail(DCC_EXIT_OUT_OF_MEMORY, "out of memory");
    else
        fputs(out.data, stdout);
    dcc_buf_free(&out);
    dcc_envd_free(&env);
    return rc;
}

int cfg_set_env(struct cfg *c)
{
    char err[512];
    if (dcc_envd_var_check(c->values[0], c->values[1], err, sizeof err) != 0)
        return cfg_fail(CFG_EXIT_USAGE, "%s", err);
    return set_var(c, c->values[0], c->values[1]);
}
