// Generator (sinol naming): writes the big tests pai2a.in (a planted pair)
// and pai2b.in (no pair: all numbers even, s odd); their outputs come from
// the model solution.
#include <cstdio>
#include <random>
int main() {
    std::mt19937_64 rng(20261127);
    const int n = 200000;
    FILE *in = fopen("pai2a.in", "w");
    if (!in) return 1;
    long long s = 1999999999;
    fprintf(in, "%d %lld\n", n, s);
    for (int k = 0; k < n; k++) {
        long long x = (long long)(rng() % 500000000);  // sums stay below s
        if (k == 123456) x = 1000000000;
        if (k == 177777) x = 999999999;
        fprintf(in, "%lld%c", x, k + 1 == n ? '\n' : ' ');
    }
    fclose(in);
    in = fopen("pai2b.in", "w");
    if (!in) return 1;
    fprintf(in, "%d %lld\n", n, 1000000001LL);
    for (int k = 0; k < n; k++)
        fprintf(in, "%lld%c", 2 * (long long)(rng() % 500000000), k + 1 == n ? '\n' : ' ');
    fclose(in);
    puts("generated pai2a.in and pai2b.in");
    return 0;
}
