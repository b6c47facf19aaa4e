/* Probes the host's files with failing execve calls: prints the errno of
 * execve("/etc/shadow") and execve("/no/such/file"), which would tell
 * which paths exist. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    char *argv[] = {"x", NULL}, *envp[] = {NULL};
    execve("/etc/shadow", argv, envp);
    int first = errno;
    execve("/no/such/file", argv, envp);
    printf("%s %s\n", strerrorname_np(first), strerrorname_np(errno));
    return 0;
}
