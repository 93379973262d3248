/* concbench compare: two results.json documents in, a table and an exit
 * status out. Validation (schema, workload, models, baseline health) comes
 * first and prints nothing, so an input that cannot be compared yields one
 * line and exit 2, never half a table. docs/ci.md is the user-facing
 * statement of every rule below. */
#include "harness/report/compare.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/exitcode.h"
#include "harness/report/compare_html.h"
#include "harness/report/compare_side.h"
#include "harness/report/noise.h"

_Static_assert((1u << CMP_M_WALL) == COMPARE_M_WALL && (1u << CMP_M_CPU) == COMPARE_M_CPU &&
                   (1u << CMP_M_RSS) == COMPARE_M_RSS && (1u << CMP_M_ERRORS) == COMPARE_M_ERRORS &&
                   (1u << CMP_M_P99) == COMPARE_M_P99 && (1u << CMP_M__N) - 1 == COMPARE_M_ALL,
               "metric indices and COMPARE_M_* bits disagree");

typedef struct metric_info {
    const char *name;  /* --metric spelling */
    const char *label; /* table row label, with the unit */
    const char *unit;  /* of the raw figure as printed */
    const char *norm;  /* what the normalised figure is */
} metric_info_t;

static const metric_info_t metric_info[CMP_M__N] = {
    {"wall", "wall s", "s", "wall/floor"},          {"cpu", "cpu s", "s", "cpu µs/request"},
    {"mem", "peak MiB", "MiB", "KiB/in-flight"},    {"errors", "failed", "failed", "error rate"},
    {"p99", "api p99 ms", "ms", "p99/API latency"},
};

typedef enum verdict { V_SAME, V_BETTER, V_WORSE, V_NOISY, V_NA } verdict_t;

static const char *const verdict_names[] = {"same", "better", "worse", "noisy", "n/a"};

/* The kind of noise of each compared metric (noise.h). */
static const noise_figure_t cmp_noise_kind[CMP_M__N] = {
    [CMP_M_WALL] = NOISE_WALL,    [CMP_M_CPU] = NOISE_CPU,      [CMP_M_RSS] = NOISE_MEM,
    [CMP_M_ERRORS] = NOISE_COUNT, [CMP_M_P99] = NOISE_LAT_TAIL,
};

/* Whether a side's figure took the minimum noise (too few runs to measure
 * its own). */
static int cmp_floored(int metric, summary_spread_t s)
{
    return noise_interval(&s, cmp_noise_kind[metric]).floored &&
           noise_min_rel(cmp_noise_kind[metric]) > 0;
}

/* All figures compared are lower-is-better. errors is a count of failed
 * requests: usually zero, so a ratio means nothing; it is worse when it
 * grows by at least one request and by more than threshold x the
 * baseline's count. The others are worse when the median exceeds the
 * baseline's by more than the threshold. Then the noise (noise.h): the
 * change must also clear the two sides' intervals, [min, max] of the
 * repetitions, widened to the metric's minimum noise on a side with fewer
 * than NOISE_MEASURED_RUNS runs. A change beyond the threshold that the
 * intervals do not clear, in either direction, is noisy. */
static verdict_t cmp_verdict(int metric, summary_spread_t b, summary_spread_t c, double t)
{
    noise_interval_t bi, ci;
    int up, down;
    if (metric == CMP_M_ERRORS) {
        up = c.median - b.median >= 1 && c.median - b.median > t * b.median;
        down = b.median - c.median >= 1 && b.median - c.median > t * b.median;
    } else {
        up = c.median > b.median * (1 + t);
        down = c.median < b.median * (1 - t);
    }
    if (!up && !down)
        return V_SAME;
    bi = noise_interval(&b, cmp_noise_kind[metric]);
    ci = noise_interval(&c, cmp_noise_kind[metric]);
    if (up)
        return noise_below(bi, ci) ? V_WORSE : V_NOISY;
    return noise_below(ci, bi) ? V_BETTER : V_NOISY;
}

static double cmp_scale(int metric, double v)
{
    return metric == CMP_M_RSS ? v / 1048576.0 : v;
}

