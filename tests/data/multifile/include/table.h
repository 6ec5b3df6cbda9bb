/* A fixed table of words the program counts and hashes. */
#ifndef MF_TABLE_H
#define MF_TABLE_H

#include <stddef.h>

extern const char *const table_words[];
size_t table_len(void);

#endif
