// Pause / resume of running uploads through an UploadController, and retry.maxElapsedMs.
// While paused no body byte moves, parts already stored stay stored (none is sent twice),
// and neither the stall nor the overall timeout fires; retries go on past maxAttempts while
// maxElapsedMs allows, so an upload whose server comes back after a while succeeds.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Engine, InvalidArgumentError, NetworkError, putPresigned, uploadPresignedParts, UploadController } from '../../lib';
import { rejection, trapUnhandledRejections } from '../reliability/helpers';
import { sleep, startCountingSink, type CountingSink } from './helpers';

trapUnhandledRejections();

const MiB = 1024 * 1024;
let sink: CountingSink;
let engines: Engine[] = [];

beforeEach(async () => {
  sink = await startCountingSink();
});
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
  await sink.close();
});
const engine = (o: ConstructorParameters<typeof Engine>[0] = {}): Engine => {
  const e = new Engine({ proxy: false, ...o });
  engines.push(e);
  return e;
};

test('pause() holds every byte, keeps stored parts, and no stall or overall timeout fires while paused', async () => {
  const e = engine();
  const ctl = new UploadController();
  const parts = Array.from({ length: 8 }, (_, i) => ({ partNumber: i + 1, url: `${sink.url}/obj?partNumber=${i + 1}` }));
  const t0 = Date.now();
  const up = uploadPresignedParts(parts, randomBytes(4 * MiB), {
    engine: e, partSizeBytes: MiB / 2, concurrency: 2, controller: ctl, maxBytesPerSecond: MiB,
    // without pause-awareness both would fail this upload: it takes ~4 s of sending plus 2.5 s paused
    timeouts: { stallMs: 400, overallMs: 5500 }, retry: { maxAttempts: 1 },
  });
  await sleep(1500);
  ctl.pause();
  expect(ctl.paused).toBe(true);
  await sleep(200); // what curl had already read drains
  const held = sink.bytes;
  const storedBefore = sink.done.length;
  expect(held).toBeGreaterThan(MiB);
  expect(held).toBeLessThan(3 * MiB);
  await sleep(2500);
  expect(sink.bytes).toBe(held);
  expect(sink.done.length).toBe(storedBefore);
  ctl.resume();
  expect(ctl.paused).toBe(false);
  const r = await up;
  expect(Date.now() - t0).toBeGreaterThan(5500);
  expect(r.parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  // every part reached the server once: nothing stored before the pause was sent again
  expect(sink.done.map((d) => d.bytes)).toEqual(Array(8).fill(MiB / 2));
  expect(sink.bytes).toBe(4 * MiB);
}, 30000);

test('an upload started with a paused controller sends nothing until resume(); one controller drives several uploads', async () => {
  const e = engine();
  const ctl = new UploadController({ paused: true });
  const a = putPresigned(`${sink.url}/a.bin`, randomBytes(MiB), { engine: e, controller: ctl, timeouts: { stallMs: 300 } });
  const b = putPresigned(`${sink.url}/b.bin`, randomBytes(MiB), { engine: e, controller: ctl, timeouts: { stallMs: 300 } });
  await sleep(1000);
  expect(sink.bytes).toBe(0);
  ctl.resume();
  await Promise.all([a, b]);
  expect(sink.bytes).toBe(2 * MiB);
});

test('a controller caps its uploads together and can change the cap', async () => {
  const e = engine();
  const ctl = new UploadController({ maxBytesPerSecond: 256 * 1024 });
  const up = putPresigned(`${sink.url}/c.bin`, randomBytes(2 * MiB), { engine: e, controller: ctl });
  await sleep(1000);
  expect(sink.bytes).toBeLessThan(512 * 1024);
  ctl.setBandwidth(null);
  await up;
  expect(sink.bytes).toBe(2 * MiB);
});

test('abort while paused rejects at once with AbortError', async () => {
  const e = engine();
  const ctl = new UploadController({ paused: true });
  const ac = new AbortController();
  const up = putPresigned(`${sink.url}/d.bin`, randomBytes(MiB), { engine: e, controller: ctl, signal: ac.signal });
  await sleep(300);
  ac.abort();
  const err = await rejection(up);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_ABORTED' });
});

test('a connection the server drops during a long pause is retried without using up attempts', async () => {
  // a server that drops a request whose body stops for 400 ms (as S3 does after ~20 s)
  let requests = 0;
  const stored: number[] = [];
  const server = http.createServer((req, res) => {
    requests++;
    let n = 0;
    let idle = setTimeout(() => req.socket.destroy(), 400);
    req.on('data', (c: Buffer) => {
      n += c.length;
      clearTimeout(idle);
      idle = setTimeout(() => req.socket.destroy(), 400);
    });
    req.on('end', () => {
      clearTimeout(idle);
      stored.push(n);
      res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef-1"' });
      res.end();
    });
    req.on('close', () => clearTimeout(idle));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/long-pause.bin`;
  try {
    const ctl = new UploadController({ paused: true });
    const up = putPresigned(url, randomBytes(256 * 1024), { engine: engine(), controller: ctl, retry: { maxAttempts: 1, baseDelayMs: 50, maxDelayMs: 100 } });
    await sleep(2000);
    expect(stored).toEqual([]);
    ctl.resume();
    const r = await up;
    expect(r.status).toBe(200);
    expect(requests).toBeGreaterThan(1);
    expect(stored).toEqual([256 * 1024]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('bad controller options are InvalidArgumentError', async () => {
  expect(() => new UploadController({ maxBytesPerSecond: 10 })).toThrow(InvalidArgumentError);
  expect(() => new UploadController({ paused: 'yes' as unknown as boolean })).toThrow(/options\.paused/);
  expect(() => new UploadController({ speed: 1 } as never)).toThrow(/speed/);
  await expect(putPresigned(`${sink.url}/x`, Buffer.alloc(1), { engine: engine(), controller: { pause() {} } as never })).rejects.toThrow(/options\.controller/);
});

describe('retry.maxElapsedMs', () => {
  /** A loopback port with nothing listening (yet). */
  const freePort = async (): Promise<number> => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  };

  test('retries keep going past maxAttempts until the server is back', async () => {
    const port = await freePort();
    const body = randomBytes(256 * 1024);
    const e = engine();
    const retry = { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 300 };
    // without maxElapsedMs: two attempts and a NetworkError
    const err = await rejection(putPresigned(`http://127.0.0.1:${port}/lost.bin`, body, { engine: e, retry }));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.details).toMatchObject({ attempts: 2 });
    // with it: the upload waits for the network to come back (here, 2 s later)
    const received: number[] = [];
    const server = http.createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => { received.push(n); res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef-1"' }); res.end(); });
    });
    const t0 = Date.now();
    const up = putPresigned(`http://127.0.0.1:${port}/lost.bin`, body, { engine: e, retry: { ...retry, maxElapsedMs: 20000 } });
    await sleep(2000);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await up;
      expect(r.status).toBe(200);
      expect(received).toEqual([body.length]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 30000);

  test('and give up once maxElapsedMs has passed', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await rejection(putPresigned(`http://127.0.0.1:${port}/gone.bin`, randomBytes(1024), {
      engine: engine(), retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 100, maxElapsedMs: 1200 },
    }));
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(NetworkError);
    expect((err.details as { attempts: number }).attempts).toBeGreaterThan(5);
    expect(took).toBeGreaterThanOrEqual(1200);
    expect(took).toBeLessThan(4000);
  });

  test('is checked like the other retry options', () => {
    expect(() => new Engine({ retry: { maxElapsedMs: -1 } })).toThrow(/options\.retry\.maxElapsedMs/);
  });
});
