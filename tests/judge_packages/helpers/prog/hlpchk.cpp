#include <cstdio>
#include "oi.h"
int main(int argc, char **argv) {
    long long x, y;
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r");
    if (argc != 4 || !in || !out || fscanf(in, "%lld", &x) != 1) return 5;
    if (fscanf(out, "%lld", &y) == 1 && y == oi_answer(x)) printf("OK\n\n100\n");
    else printf("WRONG\nnot twice the input\n");
    return 0;
}
