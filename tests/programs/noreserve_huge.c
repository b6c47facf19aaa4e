/* Asks for a 1 GiB MAP_NORESERVE mapping (refused under a 64 MiB limit). */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/mman.h>
int main(void)
{
    void *p = mmap(NULL, 1UL << 30, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? 1 : 0;
}
