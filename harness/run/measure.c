#include "harness/run/measure.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/owner.h"
#include "common/procstat.h"

#define CG_V1_ROOT "/sys/fs/cgroup/memory"
/* Every group concbench makes is named CG_PREFIX + owner + tag. */
#define CG_PREFIX "concbench-"
#define MAX_TREE ((int)(sizeof((memwatch_t *)0)->pids / sizeof(pid_t)))

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

const char *mem_method_desc(mem_method_t m, int sockets_counted)
{
    switch (m) {
    case MEM_CGROUP_V2:
        return "cgroup2 memory.peak";
    case MEM_CGROUP_V1:
        return sockets_counted
                   ? "cgroup1 memory.max_usage_in_bytes + memory.kmem.tcp.max_usage_in_bytes"
                   : "cgroup1 memory.max_usage_in_bytes (TCP buffers not counted)";
    default:
        return "sampled PSS sum (socket buffers not counted)";
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

/* Reads the pids listed one per line in a cgroup file into pids (at most
 * cap); returns how many lines there were, or -1 if unreadable. */
static int cgroup_list(const char *dir, const char *file, pid_t *pids, int cap)
{
    char path[600];
    int n = 0, v;
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    f = fopen(path, "re");
    if (!f)
        return -1;
    while (fscanf(f, "%d", &v) == 1) {
        if (pids && n < cap)
            pids[n] = (pid_t)v;
        n++;
    }
    fclose(f);
    return n;
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

/* A fresh group named concbench-OWNER-TAG-XXXXXX (owner.h), never one
 * that exists: a group left by a process that is gone would bring its old
 * peak along. Without an identity no group is made: it could not be told
 * from a leftover later. */
static int cgroup_make(memwatch_t *w, const char *root, const char *tag, mem_method_t m)
{
    char who[OWNER_TEXT_MAX], path[600];
    owner_t self;

    if (owner_self(&self) < 0)
        return -1;
    owner_format(&self, who, sizeof who);
    snprintf(w->cgroup_dir, sizeof w->cgroup_dir, "%s/" CG_PREFIX "%s-%s-XXXXXX", root, who, tag);
    if (mkdtemp(w->cgroup_dir)) {
        w->method = m;
        /* v1 charges TCP buffers to a group only once its TCP limit has
         * been set (to anything: -1 is no limit), and then to a counter of
         * their own, outside memory.usage_in_bytes; v2 always charges them
         * to memory.current. Set before any process joins, so every socket
         * the tree opens is charged. */
        if (m == MEM_CGROUP_V2) {
            w->sockets_counted = 1;
        } else {
            snprintf(path, sizeof path, "%s/memory.kmem.tcp.limit_in_bytes", w->cgroup_dir);
            w->sockets_counted = write_file(path, "-1") == 0;
        }
        return 0;
    }
    w->cgroup_dir[0] = '\0';
    return -1;
}

/* Kills every process in the group and waits until it is empty: cgroup v2
 * has cgroup.kill; otherwise (v1, or kernels before 5.14) SIGKILL each
 * member listed in cgroup.procs until none is left. SIGKILL also ends
 * stopped processes. Returns 0 once empty, -1 if members remain after
 * LIMIT_RUN_CGROUP_DRAIN_MS. */
static int cgroup_drain(const char *dir)
{
    static pid_t procs[MAX_TREE];
    int64_t deadline = clock_now_ns() + LIMIT_RUN_CGROUP_DRAIN_MS * CLOCK_NS_PER_MS;
    char path[600];
    int n;

    snprintf(path, sizeof path, "%s/cgroup.kill", dir);
    write_file(path, "1");
    while ((n = cgroup_list(dir, "cgroup.procs", procs, MAX_TREE)) > 0) {
        if (clock_now_ns() > deadline)
            return -1;
        for (int i = 0; i < n && i < MAX_TREE; i++)
            if (procs[i] > 0)
                kill(procs[i], SIGKILL);
        clock_sleep_ms(2);
    }
    return 0;
}

/* Empties and removes the group; says so when it cannot. */
static void cgroup_remove(const char *dir)
{
    if (cgroup_drain(dir) < 0)
        log_error("processes of cgroup %s did not die within %d ms", dir,
                  LIMIT_RUN_CGROUP_DRAIN_MS);
    if (rmdir(dir) < 0 && errno != ENOENT)
        log_error("cannot remove cgroup %s: %s (remove it by hand with rmdir)", dir,
                  strerror(errno));
}

/* Removes, under root, the groups of concbench processes that are gone. */
static void cgroup_sweep_root(const char *root)
{
    DIR *d = opendir(root);
    struct dirent *e;
    owner_t o;
    size_t k;
    char path[600];
    struct stat st;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, CG_PREFIX, strlen(CG_PREFIX)) != 0)
            continue;
        k = owner_parse(e->d_name + strlen(CG_PREFIX), &o);
        if (!k || e->d_name[strlen(CG_PREFIX) + k] != '-' || owner_alive(&o))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        log_info("removing cgroup %s, left by concbench process %d, which is gone", path,
                 (int)o.pid);
        cgroup_remove(path);
    }
    closedir(d);
}

void memwatch_sweep_stale(void)
{
    char root[256];

    if (cgroup_v2_root(root, sizeof root) == 0)
        cgroup_sweep_root(root);
    cgroup_sweep_root(CG_V1_ROOT);
}

