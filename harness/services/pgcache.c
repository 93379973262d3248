/* The private PostgreSQL's cluster template (pgcache.h says why and how
 * safely). Everything below works on open folders (the *at calls), so a
 * folder renamed or swapped under a path cannot redirect a copy. */
#include "harness/services/pgcache.h"

#include "common/clock.h"
#include "harness/services/spawn.h"
#include "harness/services/svcfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PGCACHE_TEMPLATE_PREFIX "pg-template-"
#define PGCACHE_STAGING_PREFIX ".staging-"
#define PGCACHE_MAX_DEPTH 16 /* a cluster is 3 deep; more is not initdb's */

#define PGCACHE_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Opens parent/name (making it 0700 when make and it is missing): a real
 * folder, owned by us (or by root when root_ok), that neither group nor
 * others can write. Returns the descriptor, or -1 with err. */
static int pgcache_own_dir(int parent, const char *name, const char *shown, bool make, bool root_ok,
                           char *err, size_t errlen)
{
    struct stat st;
    int fd;

    if (make && mkdirat(parent, name, 0700) < 0 && errno != EEXIST) {
        svc_err(err, errlen, "cannot make %s: %s", shown, strerror(errno));
        return -1;
    }
    fd = openat(parent, name, PGCACHE_DIR_FLAGS);
    if (fd < 0 || fstat(fd, &st) < 0) {
        svc_err(err, errlen, "cannot open %s: %s%s", shown, strerror(errno),
                errno == ELOOP || errno == ENOTDIR ? " (a symlink or not a folder)" : "");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_uid != geteuid() && !(root_ok && st.st_uid == 0)) {
        svc_err(err, errlen, "%s belongs to uid %u, not to us (uid %u)", shown, (unsigned)st.st_uid,
                (unsigned)geteuid());
        close(fd);
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        svc_err(err, errlen, "%s is writable by group or others (mode %03o): chmod go-w it", shown,
                (unsigned)(st.st_mode & 07777));
        close(fd);
        return -1;
    }
    return fd;
}

/* FNV-1a, 64 bits: a name for a template, not a defence (the folder is
 * ours alone). */
static uint64_t pgcache_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static int pgcache_name(pgcache_t *c, const char *bindir, const char *initdb_args, char *err,
                        size_t errlen)
{
    static const char *const progs[] = {"postgres", "initdb"};
    uint64_t h = UINT64_C(14695981039346656037);
    char path[PATH_MAX], line[PATH_MAX + 160];

    h = pgcache_hash(h, initdb_args, strlen(initdb_args) + 1);
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", bindir, progs[i]);
        if (stat(path, &st) < 0) {
            svc_err(err, errlen, "cannot stat %s: %s", path, strerror(errno));
            return -1;
        }
        snprintf(line, sizeof line, "%s %ju %ju %jd %jd.%09ld", path, (uintmax_t)st.st_dev,
                 (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
                 st.st_mtim.tv_nsec);
        h = pgcache_hash(h, line, strlen(line) + 1);
    }
    snprintf(c->name, sizeof c->name, PGCACHE_TEMPLATE_PREFIX "%016" PRIx64, h);
    return 0;
}

int pgcache_open(pgcache_t *c, const char *bindir, const char *initdb_args, char *err,
                 size_t errlen)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char shown[sizeof c->dir];
    int base = -1, mid = -1;

    c->dirfd = -1;
    c->dir[0] = c->name[0] = '\0';
    if (xdg && xdg[0] == '/') {
        base = pgcache_own_dir(AT_FDCWD, xdg, xdg, false, true, err, errlen);
        snprintf(c->dir, sizeof c->dir, "%s/concbench", xdg);
    } else if (home && home[0] == '/') {
        base = pgcache_own_dir(AT_FDCWD, home, home, false, true, err, errlen);
        snprintf(shown, sizeof shown, "%s/.cache", home);
        if (base >= 0) {
            mid = pgcache_own_dir(base, ".cache", shown, true, false, err, errlen);
            close(base);
            base = mid;
        }
        snprintf(c->dir, sizeof c->dir, "%s/.cache/concbench", home);
    } else {
        svc_err(err, errlen, "neither XDG_CACHE_HOME nor HOME is an absolute path");
        return -1;
    }
    if (base < 0)
        return -1;
    c->dirfd = pgcache_own_dir(base, "concbench", c->dir, true, false, err, errlen);
    close(base);
    if (c->dirfd < 0 || pgcache_name(c, bindir, initdb_args, err, errlen) < 0) {
        pgcache_close(c);
        return -1;
    }
    return 0;
}

