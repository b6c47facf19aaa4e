/* Replaces itself with a shell. */
#include <unistd.h>
int main(void) { char *argv[] = {"sh", "-c", "echo escaped", 0}; execv("/bin/sh", argv); return 3; }
