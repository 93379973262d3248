/* bench_ring: what the same per-request work costs in a process that has
 * just been switched in, against a thread. W members (processes or
 * threads) sit in a ring of pipes; a token goes round H times, and each
 * member that receives it does one piece of work and passes it on. Every
 * hop wakes a different member, as every response wakes a different
 * worker in the pools (100 workers, one request each at a time), so in the
 * process ring each hop switches address space and the member runs with
 * its user-space TLB entries gone (the kernel's mappings are global and
 * survive), while threads share one address space.
 *
 * Work per hop (--work, all by default, in turn):
 *   none       nothing: the ring itself;
 *   transform  transform_order on a 10-item order body, cost 1 (what a pool
 *              worker does per request, minus the I/O);
 *   evp        one SHA-256 of 300 bytes through EVP with a fetched EVP_MD
 *              and one EVP_MD_CTX per member (the transform's old way);
 *   lowlevel   the same hash through SHA256_Init/Update/Final (its way now).
 *
 * CPU is getrusage: RUSAGE_CHILDREN after the processes are reaped, or
 * RUSAGE_SELF around the threads (every thread; the main one only waits),
 * start-up included, per hop. The modes alternate --repeat times (the
 * machine is shared); the last lines are medians over the repetitions:
 * process minus thread per work, and evp minus lowlevel per kind. One
 * parseable line each (key=value).
 *
 * usage: bench_ring [--members W] [--hops H] [--repeat R] [--work NAME]
 * Not a ctest test (it measures; docs/performance.md has the figures). */
#define OPENSSL_API_COMPAT 10101 /* SHA256_Init & co. without the warning */

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload/order.h"
#include "workload/transform.h"

enum { WORK_NONE, WORK_TRANSFORM, WORK_EVP, WORK_LOWLEVEL, WORK_N };
static const char *const work_names[WORK_N] = {"none", "transform", "evp", "lowlevel"};

static int members = 100, work;
static int (*ring)[2];
/* The evp work's state, one per member (made at its first hash). */
static _Thread_local EVP_MD *evp_alg;
static _Thread_local EVP_MD_CTX *evp_ctx;
static char *body;
static size_t body_len;

/* One piece of work; returns something derived from it so that nothing
 * can be optimised away. */
static unsigned ring_work(void)
{
    unsigned char buf[300], md[SHA256_DIGEST_LENGTH] = {0};
    order_row_t row;
    SHA256_CTX c;

    memset(buf, 'a', sizeof buf);
    switch (work) {
    case WORK_TRANSFORM:
        return transform_order(body, body_len, 1, 1, &row) == 0 ? (unsigned)row.digest[0] : 0;
    case WORK_EVP:
        if (!evp_alg) {
            evp_alg = EVP_MD_fetch(NULL, "SHA256", NULL);
            evp_ctx = EVP_MD_CTX_new();
        }
        if (!evp_alg || !evp_ctx || !EVP_DigestInit_ex2(evp_ctx, evp_alg, NULL) ||
            !EVP_DigestUpdate(evp_ctx, buf, sizeof buf) || !EVP_DigestFinal_ex(evp_ctx, md, NULL))
            return 0;
        return md[0];
    case WORK_LOWLEVEL:
        if (!SHA256_Init(&c) || !SHA256_Update(&c, buf, sizeof buf) || !SHA256_Final(md, &c))
            return 0;
        return md[0];
    default:
        return 0;
    }
}

/* Member i: waits for the token, works, passes it on with one hop fewer;
 * a token of 0 is passed on once more and ends the member. */
static void *ring_member(void *arg)
{
    int i = (int)(intptr_t)arg, next = (i + 1) % members;
    unsigned sink = 0;
    int tok;

    while (read(ring[i][0], &tok, sizeof tok) == (ssize_t)sizeof tok) {
        if (tok > 0)
            sink += ring_work();
        tok = tok > 0 ? tok - 1 : 0;
        if (write(ring[next][1], &tok, sizeof tok) != (ssize_t)sizeof tok || tok == 0)
            break;
    }
    EVP_MD_CTX_free(evp_ctx);
    EVP_MD_free(evp_alg);
    evp_ctx = NULL;
    evp_alg = NULL;
    return (void *)(uintptr_t)sink;
}

static double tv_us(struct timeval t)
{
    return t.tv_sec * 1e6 + t.tv_usec;
}