/* "median" or "median [min, max]" in the metric's unit. */
static void cmp_format_spread(int metric, summary_spread_t sp, int show_range, char *buf,
                              size_t cap)
{
    const char *fmt = metric == CMP_M_ERRORS                       ? "%.0f"
                      : metric == CMP_M_RSS || metric == CMP_M_P99 ? "%.1f"
                                                                   : "%.3f";
    char a[32], lo[32], hi[32];
    snprintf(a, sizeof a, fmt, cmp_scale(metric, sp.median));
    if (!show_range) {
        snprintf(buf, cap, "%s", a);
        return;
    }
    snprintf(lo, sizeof lo, fmt, cmp_scale(metric, sp.min));
    snprintf(hi, sizeof hi, fmt, cmp_scale(metric, sp.max));
    snprintf(buf, cap, "%s [%s, %s]", a, lo, hi);
}

static void cmp_format_norm(int metric, double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (metric == CMP_M_WALL)
        snprintf(buf, cap, "%.3f", v);
    else if (metric == CMP_M_ERRORS)
        snprintf(buf, cap, "%.2f%%", 100 * v);
    else if (metric == CMP_M_P99)
        snprintf(buf, cap, "%.2fx", v);
    else if (metric == CMP_M_CPU)
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.1f", v);
}

/* current / baseline, or the difference in requests for errors. */
static void cmp_format_ratio(int metric, summary_spread_t b, summary_spread_t c, char *buf,
                             size_t cap)
{
    if (metric == CMP_M_ERRORS)
        snprintf(buf, cap, "%+.0f", c.median - b.median);
    else if (b.median > 0)
        snprintf(buf, cap, "%.2fx", c.median / b.median);
    else
        snprintf(buf, cap, "%s", c.median > 0 ? "inf" : "1.00x");
}

static const char *cmp_env_text(json_t *doc, char *buf, size_t cap)
{
    json_t *env = json_object_get(doc, "env");
    const char *cpu = json_string_value(json_object_get(env, "cpu_model"));
    const char *git = json_string_value(json_object_get(env, "git_commit"));
    const char *at = json_string_value(json_object_get(doc, "started_at"));
    snprintf(buf, cap, "%s, %lld cores, commit %s, %s", cpu ? cpu : "unknown CPU",
             (long long)json_integer_value(json_object_get(env, "cores")), git ? git : "unknown",
             at ? at : "undated");
    return buf;
}

static void cmp_print_header(FILE *out, const compare_side_t *b, const compare_side_t *c,
                             const compare_opts_t *o)
{
    char bt[320], ct[320], v[128];
    const char *key;
    json_t *val, *be = json_object_get(b->doc, "env"), *ce = json_object_get(c->doc, "env");
    int first = 1;

    fprintf(out, "baseline: %s\nresults:  %s\n", cmp_env_text(b->doc, bt, sizeof bt),
            cmp_env_text(c->doc, ct, sizeof ct));
    if (!compare_json_equal(json_object_get(be, "cpu_model"), json_object_get(ce, "cpu_model")) ||
        !compare_json_equal(json_object_get(be, "cores"), json_object_get(ce, "cores")))
        fprintf(out, "note: different machines; the normalised figures (wall/floor, per request, "
                     "per in-flight request) travel between machines better than seconds and "
                     "bytes\n");
    fprintf(out, "workload:");
    json_object_foreach(b->config, key, val)
    {
        if (!compare_key_defines_workload(key) || !json_object_get(c->config, key))
            continue;
        compare_json_text(val, v, sizeof v);
        fprintf(out, " %s=%s", key, v);
    }
    fprintf(out, "\n");
    json_object_foreach(b->config, key, val)
    {
        if (compare_key_defines_workload(key) && !json_object_get(c->config, key)) {
            compare_json_text(val, v, sizeof v);
            fprintf(out, "note: config key %s (= %s) is only in the baseline; not compared\n", key,
                    v);
        }
    }
    json_object_foreach(c->config, key, val)
    {
        if (compare_key_defines_workload(key) && !json_object_get(b->config, key)) {
            compare_json_text(val, v, sizeof v);
            fprintf(out, "note: config key %s (= %s) is only in the results; not compared\n", key,
                    v);
        }
    }
    fprintf(out, "threshold %g%%, metrics:", 100 * o->threshold);
    for (int m = 0; m < CMP_M__N; m++)
        if (o->metrics & (1u << m)) {
            fprintf(out, "%s%s", first ? " " : ",", metric_info[m].name);
            first = 0;
        }
    fprintf(out, "\n\n%-16s %-10s %5s %-24s %-24s %7s  %-34s %s\n", "model", "metric", "runs",
            "baseline [min, max]", "current [min, max]", "ratio", "normalised: baseline -> current",
            "verdict");
}

