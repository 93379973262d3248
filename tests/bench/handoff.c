/* bench_handoff: the CPU floor of a hand-off from a libuv loop to a worker
 * thread and back, the round trip every body makes in hybrid and pipeline
 * (models/staged/): the loop queues an item on a bounded queue
 * (common/bqueue.h, a mutex and futex wait queues) where workers sleep,
 * one worker pops it and gives it back through a mutex-guarded list and a
 * uv_async_send, the loop's async callback takes it. No work is done on
 * the item, so what is measured is the hand-off alone.
 *
 * Three modes, each one parseable line (key=value):
 *   alone         the loop wakes every interval (a timerfd on uv_poll, like
 *                 a response arriving on a socket) and does nothing else:
 *                 the wake-up any loop pays per response;
 *   paced         the same ticks, each handing one item to the workers and
 *                 waiting for it to come back (the default scenario's shape:
 *                 one response every ~500 µs, the workers asleep between);
 *   back-to-back  the next item goes as soon as the last came back.
 * CPU is getrusage(RUSAGE_SELF) over the mode (every thread), context
 * switches are voluntary + involuntary from the same call. The modes run
 * in turn, --repeat times (the machine is shared: alternating puts the
 * same load under each), and the last line, excess, is the median over the
 * repetitions of paced minus alone per round trip: what handing each
 * request to another thread costs above a loop that keeps it.
 *
 * usage: bench_handoff [--rounds N] [--interval-us U] [--workers W]
 *                      [--repeat R]
 * Not a ctest test (it measures; docs/performance.md has the figures). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

#include "common/bqueue.h"
#include "common/clock.h"

enum mode { MODE_ALONE, MODE_PACED, MODE_BACK_TO_BACK };
static const char *const mode_names[] = {"alone", "paced", "back-to-back"};

typedef struct bench {
    enum mode mode;
    uint64_t rounds, sent, back;
    bqueue_t queue;
    pthread_mutex_t mu;
    uint64_t returned; /* items given back by the workers (under mu) */
    uv_async_t wake;
    uv_poll_t tick;
    int tfd;
} bench_t;

static void *bench_worker(void *arg)
{
    bench_t *b = arg;
    uint64_t v;
    while (bqueue_pop(&b->queue, &v) == 0) {
        pthread_mutex_lock(&b->mu);
        b->returned++;
        pthread_mutex_unlock(&b->mu);
        uv_async_send(&b->wake);
    }
    return NULL;
}

static void bench_send(bench_t *b)
{
    if (bqueue_push(&b->queue, ++b->sent)) {
        fprintf(stderr, "bench_handoff: the queue closed early\n");
        exit(2);
    }
}

static void bench_end(bench_t *b)
{
    if (b->tfd >= 0)
        uv_poll_stop(&b->tick);
    uv_close((uv_handle_t *)&b->wake, NULL);
}

static void bench_wake_cb(uv_async_t *a)
{
    bench_t *b = a->data;
    uint64_t n;
    pthread_mutex_lock(&b->mu);
    n = b->returned;
    b->returned = 0;
    pthread_mutex_unlock(&b->mu);
    b->back += n;
    if (b->mode == MODE_BACK_TO_BACK && b->sent < b->rounds)
        bench_send(b);
    if (b->back == b->rounds)
        bench_end(b);
}

static void bench_tick_cb(uv_poll_t *h, int status, int events)
{
    bench_t *b = h->data;
    uint64_t expirations;
    (void)events;
    if (status < 0 || read(b->tfd, &expirations, sizeof expirations) != sizeof expirations)
        return; /* EAGAIN: a spurious wake-up */
    for (; expirations > 0 && b->sent < b->rounds; expirations--) {
        if (b->mode == MODE_ALONE)
            b->back = ++b->sent;
        else
            bench_send(b);
    }
    if (b->sent == b->rounds)
        uv_poll_stop(&b->tick);
    if (b->mode == MODE_ALONE && b->back == b->rounds)
        bench_end(b);
}

static double tv_us(struct timeval tv)
{
    return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec;
}

/* Runs one mode; returns its CPU µs per round trip (exits 2 on a setup
 * failure, with the reason). */
