/* Helpers shared by mockapi's end-to-end tests (test_mockapi_e2e.c,
 * test_mockapi_load.c): start and stop the real binary, and a minimal
 * blocking HTTP/1.1 client. Failures are cmocka assertions. */
#ifndef CONCBENCH_TEST_MOCKAPI_CLIENT_H
#define CONCBENCH_TEST_MOCKAPI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* Path of the mockapi binary under test (argv[1]). */
extern const char *mockapi_path;

typedef struct server {
    pid_t pid;
    int port;
    int nofile;              /* > 0: the server's RLIMIT_NOFILE (soft and hard) */
    const char *stderr_path; /* non-NULL: the server's stderr goes to this file */
} server_t;

typedef struct client {
    int fd;
    char *buf;
    size_t len, cap;
} client_t;

typedef struct response {
    int status;
    char head[2048];
    char *body; /* NUL-terminated, malloc'd: response_free() */
    size_t body_len;
} response_t;

/* Sends buf[0..len) on c from a thread while another reads (pipelining). */
struct sender {
    client_t *c;
    char *buf;
    size_t len, sent;
};

uint64_t now_ms(void);

/* Starts mockapi --port 0 plus the NULL-terminated extra args (NULL for
 * none) and reads its listening line into s->port. */
void server_start(server_t *s, const char *const *extra);
/* SIGTERM; asserts exit status 0 within 3 s. */
void server_stop(server_t *s);
/* A cmocka teardown for tests that called server_new(). */
int server_teardown(void **state);
/* Allocates a server_t into *state and starts it. */
server_t *server_new(void **state, const char *const *extra);

int client_connect(client_t *c, int port);
void client_close(client_t *c);
void client_send(client_t *c, const char *data, size_t n);
void client_sendf(client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Waits up to timeout_ms for more bytes: count, 0 on EOF, -ETIMEDOUT or -errno. */
ssize_t client_fill(client_t *c, int timeout_ms);
/* One response: its status, 0 on EOF before any byte, or -errno. */
int client_read(client_t *c, response_t *r, int timeout_ms);
void response_free(response_t *r);
/* Reads until EOF (not a reset) within 3 s. */
void assert_closed_by_server(client_t *c);

/* order_to_json(order_generate(seed, id, items)), malloc'd. */
char *expected_order(uint64_t seed, uint64_t id, int items);
/* One request on a fresh connection; returns the status. */
int get_once(int port, const char *method, const char *path, response_t *r);
/* GET /__stats parsed (caller decrefs). */
json_t *get_stats(int port);
/* An integer member of j; fails the test when missing. */
json_int_t stat_int(json_t *j, const char *key);
/* Resident set size of pid in KiB. */
long rss_kib(pid_t pid);
/* pthread entry: sends snd->buf with blocking writes. */
void *sender_main(void *arg);
/* Opens n connections, sends GET /orders/{1..n} on each at once and counts
 * 200s and 429s (each 429 must carry Retry-After: 1). */
void burst(int port, int n, int *ok, int *throttled);

#endif
