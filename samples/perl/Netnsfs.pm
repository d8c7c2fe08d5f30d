package Netnsfs;
# Real sockets from a netnsfs mount (Perl, with Socket::MsgHdr: Debian's libsocket-msghdr-perl).
#
#   use Netnsfs;
#   my $s = Netnsfs::socket('/mnt/ns1', 'tcp/listen/8080');   # a filehandle on a listening socket
#
# The daemon makes the socket inside the mount's network namespace and passes it over the unix
# socket MOUNT/handoff (SOCK_SEQPACKET): request = the path in UTF-8; reply = a little-endian
# int32 errno (0 = ok) + text, with the socket attached by SCM_RIGHTS on success.
#
# Who answers is checked before anything is sent: the server's SO_PEERCRED uid must be 0 or the
# uid that owns MOUNT (stat of the mount directory, which the daemon reports), else $! = EPERM
# ("handoff socket is not served by the netnsfs daemon"): a socket put in the daemon's place by
# another user must not hand us its fds. The reply must carry exactly one fd, and a socket;
# anything else (two fds, truncated control data: EPROTO; a pipe: ENOTSOCK) is closed and refused.
use strict;
use warnings;
use Errno ();
use Fcntl qw(:mode);
use POSIX ();
use Socket qw(AF_UNIX SOCK_SEQPACKET SOL_SOCKET SCM_RIGHTS SO_PEERCRED MSG_CTRUNC pack_sockaddr_un);
use Socket::MsgHdr;

our $NOT_SERVED_BY_DAEMON = 'handoff socket is not served by the netnsfs daemon';

# Room for this many fds: a well-formed reply has one; more lets the kernel hand over (and us
# close) what a misbehaving server sends instead of truncating it.
my $CONTROL_FDS = 16;

sub _fail {
    my ($errno, $text) = @_;
    $! = $errno;
    die "$text ($!)\n";
}

# Dies with $! = EPERM unless the peer of $conn is root or the owner of $mount.
sub _check_server {
    my ($conn, $mount) = @_;
    my $cred = getsockopt($conn, SOL_SOCKET, SO_PEERCRED);
    _fail(Errno::EPERM, "$mount/handoff: $NOT_SERVED_BY_DAEMON (no peer credentials)") unless defined $cred && length $cred == 12;
    my (undef, $uid) = unpack('lLL', $cred);
    return if $uid == 0;
    my @st = stat($mount) or die "$mount: $!\n";
    _fail(Errno::EPERM, "$mount/handoff: $NOT_SERVED_BY_DAEMON (served by uid $uid; the mount belongs to uid $st[4])") if $uid != $st[4];
}

# The socket for PATH as a raw fd; dies with $! set to the daemon's errno when it refuses.
sub socket_fd {
    my ($mount, $path) = @_;
    CORE::socket(my $conn, AF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
    connect($conn, pack_sockaddr_un("$mount/handoff")) or die "$mount/handoff: $!\n";
    _check_server($conn, $mount);
    defined send($conn, $path, 0) or die "send: $!\n";
    # CMSG_SPACE(16 ints) = 16-byte header + 64 bytes.
    my $msg = Socket::MsgHdr->new(buflen => 4096, controllen => 16 + 4 * $CONTROL_FDS);
    # MSG_CMSG_CLOEXEC (0x40000000; Socket does not export it): received fds are not inherited.
    defined recvmsg($conn, $msg, 0x40000000) or die "recvmsg: $!\n";
    close $conn;
    # Every control message, every fd: all but the one a reply may carry are closed.
    my @fds;
    my @cmsg = $msg->cmsghdr;
    while (my ($level, $type, $data) = splice(@cmsg, 0, 3)) {
        push @fds, unpack('i*', substr($data, 0, length($data) - length($data) % 4))
            if $level == SOL_SOCKET && $type == SCM_RIGHTS;
    }
    if (@fds > 1 || ($msg->flags & MSG_CTRUNC)) {
        POSIX::close($_) for @fds;
        _fail(Errno::EPROTO, "$path: the handoff reply carried more than one fd");
    }
    my $fd = @fds ? $fds[0] : -1;
    my $reply = $msg->buf;
    my $err = length $reply >= 4 ? unpack('l<', $reply) : Errno::EPROTO;
    if ($err != 0 || $fd < 0) {
        POSIX::close($fd) if $fd >= 0;
        _fail($err || Errno::EPROTO, "$path: " . substr($reply, 4));
    }
    my @st = POSIX::fstat($fd);
    if (!@st || !S_ISSOCK($st[2])) {
        POSIX::close($fd);
        _fail(Errno::ENOTSOCK, "$path: the handoff reply carried an fd that is not a socket");
    }
    return $fd;
}

# The same as a read-write filehandle (accept, send, recv, sysread, syswrite work on it).
sub socket {
    my $fd = socket_fd(@_);
    open(my $fh, '+<&=', $fd) or die "fdopen: $!\n";
    return $fh;
}

1;
