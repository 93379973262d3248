#include "harness/config/limit_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/opt.h"

/* One value of kind, in its range: durations up to an hour, fractions up
 * to 100%, memory up to 1 TiB. */
static int limit_value_parse(const char *name, limit_kind_t kind, const char *text, double *v,
                             char *err, size_t errlen)
{
    switch (kind) {
    case LIMIT_KIND_DURATION_MS:
        return opt_parse_ms(name, text, 0, 3600000, 0, v, err, errlen);
    case LIMIT_KIND_FRACTION:
        return opt_parse_fraction(name, text, 0, 1, v, err, errlen);
    default:
        return opt_parse_double(name, text, 0, 1048576, v, err, errlen);
    }
}

/* Whether model has a limit of its own in s. */
static int limit_spec_named(const limit_spec_t *s, const char *model)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->model[i], model) == 0)
            return 1;
    return 0;
}

int limit_spec_parse(const char *name, limit_kind_t kind, const char *text, limit_spec_t *out,
                     char *err, size_t errlen)
{
    limit_spec_t s = {.all = -1};
    char *copy = strdup(text), *save = NULL;
    int rc = 0;

    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        double v;
        if (!eq) {
            if (s.all >= 0) {
                snprintf(err, errlen, "%s: '%s' gives two limits for every model", name, text);
                rc = -1;
            } else if ((rc = limit_value_parse(name, kind, item, &v, err, errlen)) == 0) {
                s.all = v;
            }
            continue;
        }
        *eq = '\0';
        if (eq == item || strlen(item) >= sizeof s.model[0]) {
            snprintf(err, errlen, "%s: '%s=%s': want MODEL=VALUE", name, item, eq + 1);
            rc = -1;
        } else if (limit_spec_named(&s, item)) {
            snprintf(err, errlen, "%s: model %s is named twice", name, item);
            rc = -1;
        } else if (s.n == LIMIT_SPEC_MODELS_MAX) {
            snprintf(err, errlen, "%s: at most %d models", name, LIMIT_SPEC_MODELS_MAX);
            rc = -1;
        } else if ((rc = limit_value_parse(name, kind, eq + 1, &v, err, errlen)) == 0) {
            snprintf(s.model[s.n], sizeof s.model[0], "%s", item);
            s.value[s.n++] = v;
        }
    }
    free(copy);
    if (rc == 0)
        *out = s;
    return rc;
}

double limit_spec_for(const limit_spec_t *s, const char *model)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->model[i], model) == 0)
            return s->value[i];
    return s->all;
}

int limit_spec_any(const limit_spec_t *s)
{
    return s->all >= 0 || s->n > 0;
}
