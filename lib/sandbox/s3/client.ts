/**
 * A small S3 client for the sandbox and the interop tests: path-style addressing,
 * SigV4 by @smithy/signature-v4 (query and header auth, POST policies), HTTP by
 * node:http/https. Works against the strict peer, real S3 and Swift's s3api.
 */
import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLParser } from 'fast-xml-parser';
import { MAX_SIZE_PARAM, SIGNED_MS_PARAM, objectPath, queryString, xmlEscape } from './encode';
import { open, send, type RawAnswer } from './http';
import type { S3Target } from './types';

export type { S3Target } from './types';

/** An S3 error answer (or a 200 whose body is an <Error>). The message never carries a signature. */
export class S3Error extends Error {
  status: number;
  code: string;
  requestId?: string;
  constructor(status: number, code: string, message: string, requestId?: string) {
    super(`${code} (${status}): ${message}`);
    this.name = 'S3Error';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

const UNSIGNED = 'UNSIGNED-PAYLOAD';
const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, isArray: (name) => name === 'Part' || name === 'Contents' });

type Query = Record<string, string>;

function metaHeaders(metadata: Record<string, string> | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) h[`x-amz-meta-${k.toLowerCase()}`] = v;
  return h;
}

function errorOf(a: RawAnswer, what: string): S3Error {
  const rid = typeof a.headers['x-amz-request-id'] === 'string' ? a.headers['x-amz-request-id'] : undefined;
  let doc: Record<string, unknown> = {};
  try { doc = a.body.length ? xml.parse(a.body.toString('utf8')) : {}; } catch { /* not XML */ }
  const e = doc.Error as Record<string, string> | undefined;
  const fallback = a.status === 404 ? 'NotFound' : `Http${a.status}`;
  return new S3Error(a.status, e?.Code || fallback, e?.Message || `${what} failed`, e?.RequestId || rid);
}

function parseOk(a: RawAnswer, what: string): Record<string, unknown> {
  if (a.status >= 300) throw errorOf(a, what);
  let doc: Record<string, unknown>;
  try { doc = xml.parse(a.body.toString('utf8')); } catch { throw new S3Error(a.status, 'InvalidResponse', `${what}: answer is not XML`); }
  if (doc.Error) throw errorOf({ ...a, status: a.status }, what);
  return doc;
}

export class S3Client {
  private readonly signer: SignatureV4;
  private readonly base: URL;

  constructor(readonly target: S3Target) {
    this.base = new URL(target.endpoint);
    this.signer = new SignatureV4({
      service: 's3',
      region: target.region,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      sha256: Sha256,
      uriEscapePath: false,
    });
  }

  private url(path: string, query: Query = {}): URL {
    const qs = queryString(query);
    const prefix = this.base.pathname.replace(/\/$/, '');
    return new URL(`${this.base.protocol}//${this.base.host}${prefix}${path}${qs ? `?${qs}` : ''}`);
  }

  /** Header-signed request; the body hash is signed for strings/Buffers unless `unsignedPayload`. */
  private async call(method: string, path: string, o: { query?: Query; headers?: Record<string, string>; body?: Buffer | string | NodeJS.ReadableStream; unsignedPayload?: boolean } = {}): Promise<RawAnswer> {
    const { query = {}, body } = o;
    const signedBody = typeof body === 'string' || Buffer.isBuffer(body);
    const headers: Record<string, string> = { host: this.base.host, ...o.headers };
    headers['x-amz-content-sha256'] = !signedBody || o.unsignedPayload
      ? UNSIGNED
      : createHash('sha256').update(body as Buffer | string).digest('hex');
    const req = new HttpRequest({ method, protocol: this.base.protocol, hostname: this.base.hostname, path: this.base.pathname.replace(/\/$/, '') + path, query, headers });
    const signed = await this.signer.sign(req);
    const h = { ...(signed.headers as Record<string, string>) };
    if (signedBody) h['content-length'] = String(Buffer.byteLength(body as Buffer | string));
    return send({ method, url: this.url(path, query), headers: h, body });
  }

  /** Query-signed URL; headers given here are signed and must be sent as they are. */
  private async presign(method: string, path: string, expiresInSec: number, query: Query, headers: Record<string, string> = {}): Promise<string> {
    const now = new Date();
    const q: Query = { ...query, [SIGNED_MS_PARAM]: String(now.getTime()) };
    const names = Object.keys(headers).map((n) => n.toLowerCase());
    const req = new HttpRequest({
      method, protocol: this.base.protocol, hostname: this.base.hostname,
      path: this.base.pathname.replace(/\/$/, '') + path, query: q,
      headers: { host: this.base.host, 'x-amz-content-sha256': UNSIGNED, ...headers },
    });
    const signed = await this.signer.presign(req, {
      expiresIn: expiresInSec,
      signingDate: now,
      signableHeaders: new Set(names),
      unsignableHeaders: new Set(['x-amz-content-sha256']),
      unhoistableHeaders: new Set([...names, 'x-amz-content-sha256']),
    });
    return this.url(path, signed.query as Query).toString();
  }

