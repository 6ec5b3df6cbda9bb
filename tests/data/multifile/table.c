/* The words main.c counts. */
#include "table.h"

const char *const table_words[] = {"distcc", "gentoo", "helper", "slot", "object", "lzo"};

size_t table_len(void)
{
    return sizeof table_words / sizeof table_words[0];
}
