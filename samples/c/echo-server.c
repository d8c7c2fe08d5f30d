/* An echo server listening inside a netnsfs mount's namespace: each open of tcp/listen/PORT
 * accepts one client, whose bytes are sent back until it closes (or half-closes).
 *   cc -o echo-server echo-server.c && ./echo-server MOUNT PORT [COUNT]
 * COUNT clients, then exit (default: forever).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s MOUNT PORT [COUNT]\n", argv[0]);
        return 2;
    }
    char listen[4096], buf[65536];
    snprintf(listen, sizeof listen, "%s/tcp/listen/%s", argv[1], argv[2]);
    long count = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
    for (long served = 0; count == 0 || served < count; served++) {
        int client = open(listen, O_RDWR); /* waits for a client */
        if (client < 0) {
            perror(listen);
            return 1;
        }
        ssize_t n;
        while ((n = read(client, buf, sizeof buf)) > 0)
            if (write(client, buf, (size_t)n) != n) /* a socket file writes the whole buffer */
                break;
        close(client);
    }
    return 0;
}
