/* Connects to 127.0.0.1:22 (or anything there). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
int main(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return 2;
    struct sockaddr_in a; memset(&a, 0, sizeof a);
    a.sin_family = AF_INET; a.sin_port = htons(22); a.sin_addr.s_addr = htonl(0x7f000001);
    return connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : 3;
}
