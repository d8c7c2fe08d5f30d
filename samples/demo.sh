#!/usr/bin/env bash
# make demo: a network namespace as a mount, end to end. Needs root. Leaves nothing behind.
set -euo pipefail
NETNSFS=${1:-netnsfs}
dir=$(mktemp -d /tmp/netnsfs-demo.XXXXXX)
veth=nnd$$
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    mountpoint -q "$dir" && umount -l "$dir" || true
    ip link del "${veth}h" 2>/dev/null || true
    rmdir "$dir" 2>/dev/null || true
}
trap cleanup EXIT
say() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }

say "mount a fresh network namespace: $NETNSFS netnsfs $dir -o create"
"$NETNSFS" netnsfs "$dir" -o create
grep " $dir " /proc/mounts
cat "$dir/status"

say "it is empty and isolated: only its own loopback (cat $dir/net/dev)"
cat "$dir/net/dev"

say "the host's loopback is not reachable from inside (a host server on 127.0.0.1)"
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' > "$dir.port" &
host_server=$!
for _ in $(seq 100); do [ -s "$dir.port" ] && break; sleep 0.1; done
port=$(cat "$dir.port"); rm -f "$dir.port"
if cat "$dir/tcp/127.0.0.1/$port" 2>&1; then echo "unexpected: reached the host"; exit 1; fi
kill $host_server

say "a web server inside the namespace (nsenter --net=$dir/ns python3 -m http.server)"
echo "hello from inside the namespace" > "$dir.index.html"
nsenter --net="$dir/ns" python3 -m http.server 8080 --bind 127.0.0.1 --directory "$(dirname "$dir")" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do [ -e "$dir/tcp/listen" ] && cat "$dir/net/tcp" | grep -q ':1F90 ' && break; sleep 0.1; done

say "talk to it through the mount, from bash: exec 3<>$dir/tcp/127.0.0.1/8080"
exec 3<>"$dir/tcp/127.0.0.1/8080"
printf 'GET /%s HTTP/1.0\r\n\r\n' "$(basename "$dir").index.html" >&3
echo shutdown > "$dir/conn/self/ctl"      # half-close: the request is complete
cat <&3
exec 3>&-
rm -f "$dir.index.html"
kill $server_pid; server_pid=""

say "put a device inside: ip link add ${veth}h type veth peer name ${veth}n netns $dir/ns"
ip link add "${veth}h" type veth peer name "${veth}n" netns "$dir/ns"
grep "${veth}n" "$dir/net/dev" | cut -d: -f1

say "unmount: umount $dir — the namespace dies with the mount, and its veth with it"
umount "$dir"
sleep 0.5
if ip link show "${veth}h" >/dev/null 2>&1; then echo "the namespace is still alive"; exit 1; fi
echo "${veth}h is gone: the namespace was freed"
say "done"
