/* Grows its address space with mremap(MREMAP_DONTUNMAP), which keeps the
 * old mapping: 40 MiB, then moved twice (3 x 40 MiB under a 64 MiB limit). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
    size_t len = 40 << 20;
    char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        return 1;
    memset(a, 1, len);
    for (int i = 0; i < 2; i++) {
        char *b = mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
        if (b == MAP_FAILED)
            return 1;
        a = b;
    }
    puts("grew");
    return 0;
}
