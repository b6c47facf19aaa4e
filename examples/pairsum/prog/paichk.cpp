// Checker: chk IN OUT HINT. Accepts any valid pair; "-1 -1" only when the
// hint says there is none. Prints OK/WRONG, a comment and the score.
#include <cstdio>
#include <vector>
static void verdict(bool ok, const char *comment) {
    printf("%s\n%s\n%s\n", ok ? "OK" : "WRONG", comment, ok ? "100" : "0");
}
int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: chk IN OUT HINT\n"); return 2; }
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r"), *hint = fopen(argv[3], "r");
    if (!in || !out || !hint) { fprintf(stderr, "cannot open files\n"); return 2; }
    int n; long long s, exists;
    if (fscanf(in, "%d %lld", &n, &s) != 2 || fscanf(hint, "%lld", &exists) != 1) return 2;
    std::vector<long long> a(n);
    for (auto &x : a) if (fscanf(in, "%lld", &x) != 1) return 2;
    long long i, j;
    if (fscanf(out, "%lld %lld", &i, &j) != 2) { verdict(false, "expected two numbers"); return 0; }
    char extra;
    if (fscanf(out, " %c", &extra) == 1) { verdict(false, "unexpected output after the pair"); return 0; }
    if (i == -1 && j == -1) {
        verdict(exists == -1, exists == -1 ? "correctly found no pair" : "a pair exists");
        return 0;
    }
    if (i < 1 || j > n || i >= j) { verdict(false, "positions out of range or not i < j"); return 0; }
    if (a[i - 1] + a[j - 1] != s) { verdict(false, "the two numbers do not add up to s"); return 0; }
    verdict(true, "");
    return 0;
}
