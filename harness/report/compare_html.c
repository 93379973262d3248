#include "harness/report/compare_html.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "harness/report/chart.h"
#include "harness/report/html_report.h"
#include "harness/report/plot_data.h"

#define CMPH_CHART "chart-compare"
#define CMPH_LAT_CHART "chart-compare-latency"

static const char cmph_css[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "margin:0 auto;max-width:1240px;padding:1em 1.5em;color:#1b1b1b;background:#fff}"
    "h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;"
    "margin-top:1.6em}.wrap{overflow-x:auto}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
    "th,td{border:1px solid #d0d0d0;padding:.25em .6em;text-align:right;white-space:nowrap}"
    "th{background:#f2f2f2}th.l,td.l{text-align:left}"
    "tr.worse td{background:#f9dede;font-weight:700}tr.better td{background:#dff0d8}"
    "tr.noisy td{background:#fff8e1}"
    ".banner{border:3px solid #b00000;background:#fff0f0;color:#8a0000;padding:.6em 1em;"
    "font-weight:700;margin:1em 0}.held{background:#e8f5e9;border:1px solid #7cb342;"
    "padding:.6em 1em;font-weight:700}.note{background:#fff8e1;border:1px solid #e0c060;"
    "padding:.5em 1em}pre{overflow-x:auto;font-size:.8em;background:#f7f7f7;padding:.5em}"
    "figure{margin:1.4em 0}figure svg{max-width:100%;height:auto;display:block;"
    "border:1px solid #eee}figcaption{color:#555;font-size:.9em;margin-top:.3em}"
    "@media (max-width:760px){body{padding:.5em .7em;font-size:14px}th,td{padding:.2em .35em}"
    "th{white-space:normal}.wrap{border-right:3px solid #e0e0e0}}";

/* The distinct models (by_metric 0) or metrics (1) of the rows, in their
 * order. Returns how many. */
static size_t cmph_distinct(const compare_html_t *h, int by_metric, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nrows; i++) {
        const char *name = by_metric ? h->rows[i].metric : h->rows[i].model;
        size_t k = 0;
        while (k < n && strcmp(out[k], name) != 0)
            k++;
        if (k == n)
            out[n++] = name;
    }
    return n;
}

static int cmph_finite(const summary_spread_t *s)
{
    return isfinite(s->median) && isfinite(s->min) && isfinite(s->max);
}

/* comparevars.gp (the names, as single-quoted gnuplot strings: text from
 * a results.json is never code) and compare.dat (one block per charted
 * metric: x, baseline median, min, max, current median, min, max, worse,
 * the model's colour as 0xRRGGBB) in the private folder dir. A metric
 * with an undefined figure is left out of the chart (the table has it). */
static int cmph_chart_inputs(const compare_html_t *h, const char *dir, const char **models,
                             size_t nmodels, const char **metrics, size_t nmetrics, char *err,
                             size_t errlen)
{
    atomic_text_t vars, dat;
    size_t ncharted = 0;
    int extra = 0;
    if (atomic_text_open(&vars, err, errlen))
        return -1;
    if (atomic_text_open(&dat, err, errlen)) {
        atomic_text_commit(&vars, dir, "comparevars.gp", err, errlen);
        return -1;
    }
    fprintf(vars.f, "nmodels = %zu\narray model[%zu]\narray color[%zu]\n", nmodels, nmodels,
            nmodels);
    for (size_t k = 0; k < nmodels; k++) {
        fprintf(vars.f, "model[%zu] = ", k + 1);
        chart_gp_string(vars.f, models[k]);
        fprintf(vars.f, "\ncolor[%zu] = '%s'\n", k + 1, chart_model_color(models[k], &extra));
    }
    fprintf(vars.f, "array mlabel[%zu]\n", nmetrics ? nmetrics : 1);
    for (size_t m = 0; m < nmetrics; m++) {
        int all_finite = 1;
        for (size_t i = 0; i < h->nrows; i++)
            if (strcmp(h->rows[i].metric, metrics[m]) == 0)
                all_finite &= cmph_finite(&h->rows[i].base) && cmph_finite(&h->rows[i].cur);
        if (!all_finite)
            continue;
        fprintf(vars.f, "mlabel[%zu] = ", ++ncharted);
        chart_gp_string(vars.f, metrics[m]);
        fputc('\n', vars.f);
        for (size_t k = 0; k < nmodels; k++)
            for (size_t i = 0; i < h->nrows; i++) {
                const compare_html_row_t *r = &h->rows[i];
                if (strcmp(r->metric, metrics[m]) || strcmp(r->model, models[k]))
                    continue;
                fprintf(dat.f, "%zu %.9g %.9g %.9g %.9g %.9g %.9g %d\n", k + 1, r->base.median,
                        r->base.min, r->base.max, r->cur.median, r->cur.min, r->cur.max,
                        strcmp(r->verdict, "worse") == 0);
            }
        fputs("\n\n", dat.f);
    }
    fprintf(vars.f, "nmetrics = %zu\n", ncharted);
    if (atomic_text_commit(&dat, dir, "compare.dat", err, errlen)) {
        atomic_text_commit(&vars, dir, "comparevars.gp", err, errlen);
        return -1;
    }
    if (atomic_text_commit(&vars, dir, "comparevars.gp", err, errlen))
        return -1;
    if (!ncharted) {
        snprintf(err, errlen, "no figure defined on both sides");
        return -1;
    }
    return 0;
}

