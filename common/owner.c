#include "common/owner.h"

#include "common/procstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The start time of pid (field 22 of /proc/PID/stat). Returns 0, or -1
 * when the process does not exist. */
static int owner_start_time(pid_t pid, unsigned long long *start)
{
    char buf[1024];
    const char *f = procstat_read(pid, buf, sizeof buf);

    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice num_threads itrealvalue
     * starttime */
    if (!f || sscanf(f,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                     "%*d %*d %llu",
                     start) != 1)
        return -1;
    return 0;
}

static int owner_pidns(unsigned long long *ino)
{
    struct stat st;

    if (stat("/proc/self/ns/pid", &st) < 0)
        return -1;
    *ino = (unsigned long long)st.st_ino;
    return 0;
}

int owner_self(owner_t *o)
{
    memset(o, 0, sizeof *o);
    o->pid = getpid();
    return owner_pidns(&o->pidns) == 0 && owner_start_time(o->pid, &o->start) == 0 ? 0 : -1;
}

void owner_format(const owner_t *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu-%d-%llu", o->pidns, (int)o->pid, o->start);
}

size_t owner_parse(const char *s, owner_t *o)
{
    int used = 0, pid;

    memset(o, 0, sizeof *o);
    if (sscanf(s, "%llu-%d-%llu%n", &o->pidns, &pid, &o->start, &used) != 3 || pid <= 0 ||
        s[0] < '0' || s[0] > '9')
        return 0;
    o->pid = (pid_t)pid;
    return (size_t)used;
}

int owner_alive(const owner_t *o)
{
    unsigned long long ns, start;

    if (owner_pidns(&ns) < 0 || ns != o->pidns)
        return 1;
    return owner_start_time(o->pid, &start) == 0 && start == o->start;
}
