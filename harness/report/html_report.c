#include "harness/report/html_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "harness/config/config.h"
#include "harness/report/report.h"
#include "harness/report/verdict.h"

/* The page's only style: no web font, no script, nothing fetched. */
static const char html_report_css[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "margin:0 auto;max-width:1140px;padding:1em 1.5em;color:#1b1b1b;background:#fff}"
    "h1{font-size:1.6em;margin:.2em 0}h1 small{color:#666;font-weight:400;font-size:.6em}"
    "h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}"
    "nav a{margin-right:1em}nav{display:flex;flex-wrap:wrap;gap:.3em 0}"
    "#verdict li{margin:.25em 0}.held{background:#e8f5e9;border:1px solid #7cb342;padding:.5em 1em}"
    "dl.models{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.5em 0}"
    "dl.models dt{font-weight:700}dl.models dd{margin:0}.small{color:#555;font-size:.85em}"
    "details summary{cursor:pointer;color:#1a5fb4;margin:.5em 0}"
    "#sweep-grid td{white-space:normal}.best{background:#dff0d8;font-weight:700}"
    ".worst{background:#f9dede}"
    "@media (max-width:760px){body{padding:.5em .7em;font-size:14px}"
    "dl.models{grid-template-columns:1fr}dl.models dd{margin-bottom:.4em}"
    "th,td{padding:.2em .35em}th{white-space:normal;min-width:4em}"
    ".wrap{border-right:3px solid #e0e0e0}}"
    ".wrap{overflow-x:auto}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
    "th,td{border:1px solid #d0d0d0;padding:.25em .6em;text-align:right;white-space:nowrap}"
    "th{background:#f2f2f2}th.l,td.l{text-align:left}td.w{white-space:normal;min-width:16em}"
    "tr.unverified td{background:#fde2e2}"
    ".no{color:#b00000;font-weight:700}"
    ".banner{border:3px solid #b00000;background:#fff0f0;color:#8a0000;padding:.6em 1em;"
    "font-weight:700;margin:1em 0}"
    ".note{background:#fff8e1;border:1px solid #e0c060;padding:.5em 1em}"
    ".sw{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.45em}"
    "figure{margin:1.4em 0}figure svg{max-width:100%;height:auto;display:block;"
    "border:1px solid #eee}figcaption{color:#555;font-size:.9em;margin-top:.3em}"
    "footer{color:#777;font-size:.85em;margin-top:2.5em;border-top:1px solid #ddd;"
    "padding-top:.5em}";

static void html_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static double html_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A number cell: fmt applied to o[key] * scale, "–" when absent. */
static void html_td_num(FILE *f, json_t *o, const char *key, const char *fmt, double scale)
{
    double v = html_num(o, key);
    fputs("<td>", f);
    if (isnan(v))
        fputs("–", f);
    else
        fprintf(f, fmt, v * scale);
    fputs("</td>", f);
}

/* A JSON scalar as text; objects and arrays as compact JSON. */
static void html_json_value(FILE *f, json_t *v)
{
    char *text;
    switch (json_typeof(v)) {
    case JSON_STRING:
        html_esc(f, json_string_value(v));
        break;
    case JSON_INTEGER:
        fprintf(f, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        fprintf(f, "%g", json_real_value(v));
        break;
    case JSON_TRUE:
        fputs("true", f);
        break;
    case JSON_FALSE:
        fputs("false", f);
        break;
    case JSON_NULL:
        fputs("–", f);
        break;
    default:
        text = json_dumps(v, JSON_COMPACT);
        html_esc(f, text ? text : "?");
        free(text);
    }
}

/* Every key of an object as a two-column table (the environment and the
 * configuration, whatever keys this version of results.json has). */
static void html_kv_table(FILE *f, json_t *obj)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj)) {
        fputs("<p>Not in results.json.</p>\n", f);
        return;
    }
    fputs("<div class=\"wrap\"><table>\n", f);
    json_object_foreach(obj, key, v)
    {
        size_t n = strlen(key);
        fputs("<tr><th class=\"l\">", f);
        html_esc(f, key);
        fputs("</th><td class=\"l w\">", f);
        html_json_value(f, v);
        if (json_is_integer(v) && n > 6 && strcmp(key + n - 6, "_bytes") == 0)
            fprintf(f, " (%.1f GiB)", json_integer_value(v) / 1073741824.0);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

static void html_banners(FILE *f, const html_report_t *r)
{
    if (!json_is_true(json_object_get(r->doc, "complete")))
        fputs("<div class=\"banner\">INCOMPLETE: the run was interrupted or a model could not "
              "finish its run; the figures below are partial.</div>\n",
              f);
    for (int i = 0; i < r->nmodels; i++) {
        if (r->models[i].s.verified)
            continue;
        fputs("<div class=\"banner\">UNVERIFIED: ", f);
        html_esc(f, r->models[i].s.name);
        fputs(" — its rows in PostgreSQL did not match what it reported (see the runs table "
              "for the first problem found). Do not trust its figures.</div>\n",
              f);
    }
}

/* One note for the models with runs that were not valid measurements,
 * each with its reasons (validity.h), so a busy machine does not push the
 * verdict off the screen. */
static void html_validity_banners(FILE *f, const html_report_t *r)
{
    int any = 0;
    for (int i = 0; i < r->nmodels; i++) {
        const summary_model_t *s = &r->models[i].s;
        if (!s->invalid_runs)
            continue;
        if (!any++)
            fputs("<div class=\"note\"><b>NOT VALID</b> — these runs measure the machine as "
                  "much as the model (see the runs table):<ul>\n",
                  f);
        fputs("<li>", f);
        html_esc(f, s->name);
        fprintf(f, ": %d of %d runs:", s->invalid_runs, s->runs);
        if (s->invalid_reasons & VALIDITY_MOCK_LATE)
            fprintf(f,
                    " the mock API answered late (the p99 of its lateness beyond %.0f%% of the "
                    "API latency or %g ms);",
                    100 * LIMIT_VALID_LATE_FRACTION, LIMIT_VALID_LATE_MAX_MS);
        if (s->invalid_reasons & VALIDITY_OTHERS_CPU)
            fprintf(f, " other processes took more than %.0f%% of the machine's CPU;",
                    100 * LIMIT_VALID_OTHERS_CPU_SHARE);
        fputs("</li>\n", f);
    }
    if (any)
        fputs("</ul></div>\n", f);
}

/* A verdict sentence with its lead-in (the aspect or the model, up to the
 * first ": ") in bold. */
static void html_lead(FILE *f, const char *text)
{
    const char *colon = strstr(text, ": ");
    char *lead;
    if (!colon || !(lead = strndup(text, (size_t)(colon - text)))) {
        html_esc(f, text);
        return;
    }
    fputs("<b>", f);
    html_esc(f, lead);
    fputs("</b>", f);
    html_esc(f, colon);
    free(lead);
}

/* The verdict (verdict.h) at the top of the page: the scenario's
 * question and expectation with what the data checked, each model's
 * description, one line per aspect, one "pick" line per model: the same
 * sentences as the terminal and summary.md. */
static void html_verdict(FILE *f, const html_report_t *r)
{
    json_t *hdr = json_object_get(r->doc, "scenario_header");
    const char *q = json_string_value(json_object_get(hdr, "question"));
    const char *e = json_string_value(json_object_get(hdr, "expect"));
    summary_model_t *m;
    verdict_t v;
    int n;

    fputs("<section id=\"verdict\">\n<h2>Verdict</h2>\n", f);
    if (q) {
        fputs("<p class=\"ask\"><b>The scenario asks:</b> ", f);
        html_esc(f, q);
        fputs("</p>\n", f);
    }
    if (verdict_from_results(r->doc, &v, &m, &n)) {
        fputs("<p class=\"note\">No verdict: results.json has no model to judge.</p>\n</section>\n",
              f);
        return;
    }
    if (e) {
        fputs("<p><b>Expect:</b> ", f);
        html_esc(f, e);
        fprintf(f, "</p>\n<p id=\"expect-check\" class=\"%s\"><b>Against this run: %s.</b> ",
                v.expect_held ? "held" : "banner", v.expect_held ? "held" : "NOT HELD");
        html_esc(f, v.expect_check);
        fputs("</p>\n", f);
    }
    fputs("<dl class=\"models\">\n", f);
    for (int i = 0; i < n; i++) {
        fputs("<dt>", f);
        html_esc(f, m[i].name);
        fputs("</dt><dd>", f);
        html_esc(f, m[i].description ? m[i].description : "(no description in results.json)");
        fputs("</dd>\n", f);
    }
    fputs("</dl>\n<h3>Beyond the noise</h3>\n<ul id=\"verdict-aspects\">\n", f);
    for (int a = 0; a < VERDICT__N; a++) {
        if (!v.has_aspect[a])
            continue;
        fputs("<li>", f);
        html_lead(f, v.aspect[a]);
        fputs("</li>\n", f);
    }
    if (v.excluded[0]) {
        fputs("<li class=\"no\">", f);
        html_esc(f, v.excluded);
        fputs("</li>\n", f);
    }
    if (v.caution[0]) {
        fputs("<li class=\"no\">", f);
        html_esc(f, v.caution);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n<h3>Pick</h3>\n<ul id=\"verdict-picks\">\n", f);
    for (int i = 0; i < n; i++) {
        fputs("<li>", f);
        html_lead(f, v.pick[i]);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n<p class=\"small\">A lead is a difference beyond the noise, by the rule of "
          "the terminal table's stars (docs/results.md, \"Noise\"); within it, models tie. "
          "Every figure is a median over the model's measured runs.</p>\n</section>\n",
          f);
    verdict_free(&v);
    free(m);
}

/* The configuration: the knobs that differ from concbench's defaults,
 * then every knob folded away. */
static void html_config(FILE *f, json_t *conf)
{
    config_t def;
    json_t *dj = NULL, *v;
    const char *key;
    int changed = 0;
    if (config_init(&def) == 0) {
        dj = report_config_json(&def);
        config_free(&def);
    }
    if (json_is_object(conf) && dj) {
        fputs("<p>Set away from the defaults:</p>\n<div class=\"wrap\"><table "
              "id=\"config-changed\">\n",
              f);
        json_object_foreach(conf, key, v)
        {
            json_t *d = json_object_get(dj, key);
            if (d && json_equal(d, v))
                continue;
            changed++;
            fputs("<tr><th class=\"l\">", f);
            html_esc(f, key);
            fputs("</th><td class=\"l w\">", f);
            html_json_value(f, v);
            fputs("</td><td class=\"l w\">default ", f);
            if (d)
                html_json_value(f, d);
            else
                fputs("–", f);
            fputs("</td></tr>\n", f);
        }
        if (!changed)
            fputs("<tr><td class=\"l\">none: every knob at its default</td></tr>\n", f);
        fputs("</table></div>\n", f);
    }
    json_decref(dj);
    fputs("<details><summary>Every knob</summary>\n", f);
    html_kv_table(f, conf);
    fputs("</details>\n", f);
}

/* The summary table's figure columns after CPU s and the services' CPU. */
static const struct {
    int fig;
    const char *head, *fmt, *suffix;
    double scale;
} html_summary_cols[] = {
    {SUMMARY_CPU_REQ, "CPU µs/request", "%.0f", "", 1},
    {SUMMARY_MEM, "peak MiB", "%.1f", "", 1.0 / 1048576},
    {SUMMARY_API_P50, "api p50 ms", "%.1f", "", 1},
    {SUMMARY_API_P99, "api p99 ms", "%.1f", "", 1},
    {SUMMARY_WAIT_P50, "wait p50 ms", "%.1f", "", 1},
    {SUMMARY_WAIT_P99, "wait p99 ms", "%.1f", "", 1},
    {SUMMARY_E2E_P99, "e2e p99 ms", "%.1f", "", 1},
    {SUMMARY_ERROR_RATE, "errors", "%.2f", "%", 100},
};

/* A summary cell's class from the verdict: "best" where the model leads
 * figure fig beyond the noise, "worst" where it is the highest beyond it. */
static const char *html_rank_class(const verdict_t *v, const summary_model_t *rows,
                                   const char *model, int fig)
{
    int a = verdict_figure_aspect(fig);
    if (a < 0 || !v->rank[a])
        return "";
    for (int i = 0; i < v->n; i++) {
        if (strcmp(rows[i].name, model) != 0 || !v->has_aspect[a])
            continue;
        return v->rank[a][i] == VERDICT_LEADS   ? " class=\"best\""
               : v->rank[a][i] == VERDICT_WORST ? " class=\"worst\""
                                                : "";
    }
    return "";
}

static void html_summary_table(FILE *f, const html_report_t *r)
{
    char cell[96];
    verdict_t v;
    summary_model_t *rows = NULL;
    int nrows = 0;
    if (verdict_from_results(r->doc, &v, &rows, &nrows))
        memset(&v, 0, sizeof v);
    size_t ncols = sizeof html_summary_cols / sizeof html_summary_cols[0];
    fputs("<div class=\"wrap\"><table id=\"summary\">\n<tr><th class=\"l\">model</th>"
          "<th class=\"l\">verified</th><th>runs</th><th>wall s</th><th>wall/floor</th>"
          "<th>CPU s</th><th>services CPU s<br>",
          f);
    for (int k = 0; k < PLOT_INFRA_N; k++)
        fprintf(f, "%s%s", k ? " / " : "", plot_infra_labels[k]);
    fputs("</th>", f);
    for (size_t c = 0; c < ncols; c++)
        fprintf(f, "<th>%s</th>", html_summary_cols[c].head);
    fputs("</tr>\n", f);
    for (int i = 0; i < r->nmodels; i++) {
        const plot_model_t *m = &r->models[i];
        fprintf(f, "<tr%s><td class=\"l\"><span class=\"sw\" style=\"background:%s\"></span>",
                m->s.verified ? "" : " class=\"unverified\"", m->color);
        html_esc(f, m->s.name);
        fprintf(f, "</td><td class=\"l\">%s</td><td>%d%s%s</td>",
                m->s.verified ? "yes" : "<span class=\"no\">NO: rows did not verify</span>",
                m->s.runs, m->s.runs == 1 ? " (single run)" : "",
                m->s.noisy ? " <span class=\"no\">noisy</span>" : "");
        summary_spread_format(&m->s.fig[SUMMARY_WALL], m->s.runs, "%.2f", 1, "", cell, sizeof cell);
        fprintf(f, "<td%s>%s</td>", html_rank_class(&v, rows, m->s.name, SUMMARY_WALL), cell);
        summary_spread_format(&m->s.fig[SUMMARY_WALL_FLOOR], m->s.runs, "%.2f", 1, "", cell,
                              sizeof cell);
        fprintf(f, "<td>%s</td>", cell);
        summary_spread_format(&m->s.fig[SUMMARY_CPU], m->s.runs, "%.2f", 1, "", cell, sizeof cell);
        fprintf(f, "<td>%s</td><td>", cell);
        for (int k = 0; k < PLOT_INFRA_N; k++) {
            fputs(k ? " / " : "", f);
            if (m->infra_missing[k])
                fputs("–", f);
            else
                fprintf(f, "%.2f", m->infra_cpu_s[k]);
        }
        fputs("</td>", f);
        for (size_t c = 0; c < ncols; c++) {
            summary_spread_format(&m->s.fig[html_summary_cols[c].fig], m->s.runs,
                                  html_summary_cols[c].fmt, html_summary_cols[c].scale,
                                  html_summary_cols[c].suffix, cell, sizeof cell);
            fprintf(f, "<td%s>%s</td>",
                    html_rank_class(&v, rows, m->s.name, html_summary_cols[c].fig), cell);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n<p class=\"small\"><span class=\"best\">green</span>: the best "
          "of the column beyond the noise; <span class=\"worst\">red</span>: the worst beyond "
          "it (the verdict's ranks).</p>\n",
          f);
    verdict_free(&v);
    free(rows);
}

/* A run's valid cell: yes, or no with the reasons' codes; – for results
 * written before the key existed. */
static void html_td_validity(FILE *f, json_t *run)
{
    json_t *valid = json_object_get(run, "valid"), *reason;
    size_t k;
    if (!json_is_boolean(valid)) {
        fputs("<td class=\"l\">–</td>", f);
        return;
    }
    if (json_is_true(valid)) {
        fputs("<td class=\"l\">yes</td>", f);
        return;
    }
    fputs("<td class=\"l\"><span class=\"no\">no:", f);
    json_array_foreach(json_object_get(json_object_get(run, "validity"), "reasons"), k, reason)
    {
        fputs(k ? ", " : " ", f);
        html_esc(f, json_string_value(reason));
    }
    fputs("</span></td>", f);
}

/* A run's crash cell: – without --crash-after; "not applicable" with the
 * reason; else workers killed, ids re-queued and re-delivered. */
static void html_td_crash(FILE *f, json_t *crash)
{
    fputs("<td class=\"l w\">", f);
    if (!json_is_object(crash))
        fputs("–", f);
    else if (!json_is_true(json_object_get(crash, "applicable"))) {
        fputs("not applicable: ", f);
        html_esc(f, json_string_value(json_object_get(crash, "reason")));
    } else
        fprintf(f, "%.0f killed, %.0f re-queued, %.0f re-delivered", html_num(crash, "killed"),
                html_num(crash, "requeued"), html_num(crash, "redelivered"));
    fputs("</td>", f);
}

/* run[key], or run[v1_key] in a schema-1 document that has only that. */
static json_t *html_key_or_v1(json_t *run, const char *key, const char *v1_key)
{
    json_t *v = json_object_get(run, key);
    return v ? v : json_object_get(run, v1_key);
}

/* Every measured run as results.json lists it, with what verification found. */
static void html_runs_table(FILE *f, const html_report_t *r)
{
    json_t *runs = json_object_get(r->doc, "runs"), *run;
    size_t i;
    fputs("<div class=\"wrap\"><table id=\"runs-table\">\n<tr><th class=\"l\">model</th>"
          "<th>repeat</th><th class=\"l\">verified</th><th class=\"l\">valid</th><th>wall "
          "s</th><th>CPU user+sys s</th>"
          "<th>peak MiB</th><th>api p50 ms</th><th>api p99 ms</th><th>api max ms</th>"
          "<th>wait p50 ms</th><th>e2e max ms</th><th>succeeded</th>"
          "<th>failed</th><th class=\"l\">failures by class</th><th>duplicates</th>"
          "<th>DB conns</th><th>retried</th><th class=\"l\">crash</th>"
          "<th class=\"l\">verification problem</th></tr>\n",
          f);
    json_array_foreach(runs, i, run)
    {
        json_t *errs = json_object_get(run, "errors"), *v,
               *lat = html_key_or_v1(run, "api_ms", "latency_ms");
        json_t *problem = json_object_get(json_object_get(run, "verify"), "problem");
        int verified = json_is_true(json_object_get(run, "verified")), any = 0;
        const char *cls;
        fprintf(f, "<tr%s><td class=\"l\">", verified ? "" : " class=\"unverified\"");
        html_esc(f, json_string_value(json_object_get(run, "model")));
        fputs("</td>", f);
        html_td_num(f, run, "repeat", "%.0f", 1);
        fprintf(f, "<td class=\"l\">%s</td>", verified ? "yes" : "<span class=\"no\">NO</span>");
        html_td_validity(f, run);
        html_td_num(f, run, "wall_s", "%.3f", 1);
        fprintf(f, "<td>%.3f</td>", html_num(run, "cpu_user_s") + html_num(run, "cpu_sys_s"));
        html_td_num(f, run,
                    json_object_get(run, "peak_mem_bytes") ? "peak_mem_bytes" : "peak_rss_bytes",
                    "%.1f", 1.0 / 1048576);
        html_td_num(f, lat, "p50", "%.1f", 1);
        html_td_num(f, lat, "p99", "%.1f", 1);
        html_td_num(f, lat, "max", "%.1f", 1);
        html_td_num(f, json_object_get(run, "wait_ms"), "p50", "%.1f", 1);
        html_td_num(f, json_object_get(run, "e2e_ms"), "max", "%.1f", 1);
        html_td_num(f, run, "succeeded", "%.0f", 1);
        html_td_num(f, run, "failed", "%.0f", 1);
        fputs("<td class=\"l\">", f);
        json_object_foreach(errs, cls, v)
        {
            if (!json_is_integer(v) || json_integer_value(v) == 0)
                continue;
            fprintf(f, "%s", any++ ? ", " : "");
            html_esc(f, cls);
            fprintf(f, " %lld", (long long)json_integer_value(v));
        }
        fputs(any ? "</td>" : "none</td>", f);
        html_td_num(f, run, "duplicates", "%.0f", 1);
        html_td_num(f, run, "db_conns", "%.0f", 1);
        html_td_num(f, run, "retried", "%.0f", 1);
        html_td_crash(f, json_object_get(run, "crash"));
        fputs("<td class=\"l w\">", f);
        html_esc(f, json_is_string(problem) ? json_string_value(problem) : "");
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

/* Copies gnuplot's SVG into the page from its <svg> element on, with every
 * id and #reference prefixed by the chart's name: gnuplot gives each file
 * the same ids (gpPt0, gnuplot_canvas...), which must stay unique once
 * several charts share one document. */
static void html_svg_embed(FILE *f, const char *svg, const char *prefix, const char *label)
{
    static const char *const refs[] = {"id=\"", "id='", "href=\"#", "href='#", "url(#"};
    const char *p = strstr(svg, "<svg");
    const char *end = strstr(svg, "</svg>");
    if (!p || !end) {
        fputs("<p class=\"note\">This chart's SVG is unreadable.</p>\n", f);
        return;
    }
    fputs("<svg role=\"img\" aria-label=\"", f);
    html_esc(f, label);
    fputc('"', f);
    for (p += 4; p < end; p++) {
        size_t k, n = 0;
        if (strncmp(p, "<title>Gnuplot</title>", 22) == 0) {
            p += 21;
            continue;
        }
        for (k = 0; k < sizeof refs / sizeof *refs; k++) {
            n = strlen(refs[k]);
            /* An attribute name starts after a space or "xlink:". */
            if (strncmp(p, refs[k], n) == 0 &&
                (refs[k][0] == 'u' || p[-1] == ' ' || p[-1] == ':' || p[-1] == '\n'))
                break;
        }
        if (k < sizeof refs / sizeof *refs) {
            fwrite(p, 1, n, f);
            fprintf(f, "%s-", prefix);
            p += n - 1;
        } else {
            fputc(*p, f);
        }
    }
    fputs("</svg>\n", f);
}

static void html_charts(FILE *f, const html_report_t *r)
{
    if (r->charts_note) {
        fputs("<p class=\"note\" id=\"charts-note\">", f);
        html_esc(f, r->charts_note);
        fputs("</p>\n", f);
        return;
    }
    for (int k = 0; k < r->ncharts; k++) {
        const html_chart_t *c = &r->charts[k];
        fputs("<figure id=\"", f);
        html_esc(f, c->name);
        fputs("\">\n", f);
        if (c->svg)
            html_svg_embed(f, c->svg, c->name, c->caption);
        else {
            fputs("<p class=\"note\">Not drawn: ", f);
            html_esc(f, c->missing);
            fputs("</p>\n", f);
        }
        fputs("<figcaption>", f);
        html_esc(f, c->caption);
        fputs(c->svg ? " Also as <code>" : "", f);
        if (c->svg) {
            html_esc(f, c->name);
            fputs(".png</code> and <code>", f);
            html_esc(f, c->name);
            fputs(".svg</code> in this folder.", f);
        }
        fputs("</figcaption>\n</figure>\n", f);
    }
}

/* Closes a page's memstream: its text, or NULL (freed) when a write
 * failed. */
static char *html_close(FILE *f, char **buf)
{
    int bad = ferror(f);
    if ((fclose(f) != 0) | bad) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

char *html_report_render(const html_report_t *r, size_t *len)
{
    json_t *conf = json_object_get(r->doc, "config"), *env = json_object_get(r->doc, "env");
    const char *started = json_string_value(json_object_get(r->doc, "started_at"));
    const char *finished = json_string_value(json_object_get(r->doc, "finished_at"));
    const char *cpu = json_string_value(json_object_get(env, "cpu_model"));
    double lat = html_num(conf, "latency_ms");
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>concbench: ",
          f);
    html_esc(f, r->scenario);
    fputs(started ? ", " : "", f);
    html_esc(f, started);
    fprintf(f,
            "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>concbench results "
            "<small>scenario ",
            html_report_css);
    html_esc(f, r->scenario);
    fprintf(f,
            "</small></h1>\n<p>%.0f requests, concurrency %.0f, API latency %.0f ms: floor "
            "%.2f s (ceil(N/C) × latency). Machine: ",
            html_num(conf, "requests"), html_num(conf, "concurrency"), lat, r->floor_s);
    html_esc(f, cpu ? cpu : "unknown CPU");
    fprintf(f, ", %.0f cores. Run from ", html_num(env, "cores"));
    html_esc(f, started ? started : "?");
    fputs(" to ", f);
    html_esc(f, finished ? finished : "?");
    fprintf(f, "; concbench exited with status %.0f.</p>\n</header>\n",
            html_num(r->doc, "exit_status"));
    html_banners(f, r);
    html_validity_banners(f, r);
    fputs("<nav><a href=\"#verdict\">Verdict</a><a href=\"#summary-section\">Summary</a><a "
          "href=\"#charts\">Charts</a>"
          "<a href=\"#runs\">Runs</a><a href=\"#environment\">Environment</a>"
          "<a href=\"#configuration\">Configuration</a></nav>\n",
          f);
    html_verdict(f, r);

    fputs("<section id=\"summary-section\">\n<h2>Summary</h2>\n<p>Medians over each model's "
          "measured runs, (min–max) when it has several; a single run has no spread "
          "measured. ",
          f);
    fprintf(f,
            "<b>noisy</b>: the model's wall times spread more than %.2f× (max/min) or their "
            "MAD exceeds %.0f%% of the median: compare its figures with care. ",
            LIMIT_NOISY_MAX_OVER_MIN, 100 * LIMIT_NOISY_MAD_OVER_MEDIAN);
    fputs("Efficiency = floor / wall time (1.00 "
          "is the floor). Peak memory: the model's whole process tree. Services CPU: what the "
          "mock API, PostgreSQL and Redis spent during the model's runs (– : not measured, "
          "e.g. a service concbench did not start).</p>\n",
          f);
    html_summary_table(f, r);
    fputs("</section>\n<section id=\"charts\">\n<h2>Charts</h2>\n", f);
    html_charts(f, r);
    fputs("</section>\n<section id=\"runs\">\n<h2>Runs</h2>\n", f);
    html_runs_table(f, r);
    fputs("</section>\n<section id=\"environment\">\n<h2>Environment</h2>\n", f);
    html_kv_table(f, env);
    fputs("</section>\n<section id=\"configuration\">\n<h2>Configuration</h2>\n", f);
    html_config(f, conf);
    fputs("</section>\n<footer>Written by <code>concbench plot</code> from results.json; the "
          "page is self-contained (no external resource).</footer>\n</body>\n</html>\n",
          f);
    return html_close(f, &buf);
}

/* The knee of one model, in words (sweep.h: flat, at_largest). */
static void html_sweep_knee(FILE *f, json_t *kn)
{
    const char *key;
    json_t *v;
    int k = 0;
    fputs("<li><b>", f);
    html_esc(f, json_string_value(json_object_get(kn, "model")));
    fputs("</b>: ", f);
    if (json_is_true(json_object_get(kn, "flat"))) {
        fprintf(f,
                "no knee: its wall time is the same within the noise at every point (best "
                "%.2f s); the swept knob does not change it.</li>\n",
                html_num(kn, "best_wall_s"));
        return;
    }
    fputs("knee at ", f);
    json_object_foreach(json_object_get(kn, "point"), key, v)
    {
        fputs(k++ ? ", " : "", f);
        html_esc(f, key);
        fprintf(f, " = %g", json_number_value(v));
    }
    fprintf(f, ": %.2f s (best %.2f s)", html_num(kn, "wall_s"), html_num(kn, "best_wall_s"));
    if (json_is_true(json_object_get(kn, "at_largest")))
        fputs(" — <span class=\"no\">the largest value tried: try larger values</span>", f);
    fputs(".</li>\n", f);
}

/* A point's values as "concurrency = 50". */
static void html_sweep_point(FILE *f, json_t *values)
{
    const char *key;
    json_t *v;
    int k = 0;
    json_object_foreach(values, key, v)
    {
        fputs(k++ ? ", " : "", f);
        html_esc(f, key);
        fprintf(f, " = %g", json_number_value(v));
    }
}

/* The summary[] row of a model at a point (by its folder), or NULL. */
static json_t *html_sweep_row(json_t *doc, const char *model, const char *dir)
{
    json_t *row;
    size_t i;
    json_array_foreach(json_object_get(doc, "summary"), i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "model")), model) == 0 &&
            strcmp(json_string_value(json_object_get(row, "dir")), dir) == 0)
            return row;
    }
    return NULL;
}

