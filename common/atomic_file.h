/* Writing files that readers may see at any moment: the text goes to a
 * fresh temporary name in the same folder, is fsynced, then renamed over
 * the target, so a reader finds the old file or the new one, never half of
 * one. The temporary name is unpredictable and created with O_EXCL |
 * O_NOFOLLOW: a folder someone else can write cannot redirect the write
 * through a planted symlink. */
#ifndef CONCBENCH_COMMON_ATOMIC_FILE_H
#define CONCBENCH_COMMON_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Writes len bytes of text to dir/name (mode 0644). Returns 0, or -1 with
 * "cannot write PATH: reason" in err; on failure nothing is left behind
 * and an existing dir/name is untouched. */
int atomic_file_write(const char *dir, const char *name, const char *text, size_t len, char *err,
                      size_t errlen);

/* A text built in memory (a stdio stream) and then written whole with
 * atomic_file_write: fprintf into t.f, then commit. */
typedef struct atomic_text {
    FILE *f;
    char *buf;
    size_t len;
} atomic_text_t;

/* Returns 0, or -1 with "out of memory" in err (nothing to commit). */
int atomic_text_open(atomic_text_t *t, char *err, size_t errlen);
/* Writes the text to dir/name as atomic_file_write does and frees it,
 * whatever the outcome. Returns 0, or -1 with the reason in err (a
 * stream error is reported as out of memory, its only cause). */
int atomic_text_commit(atomic_text_t *t, const char *dir, const char *name, char *err,
                       size_t errlen);

#endif
