#include <cstdio>
#include "oi.h"
#ifndef _INWER
#error "compile the verifier with -D_INWER"
#endif
int main() {
    long long x;
    if (scanf("%lld", &x) != 1 || x < 1 || x > 100 || oi_answer(x) != 2 * x) {
        printf("bad input\n");
        return 1;
    }
    printf("OK x=%lld\n", x);
    return 0;
}
