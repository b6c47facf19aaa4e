/* Probes a file's size by path (would leak e.g. an answer file's length). */
#include <stdio.h>
#include <sys/stat.h>
int main(void) { struct stat st; if (stat("/etc/passwd", &st)) { puts("NOSTAT"); return 0; } printf("SIZE %ld\n", (long)st.st_size); return 0; }
