#include "models/staged/cpu_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/limits.h"

int cpu_pool_default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void *cpu_pool_worker(void *arg)
{
    cpu_pool_t *p = arg;
    uint64_t v;
    int refused;
    while (bqueue_take(&p->queue, &v, 1, &refused) == 1) {
        cpu_item_t *it = (cpu_item_t *)(uintptr_t)v;
        if (refused)
            p->popped(p->ud);
        outcome_stage_add(p->out, STAGE_TRANSFORM, 1);
        it->ok = transform_order(it->body, it->len, it->id, p->cost, &it->row) == 0;
        outcome_stage_add(p->out, STAGE_TRANSFORM, -1);
        p->done(p->ud, it);
    }
    return NULL;
}

int cpu_pool_start(cpu_pool_t *p, int workers, int depth, unsigned cost, outcome_table_t *out,
                   cpu_pool_popped_cb popped, cpu_pool_done_cb done, void *ud, char *err,
                   size_t errlen)
{
    pthread_attr_t attr;
    memset(p, 0, sizeof *p);
    p->cost = cost;
    p->out = out;
    p->popped = popped;
    p->done = done;
    p->ud = ud;
    if (!(p->threads = calloc((size_t)workers, sizeof *p->threads)) ||
        bqueue_init(&p->queue, depth)) {
        snprintf(err, errlen, "out of memory for %d transform workers", workers);
        free(p->threads);
        return -1;
    }
    p->queue.mirror = &out->queue_len[QUEUE_TRANSFORM];
    p->queue.mirror_peak = &out->queue_peak[QUEUE_TRANSFORM];
    out->stage_width[STAGE_TRANSFORM] = workers;
    out->queue_cap[QUEUE_TRANSFORM] = depth;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, LIMIT_TP_STACK_BYTES);
    for (; p->nthreads < workers; p->nthreads++) {
        int e = pthread_create(&p->threads[p->nthreads], &attr, cpu_pool_worker, p);
        if (e) {
            snprintf(err, errlen, "cannot start a transform worker: %s", strerror(e));
            pthread_attr_destroy(&attr);
            cpu_pool_finish(p);
            return -1;
        }
    }
    pthread_attr_destroy(&attr);
    return 0;
}

int cpu_pool_offer(cpu_pool_t *p, cpu_item_t *it)
{
    return bqueue_trypush(&p->queue, (uint64_t)(uintptr_t)it) ? 1 : 0;
}

void cpu_pool_finish(cpu_pool_t *p)
{
    bqueue_close(&p->queue);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    bqueue_destroy(&p->queue);
    free(p->threads);
    p->threads = NULL;
    p->nthreads = 0;
}
