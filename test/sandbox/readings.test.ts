/**
 * The emulators' readings (startSandbox({ readings })): each reading changes what the
 * emulator answers or what its URLs enforce, as documented in SandboxReadings; bad values
 * are refused before anything starts.
 */
import { startSandbox, DEFAULT_READINGS, SANDBOX_READINGS, type Sandbox, type SandboxReadings } from '../../lib/sandbox';

const started: Sandbox[] = [];
async function sandbox(readings: Partial<SandboxReadings>): Promise<Sandbox> {
  const sb = await startSandbox({ readings });
  started.push(sb);
  return sb;
}
afterAll(async () => { await Promise.all(started.map((sb) => sb.close())); });

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('every vendor has readings, the first is the default, and sb.readings tells the ones in use', async () => {
  for (const v of Object.keys(SANDBOX_READINGS) as (keyof SandboxReadings)[]) expect(SANDBOX_READINGS[v][0]).toBe(DEFAULT_READINGS[v]);
  const sb = await sandbox({ kore: 'mb' });
  expect(sb.readings).toEqual({ ...DEFAULT_READINGS, kore: 'mb' });
});

test('an unknown reading or vendor is a TypeError naming the field and the allowed values', async () => {
  await expect(startSandbox({ readings: { kore: 'kib' as never } })).rejects.toThrow(/readings\.kore must be one of "mib", "mb"/);
  await expect(startSandbox({ readings: { acme: 'x' } as never })).rejects.toThrow(/readings\.acme is not a vendor/);
});

test("scripe 'mb' caps in decimal units; 'exact-length' signs the Content-Length of maxSizeBytes", async () => {
  const mb = await sandbox({ scripe: 'mb' });
  const auth = (sb: Sandbox) => ({ authorization: `Bearer ${sb.credentials.scripe.apiKey}`, 'scripe-api-version': '2026-08-01', 'content-type': 'application/json' });
  const over = await fetch(`${mb.urls.scripe}/v1/uploads`, { method: 'POST', headers: auth(mb), body: JSON.stringify({ contentType: 'image/png', maxSizeBytes: 25_000_001 }) });
  expect(over.status).toBe(422);
  const ok = (await (await fetch(`${mb.urls.scripe}/v1/uploads`, { method: 'POST', headers: auth(mb), body: JSON.stringify({ contentType: 'image/png' }) })).json()) as { data: { maxSizeBytes: number } };
  expect(ok.data.maxSizeBytes).toBe(25_000_000);

  const ex = await sandbox({ scripe: 'exact-length' });
  const minted = (await (await fetch(`${ex.urls.scripe}/v1/uploads`, { method: 'POST', headers: auth(ex), body: JSON.stringify({ contentType: 'text/plain', maxSizeBytes: 10 }) })).json()) as { data: { uploadUrl: string } };
  expect(new URL(minted.data.uploadUrl).searchParams.get('X-Amz-SignedHeaders')).toContain('content-length');
  const short = await fetch(minted.data.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(5) });
  expect(short.status).toBe(403);
  await short.arrayBuffer();
  const exact = await fetch(minted.data.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(10) });
  expect(exact.status).toBe(200);
  await exact.arrayBuffer();
});

