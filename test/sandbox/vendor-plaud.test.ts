/**
 * Plaud emulator through the sandbox front: presigned multipart parts, complete with
 * ETags and whole-file MD5, both regions, S3 errors carried in Plaud's shape, faults.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../lib/sandbox';

let sb: Sandbox;
beforeAll(async () => { sb = await startSandbox(); });
afterAll(async () => { await sb.close(); });
afterEach(() => { sb.faults.clear(); });

const CHUNK = 5242880;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
interface Presigned { FileId: string; UploadId: string; ChunkSize: number; Parts: { PartNumber: number; PresignedUrl: string }[] }
interface Completed { FileId: string; FileType: string; DownloadUrl: string; FileMd5: string }

function call(base: string, path: string, body: unknown, token: string | null = sb.credentials.plaud.token): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return fetch(`${base}/open/partner/files/upload/${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function presign(base: string, filesize: number, filetype = 'mp3'): Promise<Presigned> {
  const r = await call(base, 'generate-presigned-urls', { filesize, filetype });
  expect(r.status).toBe(200);
  return (await r.json()) as Presigned;
}

async function putParts(p: Presigned, bytes: Buffer): Promise<{ PartNumber: number; ETag: string }[]> {
  return Promise.all(p.Parts.map(async (part) => {
    const slice = bytes.subarray((part.PartNumber - 1) * p.ChunkSize, part.PartNumber * p.ChunkSize);
    const r = await fetch(part.PresignedUrl, { method: 'PUT', body: new Uint8Array(slice) });
    expect(r.status).toBe(200);
    return { PartNumber: part.PartNumber, ETag: r.headers.get('etag') ?? '' };
  }));
}

function complete(base: string, p: Presigned, parts: { PartNumber: number; ETag: string }[], fileMd5: string, filetype = 'mp3'): Promise<Response> {
  return call(base, 'complete-upload', { file_id: p.FileId, upload_id: p.UploadId, part_list: parts, filetype, file_md5: fileMd5 });
}

async function errorOf(r: Response): Promise<{ status: number; code: string; [k: string]: unknown }> {
  const j = (await r.json()) as { code: string; message: string };
  expect(typeof j.message).toBe('string');
  return { ...j, status: r.status };
}

test('US: presign 3 parts → PUT each → complete → object with the file MD5; DownloadUrl serves it', async () => {
  const bytes = randomBytes(2 * CHUNK + 12345);
  const p = await presign(sb.urls.plaud, bytes.length);
  expect(p.ChunkSize).toBe(CHUNK);
  expect(p.FileId).toMatch(/^file_[0-9a-f]{24}$/);
  expect(p.Parts.map((x) => x.PartNumber)).toEqual([1, 2, 3]);
  const parts = await putParts(p, bytes);
  expect(parts[0].ETag).toMatch(/^"[0-9a-f]{32}"$/);

  const r = await complete(sb.urls.plaud, p, parts, md5(bytes));
  expect(r.status).toBe(200);
  const c = (await r.json()) as Completed;
  expect(c).toMatchObject({ FileId: p.FileId, FileType: 'mp3', FileMd5: md5(bytes) });
  const obj = sb.objects().find((o) => o.key === `partner/${p.FileId}.mp3`);
  expect(obj).toMatchObject({ bucket: sb.fixtures.buckets.plaudUs, size: bytes.length, md5: md5(bytes), contentType: 'audio/mpeg' });
  expect(obj?.etag).toMatch(/-3"$/);
  expect(new URL(c.DownloadUrl).searchParams.get('X-Amz-Expires')).toBe(String(24 * 3600));
  const got = Buffer.from(await (await fetch(c.DownloadUrl)).arrayBuffer());
  expect(md5(got)).toBe(md5(bytes));

  // completing again answers the same file (retry-safe)
  const again = await complete(sb.urls.plaud, p, parts, md5(bytes));
  expect(again.status).toBe(200);
  expect(((await again.json()) as Completed).FileMd5).toBe(md5(bytes));
});

test('JP: one small part into the Japan bucket; a JP file is unknown to the US region', async () => {
  const bytes = randomBytes(1000);
  const p = await presign(sb.urls.plaudJp, bytes.length, 'WAV');
  expect(p.Parts).toHaveLength(1);
  const parts = await putParts(p, bytes);
  expect(await errorOf(await complete(sb.urls.plaud, p, parts, md5(bytes), 'wav'))).toMatchObject({ status: 404, code: 'FILE_NOT_FOUND' });
  const r = await complete(sb.urls.plaudJp, p, parts, md5(bytes), 'wav');
  expect(r.status).toBe(200);
  expect(sb.objects().find((o) => o.key === `partner/${p.FileId}.wav`)?.bucket).toBe(sb.fixtures.buckets.plaudJp);
  expect(sb.log.entries({ target: 'plaud', op: 'complete', status: 200 }).some((e) => e.path.startsWith('/plaud/jp/'))).toBe(true);
});

test('a wrong part ETag → 400 FILE_UPLOAD_FAILED carrying the S3 code', async () => {
  const bytes = randomBytes(CHUNK + 10);
  const p = await presign(sb.urls.plaud, bytes.length);
  const parts = await putParts(p, bytes);
  parts[1].ETag = `"${'0'.repeat(32)}"`;
  expect(await errorOf(await complete(sb.urls.plaud, p, parts, md5(bytes)))).toMatchObject({ status: 400, code: 'FILE_UPLOAD_FAILED', s3_code: 'InvalidPart' });
});

test('a wrong file_md5 → 400 FILE_MD5_NOT_MATCH and the object is removed', async () => {
  const bytes = randomBytes(5000);
  const p = await presign(sb.urls.plaud, bytes.length);
  const parts = await putParts(p, bytes);
  const wrong = md5(Buffer.from('something else'));
  expect(await errorOf(await complete(sb.urls.plaud, p, parts, wrong))).toMatchObject({ status: 400, code: 'FILE_MD5_NOT_MATCH', expected_md5: wrong, actual_md5: md5(bytes) });
  expect(sb.objects().some((o) => o.key === `partner/${p.FileId}.mp3`)).toBe(false);
});

test('expired part URLs are refused by S3 (faults.expireUrlsNow)', async () => {
  const p = await presign(sb.urls.plaud, 100);
  sb.faults.expireUrlsNow();
  const r = await fetch(p.Parts[0].PresignedUrl, { method: 'PUT', body: Buffer.alloc(100) });
  expect(r.status).toBe(403);
});

describe('errors, shaped { code, message }', () => {
  test('missing or wrong bearer → 401 UNAUTHORIZED', async () => {
    expect(await errorOf(await call(sb.urls.plaud, 'generate-presigned-urls', { filesize: 1, filetype: 'mp3' }, null))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(await errorOf(await call(sb.urls.plaudJp, 'complete-upload', {}, 'nope'))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  test.each([
    ['filesize 0', { filesize: 0, filetype: 'mp3' }, 'FILE_SIZE_INVALID'],
    ['filesize string', { filesize: '10', filetype: 'mp3' }, 'FILE_SIZE_INVALID'],
    ['filesize over 5 GiB', { filesize: 5 * 1024 ** 3 + 1, filetype: 'mp3' }, 'FILE_SIZE_INVALID'],
    ['filetype unknown', { filesize: 10, filetype: 'exe' }, 'FILE_TYPE_INVALID'],
    ['filetype missing', { filesize: 10 }, 'FILE_TYPE_INVALID'],
    ['body not an object', '[]', 'INVALID_PARAMS'],
    ['bad JSON', '{', 'INVALID_PARAMS'],
  ])('presign: %s → 400', async (_n, body, code) => {
    expect(await errorOf(await call(sb.urls.plaud, 'generate-presigned-urls', body))).toMatchObject({ status: 400, code });
  });

  test('complete: field validation', async () => {
    const p = await presign(sb.urls.plaud, 10);
    const good = { file_id: p.FileId, upload_id: p.UploadId, part_list: [{ PartNumber: 1, ETag: '"x"' }], filetype: 'mp3', file_md5: md5(Buffer.alloc(10)) };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...good, file_id: undefined }, 400, 'INVALID_PARAMS'],
      [{ ...good, part_list: [] }, 400, 'INVALID_PARAMS'],
      [{ ...good, part_list: [{ PartNumber: 0, ETag: '"x"' }] }, 400, 'INVALID_PARAMS'],
      [{ ...good, file_md5: good.file_md5.toUpperCase() }, 400, 'INVALID_PARAMS'],
      [{ ...good, upload_id: 'other' }, 400, 'INVALID_PARAMS'],
      [{ ...good, filetype: 'wav' }, 400, 'FILE_TYPE_INVALID'],
      [{ ...good, file_id: 'file_000000000000000000000000' }, 404, 'FILE_NOT_FOUND'],
    ];
    for (const [body, status, code] of cases) {
      expect(await errorOf(await call(sb.urls.plaud, 'complete-upload', body))).toMatchObject({ status, code });
    }
  });

  test('Europe is not served: unknown path → 404', async () => {
    const r = await call(`${sb.url}/plaud/eu`, 'generate-presigned-urls', { filesize: 1, filetype: 'mp3' });
    expect(await errorOf(r)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

test('faults: a reset on complete drops the connection; the retry succeeds', async () => {
  const bytes = randomBytes(2000);
  const p = await presign(sb.urls.plaud, bytes.length);
  const parts = await putParts(p, bytes);
  sb.faults.add({ target: 'plaud', op: 'complete', action: { resetAfterBytes: 10 } });
  await expect(complete(sb.urls.plaud, p, parts, md5(bytes))).rejects.toThrow();
  expect((await complete(sb.urls.plaud, p, parts, md5(bytes))).status).toBe(200);
  sb.faults.add({ target: 'plaud', op: 'presign', pathIncludes: '/plaud/jp/', action: { status: 503, code: 'BUSY' } });
  expect((await call(sb.urls.plaud, 'generate-presigned-urls', { filesize: 1, filetype: 'mp3' })).status).toBe(200);
  expect(await errorOf(await call(sb.urls.plaudJp, 'generate-presigned-urls', { filesize: 1, filetype: 'mp3' }))).toMatchObject({ status: 503, code: 'BUSY' });
});
