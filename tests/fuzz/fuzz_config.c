/* libFuzzer target: the scenario-file parser (config_load_file in
 * harness/config.c).
 *
 * The input is written to a memfd and loaded through its /proc/self/fd path,
 * exactly as `concbench run --scenario FILE` would read it. Checked:
 *   - it returns 0 or -1, and on -1 the message is one line that names the
 *     file, and a line number within the file when it blames a line;
 *   - on 0 every knob holds a value its table row allows (numbers within
 *     [min, max], strings among their choices), and formatting a knob and
 *     setting it back is a fixed point, as results.json's copy of the
 *     configuration relies on;
 *   - nothing leaks (libFuzzer's LeakSanitizer checks every input).
 * A violation aborts, which libFuzzer reports as a crash with the input. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/config/config.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_config: invariant failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void fuzz_knob_check(const config_t *c, const knob_t *k)
{
    const void *p = (const char *)c + k->offset;
    char text[512], again[512], err[512];
    config_t d;

    switch (k->type) {
    case KNOB_INT:
        FUZZ_CHECK(*(const int *)p >= k->min && *(const int *)p <= k->max);
        break;
    case KNOB_U32:
        FUZZ_CHECK(*(const uint32_t *)p >= k->min && *(const uint32_t *)p <= k->max);
        break;
    case KNOB_U64:
        /* Compared as integers: a double rounds values near 2^64. */
        FUZZ_CHECK(*(const uint64_t *)p >= (uint64_t)k->min);
        if (k->max < 18446744073709551616.0)
            FUZZ_CHECK(*(const uint64_t *)p <= (uint64_t)k->max);
        break;
    case KNOB_DOUBLE:
        FUZZ_CHECK(isfinite(*(const double *)p));
        FUZZ_CHECK(*(const double *)p >= k->min && *(const double *)p <= k->max);
        break;
    case KNOB_STR: {
        const char *s = *(char *const *)p;
        FUZZ_CHECK(s != NULL);
        if (k->choices) {
            size_t n = strlen(s);
            const char *hit = strstr(k->choices, s);
            /* s must be one whole '|'-separated choice. */
            while (hit &&
                   !((hit == k->choices || hit[-1] == '|') && (hit[n] == '\0' || hit[n] == '|')))
                hit = strstr(hit + 1, s);
            FUZZ_CHECK(n > 0 && hit != NULL);
        }
        break;
    }
    case KNOB_CHOICE: {
        /* An index into the choices: 0 up to the number of '|'. */
        int n = 0;
        for (const char *q = k->choices; *q; q++)
            n += *q == '|';
        FUZZ_CHECK(*(const int *)p >= 0 && *(const int *)p <= n);
        break;
    }
    }
    /* format → set → format is a fixed point. */
    config_format(c, k, text, sizeof text);
    FUZZ_CHECK(config_init(&d) == 0);
    if (k->type != KNOB_STR || strlen(text) < sizeof text - 1) {
        FUZZ_CHECK(config_set(&d, k->name, text, err, sizeof err) == 0);
        config_format(&d, k, again, sizeof again);
        FUZZ_CHECK(strcmp(text, again) == 0);
    }
    config_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    char path[64], err[512];
    config_t c;
    size_t lines = 1;
    int rc;

    if (fd < 0) {
        fd = memfd_create("fuzz-scenario", MFD_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "fuzz_config: memfd_create: %s\n", strerror(errno));
            abort();
        }
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';

    FUZZ_CHECK(config_init(&c) == 0);
    err[0] = '\0';
    rc = config_load_file(&c, path, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        for (const knob_t *k = config_knobs; k->name; k++)
            fuzz_knob_check(&c, k);
    } else {
        size_t plen = strlen(path);
        FUZZ_CHECK(err[0] != '\0');
        FUZZ_CHECK(strchr(err, '\n') == NULL);
        FUZZ_CHECK(strncmp(err, path, plen) == 0);
        if (err[plen] == ':' && err[plen + 1] >= '0' && err[plen + 1] <= '9') {
            long line = strtol(err + plen + 1, NULL, 10);
            FUZZ_CHECK(line >= 1 && (size_t)line <= lines);
        }
    }
    config_free(&c);
    return 0;
}
