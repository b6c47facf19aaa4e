/* Prints its uid, gid and supplementary group count: "uid U gid G groups N". */
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    gid_t groups[64];
    int n = getgroups(64, groups);
    printf("uid %d gid %d groups %d\n", (int)getuid(), (int)getgid(), n);
    return 0;
}
