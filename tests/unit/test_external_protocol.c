/* The external-model report validator (models/external/protocol.c): each
 * rule of docs/external-models.md has a line that breaks it and must be
 * refused with a reason naming the rule, and a valid report must land in
 * the outcome table exactly as the built-in models record it (states,
 * attempts, statuses, times, error classes, workers, connections). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "models/external/protocol.h"

#define START 1000
#define NOW 1000000

struct fx {
    outcome_table_t *t;
    extproto_t p;
    char err[512];
};

static int fx_setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    f.t = outcome_table_create(4);
    assert_non_null(f.t);
    assert_int_equal(extproto_init(&f.p, f.t, 2, START), 0);
    *state = &f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    extproto_free(&f->p);
    outcome_table_destroy(f->t);
    return 0;
}

static int feed(struct fx *f, const char *line)
{
    f->err[0] = '\0';
    return extproto_line(&f->p, line, strlen(line), NOW, f->err, sizeof f->err);
}

/* Feeds lines that must all be accepted. */
static void feed_ok(struct fx *f, const char *const *lines)
{
    for (; *lines; lines++)
        if (feed(f, *lines) != 0)
            fail_msg("'%s' refused: %s", *lines, f->err);
}

/* The version line, then lines (all accepted), then bad, which must be
 * refused with a reason containing want. */
static void refused(void **state, const char *const *lines, const char *bad, const char *want)
{
    struct fx *f = *state;
    if (feed(f, "concbench-external 1"))
        fail_msg("version refused: %s", f->err);
    feed_ok(f, lines);
    if (feed(f, bad) == 0)
        fail_msg("'%s' accepted", bad);
    if (!strstr(f->err, want))
        fail_msg("'%s' refused as '%s', expected a reason with '%s'", bad, f->err, want);
}

static const char *const none[] = {NULL};

static void test_version_line(void **state)
{
    struct fx *f = *state;
    assert_int_equal(feed(f, "take 2000 1"), -1);
    assert_non_null(strstr(f->err, "first line must be 'concbench-external 1'"));
    assert_int_equal(feed(f, "concbench-external 2"), -1);
    assert_non_null(strstr(f->err, "speaks protocol version '2'"));
    assert_int_equal(feed(f, "concbench-external 01"), -1);
    assert_int_equal(feed(f, "concbench-external 1 "), -1);
    assert_int_equal(feed(f, "concbench-external 1"), 0);
}

