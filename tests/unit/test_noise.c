/* The noise rule (harness/report/noise.h) on hand-made figures: the
 * interval a figure is taken to lie in, and the star of a table column.
 * The minimum noise figures are the ones docs/results.md documents (wall
 * +/-22%, CPU +/-13%, memory +/-8%, p50 +/-18%, p99 +/-25%, failures 0);
 * the expected values below are worked out from those by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness/report/noise.h"

/* A spread of n runs with the given median, min and max. */
static summary_spread_t sp(int n, double median, double min, double max)
{
    summary_spread_t s = {median, min, max, 0, n};
    return s;
}

static void assert_near(double a, double b)
{
    if (fabs(a - b) > 1e-9)
        fail_msg("%.12g != %.12g", a, b);
}

static void test_documented_minimum_noise(void **state)
{
    (void)state;
    assert_near(noise_min_rel(NOISE_WALL), 0.22);
    assert_near(noise_min_rel(NOISE_CPU), 0.13);
    assert_near(noise_min_rel(NOISE_MEM), 0.08);
    assert_near(noise_min_rel(NOISE_LAT_MID), 0.18);
    assert_near(noise_min_rel(NOISE_LAT_TAIL), 0.25);
    assert_near(noise_min_rel(NOISE_COUNT), 0);
}

static void test_interval(void **state)
{
    (void)state;
    summary_spread_t s;
    noise_interval_t iv;

    /* three runs measure their own noise: [min, max], however tight */
    s = sp(3, 1.0, 0.99, 1.01);
    iv = noise_interval(&s, NOISE_WALL);
    assert_near(iv.lo, 0.99);
    assert_near(iv.hi, 1.01);
    assert_false(iv.floored);

    /* one run: 2.0 +/- 22% */
    s = sp(1, 2.0, 2.0, 2.0);
    iv = noise_interval(&s, NOISE_WALL);
    assert_near(iv.lo, 1.56);
    assert_near(iv.hi, 2.44);
    assert_true(iv.floored);

    /* two runs spreading wider than the band keep their own range: 100
     * +/- 25% is [75, 125], the runs reached 70 and 130 */
    s = sp(2, 100, 70, 130);
    iv = noise_interval(&s, NOISE_LAT_TAIL);
    assert_near(iv.lo, 70);
    assert_near(iv.hi, 130);
    s = sp(2, 100, 80, 130);
    iv = noise_interval(&s, NOISE_LAT_TAIL);
    assert_near(iv.lo, 75);

    /* failures have no minimum noise */
    s = sp(1, 3, 3, 3);
    iv = noise_interval(&s, NOISE_COUNT);
    assert_near(iv.lo, 3);
    assert_near(iv.hi, 3);

    s = sp(1, NAN, NAN, NAN);
    iv = noise_interval(&s, NOISE_WALL);
    assert_true(isnan(iv.lo) && isnan(iv.hi));
}

/* The star of a column of n models given as spreads. */
static int star(const summary_spread_t *s, const int *eligible, int n, noise_figure_t kind)
{
    const summary_spread_t *p[8];
    for (int i = 0; i < n; i++)
        p[i] = &s[i];
    return noise_star(p, eligible, n, kind);
}

static void test_star_single_runs(void **state)
{
    (void)state;
    const int all[3] = {1, 1, 1};
    /* 1.00 against 1.50: 1.22 < 1.50 x 0.78 = 1.17 is false: no star */
    summary_spread_t a[3] = {sp(1, 1.0, 1.0, 1.0), sp(1, 1.5, 1.5, 1.5), sp(1, 3, 3, 3)};
    assert_int_equal(star(a, all, 3, NOISE_WALL), -1);
    /* 1.00 against 1.60: 1.22 < 1.248: the star */
    a[1] = sp(1, 1.6, 1.6, 1.6);
    assert_int_equal(star(a, all, 3, NOISE_WALL), 0);
    /* the same 1.60x gap in memory (+/-8%) is far beyond the noise, and
     * 1.00 against 1.10 is not: 1.08 >= 1.012 */
    assert_int_equal(star(a, all, 3, NOISE_MEM), 0);
    a[1] = sp(1, 1.1, 1.1, 1.1);
    assert_int_equal(star(a, all, 3, NOISE_MEM), -1);
    /* 1.00 against 1.18 in memory: 1.08 < 1.0856 */
    a[1] = sp(1, 1.18, 1.18, 1.18);
    assert_int_equal(star(a, all, 3, NOISE_MEM), 0);
}

