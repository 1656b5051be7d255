// A loopback sink in its own process (so its memory is not the client's): reads every body,
// answers PUTs with a quoted-MD5 ETag and form POSTs with 204. Prints its URL on stdout.
'use strict';
const crypto = require('crypto');
const http = require('http');

const server = http.createServer((req, res) => {
  const hash = crypto.createHash('md5');
  let bytes = 0;
  req.on('data', (c) => {
    bytes += c.length;
    hash.update(c);
  });
  req.on('end', () => {
    const md5 = hash.digest('hex');
    res.setHeader('x-bytes', String(bytes));
    if (req.method === 'POST') {
      res.writeHead(204);
    } else {
      res.writeHead(200, { ETag: `"${md5}"` });
    }
    res.end();
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
