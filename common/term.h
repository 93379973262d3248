/* Colour on a terminal, and only there. A stream gets ANSI colours when
 * it is a terminal, the NO_COLOR environment variable is unset or empty
 * (https://no-color.org) and the command line did not say --no-color;
 * files, pipes and CI logs never see an escape sequence. */
#ifndef CONCBENCH_COMMON_TERM_H
#define CONCBENCH_COMMON_TERM_H

#include <stdio.h>

typedef enum term_colour {
    TERM_RESET,
    TERM_RED,
    TERM_GREEN,
    TERM_YELLOW,
    TERM_BOLD,
    TERM_DIM,
} term_colour_t;

/* Turns colour off for the whole process (--no-color). */
void term_colour_disable(void);

/* Whether f (stdout or stderr) is to be coloured. Decided on first use per
 * stream and kept. */
int term_colour_on(FILE *f);

/* The escape sequence for c on f, or "" when f is not coloured. */
const char *term_sgr(FILE *f, term_colour_t c);

#endif
