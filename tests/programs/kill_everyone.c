/* kill(-1, SIGKILL): every process it may signal. */
#include <signal.h>
int main(void) { kill(-1, SIGKILL); return 0; }
