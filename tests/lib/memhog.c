/* A process tree of known cost for the measurement tests:
 *   memhog mem MIB [CHILDREN]   each of CHILDREN forked processes (or this one
 *                               when 0) allocates and touches MIB MiB, holds it
 *                               300 ms, exits
 *   memhog cpu SECONDS CHILDREN each child burns SECONDS of user CPU
 * The parent reaps every child so their CPU reaches the caller's wait4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
    int children;
    if (argc < 3 || (strcmp(argv[1], "mem") && strcmp(argv[1], "cpu"))) {
        fprintf(stderr, "usage: memhog mem MIB [CHILDREN] | memhog cpu SECONDS CHILDREN\n");
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
