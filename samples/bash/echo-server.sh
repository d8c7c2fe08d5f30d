#!/usr/bin/env bash
# An echo server listening inside a netnsfs mount's namespace: each open of tcp/listen/PORT
# accepts one client; its lines are sent back until it closes (or half-closes).
# usage: echo-server.sh MOUNT PORT [COUNT]      (COUNT clients, then exit; default: forever)
set -euo pipefail
usage="usage: echo-server.sh MOUNT PORT [COUNT]"
mount=${1:?$usage} port=${2:?$usage} count=${3:-0}

served=0
while [ "$count" -eq 0 ] || [ "$served" -lt "$count" ]; do
    exec 4<>"$mount/tcp/listen/$port"              # waits for a client
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "$line"
    done <&4 >&4
    exec 4>&-                                     # closes this client's connection
    served=$((served + 1))
done
