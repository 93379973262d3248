/* One client connection: read, parse, queue, answer in order, close.
 *
 * Reading. Every read of a loop lands in the loop's shared buffer and is cut
 * into requests by the connection's http_framer (http_framing.h): complete
 * heads are parsed straight from the shared buffer, only the bytes of a head
 * still incomplete are copied, so an idle keep-alive connection holds no
 * buffer at all, and request bodies are skipped, never stored. A head or body
 * the client has started must be finished within --header-timeout-ms (408).
 *
 * Queueing. Each parsed request becomes a mockapi_pending_t appended to the
 * connection's FIFO with the time (uv_hrtime, µs) at which it may be answered:
 * the read that completed it plus the drawn latency. Answers leave strictly in
 * arrival order (HTTP/1.1 pipelining): an answer that is due waits behind an
 * earlier one that is not.
 *
 * Waking. A connection that waits for something holds one node in its
 * worker's deadline heap (deadlines.h), keyed by the earliest of: the head of
 * the FIFO, the header deadline, the linger deadline. The worker has no timer
 * per connection: after every read, accept and write callback it writes the
 * answers that are due by then (mockapi_worker_run_due), and one timerfd per
 * worker, armed in absolute monotonic time for the heap's top, wakes an idle
 * loop. So a due answer neither waits for libuv's next timer phase behind a
 * batch of up to 48 x 1,024 events, nor for libuv's millisecond loop clock
 * (CLOCK_MONOTONIC_COARSE, 4 ms steps here) to catch up.
 *
 * Writing. The body of a request that arrives at the head of the FIFO is
 * rendered as it is read (mockapi_respond_prerender). conn_flush() renders
 * every due answer at the front of the FIFO (the head, and the body if it was
 * not rendered yet) into the loop's out buffer and writes it with one
 * uv_try_write; only what the socket did not take is copied into a uv_write
 * request.
 *
 * Back-pressure. A client that pipelines faster than it reads answers stops
 * being read (paused) while MOCKAPI_PIPELINE_MAX requests wait or
 * MOCKAPI_WRITE_QUEUE_MAX bytes are unsent, and resumes below half of that.
 *
 * Ending. An answer marked close_after (Connection: close, HTTP/1.0, parse
 * errors, 408) is the last: nothing more is parsed, and once it is written
 * the connection shuts down its sending side and lingers (discarding input)
 * until the client closes or CONN_LINGER_MS pass, so the client reads the
 * answer instead of a reset. A FAULT_RESET answer closes with RST once the
 * answers before it are written; FAULT_HANG is never answered. End of input
 * from the client closes the connection once the answers already queued are
 * out (at once if the next one is a hang). Read or write errors close at once.
 */
#include "mockapi.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "http_framing.h"

/* How long a connection that sent its last answer waits for the client to
 * close: long enough for any client to read the answer, short enough that
 * a client that never closes does not hold a descriptor for long. */
#define CONN_LINGER_MS 2000
/* Batches larger than this are written before rendering more. */
#define CONN_FLUSH_BYTES (256 * 1024)

struct mockapi_conn {
    uv_tcp_t tcp;         /* data = this connection */
    deadline_node_t wake; /* in w->wakeups while the connection waits for a time */
    mockapi_worker_t *w;
    http_framer_t framer;
    uint32_t npending;
    uint32_t writes_pending;  /* uv_write requests not yet completed */
    uint64_t head_deadline;   /* µs by which the current request must arrive; 0 = none */
    uint64_t idle_deadline;   /* µs at which an idle connection is closed; 0 = not idle */
    uint64_t linger_deadline; /* µs */
    mockapi_pending_t *head, *tail;
    bool closing;      /* uv_close requested */
    bool done_reading; /* a close_after answer is queued: parse nothing more */
    bool paused;       /* reading stopped for back-pressure */
    bool peer_eof;     /* client sent FIN */
    bool shutting;     /* the close_after answer is rendered: waiting to shut down */
    bool shutdown_sent;
    bool lingering;
};

typedef struct conn_write {
    uv_write_t req;
    mockapi_conn_t *c;
    char data[];
} conn_write_t;

static void conn_flush(mockapi_conn_t *c, uint64_t now);
static void conn_after_io(mockapi_conn_t *c, uint64_t now);

/* The clock of every due time and deadline: CLOCK_MONOTONIC in µs. */
static uint64_t conn_clock_us(void)
{
    return uv_hrtime() / 1000;
}

static void conn_close_cb(uv_handle_t *h)
{
    mockapi_conn_t *c = h->data;

    stats_conn_close(&c->w->app->stats);
    free(c);
}

/* Drops every unanswered request and closes the socket, with RST when reset
 * is set. c stays allocated until the close callback ran. */
