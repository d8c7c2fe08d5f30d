// An echo server on a real listening socket made inside a netnsfs mount's namespace and handed
// over by the daemon (netnsfs.go): net.FileListener makes it an ordinary net.Listener.
//
//	go build -o handoff-server handoff-server.go netnsfs.go && ./handoff-server MOUNT PORT [COUNT]
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: handoff-server MOUNT PORT [COUNT]   (COUNT clients, then exit; default: forever)")
		os.Exit(2)
	}
	count := 0
	if len(os.Args) == 4 {
		count, _ = strconv.Atoi(os.Args[3])
	}
	f, err := handoff(os.Args[1], "tcp/listen/"+os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l, err := net.FileListener(f) // dups the fd: ours can go
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer l.Close()
	serve(l, count)
}

// serve echoes to count clients (0: forever), one at a time, each until it closes or half-closes.
func serve(l net.Listener, count int) {
	for served := 0; count == 0 || served < count; served++ {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		echo(c)
	}
}

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
		if err != nil { // io.EOF once the client half-closes
			return
		}
	}
}
