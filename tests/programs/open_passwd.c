/* Reads /etc/passwd; prints the errno name when it cannot. */
#include <errno.h>
#include <stdio.h>
int main(void) {
    FILE *f = fopen("/etc/passwd", "r");
    if (!f) { puts(errno == EACCES ? "EACCES" : errno == EPERM ? "EPERM" : "ERR"); return 0; }
    int c = fgetc(f); printf("READ %c\n", c); return 0;
}
