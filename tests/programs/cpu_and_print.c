/* Burns a little CPU, then prints a checksum: for concurrency tests. */
#include <stdio.h>
int main(void) { unsigned long s = 0; for (unsigned long i = 0; i < 3000000; i++) s += i * i % 7; printf("%lu\n", s); return 0; }
