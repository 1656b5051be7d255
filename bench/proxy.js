#!/usr/bin/env node
// Proxy benchmark: COUNT concurrent browser-style uploads (multipart/form-data POSTs from a
// load-generator process) through an Express proxy to the sandbox's Plaud (its own process),
// the proxy written with uplift/express beside the usual way (multer to memory, then fetch PUTs
// of the parts). Per contender and run: throughput (MiB/s, bytes over the load generator's
// wall time), the proxy's peak RSS (goal <= 128 MiB), entries left in the proxy's TMPDIR (0),
// its event-loop delay p99 and max, and whether every stored object's MD5 matched. Prints a
// markdown table of medians (min-max) over the runs; not a timed test.
// Usage: node bench/proxy.js [--quick] [--runs N] [--count N] [--mib N]
//   default 32 uploads of 20 MiB, 3 runs; --quick: 4 uploads of 4 MiB (CI), 3 runs.
// Needs `npm run build:ts` (it loads dist/) and the built addon.
'use strict';
const { fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { summary, fmtSummary } = require('./lib/stats');

const ROOT = path.resolve(__dirname, '..');
const MiB = 1024 * 1024;
const RSS_GOAL_MIB = 128;
const CONTENDERS = [
  { id: 'uplift', args: ['uplift', '4', '4'], label: 'uplift/express, defaults (4 uploads at once × 4 parts)' },
  { id: 'uplift-lean', args: ['uplift', '2', '2'], label: 'uplift/express, lean (maxConcurrentUploads 2, concurrency 2)' },
  { id: 'multer', args: ['multer'], label: 'multer to memory + fetch PUT of the parts' },
];

function parseArgs(argv) {
  const o = { quick: false, runs: 3, count: undefined, mib: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) {
        console.error(`${a} takes a whole number >= 1`);
        process.exit(2);
      }
      return n;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') o.runs = num();
    else if (a === '--count') o.count = num();
    else if (a === '--mib') o.mib = num();
    else {
      console.error('usage: node bench/proxy.js [--quick] [--runs N] [--count N] [--mib N]');
      process.exit(2);
    }
  }
  o.count ??= o.quick ? 4 : 32;
  o.mib ??= o.quick ? 4 : 20;
  return o;
}

const children = new Set();
const tempDirs = new Set();

/** Forks a bench child, tracked so every exit path can stop it. */
function start(file, args, env) {
  const child = fork(path.join(__dirname, file), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** The next IPC message of `type` from `child`; rejects if it exits first. */
function message(child, type, timeoutMs = 600000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m) => {
      if (m && m.type === 'error') done(new Error(m.message));
      else if (m && m.type === type) done(undefined, m);
    };
    const onExit = (code) => done(new Error(`child exited (${code}) before its ${type} message`));
    function done(err, m) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
}

function stopAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}

/** One contender, one run: proxy up, load, stats, check what the sandbox stored, clear it. */
async function runOnce(sandbox, plaud, contender, o) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `uplift-bench-proxy-${contender.id}-`));
  tempDirs.add(tmp);
  const proxy = start('proxy-server.js', contender.args, { TMPDIR: tmp, PLAUD_URL: plaud.url, PLAUD_TOKEN: plaud.token });
  const ready = await message(proxy, 'ready', 30000);
  proxy.send('start');
  const load = start('proxy-load.js', [`http://127.0.0.1:${ready.port}/upload`, String(o.count), String(o.mib * MiB)]);
  const done = await message(load, 'done');
  await exited(load);
  proxy.send('stop');
  const stats = await message(proxy, 'stats', 30000);
  await exited(proxy);
  const tmpLeft = fs.readdirSync(tmp).length;
  fs.rmSync(tmp, { recursive: true, force: true });
  tempDirs.delete(tmp);

  sandbox.send('objects');
  const { list } = await message(sandbox, 'objects');
  const byKey = new Map(list.map((x) => [x.key, x]));
  let verified = 0;
  for (const r of done.results) {
    const obj = r.status === 200 && r.fileId ? byKey.get(`partner/${r.fileId}.wav`) : undefined;
    if (obj && obj.md5 === r.md5 && obj.size === o.mib * MiB) verified += 1;
  }
  const failed = done.results.filter((r) => r.status !== 200);
  if (failed.length) console.error(`  ${contender.id}: ${failed.length} upload(s) failed, first: ${failed[0].status} ${failed[0].error}`);
  sandbox.send('clear');
  await message(sandbox, 'cleared');
  return {
    mibps: done.bytes / MiB / (done.wallMs / 1000),
    peakRssMiB: stats.peakRssBytes / MiB,
    startRssMiB: ready.rssBytes / MiB,
    tmpLeft: Math.max(tmpLeft, stats.tmpLeft),
    loopP99Ms: stats.loopP99Ms,
    loopMaxMs: stats.loopMaxMs,
    verified,
  };
}

