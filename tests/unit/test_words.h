/* The argv a unit test builds from one line of words. */
#ifndef DCC_TEST_WORDS_H
#define DCC_TEST_WORDS_H

#include <stdlib.h>
#include <string.h>

#include "base/dcc_util.h"

/* "gcc -c x.c" -> malloc'd argv; words never hold blanks in these tests. */
static char **words(const char *line)
{
    char *copy = strdup(line);
    char *parts[128];
    size_t n = 0;
    assert_non_null(copy);
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        assert_true(n < 127);
        parts[n++] = w;
    }
    parts[n] = NULL;
    char **argv = dcc_argv_dup(parts);
    assert_non_null(argv);
    free(copy);
    return argv;
}

#endif
