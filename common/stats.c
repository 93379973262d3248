#include "common/stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void stats_sort(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
}

double stats_quantile_sorted(const double *v, int n, double q)
{
    long rank;
    if (n <= 0)
        return 0;
    rank = (long)ceil(q * n - 1e-9); /* 0.99 * 100 must be rank 99 */
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

double stats_median(double *v, int n)
{
    if (n <= 0)
        return 0;
    stats_sort(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
