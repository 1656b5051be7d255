#!/usr/bin/env node
// Benchmark of uplift/queue (not a timed test): upload jobs through 1, 2 and 4 worker
// processes (bench/queue-worker.js, 4 jobs at once each) against the sandbox's Plaud (its
// own process, bench/proxy-sandbox.js) and a private redis-server on 127.0.0.1.
// Scenarios: 1,000 jobs of 1 MiB and 20 jobs of 64 MiB. Per run: jobs/s and MiB/s from the
// first add() to the last completion, Redis commands per job (INFO commandstats, reset
// before the run: producer and workers together), peak RSS of each worker (maxRSS).
// Every run is checked: one stored object per job, with the file's MD5.
// Usage: node bench/queue.js [--quick] [--workers 1,2,4]   (--quick: 100 x 1 MiB, 4 x 16 MiB)
'use strict';
const { spawn, fork } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { Redis } = require('ioredis');
const { createUploadQueue } = require('../dist/queue/index.js');

const MiB = 1024 * 1024;

function parseArgs(argv) {
  const o = { quick: false, workers: [1, 2, 4] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') o.quick = true;
    else if (argv[i] === '--workers') o.workers = argv[++i].split(',').map(Number);
    else {
      console.error('usage: node bench/queue.js [--quick] [--workers 1,2,4]');
      process.exit(2);
    }
  }
  return o;
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); }).on('error', () => resolve(false));
    });
    if (ok) return { port, stop: () => proc.kill('SIGKILL') };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start (apt-get install redis-server)');
}

function startSandbox() {
  const child = fork(path.join(__dirname, 'proxy-sandbox.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (msg, type) => new Promise((resolve, reject) => {
    const on = (m) => {
      if (m.type === type) { child.off('message', on); resolve(m); } else if (m.type === 'error') { child.off('message', on); reject(new Error(m.message)); }
    };
    child.on('message', on);
    if (msg) child.send(msg);
  });
  return ask(null, 'ready').then((ready) => ({ ready, child, ask }));
}

function startWorkers(n, env) {
  return Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(__dirname, 'queue-worker.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const w = { proc: p, done: 0, failed: [], rss: 0, buf: '', onLine: () => {} };
    p.stdout.setEncoding('utf8').on('data', (d) => {
      w.buf += d;
      let i;
      while ((i = w.buf.indexOf('\n')) >= 0) {
        const line = w.buf.slice(0, i);
        w.buf = w.buf.slice(i + 1);
        if (line === 'ready') resolve(w);
        else if (line.startsWith('done ')) w.done = Number(line.slice(5));
        else if (line.startsWith('failed ')) w.failed.push(line.slice(7));
        else if (line.startsWith('rss ')) w.rss = Number(line.slice(4));
        w.onLine();
      }
    });
    p.once('exit', (code) => { if (code) reject(new Error(`worker exited with ${code}`)); });
  })));
}

async function commandCalls(redis) {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/calls=(\d+)/g)) calls += Number(m[1]);
  return calls;
}

async function run(scn, nWorkers, ctx) {
  const queue = `bench-${crypto.randomBytes(3).toString('hex')}`;
  const env = { ...process.env, REDIS_PORT: String(ctx.redisPort), QUEUE: queue, PLAUD_URL: ctx.plaudUrl, PLAUD_TOKEN: ctx.plaudToken, CONCURRENCY: '4' };
  const workers = await startWorkers(nWorkers, env);
  const q = createUploadQueue({ connection: { host: '127.0.0.1', port: ctx.redisPort }, name: queue });
  await ctx.redis.config('RESETSTAT');
  const t0 = process.hrtime.bigint();
  const all = new Promise((resolve) => {
    const check = () => {
      const n = workers.reduce((a, w) => a + w.done + w.failed.length, 0);
      if (n >= scn.jobs) resolve();
    };
    for (const w of workers) w.onLine = check;
  });
  for (let i = 0; i < scn.jobs; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, scn.jobs - i) }, () => q.add({ vendor: 'plaud', source: scn.file }, { removeOnComplete: true })));
  }
  await all;
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const calls = (await commandCalls(ctx.redis)) - 1; // minus INFO itself
  await q.close();
  for (const w of workers) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r() : w.proc.once('exit', r)))));
  const objects = (await ctx.sandbox.ask('objects', 'objects')).list;
  const ok = objects.length === scn.jobs && objects.every((o) => o.md5 === scn.md5 && o.size === scn.bytes);
  const failed = workers.reduce((a, w) => a + w.failed.length, 0);
  await ctx.sandbox.ask('clear', 'cleared');
  return {
    scenario: scn.label, workers: nWorkers, jobsPerSec: scn.jobs / sec, mibPerSec: (scn.jobs * scn.bytes) / MiB / sec,
    commandsPerJob: calls / scn.jobs, peakRssMiB: workers.map((w) => w.rss / MiB), verified: ok && failed === 0, seconds: sec,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-bench-queue-'));
  const mk = (label, jobs, mib) => {
    const buf = crypto.randomBytes(mib * MiB);
    const file = path.join(dir, `${mib}mib.bin`);
    fs.writeFileSync(file, buf);
    return { label, jobs, bytes: buf.length, file, md5: crypto.createHash('md5').update(buf).digest('hex') };
  };
  const scenarios = o.quick ? [mk('100 x 1 MiB', 100, 1), mk('4 x 16 MiB', 4, 16)] : [mk('1,000 x 1 MiB', 1000, 1), mk('20 x 64 MiB', 20, 64)];
  // Plaud's fileType comes from the extension
  for (const s of scenarios) {
    const mp3 = s.file.replace(/\.bin$/, '.mp3');
    fs.renameSync(s.file, mp3);
    s.file = mp3;
  }
  const redisSrv = await startRedis(dir);
  const sandbox = await startSandbox();
  const redis = new Redis({ host: '127.0.0.1', port: redisSrv.port });
  const ctx = { redisPort: redisSrv.port, redis, sandbox, plaudUrl: sandbox.ready.plaudUrl, plaudToken: sandbox.ready.plaudToken };
  const rows = [];
  try {
    for (const s of scenarios) {
      for (const n of o.workers) {
        const r = await run(s, n, ctx);
        rows.push(r);
        console.error(`${r.scenario}, ${n} worker(s): ${r.seconds.toFixed(1)} s${r.verified ? '' : ' NOT VERIFIED'}`);
      }
    }
  } finally {
    await redis.quit();
    const gone = new Promise((r) => sandbox.child.once('exit', r));
    sandbox.child.send('close');
    await gone;
    redisSrv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`uplift/queue on ${os.cpus().length} CPU(s), Node ${process.version}, redis-server local, sandbox Plaud; 4 jobs at once per worker\n`);
  console.log('| jobs | workers | jobs/s | MiB/s | Redis commands/job | peak RSS per worker (MiB) | verified |');
  console.log('|---|---:|---:|---:|---:|---|---|');
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${r.workers} | ${r.jobsPerSec.toFixed(1)} | ${r.mibPerSec.toFixed(1)} | ${r.commandsPerJob.toFixed(1)} | ${r.peakRssMiB.map((x) => x.toFixed(0)).join(', ')} | ${r.verified ? 'yes' : 'NO'} |`);
  }
  process.exitCode = rows.every((r) => r.verified) ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