test("heify 'configuration-evaluator' does not sign participant_id; an unsigned x-amz-meta header is 403", async () => {
  const sb = await sandbox({ heify: 'configuration-evaluator' });
  const fx = sb.fixtures.heify;
  const r = await fetch(`${sb.urls.heify}/request-upload-url`, {
    ...json({ configuration_id: fx.configurationId, evaluator_id: fx.evaluatorId, participant_id: fx.participantId }),
    headers: { 'content-type': 'application/json', 'x-api-key': sb.credentials.heify.apiKey },
  });
  const d = ((await r.json()) as { data: { upload_url: string; participant_id: string } }).data;
  expect(d.participant_id).toBe(fx.participantId);
  const signed = new URL(d.upload_url).searchParams.get('X-Amz-SignedHeaders') ?? '';
  expect(signed.split(';').filter((h) => h.startsWith('x-amz-meta-')).sort()).toEqual(['x-amz-meta-configuration_id', 'x-amz-meta-evaluator_id']);
  const meta = { 'x-amz-meta-configuration_id': fx.configurationId, 'x-amz-meta-evaluator_id': fx.evaluatorId };
  const refused = await fetch(d.upload_url, { method: 'PUT', headers: { ...meta, 'x-amz-meta-participant_id': fx.participantId }, body: 'abc' });
  expect(refused.status).toBe(403);
  expect(await refused.text()).toMatch(/<HeadersNotSigned>x-amz-meta-participant_id<\/HeadersNotSigned>/);
});

test("plaud 'upper-md5' answers FileMd5 in upper case; 'chunk-8mib' announces 8 MiB parts", async () => {
  const up = await sandbox({ plaud: 'upper-md5' });
  const h = (sb: Sandbox) => ({ authorization: `Bearer ${sb.credentials.plaud.token}`, 'content-type': 'application/json' });
  const bytes = Buffer.from('plaud upper md5');
  const t = (await (await fetch(`${up.urls.plaud}/open/partner/files/upload/generate-presigned-urls`, { method: 'POST', headers: h(up), body: JSON.stringify({ filesize: bytes.length, filetype: 'mp3' }) })).json()) as { FileId: string; UploadId: string; Parts: { PresignedUrl: string }[] };
  const put = await fetch(t.Parts[0].PresignedUrl, { method: 'PUT', body: bytes });
  const etag = put.headers.get('etag') as string;
  await put.arrayBuffer();
  const md5 = (await import('node:crypto')).createHash('md5').update(bytes).digest('hex');
  const done = (await (await fetch(`${up.urls.plaud}/open/partner/files/upload/complete-upload`, {
    method: 'POST', headers: h(up), body: JSON.stringify({ file_id: t.FileId, upload_id: t.UploadId, part_list: [{ PartNumber: 1, ETag: etag }], filetype: 'mp3', file_md5: md5 }),
  })).json()) as { FileMd5: string };
  expect(done.FileMd5).toBe(md5.toUpperCase());

  const big = await sandbox({ plaud: 'chunk-8mib' });
  const t8 = (await (await fetch(`${big.urls.plaud}/open/partner/files/upload/generate-presigned-urls`, { method: 'POST', headers: h(big), body: JSON.stringify({ filesize: 20 * 1024 * 1024, filetype: 'mp3' }) })).json()) as { ChunkSize: number; Parts: unknown[] };
  expect([t8.ChunkSize, t8.Parts.length]).toEqual([8388608, 3]);
});

test("eka 'no-txn-id' answers without txn_id; kore 'mb' caps a single upload at 25,000,000 bytes", async () => {
  const sb = await sandbox({ eka: 'no-txn-id', kore: 'mb' });
  const a = (await (await fetch(`${sb.urls.eka}/v1/file-upload?txn_id=t1&action=ekascribe-v2`, { method: 'POST', headers: { authorization: `Bearer ${sb.credentials.eka.token}` } })).json()) as Record<string, unknown>;
  expect(a.folderPath).toEqual(expect.any(String));
  expect('txn_id' in a).toBe(false);
  const form = new FormData();
  form.append('fileContext', 'bulkImport');
  form.append('file', new Blob([Buffer.alloc(25_000_001)]), 'over.wav');
  const r = await fetch(`${sb.urls.kore}/api/public/files`, { method: 'POST', headers: { 'x-api-key': sb.credentials.kore.apiKey }, body: form });
  expect(r.status).toBe(413);
  expect(((await r.json()) as { errors: { code: string }[] }).errors[0].code).toBe('FILE_TOO_LARGE');
});
