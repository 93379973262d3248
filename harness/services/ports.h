/* Loopback TCP ports for the services: internal to harness/services/
 * (svc_free_port, in services.h, is the public one). */
#ifndef CONCBENCH_SERVICES_PORTS_H
#define CONCBENCH_SERVICES_PORTS_H

#include <stdbool.h>

/* Whether port on 127.0.0.1 is bound by someone else now (a server that
 * died at start-up because of it is worth another try on another port). */
bool svc_port_taken(int port);

/* Connects to host:port (an IPv4 literal) with send and receive timeouts
 * of LIMIT_SVC_PROBE_IO_TIMEOUT_S. Returns the socket, or -1 with errno. */
int svc_tcp_connect(const char *host, int port);

#endif
