/* Small statistics used by the reports: sorting, quantiles, medians. */
#ifndef CONCBENCH_STATS_H
#define CONCBENCH_STATS_H

void stats_sort(double *v, int n);
/* Nearest-rank quantile of sorted v (q in [0,1]); 0 when n == 0. */
double stats_quantile_sorted(const double *v, int n, double q);
/* Median of v (not necessarily sorted; v is reordered). 0 when n == 0. */
double stats_median(double *v, int n);

#endif
