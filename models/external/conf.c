/* Finding external models: `exec:PATH` and the model files
 * models/external/NAME.conf (docs/external-models.md, "Naming"). */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/datadir.h"
#include "models/external/external.h"

const char *external_dir(void)
{
    static char dir[PATH_MAX];
    if (!dir[0])
        datadir_find("models/external", CONCBENCH_EXTERNAL_DIR, dir, sizeof dir);
    return dir;
}

/* A model name: lower-case letters, digits, '.', '_' and '-', starting
 * with a letter or digit; it becomes part of file names and run ids. */
static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(((external_spec_t *)0)->name) - 5 || !isalnum((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && !strchr("._-", s[i]))
            return 0;
    return 1;
}

/* Splits command at spaces and tabs into x->argv; a word with a '/' that
 * is not absolute is taken relative to dir (the model file's folder), so
 * a model file names its program where it lies. Returns 0, or -1 with
 * err set. */
static int spec_set_command(external_spec_t *x, const char *command, const char *dir, char *err,
                            size_t errlen)
{
    char *copy = strdup(command), *save = NULL;
    int n = 0;

    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (n == (int)(sizeof x->argv / sizeof *x->argv) - 1) {
            snprintf(err, errlen, "the command has more than %d words",
                     (int)(sizeof x->argv / sizeof *x->argv) - 1);
            free(copy);
            return -1;
        }
        if (dir && w[0] != '/' && strchr(w, '/')) {
            size_t len = strlen(dir) + strlen(w) + 2;
            if (!(x->argv[n] = malloc(len)))
                break;
            snprintf(x->argv[n], len, "%s/%s", dir, w);
        } else if (!(x->argv[n] = strdup(w))) {
            break;
        }
        n++;
    }
    free(copy);
    x->argv[n] = NULL;
    if (n == 0) {
        snprintf(err, errlen, "the command is empty");
        return -1;
    }
    if (strchr(x->argv[0], '/') && access(x->argv[0], X_OK) != 0) {
        snprintf(err, errlen, "'%s' is not an executable file (chmod +x, or name its interpreter)",
                 x->argv[0]);
        return -1;
    }
    return 0;
}

/* Every external model made, kept for the life of the process (the
 * harness holds pointers to them until it exits): the list keeps them
 * reachable, so leak checkers do not count them. */
struct external_model {
    model_ops_t ops;
    struct external_model *next;
};
static struct external_model *external_models;

static model_ops_t *ops_new(external_spec_t *x, const char *summary, const char *knobs,
                            const char *crash_na, int needs_redis)
{
    struct external_model *e = calloc(1, sizeof *e);
    model_ops_t *m;
    if (!e)
        return NULL;
    e->next = external_models;
    external_models = e;
    m = &e->ops;
    m->name = x->name;
    m->summary = strdup(summary);
    m->knobs = strdup(knobs);
    m->crash_na = crash_na ? strdup(crash_na) : NULL;
    m->needs_redis = needs_redis;
    m->run = external_run;
    m->priv = x;
    return m;
}

static const model_ops_t *exec_find(const char *path, char *err, size_t errlen)
{
    external_spec_t *x = calloc(1, sizeof *x);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t k = 0;

    if (!x) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k = (size_t)snprintf(x->name, sizeof x->name, "exec-");
    for (; *base && k < sizeof x->name - 1; base++)
        x->name[k++] = isalnum((unsigned char)*base) || strchr("._-", *base) ? *base : '-';
    x->name[k] = '\0';
    if (!path[0] || !(x->argv[0] = strdup(path)) || access(path, X_OK) != 0) {
        snprintf(err, errlen, "--model exec:%s: not an executable file (give its path; chmod +x)",
                 path);
        free(x->argv[0]);
        free(x);
        return NULL;
    }
    return ops_new(x, "external program (exec:)", "",
                   "exec: models declare no workers; use a model file with crash = workers", 0);
}

/* Trims spaces at both ends in place. */
static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && strchr(" \t\r\n", e[-1]))
        *--e = '\0';
    return s;
}