  /** Creates the bucket; an existing bucket of ours is fine. */
  async createBucket(bucket: string): Promise<void> {
    const a = await this.call('PUT', objectPath(bucket));
    if (a.status < 300) return;
    const e = errorOf(a, 'CreateBucket');
    if (e.code === 'BucketAlreadyOwnedByYou' || e.code === 'BucketAlreadyExists') return;
    throw e;
  }

  /**
   * Presigned PUT; contentType, metadata and contentLength become signed headers the
   * uploader must send as they are (contentLength: the exact body size).
   */
  async presignPut(bucket: string, key: string, o: { expiresInSec: number; contentType?: string; metadata?: Record<string, string>; maxSizeBytes?: number; contentLength?: number }): Promise<string> {
    const headers = metaHeaders(o.metadata);
    if (o.contentType !== undefined) headers['content-type'] = o.contentType;
    if (o.contentLength !== undefined) headers['content-length'] = String(o.contentLength);
    const query: Query = o.maxSizeBytes !== undefined ? { [MAX_SIZE_PARAM]: String(o.maxSizeBytes) } : {};
    return this.presign('PUT', objectPath(bucket, key), o.expiresInSec, query, headers);
  }

  async presignGet(bucket: string, key: string, expiresInSec: number): Promise<string> {
    return this.presign('GET', objectPath(bucket, key), expiresInSec, {});
  }

  /** Browser form upload (SigV4 POST policy); the form's file part must come after these fields. */
  async presignPost(bucket: string, o: { keyPrefix: string; expiresInSec: number; fields?: Record<string, string>; contentLengthRange?: [number, number] }): Promise<{ url: string; fields: Record<string, string> }> {
    const now = new Date();
    const longDate = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    const credential = `${this.target.accessKeyId}/${longDate.slice(0, 8)}/${this.target.region}/s3/aws4_request`;
    const given = o.fields ?? {};
    const fields: Record<string, string> = {
      key: `${o.keyPrefix}\${filename}`,
      ...given,
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-credential': credential,
      'x-amz-date': longDate,
    };
    const conditions: unknown[] = [{ bucket }, ['starts-with', '$key', o.keyPrefix]];
    for (const [k, v] of Object.entries(given)) if (k !== 'key') conditions.push({ [k]: v });
    conditions.push({ 'x-amz-algorithm': fields['x-amz-algorithm'] }, { 'x-amz-credential': credential }, { 'x-amz-date': longDate });
    if (o.contentLengthRange) conditions.push(['content-length-range', o.contentLengthRange[0], o.contentLengthRange[1]]);
    // expiration keeps the signing time's ms, which lets the strict peer order policies minted in one second
    const policy = Buffer.from(JSON.stringify({ expiration: new Date(now.getTime() + o.expiresInSec * 1000).toISOString(), conditions })).toString('base64');
    fields.policy = policy;
    fields['x-amz-signature'] = await this.signer.sign(policy, { signingDate: now });
    return { url: this.url(objectPath(bucket)).toString(), fields };
  }

  async createMultipartUpload(bucket: string, key: string, o: { contentType?: string; metadata?: Record<string, string> } = {}): Promise<string> {
    const headers = metaHeaders(o.metadata);
    if (o.contentType !== undefined) headers['content-type'] = o.contentType;
    const doc = parseOk(await this.call('POST', objectPath(bucket, key), { query: { uploads: '' }, headers }), 'CreateMultipartUpload');
    const id = (doc.InitiateMultipartUploadResult as Record<string, string> | undefined)?.UploadId;
    if (!id) throw new S3Error(200, 'InvalidResponse', 'CreateMultipartUpload: no UploadId in the answer');
    return id;
  }

  async presignUploadPart(bucket: string, key: string, uploadId: string, partNumber: number, expiresInSec: number): Promise<string> {
    return this.presign('PUT', objectPath(bucket, key), expiresInSec, { partNumber: String(partNumber), uploadId });
  }

