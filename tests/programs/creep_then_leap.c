/* After one traced mapping (the supervisor reads its size there), grows
 * without a traced call (the break a MiB at a time, mappings of 32 KiB) to
 * 48 MiB, then asks for 24 MiB more in one mapping, which the supervisor
 * sees: over a 64 MiB limit, that is memory limit exceeded, not the
 * failure the kernel would give the program (exit 3). */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void)
{
    char *first = mmap(0, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (first == MAP_FAILED || munmap(first, 1 << 20))
        return 3;
    for (int i = 0; i < 24; i++) {
        char *p = sbrk(1 << 20);
        if (p == (void *)-1)
            return 3;
        memset(p, 1, 1 << 20);
    }
    for (int i = 0; i < 24 * 32; i++) {
        char *p = mmap(0, 32 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return 3;
        memset(p, 1, 32 << 10);
    }
    char *leap = mmap(0, 24 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (leap == MAP_FAILED)
        return 3;
    memset(leap, 1, 24 << 20);
    return 0;
}