static void conn_close(mockapi_conn_t *c, bool reset)
{
    mockapi_pending_t *e;

    if (c->closing)
        return;
    c->closing = true;
    while ((e = c->head)) {
        c->head = e->next;
        mockapi_respond_release(c->w, e);
    }
    c->tail = NULL;
    c->npending = 0;
    deadlines_remove(&c->w->wakeups, &c->wake);
    http_framer_reset(&c->framer);
    /* uv_tcp_close_reset refuses after uv_shutdown; a plain close then. */
    if (!reset || c->shutdown_sent || uv_tcp_close_reset(&c->tcp, conn_close_cb) != 0)
        uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
}

void mockapi_conn_close_handle(uv_handle_t *h)
{
    conn_close(h->data, false);
}

static void conn_enqueue(mockapi_conn_t *c, mockapi_pending_t *e)
{
    if (c->tail)
        c->tail->next = e;
    else
        c->head = e;
    c->tail = e;
    c->npending++;
    if (e->close_after)
        c->done_reading = true;
}

static mockapi_pending_t *conn_dequeue(mockapi_conn_t *c)
{
    mockapi_pending_t *e = c->head;

    c->head = e->next;
    if (!c->head)
        c->tail = NULL;
    c->npending--;
    return e;
}

/* Queues a final error answer (400, 408, 413) and stops framing: the bytes
 * of an incomplete request are dropped. */
static void conn_fail(mockapi_conn_t *c, int status, uint64_t now)
{
    mockapi_pending_t *e = mockapi_respond_error(status);

    http_framer_reset(&c->framer);
    c->head_deadline = 0;
    if (!e) {
        conn_close(c, false);
        return;
    }
    e->due_us = now;
    conn_enqueue(c, e);
}

static void conn_write_cb(uv_write_t *req, int status)
{
    conn_write_t *wr = (conn_write_t *)req;
    mockapi_conn_t *c = wr->c;
    mockapi_worker_t *w = c->w;
    uint64_t now = conn_clock_us();

    free(wr);
    c->writes_pending--;
    if (c->closing) {
        /* nothing */
    } else if (status < 0) {
        conn_close(c, false);
    } else {
        conn_flush(c, now);
        conn_after_io(c, now);
    }
    mockapi_worker_run_due(w);
}

/* Writes and empties w->out. Returns 0, or -1 when the connection was closed
 * (write error or out of memory). */
static int conn_write_out(mockapi_conn_t *c)
{
    mockapi_worker_t *w = c->w;
    uv_buf_t buf = uv_buf_init(w->out, (unsigned)w->out_len);
    size_t done = 0;
    conn_write_t *wr;
    int rc;

    if (c->writes_pending == 0) {
        rc = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
        if (rc >= 0) {
            done = (size_t)rc;
        } else if (rc != UV_EAGAIN) {
            w->out_len = 0;
            conn_close(c, false);
            return -1;
        }
    }
    if (done < w->out_len) {
        size_t rest = w->out_len - done;
        wr = malloc(sizeof *wr + rest);
        if (!wr) {
            w->out_len = 0;
            conn_close(c, false);
            return -1;
        }
        wr->c = c;
        memcpy(wr->data, w->out + done, rest);
        buf = uv_buf_init(wr->data, (unsigned)rest);
        rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &buf, 1, conn_write_cb);
        if (rc != 0) {
            free(wr);
            w->out_len = 0;
            conn_close(c, false);
            return -1;
        }
        c->writes_pending++;
    }
    w->out_len = 0;
    return 0;
}

static void conn_shutdown_cb(uv_shutdown_t *req, int status)
{
    mockapi_conn_t *c = req->data;
    uint64_t now = conn_clock_us();

    free(req);
    if (c->closing)
        return;
    if (status < 0 || c->peer_eof) {
        conn_close(c, false);
        return;
    }
    c->lingering = true;
    c->linger_deadline = now + CONN_LINGER_MS * 1000;
    conn_after_io(c, now);
    mockapi_worker_run_due(c->w);
}

static void conn_shutdown(mockapi_conn_t *c)
{
    uv_shutdown_t *req = malloc(sizeof *req);

    c->shutdown_sent = true;
    if (!req) {
        conn_close(c, false);
        return;
    }
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, conn_shutdown_cb) != 0) {
        free(req);
        conn_close(c, false);
    }
}

