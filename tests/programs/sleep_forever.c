/* Sleeps 30 s without using the CPU. */
#include <unistd.h>
int main(void) { sleep(30); return 0; }
