/* Talking to the mock API's control endpoints. */
#ifndef CONCBENCH_MOCKCTL_H
#define CONCBENCH_MOCKCTL_H

#include <jansson.h>

/* POST /__reset. Returns 0, or -1 with a reason in err. */
int mockctl_reset(const char *api, char *err, size_t errlen);
/* GET /__stats as parsed JSON (caller decrefs), or NULL with err. */
json_t *mockctl_stats(const char *api, char *err, size_t errlen);

#endif
