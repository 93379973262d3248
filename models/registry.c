#include <string.h>

#include "model.h"

extern const model_ops_t model_thread_pool;

const model_ops_t *const model_registry[] = {
    &model_thread_pool,
    NULL,
};

const model_ops_t *model_find(const char *name)
{
    for (int i = 0; model_registry[i]; i++)
        if (strcmp(model_registry[i]->name, name) == 0)
            return model_registry[i];
    return NULL;
}
