/* A verifier that prints a megabyte before accepting. */
#include <stdio.h>
int main(void) { for (int i = 0; i < 16384; i++) puts("................................................................"); return 0; }
