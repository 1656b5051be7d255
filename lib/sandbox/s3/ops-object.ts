/**
 * Bucket and single-object operations of the strict S3 peer: CreateBucket, HeadBucket,
 * DeleteBucket, ListBuckets, ListObjectsV2, PutObject, GetObject, HeadObject,
 * DeleteObject. Each runs after auth and answers through the request context.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Verifier } from './auth';
import { contentMd5, declaredSize, receiveToFile, readSmallBody, type Received } from './body';
import { S3Fail, type Ctx } from './context';
import { MAX_SIZE_PARAM, xmlEscape } from './encode';
import type { ObjectRec, Store } from './store';
import type { Faults } from '../faults';

/** S3's cap for one PUT or one part, bytes (5 GiB) */
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024 * 1024;
const XMLNS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

export interface PeerEnv {
  store: Store;
  region: string;
  faults: Faults;
  verifier: Verifier;
  accessKeyId: string;
}

/** x-amz-meta-* request headers → metadata (names lower-cased, prefix removed). */
export function metadataFromHeaders(ctx: Ctx): Record<string, string> {
  const m: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (k.startsWith('x-amz-meta-') && v !== undefined) m[k.slice(11)] = Array.isArray(v) ? v.join(',') : v;
  }
  return m;
}

/** Body cap in bytes: 5 GiB, or the signed x-uplift-max-size when smaller. */
function sizeCap(ctx: Ctx): number {
  const v = ctx.q(MAX_SIZE_PARAM);
  if (v === undefined) return MAX_OBJECT_BYTES;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new S3Fail('InvalidArgument', `${MAX_SIZE_PARAM} must be a non-negative integer`);
  return Math.min(n, MAX_OBJECT_BYTES);
}

/**
 * Receives a PUT body into a new file under the cap, then checks Content-MD5 and a signed
 * payload hash. On any failure the file is gone and an S3Fail is thrown.
 */
export async function receiveBody(ctx: Ctx, env: PeerEnv): Promise<Received & { file: string }> {
  const cap = sizeCap(ctx);
  const md5 = contentMd5(ctx);
  declaredSize(ctx, cap);
  const file = env.store.tempFile();
  ctx.startBody();
  const r = await receiveToFile(ctx.req, file, cap, (n) => { ctx.bytesIn += n; }, ctx.signedSha256 !== undefined);
  if ('tooLarge' in r) throw new S3Fail('EntityTooLarge');
  const bad = md5 !== undefined && md5 !== r.md5B64 ? 'BadDigest'
    : ctx.signedSha256 !== undefined && ctx.signedSha256 !== r.sha256Hex ? 'XAmzContentSHA256Mismatch' : undefined;
  if (bad) {
    await fsp.rm(file, { force: true });
    throw new S3Fail(bad);
  }
  return { ...r, file };
}

export function requireBucket(env: PeerEnv, bucket: string): void {
  if (!env.store.buckets.has(bucket)) throw new S3Fail('NoSuchBucket');
}

function objectHeaders(o: ObjectRec): Record<string, string | number> {
  const h: Record<string, string | number> = {
    etag: o.etag,
    'content-length': o.size,
    'content-type': o.contentType ?? 'binary/octet-stream',
    'last-modified': o.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(o.metadata)) h[`x-amz-meta-${k}`] = v;
  return h;
}

const BUCKET_NAME = /^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/;

export async function createBucket(ctx: Ctx, env: PeerEnv, bucket: string): Promise<void> {
  await readSmallBody(ctx, 64 * 1024);
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) throw new S3Fail('InvalidBucketName');
  if (env.store.buckets.has(bucket)) {
    // us-east-1 answers 200 to the owner re-creating a bucket; other regions 409
    if (env.region !== 'us-east-1') throw new S3Fail('BucketAlreadyOwnedByYou');
  } else {
    env.store.buckets.set(bucket, new Date());
  }
  ctx.send(200, { location: `/${bucket}` });
}

export function headBucket(ctx: Ctx, env: PeerEnv, bucket: string): void {
  if (!env.store.buckets.has(bucket)) { ctx.send(404); return; }
  ctx.send(200, { 'x-amz-bucket-region': env.region });
}

export function deleteBucket(ctx: Ctx, env: PeerEnv, bucket: string): void {
  requireBucket(env, bucket);
  if (!env.store.bucketEmpty(bucket)) throw new S3Fail('BucketNotEmpty');
  env.store.deleteBucket(bucket);
  ctx.send(204);
}

