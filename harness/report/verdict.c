#include "harness/report/verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/noise.h"

/* Each figure the verdict weighs: its summary[] figure, its kind of noise
 * and how its value prints (value x scale, printf conversion, unit). */
static const struct {
    const char *name;
    int fig;
    noise_figure_t noise;
    const char *fmt;
    double scale;
    const char *unit;
} verdict_fig[VERDICT__FIGURES] = {
    [VERDICT_WALL] = {"wall time", SUMMARY_WALL, NOISE_WALL, "%.2f", 1, " s"},
    [VERDICT_CPU] = {"CPU per request", SUMMARY_CPU_REQ, NOISE_CPU, "%.0f", 1, " \u00b5s"},
    [VERDICT_MEM] = {"peak memory", SUMMARY_MEM, NOISE_MEM, "%.1f", 1 / 1048576.0, " MiB"},
    [VERDICT_API_P99] = {"API p99", SUMMARY_API_P99, NOISE_LAT_TAIL, "%.1f", 1, " ms"},
    [VERDICT_ERRORS] = {"errors", SUMMARY_ERROR_RATE, NOISE_COUNT, "%.2f", 100, "%"},
    [VERDICT_RETRIED] = {"retried requests", SUMMARY_RETRIED, NOISE_COUNT, "%.0f", 1, ""},
    [VERDICT_DB_CONNS] = {"DB connections", SUMMARY_DB_CONNS, NOISE_COUNT, "%.0f", 1, ""},
};

const char *verdict_aspect_name(verdict_aspect_t a)
{
    return a < VERDICT__FIGURES ? verdict_fig[a].name : a == VERDICT_CRASH ? "crash" : "?";
}

int verdict_figure_aspect(int fig)
{
    for (int a = 0; a < VERDICT__FIGURES; a++)
        if (verdict_fig[a].fig == fig)
            return a;
    return -1;
}

int verdict_eligible(const summary_model_t *m)
{
    return m->runs > 0 && m->ok && m->fig[SUMMARY_ERROR_RATE].max < 1;
}

int verdict_faced(const summary_model_t *m)
{
    return m->crash != SUMMARY_CRASH_NA;
}

/* Appends printf output to buf (of VERDICT_TEXT_MAX), cutting at its end. */
static void cat(char *buf, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    if (len + 1 >= VERDICT_TEXT_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, VERDICT_TEXT_MAX - len, fmt, ap);
    va_end(ap);
}

/* Appends a sentence: its first letter upper-case when it follows the end
 * of another (". "). */
static void cat_sentence(char *buf, const char *text)
{
    size_t len = strlen(buf);
    cat(buf, "%s", text);
    if (len >= 2 && buf[len - 2] == '.' && buf[len - 1] == ' ' && buf[len] >= 'a' &&
        buf[len] <= 'z')
        buf[len] = (char)(buf[len] - 'a' + 'A');
}

/* A model's median of figure a with its unit ("5.12 s"); wall time also
 * as a multiple of the floor. */
static void cat_value(char *buf, verdict_aspect_t a, const summary_model_t *m)
{
    const summary_spread_t *s = &m->fig[verdict_fig[a].fig];
    char num[48];
    snprintf(num, sizeof num, verdict_fig[a].fmt, s->median * verdict_fig[a].scale);
    cat(buf, "%s%s", num, verdict_fig[a].unit);
    if (a == VERDICT_WALL && !isnan(m->fig[SUMMARY_WALL_FLOOR].median))
        cat(buf, " (%.2fx the floor)", m->fig[SUMMARY_WALL_FLOOR].median);
}

/* "(2.31x)": how many times the best's median other's is; nothing when
 * the best's is 0. */
static void cat_ratio(char *buf, double best, double other)
{
    if (best > 0)
        cat(buf, " (%.2fx)", other / best);
}

/* Why a model is not compared. */
static void cat_why_not(char *buf, const summary_model_t *m, double max_error_rate)
{
    if (m->runs == 0)
        cat(buf, "%s had no measured run", m->name);
    else if (m->fig[SUMMARY_ERROR_RATE].max >= 1)
        cat(buf, "%s failed every request in a run (%.0f%%)", m->name,
            100 * m->fig[SUMMARY_ERROR_RATE].max);
    else if (!m->verified)
        /* summary[] keeps only whether every run verified, not how many
         * did not: say no more than that. */
        cat(buf,
            m->runs == 1 ? "%s's rows did not verify" : "%s's rows did not verify in every run",
            m->name);
    else
        cat(buf, "%s failed %.2f%% of its requests (median), beyond max_error_rate %g%%", m->name,
            100 * m->fig[SUMMARY_ERROR_RATE].median, 100 * max_error_rate);
}

