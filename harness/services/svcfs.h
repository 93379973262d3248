/* File helpers for the services' private temporary folders (their data,
 * logs and configuration): internal to harness/services/. */
#ifndef CONCBENCH_SERVICES_SVCFS_H
#define CONCBENCH_SERVICES_SVCFS_H

#include <stddef.h>

/* Removes dir and everything under it, never following a symlink. What
 * cannot be removed is reported in one line (remove it by hand). */
void svcfs_rm_tree(const char *dir);

/* Copies the last nlines (at most 8) non-empty lines of the file at path
 * into out, joined with " | ", so that a failure can be told in one line;
 * older lines give way first when out is short. out is "" when the file
 * cannot be read. */
void svcfs_log_tail(const char *path, int nlines, char *out, size_t outlen);

/* Appends text to the existing file at path. Returns 0, or -1 with a
 * reason in err. */
int svcfs_append(const char *path, const char *text, char *err, size_t errlen);

/* Opens (creating) the log file at path for appending, close-on-exec.
 * Returns the descriptor, or -1 with a reason in err. */
int svcfs_open_log(const char *path, char *err, size_t errlen);

#endif
