// The engine against producers and peers that misbehave, through the public API: a sized
// stream whose producer stops (abort, close and overallMs still settle), a stream longer than
// a size of 0, an answer that never ends or drips, a 2xx before the body was read, an MD5
// ETag that differs from what was sent, a non-HTTP reply and a vendor-given file:// URL.
import * as crypto from 'crypto';
import * as http from 'http';
import * as net from 'net';
import type { AddressInfo } from 'net';
import { Readable } from 'stream';
import { Engine, plaud, putPresigned, scripe } from '../../lib';
import { startSandbox, type Sandbox } from '../../lib/sandbox';
import { startSink, type Sink } from '../support/sink';

const MiB = 1024 * 1024;
let sink: Sink;
let engine: Engine;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sink = await startSink();
  engine = new Engine({ retry: { baseDelayMs: 10, maxDelayMs: 200 } });
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});
afterAll(async () => {
  await engine.close();
  await sink.close();
});

/** A Readable that gives `first` bytes, then never pushes again (and never ends). */
function stopsAfter(first: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return;
      sent = true;
      this.push(crypto.randomBytes(first));
    },
  });
}

/** Rejection of p, or a failure when it does not settle within ms. */
async function settles(p: Promise<unknown>, ms = 5000): Promise<Error & Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  const never = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([p, never]);
  } catch (e) {
    return e as Error & Record<string, unknown>;
  } finally {
    clearTimeout(timer);
  }
  throw new Error('resolved, but a rejection was expected');
}

/** A loopback HTTP server with a custom handler (raw sockets via onSocket). */
async function server(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  const sockets = new Set<net.Socket>();
  s.on('connection', (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => {
    for (const c of sockets) c.destroy();
    s.close(() => r());
  }));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('a sized stream whose producer stops', () => {
  for (const md5 of [true, false]) {
    test(`signal.abort() settles the upload (md5 ${md5})`, async () => {
      const ac = new AbortController();
      const p = putPresigned(`${sink.url}/stop-abort`, { stream: stopsAfter(100 * 1024), size: MiB }, { engine, signal: ac.signal, md5 });
      setTimeout(() => ac.abort(), 200);
      const err = await settles(p);
      expect(err).toMatchObject({ code: 'ERR_UPLIFT_ABORTED' });
    });

    test(`timeouts.overallMs ends the upload (md5 ${md5})`, async () => {
      const t0 = Date.now();
      const p = putPresigned(`${sink.url}/stop-overall`, { stream: stopsAfter(100 * 1024), size: MiB }, { engine, md5, timeouts: { overallMs: 600 } });
      const err = await settles(p);
      expect(err).toMatchObject({ code: 'ERR_UPLIFT_TIMEOUT', kind: 'overall', retryable: false });
      expect(Date.now() - t0).toBeLessThan(4000);
    });

    test(`engine.close() settles the upload (md5 ${md5})`, async () => {
      const e = new Engine();
      const p = putPresigned(`${sink.url}/stop-close`, { stream: stopsAfter(100 * 1024), size: MiB }, { engine: e, md5 });
      setTimeout(() => void e.close(), 200);
      const err = await settles(p);
      expect(err).toMatchObject({ code: 'ERR_UPLIFT_ENGINE_CLOSED' });
    });
  }

  describe('in a vendor flow', () => {
    let sb: Sandbox;
    beforeAll(async () => {
      sb = await startSandbox();
    });
    afterAll(async () => {
      await sb.close();
    });

    test('plaud.uploadFile settles on abort', async () => {
      const c = plaud.client({ token: sb.credentials.plaud.token, baseUrl: sb.urls.plaud });
      const ac = new AbortController();
      const p = c.uploadFile({ stream: stopsAfter(256 * 1024), size: 12 * MiB, name: 'meeting.mp3' }, { engine, signal: ac.signal });
      setTimeout(() => ac.abort(), 500);
      const err = await settles(p);
      expect(err).toMatchObject({ code: 'ERR_UPLIFT_ABORTED' });
    });

    test('scripe.uploadFile: a stream of size 0 that yields 5,000 bytes is ERR_UPLIFT_SIZE_MISMATCH', async () => {
      const c = scripe.client({ apiKey: sb.credentials.scripe.apiKey, baseUrl: sb.urls.scripe, engine });
      const err = await settles(c.uploadFile({ stream: Readable.from([crypto.randomBytes(5000)]), size: 0, name: 'a.mp3' }));
      expect(err).toMatchObject({ code: 'ERR_UPLIFT_SIZE_MISMATCH' });
    });
  });
});

test('{ stream, size: 0 } that yields 5,000 bytes is ERR_UPLIFT_SIZE_MISMATCH, with and without md5', async () => {
  for (const md5 of [true, false]) {
    const err = await settles(putPresigned(`${sink.url}/zero`, { stream: Readable.from([crypto.randomBytes(5000)]), size: 0 }, { engine, md5 }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_SIZE_MISMATCH' });
  }
  // an empty stream of size 0 is fine
  const ok = await putPresigned(`${sink.url}/zero-ok`, { stream: Readable.from([]), size: 0 }, { engine });
  expect(ok).toMatchObject({ bytes: 0, md5: 'd41d8cd98f00b204e9800998ecf8427e' });
});

describe('answers that do not end', () => {
  test('an endless answer body is ERR_UPLIFT_BAD_RESPONSE', async () => {
    const url = await server((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': String(2 ** 40) });
        const block = Buffer.alloc(64 * 1024, 120);
        const pump = (): void => {
          while (!res.destroyed && res.write(block));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      });
    });
    const err = await settles(putPresigned(`${url}/endless`, Buffer.from('abc'), { engine }), 15000);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_BAD_RESPONSE', retryable: false });
  });

  test('an answer that drips a byte at a time ends at timeouts.responseMs', async () => {
    let requests = 0;
    const url = await server((req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '100000' });
        const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 100);
        res.on('close', () => clearInterval(t));
      });
    });
    const t0 = Date.now();
    const err = await settles(putPresigned(`${url}/drip`, Buffer.from('abc'), { engine, timeouts: { responseMs: 800 } }), 10000);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_TIMEOUT', kind: 'response', retryable: false });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    expect(requests).toBe(1);
  });

  test('timeouts.responseMs is validated', () => {
    expect(() => new Engine({ timeouts: { responseMs: -1 } })).toThrow(expect.objectContaining({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'options.timeouts.responseMs' }));
  });
});

