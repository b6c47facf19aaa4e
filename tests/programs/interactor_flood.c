/* An interactor that writes to its solution until the pipe breaks, then
 * ends without a verdict. Its stdin says how it meets the broken pipe:
 * "signal" (SIGPIPE kills it) or "exit141" (it ignores SIGPIPE and exits
 * with 128 + SIGPIPE on EPIPE, as OIOIOI's test interactors do).
 * argv: N R0 W0 (one solution process). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char how[32] = "";
    if (argc != 4 || scanf("%31s", how) != 1)
        return 3;
    if (!strcmp(how, "exit141"))
        signal(SIGPIPE, SIG_IGN);
    int to = atoi(argv[3]);
    static char line[4096];
    memset(line, '1', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (;;) {
        if (write(to, line, sizeof line) < 0)
            return errno == EPIPE ? 128 + SIGPIPE : 4;
    }
}
