/* Optional libraries loaded when first needed (GSS-API, Avahi): a program
 * that never authenticates or browses does not pay for loading them. */
#ifndef DCC_DL_H
#define DCC_DL_H

#include <stddef.h>

/* One library and the symbols taken from it. slots[i] receives names[i]
 * (a function or an object); the library's own dependencies are searched
 * too. */
struct dcc_dl_lib {
    const char *soname; /* e.g. "libgssapi_krb5.so.2" */
    const char *const *names;
    void **slots;
    size_t n;
    int state; /* 0 not tried, 1 loaded, -1 failed */
    char err[256];
};

/* Loads lib once (later calls return the first outcome): 0 with every slot
 * filled, or -1 with err saying which library or symbol is missing. Not
 * thread-safe: call it before starting threads that use the library. */
int dcc_dl_load(struct dcc_dl_lib *lib, char *err, size_t errlen);

#endif
