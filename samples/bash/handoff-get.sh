#!/usr/bin/env bash
# HTTP GET over a real socket handed over by netnsfs exec (fd 3, connected inside the namespace):
#   netnsfs exec MOUNT --socket tcp/HOST/PORT -- handoff-get.sh HOST [PATH]
set -euo pipefail
if [ "${LISTEN_PID:-}" != "$$" ] || [ "${LISTEN_FDS:-0}" -lt 1 ]; then
    echo "usage: netnsfs exec MOUNT --socket tcp/HOST/PORT -- handoff-get.sh HOST [PATH]" >&2
    exit 2
fi
host=${1:?host} path=${2:-/}
printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3
cat <&3