/* Runs one ring; returns 0 with CPU µs per hop in *user and *sys. */
static int ring_run(int threads, int hops, double *user, double *sys)
{
    pthread_t *t = calloc((size_t)members, sizeof *t);
    struct rusage r0, r1;
    int who = threads ? RUSAGE_SELF : RUSAGE_CHILDREN, tok = hops, started = 0, rc = 0;

    if (!t)
        return -1;
    for (int i = 0; i < members; i++)
        if (pipe(ring[i]))
            return -1;
    getrusage(who, &r0);
    for (; started < members; started++) {
        if (threads) {
            if (pthread_create(&t[started], NULL, ring_member, (void *)(intptr_t)started))
                break;
        } else {
            pid_t pid = fork();
            if (pid < 0)
                break;
            if (pid == 0) {
                ring_member((void *)(intptr_t)started);
                _exit(0);
            }
        }
    }
    if (started < members) {
        fprintf(stderr, "bench_ring: could not start member %d of %d\n", started + 1, members);
        rc = -1;
        tok = 0; /* the members started end at once */
    }
    if (write(ring[0][1], &tok, sizeof tok) != (ssize_t)sizeof tok)
        rc = -1;
    for (int i = 0; i < started; i++)
        if (threads)
            pthread_join(t[i], NULL);
    if (!threads)
        while (wait(NULL) > 0)
            ;
    getrusage(who, &r1);
    for (int i = 0; i < members; i++) {
        close(ring[i][0]);
        close(ring[i][1]);
    }
    free(t);
    *user = (tv_us(r1.ru_utime) - tv_us(r0.ru_utime)) / hops;
    *sys = (tv_us(r1.ru_stime) - tv_us(r0.ru_stime)) / hops;
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int hops = 200000, repeat = 3, only = -1;
    order_t *o = malloc(sizeof *o);
    double(*cpu)[WORK_N][2];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--members"))
            members = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--hops"))
            hops = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeat"))
            repeat = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--work")) {
            for (int w = 0; w < WORK_N; w++)
                if (!strcmp(argv[i + 1], work_names[w]))
                    only = w;
            if (only < 0) {
                fprintf(stderr, "bench_ring: unknown --work %s (none, transform, evp, lowlevel)\n",
                        argv[i + 1]);
                return 2;
            }
        } else {
            fprintf(stderr, "bench_ring: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (argc % 2 == 0 || members < 2 || hops < 1 || repeat < 1) {
        fprintf(stderr, "usage: bench_ring [--members W>=2] [--hops H>=1] [--repeat R>=1] "
                        "[--work none|transform|evp|lowlevel]\n");
        return 2;
    }
    ring = calloc((size_t)members, sizeof *ring);
    cpu = calloc((size_t)repeat, sizeof *cpu);
    if (!o || !ring || !cpu) {
        fprintf(stderr, "bench_ring: out of memory\n");
        return 1;
    }
    order_generate(1, 1, 10, o);
    body = malloc(order_json_max(o->n_items));
    if (!body) {
        fprintf(stderr, "bench_ring: out of memory\n");
        return 1;
    }
    body_len = order_to_json(o, body, order_json_max(o->n_items));

    for (int r = 0; r < repeat; r++)
        for (int w = 0; w < WORK_N; w++)
            for (int threads = 0; threads < 2; threads++) {
                double user, sys;
                if (only >= 0 && w != only)
                    continue;
                work = w;
                if (ring_run(threads, hops, &user, &sys))
                    return 1;
                cpu[r][w][threads] = user + sys;
                printf("members=%s work=%s n=%d hops=%d cpu_us_per_hop=%.2f user_us=%.2f "
                       "sys_us=%.2f\n",
                       threads ? "thread" : "process", work_names[w], members, hops, user + sys,
                       user, sys);
                fflush(stdout);
            }
    for (int w = 0; w < WORK_N; w++) {
        double d[repeat];
        if (only >= 0 && w != only)
            continue;
        for (int r = 0; r < repeat; r++)
            d[r] = cpu[r][w][0] - cpu[r][w][1];
        printf("process_minus_thread work=%s median_us_per_hop=%.2f\n", work_names[w],
               median(d, repeat));
    }
    if (only < 0)
        for (int threads = 0; threads < 2; threads++) {
            double d[repeat];
            for (int r = 0; r < repeat; r++)
                d[r] = cpu[r][WORK_EVP][threads] - cpu[r][WORK_LOWLEVEL][threads];
            printf("evp_minus_lowlevel members=%s median_us_per_hop=%.2f\n",
                   threads ? "thread" : "process", median(d, repeat));
        }
    free(body);
    free(o);
    free(ring);
    free(cpu);
    return 0;
}
