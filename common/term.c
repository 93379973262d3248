#include "common/term.h"

#include <stdlib.h>
#include <unistd.h>

static int term_disabled;
static int term_state[2] = {-1, -1}; /* stdout, stderr: -1 not yet decided */

void term_colour_disable(void)
{
    term_disabled = 1;
}

int term_colour_on(FILE *f)
{
    int i = f == stderr, fd = i ? 2 : 1;
    const char *no = getenv("NO_COLOR");

    if (f != stdout && f != stderr)
        return 0;
    if (term_disabled)
        return 0;
    if (term_state[i] < 0)
        term_state[i] = !(no && no[0]) && isatty(fd);
    return term_state[i];
}

const char *term_sgr(FILE *f, term_colour_t c)
{
    static const char *const sgr[] = {"\033[0m",  "\033[31m", "\033[32m",
                                      "\033[33m", "\033[1m",  "\033[2m"};
    return term_colour_on(f) ? sgr[c] : "";
}