function table(o, results) {
  const lines = [
    `Proxy benchmark: ${o.count} concurrent uploads of ${o.mib} MiB (multipart/form-data, one connection each) → Express proxy → sandbox Plaud (S3 multipart, 5 MiB parts); medians (min–max) of ${o.runs} run(s).`,
    `Node ${process.version}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}. Load generator, proxy and sandbox are separate processes on 127.0.0.1.`,
    '',
    '| proxy | MiB/s | peak RSS MiB (goal ≤ 128) | RSS idle MiB | temp files left | loop delay p99 ms | loop delay max ms | uploads verified |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of CONTENDERS) {
    const rs = results.get(c.id);
    const s = (k) => summary(rs.map((r) => r[k]));
    const verified = rs.map((r) => `${r.verified}/${o.count}`).join(', ');
    lines.push(`| ${c.label} | ${fmtSummary(s('mibps'))} | ${fmtSummary(s('peakRssMiB'), 0)} | ${fmtSummary(s('startRssMiB'), 0)} | ${rs.map((r) => r.tmpLeft).join(', ')} | ${fmtSummary(s('loopP99Ms'))} | ${fmtSummary(s('loopMaxMs'))} | ${verified} |`);
  }
  lines.push('');
  for (const c of CONTENDERS.filter((x) => x.id.startsWith('uplift'))) {
    const peak = summary(results.get(c.id).map((r) => r.peakRssMiB)).med;
    lines.push(`${peak <= RSS_GOAL_MIB ? '✓' : '✗'} ${c.label}: peak RSS ${peak.toFixed(0)} MiB (goal ≤ ${RSS_GOAL_MIB} MiB)`);
  }
  return lines.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  for (const f of ['dist/express.js', 'dist/sandbox/index.js', 'build/Release/uplift.node']) {
    if (!fs.existsSync(path.join(ROOT, f))) {
      console.error(`bench/proxy: ${f} is missing; run npm run build:ts (and the native build) first`);
      process.exit(2);
    }
  }
  // the sandbox keeps its objects in memory-backed /dev/shm when there is one (cleared after each run)
  const shm = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/uplift-bench-sandbox-') : undefined;
  if (shm) tempDirs.add(shm);
  const sandbox = start('proxy-sandbox.js', [], shm ? { TMPDIR: shm } : {});
  const ready = await message(sandbox, 'ready', 30000);
  const plaud = { url: ready.plaudUrl, token: ready.plaudToken };
  const results = new Map(CONTENDERS.map((c) => [c.id, []]));
  console.error(`bench/proxy: ${o.count} x ${o.mib} MiB, ${o.runs} run(s) per proxy`);
  for (let run = 0; run < o.runs; run++) {
    const order = run % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse();
    for (const c of order) {
      const r = await runOnce(sandbox, plaud, c, o);
      results.get(c.id).push(r);
      console.error(`  run ${run + 1} ${c.id}: ${r.mibps.toFixed(1)} MiB/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, loop p99 ${r.loopP99Ms.toFixed(1)} ms, temp left ${r.tmpLeft}, verified ${r.verified}/${o.count}`);
    }
  }
  sandbox.send('close');
  await exited(sandbox);
  if (shm) {
    fs.rmSync(shm, { recursive: true, force: true });
    tempDirs.delete(shm);
  }
  console.log(table(o, results));
  const allVerified = [...results.values()].every((rs) => rs.every((r) => r.verified === o.count && r.tmpLeft === 0));
  process.exitCode = allVerified ? 0 : 1;
}

process.once('SIGINT', () => {
  stopAll();
  process.exit(130);
});
main().catch((e) => {
  console.error(`bench/proxy: ${e && e.message}`);
  stopAll();
  process.exit(1);
});
