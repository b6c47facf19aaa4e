/* Maps 32 MiB, then 128 MiB with MAP_FIXED at the same address (replacing
 * the first, growing by 96 MiB): over a 64 MiB limit. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
    char *a = mmap(NULL, 32 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (a == MAP_FAILED)
        return 1;
    a[0] = 1;
    char *b = mmap(a, 128 << 20, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (b == MAP_FAILED)
        return 1;
    b[(128 << 20) - 1] = 1;
    puts("grew");
    return 0;
}
