/* The open-file limit. Every request in flight holds a socket, so the
 * models, `concbench worker` and mockapi raise the soft RLIMIT_NOFILE to
 * the hard one before they open anything; the hard limit cannot be raised
 * (20,000 on the reference machine, even as root). */
#ifndef CONCBENCH_COMMON_FDLIMIT_H
#define CONCBENCH_COMMON_FDLIMIT_H

#include <stdint.h>

/* Descriptors a process keeps for itself beside its sockets: PostgreSQL,
 * epoll, signal and async pipes, libuv's EMFILE reserve, stdio. */
#define FDLIMIT_RESERVE 64

/* Raises the soft limit to the hard one. Returns the soft limit now in
 * force (UINT64_MAX when unlimited). When need > 0 and even the hard limit
 * is below need + FDLIMIT_RESERVE, prints one warning (the log prefix
 * names the program) saying what will fail. Cannot fail otherwise. */
uint64_t fdlimit_raise(uint64_t need);

#endif
