/* netnsfs.h — real sockets from a netnsfs mount, in one header.
 *
 *   #include "netnsfs.h"
 *   int fd = netnsfs_socket("/mnt/ns1", "tcp/127.0.0.1/80");   // connected, blocking
 *   if (fd < 0) perror("netnsfs_socket");                      // errno set as the daemon said
 *
 * Wire format: connect a SOCK_SEQPACKET unix socket to MOUNT/handoff, send the path (UTF-8, no
 * NUL); the reply is a little-endian int32 errno (0 = ok) and text, with the socket attached by
 * SCM_RIGHTS on success.
 *
 * Who answers is checked before anything is sent: the server's SO_PEERCRED uid must be 0 or the
 * uid that owns MOUNT (stat of the mount directory, which the daemon reports), else EPERM
 * ("handoff socket is not served by the netnsfs daemon"): a socket put in the daemon's place by
 * another user must not hand us its fds. The reply must carry exactly one fd, and a socket:
 * anything else (two fds, truncated control data: EPROTO; a pipe: ENOTSOCK) is closed and refused.
 */
#ifndef NETNSFS_H
#define NETNSFS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

/* Linux values, for builds in strict ISO C mode (-std=c11 without _GNU_SOURCE) that hide them. */
#ifndef SO_PEERCRED
#define SO_PEERCRED 17
#endif
#ifndef S_ISSOCK
#define S_ISSOCK(m) (((m) & 0170000) == 0140000)
#endif

#define NETNSFS_NOT_SERVED_BY_DAEMON "handoff socket is not served by the netnsfs daemon"

/* Room for this many fds: a well-formed reply has one; more lets the kernel hand over (and us
 * close) what a misbehaving server sends instead of truncating it. */
#define NETNSFS_CONTROL_FDS 16

/* 0 if the peer of conn is root or the owner of mount_dir; else -1 with errno (EPERM). */
static inline int netnsfs_check_server(int conn, const char *mount_dir)
{
    struct { pid_t pid; uid_t uid; gid_t gid; } cred; /* struct ucred, without needing _GNU_SOURCE */
    socklen_t len = sizeof cred;
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -1;
    if (len != sizeof cred) {
        errno = EPERM;
        return -1;
    }
    if (cred.uid == 0)
        return 0;
    struct stat st;
    if (stat(mount_dir, &st) < 0)
        return -1;
    if (cred.uid != st.st_uid) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

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
        netnsfs_check_server(conn, mount_dir) < 0 ||
        send(conn, path, strlen(path), MSG_NOSIGNAL) < 0) {
        int e = errno;
        close(conn);
        errno = e;
        return -1;
    }
    char reply[4096];
    union { struct cmsghdr h; char buf[CMSG_SPACE(NETNSFS_CONTROL_FDS * sizeof(int))]; } control;
    struct iovec iov = { reply, sizeof reply };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    int e = errno;
    close(conn);
    if (n < 0) {
        errno = e;
        return -1;
    }
    /* Every control message, every fd: all but the one a reply may carry are closed. */
    int fd = -1, count = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            if (count++ == 0)
                fd = got;
            else
                close(got);
        }
    }
    if (count > 1 || (msg.msg_flags & MSG_CTRUNC)) {
        if (fd >= 0)
            close(fd);
        errno = EPROTO;
        return -1;
    }
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
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        close(fd);
        errno = ENOTSOCK;
        return -1;
    }
    return fd;
}

#endif
