/* Routes a signal to another process through a descriptor: makes that
 * process (argv[2], or the parent) or its group the owner of a pipe, asks
 * for a signal on I/O (F_SETSIG: argv[3], default SIGKILL) and writes.
 * argv[1]: setown | setown_pgrp | setown_ex | fiosetown | lease | notify.
 * Prints "refused ERRNO" when the kernel says no, "sent" otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <unistd.h>

static int refused(const char *what)
{
    printf("refused %s %s\n", what, strerrorname_np(errno));
    return 0;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "setown";
    pid_t target = argc > 2 ? (pid_t)atoi(argv[2]) : getppid();
    int sig = argc > 3 ? atoi(argv[3]) : SIGKILL;
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        return 3;
    if (!strcmp(how, "lease"))
        return fcntl(p[0], F_SETLEASE, F_RDLCK) < 0 ? refused("F_SETLEASE") : 0;
    if (!strcmp(how, "notify"))
        return fcntl(p[0], F_NOTIFY, DN_MODIFY) < 0 ? refused("F_NOTIFY") : 0;
    int rc;
    if (!strcmp(how, "setown_pgrp")) {
        rc = fcntl(p[0], F_SETOWN, -getpgid(target));
    } else if (!strcmp(how, "setown_ex")) {
        struct f_owner_ex owner = {F_OWNER_PID, target};
        rc = fcntl(p[0], F_SETOWN_EX, &owner);
    } else if (!strcmp(how, "fiosetown")) {
        rc = ioctl(p[0], FIOSETOWN, &target);
    } else {
        rc = fcntl(p[0], F_SETOWN, target);
    }
    if (rc < 0)
        return refused("owner");
    if (fcntl(p[0], F_SETSIG, sig) < 0)
        return refused("F_SETSIG");
    if (fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0)
        return refused("O_ASYNC");
    if (write(p[1], "x", 1) != 1)
        return 4;
    usleep(100000);
    puts("sent");
    return 0;
}
