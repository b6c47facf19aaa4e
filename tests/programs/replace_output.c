/* Replaces a file of its working directory after writing "x" to its
 * stdout. Reads "HOW NAME [TARGET]" from its stdin (or its arguments):
 * HOW "symlink" puts a link to TARGET there, "fifo" a FIFO, "hardlink" a
 * hard link to TARGET, "dir" a directory, "file" a new file holding
 * "forged", "remove" nothing. Exits 0 either way. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char how[64] = "", name[256] = "", target[1024] = "/etc/passwd";
    if (argc >= 3) {
        snprintf(how, sizeof how, "%s", argv[1]);
        snprintf(name, sizeof name, "%s", argv[2]);
        if (argc > 3)
            snprintf(target, sizeof target, "%s", argv[3]);
    } else if (scanf("%63s %255s %1023s", how, name, target) < 2) {
        return 2;
    }
    (void)!write(1, "x\n", 2);
    unlink(name);
    int rc;
    if (!strcmp(how, "fifo"))
        rc = mkfifo(name, 0666);
    else if (!strcmp(how, "hardlink"))
        rc = link(target, name);
    else if (!strcmp(how, "dir"))
        rc = mkdir(name, 0777);
    else if (!strcmp(how, "remove"))
        rc = 0;
    else if (!strcmp(how, "file")) {
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        rc = fd < 0 ? -1 : (int)write(fd, "forged\n", 7) - 7;
    }
    else
        rc = symlink(target, name);
    if (rc < 0)
        perror("replace");
    return 0;
}
