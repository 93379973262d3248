#include "common/fdlimit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"

uint64_t fdlimit_raise(uint64_t need)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max;
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            log_warn("cannot raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)want,
                     strerror(errno));
            getrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    if (need > 0 && rl.rlim_max != RLIM_INFINITY && (uint64_t)rl.rlim_max < need + FDLIMIT_RESERVE)
        log_warn("RLIMIT_NOFILE hard limit %llu is below the %llu descriptors this run "
                 "needs; requests beyond it will fail to connect",
                 (unsigned long long)rl.rlim_max, (unsigned long long)(need + FDLIMIT_RESERVE));
    return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}
