/* Messages for people, on stderr. The program name is set once
 * (log_init) and every line starts with it, so "concbench: ..." and
 * "mockapi: ..." are never typed by hand. One call, one line: the format
 * has no trailing newline. stdout is left to results and tables.
 *
 * Levels: error (what failed and what to do; the caller then exits
 * non-zero or fails that one thing), warn (the run goes on but a figure or
 * setting is not what was asked), info (progress of set-up: "starting a
 * private PostgreSQL..."). CONCBENCH_LOG=quiet keeps only errors. */
#ifndef CONCBENCH_COMMON_LOG_H
#define CONCBENCH_COMMON_LOG_H

#include <stdarg.h>

/* Sets the prefix ("concbench", "concbench worker", "mockapi"); the string
 * must outlive every later call. Before it, the prefix is "concbench". */
void log_init(const char *prefix);
const char *log_prefix(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
