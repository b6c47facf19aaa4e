/* An x32-ABI syscall (getpid with the x32 bit). */
#include <sys/syscall.h>
#include <unistd.h>
int main(void) { return syscall(0x40000000 | SYS_getpid) > 0 ? 0 : 1; }
