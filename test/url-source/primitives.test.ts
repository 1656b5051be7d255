// URL sources feed the three generic primitives: the source is a presigned GET of the
// sandbox's strict S3 peer, the destination a presigned PUT / POST form / parts of the same
// peer; the stored object's MD5 must equal the source's.
import { createHash, randomBytes } from 'node:crypto';
import { Engine, putPresigned, postPresignedForm, uploadPresignedParts, UpliftError } from '../../lib';
import { S3Client } from '../../lib/sandbox/s3/client';
import { RequestLog } from '../../lib/sandbox/log';
import { startS3Peer, type S3Peer } from '../../lib/sandbox/s3/peer';

const MiB = 1024 * 1024;
const B = 'url-src';
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

let peer: S3Peer;
let client: S3Client;
let engine: Engine;
const log = new RequestLog();
let data: Buffer;
let srcUrl: string;

beforeAll(async () => {
  peer = await startS3Peer({ log });
  client = new S3Client({ endpoint: peer.endpoint, region: peer.region, accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey });
  await client.createBucket(B);
  data = randomBytes(11 * MiB + 12345);
  await client.putObject(B, 'source.bin', data, data.length);
  srcUrl = await client.presignGet(B, 'source.bin', 600);
  engine = new Engine({ retry: { baseDelayMs: 10, maxDelayMs: 200 } });
});
afterAll(async () => {
  await engine.close();
  await peer.close();
});
afterEach(() => log.clear());

const stored = (key: string): { md5: string; size: number } | undefined => peer.objects().find((o) => o.bucket === B && o.key === key);
const rangedGets = (): string[] => log.entries({ op: 'GetObject' }).filter((e) => e.path.endsWith('/source.bin')).map((e) => e.range ?? '');

test('putPresigned: a presigned GET is streamed into a presigned PUT by one ranged GET; bytes identical', async () => {
  const put = await client.presignPut(B, 'put.bin', { expiresInSec: 600 });
  const r = await putPresigned(put, { url: srcUrl }, { engine });
  expect(r.bytes).toBe(data.length);
  expect(r.md5).toBe(md5(data));
  expect(stored('put.bin')).toMatchObject({ md5: md5(data), size: data.length });
  // The size probe (bytes=0-0), then the body's range; the MD5 reads the source once more.
  const ranges = rangedGets();
  expect(ranges[0]).toBe('bytes=0-0');
  expect(ranges).toContain(`bytes=0-${data.length - 1}`);
});

test('putPresigned with source.size skips the size probe', async () => {
  const put = await client.presignPut(B, 'put-sized.bin', { expiresInSec: 600 });
  const r = await putPresigned(put, { url: srcUrl, size: data.length }, { engine, md5: false });
  expect(r.bytes).toBe(data.length);
  expect(stored('put-sized.bin')).toMatchObject({ md5: md5(data), size: data.length });
  expect(rangedGets()).not.toContain('bytes=0-0');
});

test('postPresignedForm: the file part is fed by a ranged GET', async () => {
  const form = await client.presignPost(B, { keyPrefix: 'form/', expiresInSec: 600 });
  const r = await postPresignedForm(form.url, form.fields, { url: srcUrl, name: 'rec.bin' }, { engine });
  expect(r.bytes).toBe(data.length);
  expect(stored('form/rec.bin')).toMatchObject({ md5: md5(data), size: data.length });
});

test('uploadPresignedParts: each part is fetched as its own byte range', async () => {
  const uploadId = await client.createMultipartUpload(B, 'parts.bin');
  const partSize = 5 * MiB;
  const n = Math.ceil(data.length / partSize);
  const parts = [];
  for (let i = 1; i <= n; i++) parts.push({ partNumber: i, url: await client.presignUploadPart(B, 'parts.bin', uploadId, i, 600) });
  const r = await uploadPresignedParts(parts, { url: srcUrl, size: data.length }, { engine, partSizeBytes: partSize, concurrency: 3 });
  expect(r.md5).toBe(md5(data));
  await client.completeMultipartUpload(B, 'parts.bin', uploadId, r.parts);
  expect(stored('parts.bin')).toMatchObject({ md5: md5(data), size: data.length });
  const ranges = rangedGets();
  for (let i = 0; i < n; i++) {
    const a = i * partSize;
    const b = Math.min(data.length, a + partSize) - 1;
    expect(ranges).toContain(`bytes=${a}-${b}`);
  }
});

test('an empty object is probed (416) and uploaded as an empty body', async () => {
  await client.putObject(B, 'empty.bin', Buffer.alloc(0), 0);
  const url = await client.presignGet(B, 'empty.bin', 600);
  const put = await client.presignPut(B, 'empty-copy.bin', { expiresInSec: 600 });
  const r = await putPresigned(put, { url }, { engine });
  expect(r.bytes).toBe(0);
  expect(stored('empty-copy.bin')).toMatchObject({ size: 0 });
});

test('a missing source object fails typed, without the signature in the message', async () => {
  const url = await client.presignGet(B, 'nope.bin', 600);
  const put = await client.presignPut(B, 'never.bin', { expiresInSec: 600 });
  const err = await putPresigned(put, { url }, { engine }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UpliftError);
  expect((err as UpliftError).code).toBe('ERR_UPLIFT_HTTP');
  expect((err as UpliftError).status).toBe(404);
  const sig = new URL(url).searchParams.get('X-Amz-Signature') as string;
  expect(sig.length).toBeGreaterThan(10);
  expect(JSON.stringify({ m: (err as Error).message, s: (err as Error).stack })).not.toContain(sig);
  expect(stored('never.bin')).toBeUndefined();
});
