#include <cstdio>
#include "oi.h"
int main() {
    long long x;
    if (scanf("%lld", &x) != 1) return 1;
    printf("%lld\n", oi_answer(x));
    return 0;
}
