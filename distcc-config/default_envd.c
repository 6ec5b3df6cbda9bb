/* The /etc/env.d/02distcc that --install writes: a copy of env.d/02distcc (a bats test compares them). */
#include "config.h"

const char cfg_default_envd[] =
    "# distcc client settings, read by env-update into /etc/profile.env.\n"
    "# Change them with distcc-config (--set-verbose, --set-log, --set-env) and\n"
    "# then run: source /etc/profile\n"
    "# DISTCC_DIR is left to Portage (/var/tmp/portage/.distcc) and your shell.\n"
    "DISTCC_VERBOSE=\"0\"\n"
    "DISTCC_FALLBACK=\"1\"\n"
    "DISTCC_SAVE_TEMPS=\"0\"\n"
    "DISTCC_TCP_CORK=\"\"\n"
    "DISTCC_SSH=\"\"\n"
    "DISTCC_LOG=\"\"\n"
    "DISTCC_BACKOFF_PERIOD=\"60\"\n"
    "DISTCC_IO_TIMEOUT=\"300\"\n";
