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

/* A module's table of the symbols LIST(X) names (X(name) each, declared by
 * the library's headers): api.f.NAME has NAME's own type (a pointer to it),
 * lib loads them all. The module then defines each NAME as (*api.f.NAME). */
#define DCC_DL_SLOT_TYPE(n) __typeof__(n) *n;
#define DCC_DL_SLOT_NAME(n) #n,
#define DCC_DL_SLOT_COUNT(n) +1
#define DCC_DL_TABLE(api, lib, so, LIST) \
    static union { \
        struct { \
            LIST(DCC_DL_SLOT_TYPE) \
        } f; \
        void *slot[0 LIST(DCC_DL_SLOT_COUNT)]; \
    } api; \
    static const char *const api##_names[] = {LIST(DCC_DL_SLOT_NAME)}; \
    _Static_assert(sizeof api.f == sizeof api##_names / sizeof *api##_names * sizeof(void *), \
                   "one pointer-sized slot per symbol"); \
    static struct dcc_dl_lib lib = {.soname = so, \
                                    .names = api##_names, \
                                    .slots = api.slot, \
                                    .n = sizeof api##_names / sizeof *api##_names}

#endif
