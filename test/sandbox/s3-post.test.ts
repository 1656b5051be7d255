/**
 * S3 POST Object (browser form upload with a SigV4 policy) against the strict peer only:
 * no real peer on this machine does it (Swift answers 412). Follows the AWS rules:
 * conditions, ${filename}, content-length-range, expiry, extra fields, fields after the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { Faults } from '../../lib/sandbox/faults';
import { RequestLog } from '../../lib/sandbox/log';
import { S3Client } from '../../lib/sandbox/s3/client';
import { startS3Peer, type S3Peer } from '../../lib/sandbox/s3/peer';
import { s3Answer } from '../support/swift';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let peer: S3Peer;
let client: S3Client;
const faults = new Faults();
const log = new RequestLog();
const BUCKET = 'post-bucket';

beforeAll(async () => {
  peer = await startS3Peer({ faults, log });
  client = new S3Client({ endpoint: peer.endpoint, region: peer.region, accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey });
  await client.createBucket(BUCKET);
  await client.createBucket('other-bucket');
});
afterAll(async () => { await peer.close(); });
afterEach(() => { faults.clear(); });

interface FormOpts { filename?: string; after?: Record<string, string>; url?: string }

/** Posts `fields` (in order), then the file part, then `after` fields. */
async function post(url: string, fields: Record<string, string>, file: Uint8Array<ArrayBuffer>, o: FormOpts = {}): Promise<Response> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([file], { type: 'application/octet-stream' }), o.filename ?? 'take 1.wav');
  for (const [k, v] of Object.entries(o.after ?? {})) fd.append(k, v);
  return fetch(o.url ?? url, { method: 'POST', body: fd });
}

const stored = (key: string) => peer.objects().find((x) => x.bucket === BUCKET && x.key === key);

test('good upload: 204, ${filename} substituted, metadata and Content-Type kept', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'txn-1/', expiresInSec: 300, fields: { 'x-amz-meta-txn': 'T1', 'Content-Type': 'audio/wav' }, contentLengthRange: [1, 1024 * 1024] });
  expect(p.fields.key).toBe('txn-1/${filename}');
  const body = randomBytes(5000);
  const res = await post(p.url, p.fields, body, { filename: 'take 1.wav' });
  expect(res.status).toBe(204);
  expect(await res.text()).toBe('');
  expect(res.headers.get('etag')).toBe(`"${md5(body)}"`);
  expect(res.headers.get('x-amz-request-id')).toBeTruthy();
  expect(stored('txn-1/take 1.wav')).toEqual({ bucket: BUCKET, key: 'txn-1/take 1.wav', size: 5000, md5: md5(body), etag: `"${md5(body)}"`, contentType: 'audio/wav', metadata: { txn: 'T1' } });
  expect(log.entries({ op: 'PostObject', status: 204 }).length).toBeGreaterThan(0);
});

test('success_action_status 201 answers a PostResponse document; 200 an empty body', async () => {
  const p201 = await client.presignPost(BUCKET, { keyPrefix: 's201/', expiresInSec: 300, fields: { success_action_status: '201' } });
  const r201 = await post(p201.url, p201.fields, Buffer.from('abc'), { filename: 'x.wav' });
  expect(r201.status).toBe(201);
  const xml = await r201.text();
  expect(xml).toContain('<Key>s201/x.wav</Key>');
  expect(xml).toContain(`<ETag>&quot;${md5(Buffer.from('abc'))}&quot;</ETag>`);
  expect(xml).toContain(`<Bucket>${BUCKET}</Bucket>`);
  const p200 = await client.presignPost(BUCKET, { keyPrefix: 's200/', expiresInSec: 300, fields: { success_action_status: '200' } });
  const r200 = await post(p200.url, p200.fields, Buffer.from('abc'), { filename: 'y.wav' });
  expect([r200.status, await r200.text()]).toEqual([200, '']);
  expect(stored('s200/y.wav')?.size).toBe(3);
});

