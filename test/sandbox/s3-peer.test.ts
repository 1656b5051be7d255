/**
 * The strict S3 peer's own cases: auth failures, every error code it answers, malformed
 * requests that must not crash it, injected faults (status, reset, stall, expiry), the
 * request log, and its lifecycle.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Faults } from '../../lib/sandbox/faults';
import { RequestLog } from '../../lib/sandbox/log';
import { S3Client, S3Error } from '../../lib/sandbox/s3/client';
import { objectPath, queryString } from '../../lib/sandbox/s3/encode';
import { startS3Peer, type S3Peer } from '../../lib/sandbox/s3/peer';
import { s3Answer } from '../support/swift';

const MiB = 1024 * 1024;
const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const B = 'peer-bucket';

let peer: S3Peer;
let client: S3Client;
const faults = new Faults();
const log = new RequestLog();

beforeAll(async () => {
  peer = await startS3Peer({ faults, log });
  client = new S3Client({ endpoint: peer.endpoint, region: peer.region, accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey });
  await client.createBucket(B);
});
afterAll(async () => { await peer.close(); });
afterEach(() => { faults.clear(); log.clear(); });

/** Header-signed fetch with a chosen payload hash (default: the body's SHA-256). */
async function signedFetch(method: string, p: string, o: { query?: Record<string, string>; headers?: Record<string, string>; body?: string | Uint8Array<ArrayBuffer>; payloadHash?: string; secret?: string } = {}): Promise<Response> {
  const signer = new SignatureV4({ service: 's3', region: peer.region, sha256: Sha256, uriEscapePath: false, credentials: { accessKeyId: peer.accessKeyId, secretAccessKey: o.secret ?? peer.secretAccessKey } });
  const u = new URL(peer.endpoint);
  const req = new HttpRequest({ method, hostname: u.hostname, path: p, query: o.query ?? {}, headers: { host: u.host, 'x-amz-content-sha256': o.payloadHash ?? sha256(o.body ?? ''), ...o.headers } });
  const s = await signer.sign(req);
  const { host: _h, ...headers } = s.headers as Record<string, string>;
  const qs = queryString(o.query ?? {});
  return fetch(`${peer.endpoint}${p}${qs ? `?${qs}` : ''}`, { method, headers, body: o.body });
}

/** Raw bytes over a socket; resolves with everything the peer answered before closing. */
function rawHttp(text: string): Promise<string> {
  const u = new URL(peer.endpoint);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (c) => { got += c.toString(); });
    s.on('end', () => resolve(got));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

async function rejectsWith(p: Promise<unknown>): Promise<[number, string]> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(S3Error);
  return [(e as S3Error).status, (e as S3Error).code];
}

describe('lifecycle', () => {
  test('starts in well under a second on 127.0.0.1 and close() removes its temp folder', async () => {
    const before = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('uplift-s3-peer-')));
    const t0 = Date.now();
    const p = await startS3Peer();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(p.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const mine = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('uplift-s3-peer-') && !before.has(n));
    expect(mine).toHaveLength(1);
    await p.close();
    expect(fs.existsSync(path.join(os.tmpdir(), mine[0]))).toBe(false);
    await expect(fetch(p.endpoint)).rejects.toThrow();
  });

  test('credentials are generated per peer unless given', async () => {
    const p = await startS3Peer({ accessKeyId: 'AKFIXED', secretAccessKey: 'fixed-secret' });
    try {
      expect([p.accessKeyId, p.secretAccessKey]).toEqual(['AKFIXED', 'fixed-secret']);
      expect(peer.secretAccessKey).not.toBe('fixed-secret');
      expect(peer.secretAccessKey.length).toBeGreaterThanOrEqual(30);
    } finally { await p.close(); }
  });
});

