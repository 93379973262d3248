/* Command-line parsing shared by every command (concbench's subcommands and
 * mockapi): an iterator over argv that splits "--name=value" and
 * "--name value", and strict parsers for the values.
 *
 * Why not getopt_long: it accepts any unique prefix of a long option
 * ("--req" for "--requests"), which would widen what every command accepts
 * and let a future option silently change what a saved script means; it
 * also permutes argv and keeps its state in globals. Options here match
 * their whole name or not at all.
 *
 * One number syntax for every command and knob (README "Numbers"):
 *   whole numbers   digits only: 1000
 *   numbers         digits with an optional decimal part: 20, 0.5, .5
 *   durations       a number and a unit, us, ms, s or min: 500us, 50ms,
 *                   2s, 1.5min; a bare number is milliseconds (the unit
 *                   every duration knob is named in, "*_ms")
 *   fractions       0.1 or 10%; a bare number above 1 ("10") is refused
 *                   as ambiguous rather than read as 1000%
 * No sign, no spaces, no exponent ("1e3"), no hex, no inf or nan.
 *
 * Parsers take the whole text, within an inclusive range. On error they
 * write one line (no newline) naming the option, the bad value, what is
 * accepted and the range, and leave *out untouched. */
#ifndef CONCBENCH_COMMON_OPT_H
#define CONCBENCH_COMMON_OPT_H

#include <stddef.h>
#include <stdint.h>

typedef struct opt_iter {
    int argc;
    char **argv;
    int next;          /* index of the next argument to look at */
    const char *arg;   /* the current argument, whole */
    size_t name_len;   /* length of its name: the text before any '=' */
    const char *value; /* the text after '=', or NULL */
} opt_iter_t;

enum opt_kind {
    OPT_END = 0,     /* no arguments left */
    OPT_HELP = 1,    /* "-h" or "--help" */
    OPT_OPTION = 2,  /* an argument starting with '-' */
    OPT_OPERAND = 3, /* anything else (a path, or "name=value") */
};

/* Starts at argv[0]: pass the arguments after the command's own name. */
void opt_iter_init(opt_iter_t *it, int argc, char **argv);

/* Steps to the next argument and classifies it (enum opt_kind). */
int opt_iter_next(opt_iter_t *it);

/* Whether the current argument's name (before any '=') is exactly name. */
int opt_iter_is(const opt_iter_t *it, const char *name);

/* The current option's value: the text after '=', else the next argument
 * (which is then consumed, whatever it looks like). NULL when neither. */
const char *opt_iter_value(opt_iter_t *it);

/* A whole number in [lo, hi]: decimal digits only. Returns 0 or -1. */
int opt_parse_u64(const char *name, const char *text, uint64_t lo, uint64_t hi, uint64_t *out,
                  char *err, size_t errlen);

/* opt_parse_u64 into an int; lo must be >= 0. Returns 0 or -1. */
int opt_parse_int(const char *name, const char *text, int lo, int hi, int *out, char *err,
                  size_t errlen);

/* A number (digits, optional decimal part) in [lo, hi]. Returns 0 or -1. */
int opt_parse_double(const char *name, const char *text, double lo, double hi, double *out,
                     char *err, size_t errlen);

/* A duration in milliseconds, in [lo_ms, hi_ms]: "50ms", "2s", "500us",
 * "1.5min" or a bare number of milliseconds. With whole set, the value
 * must be a whole number of milliseconds ("1.5ms" is refused, "1.5s" is
 * 1500). Returns 0 or -1. */
int opt_parse_ms(const char *name, const char *text, double lo_ms, double hi_ms, int whole,
                 double *out, char *err, size_t errlen);

/* A fraction in [lo, hi]: "0.1" or "10%". A bare number above 1 is refused
 * as ambiguous (10% or 1000%?). Returns 0 or -1. */
int opt_parse_fraction(const char *name, const char *text, double lo, double hi, double *out,
                       char *err, size_t errlen);

/* Which of the '|'-separated choices text is: its index, or -1 with
 * "NAME: 'TEXT' is not one of a|b|c" in err. */
int opt_parse_choice(const char *name, const char *text, const char *choices, char *err,
                     size_t errlen);

#endif
