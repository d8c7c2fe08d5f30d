// An echo server on a listening socket that netnsfs exec hands over as fd 3 (systemd-style
// socket activation: LISTEN_FDS, LISTEN_PID), made inside the mount's namespace:
//
//	go build -o exec-server exec-server.go
//	netnsfs exec MOUNT --socket tcp/listen/PORT -- ./exec-server [COUNT]
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

func main() {
	// Only when the fds are meant for this process: a stray fd 3 is not a listener.
	nfds, _ := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) || nfds < 1 || len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: netnsfs exec MOUNT --socket tcp/listen/PORT -- exec-server [COUNT]")
		os.Exit(2)
	}
	count := 0
	if len(os.Args) == 2 {
		count, _ = strconv.Atoi(os.Args[1])
	}
	f := os.NewFile(3, os.Getenv("LISTEN_FDNAMES"))
	l, err := net.FileListener(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer l.Close()
	for served := 0; count == 0 || served < count; served++ {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		echo(c)
	}
}

// echo sends back what the client writes until it closes or half-closes.
func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 65536)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
