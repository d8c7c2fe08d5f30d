/* bserver — benchmark server, run inside the test namespace.
 *
 *   bserver PORT HOLDPORT
 *
 * PORT: a pool of 32 threads, each serving one connection at a time, speaking proto.h (TCP_NODELAY, page-aligned buffers).
 * HOLDPORT: accepts and keeps connections open (one epoll thread, no per-connection thread),
 *           closing each when its peer closes; for the "10 000 open sockets" figure.
 * Both listen on 127.0.0.1. Prints "ready" on stdout once both listen; runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "proto.h"

static void die(const char *what) { perror(what); exit(1); }

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(fd, 4096) < 0) die("listen");
    return fd;
}

static void serve(int fd, char *buf)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct bench_hdr h;
    while (read_full(fd, &h, sizeof h) == 0) {
        if (h.magic != BENCH_MAGIC || h.msg == 0 || h.msg > BENCH_MAX_MSG) break;
        if (h.op == OP_UP) {
            uint64_t left = h.count;
            while (left > 0) {
                ssize_t r = read(fd, buf, left < BENCH_MAX_MSG ? left : BENCH_MAX_MSG);
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) return;
                left -= (uint64_t)r;
            }
            if (write_full(fd, "k", 1)) return;
        } else if (h.op == OP_DOWN) {
            uint64_t left = h.count;
            while (left > 0) {
                size_t n = left < h.msg ? left : h.msg;
                if (write_full(fd, buf, n)) return;
                left -= n;
            }
        } else if (h.op == OP_PING) {
            for (uint64_t i = 0; i < h.count; i++)
                if (read_full(fd, buf, h.msg) || write_full(fd, buf, h.msg)) return;
        } else return;
    }
}

/* A pool of threads that each accept and serve one connection at a time: no thread is created
 * per connection (a new thread waits for a CPU slice on a loaded machine, which would dominate
 * the connection-rate figure). */
#define WORKERS 32

static void *worker(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    char *buf = NULL;
    if (posix_memalign((void **)&buf, 4096, BENCH_MAX_MSG)) die("posix_memalign");
    memset(buf, 'x', BENCH_MAX_MSG);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) usleep(1000);
            else if (errno != EINTR && errno != ECONNABORTED) die("accept");
            continue;
        }
        serve(fd, buf);
        close(fd);
    }
    return NULL;
}

static void *hold_loop(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event evs[256];
    char junk[4096];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                    if (c < 0) break;
                    struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
            } else {
                ssize_t r = read(fd, junk, sizeof junk);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) close(fd); /* closing removes it from epoll */
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: bserver PORT HOLDPORT\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    int l1 = listen_on(atoi(argv[1])), l2 = listen_on(atoi(argv[2]));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t t;
    for (int i = 0; i < WORKERS; i++)
        if (pthread_create(&t, &attr, worker, (void *)(intptr_t)l1)) die("pthread_create");
    if (pthread_create(&t, &attr, hold_loop, (void *)(intptr_t)l2)) die("pthread_create");
    printf("ready\n");
    fflush(stdout);
    pthread_join(t, NULL);
    return 0;
}
