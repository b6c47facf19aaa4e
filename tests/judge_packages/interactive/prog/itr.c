/* Binary search over 1..1000. */
#include <stdio.h>
int main(void) {
    int lo = 1, hi = 1000;
    char answer[4];
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        printf("%d\n", mid);
        fflush(stdout);
        if (scanf("%3s", answer) != 1 || answer[0] == '=') return 0;
        if (answer[0] == '<') lo = mid + 1; else hi = mid - 1;
    }
    return 0;
}
