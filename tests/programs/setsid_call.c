/* Starts a new session. */
#include <unistd.h>
int main(void) { return setsid() < 0 ? 1 : 0; }
