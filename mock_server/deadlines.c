/* Binary min-heap of deadline nodes; each node knows its index, so moving or
 * removing one is O(log n). */
#include "deadlines.h"

#include <errno.h>
#include <stdlib.h>

void deadlines_init(deadlines_t *q)
{
    q->v = NULL;
    q->n = q->cap = 0;
}

void deadlines_free(deadlines_t *q)
{
    for (uint32_t i = 0; i < q->n; i++)
        q->v[i]->idx = DEADLINE_NONE;
    free(q->v);
    deadlines_init(q);
}

static void deadlines_place(deadlines_t *q, deadline_node_t *d, uint32_t i)
{
    q->v[i] = d;
    d->idx = i;
}

static void deadlines_up(deadlines_t *q, uint32_t i)
{
    deadline_node_t *d = q->v[i];

    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (q->v[parent]->at <= d->at)
            break;
        deadlines_place(q, q->v[parent], i);
        i = parent;
    }
    deadlines_place(q, d, i);
}

static void deadlines_down(deadlines_t *q, uint32_t i)
{
    deadline_node_t *d = q->v[i];

    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= q->n)
            break;
        if (child + 1 < q->n && q->v[child + 1]->at < q->v[child]->at)
            child++;
        if (d->at <= q->v[child]->at)
            break;
        deadlines_place(q, q->v[child], i);
        i = child;
    }
    deadlines_place(q, d, i);
}

int deadlines_set(deadlines_t *q, deadline_node_t *d, uint64_t at)
{
    if (d->idx == DEADLINE_NONE) {
        if (q->n == q->cap) {
            uint32_t cap = q->cap ? 2 * q->cap : 64;
            deadline_node_t **v = realloc(q->v, (size_t)cap * sizeof *v);
            if (!v)
                return -ENOMEM;
            q->v = v;
            q->cap = cap;
        }
        d->at = at;
        deadlines_place(q, d, q->n++);
        deadlines_up(q, d->idx);
        return 0;
    }
    if (at < d->at) {
        d->at = at;
        deadlines_up(q, d->idx);
    } else if (at > d->at) {
        d->at = at;
        deadlines_down(q, d->idx);
    }
    return 0;
}

void deadlines_remove(deadlines_t *q, deadline_node_t *d)
{
    uint32_t i = d->idx;
    deadline_node_t *last;

    if (i == DEADLINE_NONE)
        return;
    d->idx = DEADLINE_NONE;
    last = q->v[--q->n];
    if (i == q->n)
        return;
    deadlines_place(q, last, i);
    if (i > 0 && q->v[(i - 1) / 2]->at > last->at)
        deadlines_up(q, i);
    else
        deadlines_down(q, i);
}
