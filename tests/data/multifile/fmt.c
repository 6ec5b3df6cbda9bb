/* The program's one line of output. */
#include <stdio.h>

#include "mf.h"

int fmt_line(char *buf, size_t len, const char *name, long a, long b, uint32_t h)
{
    return snprintf(buf, len, "%s: words=%ld numbers=%ld hash=%08x", name, a, b, (unsigned)h);
}
