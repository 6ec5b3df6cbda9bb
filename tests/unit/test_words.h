/* Kept for files not yet converted: words() now lives in test_helpers.h. */
#ifndef DCC_TEST_WORDS_H
#define DCC_TEST_WORDS_H
#include "test_helpers.h"
#endif