/* The classes of the failures a model's runs had, "5xx 3, timeout 2". */
static void cat_error_classes(char *buf, const summary_model_t *m)
{
    int any = 0;
    for (int c = 1; c < ERR__COUNT; c++)
        if (m->errors[c])
            cat(buf, "%s%s %llu", any++ ? ", " : "", err_class_name((err_class_t)c),
                (unsigned long long)m->errors[c]);
}

/* Ranks the eligible models on figure a and writes its sentence. col and
 * cmp are scratch for n entries. */
static void verdict_figure(verdict_t *v, const summary_model_t *m, int n, verdict_aspect_t a,
                           const int *elig, const summary_spread_t **col, int *cmp)
{
    char *t = v->aspect[a];
    verdict_rank_t *rank = v->rank[a];
    noise_figure_t kind = verdict_fig[a].noise;
    int c = 0, best = -1, worst = -1, next = -1, star, any_nonzero = 0, k = 0;
    noise_interval_t bi;

    for (int i = 0; i < n; i++) {
        col[i] = &m[i].fig[verdict_fig[a].fig];
        rank[i] = VERDICT_NOT_COMPARED;
        cmp[i] = elig[i] && !isnan(col[i]->median);
        if (!cmp[i])
            continue;
        c++;
        any_nonzero |= col[i]->max > 0;
        if (best < 0 || col[i]->median < col[best]->median)
            best = i;
    }
    /* Retries and connections are said only where some model has any. */
    if ((a == VERDICT_RETRIED || a == VERDICT_DB_CONNS) && !any_nonzero)
        return;
    v->has_aspect[a] = 1;
    snprintf(t, VERDICT_TEXT_MAX, "%s: ", verdict_fig[a].name);
    if (c == 0) {
        int e = 0;
        for (int i = 0; i < n; i++)
            e += elig[i];
        if (e)
            cat(t, "not in this results file for any of the %d comparable models.", e);
        else
            cat(t, "no model to compare (0 of %d ok with successes in every run).", n);
        return;
    }
    if (c == 1) {
        rank[best] = VERDICT_TIED_BEST;
        cat(t, "only %s is compared, at ", m[best].name);
        cat_value(t, a, &m[best]);
        cat(t, ".");
        return;
    }
    if (!any_nonzero) {
        for (int i = 0; i < n; i++)
            if (cmp[i])
                rank[i] = VERDICT_TIED_BEST;
        cat(t, "a tie at 0%s in all %d compared models.", verdict_fig[a].unit, c);
        return;
    }
    /* The noise rule of the table's stars (noise.h): a model leads only
     * when its interval lies below every other's; the others are behind
     * when theirs lies above the lowest median's, tied with it if not. */
    star = noise_star(col, cmp, n, kind);
    bi = noise_interval(col[best], kind);
    for (int i = 0; i < n; i++) {
        if (!cmp[i])
            continue;
        if (i == best || !noise_below(bi, noise_interval(col[i], kind))) {
            rank[i] = VERDICT_TIED_BEST;
            continue;
        }
        rank[i] = VERDICT_BEHIND;
        if (worst < 0 || col[i]->median > col[worst]->median)
            worst = i;
        if (next < 0 || col[i]->median < col[next]->median)
            next = i;
    }
    if (worst >= 0)
        rank[worst] = VERDICT_WORST;
    if (star >= 0) {
        rank[star] = VERDICT_LEADS;
        cat(t, "%s leads with ", m[star].name);
        cat_value(t, a, &m[star]);
        cat(t, "; next %s at ", m[next].name);
        cat_value(t, a, &m[next]);
        cat_ratio(t, col[star]->median, col[next]->median);
        if (worst != next) {
            cat(t, "; most %s at ", m[worst].name);
            cat_value(t, a, &m[worst]);
            cat_ratio(t, col[star]->median, col[worst]->median);
        }
    } else {
        for (int i = 0; i < n; i++) {
            if (rank[i] != VERDICT_TIED_BEST)
                continue;
            cat(t, "%s%s ", k++ ? ", " : "", m[i].name);
            cat_value(t, a, &m[i]);
        }
        cat(t, " tie within the noise");
        k = 0;
        for (int i = 0; i < n; i++) {
            if (rank[i] != VERDICT_BEHIND && rank[i] != VERDICT_WORST)
                continue;
            cat(t, "%s %s ", k++ ? "," : "; beyond it:", m[i].name);
            cat_value(t, a, &m[i]);
            if (col[best]->median > 0)
                cat(t, " (%.2fx %s)", col[i]->median / col[best]->median, m[best].name);
        }
    }
    cat(t, ".");
    if (a != VERDICT_ERRORS)
        return;
    k = 0;
    for (int i = 0; i < n; i++) {
        uint64_t classified = 0;
        for (int e = 1; e < ERR__COUNT; e++)
            classified += m[i].errors[e];
        if (!cmp[i] || col[i]->max <= 0 || classified == 0)
            continue;
        cat(t, "%s%s: ", k++ ? "; " : " Failed for good by class: ", m[i].name);
        cat_error_classes(t, &m[i]);
    }
    if (k)
        cat(t, ".");
}

