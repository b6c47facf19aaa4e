/* Lists its working directory: prints "found NAME" when argv[1] is there. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    DIR *d = opendir(".");
    if (!d) {
        perror("opendir");
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (argc > 1 && !strcmp(e->d_name, argv[1]))
            printf("found %s\n", e->d_name);
    closedir(d);
    return 0;
}
