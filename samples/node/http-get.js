#!/usr/bin/env node
// HTTP GET through a netnsfs mount: the TCP connection is made inside the mount's namespace.
// usage: node http-get.js MOUNT HOST PORT [PATH]
'use strict';
const fs = require('fs');
const path = require('path');

const [mount, host, port, urlPath = '/'] = process.argv.slice(2);
if (!port) {
  console.error('usage: node http-get.js MOUNT HOST PORT [PATH]');
  process.exit(2);
}
const fd = fs.openSync(path.join(mount, 'tcp', host, port), 'r+'); // connect(2), inside
fs.writeSync(fd, `GET ${urlPath} HTTP/1.0\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
const buf = Buffer.alloc(65536);
for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) // recv(2); 0 at close
  process.stdout.write(buf.subarray(0, n));
fs.closeSync(fd);
