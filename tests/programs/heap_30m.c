/* 30 MiB from malloc, all touched. */
#include <stdlib.h>
#include <string.h>
int main(void) { char *p = malloc(30 << 20); if (!p) return 3; memset(p, 1, 30 << 20); return p[777] == 1 ? 0 : 1; }
