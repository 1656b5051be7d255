#!/usr/bin/env node
// Soak test: many small uploads (default 10,000 PUTs of 4 KiB, 32 in flight) through ONE
// engine against a loopback sink in another process (bench/sink-process.js). Every upload's
// bytes and MD5 are checked. RSS, the JS heap in use and open file descriptors are sampled
// every `sampleEvery` uploads (default 1/20 of the run) after a forced full GC; past the
// warm-up (default the first 20%: 2,000 of 10,000) least-squares slopes are fitted, per
// 1,000 uploads. Prints a table and the slopes; exits 1 when an upload failed or a slope is
// over its bound: RSS --max-rss-slope KiB (default 512; the fitted growth over the window
// must also pass --min-rss-growth KiB, default 1024, below which malloc's steps of 128 KiB
// and more are noise: short --uploads runs are less sensitive), JS heap --max-heap-slope KiB
// (default 16, i.e. 16 bytes kept per upload), fds --max-fd-slope (default 1).
// The script re-runs itself so that RSS shows leaks rather than the sizing policies of V8
// and glibc: under node --expose-gc --max-semi-space-size=1 (V8 otherwise grows its young
// generation in steps of 8-16 MiB of RSS mid-run) and with MALLOC_MMAP_THRESHOLD_=131072
// (otherwise glibc raises its mmap threshold after the first freed 512 KiB curl upload
// buffer and keeps later ones in its arenas, whose RSS creeps up for ~50,000 uploads before
// it levels off). That costs throughput; --native-malloc keeps glibc's default.
// Usage: node bench/soak.js [--uploads N] [--size BYTES] [--concurrency N]
//          [--sample-every N] [--warmup N] [--max-rss-slope KIB] [--min-rss-growth KIB]
//          [--max-heap-slope KIB] [--max-fd-slope N] [--native-malloc]
// Needs the built package (npm run build): the addon and dist/.
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const KiB = 1024;
const MiB = 1024 * 1024;

function usage(code) {
  console.log('usage: node bench/soak.js [--uploads N] [--size BYTES] [--concurrency N] [--sample-every N] [--warmup N] [--max-rss-slope KIB] [--min-rss-growth KIB] [--max-heap-slope KIB] [--max-fd-slope N] [--native-malloc]');
  process.exit(code);
}

function parseArgs(argv) {
  const o = { uploads: 10000, size: 4 * KiB, concurrency: 32, sampleEvery: undefined, warmup: undefined, maxRssSlope: 512, minRssGrowth: 1024, maxHeapSlope: 16, maxFdSlope: 1, nativeMalloc: false };
  const names = {
    '--uploads': 'uploads', '--size': 'size', '--concurrency': 'concurrency', '--sample-every': 'sampleEvery', '--warmup': 'warmup',
    '--max-rss-slope': 'maxRssSlope', '--min-rss-growth': 'minRssGrowth', '--max-heap-slope': 'maxHeapSlope', '--max-fd-slope': 'maxFdSlope',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') usage(0);
    if (a === '--native-malloc') {
      o.nativeMalloc = true;
      continue;
    }
    const key = names[a];
    if (!key) {
      console.error(`unknown argument ${a} (try --help)`);
      process.exit(2);
    }
    const v = Number(argv[++i]);
    const whole = !key.startsWith('max') && !key.startsWith('min');
    if (!Number.isFinite(v) || v < 0 || (whole && !Number.isInteger(v))) {
      console.error(`${a} takes a ${whole ? 'whole ' : ''}number ≥ 0 (got ${argv[i]})`);
      process.exit(2);
    }
    o[key] = v;
  }
  if (o.uploads < 100 || o.concurrency < 1) {
    console.error('--uploads must be ≥ 100 and --concurrency ≥ 1');
    process.exit(2);
  }
  // Default: 20 samples over the run; the warm-up is the first 20%, a whole number of samples.
  o.sampleEvery = o.sampleEvery || Math.max(10, Math.floor(o.uploads / 20));
  o.warmup = o.warmup ?? Math.floor((o.uploads * 0.2) / o.sampleEvery) * o.sampleEvery;
  if (o.uploads - o.warmup < 3 * o.sampleEvery) {
    console.error('too few samples after the warm-up to fit a slope: raise --uploads or lower --sample-every/--warmup');
    process.exit(2);
  }
  return o;
}

function loadPackage() {
  try {
    return require('../dist');
  } catch (e) {
    console.error(`cannot load the package from dist/ (${e.message}); run npm run build first`);
    process.exit(2);
  }
}

const NODE_FLAGS = ['--expose-gc', '--max-semi-space-size=1'];
const MMAP_THRESHOLD = '131072';

// Re-runs this script with NODE_FLAGS and the malloc setting (so `npm run soak` needs
// neither); false in the re-run itself.
function reexecWithFlags() {
  if (process.env.UPLIFT_SOAK_CHILD === '1') return false;
  const env = { ...process.env, UPLIFT_SOAK_CHILD: '1' };
  if (!process.argv.includes('--native-malloc')) env.MALLOC_MMAP_THRESHOLD_ = MMAP_THRESHOLD;
  const child = spawn(process.execPath, [...process.execArgv, ...NODE_FLAGS, __filename, ...process.argv.slice(2)], { stdio: 'inherit', env });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
  return true;
}

