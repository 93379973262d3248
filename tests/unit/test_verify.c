/* Tests for harness/run/verify: the verifier against rows in a private
 * PostgreSQL (started with the project's services API, stopped on every
 * path). The rows the verifier must accept are those of
 * tests/data/known-answers/vectors.tsv for seed 42, ids 1..20 (10 items,
 * transform cost 1), computed outside the C code: a test that fed it rows
 * from transform_expected would only check the verifier against itself.
 * Each test writes one run's rows, breaks them one way, and checks that
 * the verifier says so as verify.h documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "engine/pg_batch.h"
#include "harness/run/verify.h"
#include "harness/services/services.h"
#include "workload/outcome.h"

#define N_IDS 20
#define SEED 42
#define ITEMS 10
#define COST 1

/* One row of vectors.tsv. */
struct vector_row {
    char customer[64], currency[8], digest[80];
    long item_count;
    long long total_cents;
};

static const char *vectors_path;
static struct vector_row want[N_IDS + 1]; /* by id */
static svc_t pg;
static PGconn *conn;
static char err[512];
/* Every harness query is bounded; a private server answers well within this. */
static const pg_bound_t bound = {.idle_ms = 60000};

/* Reads seed 42, ids 1..20 (items 10, cost 1) of vectors.tsv into want[].
 * Returns 0 once all 20 are there. */
static int vectors_load(void)
{
    FILE *f = fopen(vectors_path, "r");
    char line[1024];
    int found = 0;

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long seed, id;
        int items, cost;
        struct vector_row v;
        if (line[0] == '#' ||
            sscanf(line, "%llu\t%llu\t%d\t%d\t%63s\t%7s\t%ld\t%lld\t%79s", &seed, &id, &items,
                   &cost, v.customer, v.currency, &v.item_count, &v.total_cents, v.digest) != 9)
            continue;
        if (seed == SEED && items == ITEMS && cost == COST && id >= 1 && id <= N_IDS) {
            want[id] = v;
            found++;
        }
    }
    fclose(f);
    return found == N_IDS ? 0 : -1;
}

