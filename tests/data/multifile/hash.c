/* FNV-1a, 32 bits. */
#include "mf.h"

uint32_t hash_fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}
