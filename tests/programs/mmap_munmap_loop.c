/* 20000 x 8 MiB mmap+munmap: the cost of a traced syscall (benchmark). */
#include <stdlib.h>
#include <sys/mman.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000;
    for (long i = 0; i < n; i++) {
        void *p = mmap(0, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || munmap(p, 8 << 20)) return 3;
    }
    return 0;
}
