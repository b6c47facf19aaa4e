/* A test generator: writes t1.in, t2.in and notes.txt, prints a line. */
#include <stdio.h>
int main(void) {
    for (int i = 1; i <= 2; i++) { char name[16]; snprintf(name, sizeof name, "t%d.in", i); FILE *f = fopen(name, "w"); if (!f) return 2; fprintf(f, "%d %d\n", i, i * 10); fclose(f); }
    FILE *n = fopen("notes.txt", "w"); if (!n) return 2; fputs("not a test\n", n); fclose(n);
    puts("generated 2 tests"); return 0;
}