/* One row of the table: a model's metric on both sides, judged. */
typedef struct cmp_row {
    summary_spread_t base, cur; /* raw figures */
    double base_norm, cur_norm; /* medians of the normalised figures */
    verdict_t verdict;
    const char *base_mem, *cur_mem; /* memory methods, for CMP_M_RSS */
} cmp_row_t;

static cmp_row_t cmp_row_judge(const compare_side_t *b, const compare_side_t *c, const char *model,
                               int m, double threshold, double *scratch)
{
    cmp_row_t row;
    row.base = compare_side_spread(b, model, m, 0, scratch);
    row.cur = compare_side_spread(c, model, m, 0, scratch);
    row.base_norm = compare_side_spread(b, model, m, 1, scratch).median;
    row.cur_norm = compare_side_spread(c, model, m, 1, scratch).median;
    row.verdict = cmp_verdict(m, row.base, row.cur, threshold);
    row.base_mem = compare_side_mem_method(b, model);
    row.cur_mem = compare_side_mem_method(c, model);
    /* Peak memory by cgroup and by summed PSS are different quantities:
     * never judge one against the other. */
    if (m == CMP_M_RSS &&
        (!row.base_mem || !row.cur_mem || strcmp(row.base_mem, row.cur_mem) != 0 ||
         strcmp(row.base_mem, "mixed") == 0))
        row.verdict = V_NA;
    return row;
}

static void cmp_row_print(FILE *out, const char *model, int m, const cmp_row_t *row)
{
    char bt[112], ct[112], ratio[16], bn[24], cn[24], norm[64], runs[24];
    int range = row->base.n > 1 || row->cur.n > 1, pad = 34;

    cmp_format_spread(m, row->base, range, bt, sizeof bt);
    cmp_format_spread(m, row->cur, range, ct, sizeof ct);
    cmp_format_ratio(m, row->base, row->cur, ratio, sizeof ratio);
    cmp_format_norm(m, row->base_norm, bn, sizeof bn);
    cmp_format_norm(m, row->cur_norm, cn, sizeof cn);
    snprintf(norm, sizeof norm, "%s %s -> %s", metric_info[m].norm, bn, cn);
    snprintf(runs, sizeof runs, "%d/%d", row->base.n, row->cur.n);
    /* printf pads bytes; a UTF-8 continuation byte (µ) takes no column. */
    for (const char *p = norm; *p; p++)
        pad += ((unsigned char)*p & 0xC0) == 0x80;
    fprintf(out, "%-16s %-10s %5s %-24s %-24s %7s  %-*s %s%s\n", model, metric_info[m].label, runs,
            bt, ct, ratio, pad, norm, verdict_names[row->verdict],
            row->verdict == V_WORSE ? "  <<<" : "");
    if (row->verdict == V_NA)
        fprintf(out,
                "%-16s %-10s %5s not compared: peak memory measured by %s in the baseline, %s "
                "in the results\n",
                "", "", "", row->base_mem ? row->base_mem : "an unrecorded method",
                row->cur_mem ? row->cur_mem : "an unrecorded method");
}

/* Says, below the table, that a side with too few runs to measure its
 * own noise was judged with the minimum noise, and what that is. */
static void cmp_print_floor_note(FILE *out, const compare_opts_t *o)
{
    int first = 1;
    fprintf(out,
            "note: a model with fewer than %d runs on a side cannot measure its noise; its "
            "figures are taken to lie within the minimum noise measured for concbench "
            "(docs/results.md), ",
            NOISE_MEASURED_RUNS);
    for (int m = 0; m < CMP_M__N; m++) {
        noise_figure_t kind = cmp_noise_kind[m];
        if (!(o->metrics & (1u << m)) || noise_min_rel(kind) <= 0)
            continue;
        fprintf(out, "%s%s +/-%.0f%%", first ? "" : ", ", metric_info[m].name,
                100 * noise_min_rel(kind));
        first = 0;
    }
    fprintf(out, " of the median, so only a larger change is worse; --repeat %d measures it\n",
            NOISE_MEASURED_RUNS);
}

