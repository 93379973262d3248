#include "harness/report/chart.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "harness/config/paths.h"

/* The private folders' names: PREFIX<owner pid>-XXXXXX. */
#define CHART_WORK_PREFIX "concbench-plot-"

/* Fixed colours for the five models (colour-blind-safe Okabe–Ito hues), so
 * a model looks the same in every chart and every results folder; other
 * models take the extra colours in turn. */
static const struct {
    const char *name, *color;
} chart_known_models[] = {
    {"unbounded-loop", "#E69F00"}, {"semaphore-loop", "#56B4E9"}, {"process-pool", "#009E73"},
    {"thread-pool", "#0072B2"},    {"stream-workers", "#CC79A7"},
};
#define CHART_NKNOWN ((int)(sizeof chart_known_models / sizeof chart_known_models[0]))

/* Enough for the six Python reference models beside the built-in five
 * (scenarios/python.conf) before a colour repeats. */
static const char *const chart_extra_colors[] = {"#7F7F7F", "#8C564B", "#000000", "#BCBD22",
                                                 "#D62728", "#17BECF", "#9467BD", "#2CA02C"};
#define CHART_NEXTRA ((int)(sizeof chart_extra_colors / sizeof chart_extra_colors[0]))

int chart_model_rank(const char *model)
{
    for (int k = 0; k < CHART_NKNOWN; k++)
        if (strcmp(chart_known_models[k].name, model) == 0)
            return k;
    return CHART_NKNOWN;
}

const char *chart_model_color(const char *model, int *extra)
{
    int r = chart_model_rank(model);
    if (r < CHART_NKNOWN)
        return chart_known_models[r].color;
    return chart_extra_colors[extra ? (*extra)++ % CHART_NEXTRA : 0];
}

