/**
 * Multipart upload operations of the strict S3 peer: CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload (InvalidPartOrder, InvalidPart, EntityTooSmall, md5-of-md5s-N
 * ETag), AbortMultipartUpload and ListParts.
 */
import { promises as fsp } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { readSmallBody } from './body';
import { S3Fail, type Ctx } from './context';
import { xmlEscape } from './encode';
import { metadataFromHeaders, receiveBody, requireBucket, type PeerEnv } from './ops-object';
import type { PartRec, Upload } from './store';

/** smallest size of every part but the last, bytes (5 MiB) */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** largest CompleteMultipartUpload body the peer reads, bytes */
const MAX_COMPLETE_XML_BYTES = 4 * 1024 * 1024;
const XMLNS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, isArray: (n) => n === 'Part' });

const unquote = (e: string): string => e.replace(/^"|"$/g, '');

/** The upload named by ?uploadId, which must belong to bucket/key. */
function uploadOf(ctx: Ctx, env: PeerEnv, bucket: string, key: string): Upload {
  const u = env.store.uploads.get(ctx.q('uploadId') ?? '');
  if (!u || u.bucket !== bucket || u.key !== key) throw new S3Fail('NoSuchUpload');
  return u;
}

/** Part number from ?partNumber: an integer 1..10000. */
export function partNumberOf(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 10000 ? n : undefined;
}

export async function createUpload(ctx: Ctx, env: PeerEnv, bucket: string, key: string): Promise<void> {
  requireBucket(env, bucket);
  await readSmallBody(ctx, 64 * 1024);
  const u = env.store.createUpload(bucket, key, ctx.header('content-type'), metadataFromHeaders(ctx));
  ctx.xml(200, `<InitiateMultipartUploadResult ${XMLNS}><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(u.id)}</UploadId></InitiateMultipartUploadResult>`);
}

export async function uploadPart(ctx: Ctx, env: PeerEnv, bucket: string, key: string): Promise<void> {
  requireBucket(env, bucket);
  const n = partNumberOf(ctx.q('partNumber'));
  if (n === undefined) throw new S3Fail('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
  const u = uploadOf(ctx, env, bucket, key);
  const r = await receiveBody(ctx, env);
  if (!env.store.uploads.has(u.id)) {
    // aborted or completed while this part was arriving
    await fsp.rm(r.file, { force: true });
    throw new S3Fail('NoSuchUpload');
  }
  const etag = `"${r.md5Hex}"`;
  const old = u.parts.get(n);
  u.parts.set(n, { partNumber: n, etag, md5Hex: r.md5Hex, size: r.size, file: r.file, lastModified: new Date() });
  if (old) await fsp.rm(old.file, { force: true });
  ctx.send(200, { etag });
}

/** The <Part> list of a CompleteMultipartUpload body; MalformedXML when it is not one. */
function parseCompleteBody(body: Buffer): { partNumber: number; etag: string }[] {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body.toString('utf8'), true) as Record<string, unknown>;
  } catch {
    throw new S3Fail('MalformedXML');
  }
  const root = doc.CompleteMultipartUpload as Record<string, unknown> | undefined;
  const parts = (root && typeof root === 'object' ? root.Part : undefined) as Record<string, unknown>[] | undefined;
  if (!parts || parts.length === 0) throw new S3Fail('MalformedXML');
  return parts.map((p) => {
    const num = typeof p?.PartNumber === 'string' ? partNumberOf(p.PartNumber) : undefined;
    if (num === undefined || typeof p.ETag !== 'string') throw new S3Fail('MalformedXML');
    return { partNumber: num, etag: p.ETag };
  });
}

export async function completeUpload(ctx: Ctx, env: PeerEnv, bucket: string, key: string): Promise<void> {
  requireBucket(env, bucket);
  const u = uploadOf(ctx, env, bucket, key);
  const listed = parseCompleteBody(await readSmallBody(ctx, MAX_COMPLETE_XML_BYTES));
  if (!env.store.uploads.has(u.id)) throw new S3Fail('NoSuchUpload');
  const chosen: PartRec[] = [];
  let prev = 0;
  for (const p of listed) {
    if (p.partNumber <= prev) throw new S3Fail('InvalidPartOrder');
    prev = p.partNumber;
    const have = u.parts.get(p.partNumber);
    if (!have || unquote(have.etag) !== unquote(p.etag)) throw new S3Fail('InvalidPart');
    chosen.push(have);
  }
  chosen.forEach((p, i) => {
    if (i < chosen.length - 1 && p.size < MIN_PART_BYTES) {
      throw new S3Fail('EntityTooSmall', `Your proposed upload is smaller than the minimum allowed object size. Part ${p.partNumber} is ${p.size} bytes; every part but the last must be at least ${MIN_PART_BYTES} bytes.`);
    }
  });
  // from here on the upload is consumed; a concurrent Complete/Abort/UploadPart sees NoSuchUpload
  env.store.uploads.delete(u.id);
  let whole: Awaited<ReturnType<typeof env.store.assemble>>;
  try {
    whole = await env.store.assemble(chosen);
  } catch (e) {
    env.store.uploads.set(u.id, u);
    throw e;
  }
  await env.store.dropUpload(u);
  await env.store.putObject({ bucket, key, size: whole.size, md5: whole.md5Hex, etag: whole.etag, contentType: u.contentType, metadata: u.metadata, file: whole.file, lastModified: new Date() });
  ctx.xml(200, `<CompleteMultipartUploadResult ${XMLNS}><Location>${xmlEscape(`/${bucket}/${key}`)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(whole.etag)}</ETag></CompleteMultipartUploadResult>`);
}

export async function abortUpload(ctx: Ctx, env: PeerEnv, bucket: string, key: string): Promise<void> {
  requireBucket(env, bucket);
  const u = uploadOf(ctx, env, bucket, key);
  await env.store.dropUpload(u);
  ctx.send(204);
}

/** ListParts with part-number-marker and max-parts (default 1000). */
export function listParts(ctx: Ctx, env: PeerEnv, bucket: string, key: string): void {
  requireBucket(env, bucket);
  const u = uploadOf(ctx, env, bucket, key);
  const marker = Number(ctx.q('part-number-marker') ?? 0);
  const max = Number(ctx.q('max-parts') ?? 1000);
  if (!Number.isInteger(marker) || marker < 0 || !Number.isInteger(max) || max < 0) throw new S3Fail('InvalidArgument', 'max-parts and part-number-marker must be non-negative integers');
  const all = [...u.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, Math.min(max, 1000));
  const truncated = all.length > page.length;
  const next = page.length ? page[page.length - 1].partNumber : marker;
  const items = page.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${p.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(p.etag)}</ETag><Size>${p.size}</Size></Part>`).join('');
  ctx.xml(200, `<ListPartsResult ${XMLNS}><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(u.id)}</UploadId><PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${next}</NextPartNumberMarker><MaxParts>${max}</MaxParts><IsTruncated>${truncated}</IsTruncated>${items}</ListPartsResult>`);
}