/* The crash sentence: what it did to each model it applied to, and the
 * models it did not apply to, which are judged on nothing about it. */
static void verdict_crash(verdict_t *v, const summary_model_t *m, int n)
{
    char *t = v->aspect[VERDICT_CRASH];
    int k = 0, na = 0, any = 0;
    for (int i = 0; i < n; i++)
        any |= m[i].crash != SUMMARY_CRASH_NONE;
    if (!any)
        return;
    v->has_aspect[VERDICT_CRASH] = 1;
    snprintf(t, VERDICT_TEXT_MAX, "crash: ");
    for (int i = 0; i < n; i++) {
        if (m[i].crash != SUMMARY_CRASH_APPLIED)
            continue;
        cat(t,
            "%s%s: %lld worker(s) killed, %lld id(s) re-queued, %lld re-delivered over %d "
            "run(s), rows %s",
            k++ ? "; " : "", m[i].name, (long long)m[i].killed, (long long)m[i].requeued,
            (long long)m[i].redelivered, m[i].runs, m[i].verified ? "verified" : "NOT verified");
    }
    for (int i = 0; i < n; i++) {
        if (m[i].crash != SUMMARY_CRASH_NA)
            continue;
        cat(t, "%s%s (%s)",
            na++ ? ", "
            : k  ? "; not applicable, 0 killed: "
                 : "not applicable, 0 killed: ",
            m[i].name, m[i].crash_na ? m[i].crash_na : "no separate worker to kill");
    }
    cat(t, ".");
}

/* The best model of figure a (LEADS or the lowest TIED_BEST), or -1. */
static int verdict_best(const verdict_t *v, const summary_model_t *m, verdict_aspect_t a)
{
    int best = -1;
    for (int i = 0; i < v->n; i++) {
        if (v->rank[a][i] != VERDICT_LEADS && v->rank[a][i] != VERDICT_TIED_BEST)
            continue;
        if (best < 0 ||
            m[i].fig[verdict_fig[a].fig].median < m[best].fig[verdict_fig[a].fig].median)
            best = i;
    }
    return best;
}

/* The next after the leader of figure a (the lowest of the others), or -1. */
static int verdict_runner_up(const verdict_t *v, const summary_model_t *m, verdict_aspect_t a,
                             int leader)
{
    int next = -1;
    for (int i = 0; i < v->n; i++) {
        if (i == leader || v->rank[a][i] == VERDICT_NOT_COMPARED)
            continue;
        if (next < 0 ||
            m[i].fig[verdict_fig[a].fig].median < m[next].fig[verdict_fig[a].fig].median)
            next = i;
    }
    return next;
}

/* Appends one sentence, intro first, naming each figure on which model i
 * has the given rank, its value against the best's. Returns how many. */