test('a fixed key (no ${filename}) is used as it is; posting to /<bucket>/ works too', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'fixed/', expiresInSec: 300 });
  const res = await post(p.url, { ...p.fields, key: 'fixed/name.mp3' }, Buffer.from('1234'), { url: `${p.url}/` });
  expect(res.status).toBe(204);
  expect(stored('fixed/name.mp3')?.size).toBe(4);
});

test('key outside the starts-with prefix → 403 AccessDenied, nothing stored', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'allowed/', expiresInSec: 300 });
  const a = await s3Answer(await post(p.url, { ...p.fields, key: 'elsewhere/${filename}' }, Buffer.from('x'), { filename: 'evil.wav' }));
  expect([a.status, a.code]).toEqual([403, 'AccessDenied']);
  expect(a.message).toMatch(/Policy Condition failed/);
  expect(stored('elsewhere/evil.wav')).toBeUndefined();
});

test('file over content-length-range → 400 EntityTooLarge; under it → 400 EntityTooSmall; nothing stored', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'range/', expiresInSec: 300, contentLengthRange: [10, 1000] });
  const big = await s3Answer(await post(p.url, p.fields, randomBytes(1001), { filename: 'big.bin' }));
  expect([big.status, big.code]).toEqual([400, 'EntityTooLarge']);
  const small = await s3Answer(await post(p.url, p.fields, randomBytes(9), { filename: 'small.bin' }));
  expect([small.status, small.code]).toEqual([400, 'EntityTooSmall']);
  const edge = await post(p.url, p.fields, randomBytes(1000), { filename: 'edge.bin' });
  expect(edge.status).toBe(204);
  expect(peer.objects().filter((o) => o.key.startsWith('range/')).map((o) => o.key)).toEqual(['range/edge.bin']);
});

test('a large file over the range is refused while it streams (the rest is not stored)', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'huge/', expiresInSec: 300, contentLengthRange: [0, 1024] });
  const a = await s3Answer(await post(p.url, p.fields, randomBytes(8 * 1024 * 1024), { filename: 'huge.bin' }));
  expect([a.status, a.code]).toEqual([400, 'EntityTooLarge']);
  expect(stored('huge/huge.bin')).toBeUndefined();
  const entry = log.entries({ op: 'PostObject', status: 400 }).pop();
  expect(entry?.bytesIn).toBeLessThan(1024 * 1024);
});

test('expired policy → 403 AccessDenied', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'exp/', expiresInSec: 1 });
  await sleep(1100);
  const a = await s3Answer(await post(p.url, p.fields, Buffer.from('x')));
  expect([a.status, a.code]).toEqual([403, 'AccessDenied']);
  expect(a.message).toMatch(/Policy expired/);
});

test('faults.expireUrlsNow expires policies signed before it; a policy signed after it works', async () => {
  const old = await client.presignPost(BUCKET, { keyPrefix: 'cut/', expiresInSec: 300 });
  faults.expireUrlsNow();
  const a = await s3Answer(await post(old.url, old.fields, Buffer.from('x'), { filename: 'old.wav' }));
  expect([a.status, a.code]).toEqual([403, 'AccessDenied']);
  const fresh = await client.presignPost(BUCKET, { keyPrefix: 'cut/', expiresInSec: 300 });
  expect((await post(fresh.url, fresh.fields, Buffer.from('x'), { filename: 'new.wav' })).status).toBe(204);
});

test('tampered policy or signature → 403 SignatureDoesNotMatch', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'tamper/', expiresInSec: 300, contentLengthRange: [0, 10] });
  const doc = JSON.parse(Buffer.from(p.fields.policy, 'base64').toString('utf8'));
  doc.conditions = doc.conditions.map((c: unknown) => (Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 0, 1e9] : c));
  const widened = Buffer.from(JSON.stringify(doc)).toString('base64');
  const a = await s3Answer(await post(p.url, { ...p.fields, policy: widened }, randomBytes(100)));
  expect([a.status, a.code]).toEqual([403, 'SignatureDoesNotMatch']);
  const sig = p.fields['x-amz-signature'];
  const b = await s3Answer(await post(p.url, { ...p.fields, 'x-amz-signature': (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) }, randomBytes(5)));
  expect([b.status, b.code]).toEqual([403, 'SignatureDoesNotMatch']);
  expect(b.body).not.toContain(sig);
  expect(peer.objects().filter((o) => o.key.startsWith('tamper/'))).toEqual([]);
});