/* The page's copy of a row: the same figures and verdict, in the printed
 * unit and text. */
static void cmp_row_keep(compare_html_row_t *h, const char *model, int m, const cmp_row_t *row)
{
    h->model = model;
    h->metric = metric_info[m].label;
    h->verdict = verdict_names[row->verdict];
    h->base = row->base;
    h->cur = row->cur;
    h->base.median = cmp_scale(m, row->base.median);
    h->base.min = cmp_scale(m, row->base.min);
    h->base.max = cmp_scale(m, row->base.max);
    h->cur.median = cmp_scale(m, row->cur.median);
    h->cur.min = cmp_scale(m, row->cur.min);
    h->cur.max = cmp_scale(m, row->cur.max);
    cmp_format_spread(m, row->base, row->base.n > 1 || row->cur.n > 1, h->base_text,
                      sizeof h->base_text);
    cmp_format_spread(m, row->cur, row->base.n > 1 || row->cur.n > 1, h->cur_text,
                      sizeof h->cur_text);
    cmp_format_ratio(m, row->base, row->cur, h->ratio, sizeof h->ratio);
}

/* The table: every baseline model's selected metrics, judged, then the
 * models only the results have. Each judged row is also kept in rows
 * (when not NULL; *nrows counts them). Returns the number of noisy
 * rows. */
static int cmp_print_table(FILE *out, const compare_side_t *b, const compare_side_t *c,
                           const compare_opts_t *o, size_t *first, double *scratch,
                           compare_html_row_t *rows, size_t *nrows)
{
    size_t nmodels = compare_side_models(b, first);
    int nnoisy = 0, nfloored = 0;
    for (size_t k = 0; k < nmodels; k++) {
        const char *model = b->runs[first[k]].model;
        for (int m = 0; m < CMP_M__N; m++) {
            if (!(o->metrics & (1u << m)))
                continue;
            cmp_row_t row = cmp_row_judge(b, c, model, m, o->threshold, scratch);
            cmp_row_print(out, model, m, &row);
            if (rows)
                cmp_row_keep(&rows[(*nrows)++], model, m, &row);
            nnoisy += row.verdict == V_NOISY;
            nfloored += cmp_floored(m, row.base) || cmp_floored(m, row.cur);
        }
    }
    nmodels = compare_side_models(c, first);
    for (size_t k = 0; k < nmodels; k++)
        if (!compare_side_has_model(b, c->runs[first[k]].model))
            fprintf(out, "%-16s not in the baseline: not compared\n", c->runs[first[k]].model);
    if (nfloored)
        cmp_print_floor_note(out, o);
    return nnoisy;
}

/* The verdicts again, as one line per failure for a CI log: every worse
 * metric, then every unverified run of the results. Adds to *nworse and
 * *nunverified. */
static void cmp_print_failures(FILE *out, const compare_side_t *b, const compare_side_t *c,
                               const compare_opts_t *o, size_t *first, double *scratch, int *nworse,
                               int *nunverified)
{
    size_t nmodels = compare_side_models(b, first);
    fprintf(out, "\n");
    for (size_t k = 0; k < nmodels; k++) {
        const char *model = b->runs[first[k]].model;
        for (int m = 0; m < CMP_M__N; m++) {
            char bt[112], ct[112], ratio[16];
            if (!(o->metrics & (1u << m)))
                continue;
            cmp_row_t row = cmp_row_judge(b, c, model, m, o->threshold, scratch);
            if (row.verdict != V_WORSE)
                continue;
            cmp_format_spread(m, row.base, 0, bt, sizeof bt);
            cmp_format_spread(m, row.cur, 0, ct, sizeof ct);
            cmp_format_ratio(m, row.base, row.cur, ratio, sizeof ratio);
            fprintf(out, "WORSE: %s %s %s -> %s %s (%s), ", model, metric_info[m].name, bt, ct,
                    metric_info[m].unit, ratio);
            if (cmp_floored(m, row.base) || cmp_floored(m, row.cur))
                fprintf(out, "beyond the minimum noise (fewer than %d runs on a side)\n",
                        NOISE_MEASURED_RUNS);
            else
                fprintf(out, "outside the spread of the repetitions\n");
            (*nworse)++;
        }
    }
    for (size_t i = 0; i < c->nruns; i++) {
        const compare_run_t *r = &c->runs[i];
        if (r->verified)
            continue;
        fprintf(out, "UNVERIFIED: %s repeat %lld: %s\n", r->model, r->repeat,
                r->problem ? r->problem : "its rows do not match what it reported");
        (*nunverified)++;
    }
}

