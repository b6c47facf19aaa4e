/* Makes the supervisor work: 2,000,000 traced brk calls, growing and
 * shrinking the heap by a page. */
#include <unistd.h>
#include <sys/syscall.h>
int main(void)
{
    long base = syscall(SYS_brk, 0);
    for (long i = 0; i < 2000000; i++)
        syscall(SYS_brk, base + (i % 2 ? 4096 : 8192));
    return 0;
}
