/* concbench: the harness CLI. `run` starts what the run needs, runs each
 * model in a fresh child, verifies, reports; `list` prints models and knobs.
 * Exit status (the contract): 0 all runs verified; 1 a run failed
 * verification; 2 bad usage or an incomplete run; 128 + the signal when
 * interrupted (130, 143, 129, 131). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <uv.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/term.h"
#include "common/version.h"
#include "harness/cli/compare_cmd.h"
#include "harness/cli/measure_cmd.h"
#include "harness/cli/plot_cmd.h"
#include "harness/cli/run_args.h"
#include "harness/cli/run_cmd.h"
#include "harness/config/config.h"
#include "harness/config/paths.h"
#include "models/external/external.h"
#include "models/model.h"

/* `concbench --version`: what was built, from which commit, against
 * which libraries (the ones linked in, as they report themselves). */
static void print_version(void)
{
    int pq = PQlibVersion();
    printf("concbench %s (git %s, %s build)\n", cb_version, cb_git_commit, CONCBENCH_BUILD_TYPE);
    printf("libcurl %s, libuv %s, libpq %d.%d, jansson %s, hiredis %d.%d.%d\n",
           curl_version_info(CURLVERSION_NOW)->version, uv_version_string(), pq / 10000, pq % 10000,
           JANSSON_VERSION, HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
}

static void usage(FILE *f)
{
    fprintf(f,
            "%s"
            "       concbench compare BASELINE RESULTS [--threshold 10%%] "
            "[--metric wall,cpu,rss,errors,p99]\n"
            "                         [--max-error-rate F] [--max-p99-ms D] [--max-mem-mib M]\n"
            "       concbench measure [--memory-method M] [--sample-ms D] [--json] -- COMMAND "
            "[ARGS...]\n"
            "       concbench plot DIR\n",
            run_args_synopsis);
    for (int i = 0; model_registry[i]; i++)
        if (model_registry[i]->command)
            fprintf(f, "       concbench %s %s\n", model_registry[i]->command,
                    model_registry[i]->command_usage);
    fprintf(f, "       concbench list [models|scenarios|knobs]\n"
               "       concbench --version\n"
               "Every knob can be given as --knob-name VALUE, --knob-name=VALUE or "
               "knob_name=VALUE;\n`concbench list` shows them all with their defaults. "
               "--no-color (or NO_COLOR=1) turns colour off.\n"
               "Each command has --help; man concbench describes them all.\n");
}

/* The model that registered `name` as its subcommand, or NULL. */
static const model_ops_t *model_command_find(const char *name)
{
    for (int i = 0; model_registry[i]; i++)
        if (model_registry[i]->command && strcmp(model_registry[i]->command, name) == 0)
            return model_registry[i];
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A scenario's description: its header comment ("# name — what it
 * asks ..."), the lines joined, up to the end of the first sentence ('.',
 * '?' or '!' before a space or the comment's end), so that nothing is cut
 * mid-sentence. Writes "" when the file has no header. */
static void scenario_describe(const char *path, char *out, size_t cap)
{
    char line[512];
    size_t len = 0;
    FILE *f = fopen(path, "re");

    out[0] = '\0';
    while (f && fgets(line, sizeof line, f) && line[0] == '#' && len + 1 < cap) {
        const char *text = line + 1 + (line[1] == ' '), *dash;
        line[strcspn(line, "\n")] = '\0';
        /* "# name — what it asks": keep what it asks. */
        if (len == 0 && (dash = strstr(text, " — ")))
            text = dash + strlen(" — ");
        len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? " " : "", text);
        if (len >= cap)
            len = cap - 1;
        for (char *p = out; *p; p++)
            if (strchr(".?!", *p) && (p[1] == ' ' || p[1] == '\0')) {
                p[1] = '\0';
                len = cap; /* done */
                break;
            }
    }
    if (f)
        fclose(f);
}

/* Prints each preset's name and what it asks (names_only: the names). */
static void list_scenarios(int names_only)
{
    DIR *d = opendir(config_scenario_dir());
    struct dirent *e;
    char *names[64];
    int n = 0;
    if (!d) {
        printf("  (none: %s is missing)\n", config_scenario_dir());
        return;
    }
    while ((e = readdir(d)) && n < 64) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".conf") == 0)
            names[n++] = strndup(e->d_name, len - 5);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX], what[1024];
        if (names_only) {
            printf("%s\n", names[i]);
            free(names[i]);
            continue;
        }
        snprintf(path, sizeof path, "%s/%s.conf", config_scenario_dir(), names[i]);
        scenario_describe(path, what, sizeof what);
        printf("  %-12s %s\n", names[i], what);
        free(names[i]);
    }
}

