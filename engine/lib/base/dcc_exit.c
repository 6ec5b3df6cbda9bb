/* Names for distcc's exit codes, used in logs and job summaries. */
#include "base/dcc_exit.h"

#include <stddef.h>

static const struct {
    int code;
    const char *name;
} exit_names[] = {
    {DCC_EXIT_OK, "ok"},
    {DCC_EXIT_DISTCC_FAILED, "failed"},
    {DCC_EXIT_BAD_ARGUMENTS, "bad arguments"},
    {DCC_EXIT_BIND_FAILED, "bind failed"},
    {DCC_EXIT_CONNECT_FAILED, "connect failed"},
    {DCC_EXIT_COMPILER_CRASHED, "compiler crashed"},
    {DCC_EXIT_OUT_OF_MEMORY, "out of memory"},
    {DCC_EXIT_BAD_HOSTSPEC, "bad host specification"},
    {DCC_EXIT_IO_ERROR, "i/o error"},
    {DCC_EXIT_TRUNCATED, "truncated"},
    {DCC_EXIT_PROTOCOL_ERROR, "protocol error"},
    {DCC_EXIT_COMPILER_MISSING, "compiler missing"},
    {DCC_EXIT_RECURSION, "recursion"},
    {DCC_EXIT_SETUID_FAILED, "setuid failed"},
    {DCC_EXIT_ACCESS_DENIED, "access denied"},
    {DCC_EXIT_BUSY, "busy"},
    {DCC_EXIT_NO_SUCH_FILE, "no such file"},
    {DCC_EXIT_NO_HOSTS, "no hosts"},
    {DCC_EXIT_GONE, "gone"},
    {DCC_EXIT_TIMEOUT, "timeout"},
    {DCC_EXIT_GSSAPI_FAILED, "gss-api failed"},
    {DCC_EXIT_LOCAL_CPP, "local cpp only"},
};

const char *dcc_exit_name(int code)
{
    for (size_t i = 0; i < sizeof exit_names / sizeof exit_names[0]; i++)
        if (exit_names[i].code == code)
            return exit_names[i].name;
    return NULL;
}
