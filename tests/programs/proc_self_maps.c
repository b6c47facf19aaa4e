/* Reads /proc/self/maps. */
#include <stdio.h>
int main(void) { FILE *f = fopen("/proc/self/maps", "r"); if (!f) { puts("NOFILE"); return 0; } char b[256]; if (!fgets(b, sizeof b, f)) return 2; puts("READ"); return 0; }
