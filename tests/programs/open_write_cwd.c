/* Creates a file in its working directory; prints the errno name when it cannot. */
#include <errno.h>
#include <stdio.h>
int main(void) {
    FILE *f = fopen("created.txt", "w");
    if (!f) { puts(errno == EPERM ? "EPERM" : errno == EACCES ? "EACCES" : "ERR"); return 0; }
    fputs("x", f); fclose(f); puts("CREATED"); return 0;
}