/* Reads the model file of name. Returns the model or NULL with err set. */
static const model_ops_t *conf_load(const char *name, char *err, size_t errlen)
{
    char path[PATH_MAX], line[1024], summary[256] = "", command[768] = "", knobs[256] = "",
                                     crash[256] = "no: the model file says no crash = workers";
    int needs_redis = 0, lineno = 0, have_crash_na = 1, w;
    external_spec_t *x;
    FILE *f;

    w = snprintf(path, sizeof path, "%s/%s.conf", external_dir(), name);
    if (w < 0 || (size_t)w >= sizeof path) {
        snprintf(err, errlen, "model file path for '%.64s' too long", name);
        return NULL;
    }
    if (!(f = fopen(path, "re"))) {
        snprintf(err, errlen,
                 "unknown model '%s': not a built-in model and no %s (concbench list shows the "
                 "models)",
                 name, path);
        return NULL;
    }
    while (fgets(line, sizeof line, f)) {
        char *eq, *key, *val;
        lineno++;
        key = trim(line);
        if (!key[0] || key[0] == '#')
            continue;
        if (!(eq = strchr(key, '='))) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
            goto fail;
        }
        *eq = '\0';
        key = trim(key);
        val = trim(eq + 1);
        if (strcmp(key, "summary") == 0 && strlen(val) < sizeof summary) {
            strcpy(summary, val);
        } else if (strcmp(key, "command") == 0 && strlen(val) < sizeof command) {
            strcpy(command, val);
        } else if (strcmp(key, "knobs") == 0 && strlen(val) < sizeof knobs) {
            strcpy(knobs, val);
        } else if (strcmp(key, "needs_redis") == 0 &&
                   (strcmp(val, "0") == 0 || strcmp(val, "1") == 0)) {
            needs_redis = val[0] == '1';
        } else if (strcmp(key, "crash") == 0 && strcmp(val, "workers") == 0) {
            have_crash_na = 0;
        } else if (strcmp(key, "crash") == 0 && strncmp(val, "no:", 3) == 0 &&
                   strlen(val) < sizeof crash && trim(val + 3)[0]) {
            snprintf(crash, sizeof crash, "%s", trim(val + 3));
            have_crash_na = 1;
        } else {
            snprintf(err, errlen,
                     "%s:%d: '%s' is not summary, command, knobs, needs_redis (0|1) or crash "
                     "(workers | no: REASON), or its value is malformed or too long",
                     path, lineno, key);
            goto fail;
        }
    }
    fclose(f);
    f = NULL;
    if (!summary[0] || !command[0]) {
        snprintf(err, errlen, "%s: needs a summary and a command", path);
        return NULL;
    }
    if (!(x = calloc(1, sizeof *x))) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(x->name, sizeof x->name, "%s", name);
    if (spec_set_command(x, command, external_dir(), err, errlen)) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s: %s", path, why);
        for (int i = 0; x->argv[i]; i++)
            free(x->argv[i]);
        free(x);
        return NULL;
    }
    return ops_new(x, summary, knobs, have_crash_na ? crash : NULL, needs_redis);
fail:
    if (f)
        fclose(f);
    return NULL;
}

const model_ops_t *external_model_find(const char *name, char *err, size_t errlen)
{
    const model_ops_t *m;
    err[0] = '\0';
    if (strncmp(name, "exec:", 5) == 0)
        m = exec_find(name + 5, err, errlen);
    else if (!name_ok(name)) {
        snprintf(err, errlen,
                 "unknown model '%s' (concbench list shows the models; an external program is "
                 "exec:PATH)",
                 name);
        return NULL;
    } else
        m = conf_load(name, err, errlen);
    if (!m && !err[0])
        snprintf(err, errlen, "out of memory");
    return m;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int external_model_list(void (*fn)(const char *name, const model_ops_t *m, const char *err,
                                   void *arg),
                        void *arg)
{
    DIR *d = opendir(external_dir());
    struct dirent *e;
    char *names[256], err[512];
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".conf") == 0)
            names[n++] = strndup(e->d_name, len - 5);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        const model_ops_t *m = names[i] ? external_model_find(names[i], err, sizeof err) : NULL;
        fn(names[i] ? names[i] : "?", m, m ? NULL : err, arg);
        free(names[i]);
    }
    return n;
}
