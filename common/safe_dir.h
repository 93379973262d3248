/* Folders concbench writes into and then reads back or hands to another
 * program (gnuplot): they must be ours alone. A folder another user can
 * write lets that user plant or swap files between our write and our read
 * (a symlink where we create a file, a chart script gnuplot then runs as
 * us), so such a folder is refused, not worked around. */
#ifndef CONCBENCH_COMMON_SAFE_DIR_H
#define CONCBENCH_COMMON_SAFE_DIR_H

#include <stddef.h>

/* Checks that path is a folder (not a symlink) owned by the effective user,
 * not writable by group or others, and that no folder above it lets another
 * user rename it away: each ancestor is owned by us or root and writable by
 * group or others only when sticky (as /tmp is). Returns 0, or -1 with one
 * line saying which folder is wrong and what to do in err. */
int safe_dir_check(const char *path, char *err, size_t errlen);

/* Creates path and any missing parents (mode 0755 less the umask) and then
 * checks it with safe_dir_check. Returns 0, or -1 with the reason in err. */
int safe_dir_make(const char *path, char *err, size_t errlen);

#endif