static int verdict_pick_against(const verdict_t *v, const summary_model_t *m, int i,
                                verdict_rank_t rank, const char *intro)
{
    char *t = v->pick[i];
    int n = 0;
    for (int a = 0; a < VERDICT__FIGURES; a++) {
        int best;
        if (!v->has_aspect[a] || v->rank[a][i] != rank)
            continue;
        best = verdict_best(v, m, (verdict_aspect_t)a);
        if (!n++)
            cat_sentence(t, intro);
        else
            cat(t, "; ");
        cat(t, "%s: ", verdict_fig[a].name);
        cat_value(t, (verdict_aspect_t)a, &m[i]);
        if (best >= 0) {
            cat(t, " against %s at ", m[best].name);
            cat_value(t, (verdict_aspect_t)a, &m[best]);
        }
    }
    if (n)
        cat(t, ". ");
    return n;
}

/* "Pick X when ...": the figures it leads or ties on, with the numbers,
 * then what it costs (where it is the worst beyond the noise), then the
 * crash. */
static void verdict_pick(verdict_t *v, const summary_model_t *m, int i, double max_error_rate)
{
    char *t = v->pick[i];
    int leads = 0, tied = 0, worst, behind;
    t[0] = '\0';
    if (!verdict_eligible(&m[i])) {
        cat(t, "%s: do not pick it from this run: ", m[i].name);
        cat_why_not(t, &m[i], max_error_rate);
        cat(t, ".");
        return;
    }
    if (!verdict_faced(&m[i])) {
        cat(t,
            "%s: not crashed (0 workers killed: not applicable), so not compared with the "
            "models that were; its own run without the fault: wall time ",
            m[i].name);
        cat_value(t, VERDICT_WALL, &m[i]);
        cat(t, ", peak memory ");
        cat_value(t, VERDICT_MEM, &m[i]);
        cat(t, ".");
        return;
    }
    cat(t, "%s: ", m[i].name);
    for (int a = 0; a < VERDICT__FIGURES; a++) {
        int next;
        if (!v->has_aspect[a] || v->rank[a][i] != VERDICT_LEADS)
            continue;
        next = verdict_runner_up(v, m, (verdict_aspect_t)a, i);
        if (leads++)
            cat(t, "; %s: ", verdict_fig[a].name);
        else
            cat(t, "pick it for %s: ", verdict_fig[a].name);
        cat_value(t, (verdict_aspect_t)a, &m[i]);
        if (next >= 0) {
            cat(t, " against %s at ", m[next].name);
            cat_value(t, (verdict_aspect_t)a, &m[next]);
        }
    }
    if (leads)
        cat(t, ". ");
    for (int a = 0; a < VERDICT__FIGURES; a++) {
        if (!v->has_aspect[a] || v->rank[a][i] != VERDICT_TIED_BEST)
            continue;
        /* A tie at 0 everywhere (no errors) says nothing about this model. */
        if (m[i].fig[verdict_fig[a].fig].max <= 0 && verdict_best(v, m, (verdict_aspect_t)a) >= 0 &&
            verdict_fig[a].noise == NOISE_COUNT)
            continue;
        if (!tied++)
            cat_sentence(t, "level with the best on ");
        else
            cat(t, ", ");
        cat(t, "%s at ", verdict_fig[a].name);
        cat_value(t, (verdict_aspect_t)a, &m[i]);
    }
    if (tied)
        cat(t, ". ");
    worst = verdict_pick_against(v, m, i, VERDICT_WORST, "it costs the most ");
    behind = verdict_pick_against(v, m, i, VERDICT_BEHIND, "it trails the best on ");
    if (!leads && !tied && !worst && !behind) {
        cat_sentence(t, "leads on no figure of this run (wall time ");
        cat_value(t, VERDICT_WALL, &m[i]);
        cat(t, "). ");
    }
    if (m[i].crash == SUMMARY_CRASH_APPLIED) {
        cat_sentence(t, "under the crash: ");
        cat(t, "%lld worker(s) killed, %lld id(s) re-delivered, rows %s. ", (long long)m[i].killed,
            (long long)m[i].redelivered, m[i].verified ? "verified" : "NOT verified");
    } else if (m[i].crash == SUMMARY_CRASH_NA)
        cat_sentence(t,
                     "not crashed (0 workers killed: not applicable), so not judged on recovery. ");
    /* No trailing space. */
    for (size_t len = strlen(t); len && t[len - 1] == ' '; len--)
        t[len - 1] = '\0';
}

/* Whether the expectation's text names something (case-insensitive). */
static int names(const char *expect, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = expect; *p; p++)
        if (strncasecmp(p, word, n) == 0)
            return 1;
    return 0;
}

