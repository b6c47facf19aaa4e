/* Input verifier: the input must be two integers 0..1000 on one line.
 * Prints "OK <name>" or "WRONG ..." and exits 0 or 1. */
#include <stdio.h>
int main(int argc, char **argv) {
    long a, b; char rest;
    if (scanf("%ld %ld", &a, &b) != 2 || a < 0 || b < 0 || a > 1000 || b > 1000) { puts("WRONG numbers out of range"); return 1; }
    if (scanf(" %c", &rest) == 1) { puts("WRONG trailing data"); return 1; }
    printf("OK %s\n", argc > 1 ? argv[1] : "?"); return 0;
}
