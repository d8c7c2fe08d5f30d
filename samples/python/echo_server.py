#!/usr/bin/env python3
"""An echo server listening inside a netnsfs mount's namespace: each open of tcp/listen/PORT
accepts one client, whose bytes are sent back until it closes (or half-closes).

usage: echo_server.py MOUNT PORT [COUNT]   (COUNT clients, then exit; default: forever)
"""
import itertools
import os
import sys


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[-1])
    listen = os.path.join(argv[1], "tcp", "listen", argv[2])
    count = int(argv[3]) if len(argv) == 4 else 0
    for _ in range(count) if count else itertools.count():
        with open(listen, "r+b", buffering=0) as client:  # waits for a client
            while data := client.read(65536):
                client.write(data)


if __name__ == "__main__":
    main(sys.argv)
