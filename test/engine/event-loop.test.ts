// The engine keeps Node's threads free: no libuv pool thread waits on the network, and the
// event loop stays responsive during a large upload. Bounds here are generous on purpose
// (the benchmarks measure these properly).
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { Engine, putPresigned } from '../../lib';
import { startSink, type Sink } from '../support/sink';

const MiB = 1024 * 1024;
let dir: string;
let sink: Sink;
let engine: Engine;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-loop-'));
  sink = await startSink();
  engine = new Engine();
});
afterAll(async () => {
  await engine.close();
  await sink.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('fs.promises.readFile completes promptly while 8 slow uploads wait', async () => {
  const file = path.join(dir, 'slow.bin');
  fs.writeFileSync(file, crypto.randomBytes(2 * MiB));
  const small = path.join(dir, 'small.txt');
  fs.writeFileSync(small, 'hello');
  sink.slowMs = 100; // the sink reads each chunk 100 ms apart: uploads take seconds
  const ac = new AbortController();
  const uploads = Array.from({ length: 8 }, (_, i) =>
    putPresigned(`${sink.url}/slow/${i}`, file, { engine, signal: ac.signal }).catch((e) => e),
  );
  await new Promise((r) => setTimeout(r, 300)); // all eight are in flight
  const t0 = process.hrtime.bigint();
  // More reads than libuv has pool threads (4): they would queue behind blocked threads.
  const texts = await Promise.all(Array.from({ length: 8 }, () => fs.promises.readFile(small, 'utf8')));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  expect(texts.every((t) => t === 'hello')).toBe(true);
  expect(ms).toBeLessThan(1000); // blocked pool threads would hold them for seconds
  ac.abort();
  const results = await Promise.all(uploads);
  expect(results.every((r) => r instanceof Error && (r as { code?: string }).code === 'ERR_UPLIFT_ABORTED')).toBe(true);
  sink.slowMs = 0;
});

test('event-loop delay during a 256 MiB upload stays small', async () => {
  // The sink runs in its own process: hashing 256 MiB on this thread would be the delay.
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bench', 'sink-process.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())));
  const file = path.join(dir, 'big.bin');
  const fd = fs.openSync(file, 'w');
  const block = crypto.randomBytes(4 * MiB);
  for (let i = 0; i < 64; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);

  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 300));
  idle.disable();

  const busy = monitorEventLoopDelay({ resolution: 1 });
  busy.enable();
  let progressCalls = 0;
  const r = await putPresigned(`${url}/big`, file, { engine, onProgress: () => progressCalls++ });
  busy.disable();
  child.kill();
  expect(r.bytes).toBe(256 * MiB);
  expect(r.etag).toBe(`"${r.md5}"`); // the sink's MD5 of what it read
  const p99Busy = busy.percentile(99) / 1e6;
  const p99Idle = idle.percentile(99) / 1e6;
  // Generous: a shared 2-core machine; the benchmark reports the real figures.
  expect(p99Busy - p99Idle).toBeLessThan(25);
  expect(busy.max / 1e6).toBeLessThan(150);
  // ~10 progress calls a second plus the final one, not one per chunk.
  expect(progressCalls).toBeLessThan(200);
  fs.rmSync(file);
});
