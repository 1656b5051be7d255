// A 256 MiB URL source goes through a multipart upload and a single PUT in a child process
// whose RSS growth must stay far below the source size, with no temporary file: the engine
// streams ranged GETs into the bodies through small windows. The source is a loopback server
// generating its bytes (with Range); the destination the loopback sink, which hashes bodies.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startSink, type Sink } from '../support/sink';

const root = path.resolve(__dirname, '..', '..');
const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
const PART = 8 * MiB;
const pattern = randomBytes(MiB + 13); // odd length: no two parts carry the same bytes

/** Calls `emit` with the bytes [a, b] of the source (views of `pattern`, no copies). */
function each(a: number, b: number, emit: (chunk: Buffer) => void): void {
  for (let o = a; o <= b;) {
    const at = o % pattern.length;
    const n = Math.min(pattern.length - at, b - o + 1);
    emit(pattern.subarray(at, at + n));
    o += n;
  }
}

let sink: Sink;
let src: http.Server;
let srcUrl: string;
let expectedMd5: string;
const ranges: string[] = [];

beforeAll(async () => {
  const h = createHash('md5');
  each(0, SIZE - 1, (c) => h.update(c));
  expectedMd5 = h.digest('hex');
  sink = await startSink();
  src = http.createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
    ranges.push(String(req.headers.range ?? ''));
    const a = m ? Number(m[1]) : 0;
    const b = m ? Math.min(Number(m[2]), SIZE - 1) : SIZE - 1;
    res.writeHead(m ? 206 : 200, {
      'content-length': b - a + 1, etag: '"pattern-1"',
      ...(m ? { 'content-range': `bytes ${a}-${b}/${SIZE}` } : {}),
    });
    const chunks: Buffer[] = [];
    each(a, b, (c) => chunks.push(c));
    let i = 0;
    const pump = (): void => {
      while (i < chunks.length) {
        if (!res.write(chunks[i++])) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('close', () => { i = chunks.length; });
    pump();
  });
  await new Promise<void>((r) => src.listen(0, '127.0.0.1', r));
  srcUrl = `http://127.0.0.1:${(src.address() as AddressInfo).port}/recordings/all-hands.wav?X-Amz-Signature=0123456789abcdef`;
});
afterAll(async () => {
  await sink.close();
  await new Promise((r) => src.close(r));
});

function child(script: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['-e', script], { cwd: root, timeout: 120_000 });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (status) => resolve({ status, out }));
  });
}

test('256 MiB from a URL: multipart and single PUT with RSS growth under 64 MiB and no temp file', async () => {
  const parts = Array.from({ length: SIZE / PART }, (_, i) => ({ partNumber: i + 1, url: `${sink.url}/mpu?partNumber=${i + 1}` }));
  const r = await child(`
    const fs = require('fs'), os = require('os');
    const { Engine, putPresigned, uploadPresignedParts } = require('./dist');
    const tmpBefore = new Set(fs.readdirSync(os.tmpdir()));
    (async () => {
      const engine = new Engine();
      const source = { url: ${JSON.stringify(srcUrl)}, size: ${SIZE} };
      // warm-up: the addon and the engine's threads exist before the baseline
      await putPresigned(${JSON.stringify(`${sink.url}/warm`)}, Buffer.alloc(4096), { engine });
      global.gc && global.gc();
      const base = process.memoryUsage().rss;
      let peak = base;
      const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
      const t0 = Date.now();
      const mpu = await uploadPresignedParts(${JSON.stringify(parts)}, source, { engine, partSizeBytes: ${PART}, concurrency: 4 });
      const mpuMs = Date.now() - t0;
      const t1 = Date.now();
      const put = await putPresigned(${JSON.stringify(`${sink.url}/single`)}, source, { engine });
      const putMs = Date.now() - t1;
      clearInterval(t);
      peak = Math.max(peak, process.memoryUsage().rss);
      const fresh = fs.readdirSync(os.tmpdir()).filter((n) => !tmpBefore.has(n) && n.startsWith('uplift'));
      console.log('RESULT ' + JSON.stringify({ growthMiB: (peak - base) / 1048576, mpuMd5: mpu.md5, mpuBytes: mpu.bytes, putMd5: put.md5, putBytes: put.bytes, fresh, mpuMs, putMs }));
      await engine.close();
    })().catch((e) => { console.error('FAILED', e && e.code, e && e.message); process.exit(1); });
  `);
  const line = r.out.split('\n').find((l) => l.startsWith('RESULT '));
  expect({ line: line !== undefined, out: line === undefined ? r.out : "" }).toEqual({ line: true, out: "" });
  const res = JSON.parse((line as string).slice(7)) as { growthMiB: number; mpuMd5: string; mpuBytes: number; putMd5: string; putBytes: number; fresh: string[]; mpuMs: number; putMs: number };
  expect(r.status).toBe(0);
  expect(res.mpuBytes).toBe(SIZE);
  expect(res.mpuMd5).toBe(expectedMd5);
  expect(res.putBytes).toBe(SIZE);
  expect(res.putMd5).toBe(expectedMd5);
  expect(res.growthMiB).toBeLessThan(64);
  expect(res.fresh).toEqual([]);
  // What the sink stored: every part and the single PUT whole, with the bytes of the source.
  const single = sink.requests.find((q) => q.url === '/single');
  expect(single).toMatchObject({ bytes: SIZE, md5: expectedMd5, complete: true });
  const mpu = sink.requests.filter((q) => q.url.startsWith('/mpu'));
  expect(mpu).toHaveLength(SIZE / PART);
  for (const q of mpu) {
    const n = Number(new URL(q.url, 'http://x').searchParams.get('partNumber'));
    const h = createHash('md5');
    each((n - 1) * PART, n * PART - 1, (c) => h.update(c));
    expect(q.md5).toBe(h.digest('hex'));
  }
  // Every part was its own range; the digest read the source once more from the start.
  for (let i = 0; i < SIZE / PART; i++) expect(ranges).toContain(`bytes=${i * PART}-${(i + 1) * PART - 1}`);
  // eslint-disable-next-line no-console
  console.log(`URL source 256 MiB: RSS growth ${res.growthMiB.toFixed(1)} MiB; multipart ${res.mpuMs} ms, single PUT ${res.putMs} ms`);
}, 120_000);
