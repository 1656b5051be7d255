/**
 * Heify emulator through the sandbox front: request-upload-url, PUT with the signed
 * x-amz-meta-* headers, validation and existence checks, name sanitising, expiry, faults.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../lib/sandbox';

let sb: Sandbox;
beforeAll(async () => { sb = await startSandbox(); });
afterAll(async () => { await sb.close(); });
afterEach(() => { sb.faults.clear(); });

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

interface HeifyData { transcription_id: string; upload_url: string; configuration_id: string; participant_id: string | null; evaluator_id: string | null; name: string | null }

function request(body: unknown, o: { key?: string | null; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
  const key = o.key === undefined ? sb.credentials.heify.apiKey : o.key;
  if (key !== null) headers['x-api-key'] = key;
  return fetch(`${sb.urls.heify}/request-upload-url`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function mint(body: unknown): Promise<HeifyData> {
  const r = await request(body);
  expect(r.status).toBe(200);
  return ((await r.json()) as { data: HeifyData }).data;
}

async function errorOf(r: Response): Promise<{ status: number; code: string }> {
  const j = (await r.json()) as { error: { code: string; message: string } };
  expect(typeof j.error.message).toBe('string');
  return { status: r.status, code: j.error.code };
}

test('request URL → PUT with Content-Type and the signed metadata → stored with MD5 and metadata', async () => {
  const fx = sb.fixtures.heify;
  const d = await mint({ configuration_id: fx.configurationId, evaluator_id: fx.evaluatorId, participant_id: fx.participantId, name: 'sales-call.mp3' });
  expect(d).toMatchObject({ configuration_id: fx.configurationId, evaluator_id: fx.evaluatorId, participant_id: fx.participantId, name: 'sales-call.mp3' });
  expect(d.transcription_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(new URL(d.upload_url).pathname).toBe(`/${sb.fixtures.buckets.heify}/upload/${fx.clientId}/${d.transcription_id}`);

  const bytes = randomBytes(200_000);
  const put = await fetch(d.upload_url, {
    method: 'PUT',
    headers: {
      'content-type': 'audio/mpeg',
      'x-amz-meta-configuration_id': fx.configurationId,
      'x-amz-meta-evaluator_id': fx.evaluatorId,
      'x-amz-meta-participant_id': fx.participantId,
    },
    body: bytes,
  });
  expect(put.status).toBe(200);
  const obj = sb.objects().find((o) => o.key === `upload/${fx.clientId}/${d.transcription_id}`);
  expect(obj).toMatchObject({ bucket: sb.fixtures.buckets.heify, size: bytes.length, md5: md5(bytes), contentType: 'audio/mpeg' });
  expect(obj?.metadata).toMatchObject({ configuration_id: fx.configurationId, evaluator_id: fx.evaluatorId, participant_id: fx.participantId });
});

test('optional ids absent → null in the answer, and only configuration_id is signed', async () => {
  const fx = sb.fixtures.heify;
  const d = await mint({ configuration_id: fx.configurationId });
  expect(d).toMatchObject({ evaluator_id: null, participant_id: null, name: null });
  const put = await fetch(d.upload_url, { method: 'PUT', headers: { 'content-type': 'audio/wav', 'x-amz-meta-configuration_id': fx.configurationId }, body: Buffer.from('RIFF') });
  expect(put.status).toBe(200);
});

test('a PUT without (or with a changed) signed metadata header fails with 403', async () => {
  const fx = sb.fixtures.heify;
  const d = await mint({ configuration_id: fx.configurationId, evaluator_id: fx.evaluatorId });
  const missing = await fetch(d.upload_url, { method: 'PUT', headers: { 'content-type': 'audio/mpeg', 'x-amz-meta-configuration_id': fx.configurationId }, body: Buffer.from('x') });
  expect(missing.status).toBe(403);
  const changed = await fetch(d.upload_url, { method: 'PUT', headers: { 'content-type': 'audio/mpeg', 'x-amz-meta-configuration_id': randomUUID(), 'x-amz-meta-evaluator_id': fx.evaluatorId }, body: Buffer.from('x') });
  expect(changed.status).toBe(403);
  expect(sb.objects().some((o) => o.key.endsWith(d.transcription_id))).toBe(false);
});

test('name is stripped to ASCII', async () => {
  const d = await mint({ configuration_id: sb.fixtures.heify.configurationId, name: 'Café-Ünïcode-通话-2026.mp3' });
  expect(d.name).toBe('Caf-ncode--2026.mp3');
});

test('an expired upload URL is refused (faults.expireUrlsNow)', async () => {
  const fx = sb.fixtures.heify;
  const d = await mint({ configuration_id: fx.configurationId });
  sb.faults.expireUrlsNow();
  const put = await fetch(d.upload_url, { method: 'PUT', headers: { 'content-type': 'audio/mpeg', 'x-amz-meta-configuration_id': fx.configurationId }, body: Buffer.from('x') });
  expect(put.status).toBe(403);
});

describe('errors', () => {
  test('auth: missing or wrong x-api-key → 401', async () => {
    const body = { configuration_id: sb.fixtures.heify.configurationId };
    expect(await errorOf(await request(body, { key: null }))).toEqual({ status: 401, code: 'unauthorized' });
    expect(await errorOf(await request(body, { key: 'hfy_wrong' }))).toEqual({ status: 401, code: 'unauthorized' });
  });

  test.each([
    ['no configuration_id', {}, 400, 'validation_error'],
    ['configuration_id not a uuid', { configuration_id: 'abc' }, 400, 'validation_error'],
    ['evaluator_id not a uuid', { configuration_id: 'FIX', evaluator_id: 12 }, 400, 'validation_error'],
    ['name not a string', { configuration_id: 'FIX', name: 5 }, 400, 'validation_error'],
    ['unknown configuration', { configuration_id: 'NEW' }, 404, 'configuration_not_found'],
    ['unknown evaluator', { configuration_id: 'FIX', evaluator_id: 'NEW' }, 404, 'evaluator_not_found'],
    ['unknown participant', { configuration_id: 'FIX', participant_id: 'NEW' }, 404, 'participant_not_found'],
  ])('%s', async (_n, raw, status, code) => {
    const body = JSON.parse(JSON.stringify(raw).replace(/"FIX"/g, JSON.stringify(sb.fixtures.heify.configurationId)).replace(/"NEW"/g, () => JSON.stringify(randomUUID()))) as unknown;
    expect(await errorOf(await request(body))).toEqual({ status, code });
  });

  test('bad JSON → 400, non-JSON Content-Type → 415, wrong method → 405, unknown path → 404', async () => {
    expect(await errorOf(await request('{nope'))).toEqual({ status: 400, code: 'validation_error' });
    expect(await errorOf(await request({ configuration_id: sb.fixtures.heify.configurationId }, { contentType: 'text/plain' }))).toEqual({ status: 415, code: 'unsupported_media_type' });
    const get = await fetch(`${sb.urls.heify}/request-upload-url`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await errorOf(await fetch(`${sb.urls.heify}/nope`, { method: 'POST' }))).status).toBe(404);
  });
});

test('faults: stall delays the answer, reset drops the connection', async () => {
  sb.faults.add({ target: 'heify', op: 'presign', action: { stallMs: 300 } });
  const t0 = Date.now();
  await mint({ configuration_id: sb.fixtures.heify.configurationId });
  expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

  sb.faults.add({ target: 'heify', action: { resetAfterBytes: 0 } });
  await expect(request({ configuration_id: sb.fixtures.heify.configurationId })).rejects.toThrow();
  const last = sb.log.entries({ target: 'heify' }).pop();
  expect(last).toMatchObject({ status: 0, op: 'presign' });
  expect(last?.fault).toMatch(/reset/);
});
