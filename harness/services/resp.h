/* A tiny blocking RESP client for probing the private redis-server:
 * internal to harness/services/. */
#ifndef CONCBENCH_SERVICES_RESP_H
#define CONCBENCH_SERVICES_RESP_H

#include <stddef.h>

/* Sends one inline command (cmd ends with "\r\n") to redis on the unix
 * socket sock over a fresh connection and reads one reply, a status
 * line or a bulk string, into buf (NUL-terminated, truncated to fit).
 * Returns the reply's length, or -1 when nothing complete came back. */
int resp_command(const char *sock, const char *cmd, char *buf, size_t len);

#endif
