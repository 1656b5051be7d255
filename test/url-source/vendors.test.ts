// A presigned GET of the sandbox's S3 peer feeds every vendor flow: Eka's form, Kore's single
// POST and chunked session, Plaud's parts, Scripe's and Heify's PUT. The stored objects'
// MD5 must equal the source's, and the source is read by ranged GETs only.
import { S3Client } from '../../lib/sandbox/s3/client';
import { eka, heify, kore, plaud, scripe } from '../../lib';
import { logSince, md5, MiB, useSuite } from '../vendors/helpers';
import { randomBytes } from 'node:crypto';

const s = useSuite('url-vendors');
const BUCKET = 'team-recordings';
let s3: S3Client;
const src: Record<string, { data: Buffer; md5: string; url: string }> = {};

beforeAll(async () => {
  s3 = new S3Client(s.sb.s3);
  await s3.createBucket(BUCKET);
  for (const [key, size] of [['call.mp3', 6 * MiB + 17], ['town-hall.wav', 26_000_000 + 3]] as const) {
    const data = randomBytes(size);
    await s3.putObject(BUCKET, key, data, data.length);
    src[key] = { data, md5: md5(data), url: await s3.presignGet(BUCKET, key, 900) };
  }
});

const stored = (bucket: string, pred: (key: string) => boolean) => s.sb.objects().find((o) => o.bucket === bucket && pred(o.key));
/** Range headers of the GETs of one source object since log index `from`. */
const sourceGets = (from: number, key: string) =>
  logSince(s.sb, from).filter((e) => e.target === 's3' && e.op === 'GetObject' && e.path.endsWith(`/${key}`));

test('Eka: uploadFiles takes a URL source; the form file part is its bytes, named from the URL path', async () => {
  const c = eka.client({ token: s.sb.credentials.eka.token, baseUrl: s.sb.urls.eka, engine: s.engine });
  const from = s.sb.log.entries().length;
  const r = await c.uploadFiles({ url: src['call.mp3'].url }, { txnId: 'txn_url_1' });
  expect(r.files).toEqual([{ key: `${r.folderPath}call.mp3`, size: src['call.mp3'].data.length, md5: src['call.mp3'].md5 }]);
  expect(stored(s.sb.fixtures.buckets.eka, (k) => k === `${r.folderPath}call.mp3`)).toMatchObject({ md5: src['call.mp3'].md5 });
  const gets = sourceGets(from, 'call.mp3');
  expect(gets.length).toBeGreaterThan(0);
  for (const g of gets) expect(g.range).toMatch(/^bytes=\d+-\d+$/);
});

test('Kore: a URL source under 25 MB goes as one POST, one at or above through chunks fed by their ranges', async () => {
  const c = kore.client({ apiKey: s.sb.credentials.kore.apiKey, baseUrl: s.sb.urls.kore, engine: s.engine });
  const small = await c.uploadFile({ url: src['call.mp3'].url }, { fileContext: 'bulkImport' });
  expect(small).toMatchObject({ mode: 'single', bytes: src['call.mp3'].data.length, md5: src['call.mp3'].md5 });
  const name = (u: string) => new URL(u).pathname.split('/').pop();
  expect(stored(s.sb.fixtures.buckets.kore, (k) => k === `orgFiles/${name(small.url)}`)?.md5).toBe(src['call.mp3'].md5);

  const from = s.sb.log.entries().length;
  const big = src['town-hall.wav'];
  const r = await c.uploadFile({ url: big.url, size: big.data.length }, { fileContext: 'bulkImport', chunkSizeBytes: 10 * MiB, concurrency: 2 });
  expect(r).toMatchObject({ mode: 'chunked', chunks: 3, bytes: big.data.length, md5: big.md5 });
  expect(stored(s.sb.fixtures.buckets.kore, (k) => k === `orgFiles/${name(r.url)}`)?.md5).toBe(big.md5);
  const ranges = sourceGets(from, 'town-hall.wav').map((g) => g.range);
  for (let i = 0; i < 3; i++) {
    const a = i * 10 * MiB;
    expect(ranges).toContain(`bytes=${a}-${Math.min(big.data.length, a + 10 * MiB) - 1}`);
  }
});

test('Plaud: uploadFile with a URL source; parts from ranges, the whole-file MD5 matches the stored object', async () => {
  const c = plaud.client({ token: s.sb.credentials.plaud.token, baseUrl: s.sb.urls.plaud, engine: s.engine });
  const r = await c.uploadFile({ url: src['call.mp3'].url });
  expect(r.fileType).toBe('mp3');
  expect(r.md5).toBe(src['call.mp3'].md5);
  expect(r.fileMd5).toBe(src['call.mp3'].md5);
  expect(stored(s.sb.fixtures.buckets.plaudUs, (k) => k === `partner/${r.fileId}.mp3`)).toMatchObject({ size: src['call.mp3'].data.length, md5: src['call.mp3'].md5 });
});

test('Scripe: uploadFile with a URL source (content type from the URL path)', async () => {
  const c = scripe.client({ apiKey: s.sb.credentials.scripe.apiKey, baseUrl: s.sb.urls.scripe, engine: s.engine });
  const r = await c.uploadFile({ url: src['call.mp3'].url });
  expect(r).toMatchObject({ contentType: 'audio/mpeg', bytes: src['call.mp3'].data.length, md5: src['call.mp3'].md5 });
  expect(stored(s.sb.fixtures.buckets.scripe, (k) => r.uploadId.endsWith(`--${k.split('/').pop()}`))?.md5).toBe(src['call.mp3'].md5);
});

test('Heify: uploadFile with a URL source', async () => {
  const c = heify.client({ apiKey: s.sb.credentials.heify.apiKey, baseUrl: s.sb.urls.heify, engine: s.engine });
  const r = await c.uploadFile({ url: src['call.mp3'].url }, { configurationId: s.sb.fixtures.heify.configurationId });
  expect(r).toMatchObject({ name: 'call.mp3', bytes: src['call.mp3'].data.length, md5: src['call.mp3'].md5 });
  const key = `upload/${s.sb.fixtures.heify.clientId}/${r.transcriptionId}`;
  expect(stored(s.sb.fixtures.buckets.heify, (k) => k === key)).toMatchObject({ md5: src['call.mp3'].md5, contentType: 'audio/mpeg' });
});
