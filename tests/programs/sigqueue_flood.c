/* Queues real-time signals to itself (blocked, so they stay pending) until
 * the kernel refuses. Prints how many were queued. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    long n = 0;
    union sigval v = {0};
    while (n < 200000 && sigqueue(getpid(), SIGRTMIN, v) == 0)
        n++;
    printf("%ld\n", n);
    return 0;
}
