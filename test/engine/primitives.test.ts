// The three generic primitives end to end through the addon against a loopback sink.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { execFileSync } from 'child_process';
import { Engine, putPresigned, postPresignedForm, uploadPresignedParts, SourceError, UpliftError } from '../../lib';
import { startSink, type Sink } from '../support/sink';

const MiB = 1024 * 1024;
let sink: Sink;
let dir: string;
let engine: Engine;

function md5(b: Buffer): string {
  return crypto.createHash('md5').update(b).digest('hex');
}

function makeFile(name: string, size: number): { path: string; data: Buffer } {
  const data = crypto.randomBytes(size);
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return { path: p, data };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplift-prim-'));
  engine = new Engine({ retry: { baseDelayMs: 10, maxDelayMs: 2000 } });
});
afterAll(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  sink = await startSink();
});
afterEach(async () => {
  await sink.close();
});

describe('putPresigned', () => {
  test('file bytes arrive identical, with etag, md5 and inferred content type', async () => {
    const f = makeFile('take.wav', 3 * MiB + 7);
    const progress: number[] = [];
    const r = await putPresigned(`${sink.url}/bucket/take.wav?X-Amz-Signature=abc`, f.path, {
      engine,
      onProgress: (p) => progress.push(p.bytesSent),
    });
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(f.data.length);
    expect(r.md5).toBe(md5(f.data));
    expect(r.etag).toBe(`"${md5(f.data)}"`);
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0].md5).toBe(md5(f.data));
    expect(sink.requests[0].headers['content-type']).toBe('audio/wav');
    expect(progress[progress.length - 1]).toBe(f.data.length);
  });

  test('md5: false skips the digest', async () => {
    const r = await putPresigned(`${sink.url}/b/nomd5`, Buffer.from('abc'), { engine, md5: false });
    expect(r.md5).toBe('');
    expect(r.etag).toBe(`"${md5(Buffer.from('abc'))}"`);
    await expect(putPresigned(`${sink.url}/b/nomd5`, Buffer.from('abc'), { engine, md5: 'no' } as never)).rejects.toThrow(/options\.md5/);
  });

  test('buffer source, custom headers, empty body', async () => {
    const data = crypto.randomBytes(1000);
    const r = await putPresigned(`${sink.url}/b/k`, data, { engine, headers: { 'x-amz-meta-a': '1' }, contentType: 'audio/mpeg' });
    expect(r.md5).toBe(md5(data));
    expect(sink.requests[0].headers['x-amz-meta-a']).toBe('1');
    expect(sink.requests[0].headers['content-type']).toBe('audio/mpeg');
    const empty = await putPresigned(`${sink.url}/b/empty`, Buffer.alloc(0), { engine });
    expect(empty.bytes).toBe(0);
    expect(empty.md5).toBe(md5(Buffer.alloc(0)));
  });

  test('a stream source is spooled and its temp file removed', async () => {
    const data = crypto.randomBytes(2 * MiB);
    const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('uplift-spool-')).length;
    const r = await putPresigned(`${sink.url}/b/s`, { stream: Readable.from([data.subarray(0, MiB), data.subarray(MiB)]) }, { engine });
    expect(r.md5).toBe(md5(data));
    expect(sink.requests[0].md5).toBe(md5(data));
    const after = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('uplift-spool-')).length;
    expect(after).toBe(before);
  });

  test('retries 503 and 429 with Retry-After, then succeeds', async () => {
    const f = makeFile('r.mp3', 256 * 1024);
    sink.script(() => true, { status: 503, body: '<Error><Code>SlowDown</Code><Message>slow</Message></Error>' },
      { status: 429, headers: { 'Retry-After': '1' } });
    const t0 = Date.now();
    const r = await putPresigned(`${sink.url}/b/r`, f.path, { engine });
    expect(r.md5).toBe(md5(f.data));
    expect(sink.requests).toHaveLength(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950); // Retry-After: 1 honoured
  });

  test('a reset mid-body is retried and the body re-sent whole', async () => {
    const f = makeFile('reset.bin', 4 * MiB);
    sink.script(() => true, { resetAfterBytes: MiB });
    const r = await putPresigned(`${sink.url}/b/reset`, f.path, { engine });
    expect(r.md5).toBe(md5(f.data));
    const done = sink.requests.filter((q) => q.complete);
    expect(done).toHaveLength(1);
    expect(done[0].md5).toBe(md5(f.data));
  });

  test('a 403 is final, typed, and the signature is redacted', async () => {
    sink.script(() => true, { status: 403, body: '<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message><RequestId>R1</RequestId></Error>' });
    const err = await putPresigned(`${sink.url}/b/x?X-Amz-Signature=deadbeefcafe`, Buffer.from('abc'), { engine }).catch((e) => e);
    expect(err).toBeInstanceOf(UpliftError);
    expect(err.code).toBe('ERR_UPLIFT_HTTP');
    expect(err.status).toBe(403);
    expect(err.vendorCode).toBe('SignatureDoesNotMatch');
    expect(err.requestId).toBe('R1');
    expect(err.retryable).toBe(false);
    expect(JSON.stringify(err)).not.toContain('deadbeefcafe');
    expect(err.stack).toContain('primitives.test');
    expect(sink.requests).toHaveLength(1);
  });

  test('gives up after maxAttempts with the last error', async () => {
    sink.script(() => true, { status: 500 }, { status: 500 }, { status: 500 });
    const err = await putPresigned(`${sink.url}/b/x`, Buffer.from('abc'), { engine, retry: { maxAttempts: 3, baseDelayMs: 1 } }).catch((e) => e);
    expect(err.code).toBe('ERR_UPLIFT_HTTP');
    expect(err.status).toBe(500);
    expect(sink.requests).toHaveLength(3);
  });

  test('stall timeout fires and is typed', async () => {
    sink.script(() => true, { stallMs: 3000 });
    const err = await putPresigned(`${sink.url}/b/x`, Buffer.from('abc'), {
      engine, retry: { maxAttempts: 1 }, timeouts: { stallMs: 1000 },
    }).catch((e) => e);
    expect(err.code).toBe('ERR_UPLIFT_TIMEOUT');
    expect(err.message).toMatch(/stall/);
  });

  test('abort mid-upload rejects with AbortError', async () => {
    const f = makeFile('slow.bin', 8 * MiB);
    sink.slowMs = 20;
    const ac = new AbortController();
    const p = putPresigned(`${sink.url}/b/slow`, f.path, { engine, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user stop')), 200);
    const err = await p.catch((e) => e);
    expect(err.name).toBe('AbortError');
    expect(err.code).toBe('ERR_UPLIFT_ABORTED');
  });

  test('an aborted signal before start sends nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await putPresigned(`${sink.url}/b/x`, Buffer.from('abc'), { engine, signal: ac.signal }).catch((e) => e);
    expect(err.code).toBe('ERR_UPLIFT_ABORTED');
    expect(sink.requests).toHaveLength(0);
  });
});

