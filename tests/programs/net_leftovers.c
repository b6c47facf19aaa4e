/* Tries to leave something in its network namespace for the next run:
 * "plant" listens on an abstract unix socket and tries to bring the
 * loopback up; "probe" reports what a later run finds. Prints one line:
 * plant: "lo-up:ERRNO listening:0|ERRNO"
 * probe: "lo:up|down abstract:connected|ERRNO netns:INODE|ERRNO" */
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char name[] = "\0sio-netns-leftover";

static struct sockaddr_un address(void) {
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, name, sizeof name - 1);
    return a;
}

int main(int argc, char **argv) {
    int plant = argc > 1 && !strcmp(argv[1], "plant");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) { printf("socket:%d\n", errno); return 1; }
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) { printf("SIOCGIFFLAGS:%d\n", errno); return 1; }
    struct sockaddr_un a = address();
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + sizeof name - 1;
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    if (u < 0) { printf("unix:%d\n", errno); return 1; }
    if (plant) {
        ifr.ifr_flags |= IFF_UP;
        int up = ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? errno : 0;
        int listening = bind(u, (struct sockaddr *)&a, len) < 0 || listen(u, 1) < 0 ? errno : 0;
        printf("lo-up:%d listening:%d\n", up, listening);
        return 0;
    }
    int connected = connect(u, (struct sockaddr *)&a, len) < 0 ? errno : 0;
    struct stat st;
    long long netns = stat("/proc/self/ns/net", &st) < 0 ? -errno : (long long)st.st_ino;
    char outcome[16];
    snprintf(outcome, sizeof outcome, "%d", connected);
    printf("lo:%s abstract:%s netns:%lld\n", ifr.ifr_flags & IFF_UP ? "up" : "down",
           connected ? outcome : "connected", netns);
    return 0;
}
