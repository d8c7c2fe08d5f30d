/* cproxy — the FUSE-path baseline for netnsfs benchmarks: a minimal libfuse (fuse3 low-level
 * API) file system with one file, MOUNT/conn. Each open of it connects a new TCP socket to
 * HOST:PORT; read = recv, write = send, release = close — all blocking, in the handler, on the
 * threads of fuse_session_loop_mt. Opens reply FOPEN_DIRECT_IO|FOPEN_NONSEEKABLE|FOPEN_STREAM,
 * as netnsfs does (minus its FOPEN_PARALLEL_DIRECT_WRITES).
 *
 *   cproxy MOUNTPOINT HOST PORT        (stays in the foreground; SIGTERM/SIGINT unmount)
 *
 * Run it inside the namespace of HOST (e.g. nsenter --net=...). libfuse 3.14 has no
 * fuse_file_info bit for FOPEN_STREAM, so a custom writev (fuse_session_custom_io) adds it to
 * the open reply this thread is sending.
 */
#define FUSE_USE_VERSION 312
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fuse_lowlevel.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define FILE_INO 2
#define FILE_NAME "conn"
#define K_FOPEN_STREAM (1u << 4) /* linux/fuse.h */
#define MAX_IO (1u << 20)

struct k_open_out { uint64_t fh; uint32_t open_flags; int32_t backing_id; }; /* fuse_open_out */

static struct sockaddr_in target;
static __thread int patch_open_reply;
static __thread char *read_buf;

static ssize_t io_read(int fd, void *buf, size_t len, void *ud)
{
    (void)ud;
    return read(fd, buf, len);
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *ud)
{
    (void)ud;
    if (patch_open_reply) {
        patch_open_reply = 0;
        if (count >= 2 && iov[1].iov_len == sizeof(struct k_open_out))
            ((struct k_open_out *)iov[1].iov_base)->open_flags |= K_FOPEN_STREAM;
    }
    return writev(fd, iov, count);
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    if (ino == FUSE_ROOT_ID) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0666;
        st->st_nlink = 1;
    }
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    if (parent != FUSE_ROOT_ID || strcmp(name, FILE_NAME)) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct fuse_entry_param e = { .ino = FILE_INO, .attr_timeout = 3600, .entry_timeout = 3600 };
    fill_attr(FILE_INO, &e.attr);
    fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    if (ino != FUSE_ROOT_ID && ino != FILE_INO) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct stat st;
    fill_attr(ino, &st);
    fuse_reply_attr(req, &st, 3600);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    if (ino != FILE_INO) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fuse_reply_err(req, errno);
        return;
    }
    if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0) {
        int e = errno;
        close(fd);
        fuse_reply_err(req, e);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fi->fh = (uint64_t)fd;
    fi->direct_io = 1;
    fi->nonseekable = 1;
    patch_open_reply = 1;
    if (fuse_reply_open(req, fi) != 0) /* the opener is gone: no release will come */
        close(fd);
    patch_open_reply = 0;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)ino; (void)off;
    if (!read_buf && posix_memalign((void **)&read_buf, 4096, MAX_IO)) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    if (size > MAX_IO)
        size = MAX_IO;
    ssize_t n;
    do
        n = recv((int)fi->fh, read_buf, size, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        fuse_reply_err(req, errno);
    else
        fuse_reply_buf(req, read_buf, (size_t)n);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    (void)ino; (void)off;
    size_t done = 0;
    while (done < size) {
        ssize_t n = send((int)fi->fh, buf + done, size - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fuse_reply_err(req, errno);
            return;
        }
        done += (size_t)n;
    }
    fuse_reply_write(req, size);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    shutdown((int)fi->fh, SHUT_RDWR);
    close((int)fi->fh);
    fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = op_lookup,
    .getattr = op_getattr,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .release = op_release,
};

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: cproxy MOUNTPOINT HOST PORT\n");
        return 2;
    }
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)atoi(argv[3]));
    if (inet_pton(AF_INET, argv[2], &target.sin_addr) != 1) {
        fprintf(stderr, "cproxy: bad IPv4 address %s\n", argv[2]);
        return 2;
    }
    char *fargv[] = { argv[0], "-o", "fsname=cproxy,subtype=cproxy", NULL };
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (!se)
        return 1;
    int rc = 1;
    if (fuse_set_signal_handlers(se) != 0)
        goto out_destroy;
    if (fuse_session_mount(se, argv[1]) != 0)
        goto out_signals;
    static const struct fuse_custom_io io = { .writev = io_writev, .read = io_read };
    if (fuse_session_custom_io(se, &io, fuse_session_fd(se)) != 0) {
        fprintf(stderr, "cproxy: fuse_session_custom_io failed\n");
        goto out_unmount;
    }
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    fuse_loop_cfg_set_max_threads(cfg, 64);
    fuse_loop_cfg_set_idle_threads(cfg, 16);
    fprintf(stderr, "cproxy: %s/%s -> %s:%s\n", argv[1], FILE_NAME, argv[2], argv[3]);
    rc = fuse_session_loop_mt(se, cfg) ? 1 : 0;
    fuse_loop_cfg_destroy(cfg);
out_unmount:
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_destroy:
    fuse_session_destroy(se);
    return rc;
}
