#include "harness/report/limits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/compare_side.h"

void limits_init(limits_t *l)
{
    memset(l, 0, sizeof *l);
    l->error_rate.all = l->p99_ms.all = l->mem_mib.all = -1;
}

int limits_any(const limits_t *l)
{
    return limit_spec_any(&l->error_rate) || limit_spec_any(&l->p99_ms) ||
           limit_spec_any(&l->mem_mib);
}

/* The per-model limits: the median of the model's runs against each. */
static int limits_model(const compare_side_t *s, const char *model, const limits_t *l,
                        double *scratch, FILE *out)
{
    double p99_max = limit_spec_for(&l->p99_ms, model),
           mem_max = limit_spec_for(&l->mem_mib, model);
    int n = 0;

    if (p99_max >= 0) {
        summary_spread_t p = compare_side_spread(s, model, CMP_M_P99, 0, scratch);
        if (p.median > p99_max) {
            fprintf(out,
                    "LIMIT: %s api p99 latency %.1f ms (median of its runs) > %g ms (max_p99_ms)\n",
                    model, p.median, p99_max);
            n++;
        }
    }
    if (mem_max >= 0) {
        summary_spread_t m = compare_side_spread(s, model, CMP_M_RSS, 0, scratch);
        if (m.median / 1048576.0 > mem_max) {
            fprintf(out,
                    "LIMIT: %s peak memory %.1f MiB (median of its runs) > %g MiB (max_mem_mib)\n",
                    model, m.median / 1048576.0, mem_max);
            n++;
        }
    }
    return n;
}

/* A model a limit names that the results lack is a mistake in the gate
 * (a typo would otherwise silently check nothing). Returns 0 or -1. */
static int limits_models_present(const compare_side_t *s, const limits_t *l, char *err,
                                 size_t errlen)
{
    static const char *const what[] = {"max_error_rate", "max_p99_ms", "max_mem_mib"};
    const limit_spec_t *specs[] = {&l->error_rate, &l->p99_ms, &l->mem_mib};

    for (int k = 0; k < 3; k++)
        for (int i = 0; i < specs[k]->n; i++)
            if (!compare_side_has_model(s, specs[k]->model[i])) {
                snprintf(err, errlen, "%s names model %s, which the results do not have", what[k],
                         specs[k]->model[i]);
                return -1;
            }
    return 0;
}

int limits_check(json_t *doc, const limits_t *l, FILE *out, char *err, size_t errlen)
{
    compare_side_t s;
    size_t *first = NULL, nm;
    double *scratch = NULL;
    int n = 0;

    if (compare_side_load(&s, "results", doc, err, errlen) ||
        limits_models_present(&s, l, err, errlen)) {
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
    for (size_t i = 0; i < s.nruns; i++) {
        const compare_run_t *r = &s.runs[i];
        double max = limit_spec_for(&l->error_rate, r->model);
        if (max >= 0 && r->norm[CMP_M_ERRORS] > max) {
            fprintf(out, "LIMIT: %s repeat %lld error rate %.2f%% > %g%% (max_error_rate)\n",
                    r->model, r->repeat, 100 * r->norm[CMP_M_ERRORS], 100 * max);
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