/* Sends every answer at the front of the FIFO that is due, in order. */
static void conn_flush(mockapi_conn_t *c, uint64_t now)
{
    mockapi_worker_t *w = c->w;
    mockapi_pending_t *e;

    if (c->closing)
        return;
    while (!c->shutting && (e = c->head) && e->fault != FAULT_HANG && e->due_us <= now) {
        if (e->fault == FAULT_RESET) {
            /* Earlier answers must reach the client before the RST. */
            if (w->out_len && conn_write_out(c) != 0)
                return;
            if (c->writes_pending)
                return; /* conn_write_cb flushes again */
            mockapi_respond_release(w, conn_dequeue(c));
            conn_close(c, true);
            return;
        }
        if (e->kind == REPLY_ORDER) {
            uint64_t t_us = uv_hrtime() / 1000;
            stats_late(&w->app->stats, t_us > e->due_us ? t_us - e->due_us : 0);
        }
        if (mockapi_respond_render(w, e) != 0) {
            w->out_len = 0;
            conn_close(c, false);
            return;
        }
        if (e->close_after)
            c->shutting = true;
        mockapi_respond_release(w, conn_dequeue(c));
        if (w->out_len >= CONN_FLUSH_BYTES && conn_write_out(c) != 0)
            return;
    }
    if (w->out_len && conn_write_out(c) != 0)
        return;
    if (c->shutting) {
        if (!c->writes_pending && !c->shutdown_sent)
            conn_shutdown(c);
    } else if (c->peer_eof && !c->writes_pending && (!c->head || c->head->fault == FAULT_HANG)) {
        conn_close(c, false);
    }
}

/* Frames n bytes just read and queues one request per complete head; a
 * malformed stream queues its error answer. Starts the header timeout while
 * the client owes the rest of a request, stops it once nothing is owed. */
static void conn_feed(mockapi_conn_t *c, const char *data, size_t n, uint64_t now)
{
    http_frame_t frame;
    int r = 0;

    if (http_framer_begin(&c->framer, data, n) != 0) {
        conn_close(c, false);
        return;
    }
    while (!c->done_reading && (r = http_framer_next(&c->framer, &frame)) > 0) {
        mockapi_pending_t *e = mockapi_respond_route(c->w, &frame.req, now);

        if (!e) {
            conn_close(c, false);
            return;
        }
        conn_enqueue(c, e);
        if (c->head == e)
            mockapi_respond_prerender(c->w, e);
    }
    if (r < 0)
        conn_fail(c, http_framer_error_status(r), now);
    if (c->closing)
        return;
    if (c->done_reading) {
        http_framer_reset(&c->framer); /* nothing after the last answer is framed */
    } else if (http_framer_end(&c->framer) != 0) {
        conn_close(c, false);
        return;
    }
    if (c->done_reading || !http_framer_in_request(&c->framer))
        c->head_deadline = 0;
    else if (c->head_deadline == 0)
        c->head_deadline = now + c->w->app->opt.header_timeout_ms * 1000;
}

static void conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    mockapi_conn_t *c = h->data;

    (void)suggested;
    /* Safe to share: libuv hands the buffer to read_cb before the next alloc,
     * and read_cb copies what it keeps. */
    *buf = uv_buf_init(c->w->rbuf, MOCKAPI_READ_BUF);
}

/* The clock starts here: a request's due time is the time of the read that
 * completed it plus its latency. */
static void conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    mockapi_conn_t *c = s->data;
    mockapi_worker_t *w = c->w;
    uint64_t now = conn_clock_us();

    if (nread == 0 || c->closing) {
        /* nothing */
    } else if (nread < 0) {
        if (nread != UV_EOF || c->lingering) {
            conn_close(c, false);
        } else {
            c->peer_eof = true;
            c->head_deadline = 0;
            uv_read_stop(s);
            conn_flush(c, now);
            conn_after_io(c, now);
        }
    } else if (!c->done_reading) { /* after the last answer: discard */
        c->idle_deadline = 0;      /* it spoke: idle counts from now */
        conn_feed(c, buf->base, (size_t)nread, now);
        conn_flush(c, now);
        conn_after_io(c, now);
    }
    mockapi_worker_run_due(w);
}

/* c's deadline came: close a lingering connection, answer 408 to a stalled
 * request, write the answers now due. */
static void conn_wake(mockapi_conn_t *c, uint64_t now)
{
    if (c->lingering && now >= c->linger_deadline) {
        conn_close(c, false);
        return;
    }
    if (c->idle_deadline && now >= c->idle_deadline) {
        conn_close(c, false);
        return;
    }
    if (c->head_deadline && now >= c->head_deadline && !c->done_reading)
        conn_fail(c, 408, now);
    conn_flush(c, now);
    conn_after_io(c, now);
}

