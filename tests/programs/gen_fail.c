/* A generator that writes a test and then fails. */
#include <stdio.h>
int main(void) { FILE *f = fopen("t1.in", "w"); if (f) { fputs("1\n", f); fclose(f); } puts("something went wrong"); return 4; }
