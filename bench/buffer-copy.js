#!/usr/bin/env node
// What copying a Buffer source costs: a Buffer or Uint8Array given to an upload is copied once
// into memory the engine owns, when the upload starts, and freed when it settles.
//   node bench/buffer-copy.js [MiB ...]      (default: 1 64 256; needs dist/, npm run build:ts)
// For each size: the time the native call takes with that Buffer minus the same call with an
// empty Buffer (median of 5), i.e. the copy; the engine-owned copy bytes while the upload runs
// and after it settled; RSS before, while and after. The peer is a loopback HTTP server in
// this process that reads and discards.
'use strict';
const http = require('http');
const { native } = require('../dist/native');

const MiB = 1024 * 1024;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (sizes.length === 0) sizes.push(1, 64, 256);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/b`;
  const addon = native();
  const engine = new addon.Engine({});
  const put = (buffer) => {
    const t0 = process.hrtime.bigint();
    const h = engine.putPresigned({ url, headers: [], source: { kind: 'buffer', buffer }, computeMd5: false });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { h, ms };
  };
  const rssMiB = () => Math.round(process.memoryUsage().rss / MiB);
  const empty = Buffer.alloc(0);
  console.log('| size | copy (median of 5) | per MiB | engine-owned copy while running / after settle | RSS before / while / after |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const size of sizes) {
    const buf = Buffer.alloc(size * MiB, 7);
    const copyMs = [];
    let while_ = 0;
    let rss = [0, 0, 0];
    for (let i = 0; i < 5; i++) {
      const base = put(empty);
      await base.h.promise;
      const before = rssMiB();
      const r = put(buf);
      if (i === 4) {
        while_ = addon.bufferCopies().bytes;
        rss = [before, rssMiB(), 0];
      }
      await r.h.promise;
      copyMs.push(r.ms - base.ms);
    }
    const after = addon.bufferCopies().bytes;
    rss[2] = rssMiB();
    const m = median(copyMs);
    console.log(`| ${size} MiB | ${m.toFixed(2)} ms | ${(m / size).toFixed(3)} ms | ${(while_ / MiB).toFixed(0)} MiB / ${(after / MiB).toFixed(0)} MiB | ${rss[0]} / ${rss[1]} / ${rss[2]} MiB |`);
  }
  engine.close();
  server.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
