// URL sources under faults: a 503 on one range is retried, an object rewritten mid-upload
// (new ETag) fails with ERR_UPLIFT_SOURCE_CHANGED, a server that ignores Range fails typed,
// bad inputs are typed, the URL's signature never shows, and abort settles promptly.
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Engine, putPresigned, uploadPresignedParts, UpliftError } from '../../lib';
import { Faults } from '../../lib/sandbox/faults';
import { RequestLog } from '../../lib/sandbox/log';
import { S3Client } from '../../lib/sandbox/s3/client';
import { startS3Peer, type S3Peer } from '../../lib/sandbox/s3/peer';

const MiB = 1024 * 1024;
const B = 'url-faults';
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

let peer: S3Peer;
let client: S3Client;
let engine: Engine;
const log = new RequestLog();
const faults = new Faults();
let data: Buffer;
let srcUrl: string;
let sig: string;

beforeAll(async () => {
  peer = await startS3Peer({ log, faults });
  client = new S3Client({ endpoint: peer.endpoint, region: peer.region, accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey });
  await client.createBucket(B);
  data = randomBytes(12 * MiB + 7);
  await client.putObject(B, 'rec.wav', data, data.length);
  srcUrl = await client.presignGet(B, 'rec.wav', 600);
  sig = new URL(srcUrl).searchParams.get('X-Amz-Signature') as string;
  engine = new Engine({ retry: { baseDelayMs: 10, maxDelayMs: 200 } });
});
afterAll(async () => {
  await engine.close();
  await peer.close();
});
afterEach(() => {
  faults.clear();
  log.clear();
});

const sourceGets = () => log.entries({ op: 'GetObject' }).filter((e) => e.path.endsWith('/rec.wav'));

async function presignParts(key: string, size: number, partSize: number): Promise<{ uploadId: string; parts: { partNumber: number; url: string }[] }> {
  const uploadId = await client.createMultipartUpload(B, key);
  const parts = [];
  for (let i = 1; i <= Math.ceil(size / partSize); i++) parts.push({ partNumber: i, url: await client.presignUploadPart(B, key, uploadId, i, 600) });
  return { uploadId, parts };
}

function secretFree(e: unknown): void {
  const text = JSON.stringify({ m: (e as Error).message, s: (e as Error).stack, j: e });
  expect(text).not.toContain(sig);
}

test('a 503 on one range GET is retried and the upload succeeds (one extra range request)', async () => {
  faults.add({ target: 's3', op: 'GetObject', pathIncludes: 'rec.wav', action: { status: 503, code: 'SlowDown' } });
  const { uploadId, parts } = await presignParts('retry.bin', data.length, 5 * MiB);
  const r = await uploadPresignedParts(parts, { url: srcUrl, size: data.length }, { engine, partSizeBytes: 5 * MiB, concurrency: 1, md5: false });
  await client.completeMultipartUpload(B, 'retry.bin', uploadId, r.parts);
  expect(peer.objects().find((o) => o.key === 'retry.bin')?.md5).toBe(md5(data));
  const gets = sourceGets();
  expect(gets.map((g) => g.status)).toEqual([503, 206, 206, 206]);
  expect(gets[0].range).toBe(gets[1].range); // the failed range was fetched again, from its start
});

test('the object rewritten mid-upload (new ETag) fails with ERR_UPLIFT_SOURCE_CHANGED', async () => {
  await client.putObject(B, 'moving.wav', data, data.length);
  const url = await client.presignGet(B, 'moving.wav', 600);
  const { parts } = await presignParts('moving-copy.bin', data.length, 5 * MiB);
  let rewritten: Promise<unknown> | undefined;
  const err = await uploadPresignedParts(parts, { url, size: data.length }, {
    engine, partSizeBytes: 5 * MiB, concurrency: 1, md5: false, maxBytesPerSecond: 8 * MiB,
    onProgress: (p) => {
      if (!rewritten && p.bytesSent > MiB) rewritten = client.putObject(B, 'moving.wav', randomBytes(data.length), data.length);
    },
  }).then(() => undefined, (e: unknown) => e);
  await rewritten;
  expect(err).toBeInstanceOf(UpliftError);
  expect((err as UpliftError).code).toBe('ERR_UPLIFT_SOURCE_CHANGED');
  expect((err as Error).message).toMatch(/moving\.wav.*ETag changed/);
  expect((err as UpliftError).retryable).toBe(false);
  secretFree(err);
});

