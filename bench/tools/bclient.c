/* bclient — benchmark client (talks proto.h to bserver through any transport).
 *
 * Endpoints (EP):
 *   tcp:HOST:PORT          a TCP socket (TCP_NODELAY)            — native
 *   unix:PATH              a unix stream socket                  — socat relay
 *   file:PATH              open(PATH, O_RDWR)                    — netnsfs socket file, C libfuse proxy
 *   handoff:MOUNT,PATH     a real socket from MOUNT/handoff (samples/c/netnsfs.h), TCP_NODELAY
 *   fd:N                   an inherited fd (e.g. handed over by samples/python/netnsfs.py)
 *
 * Commands (one JSON object per line on stdout):
 *   bulk EP up|down BLOCK SECONDS   throughput with BLOCK-byte page-aligned writes (up) or reads
 *                                   (down), one connection, sized to last about SECONDS
 *   ping EP SIZE COUNT              SIZE-byte round trips: p50/p99 in microseconds
 *   connrate EP SECONDS             open, 1-byte round trip, close — as many as fit in SECONDS
 *   hold EP N                       open N connections, report, wait for EOF on stdin, close all
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "netnsfs.h"
#include "proto.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fail(const char *what, int err)
{
    printf("{\"error\": \"%s: %s\"}\n", what, strerror(err));
    fflush(stdout);
    exit(1);
}

static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int ep_fd_used;

/* Opens EP; returns an fd or -1 with errno set. */
static int ep_open(const char *ep)
{
    if (!strncmp(ep, "tcp:", 4)) {
        char host[256];
        snprintf(host, sizeof host, "%s", ep + 4);
        char *colon = strrchr(host, ':');
        if (!colon) { errno = EINVAL; return -1; }
        *colon = 0;
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
        if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { errno = EINVAL; return -1; }
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { int e = errno; close(fd); errno = e; return -1; }
        nodelay(fd);
        return fd;
    }
    if (!strncmp(ep, "unix:", 5)) {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        snprintf(a.sun_path, sizeof a.sun_path, "%s", ep + 5);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { int e = errno; close(fd); errno = e; return -1; }
        return fd;
    }
    if (!strncmp(ep, "file:", 5))
        return open(ep + 5, O_RDWR | O_CLOEXEC);
    if (!strncmp(ep, "handoff:", 8)) {
        char mount[4096];
        snprintf(mount, sizeof mount, "%s", ep + 8);
        char *comma = strrchr(mount, ',');
        if (!comma) { errno = EINVAL; return -1; }
        *comma = 0;
        int fd = netnsfs_socket(mount, comma + 1);
        if (fd >= 0) nodelay(fd);
        return fd;
    }
    if (!strncmp(ep, "fd:", 3)) {
        if (ep_fd_used++) { errno = EBADF; return -1; }
        int fd = atoi(ep + 3);
        nodelay(fd); /* harmless if it is no TCP socket */
        return fd;
    }
    errno = EINVAL;
    return -1;
}

static int send_hdr(int fd, uint32_t op, uint32_t msg, uint64_t count)
{
    struct bench_hdr h = { BENCH_MAGIC, op, msg, 0, count };
    return write_full(fd, &h, sizeof h);
}

/* One UP or DOWN transfer of `total` bytes in `block` pieces; returns seconds or -1. */
static double transfer(int fd, int up, size_t block, uint64_t total, char *buf)
{
    if (up) {
        if (send_hdr(fd, OP_UP, (uint32_t)block, total)) return -1;
        double t0 = now();
        for (uint64_t left = total; left > 0;) {
            size_t n = left < block ? left : block;
            if (write_full(fd, buf, n)) return -1;
            left -= n;
        }
        char ack;
        if (read_full(fd, &ack, 1)) return -1;
        return now() - t0;
    }
    double t0 = now();
    if (send_hdr(fd, OP_DOWN, (uint32_t)block, total)) return -1;
    for (uint64_t left = total; left > 0;) {
        ssize_t r = read(fd, buf, left < block ? left : block);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) { errno = ECONNRESET; return -1; }
        left -= (uint64_t)r;
    }
    return now() - t0;
}