/* dir/latency-MODEL-0.csv opened for reading, or NULL: a model name that
 * is not a plain file name (results.json is input), a file that is
 * missing, a link or not a regular file. */
static FILE *cmph_latency_open(const char *dir, const char *model)
{
    char path[PATH_MAX];
    struct stat st;
    FILE *f;
    int fd;
    if (!dir || !*model || model[0] == '.' || strlen(model) > 100 ||
        strspn(model, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") !=
            strlen(model))
        return NULL;
    snprintf(path, sizeof path, "%s/latency-%s-0.csv", dir, model);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
        close(fd);
        return NULL;
    }
    return f;
}

/* comparelat.dat (per model two blocks, baseline then current: "api cdf
 * wait" rows of repetition 0, thinned as report.html's are; one NaN row
 * where a side has no file) and comparelat.gp (lat_data[]: both sides
 * have one) in dir. Returns the models with both, or -1 with err. */
static int cmph_latency_inputs(const compare_html_t *h, const char *dir, const char **models,
                               size_t nmodels, char *err, size_t errlen)
{
    atomic_text_t dat, vars;
    int both = 0, wait_rows = 0;
    if (atomic_text_open(&dat, err, errlen))
        return -1;
    if (atomic_text_open(&vars, err, errlen)) {
        atomic_text_commit(&dat, dir, "comparelat.dat", err, errlen);
        return -1;
    }
    fprintf(vars.f, "array lat_data[%zu]\n", nmodels);
    for (size_t k = 0; k < nmodels; k++) {
        int kept[2] = {0, 0};
        for (int side = 0; side < 2; side++) {
            FILE *f = cmph_latency_open(side ? h->cur_dir : h->base_dir, models[k]);
            fprintf(dat.f, "%s# %s\n", k || side ? "\n\n" : "", side ? "current" : "baseline");
            if (f) {
                kept[side] = plot_cdf_thin(f, dat.f, &wait_rows);
                fclose(f);
            }
            if (!kept[side])
                fputs("NaN NaN NaN\n", dat.f);
        }
        fprintf(vars.f, "lat_data[%zu] = %d\n", k + 1, kept[0] > 0 && kept[1] > 0);
        both += kept[0] > 0 && kept[1] > 0;
    }
    if (atomic_text_commit(&dat, dir, "comparelat.dat", err, errlen)) {
        atomic_text_commit(&vars, dir, "comparelat.gp", err, errlen);
        return -1;
    }
    if (atomic_text_commit(&vars, dir, "comparelat.gp", err, errlen))
        return -1;
    return both;
}

/* Runs plots/SCRIPT in the private folder and reads the SVG it drew.
 * Returns the text, or NULL with why. */
