/* loopback_floor: the kernel's CPU for one HTTP-sized exchange on loopback,
 * with nothing of ours in it, so an engine's figure can be held against
 * what the machine allows.
 *
 *   loopback_floor [ROUNDS] [PER_ROUND] [LATENCY_MS]
 *
 * One thread plays both ends, blocking sockets, no event loop: a request of
 * REQ_BYTES one way, a response of RESP_BYTES back. Two cases, alternating
 * ROUNDS times (default 5) with PER_ROUND exchanges each (default 4000):
 *   fresh  socket + connect + accept + the exchange + both closes (what an
 *          unbounded loop pays per request over HTTP/1.1);
 *   reuse  the exchange on one connection kept open (what a bounded model
 *          with keep-alive pays);
 *   null   one system call that does nothing (getppid), PER_ROUND x 50
 *          times: the entry and exit every call pays, the unit in which
 *          machines differ most (page-table isolation, a hypervisor).
 * Prints the median CPU µs per exchange (user + system, getrusage), and the
 * most requests a client could put in flight within one latency L (default 50 ms) when
 * each must connect first: cores x L / fresh, the machine's bound for an
 * interleaving client whatever its code. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define REQ_BYTES 96
#define RESP_BYTES 2048
#define MAX_ROUNDS 99

static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static void full_read(int fd, char *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, buf, n);
        if (r <= 0)
            die("read");
        buf += r;
        n -= (size_t)r;
    }
}

static void exchange(int client, int server)
{
    static char req[REQ_BYTES], resp[RESP_BYTES], buf[RESP_BYTES];
    if (write(client, req, sizeof req) != (ssize_t)sizeof req)
        die("write request");
    full_read(server, buf, sizeof req);
    if (write(server, resp, sizeof resp) != (ssize_t)sizeof resp)
        die("write response");
    full_read(client, buf, sizeof resp);
}

static int connect_to(const struct sockaddr_in *sa)
{
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        die("socket");
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s, (const struct sockaddr *)sa, sizeof *sa))
        die("connect");
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5, per = argc > 2 ? atoi(argv[2]) : 4000;
    int lat_ms = argc > 3 ? atoi(argv[3]) : 50;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    double fresh[MAX_ROUNDS], reuse[MAX_ROUNDS], null[MAX_ROUNDS];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int one = 1, lst;

    if (rounds < 1 || rounds > MAX_ROUNDS || per < 1 || lat_ms < 1) {
        fprintf(stderr, "loopback_floor: ROUNDS must be 1-%d, PER_ROUND and LATENCY_MS >= 1\n",
                MAX_ROUNDS);
        return 2;
    }
    if ((lst = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        die("socket");
    setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lst, (struct sockaddr *)&sa, sizeof sa) || listen(lst, 128) ||
        getsockname(lst, (struct sockaddr *)&sa, &len))
        die("listen on 127.0.0.1");
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_us();
        for (int i = 0; i < per; i++) {
            int c = connect_to(&sa), s = accept(lst, NULL, NULL);
            if (s < 0)
                die("accept");
            exchange(c, s);
            close(s); /* the server closes first, as mockapi does on its side */
            close(c);
        }
        fresh[r] = (cpu_us() - t0) / per;
        {
            int c = connect_to(&sa), s = accept(lst, NULL, NULL);
            if (s < 0)
                die("accept");
            t0 = cpu_us();
            for (int i = 0; i < per; i++)
                exchange(c, s);
            reuse[r] = (cpu_us() - t0) / per;
            close(s);
            close(c);
        }
        t0 = cpu_us();
        for (int i = 0; i < per * 50; i++)
            syscall(SYS_getppid); /* not getppid(): a libc may cache it */
        null[r] = (cpu_us() - t0) / (per * 50.0);
    }
    qsort(fresh, (size_t)rounds, sizeof fresh[0], cmp_double);
    qsort(reuse, (size_t)rounds, sizeof reuse[0], cmp_double);
    qsort(null, (size_t)rounds, sizeof null[0], cmp_double);
    printf("fresh connection per exchange: %.1f us CPU (median of %d rounds, %.1f-%.1f)\n",
           fresh[rounds / 2], rounds, fresh[0], fresh[rounds - 1]);
    printf("reused connection:             %.1f us CPU (%.1f-%.1f)\n", reuse[rounds / 2], reuse[0],
           reuse[rounds - 1]);
    printf("one system call (getppid):     %.2f us CPU (%.2f-%.2f)\n", null[rounds / 2], null[0],
           null[rounds - 1]);
    printf("bound for an interleaving client: %ld cores x %d ms / %.1f us = %.0f in flight\n",
           cores, lat_ms, fresh[rounds / 2], cores * lat_ms * 1000.0 / fresh[rounds / 2]);
    close(lst);
    return 0;
}
