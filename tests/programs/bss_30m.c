/* 30 MiB of zero-initialized static data, all touched. */
#include <string.h>
static char big[30 << 20];
int main(void) { memset(big, 1, sizeof big); return big[12345] == 1 ? 0 : 1; }