  /** Completes the upload; S3Error also for a 200 answer whose body is an <Error>. */
  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<{ etag: string }> {
    const body = '<CompleteMultipartUpload>' + parts.map((p) =>
      `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag></Part>`).join('') + '</CompleteMultipartUpload>';
    const a = await this.call('POST', objectPath(bucket, key), { query: { uploadId }, body, headers: { 'content-type': 'application/xml' } });
    const doc = parseOk(a, 'CompleteMultipartUpload');
    const etag = (doc.CompleteMultipartUploadResult as Record<string, string> | undefined)?.ETag;
    if (!etag) throw new S3Error(a.status, 'InvalidResponse', 'CompleteMultipartUpload: no ETag in the answer');
    return { etag };
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const a = await this.call('DELETE', objectPath(bucket, key), { query: { uploadId } });
    if (a.status >= 300) throw errorOf(a, 'AbortMultipartUpload');
  }

  /** Every uploaded part, following NextPartNumberMarker. */
  async listParts(bucket: string, key: string, uploadId: string): Promise<{ partNumber: number; etag: string; size: number }[]> {
    const out: { partNumber: number; etag: string; size: number }[] = [];
    let marker = '';
    for (;;) {
      const query: Query = { uploadId, ...(marker ? { 'part-number-marker': marker } : {}) };
      const r = parseOk(await this.call('GET', objectPath(bucket, key), { query }), 'ListParts').ListPartsResult as Record<string, unknown> | undefined;
      for (const p of (r?.Part as Record<string, string>[] | undefined) ?? []) {
        out.push({ partNumber: Number(p.PartNumber), etag: p.ETag, size: Number(p.Size) });
      }
      if (r?.IsTruncated !== 'true' || !r.NextPartNumberMarker) return out;
      marker = String(r.NextPartNumberMarker);
    }
  }

  /** Header-signed PUT with an unsigned payload; `size` is the exact body length in bytes. */
  async putObject(bucket: string, key: string, body: Buffer | NodeJS.ReadableStream, size: number, o: { contentType?: string; metadata?: Record<string, string> } = {}): Promise<{ etag: string }> {
    const headers: Record<string, string> = { ...metaHeaders(o.metadata), 'content-length': String(size) };
    if (o.contentType !== undefined) headers['content-type'] = o.contentType;
    const a = await this.call('PUT', objectPath(bucket, key), { headers, body, unsignedPayload: true });
    if (a.status >= 300) throw errorOf(a, 'PutObject');
    return { etag: String(a.headers.etag ?? '') };
  }

  /** Deletes the object; a missing object is fine (S3 answers 204 either way). */
  async deleteObject(bucket: string, key: string): Promise<void> {
    const a = await this.call('DELETE', objectPath(bucket, key));
    if (a.status >= 300 && a.status !== 404) throw errorOf(a, 'DeleteObject');
  }

  /** null when the object does not exist. */
  async headObject(bucket: string, key: string): Promise<{ size: number; etag: string; contentType?: string; metadata: Record<string, string> } | null> {
    const a = await this.call('HEAD', objectPath(bucket, key));
    if (a.status === 404) return null;
    if (a.status >= 300) throw errorOf(a, 'HeadObject');
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(a.headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
    const ct = a.headers['content-type'];
    return { size: Number(a.headers['content-length'] ?? 0), etag: String(a.headers.etag ?? ''), contentType: ct, metadata };
  }

  /** Hex MD5 of the object's bytes, computed while streaming the GET answer. */
  async getObjectMd5(bucket: string, key: string): Promise<string> {
    const path = objectPath(bucket, key);
    const req = new HttpRequest({ method: 'GET', protocol: this.base.protocol, hostname: this.base.hostname, path: this.base.pathname.replace(/\/$/, '') + path, headers: { host: this.base.host, 'x-amz-content-sha256': UNSIGNED } });
    const signed = await this.signer.sign(req);
    const res = await open({ method: 'GET', url: this.url(path), headers: signed.headers as Record<string, string> });
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw errorOf({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }, 'GetObject');
    }
    const h = createHash('md5');
    for await (const c of res) h.update(c as Buffer);
    return h.digest('hex');
  }

  /** Every object of the bucket (ListObjectsV2, following continuation tokens). */
  async listObjects(bucket: string): Promise<{ key: string; size: number; etag: string }[]> {
    const out: { key: string; size: number; etag: string }[] = [];
    let token = '';
    for (;;) {
      const query: Query = { 'list-type': '2', ...(token ? { 'continuation-token': token } : {}) };
      const r = parseOk(await this.call('GET', objectPath(bucket), { query }), 'ListObjectsV2').ListBucketResult as Record<string, unknown> | undefined;
      for (const c of (r?.Contents as Record<string, string>[] | undefined) ?? []) {
        out.push({ key: c.Key, size: Number(c.Size), etag: c.ETag });
      }
      if (r?.IsTruncated !== 'true' || !r.NextContinuationToken) return out;
      token = String(r.NextContinuationToken);
    }
  }
}