static int group_setup(void **state)
{
    (void)state;
    if (vectors_load()) {
        print_error("cannot read seed %d ids 1..%d from %s\n", SEED, N_IDS, vectors_path);
        return -1;
    }
    if (svc_pg_start(&pg, 20, false, err, sizeof err)) {
        print_error("cannot start PostgreSQL: %s\n", err);
        return -1;
    }
    conn = PQconnectdb(pg.address);
    if (PQstatus(conn) != CONNECTION_OK || pg_batch_schema_ensure(conn, &bound, err, sizeof err)) {
        print_error("PostgreSQL: %s %s\n", PQerrorMessage(conn), err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    PQfinish(conn);
    svc_stop_all();
    return 0;
}

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...)
{
    char q[1024];
    va_list ap;
    PGresult *r;

    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    r = PQexec(conn, q);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        print_error("%s: %s\n", q, PQresultErrorMessage(r));
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
}

/* Writes the correct rows of ids 1..20 for run and returns an outcome
 * table that calls ids 1..done_to done and the rest failed. */
static outcome_table_t *run_write(const char *run, uint32_t done_to)
{
    outcome_table_t *t = outcome_table_create(N_IDS);

    assert_non_null(t);
    for (int id = 1; id <= N_IDS; id++)
        sql("INSERT INTO " PG_BATCH_TABLE " (run_id, id, customer, currency, item_count,"
            " total_cents, digest) VALUES ('%s', %d, '%s', '%s', %ld, %lld, '%s')",
            run, id, want[id].customer, want[id].currency, want[id].item_count,
            want[id].total_cents, want[id].digest);
    for (uint32_t id = 1; id <= N_IDS; id++) {
        if (id <= done_to)
            outcome_done(t, id);
        else
            outcome_fail(t, id, ERR_HTTP_5XX);
    }
    return t;
}

static void verify(const char *run, outcome_table_t *t, verify_result_t *r)
{
    int rc = verify_run(conn, &bound, run, t, SEED, ITEMS, COST, r, err, sizeof err);
    if (rc)
        print_error("verify_run: %s\n", err);
    assert_int_equal(rc, 0);
}

static void test_all_correct(void **state)
{
    outcome_table_t *t = run_write("all", N_IDS);
    verify_result_t r;

    (void)state;
    verify("all", t, &r);
    assert_int_equal(r.rows, 20);
    assert_int_equal(r.wrong, 0);
    assert_int_equal(r.missing, 0);
    assert_int_equal(r.unexpected, 0);
    assert_int_equal(r.duplicates, 0);
    assert_true(r.rows_match);
    assert_string_equal(r.first_problem, "");
    outcome_table_destroy(t);
}

static void test_wrong_total(void **state)
{
    outcome_table_t *t = run_write("total", N_IDS);
    verify_result_t r;

    (void)state;
    sql("UPDATE " PG_BATCH_TABLE " SET total_cents = total_cents + 1 WHERE run_id = 'total'"
        " AND id = 5");
    verify("total", t, &r);
    assert_int_equal(r.rows, 20);
    assert_int_equal(r.wrong, 1);
    assert_false(r.rows_match);
    assert_non_null(strstr(r.first_problem, "id 5 "));
    outcome_table_destroy(t);
}

static void test_wrong_digest(void **state)
{
    outcome_table_t *t = run_write("digest", N_IDS);
    verify_result_t r;

    (void)state;
    /* Another id's digest: well-formed, only wrong for this row. */
    sql("UPDATE " PG_BATCH_TABLE " SET digest = '%s' WHERE run_id = 'digest' AND id = 7",
        want[8].digest);
    verify("digest", t, &r);
    assert_int_equal(r.wrong, 1);
    assert_false(r.rows_match);
    assert_non_null(strstr(r.first_problem, "id 7 "));
    outcome_table_destroy(t);
}

static void test_missing_row(void **state)
{
    outcome_table_t *t = run_write("missing", N_IDS);
    verify_result_t r;

    (void)state;
    sql("DELETE FROM " PG_BATCH_TABLE " WHERE run_id = 'missing' AND id = 9");
    verify("missing", t, &r);
    assert_int_equal(r.rows, 19);
    assert_int_equal(r.missing, 1);
    assert_int_equal(r.wrong, 0);
    assert_false(r.rows_match);
    assert_non_null(strstr(r.first_problem, "id 9 "));
    outcome_table_destroy(t);
}

/* A row for an id the table calls failed: a commit the model did not
 * report. The row itself is right. */
static void test_extra_row(void **state)
{
    outcome_table_t *t = run_write("extra", N_IDS - 1);
    verify_result_t r;

    (void)state;
    verify("extra", t, &r);
    assert_int_equal(r.rows, 20);
    assert_int_equal(r.unexpected, 1);
    assert_int_equal(r.wrong, 0);
    assert_int_equal(r.missing, 0);
    assert_false(r.rows_match);
    assert_non_null(strstr(r.first_problem, "id 20 "));
    outcome_table_destroy(t);
}

/* A row delivered twice (the upsert absorbed the second): counted, and
 * still correct. */
static void test_duplicate_delivery(void **state)
{
    outcome_table_t *t = run_write("dup", N_IDS);
    verify_result_t r;

    (void)state;
    sql("UPDATE " PG_BATCH_TABLE " SET deliveries = 2 WHERE run_id = 'dup' AND id = 3");
    verify("dup", t, &r);
    assert_int_equal(r.rows, 20);
    assert_int_equal(r.duplicates, 1);
    assert_true(r.rows_match);
    outcome_table_destroy(t);
}

/* Read in chunks (keyset pages by id), the counts are those of one read
 * whatever the chunk size: a page boundary neither drops nor re-reads a
 * row. The 21 rows are ids -5 and 0 (outside 1..N, below where a naive
 * "id > 0" first page would start: both must count as unexpected), 1..20
 * without 14 (missing). With 7-row pages (-5..5, 6..12, 13..20, then an
 * empty one) the wrong rows 5 and 6 straddle the first boundary; 1 makes
 * every row its own page, 21 reads them all and then an empty page, 22
 * one short page. */
static void test_chunk_boundaries(void **state)
{
    static const unsigned sizes[] = {1, 2, 6, 7, 8, 10, 19, 20, 21, 22, VERIFY_CHUNK_ROWS};
    outcome_table_t *t = run_write("chunks", N_IDS);

    (void)state;
    sql("UPDATE " PG_BATCH_TABLE " SET total_cents = total_cents + 1 WHERE run_id = 'chunks'"
        " AND id = 5");
    sql("UPDATE " PG_BATCH_TABLE " SET digest = '%s' WHERE run_id = 'chunks' AND id = 6",
        want[9].digest);
    sql("DELETE FROM " PG_BATCH_TABLE " WHERE run_id = 'chunks' AND id = 14");
    for (int id = -5; id <= 0; id += 5)
        sql("INSERT INTO " PG_BATCH_TABLE " (run_id, id, customer, currency, item_count,"
            " total_cents, digest) VALUES ('chunks', %d, '%s', '%s', %ld, %lld, '%s')",
            id, want[1].customer, want[1].currency, want[1].item_count, want[1].total_cents,
            want[1].digest);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        verify_result_t r;
        int rc = verify_run_chunked(conn, &bound, "chunks", t, SEED, ITEMS, COST, sizes[k], &r, err,
                                    sizeof err);
        if (rc)
            print_error("verify_run_chunked(%u): %s\n", sizes[k], err);
        assert_int_equal(rc, 0);
        if (r.rows != 21 || r.wrong != 2 || r.missing != 1 || r.unexpected != 2)
            print_error("chunk %u: rows %llu wrong %llu missing %llu unexpected %llu\n", sizes[k],
                        (unsigned long long)r.rows, (unsigned long long)r.wrong,
                        (unsigned long long)r.missing, (unsigned long long)r.unexpected);
        assert_int_equal(r.rows, 21);
        assert_int_equal(r.wrong, 2);
        assert_int_equal(r.missing, 1);
        assert_int_equal(r.unexpected, 2);
        assert_false(r.rows_match);
    }
    assert_int_equal(verify_run_chunked(conn, &bound, "chunks", t, SEED, ITEMS, COST, 0,
                                        &(verify_result_t){0}, err, sizeof err),
                     -1);
    outcome_table_destroy(t);
}

