/* Harness units: quantiles, the knob table and scenario parsing, the
 * outcome table's counting rules. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/limits.h"
#include "common/redact.h"
#include "common/stats.h"
#include "engine/redis_sync.h"
#include "harness/config/config.h"
#include "harness/run/intervals.h"
#include "harness/run/monitor.h"
#include "harness/run/runner.h"
#include "workload/outcome.h"

static void test_quantiles_exact(void **state)
{
    (void)state;
    double v[1000];
    for (int i = 0; i < 1000; i++)
        v[i] = 1000 - i; /* 1000..1, unsorted */
    stats_sort(v, 1000);
    assert_true(stats_quantile_sorted(v, 1000, 0.50) == 500);
    assert_true(stats_quantile_sorted(v, 1000, 0.90) == 900);
    assert_true(stats_quantile_sorted(v, 1000, 0.99) == 990);
    assert_true(stats_quantile_sorted(v, 1000, 0.999) == 999);
    assert_true(stats_quantile_sorted(v, 1000, 1.0) == 1000);
    assert_true(stats_quantile_sorted(v, 0, 0.5) == 0);
    double m[4] = {4, 1, 3, 2};
    assert_true(stats_median(m, 4) == 2.5);
    assert_true(stats_median(m, 3) == 2); /* first three after sort: 1 2 3 */
}

