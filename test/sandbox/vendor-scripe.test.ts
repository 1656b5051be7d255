/**
 * Scripe emulator through the sandbox front: presigned PUT happy path, the doc's error
 * table, signed Content-Type and size cap enforced by the S3 peer, expiry and faults.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../lib/sandbox';

let sb: Sandbox;
beforeAll(async () => { sb = await startSandbox(); });
afterAll(async () => { await sb.close(); });
afterEach(() => { sb.faults.clear(); });

const VERSION = '2026-08-01';
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

function presign(body: unknown, o: { key?: string | null; version?: string | null; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
  const key = o.key === undefined ? sb.credentials.scripe.apiKey : o.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const version = o.version === undefined ? VERSION : o.version;
  if (version !== null) headers['scripe-api-version'] = version;
  return fetch(`${sb.urls.scripe}/v1/uploads`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function errorOf(r: Response): Promise<{ status: number; code: string; message: string }> {
  const j = (await r.json()) as { error: { code: string; message: string } };
  return { status: r.status, code: j.error.code, message: j.error.message };
}

interface Minted { id: string; uploadUrl: string; method: string; contentType: string; maxSizeBytes: number; expiresAt: string }
async function mint(body: unknown): Promise<Minted> {
  const r = await presign(body);
  expect(r.status).toBe(200);
  return ((await r.json()) as { data: Minted }).data;
}

test('presign → PUT raw bytes → object stored with its MD5 and content type', async () => {
  const bytes = randomBytes(300_000);
  const before = Date.now();
  const u = await mint({ contentType: 'audio/mpeg', maxSizeBytes: 1_000_000 });
  expect(u.id).toMatch(/^upl_ws_[0-9A-Z]+--upl_[0-9A-Z]+$/);
  expect(u.method).toBe('PUT');
  expect(u.contentType).toBe('audio/mpeg');
  expect(u.maxSizeBytes).toBe(1_000_000);
  const exp = Date.parse(u.expiresAt);
  expect(exp - before).toBeGreaterThanOrEqual(15 * 60 * 1000 - 2000);
  expect(exp - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000 + 1000);
  expect(new URL(u.uploadUrl).origin).toBe(new URL(sb.s3.endpoint).origin);

  const put = await fetch(u.uploadUrl, { method: 'PUT', headers: { 'content-type': 'audio/mpeg' }, body: bytes });
  expect(put.status).toBe(200);
  const key = u.id.split('--')[1];
  const obj = sb.objects().find((o) => o.bucket === sb.fixtures.buckets.scripe && o.key.endsWith(`/${key}`));
  expect(obj).toBeDefined();
  expect(obj?.md5).toBe(md5(bytes));
  expect(obj?.size).toBe(bytes.length);
  expect(obj?.contentType).toBe('audio/mpeg');
  expect(sb.log.entries({ target: 'scripe', op: 'presign', status: 200 }).length).toBeGreaterThan(0);
});

test('maxSizeBytes defaults to the per-type cap (binary MB/GB)', async () => {
  expect((await mint({ contentType: 'audio/wav' })).maxSizeBytes).toBe(500 * 1024 * 1024);
  expect((await mint({ contentType: 'video/quicktime' })).maxSizeBytes).toBe(1024 * 1024 * 1024);
  expect((await mint({ contentType: 'application/pdf' })).maxSizeBytes).toBe(50 * 1024 * 1024);
  expect((await mint({ contentType: 'image/png' })).maxSizeBytes).toBe(25 * 1024 * 1024);
});

test('a PUT with another Content-Type than the signed one fails with 403 SignatureDoesNotMatch', async () => {
  const u = await mint({ contentType: 'audio/mpeg' });
  const put = await fetch(u.uploadUrl, { method: 'PUT', headers: { 'content-type': 'audio/wav' }, body: Buffer.from('abc') });
  expect(put.status).toBe(403);
  expect(await put.text()).toContain('SignatureDoesNotMatch');
});

test('a PUT over the signed size cap is rejected and nothing is stored', async () => {
  const u = await mint({ contentType: 'text/plain', maxSizeBytes: 10 });
  const key = u.id.split('--')[1];
  const put = await fetch(u.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(11, 0x61) });
  expect(put.status).toBeGreaterThanOrEqual(400);
  expect(put.status).toBeLessThan(500);
  expect(sb.objects().some((o) => o.key.endsWith(`/${key}`))).toBe(false);
  const ok = await fetch(u.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(10, 0x61) });
  expect(ok.status).toBe(200);
});

test('an expired URL is refused by S3 (faults.expireUrlsNow)', async () => {
  const u = await mint({ contentType: 'audio/mpeg' });
  sb.faults.expireUrlsNow();
  const put = await fetch(u.uploadUrl, { method: 'PUT', headers: { 'content-type': 'audio/mpeg' }, body: Buffer.from('late') });
  expect(put.status).toBe(403);
  expect(await put.text()).toMatch(/expired/i);
});

describe('errors follow the doc table, shaped { error: { code, message } }', () => {
  test.each([
    ['missing contentType', {}, 400, 'invalid_request'],
    ['non-string contentType', { contentType: 7 }, 400, 'invalid_request'],
    ['unsupported contentType', { contentType: 'audio/ogg' }, 422, 'unprocessable'],
    ['maxSizeBytes over the cap', { contentType: 'image/png', maxSizeBytes: 25 * 1024 * 1024 + 1 }, 422, 'unprocessable'],
    ['maxSizeBytes zero', { contentType: 'audio/mpeg', maxSizeBytes: 0 }, 422, 'unprocessable'],
    ['maxSizeBytes fractional', { contentType: 'audio/mpeg', maxSizeBytes: 1.5 }, 422, 'unprocessable'],
    ['body not an object', [1, 2], 400, 'invalid_request'],
  ])('%s', async (_name, body, status, code) => {
    const e = await errorOf(await presign(body));
    expect(e).toMatchObject({ status, code });
    expect(e.message.length).toBeGreaterThan(0);
  });

  test('unparseable JSON → 400 invalid_request', async () => {
    expect(await errorOf(await presign('{"contentType":'))).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  test('non-JSON Content-Type → 400 invalid_request', async () => {
    expect(await errorOf(await presign({ contentType: 'audio/mpeg' }, { contentType: 'text/plain' }))).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  test('missing or unknown Scripe-Api-Version → 400 invalid_request', async () => {
    expect(await errorOf(await presign({ contentType: 'audio/mpeg' }, { version: null }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await errorOf(await presign({ contentType: 'audio/mpeg' }, { version: '1999-01-01' }))).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  test('auth: 401 unauthenticated / invalid_token / key_revoked / key_expired, 403 scope_missing / plan_not_eligible', async () => {
    const c = sb.credentials.scripe;
    const body = { contentType: 'audio/mpeg' };
    expect(await errorOf(await presign(body, { key: null }))).toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(await errorOf(await presign(body, { key: 'scripe_sk_test_nope' }))).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(await errorOf(await presign(body, { key: c.revokedApiKey }))).toMatchObject({ status: 401, code: 'key_revoked' });
    expect(await errorOf(await presign(body, { key: c.expiredApiKey }))).toMatchObject({ status: 401, code: 'key_expired' });
    expect(await errorOf(await presign(body, { key: c.noScopeApiKey }))).toMatchObject({ status: 403, code: 'scope_missing' });
    expect(await errorOf(await presign(body, { key: c.planIneligibleApiKey }))).toMatchObject({ status: 403, code: 'plan_not_eligible' });
  });

  test('error answers never echo the key', async () => {
    const r = await presign({ contentType: 'nope/nope' }, { key: sb.credentials.scripe.revokedApiKey });
    const text = await r.text();
    expect(text).not.toContain(sb.credentials.scripe.revokedApiKey);
  });
});

describe('faults', () => {
  test('429 rate_limited with Retry-After', async () => {
    sb.faults.add({ target: 'scripe', op: 'presign', action: { status: 429, retryAfterSec: 3 } });
    const r = await presign({ contentType: 'audio/mpeg' });
    expect(r.headers.get('retry-after')).toBe('3');
    expect(await errorOf(r)).toMatchObject({ status: 429, code: 'rate_limited' });
    const logged = sb.log.entries({ target: 'scripe', status: 429 });
    expect(logged[logged.length - 1].fault).toMatch(/429/);
    expect((await presign({ contentType: 'audio/mpeg' })).status).toBe(200);
  });

  test('503 service_unavailable, twice, then healthy', async () => {
    sb.faults.add({ target: 'scripe', action: { status: 503 }, times: 2 });
    expect(await errorOf(await presign({ contentType: 'audio/mpeg' }))).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect((await presign({ contentType: 'audio/mpeg' })).status).toBe(503);
    expect((await presign({ contentType: 'audio/mpeg' })).status).toBe(200);
  });

  test('malformed JSON answer', async () => {
    sb.faults.add({ target: 'scripe', op: 'presign', action: { malformedJson: true } });
    const r = await presign({ contentType: 'audio/mpeg' });
    expect(r.status).toBe(200);
    await expect(r.json()).rejects.toThrow();
  });
});
