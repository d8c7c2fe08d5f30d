"""Real sockets from a netnsfs mount (stdlib only).

    import netnsfs
    s = netnsfs.socket("/mnt/ns1", "tcp/127.0.0.1/80")   # a connected socket.socket
    l = netnsfs.socket("/mnt/ns1", "tcp/listen/8080")    # a listening one

The daemon makes the socket inside the mount's network namespace and passes it over the unix
socket MOUNT/handoff (SOCK_SEQPACKET): request = the path in UTF-8; reply = a little-endian
int32 errno (0 = ok) + text, with the socket attached by SCM_RIGHTS on success.
"""
import os
import socket as _socket
import struct

__all__ = ["socket", "socket_fd"]


def socket_fd(mount_dir, path):
    """The socket for `path` as a raw fd; raises OSError(errno) when the daemon refuses."""
    with _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET) as conn:
        conn.connect(os.path.join(mount_dir, "handoff"))
        conn.send(path.encode("utf-8"))
        msg, fds, _flags, _addr = _socket.recv_fds(conn, 4096, 1)
    if len(msg) < 4:
        for fd in fds:
            os.close(fd)
        raise OSError(71, "short handoff reply")
    (err,) = struct.unpack("<i", msg[:4])
    if err != 0 or not fds:
        for fd in fds:
            os.close(fd)
        raise OSError(err or 71, "%s: %s" % (path, msg[4:].decode("utf-8", "replace")))
    return fds[0]


def socket(mount_dir, path):
    """A socket.socket for `path` ("tcp/HOST/PORT", "udp/HOST/PORT", "tcp/listen/PORT",
    "unix/@NAME", "inet;stream;tcp", ...), made inside the mount's network namespace."""
    return _socket.socket(fileno=socket_fd(mount_dir, path))
