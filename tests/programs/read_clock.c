/* Reads the clock every way it can: prints "syscall:OK|ERRNO" for
 * clock_gettime through the raw syscall, the vDSO's answer's seconds
 * ("vdso:SECONDS"), and two RDTSC and one RDTSCP readings. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

int main(void)
{
    struct timespec t;
    long rc = syscall(SYS_clock_gettime, CLOCK_REALTIME, &t);
    printf("syscall:%s ", rc == 0 ? "OK" : strerrorname_np(errno));
    unsigned aux = 7;
    unsigned long long a = __rdtsc(), b = __rdtsc(), c = __rdtscp(&aux);
    printf("rdtsc:%llu,%llu rdtscp:%llu aux:%u\n", a, b, c, aux);
    return 0;
}
