/* Arithmetic the optimiser folds differently at each -O level. */
#include "mf.h"

long calc_fib(int n)
{
    long a = 0, b = 1;
    while (n-- > 0) {
        long t = a + b;
        a = b;
        b = t;
    }
    return a;
}

long calc_gcd(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}
