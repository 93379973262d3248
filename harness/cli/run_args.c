#include "harness/cli/run_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/opt.h"
#include "harness/config/paths.h"

const char run_args_synopsis[] =
    "usage: concbench run [--model M[,M...]|all] [--requests N] [--concurrency C]\n"
    "                     [--latency-ms L] [--out DIR] [--repeat R] [--warmup W]\n"
    "                     [--scenario NAME|FILE] [--crash-after FRACTION]\n"
    "                     [--api URL] [--pg DSN] [--redis URL] [--sweep KEY=V1,V2...]\n"
    "                     [--baseline FILE] [--save-baseline FILE] [--threshold T]\n"
    "                     [--max-error-rate F] [--max-p99-ms D] [--max-mem-mib M]\n"
    "                     [--progress 1|0|json] [--no-color] [key=value ...]\n";

void run_args_usage(void)
{
    printf("%s"
           "With no arguments, runs the default scenario (what ./run_all.sh runs).\n"
           "Every knob can be given as --knob-name VALUE, --knob-name=VALUE or "
           "knob_name=VALUE;\n`concbench list` shows them all with their defaults. Durations "
           "take units\n(50ms, 2s), fractions a percent sign (10%% or 0.1).\n",
           run_args_synopsis);
}

/* Splits the current argument into a knob name ('_' spelling, "models"
 * read as "model") and its value: "--name VALUE", "--name=VALUE" or
 * "name=VALUE". Returns 0, or -1 after printing why. */
static int run_args_split(opt_iter_t *it, int kind, char *name, size_t cap, const char **val)
{
    const char *a = it->arg;
    size_t n;

    if (kind == OPT_OPTION && strncmp(a, "--", 2) == 0) {
        n = it->name_len - 2;
        if (n == 0 || n >= cap) {
            log_error("bad option '%s'", a);
            return -1;
        }
        memcpy(name, a + 2, n);
        if (!(*val = opt_iter_value(it))) {
            log_error("option '%s' needs a value", a);
            return -1;
        }
    } else if (it->value) {
        n = it->name_len;
        if (n == 0 || n >= cap) {
            log_error("bad setting '%s'", a);
            return -1;
        }
        memcpy(name, a, n);
        *val = it->value;
    } else {
        log_error("unexpected argument '%s' (try concbench run --help)", a);
        return -1;
    }
    name[n] = '\0';
    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    if (strcmp(name, "models") == 0)
        strcpy(name, "model");
    return 0;
}

/* Sets one knob from the command line. Several --sweep options make a
 * grid: each further one is joined to the ones before with ';'. */
static int run_args_apply(config_t *cfg, const char *name, const char *val)
{
    char err[512], joined[2048];

    if (strcmp(name, "sweep") == 0 && cfg->sweep[0]) {
        snprintf(joined, sizeof joined, "%s;%s", cfg->sweep, val);
        val = joined;
    }
    if (config_set(cfg, name, val, err, sizeof err)) {
        log_error("%s", err);
        return -1;
    }
    if (strcmp(name, "scenario") == 0 && config_load_file(cfg, val, err, sizeof err)) {
        log_error("%s", err);
        return -1;
    }
    return 0;
}

/* Two passes over the same arguments: the first applies only the scenario
 * (and reports any malformed argument), the second everything else, so
 * the command line wins over the scenario wherever it stands. */
int run_args_parse(int argc, char **argv, config_t *cfg)
{
    static char *bare[] = {"--scenario", "default"};
    char name[128];
    const char *val;
    opt_iter_t it;
    int kind;

    /* A bare `concbench run` runs what ./run_all.sh runs, and says so,
     * rather than the knobs' defaults, which make no scenario. */
    if (argc == 0) {
        log_info("no arguments: running the default scenario (%s/default.conf); concbench run "
                 "--help shows the options",
                 config_scenario_dir());
        argc = 2;
        argv = bare;
    }

    for (int pass = 0; pass < 2; pass++) {
        opt_iter_init(&it, argc, argv);
        while ((kind = opt_iter_next(&it)) != OPT_END) {
            if (kind == OPT_HELP) {
                run_args_usage();
                exit(CB_EXIT_OK);
            }
            if (run_args_split(&it, kind, name, sizeof name, &val))
                return -1;
            if ((pass == 0) != (strcmp(name, "scenario") == 0))
                continue;
            if (run_args_apply(cfg, name, val))
                return -1;
        }
    }
    return 0;
}

/* Resolves the model list ("all" or comma-separated names). */
int run_args_models(const char *spec, const model_ops_t **out, int cap)
{
    char *copy = strdup(spec), *save = NULL;
    int n = 0;
    if (!copy)
        return -1;
    if (strcmp(spec, "all") == 0) {
        for (int i = 0; model_registry[i] && n < cap; i++)
            out[n++] = model_registry[i];
        free(copy);
        return n;
    }
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char err[512];
        const model_ops_t *m = model_find(tok, err, sizeof err);
        if (!m) {
            log_error("%s", err);
            free(copy);
            return -1;
        }
        for (int i = 0; i < n; i++)
            if (out[i] == m) {
                /* Twice in one round would measure it twice as one model. */
                log_error("--model names %s twice; name each model once (--repeat R runs "
                          "each R times)",
                          m->name);
                free(copy);
                return -1;
            }
        if (n < cap)
            out[n++] = m;
    }
    free(copy);
    if (n == 0)
        log_error("--model names no model");
    return n ? n : -1;
}
