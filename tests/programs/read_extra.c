/* Prints the contents of extra.txt from its working directory. */
#include <stdio.h>
int main(void) { FILE *f = fopen("extra.txt", "r"); char b[64] = {0}; if (!f) { puts("NOFILE"); return 0; } if (!fgets(b, sizeof b, f)) return 2; printf("EXTRA %s", b); return 0; }
