// An HTTP GET over a real connected socket handed over by a netnsfs mount's daemon (netnsfs.go):
// net.FileConn makes it a *net.TCPConn, with addresses, deadlines and CloseWrite.
//
//	go build -o handoff-get handoff-get.go netnsfs.go && ./handoff-get MOUNT HOST PORT [PATH]
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: handoff-get MOUNT HOST PORT [PATH]")
		os.Exit(2)
	}
	mount, host, port, path := os.Args[1], os.Args[2], os.Args[3], "/"
	if len(os.Args) == 5 {
		path = os.Args[4]
	}
	f, err := handoff(mount, "tcp/"+host+"/"+port) // connected inside the namespace
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	// A kernel socket: what a socket file cannot give (a peer address, a deadline, a half-close).
	fmt.Fprintf(os.Stderr, "connected %s -> %s\n", c.LocalAddr(), c.RemoteAddr())
	c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host)
	c.(*net.TCPConn).CloseWrite()
	if _, err := io.Copy(os.Stdout, c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
