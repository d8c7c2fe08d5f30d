namespace NetnsFs.Cli;

/// <summary>The --help text; kept in step with netnsfs(8) (src/packaging/netnsfs.8) and the README.
/// tests/NetnsFs.Tests/Samples/ManPageTests.cs parses both: the entries of "options" and "paths"
/// (two-space indent, name first) and the flags of the usage lines must be those of the man page.</summary>
internal static class Usage
{
    public const string Text = """
        usage: netnsfs SOURCE MOUNTPOINT [-o OPTIONS] [-f] [-d]
               mount -t fuse.netnsfs [-o OPTIONS] SOURCE MOUNTPOINT
               netnsfs exec MOUNTPOINT --socket [NAME=]PATH [--socket ...] -- COMMAND [ARGS...]
               netnsfs run [--net DIR] -- COMMAND [ARGS...]
               netnsfs -h|--help | -V|--version

        Mounts a network namespace: files in the mount are sockets made inside it.

        options (-o, comma-separated):
          create               make a new network namespace (lo up) that lives as long as the mount
          netns=PATH           the namespace at PATH (/run/netns/NAME, /proc/PID/ns/net)
                               (default: the mounter's current network namespace)
          multi                many namespaces, one per directory: mkdir DIR/NAME creates one,
                               rmdir releases it, ln -s /run/netns/X DIR/NAME attaches one
          watch[=PINDIR]       multi: every namespace pinned in PINDIR (default /run/netns:
                               ip netns add, CNI) is a directory while its pin exists (root)
          spares=N             multi: namespaces made ahead of mkdir by a background thread
                               (default 8, 0: each mkdir makes its own)
          linger=SECONDS       large writes (64 KiB and up) to a stream socket in use are
                               answered once the daemon holds their data; after close, what the
                               socket has not taken yet is still sent until SECONDS pass without
                               progress, then the connection is reset (default 30, at most 3600;
                               0: every write waits for its socket)
          stop_timeout=SECONDS
                               after SIGTERM/SIGINT (which unmount), stop at the latest this long
                               after the signal though files are open (they get ENOTCONN; sockets
                               still holding answered data are reset); a second signal stops at
                               once (default 5, at most 3600)
          max_sockets=N,max_listeners=N,max_handoffs=N,max_namespaces=N,max_snapshots=N,max_held=MiB
                               what one uid (not root) may make the daemon hold: open socket files
                               (default 4096), listeners (256), handoff connections (64), multi
                               namespaces (64), open snapshots of net/, conn/, status and directory
                               listings (64), MiB of queued write data (64); past a cap: EMFILE
                               (ENOSPC for namespaces, ENOBUFS for write data), logged, in status
          mount_max_sockets=N,mount_max_listeners=N,mount_max_handoffs=N,mount_max_namespaces=N,mount_max_snapshots=N,mount_max_held=MiB
                               the same for the whole mount, root included (default: what the fd
                               limit allows, raised at start to the hard one; four users' worth
                               of snapshots and write data)
          handoff_idle=SECONDS  close a handoff connection without a request for that long (default 300)
          allow_other          let other users in (needs user_allow_other in /etc/fuse.conf for non-root)
          default_permissions  let the kernel check mode bits (on by default with allow_other)
          uid=N,gid=N,mode=OCTAL  owner and mode of the mount's root (default: mounter, 0755)
          hosts=FILE,resolv=FILE  name lookups for tcp/NAME/PORT (default: /etc/netns/NAME/... for
                               netns=/run/netns/NAME, else /etc/hosts and /etc/resolv.conf),
                               always queried from inside the namespace
          log=FILE             log to FILE (the daemon has no terminal)
          debug                log every request
          -f                   stay in the foreground, log to stderr
          -d                   -f plus debug

        paths:
          FAMILY;TYPE;PROTOCOL   a new socket, e.g. inet;stream;tcp, inet6;dgram;udp, unix;stream;0
          tcp/HOST/PORT          a TCP connection to HOST (IPv4/IPv6 literal, localhost, or a name
                                 resolved inside the namespace) port PORT
          udp/HOST/PORT          a connected UDP socket; one write is one datagram
          mptcp/HOST/PORT        a Multipath TCP connection (IPPROTO_MPTCP; TCP if the peer has no MPTCP)
          unix/@NAME             a connection to the abstract unix socket NAME of the namespace
          tcp/listen/PORT        listen on PORT (all addresses); each open accepts one connection
          tcp/listen/ADDR/PORT   listen on one address
          mptcp/listen/PORT      a Multipath TCP listener (all addresses; takes TCP clients too)
          mptcp/listen/ADDR/PORT the same on one address
          unix/listen/@NAME      an abstract unix listener
          conn/N/                one open socket: local, remote, state, path, owner, ctl
          conn/self/             the caller's (or its shell's) newest socket; echo shutdown > conn/self/ctl
          net/                   the namespace's /proc/net tables (dev, tcp, route, ...)
          ns                     the namespace itself (nsenter --net=MOUNTPOINT/ns)
          status                 namespace inode, origin, options, open sockets, listeners, limits
          handoff                unix socket handing out real sockets (see netnsfs exec, NetnsFs.Client)

        exit status: 0 mounted (or done), 1 failure, 2 bad command line or option. See netnsfs(8).

        """;
}
