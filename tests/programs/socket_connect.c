/* Connects to 127.0.0.1:PORT (argv[1], default 22): exit 0 when connected,
 * 3 when the connection failed. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return 2;
    struct sockaddr_in a; memset(&a, 0, sizeof a);
    a.sin_family = AF_INET; a.sin_port = htons(argc > 1 ? atoi(argv[1]) : 22);
    a.sin_addr.s_addr = htonl(0x7f000001);
    return connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : 3;
}
