package Netnsfs;
# Real sockets from a netnsfs mount (Perl, with Socket::MsgHdr: Debian's libsocket-msghdr-perl).
#
#   use Netnsfs;
#   my $s = Netnsfs::socket('/mnt/ns1', 'tcp/listen/8080');   # a filehandle on a listening socket
#
# The daemon makes the socket inside the mount's network namespace and passes it over the unix
# socket MOUNT/handoff (SOCK_SEQPACKET): request = the path in UTF-8; reply = a little-endian
# int32 errno (0 = ok) + text, with the socket attached by SCM_RIGHTS on success.
use strict;
use warnings;
use Errno ();
use POSIX ();
use Socket qw(AF_UNIX SOCK_SEQPACKET SOL_SOCKET SCM_RIGHTS pack_sockaddr_un);
use Socket::MsgHdr;

# The socket for PATH as a raw fd; dies with $! set to the daemon's errno when it refuses.
sub socket_fd {
    my ($mount, $path) = @_;
    CORE::socket(my $conn, AF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
    connect($conn, pack_sockaddr_un("$mount/handoff")) or die "$mount/handoff: $!\n";
    defined send($conn, $path, 0) or die "send: $!\n";
    my $msg = Socket::MsgHdr->new(buflen => 4096, controllen => 64);
    defined recvmsg($conn, $msg, 0) or die "recvmsg: $!\n";
    close $conn;
    my ($level, $type, $data) = $msg->cmsghdr;
    my $fd = defined $type && $level == SOL_SOCKET && $type == SCM_RIGHTS ? unpack('i', $data) : -1;
    my $reply = $msg->buf;
    my $err = length $reply >= 4 ? unpack('l<', $reply) : Errno::EPROTO;
    if ($err != 0 || $fd < 0) {
        POSIX::close($fd) if $fd >= 0;
        $! = $err || Errno::EPROTO;
        die "$path: " . substr($reply, 4) . " ($!)\n";
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
