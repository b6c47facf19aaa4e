// Correct: sort positions by value, walk two pointers.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
    int n; long long s;
    if (scanf("%d %lld", &n, &s) != 2) return 1;
    std::vector<long long> a(n);
    std::vector<int> id(n);
    for (int i = 0; i < n; i++) { scanf("%lld", &a[i]); id[i] = i; }
    std::sort(id.begin(), id.end(), [&](int x, int y) { return a[x] < a[y]; });
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        long long sum = a[id[lo]] + a[id[hi]];
        if (sum == s) {
            int i = std::min(id[lo], id[hi]) + 1, j = std::max(id[lo], id[hi]) + 1;
            printf("%d %d\n", i, j);
            return 0;
        }
        if (sum < s) lo++; else hi--;
    }
    puts("-1 -1");
    return 0;
}
