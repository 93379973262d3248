#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int atomic_file_write(const char *dir, const char *name, const char *text, size_t len, char *err,
                      size_t errlen)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int fd;
    ssize_t w = 0;

    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= sizeof tmp) {
        snprintf(err, errlen, "cannot write %s/%s: path too long", dir, name);
        return -1;
    }
    /* mkostemp opens with O_CREAT | O_EXCL (never through a symlink) and a
     * random suffix; mode 0600 until the content is complete. */
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    for (size_t off = 0; off < len; off += (size_t)w) {
        w = write(fd, text + off, len - off);
        if (w < 0) {
            if (errno == EINTR) {
                w = 0;
                continue;
            }
            goto fail;
        }
    }
    if (fchmod(fd, 0644) || fsync(fd))
        goto fail;
    if (close(fd)) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path))
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

int atomic_text_open(atomic_text_t *t, char *err, size_t errlen)
{
    t->buf = NULL;
    t->len = 0;
    t->f = open_memstream(&t->buf, &t->len);
    if (!t->f)
        snprintf(err, errlen, "out of memory");
    return t->f ? 0 : -1;
}

int atomic_text_commit(atomic_text_t *t, const char *dir, const char *name, char *err,
                       size_t errlen)
{
    int rc = -1, bad = ferror(t->f);
    if ((fclose(t->f) != 0) | bad)
        snprintf(err, errlen, "out of memory writing %s", name);
    else
        rc = atomic_file_write(dir, name, t->buf, t->len, err, errlen);
    free(t->buf);
    t->buf = NULL;
    return rc;
}
