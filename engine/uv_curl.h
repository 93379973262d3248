/* Glue between a libcurl multi handle and a libuv loop: curl's socket
 * callback drives uv_poll handles, its timer callback drives one uv_timer,
 * and only curl_multi_socket_action is ever called (never
 * curl_multi_perform, which walks every handle). Finished transfers are
 * taken off the multi handle and handed to done_cb, so the owner can reuse
 * the easy handle at once.
 *
 * Sockets: a poll handle per open socket curl has asked about, found by fd
 * in a table, kept from the first time curl asks until the fd is closed, so
 * a request on a keep-alive connection costs no allocation and, when it
 * wants the events the last one did, no epoll_ctl (see uv_curl_sock_t).
 * libuv aborts when a watched fd is closed under it, so every easy handle
 * added here gets a CURLOPT_CLOSESOCKETFUNCTION that closes the socket's
 * poll handle before the fd is closed. A poll handle is freed by its
 * uv_close callback.
 *
 * Errors: a failing curl_multi_* or uv_* call inside a callback cannot be
 * returned to anyone, so the first one is recorded as "where: what" and
 * error_cb is called; the caller should then stop (transfers may be lost). */
#ifndef CONCBENCH_ENGINE_UV_CURL_H
#define CONCBENCH_ENGINE_UV_CURL_H

#include <curl/curl.h>
#include <uv.h>

typedef struct uv_curl uv_curl_t;

/* A transfer finished (rc is its result); easy is already removed from the
 * multi handle and may be re-added or cleaned up by the callee. */
typedef void (*uv_curl_done_cb)(void *ud, CURL *easy, CURLcode rc);
/* The glue broke; msg is "where: what", valid until uv_curl_close. */
typedef void (*uv_curl_error_cb)(void *ud, const char *msg);
typedef void (*uv_curl_closed_cb)(void *ud);

/* Creates the multi handle on loop with a connection cache of maxconnects
 * (size it to the number of connections in use at once, so keep-alive
 * connections are not churned). Returns NULL with a one-line reason in err. */
uv_curl_t *uv_curl_create(uv_loop_t *loop, long maxconnects, uv_curl_done_cb done_cb,
                          uv_curl_error_cb error_cb, void *ud, char *err, size_t errlen);

/* Starts a transfer. Returns 0, or -1 with the reason recorded (see
 * uv_curl_error); done_cb is then not called for easy. */
int uv_curl_add(uv_curl_t *cu, CURL *easy);

/* Takes easy off the multi handle without calling done_cb (abandoning a
 * transfer). Returns 0 or -1. */
int uv_curl_remove(uv_curl_t *cu, CURL *easy);

/* The first error recorded, or NULL. */
const char *uv_curl_error(const uv_curl_t *cu);

/* Cleans up the multi handle (closing cached connections) and closes every
 * uv handle; closed_cb(ud) runs from the loop once the last is closed, after
 * which cu is freed. Remove (or finish) every easy handle first. Must not be
 * called from inside done_cb or error_cb. */
void uv_curl_close(uv_curl_t *cu, uv_curl_closed_cb closed_cb, void *ud);

#endif
