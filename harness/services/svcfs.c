/* File helpers for the services' private temporary folders. */
#include "harness/services/svcfs.h"

#include "common/limits.h"
#include "common/log.h"
#include "common/owner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int svcfs_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void svcfs_rm_tree(const char *dir)
{
    struct stat st;

    nftw(dir, svcfs_rm_entry, LIMIT_SVC_RM_TREE_FDS, FTW_DEPTH | FTW_PHYS);
    if (lstat(dir, &st) == 0)
        log_error("could not remove %s: remove it by hand", dir);
}

void svcfs_log_tail(const char *path, int nlines, char *out, size_t outlen)
{
    char buf[4096], *line[8], *save = NULL;
    int count = 0, fd;
    off_t size, start;
    ssize_t n;
    size_t used = 0;

    out[0] = '\0';
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size = lseek(fd, 0, SEEK_END);
    start = size > (off_t)sizeof buf - 1 ? size - ((off_t)sizeof buf - 1) : 0;
    n = pread(fd, buf, sizeof buf - 1, start);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (nlines > 8)
        nlines = 8;
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (count == nlines) {
            memmove(line, line + 1, sizeof line[0] * (size_t)(nlines - 1));
            count--;
        }
        line[count++] = l;
    }
    /* Older lines give way first: the last one usually says why. */
    while (count > 1) {
        size_t total = 0;
        for (int i = 0; i < count; i++)
            total += strlen(line[i]) + 3;
        if (total < outlen)
            break;
        memmove(line, line + 1, sizeof line[0] * (size_t)(count - 1));
        count--;
    }
    for (int i = 0; i < count && used < outlen; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? " | " : "", line[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int svcfs_append(const char *path, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    size_t len = strlen(text);
    ssize_t n = -1;

    if (fd >= 0) {
        n = write(fd, text, len);
        if (close(fd) < 0)
            n = -1;
    }
    if (n != (ssize_t)len) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int svcfs_open_log(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (fd < 0)
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return fd;
}

int svcfs_mark_owner(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX], who[OWNER_TEXT_MAX], text[OWNER_TEXT_MAX + 32];
    owner_t self;
    int fd;
    ssize_t n;

    if (owner_self(&self) < 0) {
        snprintf(err, errlen, "cannot read this process's identity from /proc");
        return -1;
    }
    owner_format(&self, who, sizeof who);
    snprintf(text, sizeof text, "%s\n", who);
    snprintf(path, sizeof path, "%s/" SVCFS_OWNER_FILE, dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    n = write(fd, text, strlen(text));
    if (close(fd) < 0 || n != (ssize_t)strlen(text)) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The owner named by the owner file of the folder open as dfd, when that
 * file is a regular file of ours that no-one else can write. Returns 0,
 * or -1 when there is no such owner file. */
static int svcfs_read_owner(int dfd, owner_t *o)
{
    char text[OWNER_TEXT_MAX + 32];
    struct stat st;
    ssize_t n;
    int fd = openat(dfd, SVCFS_OWNER_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 022)) {
        close(fd);
        return -1;
    }
    n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    return owner_parse(text, o) && text[owner_parse(text, o)] == '\n' ? 0 : -1;
}

/* SIGKILLs every process whose working directory is dir or below it: a
 * server of a gone harness (one that was stopped, say, when its
 * parent-death signal came) still works there. */
static void svcfs_kill_squatters(const char *dir)
{
    char link[64], cwd[PATH_MAX];
    size_t len = strlen(dir);
    DIR *d = opendir("/proc");
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        pid_t pid = (pid_t)atoi(e->d_name);
        ssize_t n;
        if (pid <= 0 || pid == getpid())
            continue;
        snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
        n = readlink(link, cwd, sizeof cwd - 1);
        if (n <= 0)
            continue;
        cwd[n] = '\0';
        if (strncmp(cwd, dir, len) == 0 && (cwd[len] == '\0' || cwd[len] == '/')) {
            log_info("killing %d, left working in %s", (int)pid, dir);
            kill(pid, SIGKILL);
        }
    }
    closedir(d);
}

void svcfs_sweep(const char *parent, const char *prefix, uid_t alt_uid)
{
    DIR *d = opendir(parent);
    struct dirent *e;
    char path[PATH_MAX];

    if (!d)
        return;
    while ((e = readdir(d))) {
        struct stat st;
        owner_t o;
        int dfd, bad;

        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
            (st.st_uid != geteuid() && st.st_uid != alt_uid) || (st.st_mode & 022))
            continue;
        dfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
            continue;
        bad = svcfs_read_owner(dfd, &o) < 0 || owner_alive(&o);
        close(dfd);
        if (bad)
            continue;
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        log_info("removing %s, left by concbench process %d, which is gone", path, (int)o.pid);
        svcfs_kill_squatters(path);
        svcfs_rm_tree(path);
    }
    closedir(d);
}
