/* Holds memory outside its address space in memfds (tmpfs pages), 16 MiB
 * each, as many as it may. Prints the MiB held. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    unsigned long long held = 0;
    for (int i = 0; i < 256; i++) {
        int fd = memfd_create("hoard", 0);
        if (fd < 0)
            break;
        for (int j = 0; j < 16; j++) {
            if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
                break;
            held += sizeof buf;
        }
    }
    printf("%llu\n", held >> 20);
    return 0;
}
