// An HTTP GET through a netnsfs mount: os.OpenFile of MOUNT/tcp/HOST/PORT is a connect(2) made
// inside the mount's network namespace, and the *os.File reads and writes that connection.
//
//	go build -o http-get http-get.go && ./http-get MOUNT HOST PORT [PATH]
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: http-get MOUNT HOST PORT [PATH]")
		os.Exit(2)
	}
	mount, host, port, path := os.Args[1], os.Args[2], os.Args[3], "/"
	if len(os.Args) == 5 {
		path = os.Args[4]
	}
	// O_RDWR: a socket file is read and written; the open returns once connected (or its errno,
	// ECONNREFUSED say). Go puts the file in its poller (netnsfs files support poll), so a
	// waiting Read parks a goroutine, not a thread.
	conn, err := os.OpenFile(filepath.Join(mount, "tcp", host, port), os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// read = recv: short reads as the socket gives them, 0 (io.EOF) when the server closes.
	if _, err := io.Copy(os.Stdout, conn); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