async function startSink() {
  const child = spawn(process.execPath, [path.join(__dirname, 'sink-process.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the sink exited early (code ${code})`)));
    child.stdout.once('data', (d) => resolve(String(d).trim()));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

function sample(done, t0) {
  global.gc();
  const m = process.memoryUsage();
  return {
    uploads: done,
    rssKiB: m.rss / KiB,
    heapKiB: m.heapUsed / KiB,
    heapTotalKiB: m.heapTotal / KiB,
    fds: fs.readdirSync('/proc/self/fd').length,
    secs: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const uplift = loadPackage();
  const samples = [];
  const failures = [];
  let next = 0;
  let done = 0;
  const t0 = process.hrtime.bigint();
  const sink = await startSink();
  let engine;
  try {
    engine = new uplift.Engine();
    samples.push(sample(0, t0));
    const worker = async () => {
      while (next < o.uploads) {
        const i = next++;
        // A fresh buffer per upload: a kept reference to any of them would show as growth.
        const body = Buffer.alloc(o.size, i & 255);
        body.writeUInt32BE(i, 0);
        const md5 = crypto.createHash('md5').update(body).digest('hex');
        try {
          const r = await uplift.putPresigned(`${sink.url}/soak/${i}`, body, { engine, contentType: 'application/octet-stream' });
          if (r.bytes !== o.size || r.md5 !== md5 || r.etag !== `"${md5}"`) {
            failures.push(`upload ${i}: bytes ${r.bytes}, md5 ${r.md5}, etag ${r.etag} (expected ${o.size}, ${md5})`);
          }
        } catch (e) {
          failures.push(`upload ${i}: ${e.code ?? ''} ${e.message}`);
        }
        done++;
        if (done % o.sampleEvery === 0) samples.push(sample(done, t0));
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  } finally {
    await engine?.close();
    await sink.stop();
  }

  const fitted = samples.filter((s) => s.uploads >= o.warmup);
  const rssSlope = slope(fitted.map((s) => ({ x: s.uploads / 1000, y: s.rssKiB })));
  const fdSlope = slope(fitted.map((s) => ({ x: s.uploads / 1000, y: s.fds })));
  const heapSlope = slope(fitted.map((s) => ({ x: s.uploads / 1000, y: s.heapKiB })));
  const base = fitted[0];
  const total = samples[samples.length - 1];

  console.log(`\nsoak: ${o.uploads} PUTs of ${o.size} bytes, ${o.concurrency} in flight, one engine, sink in another process, Node ${process.version}`);
  const malloc = process.env.MALLOC_MMAP_THRESHOLD_ ? `MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_}` : "glibc's default malloc";
  console.log(`node ${NODE_FLAGS.join(' ')}, ${malloc}; sampled every ${o.sampleEvery} uploads after a forced GC; slopes fitted from upload ${o.warmup} on\n`);
  console.log('| uploads | RSS MiB | RSS vs warm-up KiB | JS heap used KiB | V8 heap committed MiB | fds | elapsed s | uploads/s |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const s of samples) {
    const vsWarm = s.uploads >= o.warmup ? (s.rssKiB - base.rssKiB).toFixed(0) : '(warm-up)';
    const rate = s.secs > 0 ? (s.uploads / s.secs).toFixed(0) : '';
    console.log(`| ${s.uploads} | ${(s.rssKiB / 1024).toFixed(1)} | ${vsWarm} | ${s.heapKiB.toFixed(0)} | ${(s.heapTotalKiB / 1024).toFixed(1)} | ${s.fds} | ${s.secs.toFixed(1)} | ${rate} |`);
  }
  const windowK = (total.uploads - base.uploads) / 1000;
  const rssGrowth = rssSlope * windowK;
  console.log(`\nRSS slope: ${rssSlope.toFixed(1)} KiB per 1,000 uploads (bound ${o.maxRssSlope}), ${rssGrowth.toFixed(0)} KiB over the ${windowK} thousand fitted uploads (floor ${o.minRssGrowth})`);
  console.log(`JS heap slope: ${heapSlope.toFixed(2)} KiB per 1,000 uploads (bound ${o.maxHeapSlope})`);
  console.log(`fd slope: ${fdSlope.toFixed(2)} per 1,000 uploads (bound ${o.maxFdSlope}); fds ${base.fds} after warm-up, ${total.fds} at the end`);
  console.log(`throughput: ${(o.uploads / total.secs).toFixed(0)} uploads/s, ${((o.uploads * o.size) / MiB / total.secs).toFixed(1)} MiB/s`);

  const problems = [];
  if (failures.length > 0) problems.push(`${failures.length} upload(s) failed, e.g. ${failures.slice(0, 3).join('; ')}`);
  if (rssSlope > o.maxRssSlope && rssGrowth > o.minRssGrowth) problems.push(`RSS grows ${rssSlope.toFixed(1)} KiB per 1,000 uploads (bound ${o.maxRssSlope})`);
  if (heapSlope > o.maxHeapSlope) problems.push(`the JS heap grows ${heapSlope.toFixed(2)} KiB per 1,000 uploads (bound ${o.maxHeapSlope})`);
  if (fdSlope > o.maxFdSlope) problems.push(`open fds grow ${fdSlope.toFixed(2)} per 1,000 uploads (bound ${o.maxFdSlope})`);
  if (problems.length > 0) {
    console.log(`\nFAILED: ${problems.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log('\nOK: no upload failed, no RSS, JS heap or fd growth over the bounds');
  }
}

if (!reexecWithFlags()) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