void pgcache_close(pgcache_t *c)
{
    if (c->dirfd >= 0)
        close(c->dirfd);
    c->dirfd = -1;
}

/* Copies the open file in to out: copy_file_range where the kernel can,
 * read and write where it cannot (another filesystem). */
static int pgcache_copy_bytes(int in, int out)
{
    char buf[65536];
    bool plain = false;
    ssize_t n;

    for (;;) {
        if (!plain) {
            n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
            if (n < 0 &&
                (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                plain = true;
                continue;
            }
            if (n <= 0)
                return n < 0 ? -1 : 0;
            continue;
        }
        n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : 0;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return -1;
            done += w;
        }
    }
}

/* Gives the open file or folder fd the permission bits mode (owner's
 * only) and, unless uid is (uid_t)-1, the owner uid:gid. */
static int pgcache_give(int fd, mode_t mode, uid_t uid, gid_t gid)
{
    if (fchmod(fd, mode & 0700) < 0)
        return -1;
    return uid != (uid_t)-1 ? fchown(fd, uid, gid) : 0;
}

/* Copies the regular file sdir/name (lst: what fstatat saw) to a new file
 * ddir/name with its permission bits (owner's only), given to uid:gid
 * unless uid is (uid_t)-1. */
static int pgcache_copy_file(int sdir, int ddir, const char *name, const struct stat *lst,
                             uid_t uid, gid_t gid, char *err, size_t errlen)
{
    struct stat st;
    int in, out = -1, rc = -1;

    in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (in < 0) {
        svc_err(err, errlen, "cannot open %s: %s", name, strerror(errno));
        return -1;
    }
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
        st.st_ino != lst->st_ino || st.st_dev != lst->st_dev) {
        svc_err(err, errlen, "%s is not a plain file with one link: not copied", name);
        goto out;
    }
    out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0 || pgcache_give(out, st.st_mode, uid, gid) < 0 || pgcache_copy_bytes(in, out) < 0) {
        svc_err(err, errlen, "cannot copy %s: %s", name, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (out >= 0)
        close(out);
    close(in);
    return rc;
}

/* Copies everything in the open folder sdir into the open folder ddir:
 * folders and plain files only, never through a symlink. */
static int pgcache_copy_dir(int sdir, int ddir, uid_t uid, gid_t gid, int depth, char *err,
                            size_t errlen)
{
    struct dirent *de;
    DIR *d;
    int fd, rc = 0;

    if (depth > PGCACHE_MAX_DEPTH) {
        svc_err(err, errlen, "folders nested deeper than %d: not a cluster initdb made",
                PGCACHE_MAX_DEPTH);
        return -1;
    }
    fd = openat(sdir, ".", PGCACHE_DIR_FLAGS);
    d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        svc_err(err, errlen, "cannot read a folder: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
        struct stat st, st2;
        int s2, d2;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fstatat(sdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            svc_err(err, errlen, "cannot stat %s: %s", de->d_name, strerror(errno));
            rc = -1;
        } else if (S_ISREG(st.st_mode)) {
            rc = pgcache_copy_file(sdir, ddir, de->d_name, &st, uid, gid, err, errlen);
        } else if (!S_ISDIR(st.st_mode)) {
            svc_err(err, errlen, "%s is neither a folder nor a plain file: not copied", de->d_name);
            rc = -1;
        } else if (mkdirat(ddir, de->d_name, 0700) < 0) {
            svc_err(err, errlen, "cannot make %s: %s", de->d_name, strerror(errno));
            rc = -1;
        } else {
            s2 = openat(sdir, de->d_name, PGCACHE_DIR_FLAGS);
            d2 = openat(ddir, de->d_name, PGCACHE_DIR_FLAGS);
            if (s2 < 0 || d2 < 0 || fstat(s2, &st2) < 0 || st2.st_ino != st.st_ino ||
                st2.st_dev != st.st_dev) {
                svc_err(err, errlen, "cannot open the folder %s: %s", de->d_name,
                        errno ? strerror(errno) : "it changed under us");
                rc = -1;
            } else {
                rc = pgcache_copy_dir(s2, d2, uid, gid, depth + 1, err, errlen);
                if (rc == 0 && pgcache_give(d2, st.st_mode, uid, gid) < 0) {
                    svc_err(err, errlen, "cannot set the owner of %s: %s", de->d_name,
                            strerror(errno));
                    rc = -1;
                }
            }
            if (s2 >= 0)
                close(s2);
            if (d2 >= 0)
                close(d2);
        }
    }
    if (rc == 0 && errno != 0) {
        svc_err(err, errlen, "cannot read a folder: %s", strerror(errno));
        rc = -1;
    }
    closedir(d);
    return rc;
}

int pgcache_restore(const pgcache_t *c, int dst, uid_t uid, gid_t gid, char *err, size_t errlen)
{
    char shown[sizeof c->dir + sizeof c->name + 1];
    struct stat st;
    int src, data = -1, rc = -1;

    snprintf(shown, sizeof shown, "%s/%s", c->dir, c->name);
    src = openat(c->dirfd, c->name, PGCACHE_DIR_FLAGS);
    if (src < 0 && errno == ENOENT)
        return 1;
    if (src < 0 || fstat(src, &st) < 0) {
        svc_err(err, errlen, "cannot open %s: %s", shown, strerror(errno));
        goto out;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077)) {
        svc_err(err, errlen, "%s is not ours alone (uid %u, mode %03o)", shown, (unsigned)st.st_uid,
                (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (mkdirat(dst, "data", 0700) < 0 || (data = openat(dst, "data", PGCACHE_DIR_FLAGS)) < 0) {
        svc_err(err, errlen, "cannot make the cluster's folder: %s", strerror(errno));
        goto out;
    }
    if (pgcache_copy_dir(src, data, uid, gid, 0, err, errlen) < 0)
        goto out;
    if (pgcache_give(data, 0700, uid, gid) < 0 || syncfs(data) < 0) {
        svc_err(err, errlen, "cannot finish the copy of %s: %s", shown, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (data >= 0)
        close(data);
    if (src >= 0)
        close(src);
    return rc;
}

/* Removes c's folder's entry name (a staging folder or an old template). */
static void pgcache_remove(const pgcache_t *c, const char *name)
{
    char path[sizeof c->dir + NAME_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    svcfs_rm_tree(path);
}

/* Removes the templates of other servers and the staging folders of
 * concbench processes that are gone (a process of another PID namespace
 * sharing this folder may look gone: its copy then fails, and it runs
 * initdb as before). */
static void pgcache_sweep(const pgcache_t *c)
{
    struct dirent *de;
    int fd = openat(c->dirfd, ".", PGCACHE_DIR_FLAGS);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strncmp(n, PGCACHE_TEMPLATE_PREFIX, strlen(PGCACHE_TEMPLATE_PREFIX)) == 0) {
            if (strcmp(n, c->name) != 0)
                pgcache_remove(c, n);
        } else if (strncmp(n, PGCACHE_STAGING_PREFIX, strlen(PGCACHE_STAGING_PREFIX)) == 0) {
            long pid = strtol(n + strlen(PGCACHE_STAGING_PREFIX), NULL, 10);
            if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
                pgcache_remove(c, n);
        }
    }
    closedir(d);
}

int pgcache_store(const pgcache_t *c, int src, char *err, size_t errlen)
{
    char stage[64];
    int data = -1, sd = -1, rc = -1;

    pgcache_sweep(c);
    snprintf(stage, sizeof stage, PGCACHE_STAGING_PREFIX "%ld-%08" PRIx64, (long)getpid(),
             (uint64_t)clock_now_ns() & UINT64_C(0xffffffff));
    if (mkdirat(c->dirfd, stage, 0700) < 0) {
        svc_err(err, errlen, "cannot make %s/%s: %s", c->dir, stage, strerror(errno));
        return -1;
    }
    data = openat(src, "data", PGCACHE_DIR_FLAGS);
    sd = openat(c->dirfd, stage, PGCACHE_DIR_FLAGS);
    if (data < 0 || sd < 0) {
        svc_err(err, errlen, "cannot open a cluster folder: %s", strerror(errno));
        goto out;
    }
    if (pgcache_copy_dir(data, sd, (uid_t)-1, (gid_t)-1, 0, err, errlen) < 0)
        goto out;
    if (syncfs(sd) < 0) {
        svc_err(err, errlen, "cannot sync %s/%s: %s", c->dir, stage, strerror(errno));
        goto out;
    }
    /* Another run may have stored the same template first: theirs stays. */
    if (renameat(c->dirfd, stage, c->dirfd, c->name) < 0 && errno != EEXIST && errno != ENOTEMPTY) {
        svc_err(err, errlen, "cannot rename %s/%s: %s", c->dir, stage, strerror(errno));
        goto out;
    }
    fsync(c->dirfd);
    rc = 0;
out:
    if (sd >= 0)
        close(sd);
    if (data >= 0)
        close(data);
    pgcache_remove(c, stage); /* gone when renamed: then a no-op */
    return rc;
}
