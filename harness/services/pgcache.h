/* The private PostgreSQL's cluster template: the output of one initdb,
 * kept in the user's cache folder, which later runs copy (~0.1 s for its
 * ~40 MB) instead of running initdb again (1.2-1.8 s of bootstrap on the
 * machines CI runs on). Internal to harness/services/; pg.c is its only
 * user.
 *
 * The folder is $XDG_CACHE_HOME/concbench, else $HOME/.cache/concbench:
 * ours, mode 0700, like every folder we read back from. A template is
 * named after what made it (the server's bin folder, the identity of its
 * postgres and initdb binaries, initdb's arguments), so an upgraded
 * server gets a fresh one; it is written to a staging folder, synced, and
 * renamed into place, so a reader sees a whole template or none. Copies
 * never follow a symlink and take only folders and regular files with one
 * link: a file another user planted in the cluster initdb just wrote (as
 * `postgres`, when we are root) cannot make us read a file of ours. */
#ifndef CONCBENCH_SERVICES_PGCACHE_H
#define CONCBENCH_SERVICES_PGCACHE_H

#include <stddef.h>
#include <sys/types.h>

typedef struct pgcache {
    int dirfd;     /* the cache folder, open; -1 when not usable */
    char dir[256]; /* its path, for messages */
    char name[64]; /* the template's name for this server */
} pgcache_t;

/* Opens (making when missing) the cache folder and names the template for
 * the server in bindir made with initdb_args. Returns 0, or -1 with why
 * the cache cannot be used in err (the caller runs initdb instead). */
int pgcache_open(pgcache_t *c, const char *bindir, const char *initdb_args, char *err,
                 size_t errlen);

/* Closes the folder. Safe on a closed or failed cache. */
void pgcache_close(pgcache_t *c);

/* Copies the template into dst/data (dst an open folder of ours without a
 * `data`), each file and folder given to uid:gid unless uid is (uid_t)-1,
 * and syncs it, as initdb syncs its own output. Returns 0 when copied, 1
 * when there is no template yet, -1 with err on a failure (a partial
 * dst/data may be left: the caller removes it). */
int pgcache_restore(const pgcache_t *c, int dst, uid_t uid, gid_t gid, char *err, size_t errlen);

/* Stores a copy of the cluster in src/data (src an open folder) as the
 * template, replacing the templates of other servers. Returns 0, or -1
 * with err (no template is then kept; nothing half-written stays). */
int pgcache_store(const pgcache_t *c, int src, char *err, size_t errlen);

#endif
