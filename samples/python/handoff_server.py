#!/usr/bin/env python3
"""An echo server on a real listening socket made inside a netnsfs mount's namespace and handed
over by the daemon (netnsfs.py beside this file): an ordinary accept loop, no relay in between.

usage: handoff_server.py MOUNT PORT [COUNT]   (COUNT clients, then exit; default: forever)
"""
import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netnsfs  # noqa: E402


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[-1])
    mount, port = argv[1], argv[2]
    count = int(argv[3]) if len(argv) == 4 else 0
    with netnsfs.socket(mount, f"tcp/listen/{port}") as listener:  # a socket.socket
        for _ in range(count) if count else itertools.count():
            client, _addr = listener.accept()
            with client:
                while data := client.recv(65536):
                    client.sendall(data)


if __name__ == "__main__":
    main(sys.argv)
