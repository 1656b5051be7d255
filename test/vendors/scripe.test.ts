// Scripe client end to end against the sandbox: presigned PUT with the signed Content-Type,
// allow-list and caps checked before presign, the documented auth/422/429 errors, faults, abort.
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { scripe, UpliftError } from '../../lib';
import { logSince, makeFile, MiB, rejection, useSuite, waitFor } from './helpers';
import { SANDBOX_READINGS } from '../../lib/sandbox';

describe.each(SANDBOX_READINGS.scripe.map((r) => [r]))('reading scripe=%s', (reading) => {
  const s = useSuite('scripe', { scripe: reading });

  const client = (over: Partial<scripe.ScripeClientOptions> = {}): scripe.ScripeClient =>
    scripe.client({ apiKey: s.sb.credentials.scripe.apiKey, baseUrl: s.sb.urls.scripe, engine: s.engine, ...over });

  const objectOf = (uploadId: string) => s.sb.objects().find((o) => o.bucket === s.sb.fixtures.buckets.scripe && uploadId.endsWith(`--${o.key.split('/').pop()}`));

  test('uploadFile: content type from the name, bytes identical, uploadId returned', async () => {
    const f = makeFile(s.dir, 'episode-12.mp3', 3 * MiB + 5);
    const seen: number[] = [];
    const r = await client().uploadFile(f.path, { onProgress: (p) => seen.push(p.bytesSent) });
    expect(r.uploadId).toMatch(/^upl_/);
    // the presign asks for the exact size (a URL may sign it as the Content-Length)
    expect(r).toMatchObject({ contentType: 'audio/mpeg', maxSizeBytes: f.data.length, bytes: f.data.length, md5: f.md5 });
    expect(Date.parse(r.expiresAt)).toBeGreaterThan(Date.now());
    expect(objectOf(r.uploadId)).toMatchObject({ size: f.data.length, md5: f.md5, contentType: 'audio/mpeg' });
    expect(seen[seen.length - 1]).toBe(f.data.length);
  });

  test('presign → upload called separately, a Buffer with an explicit type and cap', async () => {
    const c = client();
    const bytes = Buffer.from('# notes\nhello\n');
    const u = await c.presign({ contentType: 'text/markdown', maxSizeBytes: bytes.length });
    expect(u).toMatchObject({ method: 'PUT', contentType: 'text/markdown', maxSizeBytes: bytes.length });
    expect(u.id).toMatch(/^upl_/);
    const put = await c.upload(u, bytes);
    expect(put.status).toBe(200);
    expect(objectOf(u.id)).toMatchObject({ size: bytes.length, contentType: 'text/markdown' });
  });

  test.each([
    ['revokedApiKey', 401, 'key_revoked'],
    ['expiredApiKey', 401, 'key_expired'],
    ['noScopeApiKey', 403, 'scope_missing'],
    ['planIneligibleApiKey', 403, 'plan_not_eligible'],
  ] as const)('%s is ERR_UPLIFT_AUTH %d %s, and the key never shows', async (which, status, vendorCode) => {
    const key = s.sb.credentials.scripe[which];
    const err = await rejection(client({ apiKey: key }).uploadFile(Buffer.from('abc'), { contentType: 'text/plain' }));
    expect(err).toBeInstanceOf(UpliftError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_AUTH', vendor: 'scripe', status, vendorCode });
    expect(JSON.stringify(err)).not.toContain(key);
    expect(err.stack).not.toContain(key);
    expect(err.stack).toContain('scripe.test');
  });

  test('an unknown key is invalid_token', async () => {
    const err = await rejection(client({ apiKey: 'scripe_sk_test_not_a_real_key_123' }).presign({ contentType: 'audio/wav' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_AUTH', status: 401, vendorCode: 'invalid_token' });
  });

  test('422 unprocessable from the vendor is a VendorError with its code', async () => {
    s.sb.faults.add({ target: 'scripe', op: 'presign', action: { status: 422, code: 'unprocessable', message: 'maxSizeBytes over cap' } });
    const err = await rejection(client().presign({ contentType: 'audio/wav' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', vendor: 'scripe', status: 422, vendorCode: 'unprocessable', retryable: false });
    expect(err.message).toMatch(/maxSizeBytes over cap/);
  });

  test('429 rate_limited is ERR_UPLIFT_RATE_LIMITED; with retries left it is waited out', async () => {
    s.sb.faults.add({ target: 'scripe', op: 'presign', action: { status: 429, code: 'rate_limited', retryAfterSec: 1 } });
    const err = await rejection(client().presign({ contentType: 'audio/wav', retry: { maxAttempts: 1 } }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_RATE_LIMITED', vendor: 'scripe', status: 429, vendorCode: 'rate_limited', retryAfterMs: 1000 });

    s.sb.faults.add({ target: 'scripe', op: 'presign', action: { status: 429, code: 'rate_limited', retryAfterSec: 1 } });
    const from = s.sb.log.entries().length;
    const t0 = Date.now();
    const u = await client().presign({ contentType: 'audio/wav' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(u.contentType).toBe('audio/wav');
    expect(logSince(s.sb, from).map((e) => e.status)).toEqual([429, 200]);
  });

  test('an unknown API version is the vendor 400 invalid_request', async () => {
    const err = await rejection(client({ apiVersion: '2020-01-01' }).presign({ contentType: 'audio/wav' }));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_VENDOR', status: 400, vendorCode: 'invalid_request' });
  });

  test('allow-list and caps are checked before any request', async () => {
    const from = s.sb.log.entries().length;
    const c = client();
    await expect(c.uploadFile(Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'options.contentType' });
    // a sparse 25 MiB + 1 byte PNG: over the image cap (25 MB read as 25,000,000, the smaller reading)
    const png = join(s.dir, 'big.png');
    makeFile(s.dir, 'big.png', 1);
    truncateSync(png, 25 * MiB + 1);
    await expect(c.uploadFile(png)).rejects.toMatchObject({ code: 'ERR_UPLIFT_TOO_LARGE', vendor: 'scripe', sizeBytes: 25 * MiB + 1, maxSizeBytes: 25_000_000 });
    // between the MB and the MiB reading of the cap: refused locally, under every reading
    const mid = join(s.dir, 'mid.png');
    makeFile(s.dir, 'mid.png', 1);
    truncateSync(mid, 25_000_001);
    await expect(c.uploadFile(mid)).rejects.toMatchObject({ code: 'ERR_UPLIFT_TOO_LARGE', vendor: 'scripe', sizeBytes: 25_000_001, maxSizeBytes: 25_000_000 });
    await expect(c.uploadFile(Buffer.alloc(200), { contentType: 'text/plain', maxSizeBytes: 100 })).rejects.toMatchObject({ code: 'ERR_UPLIFT_TOO_LARGE' });
    await expect(c.presign({ contentType: 'image/png', maxSizeBytes: 25 * MiB + 1 })).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field: 'options.maxSizeBytes' });
    await expect(c.presign({ contentType: 'image/png', size: 3 } as never)).rejects.toThrow(/Unknown option "size"/);
    expect(() => scripe.client({ apiKey: 'key with space' })).toThrow(expect.objectContaining({ field: 'options.apiKey' }));
    expect(() => scripe.client({ apiKey: 'scripe_ok_key', apiVersion: 'latest' })).toThrow(expect.objectContaining({ field: 'options.apiVersion' }));
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('a type outside the doc\'s list is left to the server; its 422 is ERR_UPLIFT_UNSUPPORTED_TYPE', async () => {
    const c = client();
    const from = s.sb.log.entries().length;
    await expect(c.presign({ contentType: 'image/gif' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_UNSUPPORTED_TYPE', vendor: 'scripe', contentType: 'image/gif', status: 422, vendorCode: 'unprocessable' });
    await expect(c.uploadFile(Buffer.from('x'), { contentType: 'audio/ogg' })).rejects.toMatchObject({ code: 'ERR_UPLIFT_UNSUPPORTED_TYPE', contentType: 'audio/ogg' });
    expect(logSince(s.sb, from).map((e) => [e.op, e.status])).toEqual([['presign', 422], ['presign', 422]]);
  });

  test('upload refuses a source over the signed cap before sending', async () => {
    const c = client();
    const u = await c.presign({ contentType: 'text/plain', maxSizeBytes: 10 });
    const from = s.sb.log.entries().length;
    await expect(c.upload(u, Buffer.alloc(11))).rejects.toMatchObject({ code: 'ERR_UPLIFT_TOO_LARGE', sizeBytes: 11, maxSizeBytes: 10 });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });

  test('a Content-Type other than the signed one is refused by S3 (403 SignatureDoesNotMatch)', async () => {
    const c = client();
    const u = await c.presign({ contentType: 'audio/mpeg' });
    const err = await rejection(c.upload({ ...u, contentType: 'audio/wav' }, Buffer.from('abc')));
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_HTTP', vendor: 'scripe', status: 403, vendorCode: 'SignatureDoesNotMatch' });
    expect(err.message).not.toMatch(/X-Amz-Signature=[0-9a-f]/);
  });

  test('an expired upload URL is ERR_UPLIFT_URL_EXPIRED', async () => {
    const c = client();
    const u = await c.presign({ contentType: 'text/plain' });
    s.sb.faults.expireUrlsNow();
    await expect(c.upload(u, Buffer.from('late'))).rejects.toMatchObject({ code: 'ERR_UPLIFT_URL_EXPIRED', vendor: 'scripe' });
  });

  test('a reset in the middle of the PUT is retried and the body sent whole', async () => {
    const f = makeFile(s.dir, 'reset.wav', 2 * MiB);
    s.sb.faults.add({ target: 's3', op: 'PutObject', action: { resetAfterBytes: 512 * 1024 } });
    const from = s.sb.log.entries().length;
    const r = await client().uploadFile(f.path);
    expect(r.md5).toBe(f.md5);
    expect(logSince(s.sb, from).filter((e) => e.op === 'PutObject').map((e) => e.status)).toEqual([0, 200]);
    expect(objectOf(r.uploadId)?.md5).toBe(f.md5);
  });

  test('abort mid-PUT rejects with AbortError and stores nothing', async () => {
    const f = makeFile(s.dir, 'abort.wav', MiB);
    s.sb.faults.add({ target: 's3', op: 'PutObject', action: { stallMs: 5000 } });
    const before = s.sb.objects().length;
    const from = s.sb.log.entries().length;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const err = await rejection(client().uploadFile(f.path, { signal: ac.signal }));
    expect(err).toMatchObject({ name: 'AbortError', code: 'ERR_UPLIFT_ABORTED', vendor: 'scripe' });
    await waitFor(() => logSince(s.sb, from).some((e) => e.op === 'PutObject'));
    expect(s.sb.objects()).toHaveLength(before);
  });

  test('the binding reads the typed spec once: a missing or mistyped field is a typed error naming it; apiVersion defaults from the facts table', async () => {
    const from = s.sb.log.entries().length;
    const n = s.engine.nativeEngine() as unknown as { run(op: string, spec: object): { promise: Promise<unknown> } };
    const api = { baseUrl: s.sb.urls.scripe, apiKey: s.sb.credentials.scripe.apiKey };
    for (const [op, spec, field] of [
      ['scripe.presign', { ...api }, 'contentType'],
      ['scripe.presign', { ...api, contentType: 'audio/mpeg', maxSizeBytes: '5' }, 'maxSizeBytes'],
      ['scripe.presign', { ...api, apiVersion: 20260801, contentType: 'audio/mpeg' }, 'apiVersion'],
      ['scripe.uploadFile', { ...api, contentType: 'audio/mpeg' }, 'source'],
    ] as [string, object, string][]) {
      await expect(n.run(op, spec).promise).rejects.toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field });
    }
    expect(logSince(s.sb, from)).toHaveLength(0);
    // no apiVersion: the engine sends the default of src/core/vendors/facts.json, which the sandbox knows
    await expect(n.run('scripe.presign', { ...api, contentType: 'audio/mpeg', maxSizeBytes: 10 }).promise).resolves.toMatchObject({ contentType: 'audio/mpeg' });
  });

  test('a missing file fails before any request', async () => {
    const from = s.sb.log.entries().length;
    await expect(client().uploadFile(join(s.dir, 'missing.mp3'))).rejects.toMatchObject({ code: 'ERR_UPLIFT_FILE_NOT_FOUND', vendor: 'scripe' });
    expect(logSince(s.sb, from)).toHaveLength(0);
  });
});
