/* Loading an optional library and its symbols on first use. */
#include "base/dcc_dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int dcc_dl_load(struct dcc_dl_lib *lib, char *err, size_t errlen)
{
    if (lib->state == 0) {
        lib->state = -1;
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *e = dlerror();
            snprintf(lib->err, sizeof lib->err, "cannot load %s: %s", lib->soname,
                     e ? e : "unknown error");
        } else {
            size_t i = 0;
            for (; i < lib->n; i++) {
                dlerror();
                void *p = dlsym(h, lib->names[i]);
                if (!p) {
                    snprintf(lib->err, sizeof lib->err, "%s has no symbol %s", lib->soname,
                             lib->names[i]);
                    break;
                }
                lib->slots[i] = p;
            }
            if (i == lib->n)
                lib->state = 1;
            else
                dlclose(h);
        }
    }
    if (lib->state < 0 && errlen)
        snprintf(err, errlen, "%s", lib->err);
    return lib->state > 0 ? 0 : -1;
}
