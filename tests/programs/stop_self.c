/* Stops itself with SIGSTOP, then finishes (a supervisor must not hang). */
#include <signal.h>
#include <stdio.h>
int main(void) { raise(SIGSTOP); puts("continued"); return 0; }
