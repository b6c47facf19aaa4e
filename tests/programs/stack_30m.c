/* 30 MiB on the stack, all touched. */
#include <string.h>
static int use(volatile char *p, unsigned long n) { for (unsigned long i = 0; i < n; i += 4096) p[i] = 1; return p[n - 1]; }
int main(void) { volatile char big[30 << 20]; memset((char *)big, 0, sizeof big); return use(big, sizeof big); }
