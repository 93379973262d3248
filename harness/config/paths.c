#include "harness/config/paths.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(CONCBENCH_SCENARIO_DIR) || !defined(CONCBENCH_PLOTS_DIR) ||                           \
    !defined(CONCBENCH_REL_DATADIR)
#error "CONCBENCH_SCENARIO_DIR, CONCBENCH_PLOTS_DIR and CONCBENCH_REL_DATADIR must be defined"
#endif

/* <folder of the executable>/CONCBENCH_REL_DATADIR/what into out when that
 * is a folder; else the compiled-in fallback. */
static void paths_find(const char *what, const char *fallback, char *out, size_t cap)
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

const char *config_scenario_dir(void)
{
    static char dir[PATH_MAX];
    if (!dir[0])
        paths_find("scenarios", CONCBENCH_SCENARIO_DIR, dir, sizeof dir);
    return dir;
}

const char *config_plots_dir(void)
{
    static char dir[PATH_MAX];
    if (!dir[0])
        paths_find("plots", CONCBENCH_PLOTS_DIR, dir, sizeof dir);
    return dir;
}
