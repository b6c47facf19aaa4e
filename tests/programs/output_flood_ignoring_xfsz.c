/* Ignores SIGXFSZ and keeps writing after the file size limit. */
#include <signal.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    signal(SIGXFSZ, SIG_IGN);
    char buf[4096]; memset(buf, 'y', sizeof buf);
    for (int i = 0; i < 100000; i++) (void)!write(1, buf, sizeof buf);
    return 0;
}
