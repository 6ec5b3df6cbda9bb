/* Where a unit test finds its fixtures under tests/data. */
#ifndef DCC_TEST_DATA_H
#define DCC_TEST_DATA_H

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* tests/data/SUB from the top of the tree (make runs tests there), else
 * relative to the binary in BUILD/tests/unit/, so a test started by hand
 * from anywhere finds it too. SUB must hold a README. One SUB per test
 * file: the answer is kept. */
static const char *dcc_test_data_dir(const char *sub)
{
    static char dir[PATH_MAX + 32];
    if (dir[0])
        return dir;
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "tests/data/%s/README", sub);
    if (access(probe, R_OK) == 0) {
        snprintf(dir, sizeof dir, "tests/data/%s", sub);
        return dir;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        assert_non_null(slash);
        *slash = '\0';
    }
    snprintf(dir, sizeof dir, "%s/tests/data/%s", exe, sub);
    return dir;
}

#endif
