// Stream sources as the Express middleware gives them: a 64 MiB Readable whose producer is
// slower than the network (256 KiB every 3 ms), with its size, through putPresigned and Plaud
// uploadFile. The stored bytes must be identical; RSS growth is recorded, and bounded to
// 48 MiB when no spool folder appeared (true streaming), generously when the stream was spooled.
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Engine, plaud, putPresigned, scripe } from '../../lib';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { MiB, spoolDirs } from './helpers';

const privateTmp = mkdtempSync(join(tmpdir(), 'uplift-stream-test-'));
process.env.TMPDIR = privateTmp;

const TOTAL = 64 * MiB;
const CHUNK = 256 * 1024;
const EVERY_MS = 3;
/** Bound on RSS growth when the stream was spooled to disk (not streamed), bytes. */
const SPOOL_BOUND = 192 * MiB;
/** Bound on RSS growth when it was streamed: far below the 64 MiB of the stream. */
const STREAM_BOUND = 48 * MiB;

// 61 distinct random blocks (a prime count, so no two 5 MiB parts hold the same bytes) made
// before any measurement; the producer pushes them in turn and allocates nothing itself.
const BLOCKS = Array.from({ length: 61 }, () => randomFillSync(Buffer.allocUnsafe(CHUNK)));

/** A Readable of TOTAL bytes, one block every EVERY_MS ms; `md5` is known up front. */
function slowStream(): { stream: Readable; md5: string } {
  const h = createHash('md5');
  for (let i = 0; i * CHUNK < TOTAL; i++) h.update(BLOCKS[i % BLOCKS.length]);
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const stream = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (i * CHUNK >= TOTAL) {
          this.push(null);
          return;
        }
        this.push(BLOCKS[i % BLOCKS.length]);
        i += 1;
      }, EVERY_MS);
    },
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      cb(err);
    },
  });
  return { stream, md5: h.digest('hex') };
}

interface Measured<T> { value: T; rssGrowth: number; spooled: boolean }

/** Runs `fn`, sampling RSS and looking for spool folders every 10 ms. */
async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  const base = process.memoryUsage().rss;
  let peak = base;
  let spooled = false;
  const probe = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (spoolDirs().length > 0) spooled = true;
  }, 10);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, rssGrowth: peak - base, spooled };
  } finally {
    clearInterval(probe);
  }
}

function checkMemory(label: string, m: Measured<unknown>): void {
  // eslint-disable-next-line no-console
  console.info(`${label}: RSS growth ${(m.rssGrowth / MiB).toFixed(1)} MiB for a 64 MiB stream (${m.spooled ? 'spooled to disk' : 'streamed'})`);
  expect(m.rssGrowth).toBeLessThan(m.spooled ? SPOOL_BOUND : STREAM_BOUND);
}

let sb: Sandbox;
let engine: Engine;

beforeAll(async () => {
  sb = await startSandbox();
  engine = new Engine();
  // Warm-up, not measured. The sandbox runs in this process and its S3 peer's first large body
  // costs it ~30 MiB of RSS whoever sends it, so one 64 MiB PUT goes first with Node's own
  // http client; then tiny uploads pay the first-use costs of the engine and both flows.
  const sc = scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe, engine });
  const w = await sc.presign({ contentType: 'audio/wav' });
  await new Promise<void>((resolve, reject) => {
    const req = http.request(w.uploadUrl, { method: 'PUT', headers: { 'content-type': 'audio/wav', 'content-length': TOTAL } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`warm-up PUT answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    pipeline(slowStream().stream, req).catch(reject);
  });
  const u = await sc.presign({ contentType: 'audio/wav' });
  await putPresigned(u.uploadUrl, { stream: Readable.from([BLOCKS[0], BLOCKS[1]]), size: 2 * CHUNK }, { contentType: 'audio/wav', engine });
  await plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud, engine }).uploadFile({ stream: Readable.from([BLOCKS[2]]), size: CHUNK, name: 'warm.wav' });
});

afterAll(async () => {
  await engine?.close();
  await sb?.close();
  rmSync(privateTmp, { recursive: true, force: true });
});

test('putPresigned({ stream, size }) of a slow 64 MiB stream stores the same bytes', async () => {
  const s = scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe, engine });
  const u = await s.presign({ contentType: 'audio/wav' });
  const { stream, md5 } = slowStream();
  const m = await measure(() => putPresigned(u.uploadUrl, { stream, size: TOTAL }, { contentType: 'audio/wav', engine }));
  expect(m.value.md5).toBe(md5);
  expect(m.value.bytes).toBe(TOTAL);
  expect(m.value.etag).toBe(`"${md5}"`);
  const [, bucket, ...key] = decodeURIComponent(new URL(u.uploadUrl).pathname).split('/');
  expect(sb.objects().find((o) => o.bucket === bucket && o.key === key.join('/'))).toMatchObject({ size: TOTAL, md5 });
  expect(spoolDirs()).toEqual([]);
  checkMemory('putPresigned', m);
}, 120000);

test('Plaud uploadFile({ stream, size, name }) of a slow 64 MiB stream stores the same bytes', async () => {
  const p = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud, engine });
  const { stream, md5 } = slowStream();
  const m = await measure(() => p.uploadFile({ stream, size: TOTAL, name: 'stream.wav' }));
  expect(m.value.fileMd5).toBe(md5);
  expect(m.value.parts).toHaveLength(Math.ceil(TOTAL / (5 * MiB)));
  const obj = sb.objects().find((o) => o.key === `partner/${m.value.fileId}.wav`);
  expect(obj).toMatchObject({ size: TOTAL, md5 });
  expect(spoolDirs()).toEqual([]);
  checkMemory('plaud.uploadFile', m);
}, 120000);
