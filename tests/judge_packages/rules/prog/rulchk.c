/* Accepts the expected word; "half" scores 50 of 100. */
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    char out[64] = "", hint[64] = "";
    FILE *o = fopen(argv[2], "r"), *h = fopen(argv[3], "r");
    if (argc != 4 || !o || !h) return 5;
    if (fscanf(o, "%63s", out) != 1) out[0] = 0;
    if (fscanf(h, "%63s", hint) != 1) return 5;
    if (!strcmp(out, "half")) printf("OK\nhalf right\n50\n");
    else if (!strcmp(out, hint)) printf("OK\n\n100\n");
    else printf("WRONG\nexpected %s\n", hint);
    return 0;
}
