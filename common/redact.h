/* Credentials never reach a file or a message: --pg and --redis values
 * (and a URL a message repeats) are shown with their passwords blanked. */
#ifndef CONCBENCH_COMMON_REDACT_H
#define CONCBENCH_COMMON_REDACT_H

#include <stddef.h>

/* Copies value into out (cap bytes) with every password replaced by "***":
 * the password of a URL's user:password@ (redis://:pw@host,
 * unix://:pw@/path, postgresql://user:pw@host/db) and the value of
 * password=... in a libpq keyword DSN. What KNOB_SECRET knobs are written
 * as wherever a person or a file may see them. */
void redact_secrets(const char *value, char *out, size_t cap);

#endif
