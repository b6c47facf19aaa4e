// Generator: writes the big tests 4.in/4.out (a planted pair) and
// 5.in/5.out (no pair: all numbers even, s odd).
#include <cstdio>
#include <random>
int main() {
    std::mt19937_64 rng(20261127);
    const int n = 200000;
    FILE *in = fopen("4.in", "w"), *hint = fopen("4.out", "w");
    if (!in || !hint) return 1;
    long long s = 1999999999;
    fprintf(in, "%d %lld\n", n, s);
    for (int k = 0; k < n; k++) {
        long long x = (long long)(rng() % 500000000);  // sums stay below s
        if (k == 123456) x = 1000000000;
        if (k == 177777) x = 999999999;
        fprintf(in, "%lld%c", x, k + 1 == n ? '\n' : ' ');
    }
    fputs("1\n", hint);
    fclose(in); fclose(hint);
    in = fopen("5.in", "w"); hint = fopen("5.out", "w");
    if (!in || !hint) return 1;
    fprintf(in, "%d %lld\n", n, 1000000001LL);
    for (int k = 0; k < n; k++)
        fprintf(in, "%lld%c", 2 * (long long)(rng() % 500000000), k + 1 == n ? '\n' : ' ');
    fputs("-1\n", hint);
    fclose(in); fclose(hint);
    puts("generated tests 4 and 5");
    return 0;
}
