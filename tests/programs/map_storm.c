/* Makes the supervisor work: 2,000,000 traced mmap calls (each big enough
 * to stop for the memory rule), each unmapped at once. */
#include <sys/mman.h>
int main(void)
{
    for (long i = 0; i < 2000000; i++) {
        void *p = mmap(0, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || munmap(p, 1 << 20))
            return 3;
    }
    return 0;
}
