// Input verifier: "n s" with 2 <= n <= 200000, then n integers in [0, 10^9].
#include <cstdio>
int main(int argc, char **argv) {
    int n; long long s;
    if (scanf("%d %lld", &n, &s) != 2 || n < 2 || n > 200000 || s < 0 || s > 2000000000LL) {
        puts("WRONG header"); return 1;
    }
    for (int i = 0; i < n; i++) {
        long long x;
        if (scanf("%lld", &x) != 1 || x < 0 || x > 1000000000LL) { printf("WRONG number %d\n", i + 1); return 1; }
    }
    char c;
    if (scanf(" %c", &c) == 1) { puts("WRONG trailing data"); return 1; }
    printf("OK %s n=%d\n", argc > 1 ? argv[1] : "", n);
    return 0;
}
