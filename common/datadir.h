/* Where an installed concbench keeps its own files: <prefix>/share/concbench,
 * found from the running executable (/proc/self/exe and the relative path
 * CONCBENCH_REL_DATADIR, e.g. "../share/concbench", fixed at build time
 * from the install layout), so an installed binary needs no source tree.
 * A binary run from its build tree finds nothing there and uses the
 * fallback its caller compiled in (the source tree's folder). */
#ifndef CONCBENCH_COMMON_DATADIR_H
#define CONCBENCH_COMMON_DATADIR_H

#include <stddef.h>

/* Writes <exe folder>/CONCBENCH_REL_DATADIR/what into out when that is a
 * folder, else fallback. Cannot fail (out is truncated at cap). */
void datadir_find(const char *what, const char *fallback, char *out, size_t cap);

#endif
