/* Fletcher-16 over a byte buffer. */
#include "mf.h"

uint16_t checksum_fletcher16(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint16_t a = 0, b = 0;
    for (size_t i = 0; i < len; i++) {
        a = (uint16_t)((a + p[i]) % 255);
        b = (uint16_t)((b + a) % 255);
    }
    return (uint16_t)((b << 8) | a);
}
