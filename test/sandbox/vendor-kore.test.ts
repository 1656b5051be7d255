/**
 * Kore.ai emulator through the sandbox front: mode 1 single upload, mode 2 session
 * (start, numbered chunks in any order, complete), the stored S3 object, the media URL,
 * size caps, malformed and truncated multipart bodies, expiry and faults.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../lib/sandbox';

let sb: Sandbox;
beforeAll(async () => { sb = await startSandbox(); });
afterAll(async () => { await sb.close(); });
afterEach(() => { sb.faults.clear(); });

const MiB = 1024 * 1024;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const auth = (): Record<string, string> => ({ 'x-api-key': sb.credentials.kore.apiKey });

function form(fields: Record<string, string>, file?: { bytes: Buffer; name: string }): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file) f.append('file', new Blob([new Uint8Array(file.bytes)]), file.name);
  return f;
}

function uploadSingle(body: FormData, headers = auth()): Promise<Response> {
  return fetch(`${sb.urls.kore}/api/public/files`, { method: 'POST', headers, body });
}

async function startSession(b: Record<string, unknown>): Promise<Response> {
  return fetch(`${sb.urls.kore}/api/public/files/session/start`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(b) });
}

async function session(fileSize: number, totalChunks: number, ext = 'wav'): Promise<string> {
  const r = await startSession({ fileContext: 'bulkImport', totalChunks, fileExtension: ext, fileName: `big.${ext}`, fileSize });
  expect(r.status).toBe(200);
  const j = (await r.json()) as { sessionId: string; expirationDate: string };
  expect(Date.parse(j.expirationDate)).toBeGreaterThan(Date.now());
  return j.sessionId;
}

function sendChunk(id: string, n: number | string, bytes: Buffer): Promise<Response> {
  return fetch(`${sb.urls.kore}/api/public/files/session/${id}`, { method: 'POST', headers: auth(), body: form({ chunkNumber: String(n) }, { bytes, name: 'blob' }) });
}

function finish(id: string): Promise<Response> {
  return fetch(`${sb.urls.kore}/api/public/files/session/${id}/complete`, { method: 'POST', headers: auth() });
}

async function errorOf(r: Response): Promise<{ status: number; code: string; [k: string]: unknown }> {
  const j = (await r.json()) as { errors: { msg: string; code: string }[] };
  expect(typeof j.errors[0].msg).toBe('string');
  return { ...j.errors[0], status: r.status };
}

function objectOf(url: string) {
  const name = new URL(url).pathname.split('/').pop() ?? '';
  return sb.objects().find((o) => o.bucket === sb.fixtures.buckets.kore && o.key === `orgFiles/${name}`);
}

test('mode 1: one multipart POST → { url, fileId }; the object holds the bytes; url redirects to them', async () => {
  const bytes = randomBytes(400_000);
  const r = await uploadSingle(form({ fileContext: 'bulkImport' }, { bytes, name: 'sample4.wav' }));
  expect(r.status).toBe(200);
  const j = (await r.json()) as { url: string; fileId: string };
  expect(j.fileId).toMatch(/^[0-9a-f]{24}$/);
  expect(j.url.startsWith(`${sb.urls.kore}/api/getMediaStream/orgFiles/f-`)).toBe(true);
  expect(new URL(j.url).searchParams.get('fileName')).toBe('sample4.wav');
  expect(objectOf(j.url)).toMatchObject({ size: bytes.length, md5: md5(bytes), contentType: 'audio/wav' });
  const got = await fetch(j.url);
  expect(got.status).toBe(200);
  expect(md5(Buffer.from(await got.arrayBuffer()))).toBe(md5(bytes));
  const forged = new URL(j.url);
  forged.searchParams.set('s', 'x'.repeat(43));
  expect((await fetch(forged, { redirect: 'manual' })).status).toBe(403);
});

test('mode 2: start → chunks out of order and in parallel → complete merges in order', async () => {
  const bytes = randomBytes(3 * MiB + 777);
  const size = MiB;
  const id = await session(bytes.length, 4);
  const order = [3, 1, 0, 2];
  const answers = await Promise.all(order.map((n) => sendChunk(id, n, bytes.subarray(n * size, (n + 1) * size))));
  for (const [i, a] of answers.entries()) {
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({ chunkNumber: String(order[i]), sessionId: id });
  }
  const r = await finish(id);
  expect(r.status).toBe(200);
  const j = (await r.json()) as { url: string; fileId: string };
  expect(objectOf(j.url)).toMatchObject({ size: bytes.length, md5: md5(bytes) });
  // the session and its temp chunks are gone
  expect(existsSync(join(sb.tempDir, 'kore', `session-${id}`))).toBe(false);
  expect(await errorOf(await finish(id))).toMatchObject({ status: 404, code: 'SESSION_NOT_FOUND' });
});

test('a chunk sent twice replaces the first', async () => {
  const bytes = randomBytes(2000);
  const id = await session(bytes.length, 2, '.MP3');
  expect((await sendChunk(id, 0, randomBytes(1000))).status).toBe(200);
  expect((await sendChunk(id, 1, bytes.subarray(1000))).status).toBe(200);
  expect((await sendChunk(id, 0, bytes.subarray(0, 1000))).status).toBe(200);
  const j = (await (await finish(id)).json()) as { url: string };
  expect(objectOf(j.url)).toMatchObject({ md5: md5(bytes), contentType: 'audio/mpeg' });
});

test('complete with missing chunks → 400 naming them; wrong total size → 400', async () => {
  const id = await session(5000, 5);
  await sendChunk(id, 0, randomBytes(1000));
  await sendChunk(id, 3, randomBytes(1000));
  const e = await errorOf(await finish(id));
  expect(e).toMatchObject({ status: 400, code: 'MISSING_CHUNKS', missingChunks: [1, 2, 4] });
  expect(e.msg).toContain('1, 2, 4');
  for (const n of [1, 2, 4]) await sendChunk(id, n, randomBytes(999));
  expect(await errorOf(await finish(id))).toMatchObject({ status: 400, code: 'FILE_SIZE_MISMATCH' });
});

test('chunk errors: bad number, out of range, no file, unknown session, expired session', async () => {
  const id = await session(100, 2);
  expect(await errorOf(await sendChunk(id, 2, randomBytes(10)))).toMatchObject({ status: 400, code: 'INVALID_CHUNK_NUMBER' });
  expect(await errorOf(await sendChunk(id, -1, randomBytes(10)))).toMatchObject({ status: 400, code: 'INVALID_CHUNK_NUMBER' });
  expect(await errorOf(await sendChunk(id, 'one', randomBytes(10)))).toMatchObject({ status: 400, code: 'INVALID_CHUNK_NUMBER' });
  const noFile = await fetch(`${sb.urls.kore}/api/public/files/session/${id}`, { method: 'POST', headers: auth(), body: form({ chunkNumber: '0' }) });
  expect(await errorOf(noFile)).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
  expect(await errorOf(await sendChunk('00000000-0000-4000-8000-000000000000', 0, randomBytes(10)))).toMatchObject({ status: 404, code: 'SESSION_NOT_FOUND' });
  sb.faults.expireUrlsNow();
  expect(await errorOf(await sendChunk(id, 0, randomBytes(10)))).toMatchObject({ status: 400, code: 'SESSION_EXPIRED' });
});

test('session start validation', async () => {
  const good = { fileContext: 'bulkImport', totalChunks: 2, fileExtension: 'jpg', fileName: 'Rent.jpg', fileSize: 291 };
  const cases: [Record<string, unknown>, string][] = [
    [{ ...good, fileContext: '' }, 'INVALID_REQUEST'],
    [{ ...good, totalChunks: 0 }, 'INVALID_REQUEST'],
    [{ ...good, totalChunks: '2' }, 'INVALID_REQUEST'],
    [{ ...good, totalChunks: 292 }, 'INVALID_REQUEST'],
    [{ ...good, fileName: undefined }, 'INVALID_REQUEST'],
    [{ ...good, fileSize: -1 }, 'INVALID_REQUEST'],
    [{ ...good, fileExtension: 'exe' }, 'UNSUPPORTED_FILE_TYPE'],
  ];
  for (const [b, code] of cases) expect(await errorOf(await startSession(b))).toMatchObject({ status: 400, code });
  expect((await startSession(good)).status).toBe(200);
});

test('mode 1 errors: auth, missing fields, unsupported extension, not multipart, over 25 MiB', async () => {
  const file = { bytes: randomBytes(100), name: 'a.mp3' };
  expect(await errorOf(await uploadSingle(form({ fileContext: 'x' }, file), {}))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  expect(await errorOf(await uploadSingle(form({ fileContext: 'x' }, file), { 'x-api-key': 'kg-wrong' }))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  expect(await errorOf(await uploadSingle(form({}, file)))).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
  expect(await errorOf(await uploadSingle(form({ fileContext: 'x' })))).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
  expect(await errorOf(await uploadSingle(form({ fileContext: 'x' }, { bytes: file.bytes, name: 'a.exe' })))).toMatchObject({ status: 400, code: 'UNSUPPORTED_FILE_TYPE' });
  const json = await fetch(`${sb.urls.kore}/api/public/files`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{}' });
  expect(await errorOf(json)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });

  const before = sb.objects().length;
  const big = await uploadSingle(form({ fileContext: 'x' }, { bytes: Buffer.alloc(25 * MiB + 1), name: 'big.wav' }));
  expect(await errorOf(big)).toMatchObject({ status: 413, code: 'FILE_TOO_LARGE' });
  expect(sb.objects().length).toBe(before);
  const exact = await uploadSingle(form({ fileContext: 'x' }, { bytes: Buffer.alloc(25 * MiB), name: 'edge.wav' }));
  expect(exact.status).toBe(200);
});

function rawPost(path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${sb.urls.kore}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('truncated or malformed multipart bodies → 400, an absurd announced size → 413; nothing left in temp', async () => {
  const boundary = 'XyZ123';
  const partial = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="fileContext"\r\n\r\nbulk\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF....`);
  const t = await rawPost('/api/public/files', { ...auth(), 'content-type': `multipart/form-data; boundary=${boundary}` }, partial);
  expect(t.status).toBe(400);
  expect((JSON.parse(t.body) as { errors: { code: string }[] }).errors[0].code).toBe('INVALID_REQUEST');
  const noBoundary = await rawPost('/api/public/files', { ...auth(), 'content-type': 'multipart/form-data' }, Buffer.from('x'));
  expect(noBoundary.status).toBe(400);

  const absurd = await new Promise<number>((resolve, reject) => {
    const req = request(`${sb.urls.kore}/api/public/files`, { method: 'POST', headers: { ...auth(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(1e12) } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); req.destroy(); });
    req.on('error', () => undefined);
    req.write('--');
  });
  expect(absurd).toBe(413);
  const left = existsSync(join(sb.tempDir, 'kore')) ? readdirSync(join(sb.tempDir, 'kore')).filter((n) => n.startsWith('part-')) : [];
  expect(left).toEqual([]);
});

test('faults: injected 429 on a chunk, log records every op', async () => {
  const id = await session(10, 1);
  sb.faults.add({ target: 'kore', op: 'chunk', action: { status: 429, retryAfterSec: 2 } });
  const r = await sendChunk(id, 0, randomBytes(10));
  expect(r.headers.get('retry-after')).toBe('2');
  expect(await errorOf(r)).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
  expect((await sendChunk(id, 0, randomBytes(10))).status).toBe(200);
  expect((await finish(id)).status).toBe(200);
  const ops = new Set(sb.log.entries({ target: 'kore' }).map((e) => e.op));
  for (const op of ['upload', 'sessionStart', 'chunk', 'complete', 'media']) expect(ops.has(op)).toBe(true);
  const chunkEntry = sb.log.entries({ target: 'kore', op: 'chunk', status: 200 }).pop();
  expect(chunkEntry?.bytesIn).toBeGreaterThan(10);
});
