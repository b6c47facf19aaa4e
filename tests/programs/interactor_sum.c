/* An interactor: for each of N solution processes (argv: N R0 W0 ...),
 * sends the two numbers of its input line (stdin holds N lines), reads the
 * answer, and judges it. Writes OK/WRONG, a comment and a score to stdout.
 * With CRASH defined (interactor_crash.c) it aborts after the answer; with
 * SILENT (interactor_ok_silent.c) an accepted answer gets no comment. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 3;
    int n = atoi(argv[1]);
    if (argc != 2 + 2 * n)
        return 3;
#ifdef CRASH
    int crash = 1;
#else
    int crash = 0;
#endif
    int good = 0;
    for (int i = 0; i < n; i++) {
        long a, b;
        if (scanf("%ld %ld", &a, &b) != 2)
            return 3;
        FILE *to = fdopen(atoi(argv[3 + 2 * i]), "w");
        FILE *from = fdopen(atoi(argv[2 + 2 * i]), "r");
        if (!to || !from)
            return 4;
        fprintf(to, "%ld %ld\n", a, b);
        fflush(to);
        long got;
        if (fscanf(from, "%ld", &got) != 1) {
            printf("WRONG\nno answer from process %d\n", i);
            return 0;
        }
        if (crash)
            abort();
        if (got == a + b)
            good++;
        /* Let the solution know we are done. */
        fprintf(to, "0 0\n");
        fflush(to);
    }
#ifdef SILENT
    if (good == n)
        printf("OK\n");
#else
    if (good == n)
        printf("OK\nall %d correct\n100\n", n);
#endif
    else
        printf("WRONG\n%d of %d correct\n", good, n);
    return 0;
}
