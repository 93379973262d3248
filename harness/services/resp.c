/* A tiny blocking RESP client: one inline command, one reply, enough to
 * ask a starting redis-server for PING and INFO. */
#include "harness/services/resp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int resp_command(const char *sock, const char *cmd, char *buf, size_t len)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t have = 0, need = 0, cmdlen = strlen(cmd);
    int fd;

    if (strlen(sock) >= sizeof a.sun_path)
        return -1;
    memcpy(a.sun_path, sock, strlen(sock) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    if (send(fd, cmd, cmdlen, MSG_NOSIGNAL) != (ssize_t)cmdlen) {
        close(fd);
        return -1;
    }
    while (have < len - 1) {
        char *eol;
        ssize_t n = recv(fd, buf + have, len - 1 - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        eol = strstr(buf, "\r\n");
        if (eol == NULL)
            continue;
        if (need == 0)
            need = buf[0] == '$' ? (size_t)(eol + 2 - buf) + strtoul(buf + 1, NULL, 10) + 2
                                 : (size_t)(eol + 2 - buf);
        if (have >= need)
            break;
    }
    close(fd);
    buf[have] = '\0';
    return need && (have >= need || have == len - 1) ? (int)have : -1;
}
