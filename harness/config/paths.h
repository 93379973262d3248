/* Where concbench's own files are: the scenario presets and the gnuplot
 * scripts. An installed concbench (cmake --install) finds them in
 * <prefix>/share/concbench (common/datadir.h), so it needs no source tree; a concbench run from its
 * build tree uses the source tree's scenarios/ and plots/ (compiled in). */
#ifndef CONCBENCH_CONFIG_PATHS_H
#define CONCBENCH_CONFIG_PATHS_H

/* The scenarios folder. Never NULL; the same string every call. */
const char *config_scenario_dir(void);

/* The gnuplot scripts' folder. Never NULL; the same string every call. */
const char *config_plots_dir(void);

#endif
