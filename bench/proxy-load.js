// Child process of bench/proxy.js: the load generator. Sends COUNT browser-style uploads at
// once (one connection each): multipart/form-data with a `fileSize` field, then the file part
// `rec-<i>.wav` (audio/wav) of SIZE bytes. Every file differs (its first 16 bytes carry its
// index) but shares one random base buffer, so this process holds SIZE bytes, not COUNT x SIZE.
// Usage (forked): proxy-load.js <url> <count> <sizeBytes>
// Sends { type: 'done', wallMs, bytes, results: [{ i, status, md5, fileId?, error? }] }.
'use strict';
const crypto = require('crypto');
const http = require('http');

const [url, countArg, sizeArg] = process.argv.slice(2);
const count = Number(countArg);
const size = Number(sizeArg);
const PREFIX = 16;
const BOUNDARY = '----upliftBenchBoundary3kFq9';

const base = crypto.randomBytes(size);

function prefixOf(i) {
  const p = Buffer.alloc(PREFIX);
  p.write(`upload-${String(i).padStart(8, '0')}`, 'ascii');
  return p;
}

/** MD5 of upload i's bytes (computed before the clock starts). */
function md5Of(i) {
  return crypto.createHash('md5').update(prefixOf(i)).update(base.subarray(PREFIX)).digest('hex');
}

function uploadOne(i, md5, agent) {
  const prefix = prefixOf(i);
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="fileSize"\r\n\r\n${size}\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="rec-${i}.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': head.length + size + tail.length },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let fileId;
        try {
          fileId = JSON.parse(text).files[0].result.fileId;
        } catch {
          /* an error answer */
        }
        resolve({ i, status: res.statusCode, md5, fileId, ...(res.statusCode === 200 ? {} : { error: text.slice(0, 200) }) });
      });
    });
    req.on('error', (e) => resolve({ i, status: 0, md5, error: e.message }));
    req.write(head);
    req.write(prefix);
    req.write(base.subarray(PREFIX));
    req.end(tail);
  });
}

async function main() {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const md5s = Array.from({ length: count }, (_, i) => md5Of(i));
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: count }, (_, i) => uploadOne(i, md5s[i], agent)));
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  process.send({ type: 'done', wallMs, bytes: count * size, results }, () => process.exit(0));
}

main().catch((e) => {
  console.error(`proxy-load: ${e && e.message}`);
  process.exit(1);
});
