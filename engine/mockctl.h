/* Talking to the mock API's control endpoints: the harness resets and
 * reads it around a run; a stream worker on another host checks it
 * generates the run's orders before taking any work. */
#ifndef CONCBENCH_MOCKCTL_H
#define CONCBENCH_MOCKCTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* POST /__reset. Returns 0, or -1 with a reason in err. */
int mockctl_reset(const char *api, char *err, size_t errlen);
/* GET /__stats as parsed JSON (caller decrefs), or NULL with err. */
json_t *mockctl_stats(const char *api, char *err, size_t errlen);

/* Checks that the mock API at api generates the orders a run with this
 * seed and items expects (its /__stats echoes both under "config"): a
 * server started with other values would have every row written from it
 * fail verification. Returns 0; -1 with one line in err naming the
 * server's values and the flags to start it with, or why it could not be
 * asked. */
int mockctl_orders_check(const char *api, uint64_t seed, int items, char *err, size_t errlen);

#endif
