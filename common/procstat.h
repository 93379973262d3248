/* Reading /proc/PID/stat, whose second field (the command name, in
 * parentheses) may hold spaces and parentheses itself: the fields that
 * follow are found after the last ')'. */
#ifndef CONCBENCH_COMMON_PROCSTAT_H
#define CONCBENCH_COMMON_PROCSTAT_H

#include <stddef.h>
#include <sys/types.h>

/* Reads /proc/PID/stat into buf (cap bytes) and returns a pointer into it
 * at field 3 (the state letter), from which sscanf can take the rest; or
 * NULL when the process does not exist or the line cannot be read. */
const char *procstat_read(pid_t pid, char *buf, size_t cap);

#endif
