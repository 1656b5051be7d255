// Plaud client end to end against the sandbox: multipart parts, complete with ETags and MD5,
// regions, the steps called one by one, vendor errors, injected faults and abort.
import { plaud, UpliftError } from '../../lib';
import { logSince, makeFile, md5, MiB, rejection, useSuite, waitFor } from './helpers';
import { SANDBOX_READINGS } from '../../lib/sandbox';

/** ChunkSize the emulator announces under each reading. */
const CHUNK_OF: Record<string, number> = { default: 5242880, 'upper-md5': 5242880, 'chunk-8mib': 8388608, 'chunk-5mb': 5000000 };

// 'chunk-5mb' has its own tests below: S3 cannot complete a file of several parts under 5 MiB.
describe.each(SANDBOX_READINGS.plaud.filter((r) => r !== 'chunk-5mb').map((r) => [r]))('reading plaud=%s', (reading) => {
  const s = useSuite('plaud', { plaud: reading });
  const CHUNK = CHUNK_OF[reading];

  const client = (over: Partial<plaud.PlaudClientOptions> = {}): plaud.PlaudClient =>
    plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: s.sb.urls.plaud, engine: s.engine, ...over });

  const partPuts = (from: number, partNumber: number) =>
    logSince(s.sb, from).filter((e) => e.target === 's3' && e.op === 'UploadPart' && e.partNumber === partNumber);

  test('uploadFile: 12 MiB + 1 byte goes as 3 parts and lands byte-identical', async () => {
    const f = makeFile(s.dir, 'meeting.mp3', 12 * MiB + 1);
    const from = s.sb.log.entries().length;
    const seen: number[] = [];
    const r = await client().uploadFile(f.path, { onProgress: (p) => seen.push(p.bytesSent) });
    expect(r.fileType).toBe('mp3'); // from the extension
    expect(r.fileMd5).toBe(f.md5);
    expect(r.md5).toBe(f.md5);
    expect(r.bytes).toBe(f.data.length);
    // 3 parts of 5 MiB (2 of 8 MiB): the server's ChunkSize lays the parts out
    const numbers = Array.from({ length: Math.ceil(f.data.length / CHUNK) }, (_, i) => i + 1);
    expect(r.parts.map((p) => p.partNumber)).toEqual(numbers);
    for (const p of r.parts) expect(p.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const obj = s.sb.objects().find((o) => o.key === `partner/${r.fileId}.mp3`);
    expect(obj).toMatchObject({ bucket: s.sb.fixtures.buckets.plaudUs, size: f.data.length, md5: f.md5 });
    expect(obj?.etag).toMatch(new RegExp(`-${numbers.length}"$`));
    expect(logSince(s.sb, from).filter((e) => e.op === 'UploadPart').map((e) => e.partNumber).sort()).toEqual(numbers);
    expect(seen[seen.length - 1]).toBe(f.data.length);
    // the download URL serves the same bytes
    const got = Buffer.from(await (await fetch(r.downloadUrl)).arrayBuffer());
    expect(md5(got)).toBe(f.md5);
  });

  test('presign → upload → complete called separately, in the Japan region', async () => {
    const data = makeFile(s.dir, 'call.wav', CHUNK + 4096);
    const p = client({ baseUrl: s.sb.urls.plaudJp });
    const t = await p.presign({ fileSize: data.data.length, fileType: 'WAV' });
    expect(t.chunkSizeBytes).toBe(CHUNK);
    expect(t.parts.map((x) => x.partNumber)).toEqual([1, 2]);
    expect(t.fileType).toBe('wav');
    const sent = await p.upload(t, data.data);
    expect(sent.md5).toBe(data.md5);
    expect(sent.parts).toHaveLength(2);
    const done = await p.complete(t, sent, { fileType: 'wav' });
    expect(done).toEqual({ fileId: t.fileId, fileType: 'wav', downloadUrl: expect.any(String), fileMd5: data.md5 });
    const obj = s.sb.objects().find((o) => o.key === `partner/${t.fileId}.wav`);
    expect(obj).toMatchObject({ bucket: s.sb.fixtures.buckets.plaudJp, md5: data.md5 });
  });

  test('complete with a wrong MD5 is the vendor error FILE_MD5_NOT_MATCH', async () => {
    const p = client();
    const bytes = Buffer.from('hello plaud');
    const t = await p.presign({ fileSize: bytes.length, fileType: 'mp3' });
    const sent = await p.upload(t, bytes);
    const err = await rejection(p.complete(t, { ...sent, md5: md5(Buffer.from('other')) }));
    expect(err).toBeInstanceOf(UpliftError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'plaud', status: 400, vendorCode: 'FILE_MD5_NOT_MATCH' });
  });

  test('a wrong token is ERR_UPLIFT_AUTH and the token never shows', async () => {
    const bad = 'plaud_wrong_token_0123456789abcdef';
    const f = makeFile(s.dir, 'a.mp3', 1000);
    const err = await rejection(client({ token: bad }).uploadFile(f.path));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_AUTH', vendor: 'plaud', status: 401, vendorCode: 'UNAUTHORIZED' });
    expect(err.stack).toContain('plaud.test');
    expect(JSON.stringify(err)).not.toContain(bad);
    expect(`${err.message}\n${err.stack}`).not.toContain(bad);
  });

  test('regions: eu and sg are not yet available; unknown is invalid; baseUrl overrides', () => {
    const token = 'plaud_region_check_token';
    for (const region of ['eu', 'sg'] as const) {
      let err: unknown;
      try { plaud.client({ token, region }); } catch (e) { err = e; }
      expect(err).toMatchObject({ code: 'ERR_UPLIFT_REGION_UNAVAILABLE', vendor: 'plaud', region });
      expect((err as Error).message).toMatch(/not yet available/);
    }
    expect(() => plaud.client({ token, region: 'mars' as never })).toThrow(expect.objectContaining({ code: 'ERR_UPLIFT_INVALID_ARGUMENT' }));
    expect(plaud.client({ token }).baseUrl).toBe('https://platform-us.plaud.ai/developer/api');
    expect(plaud.client({ token, region: 'jp' }).baseUrl).toBe('https://platform-jp.plaud.ai/developer/api');
    expect(plaud.client({ token, region: 'eu', baseUrl: 'http://127.0.0.1:1/plaud/' }).baseUrl).toBe('http://127.0.0.1:1/plaud');
  });

  test('a 503 on one part is retried and only that part is sent again', async () => {
    const f = makeFile(s.dir, 'retry.mp3', 2 * CHUNK + 10);
    s.sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 2, action: { status: 503, code: 'SlowDown' } });
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(f.path);
    expect(r.fileMd5).toBe(f.md5);
    expect(partPuts(from, 1)).toHaveLength(1);
    expect(partPuts(from, 2).map((e) => e.status)).toEqual([503, 200]);
    expect(partPuts(from, 3)).toHaveLength(1);
    expect(s.sb.objects().find((o) => o.key === `partner/${r.fileId}.mp3`)?.md5).toBe(f.md5);
  });

  test('a 429 with Retry-After on presign is waited out, then the upload succeeds', async () => {
    const f = makeFile(s.dir, 'ra.mp3', 2000);
    s.sb.faults.add({ target: 'plaud', op: 'presign', action: { status: 429, retryAfterSec: 1 } });
    const from = s.sb.log.entries().length;
    const t0 = Date.now();
    const r = await client().uploadFile(f.path);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(r.fileMd5).toBe(f.md5);
    const presigns = logSince(s.sb, from).filter((e) => e.target === 'plaud' && e.op === 'presign');
    expect(presigns.map((e) => e.status)).toEqual([429, 200]);
  });

  test('429 every time ends as ERR_UPLIFT_RATE_LIMITED with retryAfterMs', async () => {
    s.sb.faults.add({ target: 'plaud', op: 'presign', times: 5, action: { status: 429, retryAfterSec: 7 } });
    const err = await rejection(client().presign({ fileSize: 10, fileType: 'mp3', retry: { maxAttempts: 1 } }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_RATE_LIMITED', vendor: 'plaud', status: 429, retryAfterMs: 7000, retryable: true });
  });

  test('a connection reset in the middle of a part is retried', async () => {
    const f = makeFile(s.dir, 'reset.mp3', CHUNK + 100);
    s.sb.faults.add({ target: 's3', op: 'UploadPart', partNumber: 1, action: { resetAfterBytes: MiB } });
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(f.path);
    expect(r.fileMd5).toBe(f.md5);
    expect(partPuts(from, 1).map((e) => e.status)).toEqual([0, 200]);
    expect(partPuts(from, 2)).toHaveLength(1);
  });

  test('expired part URLs are ERR_UPLIFT_URL_EXPIRED', async () => {
    const p = client();
    const bytes = Buffer.alloc(3000, 7);
    const t = await p.presign({ fileSize: bytes.length, fileType: 'mp3' });
    s.sb.faults.expireUrlsNow();
    const err = await rejection(p.upload(t, bytes));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_URL_EXPIRED', vendor: 'plaud', status: 403 });
  });

  test('abort mid-upload rejects with AbortError and stores nothing', async () => {
    const f = makeFile(s.dir, 'abort.mp3', 2 * CHUNK);
    s.sb.faults.add({ target: 's3', op: 'UploadPart', times: 4, action: { stallMs: 5000 } });
    const before = s.sb.objects().length;
    const from = s.sb.log.entries().length;
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user stop')), 300);
    const t0 = Date.now();
    const err = await rejection(client().uploadFile(f.path, { signal: ac.signal }));
    expect(err.name).toBe('AbortError');
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_ABORTED', vendor: 'plaud' });
    expect((err.cause as Error).message).toBe('user stop');
    // both part connections are dropped by the client long before the 5 s stall ends
    await waitFor(() => partPuts(from, 1).length + partPuts(from, 2).length === 2);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect([...partPuts(from, 1), ...partPuts(from, 2)].map((e) => e.status)).toEqual([0, 0]);
    expect(s.sb.objects()).toHaveLength(before);
    expect(logSince(s.sb, from).filter((e) => e.target === 'plaud' && e.op === 'complete')).toHaveLength(0);
  });

  test('a missing file fails before any request', async () => {
    const from = s.sb.log.entries().length;
    const err = await rejection(client().uploadFile(`${s.dir}/nope.mp3`));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_FILE_NOT_FOUND', vendor: 'plaud' });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('a broken JSON answer is ERR_UPLIFT_BAD_RESPONSE', async () => {
    s.sb.faults.add({ target: 'plaud', op: 'presign', action: { malformedJson: true } });
    const err = await rejection(client().presign({ fileSize: 10, fileType: 'mp3' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_BAD_RESPONSE', vendor: 'plaud' });
  });

  test('upload(): the engine lays the ticket over the source and refuses one that does not fit, before any request', async () => {
    const from = s.sb.log.entries().length;
    const p = client();
    const ticket = (numbers: number[]) => ({
      fileId: 'f', uploadId: 'u', chunkSizeBytes: 5, parts: numbers.map((n) => ({ partNumber: n, url: `http://127.0.0.1:1/${n}` })),
    });
    // two URLs, numbered 1 and 3, for 10 bytes in parts of 5: part 2 has no URL (the count alone fits)
    await expect(p.upload(ticket([1, 3]), Buffer.alloc(10))).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'parts', vendor: 'plaud' });
    await expect(p.upload(ticket([1, 1]), Buffer.alloc(10))).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'parts[1].partNumber' });
    await expect(p.upload(ticket([1, 2, 3]), Buffer.alloc(10))).rejects.toThrow(/parts has 3 URL\(s\) but 10 bytes in parts of 5 bytes need 2/);
    // the engine's op itself, given no ticket: a typed error, no request
    const n = s.engine.nativeEngine() as unknown as { run(op: string, spec: object): { promise: Promise<unknown> } };
    await expect(n.run('plaud.upload', { source: { kind: 'buffer', buffer: Buffer.alloc(3) } }).promise)
      .rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'ticket' });
    await expect(n.run('plaud.upload', { source: { kind: 'buffer', buffer: Buffer.alloc(3) }, ticket: { fileId: 'f', uploadId: 'u', chunkSizeBytes: 5, parts: [] } }).promise)
      .rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'ticket' });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('the binding reads each typed spec once: a field missing or of the wrong type is a typed error naming it, no request', async () => {
    const from = s.sb.log.entries().length;
    const n = s.engine.nativeEngine() as unknown as { run(op: string, spec: object): { promise: Promise<unknown> } };
    const api = { baseUrl: s.sb.urls.plaud, token: s.sb.credentials.plaud.token };
    const buffer = { kind: 'buffer', buffer: Buffer.alloc(10) };
    const ticket = { fileId: 'f', uploadId: 'u', chunkSizeBytes: 5, parts: [{ partNumber: 1, url: 'http://127.0.0.1:1/1' }, { partNumber: 2, url: 'http://127.0.0.1:1/2' }] };
    const cases: [string, object, string][] = [
      ['plaud.presign', { ...api, fileType: 'mp3' }, 'fileSize'],
      ['plaud.presign', { ...api, fileSize: -1, fileType: 'mp3' }, 'fileSize'],
      ['plaud.presign', { baseUrl: 7, token: 't', fileSize: 1, fileType: 'mp3' }, 'baseUrl'],
      ['plaud.upload', { source: buffer, ticket: { ...ticket, chunkSizeBytes: 'five' } }, 'ticket.chunkSizeBytes'],
      ['plaud.upload', { source: buffer, ticket: { ...ticket, parts: [{ partNumber: 1 }] } }, 'ticket.parts[0].url'],
      ['plaud.upload', { source: buffer, ticket: { ...ticket, parts: [7] } }, 'ticket.parts[0]'],
      ['plaud.upload', { source: 'file.mp3', ticket }, 'source'],
      ['plaud.upload', { source: buffer, ticket, concurrency: 1.5 }, 'concurrency'],
      ['plaud.complete', { ...api, fileId: 'f', uploadId: 'u', parts: [{ partNumber: '1', etag: '"e"' }], fileType: 'mp3', md5: 'x' }, 'parts[0].partNumber'],
      ['plaud.uploadFile', { ...api, source: buffer, fileType: 'mp3', ticket: [] }, 'ticket'],
      ['plaud.uploadFile', { ...api, source: buffer, fileType: 'mp3', storedParts: {} }, 'storedParts'],
    ];
    for (const [op, spec, field] of cases) {
      await expect(n.run(op, spec).promise).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field });
    }
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('options are checked before any request', async () => {
    const from = s.sb.log.entries().length;
    const p = client();
    await expect(p.uploadFile(Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'options.fileType' });
    await expect(p.uploadFile(Buffer.from('x'), { fileType: 'mp3', chunkSize: 5 } as never)).rejects.toThrow(/Unknown option "chunkSize"/);
    await expect(p.presign({ fileSize: 0, fileType: 'mp3' })).rejects.toMatchObject({ field: 'options.fileSize' });
    await expect(p.presign({ fileSize: 10, fileType: 'mp3', onProgress: () => {} } as never)).rejects.toThrow(/Unknown option "onProgress"/);
    await expect(p.upload({ fileId: 'f', uploadId: 'u', chunkSizeBytes: 5, parts: [{ partNumber: 1, url: 'http://127.0.0.1:1/x' }] }, Buffer.alloc(11)))
      .rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'parts' });
    expect(() => plaud.client({ token: '' })).toThrow(expect.objectContaining({ field: 'options.token' }));
    expect(logSince(s.sb, from)).toHaveLength(0);
  });
});

describe('reading plaud=chunk-5mb (ChunkSize 5,000,000)', () => {
  const s = useSuite('plaud5mb', { plaud: 'chunk-5mb' });
  const client = (): plaud.PlaudClient => plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: s.sb.urls.plaud, engine: s.engine });

  test('a file of one part lands byte-identical', async () => {
    const f = makeFile(s.dir, 'short.mp3', 4_999_999);
    const r = await client().uploadFile(f.path);
    expect(r).toMatchObject({ fileMd5: f.md5, md5: f.md5, bytes: f.data.length });
    expect(r.parts).toHaveLength(1);
  });

  test('parts follow the announced ChunkSize; S3 refusing the small parts is a typed vendor error, not a success', async () => {
    const f = makeFile(s.dir, 'long.mp3', 7_000_000);
    const from = s.sb.log.entries().length;
    const err = await rejection(client().uploadFile(f.path));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'plaud', status: 400, vendorCode: 'EntityTooSmall' });
    const parts = logSince(s.sb, from).filter((e) => e.op === 'UploadPart' && e.status === 200);
    expect(parts.map((e) => [e.partNumber, e.bytesIn]).sort()).toEqual([[1, 5_000_000], [2, 2_000_000]]);
  });
});
