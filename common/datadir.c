#include "common/datadir.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CONCBENCH_REL_DATADIR
#error "CONCBENCH_REL_DATADIR must name the data folder relative to the binaries"
#endif

void datadir_find(const char *what, const char *fallback, char *out, size_t cap)
{
    char exe[PATH_MAX];
    struct stat st;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (n > 0) {
        exe[n] = '\0';
        if (snprintf(out, cap, "%s/%s/%s", dirname(exe), CONCBENCH_REL_DATADIR, what) < (int)cap &&
            stat(out, &st) == 0 && S_ISDIR(st.st_mode))
            return;
    }
    snprintf(out, cap, "%s", fallback);
}