describe('auth', () => {
  test('no auth → 403 AccessDenied; SigV2 → 400 InvalidRequest; every answer carries x-amz-request-id', async () => {
    const r = await fetch(`${peer.endpoint}/${B}/k`, { method: 'PUT', body: 'x' });
    expect(r.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
    expect(await s3Answer(r)).toMatchObject({ status: 403, code: 'AccessDenied' });
    const v2 = await s3Answer(await fetch(`${peer.endpoint}/${B}`, { headers: { authorization: `AWS ${peer.accessKeyId}:abc` } }));
    expect([v2.status, v2.code]).toEqual([400, 'InvalidRequest']);
    const head = await fetch(`${peer.endpoint}/${B}/missing`, { method: 'HEAD' });
    expect(head.headers.get('x-amz-request-id')).toBeTruthy();
    expect(head.status).toBe(403);
    expect((await signedFetch('HEAD', `/${B}/k`, { secret: 'wrong' })).status).toBe(403);
    expect((await signedFetch('HEAD', '/no-such-bucket/k')).status).toBe(404);
    expect((await signedFetch('HEAD', '/no-such-bucket')).status).toBe(404);
  });

  test('wrong secret → 403 SignatureDoesNotMatch, unknown key → 403 InvalidAccessKeyId; no secret in answers', async () => {
    const bad = await s3Answer(await signedFetch('GET', `/${B}`, { query: { 'list-type': '2' }, secret: 'not-the-secret' }));
    expect([bad.status, bad.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(bad.body).not.toContain(peer.secretAccessKey);
    const other = new S3Client({ endpoint: peer.endpoint, region: peer.region, accessKeyId: 'AKUNKNOWN', secretAccessKey: 'x' });
    expect(await rejectsWith(other.listObjects(B))).toEqual([403, 'InvalidAccessKeyId']);
  });

  test('presigned URL for another region → 400 AuthorizationQueryParametersError', async () => {
    const eu = new S3Client({ endpoint: peer.endpoint, region: 'eu-west-1', accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey });
    const a = await s3Answer(await fetch(await eu.presignGet(B, 'k', 60)));
    expect([a.status, a.code]).toEqual([400, 'AuthorizationQueryParametersError']);
  });

  test('signed payload hash that does not match the body → 400 XAmzContentSHA256Mismatch', async () => {
    const a = await s3Answer(await signedFetch('PUT', objectPath(B, 'sha.bin'), { body: 'actual', payloadHash: sha256('declared') }));
    expect([a.status, a.code]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    const id = await client.createMultipartUpload(B, 'sha.bin');
    const xml = '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>';
    const c = await s3Answer(await signedFetch('POST', objectPath(B, 'sha.bin'), { query: { uploadId: id }, body: xml, payloadHash: sha256('other') }));
    expect([c.status, c.code]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    await client.abortMultipartUpload(B, 'sha.bin', id);
    const ok = await signedFetch('PUT', objectPath(B, 'sha.bin'), { body: 'actual' });
    expect(ok.status).toBe(200);
    expect(await client.getObjectMd5(B, 'sha.bin')).toBe(md5('actual'));
  });

  test('query parameters are signed: changing the size cap breaks the signature', async () => {
    const url = new URL(await client.presignPut(B, 'cap.bin', { expiresInSec: 60, maxSizeBytes: 10 }));
    url.searchParams.set('x-uplift-max-size', '1000000');
    const a = await s3Answer(await fetch(url, { method: 'PUT', body: randomBytes(100) }));
    expect([a.status, a.code]).toEqual([403, 'SignatureDoesNotMatch']);
  });
});

describe('objects and errors', () => {
  test('presigned GET streams the bytes; missing key → 404 NoSuchKey; missing bucket → 404 NoSuchBucket', async () => {
    const body = randomBytes(3 * MiB + 5);
    await client.putObject(B, 'get/me.bin', Readable.from([body]), body.length, { contentType: 'audio/mpeg' });
    const r = await fetch(await client.presignGet(B, 'get/me.bin', 60));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('audio/mpeg');
    expect(md5(Buffer.from(await r.arrayBuffer()))).toBe(md5(body));
    const nk = await s3Answer(await fetch(await client.presignGet(B, 'get/none.bin', 60)));
    expect([nk.status, nk.code]).toEqual([404, 'NoSuchKey']);
    expect(await client.headObject(B, 'get/none.bin')).toBeNull();
    expect(await rejectsWith(client.putObject('no-such-bucket', 'k', Buffer.from('x'), 1))).toEqual([404, 'NoSuchBucket']);
  });

  test('size cap of a presigned PUT: at the cap OK, over it → 400 EntityTooLarge (declared length)', async () => {
    const url = await client.presignPut(B, 'cap/known.bin', { expiresInSec: 60, maxSizeBytes: 1000 });
    expect((await fetch(url, { method: 'PUT', body: randomBytes(1000) })).status).toBe(200);
    const a = await s3Answer(await fetch(url, { method: 'PUT', body: randomBytes(1001) }));
    expect([a.status, a.code]).toEqual([400, 'EntityTooLarge']);
    expect(peer.objects().find((o) => o.key === 'cap/known.bin')?.size).toBe(1000);
  });

  test('size cap checked while a chunked body streams: stops reading, answers 400, stores nothing', async () => {
    const url = await client.presignPut(B, 'cap/chunked.bin', { expiresInSec: 60, maxSizeBytes: MiB });
    const chunks = Array.from({ length: 24 }, () => randomBytes(256 * 1024));
    const init = { method: 'PUT', body: Readable.toWeb(Readable.from(chunks)), duplex: 'half' } as unknown as RequestInit;
    const a = await s3Answer(await fetch(url, init));
    expect([a.status, a.code]).toEqual([400, 'EntityTooLarge']);
    expect(peer.objects().find((o) => o.key === 'cap/chunked.bin')).toBeUndefined();
    const e = log.entries({ op: 'PutObject', status: 400 })[0];
    expect(e.bytesIn).toBeGreaterThan(MiB);
    expect(e.bytesIn).toBeLessThan(6 * MiB);
  });

  test('absurd Content-Length → 400 EntityTooLarge without reading; no length → 411', async () => {
    const url = new URL(await client.presignPut(B, 'absurd.bin', { expiresInSec: 60 }));
    const big = await rawHttp(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 99999999999999\r\nExpect: 100-continue\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 400/);
    expect(big).toContain('<Code>EntityTooLarge</Code>');
    expect(big).not.toContain('100 Continue');
    const none = await rawHttp(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
    expect(none).toMatch(/^HTTP\/1\.1 411/);
    expect(none).toContain('<Code>MissingContentLength</Code>');
  });

  test('Content-MD5: mismatch → 400 BadDigest, malformed → 400 InvalidDigest', async () => {
    const url = await client.presignPut(B, 'md5.bin', { expiresInSec: 60 });
    const a = await s3Answer(await fetch(url, { method: 'PUT', body: 'abc', headers: { 'content-md5': createHash('md5').update('abd').digest('base64') } }));
    expect([a.status, a.code]).toEqual([400, 'BadDigest']);
    const b = await s3Answer(await fetch(url, { method: 'PUT', body: 'abc', headers: { 'content-md5': 'bm90LW1kNQ==' } }));
    expect([b.status, b.code]).toEqual([400, 'InvalidDigest']);
    const ok = await fetch(url, { method: 'PUT', body: 'abc', headers: { 'content-md5': createHash('md5').update('abc').digest('base64') } });
    expect(ok.status).toBe(200);
  });

  test('buckets: invalid name → 400 InvalidBucketName, re-create is fine, non-empty delete → 409 BucketNotEmpty', async () => {
    expect(await rejectsWith(client.createBucket('No_Such'))).toEqual([400, 'InvalidBucketName']);
    await client.createBucket(B);
    const a = await s3Answer(await signedFetch('DELETE', `/${B}`));
    expect([a.status, a.code]).toEqual([409, 'BucketNotEmpty']);
  });

  test('ListObjectsV2 pages with max-keys and continuation tokens', async () => {
    await client.createBucket('list-bucket');
    for (const k of ['a', 'b/c', 'b/d']) await client.putObject('list-bucket', k, Buffer.from(k), k.length);
    const first = await signedFetch('GET', '/list-bucket', { query: { 'list-type': '2', 'max-keys': '2' } });
    const x1 = await first.text();
    expect(x1).toContain('<IsTruncated>true</IsTruncated>');
    const token = /<NextContinuationToken>([^<]+)</.exec(x1)?.[1] as string;
    const second = await (await signedFetch('GET', '/list-bucket', { query: { 'list-type': '2', 'continuation-token': token } })).text();
    expect(second).toContain('<Key>b/d</Key>');
    expect(second).not.toContain('<Key>a</Key>');
    expect((await client.listObjects('list-bucket')).map((o) => o.key)).toEqual(['a', 'b/c', 'b/d']);
  });
});

describe('multipart', () => {
  test('a re-sent part replaces the old one; unquoted ETags are accepted at Complete', async () => {
    const key = 'mpu/replace.bin';
    const id = await client.createMultipartUpload(B, key);
    const put = async (n: number, b: Uint8Array<ArrayBuffer>): Promise<string> => (await fetch(await client.presignUploadPart(B, key, id, n, 60), { method: 'PUT', body: b })).headers.get('etag') as string;
    await put(1, randomBytes(10));
    const final = randomBytes(20);
    const e1 = await put(1, final);
    expect(await client.listParts(B, key, id)).toEqual([{ partNumber: 1, etag: e1, size: 20 }]);
    await client.completeMultipartUpload(B, key, id, [{ partNumber: 1, etag: e1.replace(/"/g, '') }]);
    expect(peer.objects().find((o) => o.key === key)?.md5).toBe(md5(final));
    expect(log.entries({ op: 'UploadPart', partNumber: 1 })).toHaveLength(2);
  });

  test('bad part number → 400 InvalidArgument; unknown upload → 404 NoSuchUpload; bad XML → 400 MalformedXML', async () => {
    const key = 'mpu/bad.bin';
    const id = await client.createMultipartUpload(B, key);
    const zero = await s3Answer(await fetch(await client.presignUploadPart(B, key, id, 0, 60), { method: 'PUT', body: 'x' }));
    expect([zero.status, zero.code]).toEqual([400, 'InvalidArgument']);
    const unknown = await s3Answer(await fetch(await client.presignUploadPart(B, key, 'no-such-upload', 1, 60), { method: 'PUT', body: 'x' }));
    expect([unknown.status, unknown.code]).toEqual([404, 'NoSuchUpload']);
    for (const body of ['<CompleteMultipartUpload><Part>', '<CompleteMultipartUpload></CompleteMultipartUpload>', 'not xml at all', '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>']) {
      const a = await s3Answer(await signedFetch('POST', objectPath(B, key), { query: { uploadId: id }, body }));
      expect([a.status, a.code]).toEqual([400, 'MalformedXML']);
    }
    await client.abortMultipartUpload(B, key, id);
  });
});

describe('malformed requests do not crash the peer', () => {
  test('unknown methods and paths, bad encoding, garbage HTTP, a client that vanishes mid-body', async () => {
    expect((await s3Answer(await fetch(`${peer.endpoint}/${B}/k`, { method: 'PATCH', body: 'x' }))).code).toBe('MethodNotAllowed');
    expect((await s3Answer(await fetch(`${peer.endpoint}/${B}/k`, { method: 'POST' }))).status).toBe(405);
    expect((await s3Answer(await fetch(`${peer.endpoint}/${B}/%E0%A4%A`))).code).toBe('InvalidURI');
    expect(await rawHttp('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    const url = new URL(await client.presignPut(B, 'vanish.bin', { expiresInSec: 60 }));
    const s = net.connect(Number(url.port), '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`);
    await new Promise((r) => setTimeout(r, 50));
    s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(peer.objects().find((o) => o.key === 'vanish.bin')).toBeUndefined();
    expect((await client.putObject(B, 'still-alive', Buffer.from('ok'), 2)).etag).toBe(`"${md5('ok')}"`);
  });
});

describe('faults', () => {
  test('status fault: 503 SlowDown with Retry-After, for `times` requests, then normal; logged with the fault', async () => {
    faults.add({ target: 's3', op: 'PutObject', times: 2, action: { status: 503, retryAfterSec: 7 } });
    const url = await client.presignPut(B, 'slow.bin', { expiresInSec: 60 });
    for (let i = 0; i < 2; i++) {
      const r = await fetch(url, { method: 'PUT', body: 'x' });
      expect(r.headers.get('retry-after')).toBe('7');
      expect(await s3Answer(r)).toMatchObject({ status: 503, code: 'SlowDown' });
    }
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(200);
    expect(faults.pending()).toEqual([]);
    expect(log.entries({ op: 'PutObject' }).map((e) => [e.status, e.fault])).toEqual([[503, 'status 503'], [503, 'status 503'], [200, undefined]]);
  });

  test('500 defaults to InternalError; a fault can target one part number or a path', async () => {
    const key = 'fault/parts.bin';
    const id = await client.createMultipartUpload(B, key);
    faults.add({ target: 's3', op: 'UploadPart', partNumber: 2, action: { status: 500 } });
    faults.add({ target: 's3', pathIncludes: 'only-this', action: { status: 403, code: 'AccessDenied', message: 'nope' } });
    const p1 = await fetch(await client.presignUploadPart(B, key, id, 1, 60), { method: 'PUT', body: 'a' });
    expect(p1.status).toBe(200);
    const p2 = await s3Answer(await fetch(await client.presignUploadPart(B, key, id, 2, 60), { method: 'PUT', body: 'b' }));
    expect([p2.status, p2.code]).toEqual([500, 'InternalError']);
    const o = await s3Answer(await fetch(await client.presignPut(B, 'x/only-this', { expiresInSec: 60 }), { method: 'PUT', body: 'c' }));
    expect([o.status, o.code, o.message]).toEqual([403, 'AccessDenied', 'nope']);
    expect(log.entries({ partNumber: 2 })[0]).toMatchObject({ op: 'UploadPart', status: 500, fault: 'status 500' });
  });

  test('reset fault: the socket is destroyed after K body bytes, no answer, nothing stored', async () => {
    faults.add({ target: 's3', op: 'PutObject', action: { resetAfterBytes: 64 * 1024 } });
    const url = await client.presignPut(B, 'reset.bin', { expiresInSec: 60 });
    await expect(fetch(url, { method: 'PUT', body: randomBytes(2 * MiB) })).rejects.toThrow();
    const e = log.entries({ op: 'PutObject' })[0];
    expect(e.status).toBe(0);
    expect(e.bytesIn).toBeGreaterThanOrEqual(64 * 1024);
    expect(e.bytesIn).toBeLessThan(2 * MiB);
    expect(peer.objects().find((o) => o.key === 'reset.bin')).toBeUndefined();
    expect((await fetch(url, { method: 'PUT', body: 'fine' })).status).toBe(200);
  });

  test('stall fault: the answer comes after the delay and is normal', async () => {
    faults.add({ target: 's3', op: 'HeadObject', action: { stallMs: 400 } });
    await client.putObject(B, 'stall.bin', Buffer.from('s'), 1);
    const t0 = Date.now();
    expect((await client.headObject(B, 'stall.bin'))?.size).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
  });

  test('expireUrlsNow: URLs signed before answer 403 "Request has expired"; URLs signed after work', async () => {
    const old = await client.presignPut(B, 'expire.bin', { expiresInSec: 3600 });
    faults.expireUrlsNow();
    expect(faults.expiredBefore()).toBeGreaterThan(0);
    const a = await s3Answer(await fetch(old, { method: 'PUT', body: 'x' }));
    expect([a.status, a.code, a.message]).toEqual([403, 'AccessDenied', 'Request has expired']);
    const fresh = await client.presignPut(B, 'expire.bin', { expiresInSec: 3600 });
    expect((await fetch(fresh, { method: 'PUT', body: 'x' })).status).toBe(200);
  });
});

describe('request log', () => {
  test('one entry per request: op, method, path without query, status, bytesIn, partNumber', async () => {
    const body = randomBytes(12345);
    const key = 'log/one two.bin';
    await fetch(await client.presignPut(B, key, { expiresInSec: 60 }), { method: 'PUT', body });
    const id = await client.createMultipartUpload(B, 'log/mp.bin');
    await fetch(await client.presignUploadPart(B, 'log/mp.bin', id, 3, 60), { method: 'PUT', body: 'abc' });
    await client.abortMultipartUpload(B, 'log/mp.bin', id);
    const all = log.entries({ target: 's3' });
    expect(all.map((e) => [e.op, e.method, e.status])).toEqual([
      ['PutObject', 'PUT', 200], ['CreateMultipartUpload', 'POST', 200], ['UploadPart', 'PUT', 200], ['AbortMultipartUpload', 'DELETE', 204],
    ]);
    expect(all[0]).toMatchObject({ path: `/${B}/log/one%20two.bin`, bytesIn: 12345 });
    expect(all[2]).toMatchObject({ partNumber: 3, bytesIn: 3 });
    expect(all.every((e) => !e.path.includes('?') && typeof e.time === 'number')).toBe(true);
  });
});
