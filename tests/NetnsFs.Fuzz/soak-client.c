/* Soak client for tests/NetnsFs.Fuzz/soak: WORKERS forked processes share CYCLES open/close cycles
 * of DIR/tcp/127.0.0.1/PORT against an echo server; every 10th cycle exchanges a 1 KiB token, every
 * 1000th 256 KiB, each checked byte for byte. The parent samples the daemon (fd count, VmRSS) and
 * the mount's status sockets= every SAMPLE cycles into CSV. Prints a JSON summary. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
    atomic_long next, done, errors, bytes;
    char first_error[256];
    atomic_int first_error_set;
};

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void fail(struct shared *s, long cycle, const char *what, int err) {
    atomic_fetch_add(&s->errors, 1);
    if (atomic_exchange(&s->first_error_set, 1) == 0)
        snprintf(s->first_error, sizeof s->first_error, "cycle %ld: %s: %s", cycle, what, strerror(err));
}

/* Writes and reads back in steps of 16 KiB, so that neither side's buffers can fill up. */
static int exchange(int fd, const unsigned char *out, unsigned char *in, size_t len) {
    for (size_t step = 0; step < len; step += 16384) {
        size_t n = len - step < 16384 ? len - step : 16384, off = 0, got = 0;
        while (off < n) {
            ssize_t w = write(fd, out + step + off, n - off);
            if (w <= 0) return -1;
            off += w;
        }
        while (got < n) {
            ssize_t r = read(fd, in + step + got, n - got);
            if (r <= 0) return -1;
            got += r;
        }
    }
    return memcmp(out, in, len) == 0 ? 0 : -2;
}

static void worker(struct shared *s, const char *path, long cycles) {
    static unsigned char out[256 * 1024], in[256 * 1024];
    for (size_t k = 0; k < sizeof out; k++) out[k] = (unsigned char)(k * 131 + getpid());
    for (;;) {
        long i = atomic_fetch_add(&s->next, 1);
        if (i >= cycles) break;
        int fd = open(path, O_RDWR);
        if (fd < 0) { fail(s, i, "open", errno); usleep(1000); atomic_fetch_add(&s->done, 1); continue; }
        size_t len = i % 1000 == 0 ? sizeof out : i % 10 == 0 ? 1024 : 0;
        if (len) {
            memcpy(out, &i, sizeof i);
            int r = exchange(fd, out, in, len);
            if (r == -1) fail(s, i, "exchange", errno);
            else if (r == -2) fail(s, i, "echo differs", EIO);
            else atomic_fetch_add(&s->bytes, 2 * (long)len);
        }
        if (close(fd) != 0) fail(s, i, "close", errno);
        atomic_fetch_add(&s->done, 1);
    }
}

static long fds_of(int pid) {
    char p[64]; snprintf(p, sizeof p, "/proc/%d/fd", pid);
    DIR *d = opendir(p);
    if (!d) return -1;
    long n = 0; struct dirent *e;
    while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static long rss_kb_of(int pid) {
    char p[64], line[256]; snprintf(p, sizeof p, "/proc/%d/status", pid);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f)) if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    fclose(f);
    return kb;
}

static long sockets_of(const char *status) {
    FILE *f = fopen(status, "r");
    if (!f) return -1;
    char line[256]; long n = -1;
    while (fgets(line, sizeof line, f)) if (!strncmp(line, "sockets=", 8)) n = atol(line + 8);
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: soak-client DIR PORT CYCLES WORKERS SAMPLE DAEMON_PID CSV\n");
        return 2;
    }
    const char *dir = argv[1]; int port = atoi(argv[2]); long cycles = atol(argv[3]);
    int workers = atoi(argv[4]); long sample = atol(argv[5]); int daemon = atoi(argv[6]);
    char path[512], status[512];
    snprintf(path, sizeof path, "%s/tcp/127.0.0.1/%d", dir, port);
    snprintf(status, sizeof status, "%s/status", dir);
    FILE *csv = fopen(argv[7], "w");
    if (!csv) { perror(argv[7]); return 1; }
    fprintf(csv, "cycles,seconds,daemon_fds,daemon_rss_kib,sockets,errors\n");
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(s, 0, sizeof *s);
    double t0 = now();
    fprintf(csv, "0,0.0,%ld,%ld,%ld,0\n", fds_of(daemon), rss_kb_of(daemon), sockets_of(status));
    fflush(csv);
    pid_t *kids = calloc(workers, sizeof *kids);
    for (int w = 0; w < workers; w++) {
        kids[w] = fork();
        if (kids[w] == 0) { worker(s, path, cycles); _exit(0); }
    }
    long next_sample = sample, last_done = 0; double last_progress = now();
    for (;;) {
        usleep(20000);
        long done = atomic_load(&s->done);
        if (done != last_done) { last_done = done; last_progress = now(); }
        else if (now() - last_progress > 60) {
            fprintf(stderr, "no progress for 60 s at %ld cycles: giving up\n", done);
            for (int w = 0; w < workers; w++) kill(kids[w], SIGKILL);
            break;
        }
        if (done >= next_sample || done >= cycles) {
            fprintf(csv, "%ld,%.1f,%ld,%ld,%ld,%ld\n", done, now() - t0, fds_of(daemon), rss_kb_of(daemon), sockets_of(status), atomic_load(&s->errors));
            fflush(csv);
            while (next_sample <= done) next_sample += sample;
        }
        if (done >= cycles) break;
    }
    for (int w = 0; w < workers; w++) waitpid(kids[w], NULL, 0);
    double secs = now() - t0;
    sleep(2); /* releases reach the daemon asynchronously */
    fprintf(csv, "%ld,%.1f,%ld,%ld,%ld,%ld\n", atomic_load(&s->done), now() - t0, fds_of(daemon), rss_kb_of(daemon), sockets_of(status), atomic_load(&s->errors));
    fclose(csv);
    printf("{\"cycles\":%ld,\"seconds\":%.1f,\"cycles_per_s\":%.0f,\"errors\":%ld,\"bytes_echoed\":%ld,\"first_error\":\"%s\"}\n",
           atomic_load(&s->done), secs, atomic_load(&s->done) / secs, atomic_load(&s->errors), atomic_load(&s->bytes), s->first_error);
    return atomic_load(&s->errors) == 0 && atomic_load(&s->done) >= cycles ? 0 : 1;
}
