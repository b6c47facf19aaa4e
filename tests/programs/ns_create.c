/* Tries to make namespaces of its own (where it would hold every
 * capability): "unshare" unshare(CLONE_NEWUSER|CLONE_NEWNET), "clone"
 * clone(CLONE_NEWUSER|CLONE_NEWNET), "setns" setns on its own net
 * namespace. Prints "made" or "refused ERRNO". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "unshare";
    long rc;
    if (!strcmp(how, "clone")) {
        rc = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
        if (rc == 0)
            _exit(0);
        if (rc > 0) {
            waitpid(rc, NULL, 0);
            rc = 0;
        }
    } else if (!strcmp(how, "setns")) {
        int fd = open("/proc/self/ns/net", O_RDONLY);
        rc = fd < 0 ? -1 : setns(fd, CLONE_NEWNET);
    } else {
        rc = unshare(CLONE_NEWUSER | CLONE_NEWNET);
    }
    if (rc == 0)
        printf("made\n");
    else
        printf("refused %s\n", strerrorname_np(errno));
    return 0;
}