static void test_malformed_lines(void **state)
{
    static const char *const bad[][2] = {
        {"take", "not EVENT TIMESTAMP"},
        {"take  2000 1", "not EVENT TIMESTAMP"},
        {"take 2000 1 ", "not EVENT TIMESTAMP"},
        {"take 2000x 1", "is not a decimal number"},
        {"take -2000 1", "is not a decimal number"},
        {"take 02000 1", "is not a decimal number"},
        {"take 2000 1\r", "printable ASCII"},
        {"take 2000 0", "needs an id in 1..4"},
        {"take 2000 5", "needs an id in 1..4"},
        {"take 2000 abc", "needs an id in 1..4"},
        {"take 2000 1 7", "takes 0 field(s) after the id"},
        {"launch 2000 1", "unknown event 'launch'"},
        {"dbconn 2000 1", "'dbconn' takes a timestamp only"},
        {"worker 2000", "'worker' takes a timestamp and a process id"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        fx_teardown(state);
        fx_setup(state);
        refused(state, none, bad[k][0], bad[k][1]);
    }
    char longline[EXTPROTO_LINE_MAX + 2];
    memset(longline, '1', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    fx_teardown(state);
    fx_setup(state);
    refused(state, none, longline, "a line of 129 bytes");
}

static void test_timestamps(void **state)
{
    static const char *const took[] = {"take 5000 1", NULL};
    refused(state, none, "take 999 1", "outside the run");
    fx_teardown(state);
    fx_setup(state);
    refused(state, none, "take 1000001 1", "outside the run");
    fx_teardown(state);
    fx_setup(state);
    refused(state, took, "send 4999 1", "before its previous event's");
    /* Another id may be earlier: only one id's events are ordered. */
    fx_teardown(state);
    fx_setup(state);
    static const char *const two[] = {"take 5000 1", "take 4000 2", "send 4500 2", NULL};
    refused(state, two, "send 4000 2", "before its previous event's");
}

static void test_state_machine(void **state)
{
    static const char *const took[] = {"take 2000 1", NULL};
    static const char *const sent[] = {"take 2000 1", "send 2001 1", NULL};
    static const char *const got503[] = {"take 2000 1", "send 2001 1", "recv 2002 1 503", NULL};
    static const char *const got404[] = {"take 2000 1", "send 2001 1", "recv 2002 1 404", NULL};
    static const char *const got200[] = {"take 2000 1", "send 2001 1", "recv 2002 1 200", NULL};
    static const char *const retried[] = {
        "take 2000 1",   "send 2001 1", "recv 2002 1 503", "send 2003 1",
        "recv 2004 1 0", "send 2005 1", "recv 2006 1 503", NULL};
    static const struct {
        const char *const *before;
        const char *bad, *want;
    } cases[] = {
        {none, "send 2000 1", "not taken"},
        {sent, "send 2002 1", "has an attempt open"},
        {took, "recv 2001 1 200", "no attempt open"},
        {sent, "recv 2002 1 99", "not an HTTP status"},
        {sent, "recv 2002 1 600", "not an HTTP status"},
        {got503, "fetched 2003 1", "did not answer 2xx"},
        {got200, "done 2003 1", "which was not fetched"},
        {got404, "send 2003 1", "a 4xx other than 429 is final"},
        {retried, "send 2007 1", "retries = 2 allows 3"},
        {got503, "fail 2003 1 http_5xx", "a transient failure is retried"},
        {got503, "fail 2003 1 timeout", "does not follow"},
        {got200, "fail 2003 1 db", "does not follow"},
        {got404, "fail 2003 1 http_429", "does not follow"},
        {sent, "fail 2003 1 reset", "does not follow"},
        {got404, "fail 2003 1 oops", "is none of"},
        {took, "recv 2001 2 200", "no attempt open"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        fx_teardown(state);
        fx_setup(state);
        refused(state, cases[k].before, cases[k].bad, cases[k].want);
    }
}

static void test_valid_report(void **state)
{
    struct fx *f = *state;
    static const char *const lines[] = {"concbench-external 1",
                                        "dbconn 1500",
                                        "take 2000 1",
                                        "take 2000 2",
                                        "take 2000 3",
                                        "take 2000 4",
                                        "send 2100 1",
                                        "send 2100 2",
                                        "recv 2300 1 200",
                                        "fetched 2400 1",
                                        "recv 2500 2 503",
                                        "send 2600 2",
                                        "recv 2700 2 0",
                                        "send 2800 2",
                                        "recv 2900 2 503",
                                        "fail 2950 2 http_5xx",
                                        "send 3000 3",
                                        "recv 3100 3 404",
                                        "fail 3150 3 http_4xx",
                                        "done 3200 1",
                                        "send 3300 4",
                                        "recv 3400 4 200",
                                        "fetched 3500 4",
                                        "fail 3600 4 db",
                                        NULL};
    feed_ok(f, lines);
    assert_int_equal(extproto_finish(&f->p, f->err, sizeof f->err), 0);
    outcome_slot_t *s1 = outcome_slot(f->t, 1), *s2 = outcome_slot(f->t, 2),
                   *s3 = outcome_slot(f->t, 3), *s4 = outcome_slot(f->t, 4);
    assert_int_equal(atomic_load(&s1->state), SLOT_DONE);
    assert_int_equal(s1->queued_ns, 2000);
    assert_int_equal(s1->wire_ns, 2100); /* send: on the wire */
    assert_int_equal(s1->fetched_ns, 2400);
    assert_int_equal(s1->end_ns, 3200);
    assert_int_equal(s1->attempts, 1);
    assert_int_equal(atomic_load(&s2->state), SLOT_FAILED);
    assert_int_equal(s2->err, ERR_HTTP_5XX);
    assert_int_equal(s2->attempts, 3);
    assert_int_equal(s2->end_ns, 2950);
    assert_int_equal(s3->err, ERR_HTTP_4XX);
    assert_int_equal(s3->status, 404);
    assert_int_equal(s4->err, ERR_DB);
    assert_int_equal(atomic_load(&f->t->done), 1);
    assert_int_equal(atomic_load(&f->t->failed), 3);
    assert_int_equal(atomic_load(&f->t->db_conns), 1);
    assert_int_equal(atomic_load(&f->t->inflight), 0);
    assert_int_equal(atomic_load(&f->t->peak_inflight), 2);
}

static void test_redelivery(void **state)
{
    struct fx *f = *state;
    /* A worker died with id 1's attempt open; the id is taken again and
     * committed. The abandoned attempt is closed, the attempt budget
     * starts again, and the re-delivery is counted. */
    static const char *const lines[] = {
        "concbench-external 1", "take 2000 1",          "send 2001 1",
        "recv 2002 1 503",      "send 2003 1",          "take 3000 1",
        "send 3001 1",          "recv 3002 1 503",      "send 3003 1",
        "recv 3004 1 503",      "send 3005 1",          "recv 3006 1 200",
        "fetched 3007 1",       "done 3008 1",          "take 2000 2",
        "send 2001 2",          "recv 2002 2 0",        "send 2003 2",
        "recv 2004 2 0",        "send 2005 2",          "recv 2006 2 0",
        "fail 2007 2 timeout",  "take 2000 3",          "send 2001 3",
        "recv 2002 3 200",      "send 2003 3",          "recv 2004 3 200",
        "send 2005 3",          "recv 2006 3 200",      "fail 2007 3 bad_payload",
        "take 2000 4",          "send 2001 4",          "recv 2002 4 429",
        "send 2003 4",          "recv 2004 4 429",      "send 2005 4",
        "recv 2006 4 429",      "fail 2007 4 http_429", NULL};
    feed_ok(f, lines);
    assert_int_equal(extproto_finish(&f->p, f->err, sizeof f->err), 0);
    assert_int_equal(atomic_load(&f->t->redelivered), 1);
    assert_int_equal(atomic_load(&f->t->requeued), 0);
    assert_int_equal(atomic_load(&f->t->inflight), 0);
    assert_int_equal(outcome_slot(f->t, 1)->attempts, 5);
    assert_int_equal(atomic_load(&outcome_slot(f->t, 1)->state), SLOT_DONE);
    assert_int_equal(outcome_slot(f->t, 2)->err, ERR_TIMEOUT);
    assert_int_equal(outcome_slot(f->t, 3)->err, ERR_BAD_PAYLOAD);
    assert_int_equal(outcome_slot(f->t, 4)->err, ERR_HTTP_429);
    /* Taken again before any attempt: queued again, not re-delivered. */
    assert_int_equal(feed(f, "take 9000 1"), 0);
    assert_int_equal(feed(f, "take 9000 1"), 0);
    assert_int_equal(atomic_load(&f->t->requeued), 1);
    assert_int_equal(atomic_load(&f->t->redelivered), 2);
    for (int k = 0; k < EXTPROTO_DELIVERIES_MAX - 4; k++) /* 4 so far */
        assert_int_equal(feed(f, "take 9000 1"), 0);
    assert_int_equal(feed(f, "take 9000 1"), -1);
    assert_non_null(strstr(f->err, "taken more than"));
}

static void test_finish(void **state)
{
    struct fx *f = *state;
    assert_int_equal(extproto_finish(&f->p, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "the report is empty"));
    static const char *const lines[] = {"concbench-external 1", "take 2000 1",    "send 2001 1",
                                        "recv 2002 1 200",      "fetched 2003 1", "done 2004 1",
                                        "take 2000 2",          "send 2001 2",    NULL};
    feed_ok(f, lines);
    assert_int_equal(extproto_finish(&f->p, f->err, sizeof f->err), -1);
    assert_non_null(strstr(f->err, "3 id(s) without a final outcome"));
    assert_non_null(strstr(f->err, "id 2: an attempt open"));
}

static int pid_is_even(pid_t pid, void *arg)
{
    (void)arg;
    return pid % 2 == 0;
}

static void test_workers(void **state)
{
    struct fx *f = *state;
    f->p.pid_ok = pid_is_even;
    assert_int_equal(feed(f, "concbench-external 1"), 0);
    assert_int_equal(feed(f, "worker 2000 4242"), 0);
    assert_int_equal(atomic_load(&f->t->n_workers), 1);
    assert_int_equal(atomic_load(&f->t->worker_pids[0]), 4242);
    assert_int_equal(feed(f, "worker 2000 4243"), -1);
    assert_non_null(strstr(f->err, "not a live process of the model's own process group"));
    assert_int_equal(feed(f, "worker 2000 0"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_version_line, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_timestamps, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_state_machine, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_valid_report, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_redelivery, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_finish, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_workers, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