describe('false success', () => {
  test('a 200 sent before the body was read is not a success', async () => {
    const url = await server((req, res) => {
      res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"', 'content-length': '0', connection: 'close' });
      res.end();
      req.socket.end();
    });
    const err = await settles(putPresigned(`${url}/early`, crypto.randomBytes(4 * MiB), { engine }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_BAD_RESPONSE' });
  });

  test('an MD5 ETag other than the MD5 of the bytes sent is ERR_UPLIFT_INTEGRITY', async () => {
    sink.script(() => true, { status: 200, headers: { etag: '"0123456789abcdef0123456789abcdef"' } });
    const err = await settles(putPresigned(`${sink.url}/etag`, crypto.randomBytes(64 * 1024), { engine }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_INTEGRITY' });
  });
});

describe('answers that are not HTTP, URLs from the vendor', () => {
  test('a non-HTTP reply is ERR_UPLIFT_BAD_RESPONSE', async () => {
    const sockets = new Set<net.Socket>();
    const s = net.createServer((c) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
      c.on('error', () => {});
      c.resume();
      c.end('SSH-2.0-OpenSSH_9.6\r\n');
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => {
      for (const c of sockets) c.destroy();
      s.close(() => r());
    }));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/k`;
    const err = await settles(putPresigned(url, Buffer.from('abc'), { engine, retry: { maxAttempts: 1 } }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_BAD_RESPONSE' });
  });

  test('a file:// upload URL in a vendor answer is ERR_UPLIFT_BAD_RESPONSE', async () => {
    const url = await server((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { id: 'u1', uploadUrl: 'file:///etc/hostname', contentType: 'audio/mpeg', method: 'PUT' } }));
      });
    });
    const c = scripe.client({ apiKey: 'scripe_test_key_0123456789', baseUrl: url, engine });
    const err = await settles(c.uploadFile(Buffer.from('abc'), { contentType: 'audio/mpeg' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_BAD_RESPONSE' });
    expect(err.message).toMatch(/vendor/);
  });
});
