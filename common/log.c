#include "common/log.h"

#include "common/term.h"

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
static void log_line(term_colour_t colour, const char *level, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "%s%s: %s%s%s\n", term_sgr(stderr, colour), log_name, level,
            term_sgr(stderr, TERM_RESET), msg);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(TERM_RED, "", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(TERM_YELLOW, "warning: ", fmt, ap);
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
    log_line(TERM_DIM, "", fmt, ap);
    va_end(ap);
}
