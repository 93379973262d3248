/* mockapi's internal types shared by server.c (event loops and listeners),
 * conn.c (one connection's state machine) and respond.c (what each request
 * gets). Not a public API. */
#ifndef CONCBENCH_MOCKAPI_H
#define CONCBENCH_MOCKAPI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "attempts.h"
#include "deadlines.h"
#include "http_parser.h"
#include "options.h"
#include "stats.h"
#include "workload/order.h"

typedef struct mockapi mockapi_t;
typedef struct mockapi_worker mockapi_worker_t;
typedef struct mockapi_conn mockapi_conn_t;
typedef struct mockapi_pending mockapi_pending_t;

/* State shared by every event loop. Read-only after start-up except the
 * atomics (stats, attempt counters, token bucket). */
struct mockapi {
    mockapi_options_t opt;
    struct sockaddr_storage addr; /* where to listen; its port is the bound one once listening */
    int port;                     /* the bound port */
    int64_t max_conns;            /* refuse connections beyond this (descriptor limit) */
    atomic_flag refuse_logged;    /* the refusal/accept-error line was printed */
    stats_t stats;
    attempts_t attempts;
    _Atomic uint64_t rate_tat; /* token bucket state, see faults_gcra_admit() */
    uint64_t rate_interval_ns;
    int nworkers;
    mockapi_worker_t *workers;
};

/* One event loop (thread) with its own SO_REUSEPORT listener. Every handle
 * the worker owns has data == the worker; connection handles have data ==
 * their connection. */
struct mockapi_worker {
    mockapi_t *app;
    int index;
    uv_loop_t loop;
    bool loop_ready; /* uv_loop_init succeeded */
    uv_tcp_t listener;
    uv_async_t stop;         /* wakes the loop to close everything */
    uv_timer_t tick;         /* worker 0 only: the stats timeline */
    uv_signal_t sigint;      /* worker 0 only */
    uv_signal_t sigterm;     /* worker 0 only */
    uv_thread_t thread;      /* workers 1.. only */
    deadlines_t wakeups;     /* connections waiting for a time (conn.c) */
    int timer_fd;            /* CLOCK_MONOTONIC timerfd armed for wakeups' top; -1 = none */
    uv_poll_t timer_poll;    /* readable when timer_fd fires */
    uint64_t timer_armed_us; /* what timer_fd is armed for; 0 = disarmed */
    char *rbuf;              /* every read of this loop lands here first */
    char *out;               /* responses being assembled for one connection */
    size_t out_len, out_cap;
    char *body; /* one order's JSON */
    size_t body_cap;
    order_t *order;
    char date[40]; /* cached "Date:" value */
    int64_t date_sec;
};

/* Read buffer per loop, and the most one connection may queue before it
 * stops reading (pipelined requests awaiting answers, unsent bytes). */
#define MOCKAPI_READ_BUF 65536
#define MOCKAPI_PIPELINE_MAX 256
#define MOCKAPI_WRITE_QUEUE_MAX (1024 * 1024)

typedef enum mockapi_reply {
    REPLY_ORDER, /* the order (or its fault) */
    REPLY_STATS, /* GET /__stats */
    REPLY_RESET, /* POST /__reset, already applied */
    REPLY_ERROR  /* status with a small JSON error body */
} mockapi_reply_t;

/* One parsed request waiting for its answer. Requests on a connection are
 * answered in arrival order, each no earlier than due_us (uv_hrtime in µs). */
struct mockapi_pending {
    mockapi_pending_t *next;
    uint64_t due_us;
    uint64_t id;
    uint32_t attempt;
    uint16_t status;     /* REPLY_ERROR: the status to send */
    uint8_t kind;        /* mockapi_reply_t */
    uint8_t fault;       /* fault_kind_t, REPLY_ORDER only */
    uint8_t allow;       /* 405: 1 = "Allow: GET", 2 = "Allow: POST" */
    bool close_after;    /* last answer on this connection: "Connection: close" */
    bool keep_alive_hdr; /* HTTP/1.0 keep-alive: echo "Connection: keep-alive" */
    bool inflight;       /* counted in stats.inflight until answered */
    bool admin;          /* /__stats or /__reset: never counted */
    bool no_body;        /* a HEAD request: headers only (RFC 9110 9.3.2) */
    uint32_t body_len;   /* of body */
    char *body;          /* the order's JSON rendered when it was read; NULL = render when due */
};

/* respond.c */

/* Decides what req gets (routing, throttling, faults, latency, counting) and
 * returns a new entry to queue, due no earlier than now_us. Applies
 * POST /__reset at once. NULL when out of memory (nothing counted). */
mockapi_pending_t *mockapi_respond_route(mockapi_worker_t *w, const http_request_t *req,
                                         uint64_t now_us);

/* A new entry answering status (400, 408, 413) and closing the connection.
 * NULL when out of memory. */
mockapi_pending_t *mockapi_respond_error(int status);

/* Renders the body of e's order answer now (REPLY_ORDER answered with the
 * order, whole or spoiled), so only the head is left for when it is due.
 * Nothing for other answers; a failed allocation leaves it for then. */
void mockapi_respond_prerender(mockapi_worker_t *w, mockapi_pending_t *e);

/* Appends e's full response to w->out and counts it. Returns 0 or -ENOMEM
 * (w->out is then unchanged). */
int mockapi_respond_render(mockapi_worker_t *w, const mockapi_pending_t *e);

/* Releases e's in-flight slot if it holds one, then frees it and its body. */
void mockapi_respond_release(mockapi_worker_t *w, mockapi_pending_t *e);

/* conn.c */

/* uv_connection_cb of every listener. */
void mockapi_conn_accept_cb(uv_stream_t *listener, int status);

/* Wakes every connection of w whose deadline has come (answers due, header
 * and linger deadlines), then re-arms w's timerfd. Called after every
 * connection callback, so due answers leave without waiting for a timer. */
void mockapi_worker_run_due(mockapi_worker_t *w);

/* uv_poll_cb of w->timer_poll. */
void mockapi_worker_timer_cb(uv_poll_t *p, int status, int events);

/* Closes the connection owning handle h (a connection handle) at once,
 * dropping unanswered requests. Idempotent. */
void mockapi_conn_close_handle(uv_handle_t *h);

/* server.c */

/* Listens on app->addr with app->opt.threads loops, prints the listening
 * line, and serves until SIGINT/SIGTERM. Returns the process exit status:
 * 0 after a signal, 1 when it could not start (one line on stderr). */
int mockapi_server_run(mockapi_t *app);

#endif
