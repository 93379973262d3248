/* Bringing up what a run needs: the user's own services where named
 * (--api, --pg, --redis), private ones started otherwise; the harness's
 * own PostgreSQL connection with the results schema in place. */
#ifndef CONCBENCH_SERVICES_BRINGUP_H
#define CONCBENCH_SERVICES_BRINGUP_H

#include <libpq-fe.h>

#include "harness/config/config.h"
#include "harness/services/services.h"

typedef struct services_up {
    svc_t mock, pg, redis; /* the private ones (pid 0: not started by us) */
    const char *api;       /* the mock API's URL models use */
    const char *pg_dsn;    /* PostgreSQL's DSN */
    const char *redis_url; /* NULL when no model needs redis */
    PGconn *pg_conn;       /* the harness's own connection */
    char pg_version[64], redis_version[64];
} services_up_t;

/* Starts (or checks) the mock API, PostgreSQL and, when need_redis, redis,
 * by cfg. Trims trailing slashes off cfg->api. Returns 0, or -1 with the
 * reason printed; up then holds what did start, for services_bring_down. */
int services_bring_up(services_up_t *up, config_t *cfg, int need_redis);

/* Restarts the private mock API with cfg's mock knobs (a sweep point
 * changed one); up->api then names the new one. Returns 0, or -1 with the
 * reason printed (no mock API runs then). */
int services_mock_restart(services_up_t *up, const config_t *cfg);

/* Whether every service we started (the mock API, PostgreSQL, redis) is
 * still running, and the harness's PostgreSQL connection (ours or --pg)
 * still up; the user's other services are not checked. Does not reap.
 * Returns 0, or -1 with a one-line reason naming the service that died,
 * how (exit status or signal) and the end of its log, in err. */
int services_check_alive(const services_up_t *up, char *err, size_t errlen);

/* Closes the harness's connection and stops every private service. Safe
 * on a zeroed or partly brought-up up, and twice. */
void services_bring_down(services_up_t *up);

#endif
