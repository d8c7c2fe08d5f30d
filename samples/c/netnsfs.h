/* netnsfs.h — real sockets from a netnsfs mount, in one header.
 *
 *   #include "netnsfs.h"
 *   int fd = netnsfs_socket("/mnt/ns1", "tcp/127.0.0.1/80");   // connected, blocking
 *   if (fd < 0) perror("netnsfs_socket");                      // errno set as the daemon said
 *
 * Wire format: connect a SOCK_SEQPACKET unix socket to MOUNT/handoff, send the path (UTF-8, no
 * NUL); the reply is a little-endian int32 errno (0 = ok) and text, with the socket attached by
 * SCM_RIGHTS on success.
 */
#ifndef NETNSFS_H
#define NETNSFS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static inline int netnsfs_socket(const char *mount_dir, const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/handoff", mount_dir) >= (int)sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int conn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (conn < 0)
        return -1;
    if (connect(conn, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        send(conn, path, strlen(path), MSG_NOSIGNAL) < 0) {
        int e = errno;
        close(conn);
        errno = e;
        return -1;
    }
    char reply[4096];
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct iovec iov = { reply, sizeof reply };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    int e = errno;
    close(conn);
    if (n < 0) {
        errno = e;
        return -1;
    }
    int fd = -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
    int32_t err = EPROTO;
    if (n >= 4) {
        uint8_t *r = (uint8_t *)reply;
        err = (int32_t)(r[0] | r[1] << 8 | r[2] << 16 | (uint32_t)r[3] << 24);
    }
    if (err != 0 || fd < 0) {
        if (fd >= 0)
            close(fd);
        errno = err ? err : EPROTO;
        return -1;
    }
    return fd;
}

#endif
