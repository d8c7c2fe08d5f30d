#!/usr/bin/env node
// An echo server on a real listening socket made inside a netnsfs mount's namespace. Node cannot
// receive fds over a unix socket, so netnsfs exec asks for the socket and hands it over as fd 3
// (systemd-style socket activation):
//   netnsfs exec MOUNT --socket tcp/listen/PORT -- node handoff-server.js [COUNT]
'use strict';
const net = require('net');

if (process.env.LISTEN_PID !== String(process.pid) || !(+process.env.LISTEN_FDS >= 1)) {
  console.error('usage: netnsfs exec MOUNT --socket tcp/listen/PORT -- node handoff-server.js [COUNT]');
  process.exit(2);
}
const count = +(process.argv[2] || 0);
let served = 0;
const server = net.createServer((client) => {
  client.pipe(client); // echo until the client closes (or half-closes)
  client.on('error', () => {});
  client.on('close', () => {
    if (count && ++served >= count)
      server.close(); // the process exits once nothing is left open
  });
});
server.listen({ fd: 3 });
