/* Exit codes shared by every program; the numbers are distcc's and are a contract. */
#ifndef DCC_EXIT_H
#define DCC_EXIT_H

enum dcc_exit {
    DCC_EXIT_OK = 0,
    DCC_EXIT_DISTCC_FAILED = 100,
    DCC_EXIT_BAD_ARGUMENTS = 101,
    DCC_EXIT_BIND_FAILED = 102,
    DCC_EXIT_CONNECT_FAILED = 103,
    DCC_EXIT_COMPILER_CRASHED = 104,
    DCC_EXIT_OUT_OF_MEMORY = 105,
    DCC_EXIT_BAD_HOSTSPEC = 106,
    DCC_EXIT_IO_ERROR = 107,
    DCC_EXIT_TRUNCATED = 108,
    DCC_EXIT_PROTOCOL_ERROR = 109,
    DCC_EXIT_COMPILER_MISSING = 110,
    DCC_EXIT_RECURSION = 111,
    DCC_EXIT_SETUID_FAILED = 112,
    DCC_EXIT_ACCESS_DENIED = 113,
    DCC_EXIT_BUSY = 114,
    DCC_EXIT_NO_SUCH_FILE = 115,
    DCC_EXIT_NO_HOSTS = 116,
    DCC_EXIT_GONE = 117,
    DCC_EXIT_TIMEOUT = 118,
    DCC_EXIT_GSSAPI_FAILED = 119,
    DCC_EXIT_LOCAL_CPP = 120,
};

/* A short lowercase name for an exit code ("timeout"), or NULL if not ours. */
const char *dcc_exit_name(int code);

#endif
