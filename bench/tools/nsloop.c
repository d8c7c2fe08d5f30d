/* nsloop N [keep] [lo] — creates N network namespaces with bare unshare(CLONE_NEWNET), one after
 * another, in a forked child so the caller's namespace is untouched. By default each replaces the
 * previous, which the kernel then frees asynchronously (its cleanup runs alongside the loop); with
 * "keep" the child holds every one by an fd, as a multi mount does, so no cleanup competes; with
 * "lo" it also brings each one's loopback up (SIOCSIFFLAGS), the rest of what a netnsfs mkdir does.
 * Prints {"count": N, "seconds": S, "per_ns_us": U}. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &r);
    if (rc == 0) {
        r.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &r);
    }
    int e = errno;
    close(s);
    errno = e;
    return rc;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100;
    int keep = 0, lo = 0;
    for (int a = 2; a < argc; a++) {
        keep |= strcmp(argv[a], "keep") == 0;
        lo |= strcmp(argv[a], "lo") == 0;
    }
    int p[2];
    if (pipe(p)) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        if (keep) {
            struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
            struct rlimit cur;
            if (getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max > rl.rlim_max) rl.rlim_max = cur.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        double t0 = now();
        for (long i = 0; i < n; i++) {
            if (unshare(CLONE_NEWNET) < 0) {
                dprintf(p[1], "{\"error\": \"unshare #%ld: %s\"}\n", i, strerror(errno));
                _exit(1);
            }
            if (lo && loopback_up() < 0) {
                dprintf(p[1], "{\"error\": \"lo up #%ld: %s\"}\n", i, strerror(errno));
                _exit(1);
            }
            if (keep && open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) < 0) {
                dprintf(p[1], "{\"error\": \"open ns #%ld: %s\"}\n", i, strerror(errno));
                _exit(1);
            }
        }
        double t = now() - t0;
        dprintf(p[1], "{\"count\": %ld, \"seconds\": %.6f, \"per_ns_us\": %.1f}\n", n, t, t / n * 1e6);
        _exit(0);
    }
    close(p[1]);
    char buf[512];
    ssize_t r = read(p[0], buf, sizeof buf - 1);
    int st;
    waitpid(pid, &st, 0);
    if (r > 0) fwrite(buf, 1, (size_t)r, stdout);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
