/*
 * netns.c - see netns.h.
 */
#define _GNU_SOURCE
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif

int sio_netns_create(char *err, size_t errlen)
{
    int hold[2];
    if (pipe2(hold, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe2: %s", strerror(errno));
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    /* No handler of the host may run in the child. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* A raw clone is a fork that runs no atfork handlers: the child makes
     * only raw syscalls. It lives in the new namespace until the pipe says
     * the namespace is held. */
    long pid = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0L);
    if (pid == 0) {
        char byte;
        syscall(SYS_close, hold[1]);
        while (syscall(SYS_read, hold[0], &byte, 1) < 0 && errno == EINTR)
            ;
        syscall(SYS_exit, 0);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(hold[0]);
    if (pid < 0) {
        close(hold[1]);
        snprintf(err, errlen, "cannot create a network namespace: %s",
                 strerror(saved));
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    saved = errno;
    close(hold[1]);  /* the child reads end-of-file and exits */
    int status;
    while (waitpid((pid_t)pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(saved));
        return -1;
    }
    return fd;
}

int sio_netns_is_other(int fd, char *err, size_t errlen)
{
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0) {
        snprintf(err, errlen, "not a namespace: %s", strerror(errno));
        return -1;
    }
    if (type != CLONE_NEWNET)
        return 0;
    struct stat given, own;
    if (fstat(fd, &given) < 0 || stat("/proc/self/ns/net", &own) < 0) {
        snprintf(err, errlen, "cannot stat a network namespace: %s", strerror(errno));
        return -1;
    }
    return given.st_dev != own.st_dev || given.st_ino != own.st_ino;
}