describe('postPresignedForm', () => {
  test('fields first, file last, 204 accepted', async () => {
    const f = makeFile('voice.m4a', 700 * 1024);
    const r = await postPresignedForm(`${sink.url}/bucket/`, { key: 'folder/voice.m4a', policy: 'p', 'x-amz-meta-mode': 'dictation' }, f.path, { engine });
    expect(r.status).toBe(204);
    expect(r.md5).toBe(md5(f.data));
    const fields = sink.requests[0].fields!;
    expect(fields.key).toBe('folder/voice.m4a');
    expect(fields['x-amz-meta-mode']).toBe('dictation');
    expect(fields['file:filename']).toBe('voice.m4a');
    expect(fields['file:type']).toBe('audio/mp4');
    expect(fields['file:md5']).toBe(md5(f.data));
  });

  test('a file path is opened by the engine alone: no stat or access round trip from JS per upload', async () => {
    const f = makeFile('small.wav', 64 * 1024);
    const stat = jest.spyOn(fs.promises, 'stat');
    const access = jest.spyOn(fs.promises, 'access');
    try {
      const r = await postPresignedForm(`${sink.url}/bucket/`, { key: 'k' }, f.path, { engine });
      expect(r.md5).toBe(md5(f.data));
      const p = await putPresigned(`${sink.url}/b/small.wav`, f.path, { engine });
      expect(p.md5).toBe(md5(f.data));
      expect(sink.requests[1].headers['content-type']).toBe('audio/wav');
      expect(stat).not.toHaveBeenCalled();
      expect(access).not.toHaveBeenCalled();
    } finally {
      stat.mockRestore();
      access.mockRestore();
    }
  });
});