static char *cmph_draw(const char *gnuplot, const char *dir, const char *stem, char *why,
                       size_t whylen)
{
    char script[96], svg_name[96];
    char *svg = NULL;
    size_t len;
    snprintf(script, sizeof script, "%s.gp", stem);
    snprintf(svg_name, sizeof svg_name, "%s.svg", stem);
    if (chart_script_copy(dir, script, why, whylen) == 0 &&
        chart_gnuplot_run(gnuplot, dir, script, why, whylen) == 0 &&
        !(svg = chart_file_read(dir, svg_name, &len)))
        snprintf(why, whylen, "cannot read the chart gnuplot drew: %s", strerror(errno));
    return svg;
}

/* Draws the charts in a private folder: svg[0] the metrics chart, or
 * NULL with why (gnuplot missing: said on stderr too); svg[1] the latency
 * spectra, or NULL with lat_why. Both malloc'd SVG text. */
static void cmph_chart(const compare_html_t *h, const char *pagedir, char *svg[2], char *why,
                       size_t whylen, char *lat_why, size_t lat_whylen)
{
    static const char *const no_inputs[] = {NULL};
    const char **models = calloc(h->nrows + 1, sizeof *models);
    const char **metrics = calloc(h->nrows + 1, sizeof *metrics);
    char gnuplot[PATH_MAX];
    chart_work_t w;
    size_t nmodels;
    int both;

    svg[0] = svg[1] = NULL;
    snprintf(lat_why, lat_whylen, "the metrics chart was not drawn.");
    if (!models || !metrics) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (chart_gnuplot_find(gnuplot, sizeof gnuplot)) {
        snprintf(why, whylen, "gnuplot is not installed (scripts/install-deps.sh)");
        goto out;
    }
    nmodels = cmph_distinct(h, 0, models);
    if (chart_work_open(&w, pagedir, no_inputs, why, whylen) == 0 &&
        cmph_chart_inputs(h, w.dir, models, nmodels, metrics, cmph_distinct(h, 1, metrics), why,
                          whylen) == 0 &&
        (svg[0] = cmph_draw(gnuplot, w.dir, CMPH_CHART, why, whylen)) != NULL) {
        both = cmph_latency_inputs(h, w.dir, models, nmodels, lat_why, lat_whylen);
        if (both == 0)
            snprintf(lat_why, lat_whylen,
                     "no model has latency-<model>-0.csv beside both results.json (compare two "
                     "results folders to see it).");
        else if (both > 0)
            svg[1] = cmph_draw(gnuplot, w.dir, CMPH_LAT_CHART, lat_why, lat_whylen);
    }
    chart_work_close(&w);
out:
    free(models);
    free(metrics);
}

static void cmph_td(FILE *f, const char *cls, const char *text)
{
    fprintf(f, "<td%s>", cls ? cls : "");
    html_report_escape(f, text);
    fputs("</td>", f);
}

