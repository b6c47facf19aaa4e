/* Makes a child that burns CPU for 3 s, with raw clone flags chosen by
 * argv[1]: "untraced" (CLONE_UNTRACED), "parent" (CLONE_PARENT |
 * CLONE_UNTRACED: the child of our parent), "parent_traced" (CLONE_PARENT
 * alone), "fork" (a plain fork). Waits for it unless it is our parent's
 * (then it sleeps 5 s itself). Prints "refused ERRNO" when clone fails. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void burn(void)
{
    struct timespec t;
    do
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    while (t.tv_sec < 3);
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "untraced";
    long flags = SIGCHLD;
    if (!strcmp(how, "untraced"))
        flags |= CLONE_UNTRACED;
    else if (!strcmp(how, "parent"))
        flags = CLONE_PARENT | CLONE_UNTRACED;
    else if (!strcmp(how, "parent_traced"))
        flags = CLONE_PARENT;
    long pid = syscall(SYS_clone, flags, 0, NULL, NULL, 0);
    if (pid < 0) {
        printf("refused %s\n", strerrorname_np(errno));
        return 0;
    }
    if (pid == 0)
        burn();
    if (!(flags & CLONE_PARENT))
        waitpid((pid_t)pid, NULL, 0);
    else
        sleep(5);
    puts("done");
    return 0;
}
