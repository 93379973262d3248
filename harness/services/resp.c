/* A tiny blocking RESP client: one inline command, one reply, enough to
 * ask a starting redis-server for PING and INFO. */
#include "harness/services/resp.h"

#include "harness/services/ports.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int resp_command(int port, const char *cmd, char *buf, size_t len)
{
    size_t have = 0, need = 0, cmdlen = strlen(cmd);
    int fd = svc_tcp_connect("127.0.0.1", port);

    if (fd < 0)
        return -1;
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