/* Each model's value of figure a, "A 1.02, B 1.05". */
static void cat_all(char *t, const summary_model_t *m, int n, verdict_aspect_t a)
{
    cat(t, " %s:", verdict_fig[a].name);
    for (int i = 0; i < n; i++) {
        cat(t, "%s %s ", i ? "," : "", m[i].name);
        cat_value(t, a, &m[i]);
    }
    cat(t, ";");
}

/* What of the expectation the data can check, and the figures it names. */
static void verdict_expect(verdict_t *v, const summary_model_t *m, int n, const char *expect,
                           double max_error_rate)
{
    char *t = v->expect_check;
    int verified = 0, within = 0, crashed = 0;
    v->expect_held = 1;
    t[0] = '\0';
    if (!expect || !expect[0] || n == 0)
        return;
    for (int i = 0; i < n; i++) {
        verified += m[i].runs > 0 && m[i].verified;
        within += m[i].runs > 0 && m[i].fig[SUMMARY_ERROR_RATE].max <= max_error_rate;
        crashed += m[i].crash == SUMMARY_CRASH_APPLIED && m[i].killed > 0;
    }
    cat(t,
        "checked: rows verified in %d of %d models; failures within max_error_rate (%g%%) in %d of "
        "%d",
        verified, n, 100 * max_error_rate, within, n);
    if (verified < n || within < n)
        v->expect_held = 0;
    if (names(expect, "re-deliver") || names(expect, "re-queue")) {
        int applicable = 0;
        for (int i = 0; i < n; i++)
            applicable += m[i].crash == SUMMARY_CRASH_APPLIED;
        cat(t, "; a worker was killed in %d of the %d models the crash applies to", crashed,
            applicable);
        if (crashed < applicable || applicable == 0)
            v->expect_held = 0;
    }
    cat(t, ". The figures it names:");
    if (names(expect, "floor"))
        cat_all(t, m, n, VERDICT_WALL);
    if (names(expect, "memory"))
        cat_all(t, m, n, VERDICT_MEM);
    if (names(expect, "CPU"))
        cat_all(t, m, n, VERDICT_CPU);
    if (names(expect, "latency"))
        cat_all(t, m, n, VERDICT_API_P99);
    if (names(expect, "connection"))
        cat_all(t, m, n, VERDICT_DB_CONNS);
    if (names(expect, "error") || names(expect, "fail") || names(expect, "429"))
        cat_all(t, m, n, VERDICT_ERRORS);
    if (names(expect, "retr"))
        cat_all(t, m, n, VERDICT_RETRIED);
    {
        size_t len = strlen(t);
        if (len && t[len - 1] == ';')
            t[len - 1] = '.';
        else if (len && t[len - 1] == ':') /* it names none of them */
            t[len - strlen(" The figures it names:")] = '\0';
    }
}

int verdict_build(verdict_t *v, const summary_model_t *m, int n, const char *expect,
                  double max_error_rate)
{
    int *elig, *cmp;
    const summary_spread_t **col;
    memset(v, 0, sizeof *v);
    v->n = n;
    elig = calloc((size_t)n + 1, sizeof *elig);
    cmp = calloc((size_t)n + 1, sizeof *cmp);
    col = calloc((size_t)n + 1, sizeof *col);
    v->pick = calloc((size_t)n + 1, sizeof *v->pick);
    for (int a = 0; a < VERDICT__FIGURES; a++)
        v->rank[a] = calloc((size_t)n + 1, sizeof *v->rank[a]);
    for (int a = 0; a < VERDICT__FIGURES; a++)
        if (!v->rank[a])
            goto err;
    if (!elig || !cmp || !col || !v->pick)
        goto err;
    for (int i = 0; i < n; i++) {
        elig[i] = verdict_eligible(&m[i]) && verdict_faced(&m[i]);
        if (elig[i])
            continue;
        cat(v->excluded, "%s", v->excluded[0] ? "; " : "not compared: ");
        if (verdict_eligible(&m[i]))
            cat(v->excluded,
                "%s was not crashed (not applicable): its figures are of a run "
                "without the fault",
                m[i].name);
        else
            cat_why_not(v->excluded, &m[i], max_error_rate);
    }
    if (v->excluded[0])
        cat(v->excluded, ".");
    for (int i = 0; i < n; i++)
        if (m[i].invalid_runs)
            cat(v->caution, "%s%s (%d of %d runs)",
                v->caution[0] ? ", "
                              : "caution: runs that were not valid measurements (a busy machine or "
                                "a late mock API): ",
                m[i].name, m[i].invalid_runs, m[i].runs);
    if (v->caution[0])
        cat(v->caution, "; the verdict is only as good as they are.");
    for (int a = 0; a < VERDICT__FIGURES; a++)
        verdict_figure(v, m, n, (verdict_aspect_t)a, elig, col, cmp);
    verdict_crash(v, m, n);
    for (int i = 0; i < n; i++)
        verdict_pick(v, m, i, max_error_rate);
    verdict_expect(v, m, n, expect, max_error_rate);
    free(elig);
    free(cmp);
    free(col);
    return 0;
err:
    free(elig);
    free(cmp);
    free(col);
    verdict_free(v);
    return -1;
}

