/* Turns off address-space randomization. */
#include <sys/personality.h>
int main(void) { return personality(ADDR_NO_RANDOMIZE) == -1 ? 1 : 0; }
