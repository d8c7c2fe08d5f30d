/* An echo server on a real listening socket made inside a netnsfs mount's namespace and handed
 * over by the daemon (netnsfs.h beside this file): an ordinary accept loop.
 *   cc -o handoff-server handoff-server.c && ./handoff-server MOUNT PORT [COUNT]
 * COUNT clients, then exit (default: forever).
 */
#include "netnsfs.h"
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s MOUNT PORT [COUNT]\n", argv[0]);
        return 2;
    }
    char path[64], buf[65536];
    snprintf(path, sizeof path, "tcp/listen/%s", argv[2]);
    long count = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
    int listener = netnsfs_socket(argv[1], path);
    if (listener < 0) {
        perror(path);
        return 1;
    }
    for (long served = 0; count == 0 || served < count; served++) {
        int client = accept(listener, NULL, NULL);
        if (client < 0) {
            perror("accept");
            return 1;
        }
        ssize_t n;
        while ((n = recv(client, buf, sizeof buf, 0)) > 0)
            if (send(client, buf, (size_t)n, MSG_NOSIGNAL) != n)
                break;
        close(client);
    }
    close(listener);
    return 0;
}
