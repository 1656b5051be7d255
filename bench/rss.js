#!/usr/bin/env node
// Peak RSS growth of the three primitives uploading one large file from disk (default
// 1 GiB) to a loopback sink in another process. RSS is sampled every 5 ms; the baseline is
// the RSS just before each upload (engine created, one warm-up upload done).
// Usage: node bench/rss.js [sizeMiB=1024]
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const uplift = require('../dist');

const MiB = 1024 * 1024;

async function startSink() {
  const child = spawn(process.execPath, [path.join(__dirname, 'sink-process.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
  return { url, stop: () => child.kill('SIGTERM') };
}

function makeFile(sizeMiB) {
  const dir = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const file = path.join(dir, `uplift-rss-${process.pid}.bin`);
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < sizeMiB; i++) {
    block.fill(i & 255);
    fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
  return file;
}

async function measure(name, fn) {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    const r = process.memoryUsage().rss;
    if (r > peak) peak = r;
  }, 5);
  const t0 = process.hrtime.bigint();
  const out = await fn();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  return { name, baseMiB: base / MiB, peakMiB: peak / MiB, growthMiB: (peak - base) / MiB, secs, out };
}

async function main() {
  const sizeMiB = Number(process.argv[2] || 1024);
  const file = makeFile(sizeMiB);
  const sink = await startSink();
  const engine = new uplift.Engine();
  try {
    await uplift.putPresigned(`${sink.url}/warm`, Buffer.alloc(1024), { engine });
    const size = fs.statSync(file).size;
    const partSize = 5 * MiB;
    const parts = Array.from({ length: Math.ceil(size / partSize) }, (_, i) => ({ partNumber: i + 1, url: `${sink.url}/parts?partNumber=${i + 1}` }));
    const rows = [];
    rows.push(await measure('putPresigned', () => uplift.putPresigned(`${sink.url}/put`, file, { engine })));
    rows.push(await measure('postPresignedForm', () => uplift.postPresignedForm(`${sink.url}/form/`, { key: 'k' }, file, { engine })));
    rows.push(await measure('uploadPresignedParts', () => uplift.uploadPresignedParts(parts, file, { engine, partSizeBytes: partSize, concurrency: 4 })));
    console.log(`\n${sizeMiB} MiB file from ${path.dirname(file)}, sink in another process, Node ${process.version}\n`);
    console.log('| primitive | MiB/s | baseline RSS MiB | peak RSS MiB | growth MiB |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.name} | ${(sizeMiB / r.secs).toFixed(0)} | ${r.baseMiB.toFixed(1)} | ${r.peakMiB.toFixed(1)} | ${r.growthMiB.toFixed(1)} |`);
    }
    const worst = Math.max(...rows.map((r) => r.growthMiB));
    console.log(`\nworst peak RSS growth: ${worst.toFixed(1)} MiB (target < 32 MiB)`);
    process.exitCode = worst < 32 ? 0 : 1;
  } finally {
    await engine.close();
    sink.stop();
    fs.rmSync(file, { force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
