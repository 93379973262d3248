#include "harness/run/progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/term.h"

void progress_init(progress_t *p, const config_t *cfg, const char *model, int round)
{
    *p = (progress_t){.mode = cfg->progress, .tty = isatty(2), .model = model};
    p->warmup = round < 0;
    p->k = p->warmup ? round + cfg->warmup + 1 : round + 1;
    p->of = p->warmup ? cfg->warmup : cfg->repeat;
}

/* Seconds left at the rate so far; negative when nothing finished yet. */
static double progress_eta(uint64_t finished, uint32_t n, double elapsed)
{
    if (finished == 0 || elapsed <= 0)
        return -1;
    return (double)(n - (finished < n ? finished : n)) * elapsed / (double)finished;
}

static void progress_json(const progress_t *p, uint64_t done, uint64_t failed, uint32_t n,
                          double el, int final)
{
    double eta = final ? 0 : progress_eta(done + failed, n, el);
    json_t *o = json_pack("{s:s, s:b, s:i, s:i, s:I, s:I, s:I, s:f, s:f, s:o, s:b}", "model",
                          p->model, "warmup", p->warmup, "run", p->k, "of", p->of, "done",
                          (json_int_t)done, "failed", (json_int_t)failed, "requests", (json_int_t)n,
                          "rate", el > 0 ? (double)(done + failed) / el : 0.0, "elapsed_s", el,
                          "eta_s", eta < 0 ? json_null() : json_real(eta), "final", final);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;

    if (line)
        fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(o);
}

static void progress_bar(progress_t *p, uint64_t done, uint64_t failed, uint32_t n, double el,
                         int final)
{
    const int width = 24;
    uint64_t fin = done + failed;
    int fill = n ? (int)((double)width * (double)(fin < n ? fin : n) / n) : width;
    double eta = progress_eta(fin, n, el);
    char bar[32], label[64], etas[32];

    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    snprintf(label, sizeof label, "%s %d of %d", p->warmup ? "warm-up" : "run", p->k, p->of);
    if (final)
        snprintf(etas, sizeof etas, "done");
    else if (eta < 0)
        snprintf(etas, sizeof etas, "ETA -");
    else
        snprintf(etas, sizeof etas, "ETA %.1fs", eta);
    fprintf(stderr,
            "%s  %s%-15s%s %-14s [%s%.*s%s%s] %" PRIu64 "/%u  %.0f req/s  %serrors %" PRIu64
            "%s  %.1fs  %s%s",
            p->tty ? "\r" : "", term_sgr(stderr, TERM_BOLD), p->model, term_sgr(stderr, TERM_RESET),
            label, term_sgr(stderr, TERM_GREEN), fill, bar, term_sgr(stderr, TERM_RESET),
            bar + fill, fin, n, el > 0 ? (double)fin / el : 0,
            failed ? term_sgr(stderr, TERM_RED) : "", failed, term_sgr(stderr, TERM_RESET), el,
            etas, p->tty ? (final ? "\n" : "\033[K") : "\n");
    p->open = p->tty && !final;
}

void progress_tick(progress_t *p, int64_t now, uint64_t done, uint64_t failed, uint32_t n,
                   int final)
{
    int64_t every = p->mode == CONFIG_PROGRESS_JSON ? LIMIT_RUN_PROGRESS_JSON_MS
                    : p->tty                        ? LIMIT_RUN_PROGRESS_TTY_MS
                                                    : LIMIT_RUN_PROGRESS_LOG_MS;
    double el;

    if (p->mode == CONFIG_PROGRESS_OFF)
        return;
    if (!final && now - p->last <= every * CLOCK_NS_PER_MS)
        return;
    p->last = now;
    el = (double)(now - p->t0) / 1e9;
    if (p->mode == CONFIG_PROGRESS_JSON)
        progress_json(p, done, failed, n, el, final);
    else
        progress_bar(p, done, failed, n, el, final);
}

void progress_break(progress_t *p)
{
    if (p->open)
        fputc('\n', stderr);
    p->open = 0;
}