char *chart_file_read(const char *dir, const char *name, size_t *len)
{
    char path[PATH_MAX];
    FILE *f;
    char *buf = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "re");
    if (!f)
        return NULL;
    *len = 0;
    for (;;) {
        if (*len + 4096 + 1 > cap) {
            char *p = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t r = fread(buf + *len, 1, cap - *len - 1, f);
        *len += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    } else {
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* Copies from/name to to/name. Returns 0, or -1 with the reason in err. */
static int chart_copy(const char *from, const char *to, const char *name, char *err, size_t errlen)
{
    size_t len;
    char *text = chart_file_read(from, name, &len);
    int rc;
    if (!text) {
        snprintf(err, errlen, "cannot read %s/%s: %s", from, name, strerror(errno));
        return -1;
    }
    rc = atomic_file_write(to, name, text, len, err, errlen);
    free(text);
    return rc;
}

int chart_script_copy(const char *dir, const char *name, char *err, size_t errlen)
{
    return chart_copy(config_plots_dir(), dir, name, err, errlen);
}

void chart_gp_string(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("''", f);
        else if (*s == '\n')
            fputs("'.\"\\n\".'", f);
        else if ((unsigned char)*s < 0x20 || *s == 0x7f)
            fputc(' ', f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

int chart_gnuplot_find(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        struct stat st;
        snprintf(out, cap, "%.*s/gnuplot", n ? (int)n : 1, n ? path : ".");
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
        path += n + (path[n] == ':');
    }
    log_warn("gnuplot not found: charts skipped; install gnuplot-nox (scripts/install-deps.sh)");
    return -1;
}

/* Reads fd to its end, keeping the last cap - 1 bytes in tail (gnuplot's
 * error is at the end of what it says). Returns the bytes kept. */
static size_t chart_read_tail(int fd, char *tail, size_t cap)
{
    char chunk[1024];
    size_t used = 0;
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (used + (size_t)r > cap - 1) {
            size_t drop = used + (size_t)r - (cap - 1);
            drop = drop > used ? used : drop;
            memmove(tail, tail + drop, used - drop);
            used -= drop;
        }
        memcpy(tail + used, chunk, (size_t)r);
        used += (size_t)r;
    }
    tail[used] = '\0';
    return used;
}

/* The child: gnuplot in dir, stdin and stdout on /dev/null, stderr into
 * the pipe, in a process group of its own so that a Ctrl-C on the
 * terminal reaches only the harness (which finishes the chart and then
 * reports the interruption) and not gnuplot. Only async-signal-safe
 * calls between fork and exec. */
static void chart_gnuplot_exec(const char *gnuplot, const char *dir, const char *script, int errfd)
{
    static const char fail[] = "cannot start gnuplot\n";
    int null;

    setpgid(0, 0);
    null = open("/dev/null", O_RDWR);
    if (null < 0 || chdir(dir) || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(errfd, 2) < 0)
        _exit(127);
    execl(gnuplot, "gnuplot", script, (char *)NULL);
    if (write(2, fail, sizeof fail - 1) < 0)
        _exit(127);
    _exit(127);
}

int chart_gnuplot_start(const char *gnuplot, const char *dir, const char *script, chart_proc_t *p,
                        char *err, size_t errlen)
{
    int pfd[2];
    p->pid = -1;
    p->fd = -1;
    snprintf(p->script, sizeof p->script, "%s", script);
    if (pipe2(pfd, O_CLOEXEC)) {
        snprintf(err, errlen, "cannot run gnuplot: pipe: %s", strerror(errno));
        return -1;
    }
    p->pid = fork();
    if (p->pid < 0) {
        snprintf(err, errlen, "cannot run gnuplot: fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (p->pid == 0)
        chart_gnuplot_exec(gnuplot, dir, script, pfd[1]);
    setpgid(p->pid, p->pid); /* also here: whichever runs first */
    close(pfd[1]);
    p->fd = pfd[0];
    return 0;
}

int chart_gnuplot_finish(chart_proc_t *p, char *err, size_t errlen)
{
    char tail[2048], *line;
    size_t used;
    int status = 0;

    used = chart_read_tail(p->fd, tail, sizeof tail);
    close(p->fd);
    p->fd = -1;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    p->pid = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    while (used && (tail[used - 1] == '\n' || tail[used - 1] == ' '))
        tail[--used] = '\0';
    line = strrchr(tail, '\n');
    if (WIFSIGNALED(status))
        snprintf(err, errlen, "gnuplot died of signal %d on %s", WTERMSIG(status), p->script);
    else
        snprintf(err, errlen, "gnuplot failed on %s: %.300s", p->script,
                 used ? (line ? line + 1 : tail) : "no message");
    return -1;
}

int chart_gnuplot_run(const char *gnuplot, const char *dir, const char *script, char *err,
                      size_t errlen)
{
    chart_proc_t p;
    if (chart_gnuplot_start(gnuplot, dir, script, &p, err, errlen))
        return -1;
    return chart_gnuplot_finish(&p, err, errlen);
}

/* Removes the files of a flat folder of ours, then the folder. Returns 0
 * or -1 (errno set by rmdir). */
static int chart_rm_flat(const char *dir)
{
    char path[PATH_MAX + 256];
    DIR *d;
    struct dirent *de;
    if ((d = opendir(dir)) != NULL) {
        while ((de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                unlink(path);
            }
        closedir(d);
    }
    return rmdir(dir);
}

/* Folders of ours left in tmp by a concbench that died while drawing
 * (SIGKILL, a second Ctrl-C): each name carries its owner's PID, and a
 * folder whose owner is gone is removed. */
static void chart_work_sweep(const char *tmp)
{
    char path[PATH_MAX + 256];
    struct dirent *de;
    struct stat st;
    DIR *d = opendir(tmp);
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        int pid = 0, n = 0;
        if (sscanf(de->d_name, CHART_WORK_PREFIX "%d-%n", &pid, &n) != 1 || n == 0 || pid <= 0 ||
            pid == (int)getpid() || kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmp, de->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
            chart_rm_flat(path);
    }
    closedir(d);
}

int chart_work_open(chart_work_t *w, const char *src, const char *const *inputs, char *err,
                    size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || tmp[0] != '/' || strlen(tmp) > sizeof w->dir - 64)
        tmp = "/tmp";
    w->src = src;
    chart_work_sweep(tmp);
    snprintf(w->dir, sizeof w->dir, "%s/" CHART_WORK_PREFIX "%d-XXXXXX", tmp, (int)getpid());
    if (!mkdtemp(w->dir)) {
        snprintf(err, errlen, "cannot create a private folder for gnuplot (%s): %s", w->dir,
                 strerror(errno));
        w->dir[0] = '\0';
        return -1;
    }
    if (chart_script_copy(w->dir, CHART_COMMON_SCRIPT, err, errlen))
        return -1;
    for (; *inputs; inputs++)
        if (chart_copy(src, w->dir, *inputs, err, errlen))
            return -1;
    return 0;
}

int chart_work_start(chart_work_t *w, const char *gnuplot, const char *stem, chart_proc_t *p,
                     char *err, size_t errlen)
{
    char name[160];
    p->pid = p->fd = -1;
    snprintf(name, sizeof name, "%s.gp", stem);
    if (chart_script_copy(w->dir, name, err, errlen))
        return -1;
    return chart_gnuplot_start(gnuplot, w->dir, name, p, err, errlen);
}

int chart_work_finish(chart_work_t *w, const char *stem, chart_proc_t *p, char *err, size_t errlen)
{
    static const char *const ext[] = {"png", "svg"};
    char name[160], dest[PATH_MAX];
    if (chart_gnuplot_finish(p, err, errlen))
        return -1;
    for (int e = 0; e < 2; e++) {
        snprintf(name, sizeof name, "%s.%s", stem, ext[e]);
        if (chart_copy(w->dir, w->src, name, err, errlen)) {
            /* No chart of this stem is left half-updated. */
            for (int k = 0; k < 2; k++) {
                snprintf(dest, sizeof dest, "%s/%s.%s", w->src, stem, ext[k]);
                unlink(dest);
            }
            return -1;
        }
    }
    return 0;
}

int chart_work_draw(chart_work_t *w, const char *gnuplot, const char *stem, char *err,
                    size_t errlen)
{
    chart_proc_t p;
    if (chart_work_start(w, gnuplot, stem, &p, err, errlen))
        return -1;
    return chart_work_finish(w, stem, &p, err, errlen);
}

void chart_work_close(chart_work_t *w)
{
    if (!w->dir[0])
        return;
    /* Only we can write the folder (mkdtemp, 0700): its entries are ours. */
    if (chart_rm_flat(w->dir))
        log_warn("cannot remove %s: %s", w->dir, strerror(errno));
    w->dir[0] = '\0';
}

int chart_script_run(const char *dir, const char *script, const char *const *inputs, char *err,
                     size_t errlen)
{
    char gnuplot[PATH_MAX], stem[128];
    chart_work_t w;
    int rc;
    snprintf(stem, sizeof stem, "%.*s", (int)strcspn(script, "."), script);
    if (chart_script_copy(dir, CHART_COMMON_SCRIPT, err, errlen) ||
        chart_script_copy(dir, script, err, errlen))
        return -1;
    if (chart_gnuplot_find(gnuplot, sizeof gnuplot))
        return 1;
    rc = chart_work_open(&w, dir, inputs, err, errlen);
    if (rc == 0)
        rc = chart_work_draw(&w, gnuplot, stem, err, errlen);
    chart_work_close(&w);
    return rc;
}
