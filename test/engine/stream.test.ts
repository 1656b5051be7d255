// Readable sources stream through a bounded native window: JS pushes chunks, curl's read
// callback drains them, backpressure pauses the Readable, no temp file is written.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import { Readable } from 'stream';
import { Engine, plaud, putPresigned, uploadPresignedParts } from '../../lib';
import { native } from '../../lib/native';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { startSink, type Sink } from '../support/sink';

const MiB = 1024 * 1024;
let sink: Sink;
let engine: Engine;

beforeAll(async () => {
  sink = await startSink();
  engine = new Engine();
});
afterAll(async () => {
  await engine.close();
  await sink.close();
});

function md5(b: Buffer): string {
  return crypto.createHash('md5').update(b).digest('hex');
}

/** A producer pushing `chunk`-byte pieces of `data`, waiting `delayMs` between them. */
function producer(data: Buffer, chunk: number, delayMs: number): Readable {
  let at = 0;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (at >= data.length) return void this.push(null);
      const piece = data.subarray(at, at + chunk);
      at += chunk;
      if (delayMs > 0) setTimeout(() => this.push(piece), delayMs);
      else this.push(piece);
    },
  });
}

function spoolDirs(): number {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('uplift-spool-')).length;
}

test('native window: push says false over the bound, the high-water mark stays within it, bytes identical', async () => {
  const data = crypto.randomBytes(64 * MiB);
  const bound = 4 * MiB;
  const addon = native() as unknown as { Stream: new (size: number, bound: number, onDrain: () => void) => { push(b: Uint8Array): boolean; end(): void; stats(): { highWaterBytes: number } } };
  let drains = 0;
  let refusals = 0;
  let at = 0;
  const chunk = 256 * 1024;
  let pump: () => void = () => {};
  const handle = new addon.Stream(data.length, bound, () => {
    drains++;
    setImmediate(pump);
  });
  pump = () => {
    while (at < data.length) {
      const ok = handle.push(data.subarray(at, at + chunk));
      at += chunk;
      if (!ok) {
        refusals++;
        return; // wait for drain
      }
    }
    handle.end();
  };
  const n = engine.nativeEngine();
  const h = n.putPresigned({ url: `${sink.url}/win`, headers: [['Content-Type', 'audio/wav']], source: { kind: 'stream', handle } as never });
  pump();
  const r = await h.promise;
  expect(r.md5).toBe(md5(data));
  expect(sink.requests.at(-1)!.md5).toBe(md5(data));
  expect(refusals).toBeGreaterThan(0); // the fast producer was paused
  expect(drains).toBeGreaterThan(0);
  expect(handle.stats().highWaterBytes).toBeLessThanOrEqual(bound + chunk);
});

test('putPresigned({ stream, size }) with a slow producer: identical bytes, no spool file', async () => {
  const data = crypto.randomBytes(8 * MiB);
  const before = spoolDirs();
  let sawSpool = false;
  const watch = setInterval(() => (sawSpool ||= spoolDirs() > before), 5);
  const r = await putPresigned(`${sink.url}/slow`, { stream: producer(data, 512 * 1024, 5), size: data.length, name: 'take.wav' }, { engine });
  clearInterval(watch);
  expect(r.md5).toBe(md5(data));
  expect(sink.requests.at(-1)!.md5).toBe(md5(data));
  expect(sink.requests.at(-1)!.headers['content-type']).toBe('audio/wav');
  expect(sawSpool).toBe(false);
});

test('a stream that gives fewer bytes than its size fails typed; more bytes too', async () => {
  const data = crypto.randomBytes(MiB);
  await expect(putPresigned(`${sink.url}/short`, { stream: Readable.from([data]), size: data.length + 10 }, { engine })).rejects.toMatchObject({ code: 'ERR_UPLIFT_SIZE_MISMATCH' });
  await expect(putPresigned(`${sink.url}/long`, { stream: Readable.from([data]), size: data.length - 10 }, { engine })).rejects.toMatchObject({ code: 'ERR_UPLIFT_SIZE_MISMATCH' });
});

test('a producer error fails the upload', async () => {
  const s = new Readable({ read() {} });
  const p = putPresigned(`${sink.url}/err`, { stream: s, size: 4 * MiB }, { engine });
  s.push(Buffer.alloc(MiB));
  setTimeout(() => s.destroy(new Error('disk on fire')), 50);
  await expect(p).rejects.toThrow(/disk on fire/);
});

