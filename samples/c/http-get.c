/* HTTP GET through a netnsfs mount: the TCP connection is made inside the mount's namespace.
 *   cc -o http-get http-get.c && ./http-get MOUNT HOST PORT [PATH]
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s MOUNT HOST PORT [PATH]\n", argv[0]);
        return 2;
    }
    const char *host = argv[2], *path = argc == 5 ? argv[4] : "/";
    char file[4096], request[4096], buf[65536];
    snprintf(file, sizeof file, "%s/tcp/%s/%s", argv[1], host, argv[3]);
    int fd = open(file, O_RDWR); /* connect(2), inside the namespace */
    if (fd < 0) {
        perror(file);
        return 1;
    }
    int len = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
    if (write_all(fd, request, (size_t)len) < 0) {
        perror("write");
        return 1;
    }
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) /* recv(2); 0 when the server closes */
        fwrite(buf, 1, (size_t)n, stdout);
    if (n < 0) {
        perror("read");
        return 1;
    }
    close(fd);
    return 0;
}