/* Arms the worker's timerfd for the heap's top (or disarms it). */
static void worker_arm(mockapi_worker_t *w)
{
    deadline_node_t *top = deadlines_top(&w->wakeups);
    uint64_t at = top ? top->at : 0;
    struct itimerspec its = {0};

    if (at == w->timer_armed_us)
        return;
    its.it_value.tv_sec = (time_t)(at / 1000000);
    its.it_value.tv_nsec = (long)(at % 1000000) * 1000;
    if (timerfd_settime(w->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
        w->timer_armed_us = at;
    else
        log_error("mockapi: timerfd_settime: %s", strerror(errno));
}

void mockapi_worker_run_due(mockapi_worker_t *w)
{
    uint64_t now = conn_clock_us();
    deadline_node_t *top;

    while ((top = deadlines_top(&w->wakeups)) && top->at <= now) {
        mockapi_conn_t *c = (mockapi_conn_t *)((char *)top - offsetof(mockapi_conn_t, wake));

        deadlines_remove(&w->wakeups, top);
        conn_wake(c, now);
    }
    worker_arm(w);
}

void mockapi_worker_timer_cb(uv_poll_t *p, int status, int events)
{
    mockapi_worker_t *w = p->data;
    uint64_t expirations;

    (void)status;
    (void)events;
    /* The count does not matter; reading resets the readable state. */
    if (read(w->timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        log_error("mockapi: reading the timerfd: %s", strerror(errno));
    w->timer_armed_us = 0; /* one-shot: it has fired */
    mockapi_worker_run_due(w);
}

/* Applies back-pressure and re-arms the timer after any progress. */
static void conn_after_io(mockapi_conn_t *c, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    size_t queued;

    if (c->closing)
        return;
    queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
    if (!c->paused && !c->peer_eof &&
        (c->npending >= MOCKAPI_PIPELINE_MAX || queued > MOCKAPI_WRITE_QUEUE_MAX)) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->paused = true;
        c->head_deadline = 0; /* we, not the client, are holding it up */
    } else if (c->paused && c->npending <= MOCKAPI_PIPELINE_MAX / 2 &&
               queued <= MOCKAPI_WRITE_QUEUE_MAX / 2) {
        c->paused = false;
        if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb, conn_read_cb) != 0) {
            conn_close(c, false);
            return;
        }
        if (http_framer_in_request(&c->framer))
            c->head_deadline = now + c->w->app->opt.header_timeout_ms * 1000;
    }

    /* Idle: nothing of a request read, nothing to answer or write. A
     * client that connects and sends nothing, or keeps a connection it no
     * longer uses, does not hold it (and a descriptor) forever. */
    if (c->paused || c->lingering || c->shutting || c->npending || queued ||
        http_framer_in_request(&c->framer))
        c->idle_deadline = 0;
    else if (c->idle_deadline == 0)
        c->idle_deadline = now + c->w->app->opt.idle_timeout_ms * 1000;
    if (c->head_deadline)
        next = c->head_deadline;
    if (c->idle_deadline && c->idle_deadline < next)
        next = c->idle_deadline;
    if (c->lingering && c->linger_deadline < next)
        next = c->linger_deadline;
    if (!c->shutting && c->head && c->head->fault != FAULT_HANG && c->head->due_us > now &&
        c->head->due_us < next)
        next = c->head->due_us;
    if (next == UINT64_MAX)
        deadlines_remove(&c->w->wakeups, &c->wake);
    else if (deadlines_set(&c->w->wakeups, &c->wake, next) != 0)
        conn_close(c, false); /* out of memory: it could never be woken */
}

/* Prints why connections are being refused, once per process. */
static void conn_log_refusal(mockapi_t *app, const char *why)
{
    if (!atomic_flag_test_and_set(&app->refuse_logged))
        log_error("refusing connections: %s (raise ulimit -n); logged once", why);
}

/* Accepts one connection. Beyond app->max_conns (the open-file limit less a
 * reserve) a new connection is accepted and reset at once, counted in
 * accept_errors: refusing it ourselves keeps the count and the log line,
 * where libuv's own EMFILE handling would drop it silently. */
void mockapi_conn_accept_cb(uv_stream_t *listener, int status)
{
    mockapi_worker_t *w = listener->data;
    mockapi_t *app = w->app;
    mockapi_conn_t *c;

    if (status < 0) {
        stats_accept_error(&app->stats);
        conn_log_refusal(app, uv_strerror(status));
        return;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        /* Not accepting stalls this listener; there is nothing better to do
         * without memory. */
        stats_accept_error(&app->stats);
        conn_log_refusal(app, "out of memory");
        return;
    }
    c->w = w;
    deadline_node_init(&c->wake);
    uv_tcp_init(&w->loop, &c->tcp);
    c->tcp.data = c;
    stats_conn_open(&app->stats);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c, false);
        return;
    }
    if (atomic_load_explicit(&app->stats.connections, memory_order_relaxed) > app->max_conns) {
        stats_accept_error(&app->stats);
        conn_log_refusal(app, "too many open connections for the open-file limit");
        conn_close(c, true);
        return;
    }
    /* TCP_NODELAY is inherited from the listener (server_listen). */
    if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb, conn_read_cb) != 0) {
        conn_close(c, false);
    } else {
        conn_after_io(c, conn_clock_us()); /* arms its idle deadline */
    }
    mockapi_worker_run_due(w);
}
