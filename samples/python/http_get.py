#!/usr/bin/env python3
"""HTTP GET through a netnsfs mount: the TCP connection is made inside the mount's namespace.

usage: http_get.py MOUNT HOST PORT [PATH]
"""
import os
import sys


def main(argv):
    if len(argv) not in (4, 5):
        sys.exit(__doc__.strip().splitlines()[-1])
    mount, host, port = argv[1:4]
    path = argv[4] if len(argv) == 5 else "/"
    # A plain file open is a connect(2) inside the namespace; unbuffered: read = recv, write = send.
    with open(os.path.join(mount, "tcp", host, port), "r+b", buffering=0) as conn:
        conn.write(f"GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        while chunk := conn.read(65536):
            sys.stdout.buffer.write(chunk)
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