char *html_sweep_render(json_t *doc, const char *svg, size_t *len)
{
    json_t *sw = json_object_get(doc, "sweep"), *conf = json_object_get(doc, "config");
    json_t *points = json_object_get(sw, "points"), *kn, *pt, *row;
    json_t *env = json_object_get(doc, "env");
    const char *cpu = json_string_value(json_object_get(env, "cpu_model"));
    char *buf = NULL;
    size_t i, j;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta "
            "name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>concbench "
            "sweep</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>concbench sweep "
            "<small>",
            html_report_css);
    json_array_foreach(json_object_get(sw, "keys"), i, pt)
    {
        fputs(i ? ", " : "", f);
        html_esc(f, json_string_value(pt));
    }
    fprintf(f, "</small></h1>\n<p>%zu points; %.0f requests, API latency %.0f ms. Machine: ",
            json_array_size(points), html_num(conf, "requests"), html_num(conf, "latency_ms"));
    html_esc(f, cpu ? cpu : "unknown CPU");
    fprintf(f,
            ", %.0f cores. Every point is a complete run with its own report (links below).</p>"
            "\n</header>\n",
            html_num(env, "cores"));
    if (!json_is_true(json_object_get(doc, "complete")))
        fputs("<div class=\"banner\">INCOMPLETE: not every point ran; the figures below are "
              "partial.</div>\n",
              f);
    fprintf(f,
            "<section id=\"knees\">\n<h2>Knee per model</h2>\n<p>The knee: the first point (in "
            "the order given) whose median wall time is within %.0f%% of the model's best. A "
            "model whose wall times at every point are the same within the noise "
            "(docs/results.md, \"Noise\") has none.</p>\n<ul>\n",
            100 * html_num(sw, "knee_within"));
    json_array_foreach(json_object_get(sw, "knee"), i, kn) html_sweep_knee(f, kn);
    fputs("</ul>\n</section>\n<section id=\"grid\">\n<h2>The grid</h2>\n<p>Per point and "
          "model: median wall time, peak memory and API p99; a point's name links to its own "
          "report.</p>\n<div class=\"wrap\"><table id=\"sweep-grid\">\n<tr><th "
          "class=\"l\">point</th>",
          f);
    /* The models, in the order of the first point's rows. */
    {
        json_t *models = json_array();
        json_array_foreach(json_object_get(doc, "summary"), i, row)
        {
            json_t *name = json_object_get(row, "model"), *seen;
            int dup = 0;
            json_array_foreach(models, j, seen) dup |= json_equal(seen, name);
            if (!dup)
                json_array_append(models, name);
        }
        json_array_foreach(models, j, kn)
        {
            fputs("<th>", f);
            html_esc(f, json_string_value(kn));
            fputs("</th>", f);
        }
        fputs("</tr>\n", f);
        json_array_foreach(points, i, pt)
        {
            const char *dir = json_string_value(json_object_get(pt, "dir"));
            fputs("<tr><td class=\"l\">", f);
            if (json_is_true(json_object_get(pt, "ran"))) {
                fputs("<a href=\"", f);
                html_esc(f, dir);
                fputs("/report.html\">", f);
                html_sweep_point(f, json_object_get(pt, "values"));
                fputs("</a>", f);
            } else {
                html_sweep_point(f, json_object_get(pt, "values"));
                fputs(" (did not run)", f);
            }
            fputs("</td>", f);
            json_array_foreach(models, j, kn)
            {
                row = dir ? html_sweep_row(doc, json_string_value(kn), dir) : NULL;
                if (!row) {
                    fputs("<td>–</td>", f);
                    continue;
                }
                fprintf(f, "<td%s>%.2f s · %.1f MiB · p99 %.1f ms%s</td>",
                        json_is_true(json_object_get(row, "verified")) ? ""
                                                                       : " class=\"unverified\"",
                        html_num(json_object_get(row, "wall_s"), "median"),
                        html_num(json_object_get(row, "peak_mem_bytes"), "median") / 1048576,
                        html_num(json_object_get(row, "api_p99_ms"), "median"),
                        json_is_true(json_object_get(row, "verified")) ? "" : " NOT VERIFIED");
            }
            fputs("</tr>\n", f);
        }
        json_decref(models);
    }
    fputs("</table></div>\n</section>\n<section id=\"charts\">\n<h2>Chart</h2>\n", f);
    if (svg) {
        fputs("<figure id=\"chart-sweep\">\n", f);
        html_svg_embed(f, svg, "chart-sweep", "the sweep chart");
        fputs("<figcaption>Wall time (log scale, the knee circled), peak memory, CPU and API p99 "
              "against the swept knob. Also as <code>chart-sweep.png</code> and "
              "<code>chart-sweep.svg</code>.</figcaption>\n</figure>\n",
              f);
    } else {
        fputs("<p class=\"note\">Not drawn: the chart needs gnuplot and one swept knob "
              "(sweep.csv has the whole grid).</p>\n",
              f);
    }
    fputs("</section>\n<footer>Written by <code>concbench</code> from the sweep's results.json; "
          "self-contained (no external resource).</footer>\n</body>\n</html>\n",
          f);
    return html_close(f, &buf);
}

void html_report_escape(FILE *f, const char *s)
{
    html_esc(f, s);
}

void html_report_svg_inline(FILE *f, const char *svg, const char *prefix, const char *label)
{
    html_svg_embed(f, svg, prefix, label);
}