/* One line per run of side s that was not a valid measurement. Returns
 * how many. */
static int cmp_print_invalid(FILE *out, const compare_side_t *s)
{
    int n = 0;
    for (size_t i = 0; i < s->nruns; i++) {
        char why[128];
        if (s->runs[i].valid)
            continue;
        compare_run_reasons(&s->runs[i], why, sizeof why);
        fprintf(out, "INVALID: %s %s repeat %lld: not a valid measurement (%s)\n", s->label,
                s->runs[i].model, s->runs[i].repeat, why);
        n++;
    }
    return n;
}

/* The verdict's closing line (what the terminal and the page end on). */
static void cmp_verdict_line(char *buf, size_t cap, int rc, int ninvalid, int nworse,
                             int nunverified, int nnoisy, double threshold)
{
    if (rc == CB_EXIT_USAGE)
        snprintf(buf, cap,
                 "VOID: %d run(s) of the results were not valid measurements (the mock API "
                 "late, or other processes busy on the machine): no verdict",
                 ninvalid);
    else if (rc == CB_EXIT_FAILED)
        snprintf(buf, cap,
                 "REGRESSION: %d metric(s) worse beyond the %g%% threshold and the noise, %d "
                 "unverified run(s)",
                 nworse, 100 * threshold, nunverified);
    else
        snprintf(buf, cap, "OK: no metric worse beyond the %g%% threshold and the noise%s",
                 100 * threshold,
                 nnoisy ? "; noisy rows moved more than the threshold but within the noise" : "");
}

/* The page of --html: the rows kept, the environments, the verdict line
 * and everything printed (text, len). Returns 0, or -1 with err. */
static int cmp_write_html(const compare_opts_t *o, const compare_side_t *b, const compare_side_t *c,
                          const compare_html_row_t *rows, size_t nrows, const char *verdict, int rc,
                          const char *text, char *err, size_t errlen)
{
    char bt[320], ct[320];
    compare_html_t h = {o->html,
                        cmp_env_text(b->doc, bt, sizeof bt),
                        cmp_env_text(c->doc, ct, sizeof ct),
                        rows,
                        nrows,
                        verdict,
                        rc != CB_EXIT_OK,
                        text,
                        o->base_dir,
                        o->cur_dir};
    return compare_html_write(&h, err, errlen);
}

