/*
 * compare_main.c - the standalone comparator (exec-sandbox's bin/compare).
 *
 *   compare HINT OUT          exec-sandbox form
 *   compare IN OUT HINT       checker form
 *
 * Prints "OK", or "WRONG" and a line saying where the outputs differ; exits
 * 0 either way. Exits 2 with a one-line message when a file cannot be read,
 * 1 on bad arguments.
 */
#include <stdio.h>

#include "compare.h"

int main(int argc, char **argv)
{
    const char *hint, *out;
    if (argc == 3) {
        hint = argv[1];
        out = argv[2];
    } else if (argc == 4) {
        out = argv[2];
        hint = argv[3];
    } else {
        fprintf(stderr, "usage: %s HINT OUT | %s IN OUT HINT\n", argv[0], argv[0]);
        return 2;
    }
    char msg[512];
    int rc = sio_compare_files(hint, out, msg, sizeof msg);
    switch (rc) {
    case SIO_COMPARE_SAME:
        puts("OK");
        break;
    case SIO_COMPARE_DIFFERENT:
        printf("WRONG\n%s\n", msg);
        break;
    default:
        fprintf(stderr, "compare: %s\n", msg);
        return 2;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("compare: writing the result");
        return 2;
    }
    return 0;
}