/* ok: rows match and failures <= max_error_rate x requests. 18 of 20 done
 * is 2 failures, 10%. */
static void test_ok_bound(void **state)
{
    outcome_table_t *t = run_write("bound", N_IDS);
    verify_result_t r;

    (void)state;
    sql("DELETE FROM " PG_BATCH_TABLE " WHERE run_id = 'bound' AND id > 18");
    outcome_table_destroy(t);
    t = outcome_table_create(N_IDS);
    for (uint32_t id = 1; id <= N_IDS; id++) {
        if (id <= 18)
            outcome_done(t, id);
        else
            outcome_fail(t, id, ERR_TIMEOUT);
    }
    verify("bound", t, &r);
    assert_true(r.rows_match);
    assert_false(verify_run_ok(&r, 2, N_IDS, 0));
    assert_false(verify_run_ok(&r, 2, N_IDS, 0.05));
    assert_true(verify_run_ok(&r, 2, N_IDS, 0.1));
    assert_true(verify_run_ok(&r, 2, N_IDS, 1));
    /* Rows that do not match are never ok, whatever the bound. */
    r.rows_match = 0;
    assert_false(verify_run_ok(&r, 2, N_IDS, 1));
    outcome_table_destroy(t);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_correct),  cmocka_unit_test(test_wrong_total),
        cmocka_unit_test(test_wrong_digest), cmocka_unit_test(test_missing_row),
        cmocka_unit_test(test_extra_row),    cmocka_unit_test(test_duplicate_delivery),
        cmocka_unit_test(test_ok_bound),     cmocka_unit_test(test_chunk_boundaries),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s vectors.tsv\n", argv[0]);
        return 2;
    }
    vectors_path = argv[1];
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