static void test_config_set_and_errors(void **state)
{
    (void)state;
    config_t c;
    char err[256];
    assert_int_equal(config_init(&c), 0);
    assert_int_equal(c.job.requests, 1000);
    assert_int_equal(config_set(&c, "requests", "2000", err, sizeof err), 0);
    assert_int_equal(c.job.requests, 2000);
    assert_int_equal(config_set(&c, "requests", "0", err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(config_set(&c, "requests", "12x", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "requests", "-5", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "concurrency", "2.5", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "nosuch", "1", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown knob"));
    assert_int_equal(config_set(&c, "crash_after", "0.3", err, sizeof err), 0);
    assert_true(c.crash_after == 0.3);
    assert_int_equal(config_set(&c, "crash_after", "1.5", err, sizeof err), -1);
    config_free(&c);
}

static void test_scenario_file(void **state)
{
    (void)state;
    config_t c;
    char err[256], path[] = "/tmp/concbench-scenario-XXXXXX.conf";
    int fd = mkstemps(path, 5);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("# a comment\n\nrequests = 300\n  concurrency=7  \nbogus = 1\n", f);
    fclose(f);
    assert_int_equal(config_init(&c), 0);
    assert_int_equal(config_load_file(&c, path, err, sizeof err), -1);
    assert_int_equal(c.job.requests, 300);
    assert_int_equal(c.job.concurrency, 7);
    assert_non_null(strstr(err, ":5: unknown knob 'bogus'"));
    assert_int_equal(config_load_file(&c, "/nonexistent/x.conf", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot read scenario"));
    unlink(path);
    config_free(&c);
}

static void test_outcome_counts_once(void **state)
{
    (void)state;
    outcome_table_t *t = outcome_table_create(3);
    assert_non_null(t);
    outcome_attempt_start(t, 1);
    outcome_attempt_start(t, 2);
    outcome_attempt_start(t, 3);
    /* In flight means on the wire: an attempt handed to curl is not. */
    assert_int_equal(atomic_load(&t->peak_inflight), 0);
    outcome_attempt_wire(t, 1);
    outcome_attempt_wire(t, 2);
    outcome_attempt_wire(t, 2); /* the same attempt's hook again: not a second request */
    assert_int_equal(atomic_load(&t->peak_inflight), 2);
    outcome_attempt_end(t, 3, 0); /* never reached the wire (a connect failure) */
    assert_int_equal(atomic_load(&t->inflight), 2);
    outcome_attempt_end(t, 1, 200);
    outcome_attempt_end(t, 2, 503);
    outcome_fetched(t, 1);
    outcome_done(t, 1);
    outcome_done(t, 1); /* a re-delivery commits again: still one */
    outcome_fail(t, 2, ERR_HTTP_5XX);
    outcome_fail(t, 1, ERR_DB); /* a committed row stays committed */
    assert_int_equal(atomic_load(&t->done), 1);
    assert_int_equal(atomic_load(&t->failed), 1);
    outcome_done(t, 2); /* a later delivery succeeded */
    assert_int_equal(atomic_load(&t->done), 2);
    assert_int_equal(atomic_load(&t->failed), 0);
    assert_int_equal(atomic_load(&t->inflight), 0);
    assert_int_equal(outcome_worker_register(t, 1234), 0);
    assert_int_equal(outcome_worker_register(t, 1235), 1);
    outcome_worker_unregister(t, 1234);
    assert_int_equal(atomic_load(&t->worker_pids[0]), 0);
    assert_int_equal(outcome_worker_register(t, 1236), 0);
    outcome_table_destroy(t);
}

/* The table is resident once created: its creator (the harness) touched
 * every page, so a memory cgroup charged them there and not to the model
 * that writes them later (docs/results.md, "Peak memory"). */
static void test_outcome_table_resident(void **state)
{
    const uint32_t n = 100000;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = sizeof(outcome_table_t) + (size_t)n * sizeof(outcome_slot_t);
    size_t pages = (bytes + page - 1) / page, resident = 0;
    unsigned char *vec = malloc(pages);
    outcome_table_t *t = outcome_table_create(n);
    (void)state;
    assert_non_null(vec);
    assert_non_null(t);
    assert_int_equal(mincore(t, bytes, vec), 0);
    for (size_t i = 0; i < pages; i++)
        resident += vec[i] & 1;
    assert_int_equal(resident, pages);
    assert_int_equal(t->slots[n - 1].queued_ns, 0); /* and still zeroed */
    outcome_table_destroy(t);
    free(vec);
}

/* Passwords never reach results or logs: hand-written cases for each form
 * a --pg or --redis value takes. */
/* The memory timeline stays bounded over a run 10x longer than its
 * windows cover, merges by keeping the larger, and keeps a spike. Known
 * answers: samples every 50 ns of value t over T = 1,024,000 ns, 100 ns
 * windows: 10 x too many, so the window doubles 4 times (1,600 ns, the
 * first power of two above 10), 640 windows used, and window k holds its
 * last sample, (k + 1) x 1600 - 50. */
static void test_mem_timeline_bounded(void **state)
{
    static monitor_mem_timeline_t tl;
    const int64_t T = 10LL * MONITOR_MEM_WINDOWS * 100;
    (void)state;
    monitor_mem_timeline_init(&tl, 100);
    for (int64_t t = 0; t < T; t += 50)
        monitor_mem_timeline_add(&tl, t, t == 12350 ? 1000000000000ULL : (uint64_t)t);
    monitor_mem_timeline_add(&tl, -5, 7); /* before the start: ignored */
    assert_int_equal(tl.window_ns, 1600);
    assert_int_equal(tl.len, 640);
    assert_true(tl.bytes[12350 / 1600] == 1000000000000ULL);
    assert_true(tl.bytes[100] == 101 * 1600 - 50);
    assert_true(tl.bytes[639] == (uint64_t)(T - 50));
    for (int k = 640; k < MONITOR_MEM_WINDOWS; k++)
        assert_true(tl.bytes[k] == 0);
}

/* The stages timeline stays bounded over a run 10x longer than its
 * samples cover, and merges field by field keeping the larger. Known
 * answers: 10,240 ticks (20 ns apart; tick k: fetch k, write 10,240 - k,
 * transform queue 0 but a spike at tick 5,000) need 16 ticks a sample (the
 * first power of two >= 10), so 640 samples; sample j starts at tick 16j,
 * holds fetch 16j + 15 (its last) and write 10,240 - 16j (its first). */
static void test_stages_timeline_bounded(void **state)
{
    run_result_t r;
    const int N = 10 * LIMIT_RUN_STAGES_SAMPLES;
    (void)state;
    memset(&r, 0, sizeof r);
    for (int k = 0; k < N; k++) {
        stage_sample_t s;
        memset(&s, 0, sizeof s);
        s.t_ns = 20LL * k;
        s.busy[STAGE_FETCH] = k;
        s.busy[STAGE_WRITE] = N - k;
        s.queued[QUEUE_TRANSFORM] = k == 5000 ? 1000000 : 0;
        runner_stages_add(&r, &s);
        assert_true(r.nstages <= LIMIT_RUN_STAGES_SAMPLES);
    }
    assert_int_equal(r.stages_per, 16);
    assert_int_equal(r.nstages, 640);
    for (int j = 0; j < r.nstages; j++) {
        assert_int_equal(r.stages[j].t_ns, 20LL * 16 * j);
        assert_int_equal(r.stages[j].busy[STAGE_FETCH], 16 * j + 15);
        assert_int_equal(r.stages[j].busy[STAGE_WRITE], N - 16 * j);
        assert_int_equal(r.stages[j].queued[QUEUE_TRANSFORM], j == 5000 / 16 ? 1000000 : 0);
    }
    free(r.stages);
}

static void test_redact_secrets(void **state)
{
    static const char *const cases[][2] = {
        {"redis://:s3cret@127.0.0.1:6379", "redis://:***@127.0.0.1:6379"},
        {"redis://127.0.0.1:6379", "redis://127.0.0.1:6379"},
        {"postgresql://bob:pw@db.example/x?sslmode=require",
         "postgresql://bob:***@db.example/x?sslmode=require"},
        {"postgresql://bob@host/db", "postgresql://bob@host/db"},
        {"host=/tmp port=5432 user=bob password=hunter2 dbname=x",
         "host=/tmp port=5432 user=bob password=*** dbname=x"},
        {"password = 'a b\\' c' host=x", "password=*** host=x"},
        {"host=x dbname=password", "host=x dbname=password"},
        {"unix://:pw@/tmp/d/redis.sock?db=2", "unix://:***@/tmp/d/redis.sock?db=2"},
        {"", ""},
    };
    char out[256];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        redact_secrets(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    /* A short buffer is cut, never overrun, and still ends in a NUL. */
    redact_secrets("host=x password=verylongsecret user=y", out, 12);
    assert_int_equal(strlen(out), 11);
    assert_null(strstr(out, "verylong"));
}

/* Redis addresses: the unix-socket form the private redis-server is
 * given, and messages about a bad URL that never repeat its password. */
static void test_redis_addr(void **state)
{
    static const char *const bad[] = {"unix://relative/path",        "unix:///tmp/s?db=x",
                                      "unix://:hunter2@relative",    "redis://:hunter2@host:99999",
                                      "redis://u:hunter2@[::1",      "redis://:hunter2@/x",
                                      "redis://:hunter2@host:1/nodb"};
    redis_addr_t a;
    char err[512];
    (void)state;
    assert_int_equal(redis_addr_parse("unix:///tmp/d/redis.sock", &a, err, sizeof err), 0);
    assert_string_equal(a.path, "/tmp/d/redis.sock");
    assert_int_equal(a.db, 0);
    assert_string_equal(a.password, "");
    assert_int_equal(redis_addr_parse("unix://bob:pw@/run/r.sock?db=3", &a, err, sizeof err), 0);
    assert_string_equal(a.path, "/run/r.sock");
    assert_string_equal(a.user, "bob");
    assert_string_equal(a.password, "pw");
    assert_int_equal(a.db, 3);
    /* The environment's password, for either form, when the URL has none. */
    setenv(REDIS_PASSWORD_ENV, "fromenv", 1);
    assert_int_equal(redis_addr_parse("unix:///run/r.sock", &a, err, sizeof err), 0);
    assert_string_equal(a.password, "fromenv");
    assert_int_equal(redis_addr_parse("unix://:inurl@/run/r.sock", &a, err, sizeof err), 0);
    assert_string_equal(a.password, "inurl");
    unsetenv(REDIS_PASSWORD_ENV);
    assert_int_equal(redis_addr_parse("redis://h:7000/1", &a, err, sizeof err), 0);
    assert_string_equal(a.path, "");
    assert_string_equal(a.host, "h");
    assert_int_equal(a.port, 7000);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(redis_addr_parse(bad[i], &a, err, sizeof err), -1);
        assert_null(strstr(err, "hunter2"));
    }
}

/* The three intervals from a table timed by hand (ns since an origin of
 * 1 s): known answers, and a request whose times cannot add up caught. */
static void test_intervals_known_answers(void **state)
{
    const int64_t T0 = 1000000000, MS = 1000000;
    outcome_table_t *t = outcome_table_create(4);
    intervals_t iv;
    (void)state;
    assert_non_null(t);
    /* id 1: taken at 0, on the wire at 10 ms, answered at 60 ms, row at 80 ms. */
    outcome_queued_at(t, 1, T0);
    outcome_attempt_start_at(t, 1, T0);
    outcome_attempt_wire_at(t, 1, T0 + 10 * MS);
    outcome_attempt_end_at(t, 1, 200, T0 + 60 * MS);
    outcome_fetched_at(t, 1, T0 + 61 * MS);
    outcome_done_at(t, 1, T0 + 80 * MS);
    /* id 2: a failed first attempt (wire 5 -> 25 ms), backoff, a second
     * (wire 100 -> 130 ms): wait runs to the first wire, api is the
     * second attempt's, e2e to the row at 150 ms. */
    outcome_queued_at(t, 2, T0 + 1 * MS);
    outcome_attempt_start_at(t, 2, T0 + 1 * MS);
    outcome_attempt_wire_at(t, 2, T0 + 5 * MS);
    outcome_attempt_end_at(t, 2, 503, T0 + 25 * MS);
    outcome_attempt_start_at(t, 2, T0 + 100 * MS);
    outcome_attempt_wire_at(t, 2, T0 + 100 * MS);
    outcome_attempt_end_at(t, 2, 200, T0 + 130 * MS);
    outcome_fetched_at(t, 2, T0 + 131 * MS);
    outcome_done_at(t, 2, T0 + 150 * MS);
    /* id 3 failed for good: in no figure. */
    outcome_queued_at(t, 3, T0);
    outcome_attempt_start_at(t, 3, T0);
    outcome_fail_at(t, 3, ERR_CONNECT, T0 + 3 * MS);
    /* id 4 timed wrongly: its row committed at 40 ms, before its answer
     * came (wait 1 + api 44 > e2e 40). In the figures, and counted. */
    outcome_queued_at(t, 4, T0 + 50 * MS);
    outcome_attempt_start_at(t, 4, T0 + 50 * MS);
    outcome_attempt_wire_at(t, 4, T0 + 51 * MS);
    outcome_attempt_end_at(t, 4, 200, T0 + 95 * MS);
    outcome_done_at(t, 4, T0 + 40 * MS);
    assert_int_equal(intervals_collect(t, T0, &iv), 0);
    assert_int_equal(iv.n, 3);
    assert_int_equal(iv.inconsistent, 1);
    /* sorted waits 1, 4, 10 ms; apis 30, 44, 50; e2e 40, 80, 150 */
    assert_true(fabs(iv.wait_ms[IV_P50] - 4) < 1e-9 && fabs(iv.wait_ms[IV_MAX] - 10) < 1e-9);
    assert_true(fabs(iv.api_ms[IV_P50] - 44) < 1e-9 && fabs(iv.api_ms[IV_MAX] - 50) < 1e-9);
    assert_true(fabs(iv.e2e_ms[IV_P50] - 80) < 1e-9 && fabs(iv.e2e_ms[IV_MAX] - 150) < 1e-9);
    assert_true(fabs(iv.api_sorted[0] - 30) < 1e-9);
    /* held: id 3 [0, 3], id 1 [0, 80], id 2 [1, 150], id 4 [50, 40]
     * (settled before taken): three at once from 1 to 3 ms. */
    assert_int_equal(iv.held_peak, 3);
    intervals_free(&iv);
    outcome_table_destroy(t);
}

/* ids_held_peak from ids timed by hand (ms): 1 [0, 10], 2 [1, 11], 3 [20,
 * 40], 4 [21, 40], 5 [22, 40] (failed), 6 [40, 50], 7 never taken, 8 [45,
 * never settled]. Three held at once from 22 to 40 ms; at 40 ms ids 3-5
 * settle as 6 is taken, so 6 is not counted with them (else 4). */
static void test_held_peak_known_answer(void **state)
{
    const int64_t T0 = 1000000000, MS = 1000000;
    static const int64_t take[8] = {0, 1, 20, 21, 22, 40, -1, 45};
    static const int64_t settle[8] = {10, 11, 40, 40, 40, 50, -1, -1};
    outcome_table_t *t = outcome_table_create(8);
    intervals_t iv;
    (void)state;
    assert_non_null(t);
    for (uint64_t id = 1; id <= 8; id++) {
        if (take[id - 1] >= 0)
            outcome_queued_at(t, id, T0 + take[id - 1] * MS);
        if (settle[id - 1] < 0)
            continue;
        if (id == 5)
            outcome_fail_at(t, id, ERR_TIMEOUT, T0 + settle[id - 1] * MS);
        else
            outcome_done_at(t, id, T0 + settle[id - 1] * MS);
    }
    assert_int_equal(intervals_collect(t, T0, &iv), 0);
    assert_int_equal(iv.held_peak, 3);
    intervals_free(&iv);
    outcome_table_destroy(t);
}

/* The watchdog's automatic limit, against one request's worst case worked
 * out by hand: every attempt times out, and the backoffs double from
 * backoff_ms up to the 5 s cap. */
static void test_stall_timeout_auto(void **state)
{
    (void)state;
    config_t c;
    char err[256];
    assert_int_equal(config_init(&c), 0);
    assert_int_equal(config_set(&c, "timeout_ms", "10s", err, sizeof err), 0);
    assert_int_equal(config_set(&c, "backoff_ms", "100", err, sizeof err), 0);
    assert_int_equal(config_set(&c, "retries", "3", err, sizeof err), 0);
    /* 4 x 10000 + 100 + 200 + 400 */
    assert_int_equal(config_request_worst_ms(&c), 40700);
    assert_int_equal(config_stall_timeout_s(&c), 60); /* the default minute is longer */
    assert_int_equal(config_set(&c, "retries", "6", err, sizeof err), 0);
    /* 7 x 10000 + 100 + 200 + 400 + 800 + 1600 + 3200 = 76300 ms -> 77 s */
    assert_int_equal(config_request_worst_ms(&c), 76300);
    assert_int_equal(config_stall_timeout_s(&c), 77);
    assert_int_equal(config_set(&c, "backoff_ms", "3s", err, sizeof err), 0);
    /* 7 x 10000 + 3000 + 5000 x 5 (6000 and beyond capped) */
    assert_int_equal(config_request_worst_ms(&c), 98000);
    /* Set by hand, it is taken as it is (run refuses it when too short). */
    assert_int_equal(config_set(&c, "stall_timeout", "5", err, sizeof err), 0);
    assert_int_equal(config_stall_timeout_s(&c), 5);
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles_exact),
        cmocka_unit_test(test_config_set_and_errors),
        cmocka_unit_test(test_scenario_file),
        cmocka_unit_test(test_redact_secrets),
        cmocka_unit_test(test_mem_timeline_bounded),
        cmocka_unit_test(test_stages_timeline_bounded),
        cmocka_unit_test(test_redis_addr),
        cmocka_unit_test(test_outcome_counts_once),
        cmocka_unit_test(test_outcome_table_resident),
        cmocka_unit_test(test_intervals_known_answers),
        cmocka_unit_test(test_held_peak_known_answer),
        cmocka_unit_test(test_stall_timeout_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
