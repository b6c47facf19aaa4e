// Correct but slow: tries every pair.
#include <cstdio>
#include <vector>
int main() {
    int n; long long s;
    if (scanf("%d %lld", &n, &s) != 2) return 1;
    std::vector<long long> a(n);
    for (auto &x : a) scanf("%lld", &x);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (a[i] + a[j] == s) { printf("%d %d\n", i + 1, j + 1); return 0; }
    puts("-1 -1");
    return 0;
}