test('a form field no condition covers → 403 "Extra input fields"; x-ignore-* fields are exempt', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'extra/', expiresInSec: 300 });
  const a = await s3Answer(await post(p.url, { ...p.fields, 'x-amz-meta-sneaky': '1' }, Buffer.from('x')));
  expect([a.status, a.code]).toEqual([403, 'AccessDenied']);
  expect(a.message).toMatch(/Extra input fields: x-amz-meta-sneaky/);
  const ok = await post(p.url, { ...p.fields, 'x-ignore-tracking': 'abc' }, Buffer.from('x'), { filename: 'ignored.wav' });
  expect(ok.status).toBe(204);
});

test('fields after the file part are ignored (neither checked nor stored)', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'after/', expiresInSec: 300 });
  const res = await post(p.url, p.fields, Buffer.from('data'), { filename: 'f.wav', after: { 'x-amz-meta-late': 'yes', key: 'after/other.wav' } });
  expect(res.status).toBe(204);
  expect(stored('after/f.wav')?.metadata).toEqual({});
  expect(stored('after/other.wav')).toBeUndefined();
});

test('Content-Type starts-with condition; policy for another bucket is refused', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'ct/', expiresInSec: 300, fields: { 'Content-Type': 'audio/wav' } });
  const a = await s3Answer(await post(p.url, { ...p.fields, 'Content-Type': 'video/mp4' }, Buffer.from('x')));
  expect([a.status, a.code]).toEqual([403, 'AccessDenied']);
  const b = await s3Answer(await post(p.url.replace(BUCKET, 'other-bucket'), p.fields, Buffer.from('x')));
  expect([b.status, b.code]).toEqual([403, 'AccessDenied']);
  expect(b.message).toMatch(/bucket/);
});

test('missing key, missing file, unknown bucket, not a form', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'bad/', expiresInSec: 300 });
  const { key: _key, ...noKey } = p.fields;
  const a = await s3Answer(await post(p.url, noKey, Buffer.from('x')));
  expect([a.status, a.code]).toEqual([400, 'InvalidArgument']);
  const fd = new FormData();
  for (const [k, v] of Object.entries(p.fields)) fd.append(k, v);
  const b = await s3Answer(await fetch(p.url, { method: 'POST', body: fd }));
  expect([b.status, b.code]).toEqual([400, 'InvalidArgument']);
  const c = await s3Answer(await post(`${peer.endpoint}/no-such-bucket`, p.fields, Buffer.from('x')));
  expect([c.status, c.code]).toEqual([404, 'NoSuchBucket']);
  const d = await s3Answer(await fetch(p.url, { method: 'POST', body: 'key=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
  expect(d.status).toBe(412);
});

test('a truncated multipart body → 400 MalformedPOSTRequest, and the peer keeps serving', async () => {
  const p = await client.presignPost(BUCKET, { keyPrefix: 'trunc/', expiresInSec: 300 });
  const boundary = 'XyZ123';
  const parts = Object.entries(p.fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('');
  const body = `${parts}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.wav"\r\nContent-Type: audio/wav\r\n\r\npartial bytes with no closing boundary`;
  const u = new URL(p.url);
  const answer = await new Promise<string>((resolve, reject) => {
    const s = net.connect(Number(u.port), '127.0.0.1', () => {
      s.write(`POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    let got = '';
    s.on('data', (c) => { got += c.toString(); });
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
  expect(answer).toMatch(/^HTTP\/1\.1 400/);
  expect(answer).toContain('<Code>MalformedPOSTRequest</Code>');
  expect(stored('trunc/t.wav')).toBeUndefined();
  const ok = await post(p.url, p.fields, Buffer.from('fine'), { filename: 'after.wav' });
  expect(ok.status).toBe(204);
});