int memwatch_init(memwatch_t *w, const char *tag, const char *want)
{
    char root[256];
    int any = strcmp(want, "auto") == 0;
    memset(w, 0, sizeof *w);
    w->method = MEM_PROC_PSS;
    if ((any || strcmp(want, "cgroup-v2") == 0) && cgroup_v2_root(root, sizeof root) == 0 &&
        cgroup_make(w, root, tag, MEM_CGROUP_V2) == 0)
        return 0;
    if ((any || strcmp(want, "cgroup-v1") == 0) &&
        cgroup_make(w, CG_V1_ROOT, tag, MEM_CGROUP_V1) == 0)
        return 0;
    return any || strcmp(want, "proc-pss") == 0 ? 0 : -1;
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
    cgroup_remove(w->cgroup_dir);
    w->cgroup_dir[0] = '\0';
    w->method = MEM_PROC_PSS;
    w->sockets_counted = 0;
    return -1;
}

/* Parent pid and thread count from /proc/PID/stat (fields 4 and 20; the
 * command name in field 2 may hold spaces, so parse after the last ')'). */
static int proc_stat_fields(pid_t pid, pid_t *ppid, long *threads)
{
    char buf[1024];
    const char *f = procstat_read(pid, buf, sizeof buf);
    if (!f)
        return -1;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice num_threads */
    if (sscanf(f, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %ld", ppid,
               threads) != 2)
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

void memwatch_refresh_tree(memwatch_t *w)
{
    long threads = 0;
    int n = -1;
    /* A cgroup lists its members and their threads in two small files: far
     * cheaper than walking every process of the machine. */
    if (w->cgroup_dir[0]) {
        n = cgroup_list(w->cgroup_dir, "cgroup.procs", w->pids, MAX_TREE);
        threads = cgroup_list(w->cgroup_dir,
                              w->method == MEM_CGROUP_V1 ? "tasks" : "cgroup.threads", NULL, 0);
    }
    if (n < 0 || threads < 0) {
        n = measure_tree_pids(w->root, w->pids, MAX_TREE);
        threads = 0;
        for (int i = 0; i < n; i++) {
            pid_t pp;
            long th = 0;
            if (proc_stat_fields(w->pids[i], &pp, &th) == 0)
                threads += th;
        }
    }
    w->npids = n < MAX_TREE ? n : MAX_TREE;
    if (w->npids > w->processes_peak)
        w->processes_peak = w->npids;
    if (threads > w->threads_peak)
        w->threads_peak = (int)threads;
}

/* Resident bytes of pid from /proc/PID/statm: one short read, where
 * smaps_rollup walks every mapping (about 125 µs per process here). */
static uint64_t statm_rss(pid_t pid)
{
    char path[64], buf[128];
    unsigned long size, resident;
    int fd, n;
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = (int)read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
        return 0;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

void memwatch_sample(memwatch_t *w, int with_pss)
{
    uint64_t rss = 0, pss = 0;
    for (int i = 0; i < w->npids; i++) {
        if (with_pss)
            smaps_rollup(w->pids[i], &rss, &pss);
        else
            rss += statm_rss(w->pids[i]);
    }
    if (with_pss)
        w->last_pss = pss;
    if (pss > w->peak_pss)
        w->peak_pss = pss;
    if (rss > w->peak_rss_sum)
        w->peak_rss_sum = rss;
}

int memwatch_current(memwatch_t *w, uint64_t *bytes)
{
    char path[600];
    uint64_t sock;
    switch (w->method) {
    case MEM_CGROUP_V2:
        snprintf(path, sizeof path, "%s/memory.current", w->cgroup_dir);
        return read_u64(path, bytes);
    case MEM_CGROUP_V1:
        snprintf(path, sizeof path, "%s/memory.usage_in_bytes", w->cgroup_dir);
        if (read_u64(path, bytes))
            return -1;
        snprintf(path, sizeof path, "%s/memory.kmem.tcp.usage_in_bytes", w->cgroup_dir);
        if (w->sockets_counted && read_u64(path, &sock) == 0)
            *bytes += sock;
        return 0;
    default:
        *bytes = w->last_pss;
        return w->last_pss ? 0 : -1;
    }
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
            w->sockets_counted = 0;
            peak = w->peak_pss;
        }
        break;
    case MEM_CGROUP_V1:
        snprintf(path, sizeof path, "%s/memory.max_usage_in_bytes", w->cgroup_dir);
        if (read_u64(path, &peak)) {
            w->method = MEM_PROC_PSS;
            w->sockets_counted = 0;
            peak = w->peak_pss;
            break;
        }
        snprintf(path, sizeof path, "%s/memory.kmem.tcp.max_usage_in_bytes", w->cgroup_dir);
        if (w->sockets_counted && read_u64(path, &w->peak_sock) == 0)
            peak += w->peak_sock;
        else
            w->sockets_counted = 0;
        break;
    default:
        peak = w->peak_pss;
        break;
    }
    if (w->cgroup_dir[0])
        cgroup_remove(w->cgroup_dir);
    w->cgroup_dir[0] = '\0';
    return peak;
}

double measure_service_cpu_s(pid_t pid)
{
    static pid_t kids[MAX_TREE];
    char buf[1024];
    const char *f;
    unsigned long long ut, st;
    long long cut, cst;
    double total = 0, tck = (double)sysconf(_SC_CLK_TCK);
    int nk;

    if (pid <= 0)
        return -1;
    nk = measure_tree_pids(pid, kids, MAX_TREE);
    for (int i = 0; i < nk; i++) {
        f = procstat_read(kids[i], buf, sizeof buf);
        if (!f || sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &ut,
                         &st, &cut, &cst) != 4)
            continue;
        total += (double)(ut + st) / tck;
        if (i == 0) /* reaped children of the root; a live child's own
                       reaped ones are in its cutime, counted by its parent
                       only once it is reaped */
            total += (double)(cut + cst) / tck;
    }
    return nk > 0 ? total : -1;
}

char measure_proc_state(pid_t pid)
{
    char buf[512];
    const char *f = procstat_read(pid, buf, sizeof buf);

    return f ? f[0] : '\0';
}
