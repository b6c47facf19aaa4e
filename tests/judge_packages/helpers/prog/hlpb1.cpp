#include <cstdio>
int main() {
    long long x;
    if (scanf("%lld", &x) != 1) return 1;
    printf("%lld\n", x > 4 ? 2 * x : 2 * x + 1);
    return 0;
}
