/* Grows one mapping with mremap 8 MiB at a time, touching it. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
int main(void) {
    size_t size = 1 << 20;
    char *p = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    for (;;) {
        char *q = mremap(p, size, size + (8 << 20), MREMAP_MAYMOVE);
        if (q == MAP_FAILED) return 3;
        p = q; size += 8 << 20; memset(p, 1, size);
    }
}
