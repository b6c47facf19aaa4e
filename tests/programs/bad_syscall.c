/* Makes syscall number -1. */
#include <unistd.h>
#include <sys/syscall.h>
int main(void) { return (int)syscall(-1); }
