/* Small string helpers. */
#include <ctype.h>

#include "mf.h"

size_t str_count_words(const char *s)
{
    size_t n = 0;
    int in_word = 0;
    for (; *s; s++) {
        if (isspace((unsigned char)*s))
            in_word = 0;
        else if (!in_word) {
            in_word = 1;
            n++;
        }
    }
    return n;
}

void str_upper(char *dst, const char *src, size_t len)
{
    size_t i = 0;
    for (; len && i < len - 1 && src[i]; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
    if (len)
        dst[i] = '\0';
}
