#include <cstdio>
#include "oi.h"
#ifndef _INGEN
#error "compile the generator with -D_INGEN"
#endif
int main() {
    const char *names[] = {"hlp1a.in", "hlp1b.in", "hlp2a.in"};
    const int values[] = {3, 5, 7};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(names[i], "w");
        if (!f) return 1;
        fprintf(f, "%d\n", values[i]);
        fclose(f);
    }
    return 0;
}
