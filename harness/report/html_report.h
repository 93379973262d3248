/* report.html: one self-contained page (inline CSS and SVG, no external
 * resource, nothing fetched) with the environment, the configuration, the
 * summary table, every run and every chart of a results folder. Rendering
 * only: plot_results.c gathers the figures, plot.c the charts' SVG text,
 * and plot.c writes the page. */
#ifndef CONCBENCH_HTML_REPORT_H
#define CONCBENCH_HTML_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "harness/report/plot_results.h"

typedef struct html_chart {
    const char *name;    /* file stem: name.svg, name.png */
    const char *caption; /* what the chart shows */
    const char *svg;     /* the SVG file's text, or NULL when not drawn */
    char missing[400];   /* why it was not drawn, when svg is NULL */
} html_chart_t;

typedef struct html_report {
    json_t *doc; /* results.json */
    const char *scenario;
    double floor_s; /* ceil(N/C) x latency */
    const plot_model_t *models;
    int nmodels;
    const html_chart_t *charts;
    int ncharts;
    const char *charts_note; /* NULL, or why the charts are missing */
} html_report_t;

/* Renders the page. Returns malloc'd UTF-8 text (length in *len), or NULL
 * when out of memory. */
char *html_report_render(const html_report_t *r, size_t *len);

/* A sweep's own page from its results.json (sweep.h): the knee of every
 * model (or why there is none), the grid of points with each model's wall
 * time, peak memory and API p99 at each, a link to every point's
 * report.html, and the sweep chart (svg: chart-sweep.svg's text, or NULL
 * when it was not drawn). Returns malloc'd UTF-8 text (length in *len),
 * or NULL when out of memory. */
char *html_sweep_render(json_t *doc, const char *svg, size_t *len);

/* For other pages (compare_html.c): s with &, <, > and " escaped. */
void html_report_escape(FILE *f, const char *s);
/* gnuplot's SVG text inline, its ids prefixed with prefix (unique once
 * several charts share a page), label as its accessible name. */
void html_report_svg_inline(FILE *f, const char *svg, const char *prefix, const char *label);

#endif
