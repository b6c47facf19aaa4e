/* Statuses in one group: RE + TL is TL, RE + ML is ML, and group 3 WA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    char word[64];
    if (scanf("%63s", word) != 1) return 1;
    if (!strcmp(word, "alpha") || !strcmp(word, "gamma")) return 3;
    if (!strcmp(word, "beta")) for (volatile unsigned long i = 0;; i++) {}
    if (!strcmp(word, "delta")) {
        size_t size = 200u << 20;
        char *p = malloc(size);
        if (p) memset(p, 1, size);
        printf("%d\n", p ? p[size - 1] : 0);
        return 0;
    }
    puts(!strcmp(word, "eps") ? "wrong" : word);
    return 0;
}
