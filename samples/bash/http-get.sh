#!/usr/bin/env bash
# HTTP GET through a netnsfs mount: the TCP connection is made inside the mount's namespace.
# usage: http-get.sh MOUNT HOST PORT [PATH]
set -euo pipefail
usage="usage: http-get.sh MOUNT HOST PORT [PATH]"
mount=${1:?$usage} host=${2:?$usage} port=${3:?$usage} path=${4:-/}

exec 3<>"$mount/tcp/$host/$port"                  # connect(2), inside the namespace
printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3
echo shutdown > "$mount/conn/self/ctl"            # half-close: the request is complete
cat <&3                                           # the response, until the server closes
exec 3>&-
