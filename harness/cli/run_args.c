#include "harness/cli/run_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_args_usage(void)
{
    printf("usage: concbench run [--model M[,M...]|all] [--requests N] [--concurrency C]\n"
           "                     [--latency-ms L] [--out DIR] [--repeat R] [--warmup W]\n"
           "                     [--scenario NAME|FILE] [--crash-after FRACTION]\n"
           "                     [--api URL] [--pg DSN] [--redis URL] [--sweep KEY=V1,V2...]\n"
           "                     [--baseline FILE] [--save-baseline FILE] [key=value ...]\n"
           "Every knob can be given as --knob-name VALUE, --knob-name=VALUE or "
           "knob_name=VALUE;\n`concbench list` shows them all with their defaults.\n");
}

/* Parses run's arguments into cfg: the scenario file first, then the
 * command line in order, so the command line wins. */
int run_args_parse(int argc, char **argv, config_t *cfg)
{
    char err[512], name[128];
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < argc; i++) {
            const char *a = argv[i], *val = NULL;
            size_t n;
            if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                run_args_usage();
                exit(0);
            }
            if (strncmp(a, "--", 2) == 0) {
                const char *eq = strchr(a, '=');
                n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
                if (n == 0 || n >= sizeof name) {
                    fprintf(stderr, "concbench: bad option '%s'\n", a);
                    return -1;
                }
                memcpy(name, a + 2, n);
                name[n] = '\0';
                if (eq) {
                    val = eq + 1;
                } else if (i + 1 < argc) {
                    val = argv[++i];
                } else {
                    fprintf(stderr, "concbench: option '%s' needs a value\n", a);
                    return -1;
                }
            } else if (strchr(a, '=')) {
                n = (size_t)(strchr(a, '=') - a);
                if (n == 0 || n >= sizeof name) {
                    fprintf(stderr, "concbench: bad setting '%s'\n", a);
                    return -1;
                }
                memcpy(name, a, n);
                name[n] = '\0';
                val = a + n + 1;
            } else {
                fprintf(stderr, "concbench: unexpected argument '%s' (try concbench run --help)\n",
                        a);
                return -1;
            }
            for (char *p = name; *p; p++)
                if (*p == '-')
                    *p = '_';
            if (strcmp(name, "models") == 0)
                strcpy(name, "model");
            if ((pass == 0) != (strcmp(name, "scenario") == 0))
                continue;
            if (strcmp(name, "sweep") == 0 && cfg->sweep[0]) {
                /* Several --sweep options make a grid. */
                char joined[2048];
                snprintf(joined, sizeof joined, "%s;%s", cfg->sweep, val);
                if (config_set(cfg, name, joined, err, sizeof err))
                    return -1;
                continue;
            }
            if (config_set(cfg, name, val, err, sizeof err)) {
                fprintf(stderr, "concbench: %s\n", err);
                return -1;
            }
            if (pass == 0 && config_load_file(cfg, val, err, sizeof err)) {
                fprintf(stderr, "concbench: %s\n", err);
                return -1;
            }
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
        const model_ops_t *m = model_find(tok);
        if (!m) {
            fprintf(stderr, "concbench: unknown model '%s' (concbench list shows the models)\n",
                    tok);
            free(copy);
            return -1;
        }
        if (n < cap)
            out[n++] = m;
    }
    free(copy);
    if (n == 0)
        fprintf(stderr, "concbench: --model names no model\n");
    return n ? n : -1;
}
