#include "common/safe_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The folder itself: a real folder, ours, closed to group and others. */
static int safe_dir_own(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st)) {
        snprintf(err, errlen, "output folder %s: %s%s", path, strerror(errno),
                 errno == ELOOP || errno == ENOTDIR ? " (a symlink or not a folder)" : "");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen,
                 "output folder %s belongs to uid %u, not to us (uid %u): another user could "
                 "swap its files; choose a folder of your own with --out",
                 path, (unsigned)st.st_uid, (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen,
                 "output folder %s is writable by %s (mode %03o): another user could plant or "
                 "swap files in it; chmod go-w it or choose another with --out",
                 path, st.st_mode & S_IWOTH ? "others" : "its group",
                 (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

int safe_dir_check(const char *path, char *err, size_t errlen)
{
    char real[PATH_MAX], *slash;
    struct stat st;

    if (safe_dir_own(path, err, errlen))
        return -1;
    if (!realpath(path, real)) {
        snprintf(err, errlen, "output folder %s: %s", path, strerror(errno));
        return -1;
    }
    /* Whoever can write a folder above can rename ours away and put their
     * own in its place; a sticky folder (/tmp) forbids renaming others'. */
    while ((slash = strrchr(real, '/')) != NULL) {
        if (slash == real)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat(real, &st)) {
            snprintf(err, errlen, "folder %s: %s", real, strerror(errno));
            return -1;
        }
        if ((st.st_uid != geteuid() && st.st_uid != 0) ||
            ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
            snprintf(err, errlen,
                     "output folder %s is inside %s, which another user can write (owner uid "
                     "%u, mode %03o): they could replace the folder; choose another with --out",
                     path, real, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
            return -1;
        }
        if (slash == real)
            break;
    }
    return 0;
}

int safe_dir_make(const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX];

    if ((size_t)snprintf(tmp, sizeof tmp, "%s", path) >= sizeof tmp) {
        snprintf(err, errlen, "output folder %.200s...: path too long", path);
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) && errno != EEXIST) {
            snprintf(err, errlen,
                     "cannot write to output folder %s: cannot create %s: %s (choose another "
                     "with --out)",
                     path, tmp, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(tmp, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "cannot write to output folder %s: %s (choose another with --out)",
                 path, strerror(errno));
        return -1;
    }
    return safe_dir_check(path, err, errlen);
}
