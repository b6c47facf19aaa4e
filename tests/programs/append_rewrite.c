/* Clears O_APPEND from its stdout, then writes 45 MiB in 1 MiB pieces,
 * seeking back to the start after each: the file never grows past 1 MiB.
 * argv[1] "truncate" truncates instead of seeking; "noappend" leaves
 * O_APPEND set and writes each piece at offset 0 with pwritev2's
 * RWF_NOAPPEND. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x00000020
#endif

int main(int argc, char **argv)
{
    int truncate_it = argc > 1 && !strcmp(argv[1], "truncate");
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    if (argc > 1 && !strcmp(argv[1], "noappend")) {
        struct iovec v = {buf, sizeof buf};
        for (int i = 0; i < 45; i++)
            if (pwritev2(1, &v, 1, 0, RWF_NOAPPEND) < 0) {
                fprintf(stderr, "pwritev2 refused: %s\n", strerrorname_np(errno));
                return 3;
            }
        return 0;
    }
    int flags = fcntl(1, F_GETFL);
    if (fcntl(1, F_SETFL, flags & ~O_APPEND) < 0)
        fprintf(stderr, "F_SETFL refused: %s\n", strerrorname_np(errno));
    for (int i = 0; i < 45; i++) {
        if (write(1, buf, sizeof buf) < 0)
            return 3;
        if (truncate_it)
            (void)!ftruncate(1, 0);
        else
            lseek(1, 0, SEEK_SET);
    }
    return 0;
}
