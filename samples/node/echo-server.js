#!/usr/bin/env node
// An echo server listening inside a netnsfs mount's namespace: each open of tcp/listen/PORT
// accepts one client, whose bytes are sent back until it closes (or half-closes).
// usage: node echo-server.js MOUNT PORT [COUNT]   (COUNT clients, then exit; default: forever)
'use strict';
const fs = require('fs');
const path = require('path');

const [mount, port, count = '0'] = process.argv.slice(2);
if (!port) {
  console.error('usage: node echo-server.js MOUNT PORT [COUNT]');
  process.exit(2);
}
const listen = path.join(mount, 'tcp', 'listen', port);
const buf = Buffer.alloc(65536);
for (let served = 0; +count === 0 || served < +count; served++) {
  const client = fs.openSync(listen, 'r+'); // waits for a client
  for (let n; (n = fs.readSync(client, buf, 0, buf.length, null)) > 0;)
    fs.writeSync(client, buf, 0, n, null);
  fs.closeSync(client);
}
