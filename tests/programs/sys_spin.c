/* Burns CPU in the kernel, not in user space: getrandom of 1 MiB, forever. */
#include <sys/random.h>
int main(void)
{
    static char buf[1 << 20];
    for (;;)
        (void)!getrandom(buf, sizeof buf, 0);
}
