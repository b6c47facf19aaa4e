/* Works just short of a scheduler tick, then crosses the tick inside a
 * syscall (argv[1]: "sleep" sleeps, else a long getrandom), so that tick
 * sampling bills it little or nothing. Runs for argv[2] ms of CPU time
 * (default 3000), measured precisely, then prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static long long ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
    int sleep_across = argc > 1 && !strcmp(argv[1], "sleep");
    long long budget = (argc > 2 ? atoll(argv[2]) : 3000) * 1000000LL;
    const long long tick = 4000000;  /* HZ=250; shorter ticks are dodged too */
    static char buf[256 << 10];
    volatile unsigned long long x = 0;
    while (ns(CLOCK_PROCESS_CPUTIME_ID) < budget) {
        long long until = ns(CLOCK_MONOTONIC) / tick * tick + tick - 300000;
        while (ns(CLOCK_MONOTONIC) < until)
            x++;
        if (sleep_across) {
            struct timespec nap = {0, 600000};
            nanosleep(&nap, NULL);
        } else {
            (void)!getrandom(buf, sizeof buf, 0);
        }
    }
    printf("%lld\n", ns(CLOCK_PROCESS_CPUTIME_ID) / 1000000);
    return 0;
}
