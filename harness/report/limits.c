#include "harness/report/limits.h"

#include <math.h>
#include <stdlib.h>

#include "harness/report/compare_side.h"

int limits_any(const limits_t *l)
{
    return l->max_error_rate >= 0 || l->max_p99_ms > 0 || l->max_mem_mib > 0;
}

/* The per-model limits: the median of the model's runs against each. */
static int limits_model(const compare_side_t *s, const char *model, const limits_t *l,
                        double *scratch, FILE *out)
{
    int n = 0;
    if (l->max_p99_ms > 0) {
        summary_spread_t p = compare_side_spread(s, model, CMP_M_P99, 0, scratch);
        if (p.median > l->max_p99_ms) {
            fprintf(out,
                    "LIMIT: %s p99 latency %.1f ms (median of its runs) > %g ms (max_p99_ms)\n",
                    model, p.median, l->max_p99_ms);
            n++;
        }
    }
    if (l->max_mem_mib > 0) {
        summary_spread_t m = compare_side_spread(s, model, CMP_M_RSS, 0, scratch);
        if (m.median / 1048576.0 > l->max_mem_mib) {
            fprintf(out,
                    "LIMIT: %s peak memory %.1f MiB (median of its runs) > %g MiB (max_mem_mib)\n",
                    model, m.median / 1048576.0, l->max_mem_mib);
            n++;
        }
    }
    return n;
}

int limits_check(json_t *doc, const limits_t *l, FILE *out, char *err, size_t errlen)
{
    compare_side_t s;
    size_t *first = NULL, nm;
    double *scratch = NULL;
    int n = 0;

    if (compare_side_load(&s, "results", doc, err, errlen)) {
        compare_side_free(&s);
        return -1;
    }
    first = calloc(s.nruns, sizeof *first);
    scratch = calloc(s.nruns, sizeof *scratch);
    if (!first || !scratch) {
        snprintf(err, errlen, "out of memory");
        n = -1;
        goto out;
    }
    for (size_t i = 0; i < s.nruns && l->max_error_rate >= 0; i++) {
        const compare_run_t *r = &s.runs[i];
        if (r->norm[CMP_M_ERRORS] > l->max_error_rate) {
            fprintf(out, "LIMIT: %s repeat %lld error rate %.2f%% > %g%% (max_error_rate)\n",
                    r->model, r->repeat, 100 * r->norm[CMP_M_ERRORS], 100 * l->max_error_rate);
            n++;
        }
    }
    nm = compare_side_models(&s, first);
    for (size_t k = 0; k < nm; k++)
        n += limits_model(&s, s.runs[first[k]].model, l, scratch, out);
out:
    free(first);
    free(scratch);
    compare_side_free(&s);
    return n;
}
