/* Builds every part together and prints one line whose numbers prove each
 * object was compiled from the right source. */
#include <stdio.h>
#include <string.h>

#include "mf.h"
#include "table.h"

int main(void)
{
    struct vec v = {0};
    uint32_t h = 0;
    char text[256] = "";
    for (size_t i = 0; i < table_len(); i++) {
        if (vec_push(&v, (int)strlen(table_words[i])) != 0)
            return 1;
        h ^= hash_fnv1a(table_words[i]);
        strncat(text, table_words[i], sizeof text - strlen(text) - 2);
        strcat(text, " ");
    }
    char upper[256];
    str_upper(upper, text, sizeof upper);
    char line[256];
    fmt_line(line, sizeof line, MF_GREETING, vec_sum(&v) + (long)str_count_words(upper),
             calc_fib(20) + calc_gcd(84, 36), h ^ checksum_fletcher16(upper, strlen(upper)));
    puts(line);
    vec_free(&v);
    return 0;
}
