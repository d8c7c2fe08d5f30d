// The handoff protocol, standard library only: MOUNT/handoff is a SOCK_SEQPACKET unix socket;
// request = the path relative to the mount root (UTF-8); reply = one message, a little-endian
// int32 errno then UTF-8 text, with the socket attached as SCM_RIGHTS on success.
// Built together with handoff-server.go or handoff-get.go.
package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// notServed is what every netnsfs client says when someone else answers on the handoff socket.
const notServed = "handoff socket is not served by the netnsfs daemon"

// handoff asks the daemon of mount for a real socket for path ("tcp/listen/7000",
// "tcp/127.0.0.1/80", ...), made inside the mount's namespace, and returns it as an *os.File:
// net.FileConn or net.FileListener turn it into a net.Conn or a net.Listener.
func handoff(mount, path string) (*os.File, error) {
	addr := &net.UnixAddr{Name: filepath.Join(mount, "handoff"), Net: "unixpacket"}
	c, err := net.DialUnix("unixpacket", nil, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := checkServer(c, mount); err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte(path)); err != nil {
		return nil, err
	}
	// Room for 16 fds: a well-formed reply has one; more lets the kernel hand over (and us close)
	// what a misbehaving server sends, rather than truncating it.
	msg := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(16*4))
	n, oobn, flags, _, err := c.ReadMsgUnix(msg, oob) // Go adds MSG_CMSG_CLOEXEC on Linux
	if err != nil {
		return nil, err
	}
	fds, err := receivedFds(oob[:oobn])
	if err == nil && (len(fds) > 1 || flags&syscall.MSG_CTRUNC != 0) {
		err = fmt.Errorf("%s: the handoff reply carried more than one fd: %w", path, syscall.EPROTO)
	}
	if err == nil && n < 4 {
		err = fmt.Errorf("%s: short handoff reply: %w", path, syscall.EPROTO)
	}
	if err == nil {
		if errno := syscall.Errno(binary.LittleEndian.Uint32(msg[:4])); errno != 0 {
			err = fmt.Errorf("%s: %s: %w", path, msg[4:n], errno)
		} else if len(fds) == 0 {
			err = fmt.Errorf("%s: the handoff reply carried no fd: %w", path, syscall.EPROTO)
		}
	}
	if err == nil {
		// Only a socket is accepted: a pipe or a file in its place is refused.
		var st syscall.Stat_t
		if e := syscall.Fstat(fds[0], &st); e != nil || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
			err = fmt.Errorf("%s: the handoff reply carried an fd that is not a socket: %w", path, syscall.ENOTSOCK)
		}
	}
	if err != nil {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), path), nil
}

// receivedFds reads every control message and collects every fd in them, so that none leaks.
func receivedFds(oob []byte) ([]int, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level == syscall.SOL_SOCKET && msgs[i].Header.Type == syscall.SCM_RIGHTS {
			got, err := syscall.ParseUnixRights(&msgs[i])
			if err != nil {
				return fds, err
			}
			fds = append(fds, got...)
		}
	}
	return fds, nil
}

// checkServer refuses a server other than root or the owner of the mount directory (SO_PEERCRED):
// a socket put in the daemon's place by another user must not hand us its fds.
func checkServer(c *net.UnixConn, mount string) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if credErr != nil {
		return credErr
	}
	if cred.Uid == 0 {
		return nil
	}
	fi, err := os.Stat(mount)
	if err != nil {
		return err
	}
	if owner := fi.Sys().(*syscall.Stat_t).Uid; cred.Uid != owner {
		return fmt.Errorf("%s/handoff: %s (served by uid %d; the mount belongs to uid %d): %w",
			mount, notServed, cred.Uid, owner, syscall.EPERM)
	}
	return nil
}
