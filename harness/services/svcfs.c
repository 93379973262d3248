/* File helpers for the services' private temporary folders. */
#include "harness/services/svcfs.h"

#include "common/limits.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