static void list_external_name(const char *name, const model_ops_t *m, const char *err, void *arg)
{
    (void)err;
    (void)arg;
    if (m)
        printf("%s\n", name);
}

/* Every model's name, built-in and external (usable ones only). */
static void list_model_names(void)
{
    for (int m = 0; model_registry[m]; m++)
        printf("%s\n", model_registry[m]->name);
    external_model_list(list_external_name, NULL);
}

static void list_model(const model_ops_t *m)
{
    printf("  %-16s %s\n", m->name, m->summary);
    printf("  %-16s knobs: %s; crash injection: %s\n", "", m->knobs[0] ? m->knobs : "none",
           m->crash_na ? "not applicable" : "yes");
}

static void list_external(const char *name, const model_ops_t *m, const char *err, void *arg)
{
    (void)arg;
    if (m)
        list_model(m);
    else
        printf("  %-16s (unusable: %s)\n", name, err);
}

/* `concbench list models|scenarios|knobs`: the bare names, one a line,
 * for scripts and shell completion. Returns the exit status. */
static int cmd_list_names(const char *what)
{
    int i = opt_parse_choice("list", what, "models|scenarios|knobs", NULL, 0);
    if (i < 0) {
        log_error("list: '%s' is not one of models, scenarios, knobs (or nothing for all)", what);
        return CB_EXIT_USAGE;
    }
    if (i == 0)
        list_model_names();
    else if (i == 2)
        for (const knob_t *k = config_knobs; k->name; k++)
            printf("%s\n", k->name);
    else
        list_scenarios(1);
    return CB_EXIT_OK;
}

static int cmd_list(int argc, char **argv)
{
    char buf[64];
    config_t cfg;
    if (argc > 1) {
        log_error("list: want at most one of models, scenarios, knobs");
        return CB_EXIT_USAGE;
    }
    if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("usage: concbench list [models|scenarios|knobs]\n"
               "Without an argument: every model, scenario and knob, described. With one: the\n"
               "bare names, one a line (for scripts and shell completion).\n");
        return CB_EXIT_OK;
    }
    if (argc == 1)
        return cmd_list_names(argv[0]);
    if (config_init(&cfg)) {
        log_error("out of memory");
        return CB_EXIT_USAGE;
    }
    printf("Models:\n");
    for (int i = 0; model_registry[i]; i++)
        list_model(model_registry[i]);
    printf("\nExternal models (--model NAME; files in %s; any program: --model exec:PATH):\n",
           external_dir());
    if (external_model_list(list_external, NULL) == 0)
        printf("  (none)\n");
    printf("\nScenarios (--scenario NAME; files in %s):\n", config_scenario_dir());
    list_scenarios(0);
    printf("\nKnobs (--name value, --name=value or name=value; '-' and '_' are the same):\n");
    for (const knob_t *k = config_knobs; k->name; k++) {
        config_format(&cfg, k, buf, sizeof buf);
        printf("  %-18s %-12s %s\n", k->name, buf[0] ? buf : "-", k->help);
    }
    config_free(&cfg);
    return CB_EXIT_OK;
}

/* --no-color may stand anywhere before a "--" (after it, the words are a
 * measured command's): it is taken out of argv and turns colour off. */
static int main_take_no_color(int argc, char **argv)
{
    int n = 0, seen_dashes = 0;

    for (int i = 0; i < argc; i++) {
        seen_dashes |= strcmp(argv[i], "--") == 0;
        if (!seen_dashes && i > 0 &&
            (strcmp(argv[i], "--no-color") == 0 || strcmp(argv[i], "--no-colour") == 0)) {
            term_colour_disable();
            continue;
        }
        argv[n++] = argv[i];
    }
    argv[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    int rc;

    argc = main_take_no_color(argc, argv);
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CB_EXIT_USAGE : CB_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        print_version();
        return CB_EXIT_OK;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("libcurl failed to initialise");
        return CB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "run") == 0) {
        rc = run_cmd(argc - 2, argv + 2);
    } else if (strcmp(argv[1], "compare") == 0) {
        rc = compare_cmd(argc - 2, argv + 2);
    } else if (strcmp(argv[1], "measure") == 0) {
        rc = measure_cmd(argc - 2, argv + 2);
    } else if (strcmp(argv[1], "plot") == 0) {
        rc = plot_cmd(argc - 2, argv + 2);
    } else if (model_command_find(argv[1])) {
        rc = model_command_find(argv[1])->command_main(argc - 2, argv + 2);
    } else if (strcmp(argv[1], "list") == 0) {
        rc = cmd_list(argc - 2, argv + 2);
    } else {
        log_error("unknown command '%s'", argv[1]);
        usage(stderr);
        rc = CB_EXIT_USAGE;
    }
    curl_global_cleanup();
    return rc;
}
