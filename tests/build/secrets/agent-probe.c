/* Asks the ssh-agent at $SSH_AUTH_SOCK for its identities
 * (SSH_AGENTC_REQUEST_IDENTITIES) and prints how many it holds.
 * build_secrets.rs compiles it with `gcc -static`: busybox has no
 * unix-socket client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_full(int fd, unsigned char *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

int main(void) {
    const char *path = getenv("SSH_AUTH_SOCK");
    if (!path) {
        fprintf(stderr, "agent-probe: SSH_AUTH_SOCK is not set\n");
        return 2;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("agent-probe: connect");
        return 3;
    }
    /* length 1, type 11 = SSH_AGENTC_REQUEST_IDENTITIES */
    const unsigned char request[5] = {0, 0, 0, 1, 11};
    if (write(fd, request, sizeof request) != (ssize_t)sizeof request) {
        perror("agent-probe: write");
        return 4;
    }
    /* length (4), type 12 = SSH_AGENT_IDENTITIES_ANSWER (1), count (4) */
    unsigned char head[9];
    if (read_full(fd, head, sizeof head) != 0) {
        fprintf(stderr, "agent-probe: short reply\n");
        return 5;
    }
    if (head[4] != 12) {
        fprintf(stderr, "agent-probe: unexpected reply type %d\n", head[4]);
        return 6;
    }
    unsigned long count = ((unsigned long)head[5] << 24) | ((unsigned long)head[6] << 16) |
                          ((unsigned long)head[7] << 8) | (unsigned long)head[8];
    printf("%lu\n", count);
    return 0;
}
