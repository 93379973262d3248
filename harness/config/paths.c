#include "harness/config/paths.h"

#include <limits.h>

#include "common/datadir.h"

#if !defined(CONCBENCH_SCENARIO_DIR) || !defined(CONCBENCH_PLOTS_DIR)
#error "CONCBENCH_SCENARIO_DIR and CONCBENCH_PLOTS_DIR must name the source tree's folders"
#endif

const char *config_scenario_dir(void)
{
    static char dir[PATH_MAX];
    if (!dir[0])
        datadir_find("scenarios", CONCBENCH_SCENARIO_DIR, dir, sizeof dir);
    return dir;
}

const char *config_plots_dir(void)
{
    static char dir[PATH_MAX];
    if (!dir[0])
        datadir_find("plots", CONCBENCH_PLOTS_DIR, dir, sizeof dir);
    return dir;
}
