"""Real sockets from a netnsfs mount (stdlib only).

    import netnsfs
    s = netnsfs.socket("/mnt/ns1", "tcp/127.0.0.1/80")   # a connected socket.socket
    l = netnsfs.socket("/mnt/ns1", "tcp/listen/8080")    # a listening one

The daemon makes the socket inside the mount's network namespace and passes it over the unix
socket MOUNT/handoff (SOCK_SEQPACKET): request = the path in UTF-8; reply = a little-endian
int32 errno (0 = ok) + text, with the socket attached by SCM_RIGHTS on success.

Who answers is checked before anything is sent: the server's SO_PEERCRED uid must be 0 or the
uid that owns MOUNT (os.stat of the mount directory, which the daemon reports), else
OSError(EPERM, "handoff socket is not served by the netnsfs daemon"): a socket put in the
daemon's place by another user must not hand us its fds. The reply must carry exactly one fd,
and a socket; anything else (two fds, truncated control data, a pipe) is closed and refused.
"""
import errno as _errno
import os
import socket as _socket
import stat as _stat
import struct

__all__ = ["socket", "socket_fd", "NOT_SERVED_BY_DAEMON"]

NOT_SERVED_BY_DAEMON = "handoff socket is not served by the netnsfs daemon"

# Room for this many fds: a well-formed reply has one; more lets the kernel hand over (and us
# close) what a misbehaving server sends instead of truncating it.
_CONTROL_FDS = 16


def _check_server(conn, mount_dir):
    """EPERM unless the peer is root or the owner of the mount directory."""
    _pid, uid, _gid = struct.unpack("iII", conn.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12))
    if uid == 0:
        return
    owner = os.stat(mount_dir).st_uid
    if uid != owner:
        raise OSError(_errno.EPERM, "%s/handoff: %s (served by uid %d; the mount belongs to uid %d)"
                      % (mount_dir, NOT_SERVED_BY_DAEMON, uid, owner))


def _receive(conn):
    """One reply: (message, fd or -1). Every control message is read and every fd in it closed
    unless it is the one fd a reply may carry."""
    msg, ancdata, flags, _addr = conn.recvmsg(4096, _socket.CMSG_SPACE(_CONTROL_FDS * 4), _socket.MSG_CMSG_CLOEXEC)
    fds = []
    for level, kind, data in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            whole = len(data) - len(data) % 4
            fds.extend(struct.unpack("%di" % (whole // 4), data[:whole]))
    if len(fds) > 1 or flags & _socket.MSG_CTRUNC:
        for fd in fds:
            os.close(fd)
        raise OSError(_errno.EPROTO, "the handoff reply carried more than one fd")
    return msg, fds[0] if fds else -1


def socket_fd(mount_dir, path):
    """The socket for `path` as a raw fd; raises OSError(errno) when the daemon refuses."""
    with _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET) as conn:
        conn.connect(os.path.join(mount_dir, "handoff"))
        _check_server(conn, mount_dir)
        conn.send(path.encode("utf-8"))
        msg, fd = _receive(conn)
    err = struct.unpack("<i", msg[:4])[0] if len(msg) >= 4 else _errno.EPROTO
    text = msg[4:].decode("utf-8", "replace") if len(msg) >= 4 else "short handoff reply"
    if err != 0 or fd < 0:
        if fd >= 0:
            os.close(fd)
        raise OSError(err or _errno.EPROTO, "%s: %s" % (path, text))
    if not _stat.S_ISSOCK(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(_errno.ENOTSOCK, "%s: the handoff reply carried an fd that is not a socket" % path)
    return fd


def socket(mount_dir, path):
    """A socket.socket for `path` ("tcp/HOST/PORT", "udp/HOST/PORT", "tcp/listen/PORT",
    "unix/@NAME", "inet;stream;tcp", ...), made inside the mount's network namespace."""
    return _socket.socket(fileno=socket_fd(mount_dir, path))
