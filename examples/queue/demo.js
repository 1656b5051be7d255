#!/usr/bin/env node
// Example: two upload workers sharing one queue. Starts the uplift sandbox (vendor emulators
// on 127.0.0.1) and, unless REDIS_URL is set, a private redis-server; runs two worker.js
// processes, enqueues JOBS recordings (default 20) for Plaud and Scripe, shows which worker
// uploaded each, checks every file was stored once, then stops everything.
//
//   node examples/queue/demo.js                     # needs redis-server on PATH
//   REDIS_URL=redis://127.0.0.1:6379 node examples/queue/demo.js
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { startSandbox } = require('uplift/sandbox');
const { createUploadQueue } = require('uplift/queue');
const { Redis } = require('ioredis');

async function startRedis(dir) {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); }).on('error', () => resolve(false));
    });
    if (ok) return { url: `redis://127.0.0.1:${port}`, stop: () => proc.kill('SIGKILL') };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start (is it installed?)');
}

async function main() {
  const jobs = Number(process.env.JOBS || 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-queue-demo-'));
  const sb = await startSandbox();
  const redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop() {} } : await startRedis(dir);
  const queueName = `demo-${crypto.randomBytes(3).toString('hex')}`;
  const env = {
    ...process.env, REDIS_URL: redis.url, QUEUE: queueName, CONCURRENCY: '2',
    UPLIFT_JOURNAL_KEY: crypto.randomBytes(32).toString('base64'),
    UPLIFT_PLAUD_TOKEN: sb.credentials.plaud.token, UPLIFT_PLAUD_URL: sb.urls.plaud,
    UPLIFT_SCRIPE_API_KEY: sb.credentials.scripe.apiKey, UPLIFT_SCRIPE_URL: sb.urls.scripe,
  };
  const workers = [0, 1].map(() => spawn(process.execPath, [path.join(__dirname, 'worker.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] }));
  const lines = [];
  await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.stdout.setEncoding('utf8').on('data', (d) => {
      for (const l of d.split('\n').filter(Boolean)) {
        lines.push(l);
        console.log(l);
        if (l.includes('ready')) resolve();
      }
    });
  })));
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = createUploadQueue({ connection, name: queueName });
  const md5s = new Set();
  const ids = [];
  for (let i = 0; i < jobs; i++) {
    const buf = crypto.randomBytes(64 * 1024 + i);
    const file = path.join(dir, `call-${i}.mp3`);
    fs.writeFileSync(file, buf);
    md5s.add(crypto.createHash('md5').update(buf).digest('hex'));
    const job = await queue.add({ vendor: i % 2 ? 'scripe' : 'plaud', source: file });
    ids.push(job.id);
  }
  const until = Date.now() + 60000;
  while (lines.filter((l) => l.includes(': completed ')).length < jobs && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const stored = sb.objects().filter((o) => md5s.has(o.md5));
  const perWorker = {};
  for (const l of lines.filter((x) => x.includes(': completed '))) perWorker[l.split(':')[0]] = (perWorker[l.split(':')[0]] || 0) + 1;
  console.log(`jobs: ${jobs}, stored once each: ${stored.length === jobs && new Set(stored.map((o) => o.md5)).size === jobs}, per worker: ${JSON.stringify(perWorker)}`);
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => w.once('close', r))));
  await queue.close();
  await connection.quit();
  redis.stop();
  await sb.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = stored.length === jobs ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
