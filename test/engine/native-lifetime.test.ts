// What JS does to a Buffer source while it uploads cannot reach the engine: the binding copies
// the bytes into memory it owns when the upload starts (freed when the job settles), so a
// transferred, shrunk or rewritten buffer neither crashes the process nor changes what is
// sent and hashed. Workers terminated mid-upload end cleanly (checked in child processes).
import * as crypto from 'crypto';
import { spawn } from 'child_process';
import * as path from 'path';
import { Engine, putPresigned, uploadPresignedParts, type Progress } from '../../lib';
import { native } from '../../lib/native';
import { startSink, type Sink } from '../support/sink';

const MiB = 1024 * 1024;
const root = path.resolve(__dirname, '..', '..');
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
beforeEach(() => {
  sink.requests.length = 0;
  sink.slowMs = 0;
});

// A resizable ArrayBuffer (ES2024; the project's type library is ES2022).
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  n: number,
  o: { maxByteLength: number },
) => ArrayBuffer & { resize(n: number): void };

function md5(b: Uint8Array): string {
  return crypto.createHash('md5').update(b).digest('hex');
}

function pattern(u8: Uint8Array): Uint8Array {
  for (let i = 0; i < u8.length; i++) u8[i] = (i * 31 + 7) & 0xff;
  return u8;
}

/** An onProgress that runs `act` once, the first time bytes are moving and some are left. */
function midUpload(act: () => void): { onProgress: (p: Progress) => void; acted: () => boolean } {
  let done = false;
  return {
    onProgress: (p) => {
      if (done || p.bytesSent === 0 || p.bytesSent >= p.totalBytes) return;
      done = true;
      act();
    },
    acted: () => done,
  };
}

