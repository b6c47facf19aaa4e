// Wrong: only checks neighbouring positions.
#include <cstdio>
#include <vector>
int main() {
    int n; long long s;
    if (scanf("%d %lld", &n, &s) != 2) return 1;
    std::vector<long long> a(n);
    for (auto &x : a) scanf("%lld", &x);
    for (int i = 0; i + 1 < n; i++)
        if (a[i] + a[i + 1] == s) { printf("%d %d\n", i + 1, i + 2); return 0; }
    puts("-1 -1");
    return 0;
}