int compare_results(json_t *base, json_t *cur, const compare_opts_t *o, FILE *out, char *err,
                    size_t errlen)
{
    compare_side_t b, c;
    size_t *first = NULL, nrows = 0, tlen = 0;
    double *scratch = NULL;
    compare_html_row_t *rows = NULL;
    char verdict[320], *text = NULL;
    FILE *t = out; /* with --html, the text is gathered, then printed */
    int nworse = 0, nnoisy, nunverified = 0, ninvalid, rc = CB_EXIT_USAGE;

    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    if (!(o->metrics & COMPARE_M_ALL) || !(o->threshold >= 0)) {
        snprintf(err, errlen, "no metric selected, or a threshold below zero");
        return CB_EXIT_USAGE;
    }
    if (json_object_get(base, "sweep") || json_object_get(cur, "sweep")) {
        snprintf(err, errlen,
                 "a sweep's results hold one workload per point: compare the "
                 "results.json of one point's folder instead");
        return CB_EXIT_USAGE;
    }
    if (compare_side_load(&b, "baseline", base, err, errlen) ||
        compare_side_load(&c, "results", cur, err, errlen) ||
        compare_sides_check(&b, &c, err, errlen) ||
        compare_baseline_valid(&b, o->allow_invalid, err, errlen))
        goto out;
    first = calloc(b.nruns + c.nruns, sizeof *first);
    scratch = calloc(b.nruns + c.nruns, sizeof *scratch);
    if (o->html) {
        rows = calloc(b.nruns * CMP_M__N + 1, sizeof *rows);
        t = open_memstream(&text, &tlen);
    }
    if (!first || !scratch || (o->html && (!rows || !t))) {
        snprintf(err, errlen, "out of memory");
        t = out;
        goto out;
    }

    cmp_print_header(t, &b, &c, o);
    nnoisy = cmp_print_table(t, &b, &c, o, first, scratch, rows, &nrows);
    cmp_print_failures(t, &b, &c, o, first, scratch, &nworse, &nunverified);
    ninvalid = cmp_print_invalid(t, &b) + cmp_print_invalid(t, &c);
    if (ninvalid && !o->allow_invalid) {
        snprintf(err, errlen,
                 "%d run(s) of the results were not valid measurements (see INVALID above): "
                 "rerun on a quieter machine, or pass --allow-invalid to judge them anyway",
                 ninvalid);
        rc = CB_EXIT_USAGE;
    } else {
        if (ninvalid)
            fprintf(t,
                    "note: %d run(s) were not valid measurements, judged anyway "
                    "(--allow-invalid)\n",
                    ninvalid);
        rc = nworse || nunverified ? CB_EXIT_FAILED : CB_EXIT_OK;
    }
    cmp_verdict_line(verdict, sizeof verdict, rc, ninvalid, nworse, nunverified, nnoisy,
                     o->threshold);
    fprintf(t, "%s\n", verdict);
    if (t != out) {
        int bad = fclose(t) != 0;
        t = out;
        if (bad || !text) {
            snprintf(err, errlen, "out of memory");
            rc = CB_EXIT_USAGE;
            goto out;
        }
        fwrite(text, 1, tlen, out);
        if (cmp_write_html(o, &b, &c, rows, nrows, verdict, rc, text, err, errlen))
            rc = CB_EXIT_USAGE;
    }
out:
    if (t != out)
        fclose(t);
    free(text);
    free(rows);
    free(first);
    free(scratch);
    compare_side_free(&b);
    compare_side_free(&c);
    return rc;
}

int compare_metrics_parse(const char *s, unsigned *mask, char *err, size_t errlen)
{
    const char *p = s;
    *mask = 0;
    for (;;) {
        size_t n = strcspn(p, ",");
        int found = 0;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            *mask |= COMPARE_M_ALL;
            found = 1;
        } else if (n == 3 && strncmp(p, "rss", 3) == 0) {
            *mask |= 1u << CMP_M_RSS; /* the older name of mem */
            found = 1;
        }
        for (int m = 0; m < CMP_M__N && !found; m++) {
            if (strlen(metric_info[m].name) == n && strncmp(p, metric_info[m].name, n) == 0) {
                *mask |= 1u << m;
                found = 1;
            }
        }
        if (!found) {
            snprintf(err, errlen,
                     "unknown metric '%.*s' in '%s' (metrics: wall, cpu, mem, "
                     "errors, p99, all)",
                     (int)n, p, s);
            return -1;
        }
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

const char *compare_results_dir(const char *path, char *buf, size_t cap)
{
    struct stat st;
    const char *slash = strrchr(path, '/');
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(buf, cap, "%s", path);
    else if (!slash)
        snprintf(buf, cap, ".");
    else
        snprintf(buf, cap, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return buf;
}

/* Loads a results.json, or DIR/results.json when path is a folder. */
json_t *compare_load(const char *label, const char *path, char *err, size_t errlen)
{
    char file[4096];
    struct stat st;
    json_error_t jerr;
    json_t *doc;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(file, sizeof file, "%s/results.json", path);
    else
        snprintf(file, sizeof file, "%s", path);
    doc = json_load_file(file, 0, &jerr);
    if (!doc) {
        if (jerr.line > 0)
            snprintf(err, errlen, "%s %s: line %d: %s", label, file, jerr.line, jerr.text);
        else
            snprintf(err, errlen, "%s %s: %s", label, file, jerr.text);
    }
    return doc;
}