static void cmph_verdict(FILE *f, const compare_html_t *h)
{
    size_t nworse = 0;
    fputs("<section id=\"verdict\">\n<h2>Verdict</h2>\n", f);
    fprintf(f, "<p class=\"%s\">", h->failed ? "banner" : "held");
    html_report_escape(f, h->verdict);
    fputs("</p>\n", f);
    for (size_t i = 0; i < h->nrows; i++)
        nworse += strcmp(h->rows[i].verdict, "worse") == 0;
    if (nworse) {
        fputs("<ul id=\"regressions\">\n", f);
        for (size_t i = 0; i < h->nrows; i++) {
            const compare_html_row_t *r = &h->rows[i];
            if (strcmp(r->verdict, "worse"))
                continue;
            fputs("<li class=\"regression\">WORSE: ", f);
            html_report_escape(f, r->model);
            fputc(' ', f);
            html_report_escape(f, r->metric);
            fputs(": ", f);
            html_report_escape(f, r->base_text);
            fputs(" → ", f);
            html_report_escape(f, r->cur_text);
            fputs(" (", f);
            html_report_escape(f, r->ratio);
            fputs(")</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    fputs("</section>\n", f);
}

static void cmph_table(FILE *f, const compare_html_t *h)
{
    fputs("<h2>Per model and metric</h2>\n<div class=\"wrap\"><table id=\"compare\">\n"
          "<tr><th class=\"l\">model</th><th class=\"l\">metric</th>"
          "<th>baseline median [min, max]</th><th>current median [min, max]</th>"
          "<th>ratio</th><th class=\"l\">verdict</th></tr>\n",
          f);
    for (size_t i = 0; i < h->nrows; i++) {
        const compare_html_row_t *r = &h->rows[i];
        fputs("<tr class=\"", f);
        html_report_escape(f, strcmp(r->verdict, "n/a") ? r->verdict : "na");
        fputs("\">", f);
        cmph_td(f, " class=\"l\"", r->model);
        cmph_td(f, " class=\"l\"", r->metric);
        cmph_td(f, NULL, r->base_text);
        cmph_td(f, NULL, r->cur_text);
        cmph_td(f, NULL, r->ratio);
        cmph_td(f, " class=\"l\"", r->verdict);
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

/* A figure: the chart's SVG inline, or a note saying why it is missing
 * (missing: its start, why: the reason), then the caption. */
static void cmph_figure(FILE *f, const char *id, const char *svg, const char *label,
                        const char *missing, const char *why, const char *caption)
{
    fprintf(f, "<figure id=\"%s\">\n", id);
    if (svg)
        html_report_svg_inline(f, svg, id, label);
    else {
        fprintf(f, "<p class=\"note\">%s", missing);
        html_report_escape(f, why);
        fputs("</p>\n", f);
    }
    fputs("<figcaption>", f);
    html_report_escape(f, caption);
    fputs("</figcaption>\n</figure>\n", f);
}

/* Splits path into its folder (dir) and file name. */
static const char *cmph_split(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, cap, ".");
        return path;
    }
    snprintf(dir, cap, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return slash + 1;
}

int compare_html_write(const compare_html_t *h, char *err, size_t errlen)
{
    char dir[PATH_MAX], why[480], lat_why[480];
    const char *name = cmph_split(h->path, dir, sizeof dir);
    char *svg[2];
    atomic_text_t t;

    if (!*name) {
        snprintf(err, errlen, "--html %s: want a file name, not a folder", h->path);
        return -1;
    }
    cmph_chart(h, dir, svg, why, sizeof why, lat_why, sizeof lat_why);
    if (atomic_text_open(&t, err, errlen)) {
        free(svg[0]);
        free(svg[1]);
        return -1;
    }
    fprintf(t.f,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>concbench compare</title><style>%s</style></head><body>\n"
            "<h1>concbench compare</h1>\n<p>baseline: ",
            cmph_css);
    html_report_escape(t.f, h->base_env);
    fputs("<br>results: ", t.f);
    html_report_escape(t.f, h->cur_env);
    fputs("</p>\n", t.f);
    cmph_verdict(t.f, h);
    cmph_table(t.f, h);
    fputs("<h2>Charts</h2>\n", t.f);
    cmph_figure(t.f, CMPH_CHART, svg[0], "baseline against current per model", "Not drawn: ", why,
                "Per metric, each model's baseline (pale) beside its current figure (solid): "
                "medians, whiskers min–max of the repetitions. A current bar in red is worse "
                "beyond the threshold and the noise, as in the table and the terminal; lower is "
                "better everywhere.");
    cmph_figure(t.f, CMPH_LAT_CHART, svg[1], "API latency spectra, baseline and current",
                "Latency spectra not drawn: ", lat_why,
                "API latency by percentile of repetition 0, one panel per model: the baseline "
                "dashed, the current solid; x is 1 / (1 − p) on a log scale, as in report.html's "
                "latency chart.");
    fputs("<h2>What the terminal printed</h2>\n<pre>", t.f);
    html_report_escape(t.f, h->terminal);
    fputs("</pre>\n</body></html>\n", t.f);
    free(svg[0]);
    free(svg[1]);
    if (atomic_text_commit(&t, dir, name, err, errlen))
        return -1;
    return 0;
}
