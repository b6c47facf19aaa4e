/* Reads the file "data" from its working directory and prints it. */
#include <stdio.h>
int main(void) {
    FILE *f = fopen("data", "r"); char buf[64] = {0};
    if (!f) { puts("NOFILE"); return 0; }
    if (!fgets(buf, sizeof buf, f)) return 2;
    printf("DATA %s", buf); return 0;
}
