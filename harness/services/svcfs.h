/* File helpers for the services' private temporary folders (their data,
 * logs and configuration): internal to harness/services/. */
#ifndef CONCBENCH_SERVICES_SVCFS_H
#define CONCBENCH_SERVICES_SVCFS_H

#include <stddef.h>
#include <sys/types.h>

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

/* The file in each service folder that names the concbench process that
 * made it (common/owner.h), for svcfs_sweep. */
#define SVCFS_OWNER_FILE "concbench.owner"

/* Writes dir's owner file for the calling process. Returns 0, or -1 with
 * a reason in err (the folder then cannot be swept later). */
int svcfs_mark_owner(const char *dir, char *err, size_t errlen);

/* Removes the folders parent/PREFIX* that a concbench process which is
 * gone left behind, killing first any process still working in one (a
 * stopped server that outlived it). Careful with what it did not make: a
 * folder is taken only when it is a real directory (not a symlink) owned
 * by us or by alt_uid (the `postgres` user a server runs as; -1: none),
 * writable by no-one else, holding an owner file that is a regular file
 * of ours, writable by no-one else, naming an owner of our PID namespace
 * that is certainly gone. Cannot fail; what cannot be removed is said. */
void svcfs_sweep(const char *parent, const char *prefix, uid_t alt_uid);

#endif