describe('Buffer sources are copied when the upload starts', () => {
  test('an ArrayBuffer transferred mid-upload: no crash, the original bytes are sent and hashed', async () => {
    const u8 = pattern(new Uint8Array(8 * MiB));
    const want = md5(u8);
    sink.slowMs = 5;
    const mid = midUpload(() => {
      // The memory moves to `moved`, which is then overwritten: whoever still reads the old
      // pointer sees other bytes (or freed memory).
      const moved = structuredClone(u8.buffer, { transfer: [u8.buffer] });
      new Uint8Array(moved).fill(0xee);
    });
    const r = await putPresigned(`${sink.url}/b/transferred`, u8, { engine, onProgress: mid.onProgress });
    expect(mid.acted()).toBe(true);
    expect(u8.byteLength).toBe(0); // detached
    expect(r.bytes).toBe(8 * MiB);
    expect(r.md5).toBe(want);
    expect(sink.requests.filter((q) => q.complete).map((q) => q.md5)).toEqual([want]);
  });

  test('a resizable ArrayBuffer shrunk (and grown back, zeroed) mid-upload: the original bytes are sent', async () => {
    const ab = new ResizableArrayBuffer(8 * MiB, { maxByteLength: 8 * MiB });
    const u8 = pattern(new Uint8Array(ab));
    const want = md5(u8);
    sink.slowMs = 5;
    const mid = midUpload(() => {
      ab.resize(16);
      ab.resize(8 * MiB);
    });
    const r = await putPresigned(`${sink.url}/b/shrunk`, u8, { engine, onProgress: mid.onProgress });
    expect(mid.acted()).toBe(true);
    expect(md5(new Uint8Array(ab))).not.toBe(want); // JS sees the zeroed bytes
    expect(r.bytes).toBe(8 * MiB);
    expect(r.md5).toBe(want);
    expect(sink.requests.filter((q) => q.complete).map((q) => q.md5)).toEqual([want]);
  });

  test('uploadPresignedParts: a transferred buffer does not change the parts sent', async () => {
    const u8 = pattern(new Uint8Array(8 * MiB));
    const want = md5(u8);
    const partMd5s = [0, 1].map((i) => md5(u8.subarray(i * 4 * MiB, (i + 1) * 4 * MiB)));
    sink.slowMs = 5;
    const mid = midUpload(() => {
      const moved = structuredClone(u8.buffer, { transfer: [u8.buffer] });
      new Uint8Array(moved).fill(0x11);
    });
    const parts = [1, 2].map((n) => ({ partNumber: n, url: `${sink.url}/b/parts?partNumber=${n}` }));
    const r = await uploadPresignedParts(parts, u8, { engine, partSizeBytes: 4 * MiB, concurrency: 1, onProgress: mid.onProgress });
    expect(mid.acted()).toBe(true);
    expect(r.md5).toBe(want);
    expect(r.parts.map((p) => p.etag.replace(/"/g, ''))).toEqual(partMd5s);
    expect(sink.requests.filter((q) => q.complete).map((q) => q.md5).sort()).toEqual([...partMd5s].sort());
  });

  test('a Buffer changed during the upload: the result md5 is that of the bytes the peer stored', async () => {
    const buf = Buffer.from(pattern(new Uint8Array(8 * MiB)));
    const original = md5(buf);
    sink.slowMs = 5;
    const mid = midUpload(() => buf.fill(0x42));
    const r = await putPresigned(`${sink.url}/b/changed`, buf, { engine, onProgress: mid.onProgress });
    expect(mid.acted()).toBe(true);
    const stored = sink.requests.filter((q) => q.complete).map((q) => q.md5);
    expect(stored).toEqual([r.md5]);
    expect(r.md5).toBe(original); // the bytes as they were when the upload started
    expect(md5(buf)).not.toBe(original);
  });

  test('a Buffer changed right after the call returns: result md5 and stored bytes still agree', async () => {
    const buf = Buffer.from(pattern(new Uint8Array(2 * MiB)));
    sink.slowMs = 2;
    const p = putPresigned(`${sink.url}/b/changed-at-once`, buf, { engine });
    buf.fill(0x24);
    setTimeout(() => buf.fill(0x25), 20);
    const r = await p;
    expect(sink.requests.filter((q) => q.complete).map((q) => q.md5)).toEqual([r.md5]);
    expect(r.bytes).toBe(2 * MiB);
  });

  test('a Uint8Array over a SharedArrayBuffer uploads its bytes (no plain Error)', async () => {
    const u8 = pattern(new Uint8Array(new SharedArrayBuffer(256 * 1024)));
    const r = await putPresigned(`${sink.url}/b/shared`, u8, { engine });
    expect(r.md5).toBe(md5(u8));
    expect(sink.requests[0].md5).toBe(md5(u8));
  });

  test('the copy lives while the job runs and is freed before it settles (success, parts, failure, abort)', async () => {
    const copies = (): { bytes: number; count: number } => native().bufferCopies();
    const before = copies();
    const size = 4 * MiB;
    sink.slowMs = 3;
    let during = { bytes: 0, count: 0 };
    const mid = midUpload(() => (during = copies()));
    await putPresigned(`${sink.url}/b/freed`, Buffer.alloc(size, 1), { engine, onProgress: mid.onProgress });
    expect(mid.acted()).toBe(true);
    expect(during.bytes - before.bytes).toBeGreaterThanOrEqual(size);
    expect(during.count - before.count).toBeGreaterThanOrEqual(1);
    expect(copies()).toEqual(before);

    sink.slowMs = 0;
    sink.script(() => true, { status: 403 });
    await expect(putPresigned(`${sink.url}/b/refused`, Buffer.alloc(size, 2), { engine })).rejects.toMatchObject({ code: 'ERR_UPLIFT_HTTP' });
    expect(copies()).toEqual(before);

    const parts = [1, 2, 3].map((n) => ({ partNumber: n, url: `${sink.url}/b/freed-parts?partNumber=${n}` }));
    await uploadPresignedParts(parts, Buffer.alloc(3 * MiB, 4), { engine, partSizeBytes: MiB });
    await putPresigned(`${sink.url}/b/freed-small`, Buffer.alloc(1000, 5), { engine });
    expect(copies()).toEqual(before);

    sink.slowMs = 5;
    const ac = new AbortController();
    const aborted = putPresigned(`${sink.url}/b/aborted`, Buffer.alloc(size, 3), { engine, signal: ac.signal, onProgress: midUpload(() => ac.abort()).onProgress });
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_UPLIFT_ABORTED' });
    expect(copies()).toEqual(before);
  });
});

// Each case runs test/engine/fixtures/worker-teardown.js in a child process (it loads the
// compiled package from dist/): Workers
// uploading are terminated mid-upload, round after round; the process must exit 0 (a crash
// ends it on SIGSEGV/SIGABRT).
function teardownRounds(mode: string, rounds: number): Promise<{ status: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'worker-teardown.js'), mode, String(rounds)], {
      cwd: root,
      timeout: 90000,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status, signal) => resolve({ status, signal, out }));
  });
}

describe('worker.terminate() mid-upload', () => {
  test.each([
    ['stream', 'a sized Readable (the drain callback at teardown)'],
    ['put', 'Buffers through putPresigned, with and without onProgress'],
    ['parts', 'Buffers through uploadPresignedParts, with and without onProgress'],
  ])('%s: %s - the process survives 16 terminations', async (mode) => {
    const r = await teardownRounds(mode, 16);
    expect({ status: r.status, signal: r.signal, tail: r.out.slice(-400) }).toEqual({ status: 0, signal: null, tail: 'survived 16\n' });
  });
});
