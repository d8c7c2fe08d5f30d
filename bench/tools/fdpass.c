/* fdpass: the cost of a handoff against a bare SCM_RIGHTS round trip (issue 6).
 *
 *   fdpass bare N           a forked peer answers each 1-byte request with a fresh socket by
 *                           SCM_RIGHTS over a SOCK_SEQPACKET socketpair: the floor for any handoff
 *   fdpass handoff MOUNT N  the same request/answer through MOUNT/handoff ("inet;stream;tcp"), on
 *                           one connection, as NetnsFs.Client and netnsfs.py speak it
 *
 * Prints the median and p99 round trip in microseconds. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int send_fd(int s, const void *data, size_t len, int fd)
{
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
    struct iovec iov = { (void *)data, len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf };
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof fd);
    return sendmsg(s, &m, 0) < 0 ? -1 : 0;
}

static int recv_fd(int s, char *buf, size_t len, int *fd)
{
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
    struct iovec iov = { buf, len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf };
    ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
    *fd = -1;
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    if (n > 0 && h && h->cmsg_type == SCM_RIGHTS)
        memcpy(fd, CMSG_DATA(h), sizeof *fd);
    return (int)n;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fdpass bare N | fdpass handoff MOUNT N\n");
        return 2;
    }
    int bare = strcmp(argv[1], "bare") == 0;
    int n = atoi(argv[bare ? 2 : 3]);
    int s;
    pid_t peer = -1;
    if (bare) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
            return perror("socketpair"), 1;
        peer = fork();
        if (peer == 0) {
            close(sv[0]);
            char b[64];
            int ignored;
            while (recv_fd(sv[1], b, sizeof b, &ignored) > 0) {
                int fd = socket(AF_INET, SOCK_STREAM, 0); /* what the daemon does, minus the namespace */
                int32_t ok = 0;
                send_fd(sv[1], &ok, sizeof ok, fd);
                close(fd);
            }
            _exit(0);
        }
        close(sv[1]);
        s = sv[0];
    } else {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        snprintf(a.sun_path, sizeof a.sun_path, "%s/handoff", argv[2]);
        s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
            return perror("connect handoff"), 1;
    }
    const char *req = bare ? "x" : "inet;stream;tcp";
    double *t = calloc((size_t)n, sizeof *t);
    for (int i = -n / 10; i < n; i++) { /* a tenth as warm-up */
        char reply[4096];
        int fd;
        double t0 = now_us();
        if (send(s, req, strlen(req), 0) < 0 || recv_fd(s, reply, sizeof reply, &fd) < 4 || fd < 0)
            return fprintf(stderr, "round trip %d failed: %s\n", i, strerror(errno)), 1;
        double dt = now_us() - t0;
        close(fd);
        if (i >= 0)
            t[i] = dt;
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%s median_us=%.1f p99_us=%.1f n=%d\n", argv[1], t[n / 2], t[n * 99 / 100], n);
    close(s);
    if (peer > 0)
        waitpid(peer, NULL, 0);
    return 0;
}