static void test_star_ties_and_failures(void **state)
{
    (void)state;
    const int all[4] = {1, 1, 1, 1};
    /* every model with 0 failures: a tie, no star (not "0.00*" on every row) */
    summary_spread_t e[4] = {sp(1, 0, 0, 0), sp(1, 0, 0, 0), sp(1, 0, 0, 0), sp(1, 0, 0, 0)};
    assert_int_equal(star(e, all, 4, NOISE_COUNT), -1);
    /* one model without failures while the others failed some: its star */
    e[1] = sp(1, 0.01, 0.01, 0.01);
    e[2] = sp(1, 0.02, 0.02, 0.02);
    e[3] = sp(1, 0.02, 0.02, 0.02);
    assert_int_equal(star(e, all, 4, NOISE_COUNT), 0);
    /* two without failures: a tie again */
    e[3] = sp(1, 0, 0, 0);
    assert_int_equal(star(e, all, 4, NOISE_COUNT), -1);
}

static void test_star_repetitions(void **state)
{
    (void)state;
    const int all[2] = {1, 1};
    /* three runs each: [1.00, 1.10] against [1.12, 1.20]: apart */
    summary_spread_t a[2] = {sp(3, 1.05, 1.0, 1.1), sp(3, 1.15, 1.12, 1.2)};
    assert_int_equal(star(a, all, 2, NOISE_WALL), 0);
    /* against [1.09, 1.20]: they overlap */
    a[1] = sp(3, 1.15, 1.09, 1.2);
    assert_int_equal(star(a, all, 2, NOISE_WALL), -1);
    /* the lowest median does not win when another model's runs reached
     * below its own: 1.0 [0.95, 1.05] against 2.0 [0.9, 3.0] */
    a[0] = sp(3, 1.0, 0.95, 1.05);
    a[1] = sp(3, 2.0, 0.9, 3.0);
    assert_int_equal(star(a, all, 2, NOISE_WALL), -1);
    /* two runs are too few: 1.005 [1.0, 1.01] is taken as [0.7839, 1.2261];
     * 1.30 [1.29, 1.31] as [1.014, 1.586]: overlap */
    a[0] = sp(2, 1.005, 1.0, 1.01);
    a[1] = sp(2, 1.3, 1.29, 1.31);
    assert_int_equal(star(a, all, 2, NOISE_WALL), -1);
    /* 1.605 [1.60, 1.61] as [1.2519, 1.9581]: apart */
    a[1] = sp(2, 1.605, 1.6, 1.61);
    assert_int_equal(star(a, all, 2, NOISE_WALL), 0);
}

static void test_star_eligibility(void **state)
{
    (void)state;
    /* a model that may not win (not ok, or nothing succeeded) is ignored:
     * its 0.0 ms p50 is not fast */
    summary_spread_t a[3] = {sp(1, 0, 0, 0), sp(1, 50, 50, 50), sp(1, 500, 500, 500)};
    int el[3] = {0, 1, 1};
    assert_int_equal(star(a, el, 3, NOISE_LAT_MID), 1);
    /* one eligible model: nothing to be best against */
    el[2] = 0;
    assert_int_equal(star(a, el, 3, NOISE_LAT_MID), -1);
    /* an undefined figure among the eligible: the column is not ranked */
    el[2] = 1;
    a[2] = sp(1, NAN, NAN, NAN);
    assert_int_equal(star(a, el, 3, NOISE_LAT_MID), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_minimum_noise),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_star_single_runs),
        cmocka_unit_test(test_star_ties_and_failures),
        cmocka_unit_test(test_star_repetitions),
        cmocka_unit_test(test_star_eligibility),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
