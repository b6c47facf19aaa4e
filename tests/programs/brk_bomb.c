/* Grows the heap with sbrk 64 KiB at a time, touching it, until it fails. */
#include <string.h>
#include <unistd.h>
int main(void) { for (;;) { char *p = sbrk(64 << 10); if (p == (void *)-1) return 3; memset(p, 1, 64 << 10); } }
