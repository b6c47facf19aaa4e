/* Makes the kernel hold page tables far beyond the address space it uses:
 * one touched 4 KiB page in each of COUNT (argv[1], default 32768) regions
 * 1 GiB apart, so that every page costs a page-table page at two levels.
 * Prints how many pages it placed, then holds them a moment and exits 0. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long count = argc > 1 ? atol(argv[1]) : 32768;
    long placed = 0;
    for (long i = 0; i < count; i++) {
        char *want = (char *)(0x100000000000UL + (unsigned long)i * (1UL << 30));
        char *p = mmap(want, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED)
            break;
        *p = 1;
        placed++;
    }
    printf("%ld\n", placed);
    fflush(stdout);
    usleep(100000);
    return 0;
}