test('a server that ignores Range (200 for a later part) fails typed, not silently', async () => {
  const body = randomBytes(3 * MiB);
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-length': body.length, etag: '"fixed"' });
    res.end(body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const port = (srv.address() as AddressInfo).port;
    const { parts } = await presignParts('norange.bin', body.length, 2 * MiB);
    const err = await uploadPresignedParts(
      parts,
      { url: `http://127.0.0.1:${port}/rec.wav?token=${sig}`, size: body.length },
      { engine, partSizeBytes: 2 * MiB, concurrency: 2, md5: false },
    ).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UpliftError);
    expect((err as UpliftError).code).toBe('ERR_UPLIFT_SOURCE_CHANGED');
    expect((err as Error).message).toMatch(/ignored the Range header/);
    secretFree(err);
  } finally {
    await new Promise((r) => srv.close(r));
  }
});

test('bad URL sources are typed ERR_UPLIFT_INVALID_ARGUMENT naming the field, without the signature', async () => {
  const put = await client.presignPut(B, 'bad.bin', { expiresInSec: 600 });
  const cases: [unknown, string][] = [
    [{ url: `ftp://h/x?X-Amz-Signature=${sig}` }, 'source.url'],
    [{ url: 'not a url' }, 'source.url'],
    [{ url: srcUrl, headers: { Authorization: 'Bearer a\r\nX: y' } }, 'source.headers["Authorization"]'],
    [{ url: srcUrl, headers: { Range: 'bytes=0-1' } }, 'source.headers["Range"]'],
    [{ url: srcUrl, headers: { 'x-n': 5 } }, 'source.headers["x-n"]'],
    [{ url: srcUrl, size: -1 }, 'source.size'],
    [{ url: srcUrl, size: 1.5 }, 'source.size'],
    [{ url: srcUrl, sise: 5 }, 'source.sise'],
  ];
  for (const [source, field] of cases) {
    const err = await putPresigned(put, source as never, { engine }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UpliftError);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_INVALID_ARGUMENT', field });
    secretFree(err);
    expect((err as Error).message).not.toContain('Bearer a');
  }
  expect(log.entries()).toHaveLength(0);
});

test('source headers go with every GET and never show in errors', async () => {
  const seen: (string | undefined)[] = [];
  const srv = http.createServer((req, res) => {
    seen.push(req.headers['x-team-token'] as string | undefined);
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('forbidden');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const port = (srv.address() as AddressInfo).port;
    const put = await client.presignPut(B, 'h.bin', { expiresInSec: 600 });
    const token = 'tok-3f9a8b7c6d5e4f3a2b1c';
    const err = await putPresigned(put, { url: `http://127.0.0.1:${port}/a.wav`, headers: { 'X-Team-Token': token } }, { engine }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_UPLIFT_HTTP', status: 403 });
    expect(seen).toEqual([token]);
    expect(JSON.stringify({ m: (err as Error).message, s: (err as Error).stack, j: err })).not.toContain(token);
  } finally {
    await new Promise((r) => srv.close(r));
  }
});

/** Starts an upload, aborts it 300 ms in; its error and how long it took to settle after abort(). */
async function abortMidway(start: (signal: AbortSignal) => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const ac = new AbortController();
  const p = start(ac.signal);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  ac.abort();
  const err = await p.then(() => undefined, (e: unknown) => e);
  return { err, ms: Date.now() - t0 };
}

test('abort during a URL-sourced upload whose GETs stall settles promptly', async () => {
  faults.add({ target: 's3', op: 'GetObject', pathIncludes: 'rec.wav', times: 4, action: { stallMs: 10_000 } });
  const put = await client.presignPut(B, 'abort.bin', { expiresInSec: 600 });
  const { err, ms } = await abortMidway((signal) => putPresigned(put, { url: srcUrl, size: data.length }, { engine, signal }));
  expect(ms).toBeLessThan(1000);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_ABORTED' });
  expect(peer.objects().find((o) => o.key === 'abort.bin')).toBeUndefined();
});

test('abort during the size probe settles promptly', async () => {
  faults.add({ target: 's3', op: 'GetObject', pathIncludes: 'rec.wav', action: { stallMs: 10_000 } });
  const put = await client.presignPut(B, 'abort2.bin', { expiresInSec: 600 });
  const { err, ms } = await abortMidway((signal) => putPresigned(put, { url: srcUrl }, { engine, signal }));
  expect(ms).toBeLessThan(1000);
  expect(err).toMatchObject({ code: 'ERR_UPLIFT_ABORTED' });
});
