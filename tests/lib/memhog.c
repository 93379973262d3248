/* A process tree of known cost for the measurement tests:
 *   memhog mem MIB [CHILDREN]   each of CHILDREN forked processes (or this one
 *                               when 0) allocates and touches MIB MiB, holds it
 *                               300 ms, exits
 *   memhog cpu SECONDS CHILDREN each child burns SECONDS of user CPU
 *   memhog sock MIB             writes MIB MiB over loopback TCP connections
 *                               it opens to itself and never reads, so the
 *                               bytes sit in socket buffers (kernel memory,
 *                               not the process's RSS); holds 300 ms, exits
 * The parent reaps every child so their CPU reaches the caller's wait4. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hog_mem(long mib)
{
    size_t n = (size_t)mib << 20;
    volatile char *p = malloc(n);
    struct timespec hold = {0, 300000000L};
    if (!p)
        exit(3);
    for (size_t i = 0; i < n; i += 4096)
        p[i] = (char)i;
    nanosleep(&hold, NULL);
    free((void *)p);
}

static void hog_cpu(double secs)
{
    volatile unsigned long x = 0;
    double start = cpu_now();
    while (cpu_now() - start < secs)
        for (int i = 0; i < 100000; i++)
            x += (unsigned long)i * 2654435761UL;
}

/* Connection pairs to a private listener, each client writing until its
 * socket is full (the server side never reads), until MIB MiB are queued. */
static int hog_sock(long mib)
{
    size_t want = (size_t)mib << 20, queued = 0;
    static char chunk[65536];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    struct timespec hold = {0, 300000000L};
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 64) ||
        getsockname(lfd, (struct sockaddr *)&a, &alen))
        return 3;
    memset(chunk, 'x', sizeof chunk);
    while (queued < want) {
        int c = socket(AF_INET, SOCK_STREAM, 0), s;
        ssize_t n = 0;
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) ||
            (s = accept(lfd, NULL, NULL)) < 0)
            return 3;
        fcntl(c, F_SETFL, O_NONBLOCK);
        while (queued < want && (n = write(c, chunk, sizeof chunk)) > 0)
            queued += (size_t)n;
        if (n < 0 && errno != EAGAIN)
            return 3;
    }
    nanosleep(&hold, NULL);
    return 0; /* the sockets close at exit */
}

int main(int argc, char **argv)
{
    int children;
    if (argc == 3 && strcmp(argv[1], "sock") == 0)
        return hog_sock(atol(argv[2]));
    if (argc < 3 || (strcmp(argv[1], "mem") && strcmp(argv[1], "cpu"))) {
        fprintf(stderr, "usage: memhog mem MIB [CHILDREN] | memhog cpu SECONDS CHILDREN | "
                        "memhog sock MIB\n");
        return 2;
    }
    children = argc > 3 ? atoi(argv[3]) : 0;
    if (children == 0) {
        if (argv[1][0] == 'm')
            hog_mem(atol(argv[2]));
        else
            hog_cpu(atof(argv[2]));
        return 0;
    }
    for (int i = 0; i < children; i++) {
        pid_t p = fork();
        if (p == 0) {
            if (argv[1][0] == 'm')
                hog_mem(atol(argv[2]));
            else
                hog_cpu(atof(argv[2]));
            _exit(0);
        }
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
