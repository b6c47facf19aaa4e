/* vfork + _exit. */
#include <unistd.h>
int main(void) { pid_t p = vfork(); if (p == 0) _exit(0); return 0; }