describe('uploadPresignedParts', () => {
  test('12 MiB + 1 byte in 5 MiB parts: 3 parts, ETags in order, whole-file MD5', async () => {
    const f = makeFile('long.mp3', 12 * MiB + 1);
    const parts = [3, 1, 2].map((n) => ({ partNumber: n, url: `${sink.url}/b/long?partNumber=${n}&uploadId=u` }));
    let last = { bytesSent: 0, totalBytes: 0, partsDone: 0, partsTotal: 0 };
    const r = await uploadPresignedParts(parts, f.path, { engine, partSizeBytes: 5 * MiB, onProgress: (p) => (last = p) });
    expect(r.md5).toBe(md5(f.data));
    expect(r.bytes).toBe(f.data.length);
    expect(r.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    for (const p of r.parts) {
      const start = (p.partNumber - 1) * 5 * MiB;
      expect(p.etag).toBe(`"${md5(f.data.subarray(start, start + 5 * MiB))}"`);
    }
    expect(last).toEqual({ bytesSent: f.data.length, totalBytes: f.data.length, partsDone: 3, partsTotal: 3 });
  });

  test('a 503 on one part re-sends only that part', async () => {
    const f = makeFile('p.bin', 11 * MiB);
    sink.script((req) => (req.url ?? '').includes('partNumber=2'), { status: 503 });
    const parts = [1, 2, 3].map((n) => ({ partNumber: n, url: `${sink.url}/b/p?partNumber=${n}` }));
    const r = await uploadPresignedParts(parts, f.path, { engine, partSizeBytes: 5 * MiB });
    expect(r.md5).toBe(md5(f.data));
    const count = (n: number): number => sink.requests.filter((q) => q.url.includes(`partNumber=${n}`)).length;
    expect([count(1), count(2), count(3)]).toEqual([1, 2, 1]);
  });

  test('expired part URLs: refreshUrls supplies new ones and only missing parts are re-sent', async () => {
    const f = makeFile('refresh.bin', 16 * MiB);
    sink.script((req) => (req.url ?? '').includes('partNumber=3&v=1'), {
      status: 403, body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
    });
    const parts = [1, 2, 3, 4].map((n) => ({ partNumber: n, url: `${sink.url}/b/r?partNumber=${n}&v=1` }));
    const asked: number[][] = [];
    const r = await uploadPresignedParts(parts, f.path, {
      engine, partSizeBytes: 5 * MiB, concurrency: 1,
      refreshUrls: async (numbers) => {
        asked.push(numbers);
        return numbers.map((n) => ({ partNumber: n, url: `${sink.url}/b/r?partNumber=${n}&v=2` }));
      },
    });
    expect(asked).toEqual([[3, 4]]);
    expect(r.md5).toBe(md5(f.data));
    expect(r.parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4]);
    const ok = sink.requests.filter((q) => q.complete && q.url.includes('/b/r'));
    expect(ok.map((q) => q.url.replace(/.*partNumber=(\d)&v=(\d)/, '$1.$2'))).toEqual(['1.1', '2.1', '3.1', '3.2', '4.2']);
  });

  test('without refreshUrls an expired part URL is ERR_UPLIFT_URL_EXPIRED', async () => {
    sink.script(() => true, { status: 403, body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' });
    const err = await uploadPresignedParts([{ partNumber: 1, url: `${sink.url}/x?partNumber=1` }], Buffer.alloc(10), { engine, partSizeBytes: 5 * MiB }).catch((e) => e);
    expect(err.code).toBe('ERR_UPLIFT_URL_EXPIRED');
  });

  test('bad part lists are typed errors before any byte is sent', async () => {
    const f = makeFile('bad.bin', 6 * MiB);
    const u = (n: number) => ({ partNumber: n, url: `${sink.url}/x?partNumber=${n}` });
    await expect(uploadPresignedParts([u(1)], f.path, { engine, partSizeBytes: 5 * MiB })).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT' });
    await expect(uploadPresignedParts([u(1), u(1)], f.path, { engine, partSizeBytes: 5 * MiB })).rejects.toThrow(/twice/);
    await expect(uploadPresignedParts([u(1), { partNumber: 2, url: 'ftp://x' }], f.path, { engine, partSizeBytes: 5 * MiB })).rejects.toThrow(/parts\[1\]\.url/);
    await expect(uploadPresignedParts([u(1), u(2)], f.path, { engine, partSizeBytes: -5 } as never)).rejects.toThrow(/partSizeBytes/);
    expect(sink.requests).toHaveLength(0);
  });
});

describe('bad input', () => {
  test('missing path, directory, bad url, CR/LF header', async () => {
    await expect(putPresigned(`${sink.url}/x`, path.join(dir, 'nope.wav'), { engine })).rejects.toMatchObject({ code: 'ERR_UPLIFT_FILE_NOT_FOUND' });
    await expect(putPresigned(`${sink.url}/x`, dir, { engine })).rejects.toMatchObject({ code: 'ERR_UPLIFT_NOT_A_FILE' });
    await expect(putPresigned('file:///etc/passwd', Buffer.from('a'), { engine })).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT' });
    await expect(putPresigned(`${sink.url}/x`, Buffer.from('a'), { engine, headers: { 'x-a': 'v\r\nInjected: 1' } })).rejects.toThrow(/x-a/);
    await expect(putPresigned(`${sink.url}/x`, Buffer.from('a'), { engine, concurency: 2 } as never)).rejects.toThrow(/concurrency/);
    expect(sink.requests).toHaveLength(0);
  });

  test('a path the engine cannot open: put and form give the same SourceError as the flows that stat first (message, path, caller stack)', async () => {
    const fifo = path.join(dir, 'pipe.wav');
    execFileSync('mkfifo', [fifo]);
    const u = (n: number) => ({ partNumber: n, url: `${sink.url}/x?partNumber=${n}` });
    for (const bad of [path.join(dir, 'nope.wav'), dir, fifo]) {
      // uploadPresignedParts needs the size, so it stats the path in JS before the engine runs.
      const ref = await uploadPresignedParts([u(1)], bad, { engine, partSizeBytes: MiB }).catch((e: unknown) => e);
      expect(ref).toBeInstanceOf(SourceError);
      for (const run of [() => putPresigned(`${sink.url}/x`, bad, { engine }), () => postPresignedForm(`${sink.url}/f`, { key: 'k' }, bad, { engine })]) {
        const e = (await run().catch((x: unknown) => x)) as SourceError;
        expect(e).toBeInstanceOf(SourceError);
        expect(e.code).toBe((ref as SourceError).code);
        expect(e.message).toBe((ref as SourceError).message);
        expect((e as unknown as { path?: string }).path).toBe(bad);
        expect(e.stack).toContain('primitives.test.ts');
      }
    }
    expect(sink.requests).toHaveLength(0);
  });

  test('a closed engine rejects with ERR_UPLIFT_ENGINE_CLOSED', async () => {
    const e = new Engine();
    await e.close();
    await expect(putPresigned(`${sink.url}/x`, Buffer.from('a'), { engine: e })).rejects.toMatchObject({ code: 'ERR_UPLIFT_ENGINE_CLOSED' });
  });
});
