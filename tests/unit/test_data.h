/* Kept for files not yet converted: dcc_test_data_dir() now lives in test_helpers.h. */
#ifndef DCC_TEST_DATA_H
#define DCC_TEST_DATA_H
#include "test_helpers.h"
#endif
