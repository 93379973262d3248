#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_name = "concbench";
static int log_quiet = -1;

void log_init(const char *prefix)
{
    log_name = prefix;
}

const char *log_prefix(void)
{
    return log_name;
}

/* One fprintf per line, so lines from forked workers that share stderr do
 * not interleave mid-line (stderr is unbuffered; one write per call). */
static void log_line(const char *level, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "%s: %s%s\n", log_name, level, msg);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("warning: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    if (log_quiet < 0) {
        const char *e = getenv("CONCBENCH_LOG");
        log_quiet = e && strcmp(e, "quiet") == 0;
    }
    if (log_quiet)
        return;
    va_start(ap, fmt);
    log_line("", fmt, ap);
    va_end(ap);
}
