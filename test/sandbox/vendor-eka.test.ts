/**
 * Eka (EkaScribe v2) emulator through the sandbox front: presign, presigned POST form
 * uploads into folderPath (204), policy checks by the S3 peer, re-presign, errors, faults.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../lib/sandbox';

let sb: Sandbox;
beforeAll(async () => { sb = await startSandbox(); });
afterAll(async () => { await sb.close(); });
afterEach(() => { sb.faults.clear(); });

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
interface Ticket { uploadData: { url: string; fields: Record<string, string> }; folderPath: string; txn_id: string }

function presign(query: string, body?: unknown, o: { token?: string | null; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? sb.credentials.eka.token : o.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  return fetch(`${sb.urls.eka}/v1/file-upload?${query}`, { method: 'POST', headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
}

async function ticket(txn: string, body?: unknown): Promise<Ticket> {
  const r = await presign(`txn_id=${txn}&action=ekascribe-v2`, body);
  expect(r.status).toBe(200);
  return (await r.json()) as Ticket;
}

function postForm(t: Ticket, bytes: Buffer, name: string, override: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...t.uploadData.fields, ...override })) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  return fetch(t.uploadData.url, { method: 'POST', body: form });
}

async function errorOf(r: Response): Promise<{ status: number; code: string }> {
  const j = (await r.json()) as { error: { error_code: string; message: string }[] };
  expect(typeof j.error[0].message).toBe('string');
  return { status: r.status, code: j.error[0].error_code };
}

test('presign → two form POSTs into folderPath (204) → objects with MD5 and metadata', async () => {
  const t = await ticket('txn_301', { extraData: { mode: 'dictation', uhid: 'unique_patient_id', Visit: 3 } });
  expect(t.txn_id).toBe('txn_301');
  expect(t.folderPath).toMatch(new RegExp(`^${sb.fixtures.eka.workspaceId}/txn_301/\\d{8}_\\d{6}/$`));
  expect(sb.fixtures.eka.workspaceId).toMatch(/^EC_\d{15}$/);
  const f = t.uploadData.fields;
  expect(f.key).toBe(`${t.folderPath}\${filename}`);
  expect(f).toMatchObject({ 'x-amz-meta-mode': 'dictation', 'x-amz-meta-uhid': 'unique_patient_id', 'x-amz-meta-visit': '3', 'x-amz-algorithm': 'AWS4-HMAC-SHA256' });
  expect(f.policy).toBeTruthy();
  const policy = JSON.parse(Buffer.from(f.policy, 'base64').toString('utf8')) as { conditions: unknown[] };
  expect(policy.conditions).toContainEqual(['starts-with', '$key', t.folderPath]);
  expect(policy.conditions).toContainEqual(['content-length-range', 0, 5368709120]);
  expect(policy.conditions).toContainEqual({ 'x-amz-meta-mode': 'dictation' });

  const a = randomBytes(150_000);
  const b = randomBytes(70_000);
  // one with the ${filename} placeholder, one with the key set by the client as the doc does
  expect((await postForm(t, a, 'first_audio.wav')).status).toBe(204);
  expect((await postForm(t, b, 'second.mp3', { key: `${t.folderPath}second.mp3` })).status).toBe(204);

  const objs = sb.objects().filter((o) => o.bucket === sb.fixtures.buckets.eka && o.key.startsWith(t.folderPath));
  const first = objs.find((o) => o.key === `${t.folderPath}first_audio.wav`);
  const second = objs.find((o) => o.key === `${t.folderPath}second.mp3`);
  expect(first).toMatchObject({ size: a.length, md5: md5(a) });
  expect(first?.metadata).toMatchObject({ mode: 'dictation', uhid: 'unique_patient_id', visit: '3' });
  expect(second).toMatchObject({ size: b.length, md5: md5(b) });
});

test('no body at all is fine; the same txn_id presigned again keeps its folderPath', async () => {
  const t1 = await ticket('txn-resume');
  await new Promise((r) => setTimeout(r, 1100));
  const t2 = await ticket('txn-resume', { extraData: { mode: 'consult' } });
  expect(t2.folderPath).toBe(t1.folderPath);
  expect(t2.uploadData.fields['x-amz-meta-mode']).toBe('consult');
  const other = await ticket('txn-other');
  expect(other.folderPath).not.toBe(t1.folderPath);
});

test('the S3 peer enforces the policy: key outside folderPath and changed metadata → 403', async () => {
  const t = await ticket('txn_policy', { extraData: { mode: 'dictation' } });
  const outside = await postForm(t, Buffer.from('x'), 'a.wav', { key: 'elsewhere/a.wav' });
  expect(outside.status).toBe(403);
  const meta = await postForm(t, Buffer.from('x'), 'a.wav', { 'x-amz-meta-mode': 'other' });
  expect(meta.status).toBe(403);
  expect(sb.objects().some((o) => o.key.includes('txn_policy') || o.key.startsWith('elsewhere/'))).toBe(false);
});

test('an expired policy is refused with 403 (faults.expireUrlsNow)', async () => {
  const t = await ticket('txn_expired');
  sb.faults.expireUrlsNow();
  const r = await postForm(t, Buffer.from('late'), 'late.wav');
  expect(r.status).toBe(403);
  // a fresh presign works again
  expect((await postForm(await ticket('txn_expired'), Buffer.from('ok'), 'ok.wav')).status).toBe(204);
});

describe('errors, shaped { error: [ { error_code, message } ] }', () => {
  test('missing or wrong bearer → 401', async () => {
    expect(await errorOf(await presign('txn_id=t1&action=ekascribe-v2', undefined, { token: null }))).toEqual({ status: 401, code: 'unauthorized' });
    expect(await errorOf(await presign('txn_id=t1&action=ekascribe-v2', undefined, { token: 'nope' }))).toEqual({ status: 401, code: 'unauthorized' });
  });

  test.each([
    ['missing txn_id', 'action=ekascribe-v2', undefined, 400, 'missing_txn_id'],
    ['bad txn_id', 'txn_id=a%20b&action=ekascribe-v2', undefined, 400, 'invalid_txn_id'],
    ['wrong action', 'txn_id=t1&action=ekascribe', undefined, 400, 'invalid_action'],
    ['missing action', 'txn_id=t1', undefined, 400, 'invalid_action'],
    ['extraData not an object', 'txn_id=t1&action=ekascribe-v2', { extraData: [1] }, 400, 'invalid_extra_data'],
    ['nested extraData value', 'txn_id=t1&action=ekascribe-v2', { extraData: { a: { b: 1 } } }, 400, 'invalid_extra_data'],
    ['bad metadata name', 'txn_id=t1&action=ekascribe-v2', { extraData: { 'a b': '1' } }, 400, 'invalid_extra_data'],
    ['metadata over 2 KiB', 'txn_id=t1&action=ekascribe-v2', { extraData: { big: 'x'.repeat(3000) } }, 400, 'invalid_extra_data'],
    ['body not an object', 'txn_id=t1&action=ekascribe-v2', 'null', 400, 'invalid_request'],
    ['bad JSON', 'txn_id=t1&action=ekascribe-v2', '{"extraData":', 400, 'invalid_request'],
  ])('%s', async (_n, q, body, status, code) => {
    expect(await errorOf(await presign(q, body))).toEqual({ status, code });
  });

  test('non-JSON body → 415', async () => {
    expect(await errorOf(await presign('txn_id=t1&action=ekascribe-v2', 'a=b', { contentType: 'application/x-www-form-urlencoded' }))).toEqual({ status: 415, code: 'unsupported_media_type' });
  });
});

test('faults: injected 500 with Retry-After, then malformed JSON, then normal', async () => {
  sb.faults.add({ target: 'eka', op: 'presign', action: { status: 500, retryAfterSec: 1 } });
  sb.faults.add({ target: 'eka', op: 'presign', action: { malformedJson: true } });
  const r1 = await presign('txn_id=t9&action=ekascribe-v2');
  expect(r1.headers.get('retry-after')).toBe('1');
  expect(await errorOf(r1)).toEqual({ status: 500, code: 'internal_error' });
  const r2 = await presign('txn_id=t9&action=ekascribe-v2');
  expect(r2.status).toBe(200);
  await expect(r2.json()).rejects.toThrow();
  expect((await presign('txn_id=t9&action=ekascribe-v2')).status).toBe(200);
});