test('uploadPresignedParts from a stream: a failed part is re-sent from the held window', async () => {
  const data = crypto.randomBytes(16 * MiB);
  sink.script((req) => (req.url ?? '').includes('partNumber=2'), { status: 503 });
  const parts = [1, 2, 3, 4].map((n) => ({ partNumber: n, url: `${sink.url}/sp?partNumber=${n}` }));
  const r = await uploadPresignedParts(parts, { stream: producer(data, MiB, 1), size: data.length }, { engine, partSizeBytes: 5 * MiB, concurrency: 2 });
  expect(r.md5).toBe(md5(data));
  for (const p of r.parts) {
    const start = (p.partNumber - 1) * 5 * MiB;
    expect(p.etag).toBe(`"${md5(data.subarray(start, start + 5 * MiB))}"`);
  }
});

describe('vendor flow', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => {
    await sb.close();
  });
  test('Plaud uploadFile from a 24 MiB stream: identical bytes, no spool file', async () => {
    const data = crypto.randomBytes(24 * MiB);
    const before = spoolDirs();
    const c = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud });
    const r = await c.uploadFile({ stream: producer(data, 256 * 1024, 0), size: data.length, name: 'meeting.mp3' }, { engine });
    expect(r.md5).toBe(md5(data));
    expect(spoolDirs()).toBe(before);
    expect(sb.objects().some((o) => o.md5 === md5(data) && o.size === data.length)).toBe(true);
  });
});

describe('Kore from a stream', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => {
    await sb.close();
  });
  test('chunked (30 MiB in 8 MiB chunks) and single (3 MiB), identical bytes, no spool file, window bounded', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { kore } = require('../../lib');
    const c = kore.client({ apiKey: sb.credentials.kore.apiKey, baseUrl: sb.urls.kore });
    for (const size of [30 * MiB, 3 * MiB]) {
      const data = crypto.randomBytes(size);
      const before = spoolDirs();
      sb.faults.add({ target: 'kore', op: 'chunk', action: { status: 503 } }); // one chunk re-sent from the window
      const r = await c.uploadFile({ stream: producer(data, 256 * 1024, 0), size, name: 'call.wav' }, { fileContext: 'bulkImport', engine, concurrency: 2 });
      sb.faults.clear();
      expect(r.md5).toBe(md5(data));
      expect(r.mode).toBe(size >= 25 * MiB ? 'chunked' : 'single');
      expect(spoolDirs()).toBe(before);
      expect(sb.objects().some((o) => o.md5 === md5(data) && o.size === size)).toBe(true);
    }
  });
});

test('aborting while a stream of unknown size spools rejects with uplift AbortError and leaves no spool folder', async () => {
  const before = spoolDirs();
  const s = new Readable({ read() {} });
  s.push(Buffer.alloc(MiB));
  const ac = new AbortController();
  const p = putPresigned(`${sink.url}/spool-abort`, { stream: s }, { engine, signal: ac.signal });
  setTimeout(() => ac.abort(new Error('user went away')), 50);
  const err = await p.catch((e) => e);
  expect(err.code).toBe('ERR_UPLIFT_ABORTED');
  expect(err.name).toBe('AbortError');
  expect(spoolDirs()).toBe(before);
});

test('a process that exits mid-spool leaves no spool folder behind', async () => {
  const { spawn } = await import('child_process');
  const path = await import('path');
  const root = path.resolve(__dirname, '..', '..');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-exit-'));
  const script = `
    const { Readable } = require('stream');
    const { putPresigned } = require('./dist');
    const s = new Readable({ read() {} });
    s.push(Buffer.alloc(1 << 20));
    putPresigned('http://127.0.0.1:9/x', { stream: s }).catch(() => {});
    setTimeout(() => { console.log(require('fs').readdirSync(process.env.TMPDIR).length); process.exit(3); }, 300);
  `;
  const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, TMPDIR: tmp } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('close', (code) => resolve({ code, text }));
  });
  expect(out.code).toBe(3);
  expect(out.text.trim()).toBe('1'); // the spool folder existed while the stream was open
  expect(fs.readdirSync(tmp)).toEqual([]); // and the exit hook removed it
  fs.rmSync(tmp, { recursive: true, force: true });
});