static int cmd_bulk(const char *ep, const char *dir, size_t block, double seconds)
{
    int up = !strcmp(dir, "up");
    if (block == 0 || block > BENCH_MAX_MSG) fail("block", EINVAL);
    char *buf;
    if (posix_memalign((void **)&buf, 4096, block)) fail("posix_memalign", ENOMEM);
    memset(buf, 'y', block);
    int fd = ep_open(ep);
    if (fd < 0) fail("open", errno);
    /* Warm up and calibrate: grow until one transfer takes >= 0.15 s (or 1 GiB). */
    uint64_t total = 8u << 20;
    double rate = 0, t = 0;
    for (;;) {
        total = (total + block - 1) / block * block;
        t = transfer(fd, up, block, total, buf);
        if (t < 0) fail("calibrate", errno);
        rate = total / t;
        if (t >= 0.15 || total >= (1ull << 30)) break;
        total *= 4;
    }
    uint64_t want = (uint64_t)(rate * seconds);
    if (want < total) want = total;
    if (want > (16ull << 30)) want = 16ull << 30;
    want = (want + block - 1) / block * block;
    t = transfer(fd, up, block, want, buf);
    if (t < 0) fail("transfer", errno);
    printf("{\"bytes\": %llu, \"seconds\": %.6f, \"MiBps\": %.2f}\n",
           (unsigned long long)want, t, want / t / 1048576.0);
    close(fd);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    size_t i = (size_t)(p * (n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static int cmd_ping(const char *ep, size_t size, long count)
{
    long warm = count / 10 + 10;
    char *buf;
    if (posix_memalign((void **)&buf, 4096, size < 4096 ? 4096 : size)) fail("posix_memalign", ENOMEM);
    memset(buf, 'p', size);
    double *lat = calloc((size_t)count, sizeof *lat);
    int fd = ep_open(ep);
    if (fd < 0) fail("open", errno);
    if (send_hdr(fd, OP_PING, (uint32_t)size, (uint64_t)(count + warm))) fail("send", errno);
    for (long i = 0; i < count + warm; i++) {
        double t0 = now();
        if (write_full(fd, buf, size) || read_full(fd, buf, size)) fail("ping", errno);
        if (i >= warm) lat[i - warm] = (now() - t0) * 1e6;
    }
    close(fd);
    double sum = 0;
    for (long i = 0; i < count; i++) sum += lat[i];
    qsort(lat, (size_t)count, sizeof *lat, cmp_double);
    printf("{\"count\": %ld, \"p50_us\": %.2f, \"p99_us\": %.2f, \"p999_us\": %.2f, \"min_us\": %.2f, \"mean_us\": %.2f}\n",
           count, pct(lat, count, 0.50), pct(lat, count, 0.99), pct(lat, count, 0.999), lat[0], sum / count);
    return 0;
}

static int cmd_connrate(const char *ep, double seconds)
{
    char msg[sizeof(struct bench_hdr) + 1];
    struct bench_hdr h = { BENCH_MAGIC, OP_PING, 1, 0, 1 };
    memcpy(msg, &h, sizeof h);
    msg[sizeof h] = 'c';
    size_t cap = 1 << 20, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    double start = now(), end = start + seconds, t;
    while ((t = now()) < end && n < cap) {
        int fd = ep_open(ep);
        if (fd < 0) fail("open", errno);
        char c;
        if (write_full(fd, msg, sizeof msg) || read_full(fd, &c, 1)) fail("roundtrip", errno);
        close(fd);
        lat[n++] = (now() - t) * 1e6;
    }
    double el = now() - start;
    qsort(lat, n, sizeof *lat, cmp_double);
    printf("{\"count\": %zu, \"seconds\": %.4f, \"per_sec\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n",
           n, el, n / el, n ? pct(lat, n, 0.5) : 0, n ? pct(lat, n, 0.99) : 0);
    return 0;
}

static int cmd_hold(const char *ep, long n)
{
    raise_nofile();
    int *fds = calloc((size_t)n, sizeof *fds);
    double t0 = now();
    for (long i = 0; i < n; i++) {
        fds[i] = ep_open(ep);
        if (fds[i] < 0) {
            int e = errno;
            printf("{\"error\": \"open #%ld: %s\", \"opened\": %ld}\n", i, strerror(e), i);
            fflush(stdout);
            for (long j = 0; j < i; j++) close(fds[j]);
            return 1;
        }
    }
    double t1 = now();
    printf("{\"opened\": %ld, \"seconds\": %.4f}\n", n, t1 - t0);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {}
    t0 = now();
    for (long i = 0; i < n; i++) close(fds[i]);
    printf("{\"closed\": %ld, \"seconds\": %.4f}\n", n, now() - t0);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 6 && !strcmp(argv[1], "bulk"))
        return cmd_bulk(argv[2], argv[3], (size_t)atol(argv[4]), atof(argv[5]));
    if (argc == 5 && !strcmp(argv[1], "ping"))
        return cmd_ping(argv[2], (size_t)atol(argv[3]), atol(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "connrate"))
        return cmd_connrate(argv[2], atof(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "hold"))
        return cmd_hold(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: bclient bulk EP up|down BLOCK SECONDS | ping EP SIZE COUNT | connrate EP SECONDS | hold EP N\n");
    return 2;
}