void verdict_free(verdict_t *v)
{
    for (int a = 0; a < VERDICT__FIGURES; a++) {
        free(v->rank[a]);
        v->rank[a] = NULL;
    }
    free(v->pick);
    v->pick = NULL;
    v->n = 0;
}

int verdict_from_results(json_t *doc, verdict_t *v, summary_model_t **rows, int *n)
{
    json_t *summary = json_object_get(doc, "summary"), *row;
    json_t *rate = json_object_get(json_object_get(doc, "config"), "max_error_rate");
    const char *expect =
        json_string_value(json_object_get(json_object_get(doc, "scenario_header"), "expect"));
    size_t k;
    memset(v, 0, sizeof *v);
    *n = 0;
    *rows = calloc(json_array_size(summary) + 1, sizeof **rows);
    if (!*rows || json_array_size(summary) == 0)
        goto err;
    json_array_foreach(summary, k, row)
    {
        if (summary_model_from_json(row, &(*rows)[*n]) == 0)
            (*n)++;
    }
    if (*n && verdict_build(v, *rows, *n, expect,
                            json_is_number(rate) ? json_number_value(rate) : 0) == 0)
        return 0;
err:
    free(*rows);
    *rows = NULL;
    *n = 0;
    return -1;
}

void verdict_write_text(FILE *f, json_t *doc, const verdict_t *v, const summary_model_t *m,
                        int markdown)
{
    json_t *hdr = json_object_get(doc, "scenario_header");
    const char *q = json_string_value(json_object_get(hdr, "question"));
    const char *e = json_string_value(json_object_get(hdr, "expect"));
    const char *item = markdown ? "- " : "  ", *b = markdown ? "**" : "";
    const char *scenario =
        json_string_value(json_object_get(json_object_get(doc, "config"), "scenario"));

    fprintf(f, markdown ? "## Verdict\n\n" : "\nVerdict");
    if (!markdown)
        fprintf(f, " (scenario %s)\n", scenario && scenario[0] ? scenario : "custom");
    if (q)
        fprintf(f, "%s%sAsks:%s %s\n", markdown ? "" : "  ", b, b, q);
    if (e) {
        fprintf(f, "%s%sExpect:%s %s\n", markdown ? "\n" : "  ", b, b, e);
        fprintf(f, "%s%sAgainst this run: %s.%s %s\n", markdown ? "\n" : "  ", b,
                v->expect_held ? "held" : "NOT HELD", b, v->expect_check);
    }
    fprintf(f, "%s%sModels:%s\n", markdown ? "\n" : "", b, b);
    for (int i = 0; i < v->n; i++)
        fprintf(f, "%s%s: %s\n", item, m[i].name,
                m[i].description ? m[i].description : "(no description in results.json)");
    fprintf(f, "%s%sBeyond the noise%s (the table's rule: docs/results.md, \"Noise\"):\n",
            markdown ? "\n" : "", b, b);
    for (int a = 0; a < VERDICT__N; a++)
        if (v->has_aspect[a])
            fprintf(f, "%s%s\n", item, v->aspect[a]);
    if (v->excluded[0])
        fprintf(f, "%s%s\n", item, v->excluded);
    if (v->caution[0])
        fprintf(f, "%s%s\n", item, v->caution);
    fprintf(f, "%s%sPick:%s\n", markdown ? "\n" : "", b, b);
    for (int i = 0; i < v->n; i++)
        fprintf(f, "%s%s\n", item, v->pick[i]);
    if (markdown)
        fputc('\n', f);
}
