/* External models: programs in any language that run the workload and
 * report each request on a line protocol (docs/external-models.md). The
 * harness runs them exactly like a built-in model: run() executes in the
 * model's fresh child (its process group, its memory cgroup), where it
 * starts the program, validates its report line by line
 * (models/external/protocol.h) into the outcome table, and reaps the
 * program's whole tree, so wait4's CPU and the cgroup's memory are the
 * program's plus this adapter's small share.
 *
 * A model is named `exec:PATH` (any executable; its name in results is
 * `exec-` and the file's base name) or NAME, for a model file
 * models/external/NAME.conf. */
#ifndef CONCBENCH_MODELS_EXTERNAL_H
#define CONCBENCH_MODELS_EXTERNAL_H

#include <stddef.h>

#include "models/model.h"

/* The folder of the model files. */
#ifndef CONCBENCH_EXTERNAL_DIR
#define CONCBENCH_EXTERNAL_DIR "models/external"
#endif

/* What an external model runs. */
typedef struct external_spec {
    char *argv[32]; /* the program and its arguments, NULL-terminated */
    char name[64];
} external_spec_t;

/* The external model called name: `exec:PATH`, or NAME with a model file.
 * Returns a model allocated for the life of the process, or NULL with the
 * reason in err (unknown name, an unreadable or malformed model file, a
 * program that is not executable). */
const model_ops_t *external_model_find(const char *name, char *err, size_t errlen);

/* The folder of the model files: <prefix>/share/concbench/models/external
 * for an installed concbench (common/datadir.h), else
 * CONCBENCH_EXTERNAL_DIR (the source tree's models/external). */
const char *external_dir(void);

/* Calls fn for every model file in external_dir(), in name order;
 * a file that does not parse is passed as NULL with its name and the
 * reason. Returns the number of files. */
int external_model_list(void (*fn)(const char *name, const model_ops_t *m, const char *err,
                                   void *arg),
                        void *arg);

/* run() of every external model (external.c). */
int external_run(const job_t *job);

#endif
