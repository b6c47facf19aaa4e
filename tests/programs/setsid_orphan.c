/* Leaves a child in a new session that would outlive the run; prints its pid. */
#include <stdio.h>
#include <unistd.h>
int main(void) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) { setsid(); for (;;) sleep(1); }
    printf("%d\n", (int)pid);
    return 0;
}
