/* Holds as much kernel memory in pipe buffers as it can: opens pipes until
 * it may not, grows them (F_SETPIPE_SZ, unless argv[1] is "plain"), fills
 * each and leaves it unread. Prints the MiB held. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int grow = !(argc > 1 && !strcmp(argv[1], "plain"));
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    unsigned long long held = 0;
    for (int i = 0; i < 100000; i++) {
        int p[2];
        if (pipe2(p, O_NONBLOCK) < 0)
            break;
        if (grow)
            (void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
        ssize_t n;
        while ((n = write(p[1], buf, sizeof buf)) > 0)
            held += (unsigned long long)n;
    }
    printf("%llu\n", held >> 20);
    return 0;
}
