/* Tries to install a seccomp filter of its own, which could steer the
 * supervisor's (a forged SECCOMP_RET_TRACE tag) or hide syscalls from it
 * (SECCOMP_RET_USER_NOTIF): "syscall" through seccomp(2), "prctl" through
 * prctl(PR_SET_SECCOMP). argv[2] "trace" installs one that returns
 * SECCOMP_RET_TRACE with a forged tag for every syscall; otherwise it allows
 * everything. Prints "installed" or "refused ERRNO". */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int forge = argc > 2 && !strcmp(argv[2], "trace");
    struct sock_filter allow[] = {
        BPF_STMT(BPF_RET | BPF_K, forge ? SECCOMP_RET_TRACE | 4 : SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {1, allow};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    long rc;
    if (argc > 1 && !strcmp(argv[1], "prctl"))
        rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    else
        rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
    if (rc == 0)
        printf("installed\n");
    else
        printf("refused %s\n", strerrorname_np(errno));
    return 0;
}
