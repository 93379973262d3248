/* What was built: the version and the source tree's git commit, taken
 * when the binary was built (cmake/version.cmake runs at every build, not
 * at configure time). Both binaries print them with --version, and
 * results.json records the commit as env.git_commit. */
#ifndef CONCBENCH_COMMON_VERSION_H
#define CONCBENCH_COMMON_VERSION_H

/* The release, "MAJOR.MINOR.PATCH" (project() in CMakeLists.txt). */
extern const char cb_version[];
/* The abbreviated commit hash, with "-dirty" when tracked files differed
 * from it at build time; "unknown" when built outside a git checkout. */
extern const char cb_git_commit[];

#endif
