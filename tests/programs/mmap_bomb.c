/* Maps and touches 4 MiB anonymous blocks until mmap fails. */
#include <string.h>
#include <sys/mman.h>
int main(void) {
    for (;;) {
        char *p = mmap(0, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return 3;
        memset(p, 1, 4 << 20);
    }
}