export function listBuckets(ctx: Ctx, env: PeerEnv): void {
  const items = [...env.store.buckets].map(([name, d]) => `<Bucket><Name>${xmlEscape(name)}</Name><CreationDate>${d.toISOString()}</CreationDate></Bucket>`).join('');
  ctx.xml(200, `<ListAllMyBucketsResult ${XMLNS}><Owner><ID>${xmlEscape(env.accessKeyId)}</ID></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`);
}

/** ListObjectsV2 with prefix, start-after, max-keys (default 1000) and continuation tokens (no delimiter). */
export function listObjectsV2(ctx: Ctx, env: PeerEnv, bucket: string): void {
  requireBucket(env, bucket);
  const prefix = ctx.q('prefix') ?? '';
  const maxKeys = ctx.q('max-keys') === undefined ? 1000 : Number(ctx.q('max-keys'));
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new S3Fail('InvalidArgument', 'Provided max-keys not an integer or within integer range');
  const token = ctx.q('continuation-token');
  let after = ctx.q('start-after') ?? '';
  if (token !== undefined) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after) throw new S3Fail('InvalidArgument', 'The continuation token provided is incorrect');
  }
  const keys = [...env.store.objectsOf(bucket).values()]
    .filter((o) => o.key.startsWith(prefix) && o.key > after)
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  const page = keys.slice(0, Math.min(maxKeys, 1000));
  const truncated = keys.length > page.length;
  const contents = page.map((o) => `<Contents><Key>${xmlEscape(o.key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('');
  const next = truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1].key).toString('base64url')}</NextContinuationToken>` : '';
  const tokenXml = token !== undefined ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '';
  ctx.xml(200, `<ListBucketResult ${XMLNS}><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${tokenXml}${next}${contents}</ListBucketResult>`);
}

export async function putObject(ctx: Ctx, env: PeerEnv, bucket: string, key: string): Promise<void> {
  requireBucket(env, bucket);
  if (ctx.header('x-amz-copy-source') !== undefined) throw new S3Fail('NotImplemented', 'CopyObject is not supported by this peer');
  const r = await receiveBody(ctx, env);
  const etag = `"${r.md5Hex}"`;
  await env.store.putObject({ bucket, key, size: r.size, md5: r.md5Hex, etag, contentType: ctx.header('content-type'), metadata: metadataFromHeaders(ctx), file: r.file, lastModified: new Date() });
  ctx.send(200, { etag });
}

export async function getObject(ctx: Ctx, env: PeerEnv, bucket: string, key: string, head: boolean): Promise<void> {
  const o = env.store.getObject(bucket, key);
  if (!o) {
    if (head) { ctx.send(404); return; }
    requireBucket(env, bucket);
    throw new S3Fail('NoSuchKey');
  }
  if (head) { ctx.send(200, objectHeaders(o)); return; }
  const range = byteRange(ctx.req.headers.range, o.size);
  if (range === 'unsatisfiable') {
    throw new S3Fail('InvalidRange', undefined, undefined, { RangeRequested: String(ctx.req.headers.range), ActualObjectSize: String(o.size) });
  }
  const rs = range ? createReadStream(o.file, { start: range[0], end: range[1] }) : createReadStream(o.file);
  await new Promise<void>((resolve, reject) => { rs.once('open', () => resolve()); rs.once('error', reject); });
  const headers: Record<string, string | number> = { 'x-amz-request-id': ctx.requestId, 'x-amz-id-2': ctx.requestId, ...objectHeaders(o) };
  if (range) {
    headers['content-length'] = range[1] - range[0] + 1;
    headers['content-range'] = `bytes ${range[0]}-${range[1]}/${o.size}`;
  }
  ctx.res.writeHead(range ? 206 : 200, headers);
  await pipeline(rs, ctx.res).catch(() => undefined);
}

/**
 * S3's reading of a GET Range header: one `bytes=a-b`, `bytes=a-` or `bytes=-n` range gives
 * 206 with those bytes (b clipped to the end); a first byte past the end is 416 InvalidRange;
 * anything else (no header, several ranges, other units, syntax S3 ignores) the whole object.
 */
export function byteRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : [Math.max(0, size - n), size - 1];
  }
  const a = Number(m[1]);
  const b = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < a) return undefined;
  if (a >= size) return 'unsatisfiable';
  return [a, b];
}

export async function deleteObject(ctx: Ctx, env: PeerEnv, bucket: string, key: string): Promise<void> {
  requireBucket(env, bucket);
  await env.store.deleteObject(bucket, key);
  ctx.send(204);
}
