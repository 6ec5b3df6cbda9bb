/* A growable array of ints. */
#include <stdlib.h>

#include "mf.h"

int vec_push(struct vec *v, int x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        int *p = realloc(v->items, cap * sizeof *p);
        if (!p)
            return -1;
        v->items = p;
        v->cap = cap;
    }
    v->items[v->n++] = x;
    return 0;
}

void vec_free(struct vec *v)
{
    free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

long vec_sum(const struct vec *v)
{
    long s = 0;
    for (size_t i = 0; i < v->n; i++)
        s += v->items[i];
    return s;
}