static double bench_mode(enum mode mode, uint64_t rounds, long interval_us, int workers)
{
    bench_t b = {.mode = mode, .rounds = rounds, .tfd = -1};
    uv_loop_t loop;
    pthread_t *threads = calloc((size_t)workers, sizeof *threads);
    struct rusage r0, r1;
    int64_t t0, t1;
    double cpu_us, ctx;

    if (!threads || bqueue_init(&b.queue, 2 * workers) || uv_loop_init(&loop) ||
        uv_async_init(&loop, &b.wake, bench_wake_cb)) {
        fprintf(stderr, "bench_handoff: setting up the loop failed (out of memory?)\n");
        exit(2);
    }
    pthread_mutex_init(&b.mu, NULL);
    b.wake.data = &b;
    for (int i = 0; i < workers; i++)
        if (pthread_create(&threads[i], NULL, bench_worker, &b)) {
            fprintf(stderr, "bench_handoff: cannot start a worker thread\n");
            exit(2);
        }
    usleep(20000); /* the workers reach their first wait */
    getrusage(RUSAGE_SELF, &r0);
    t0 = clock_now_ns();
    if (mode == MODE_BACK_TO_BACK) {
        bench_send(&b);
    } else {
        struct itimerspec its = {
            .it_interval = {.tv_sec = interval_us / 1000000,
                            .tv_nsec = interval_us % 1000000 * 1000},
        };
        its.it_value = its.it_interval;
        b.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (b.tfd < 0 || timerfd_settime(b.tfd, 0, &its, NULL) ||
            uv_poll_init(&loop, &b.tick, b.tfd)) {
            fprintf(stderr, "bench_handoff: timerfd: %s\n", strerror(errno));
            exit(2);
        }
        b.tick.data = &b;
        uv_poll_start(&b.tick, UV_READABLE, bench_tick_cb);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    t1 = clock_now_ns();
    getrusage(RUSAGE_SELF, &r1);
    bqueue_close(&b.queue);
    for (int i = 0; i < workers; i++)
        pthread_join(threads[i], NULL);
    if (b.tfd >= 0) {
        uv_close((uv_handle_t *)&b.tick, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        close(b.tfd);
    }
    uv_loop_close(&loop);
    bqueue_destroy(&b.queue);
    pthread_mutex_destroy(&b.mu);
    free(threads);

    cpu_us = (tv_us(r1.ru_utime) - tv_us(r0.ru_utime) + tv_us(r1.ru_stime) - tv_us(r0.ru_stime)) /
             (double)rounds;
    ctx = (double)(r1.ru_nvcsw - r0.ru_nvcsw + r1.ru_nivcsw - r0.ru_nivcsw) / (double)rounds;
    printf("mode=%s rounds=%" PRIu64 " interval_us=%ld workers=%d wall_s=%.3f "
           "cpu_us_per_round=%.2f ctxsw_per_round=%.2f\n",
           mode_names[mode], rounds, mode == MODE_BACK_TO_BACK ? 0 : interval_us, workers,
           (double)(t1 - t0) / 1e9, cpu_us, ctx);
    fflush(stdout);
    return cpu_us;
}

static long arg_long(const char *flag, const char *v, long min, long max)
{
    char *end;
    long n;
    errno = 0;
    n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || n < min || n > max) {
        fprintf(stderr, "bench_handoff: %s needs a whole number from %ld to %ld\n", flag, min, max);
        exit(2);
    }
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long rounds = 10000, interval_us = 500, workers = 2, repeat = 3;
    double excess[16];
    for (int i = 1; i < argc; i += 2) {
        const char *v = argv[i + 1]; /* argv[argc] is NULL */
        if (!strcmp(argv[i], "--rounds"))
            rounds = arg_long(argv[i], v, 1, 100000000);
        else if (!strcmp(argv[i], "--interval-us"))
            interval_us = arg_long(argv[i], v, 1, 1000000);
        else if (!strcmp(argv[i], "--workers"))
            workers = arg_long(argv[i], v, 1, 256);
        else if (!strcmp(argv[i], "--repeat"))
            repeat = arg_long(argv[i], v, 1, 16);
        else {
            fprintf(stderr, "usage: bench_handoff [--rounds N] [--interval-us U] [--workers W] "
                            "[--repeat R]\n");
            return 2;
        }
    }
    for (int r = 0; r < repeat; r++) {
        double alone = bench_mode(MODE_ALONE, (uint64_t)rounds, interval_us, (int)workers);
        double paced = bench_mode(MODE_PACED, (uint64_t)rounds, interval_us, (int)workers);
        bench_mode(MODE_BACK_TO_BACK, (uint64_t)rounds, interval_us, (int)workers);
        excess[r] = paced - alone;
    }
    qsort(excess, (size_t)repeat, sizeof *excess, cmp_double);
    printf("excess_cpu_us_per_round=%.2f (paced - alone, median of %ld; min %.2f, max %.2f)\n",
           excess[repeat / 2], repeat, excess[0], excess[repeat - 1]);
    return 0;
}
