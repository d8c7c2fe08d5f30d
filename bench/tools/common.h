/* common.h — helpers shared by bclient and bserver (bench only; each tool is one .c file, so
 * these are static inline). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#include <errno.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

/* RLIMIT_NOFILE to 65536 (like `ulimit -n 65536`), or at least to the hard limit when we may
 * not raise that (no CAP_SYS_RESOURCE). */
static inline void raise_nofile(void)
{
    struct rlimit rl = { 65536, 65536 };
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* Reads exactly n bytes; -1 on error or EOF (errno ECONNRESET). */
static inline int read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) { errno = ECONNRESET; return -1; }
        p += r; n -= (size_t)r;
    }
    return 0;
}

/* Writes exactly n bytes. write(), not send(): bclient's fd may be a FUSE file. Both tools
 * ignore SIGPIPE, so a closed peer is an EPIPE error here, not a signal. */
static inline int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w; n -= (size_t)w;
    }
    return 0;
}
#endif
