/* Who left something behind: the identity of a concbench process, kept
 * in the names of the memory cgroups it makes and in an owner file in the
 * temporary folders its services use, so that a later run can tell a
 * leftover of a process that is gone (remove it) from one in use (never
 * touch it).
 *
 * An identity is the PID namespace (its inode), the PID and the process's
 * start time (clock ticks since boot, /proc/PID/stat field 22): a PID that
 * comes round again has another start time, and a PID from another
 * namespace (a container sharing /tmp or the cgroup tree) cannot be
 * judged from here, so it counts as alive. */
#ifndef CONCBENCH_COMMON_OWNER_H
#define CONCBENCH_COMMON_OWNER_H

#include <stddef.h>
#include <sys/types.h>

typedef struct owner {
    unsigned long long pidns; /* inode of /proc/PID/ns/pid */
    pid_t pid;
    unsigned long long start; /* /proc/PID/stat starttime */
} owner_t;

/* The longest owner_format text, NUL included. */
#define OWNER_TEXT_MAX 64

/* The calling process's identity. Returns 0, or -1 when /proc cannot say
 * (then nothing should be marked, and nothing swept). */
int owner_self(owner_t *o);

/* Writes "PIDNS-PID-START" into buf (OWNER_TEXT_MAX bytes). */
void owner_format(const owner_t *o, char *buf, size_t cap);

/* Parses owner_format's text at the start of s. Returns the number of
 * characters it took, or 0 when s does not start with one. */
size_t owner_parse(const char *s, owner_t *o);

/* Whether the owner may still be running: 1 when its PID lives with the
 * same start time in our namespace, or when it is of another namespace
 * (cannot tell); 0 only when it is certainly gone. */
int owner_alive(const owner_t *o);

#endif
