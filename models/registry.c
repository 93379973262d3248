#include <string.h>

#include "models/external/external.h"
#include "models/model.h"

extern const model_ops_t model_process_pool;
extern const model_ops_t model_thread_pool;
extern const model_ops_t model_unbounded_loop;
extern const model_ops_t model_semaphore_loop;
extern const model_ops_t model_stream_workers;
extern const model_ops_t model_hybrid;
extern const model_ops_t model_pipeline;

const model_ops_t *const model_registry[] = {
    &model_process_pool,   &model_thread_pool, &model_unbounded_loop, &model_semaphore_loop,
    &model_stream_workers, &model_hybrid,      &model_pipeline,       NULL,
};

const model_ops_t *model_find(const char *name, char *err, size_t errlen)
{
    for (int i = 0; model_registry[i]; i++)
        if (strcmp(model_registry[i]->name, name) == 0)
            return model_registry[i];
    return external_model_find(name, err, errlen);
}
