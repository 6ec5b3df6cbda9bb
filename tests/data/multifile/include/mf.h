/* Shared declarations of the multifile test program. */
#ifndef MF_H
#define MF_H

#include <stddef.h>
#include <stdint.h>

struct vec {
    int *items;
    size_t n, cap;
};

int vec_push(struct vec *v, int x);
void vec_free(struct vec *v);
long vec_sum(const struct vec *v);

uint32_t hash_fnv1a(const char *s);
size_t str_count_words(const char *s);
void str_upper(char *dst, const char *src, size_t len);
long calc_fib(int n);
long calc_gcd(long a, long b);
int fmt_line(char *buf, size_t len, const char *name, long a, long b, uint32_t h);
uint16_t checksum_fletcher16(const void *data, size_t len);

#endif
