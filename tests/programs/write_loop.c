/* N x write(1, "x", 1): the cost of an allowed syscall (benchmark). */
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    for (long i = 0; i < n; i++) if (write(1, "x", 1) != 1) return 3;
    return 0;
}
