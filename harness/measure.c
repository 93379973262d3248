#include "measure.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_V1_ROOT "/sys/fs/cgroup/memory"
#define MAX_TREE 4096

const char *mem_method_name(mem_method_t m)
{
    switch (m) {
    case MEM_CGROUP_V2:
        return "cgroup-v2";
    case MEM_CGROUP_V1:
        return "cgroup-v1";
    default:
        return "proc-pss";
    }
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;
    if (fd < 0)
        return -1;
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int read_u64(const char *path, uint64_t *v)
{
    FILE *f = fopen(path, "re");
    int ok;
    if (!f)
        return -1;
    ok = fscanf(f, "%lu", v) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* The unified hierarchy: mounted at /sys/fs/cgroup on pure v2 systems, at
 * /sys/fs/cgroup/unified on hybrid ones. It is usable only where the memory
 * controller is enabled for children of its root. */
static int cgroup_v2_root(char *out, size_t cap)
{
    static const char *const roots[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        char path[300], buf[512] = "";
        FILE *f;
        snprintf(path, sizeof path, "%s/cgroup.subtree_control", roots[i]);
        f = fopen(path, "re");
        if (!f)
            continue;
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
        if (strstr(buf, "memory")) {
            snprintf(out, cap, "%s", roots[i]);
            return 0;
        }
    }
    return -1;
}

void memwatch_init(memwatch_t *w, const char *tag)
{
    char root[256];
    memset(w, 0, sizeof *w);
    w->method = MEM_PROC_PSS;
    if (cgroup_v2_root(root, sizeof root) == 0) {
        snprintf(w->cgroup_dir, sizeof w->cgroup_dir, "%s/concbench-%d-%s", root, (int)getpid(),
                 tag);
        if (mkdir(w->cgroup_dir, 0755) == 0 || errno == EEXIST) {
            w->method = MEM_CGROUP_V2;
            return;
        }
    }
    snprintf(w->cgroup_dir, sizeof w->cgroup_dir, "%s/concbench-%d-%s", CG_V1_ROOT, (int)getpid(),
             tag);
    if (mkdir(w->cgroup_dir, 0755) == 0 || errno == EEXIST) {
        w->method = MEM_CGROUP_V1;
        return;
    }
    w->cgroup_dir[0] = '\0';
}

int memwatch_attach(memwatch_t *w, pid_t pid)
{
    char path[600], text[32];
    w->root = pid;
    if (w->method == MEM_PROC_PSS)
        return 0;
    snprintf(path, sizeof path, "%s/cgroup.procs", w->cgroup_dir);
    snprintf(text, sizeof text, "%d", (int)pid);
    if (write_file(path, text) == 0)
        return 0;
    rmdir(w->cgroup_dir);
    w->cgroup_dir[0] = '\0';
    w->method = MEM_PROC_PSS;
    return -1;
}

/* Parent pid and thread count from /proc/PID/stat (fields 4 and 20; the
 * command name in field 2 may hold spaces, so parse after the last ')'). */
static int proc_stat_fields(pid_t pid, pid_t *ppid, long *threads)
{
    char path[64], buf[1024], *p;
    int fd, n;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = (int)read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice num_threads */
    if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %ld",
               ppid, threads) != 2)
        return -1;
    return 0;
}

int measure_tree_pids(pid_t root, pid_t *pids, int cap)
{
    static pid_t all[65536], parent[65536];
    int n_all = 0, n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    long th;

    if (!d)
        return 0;
    while ((e = readdir(d)) && n_all < 65536) {
        pid_t pid = (pid_t)atoi(e->d_name);
        pid_t pp;
        if (pid <= 0 || proc_stat_fields(pid, &pp, &th))
            continue;
        all[n_all] = pid;
        parent[n_all++] = pp;
    }
    closedir(d);
    if (cap > 0)
        pids[n++] = root;
    /* Breadth-first over the parent links: pids[0..n) grows as children of
     * already-found processes turn up. */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n_all && n < cap; j++)
            if (parent[j] == pids[i])
                pids[n++] = all[j];
    return n;
}

static void smaps_rollup(pid_t pid, uint64_t *rss, uint64_t *pss)
{
    char path[64], line[256];
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        unsigned long kb;
        if (sscanf(line, "Rss: %lu kB", &kb) == 1)
            *rss += (uint64_t)kb * 1024;
        else if (sscanf(line, "Pss: %lu kB", &kb) == 1)
            *pss += (uint64_t)kb * 1024;
    }
    fclose(f);
}

void memwatch_sample(memwatch_t *w)
{
    static pid_t pids[MAX_TREE];
    int n = measure_tree_pids(w->root, pids, MAX_TREE);
    uint64_t rss = 0, pss = 0;
    long threads = 0;

    for (int i = 0; i < n; i++) {
        pid_t pp;
        long th = 0;
        if (proc_stat_fields(pids[i], &pp, &th) == 0)
            threads += th;
        if (w->method == MEM_PROC_PSS)
            smaps_rollup(pids[i], &rss, &pss);
    }
    if (n > w->processes_peak)
        w->processes_peak = n;
    if (threads > w->threads_peak)
        w->threads_peak = (int)threads;
    if (pss > w->peak_pss)
        w->peak_pss = pss;
    if (rss > w->peak_rss_sum)
        w->peak_rss_sum = rss;
}

uint64_t memwatch_finish(memwatch_t *w)
{
    char path[600];
    uint64_t peak = 0;
    switch (w->method) {
    case MEM_CGROUP_V2:
        snprintf(path, sizeof path, "%s/memory.peak", w->cgroup_dir);
        if (read_u64(path, &peak)) {
            /* Kernels before 5.19 have no memory.peak: fall back to the
             * sampled figure rather than report a current value as a peak. */
            w->method = MEM_PROC_PSS;
            peak = w->peak_pss;
        }
        break;
    case MEM_CGROUP_V1:
        snprintf(path, sizeof path, "%s/memory.max_usage_in_bytes", w->cgroup_dir);
        if (read_u64(path, &peak)) {
            w->method = MEM_PROC_PSS;
            peak = w->peak_pss;
        }
        break;
    default:
        peak = w->peak_pss;
        break;
    }
    if (w->cgroup_dir[0])
        rmdir(w->cgroup_dir);
    w->cgroup_dir[0] = '\0';
    return peak;
}

double measure_service_cpu_s(pid_t pid)
{
    static pid_t kids[MAX_TREE];
    char path[64], buf[1024], *p;
    unsigned long long ut, st;
    long long cut, cst;
    double total = 0, tck = (double)sysconf(_SC_CLK_TCK);
    int fd, n, nk;

    if (pid <= 0)
        return -1;
    nk = measure_tree_pids(pid, kids, MAX_TREE);
    for (int i = 0; i < nk; i++) {
        snprintf(path, sizeof path, "/proc/%d/stat", (int)kids[i]);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        n = (int)read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
                         &ut, &st, &cut, &cst) != 4)
            continue;
        total += (double)(ut + st) / tck;
        if (i == 0) /* reaped children of the root; a live child's own
                       reaped ones are in its cutime, counted by its parent
                       only once it is reaped */
            total += (double)(cut + cst) / tck;
    }
    return nk > 0 ? total : -1;
}
