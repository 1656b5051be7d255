// Scripe uploads client (auth `Bearer <api key>`, header Scripe-Api-Version): presign mints
// one presigned S3 PUT that signs the Content-Type and a size cap ('scripe.presign'); the PUT
// sends exactly that Content-Type (the engine's putPresigned); 'scripe.uploadFile' does both.
// Under every reading of the doc: uploadFile asks for maxSizeBytes = the file's exact size
// (right whether S3 caps the size or signs an exact Content-Length); the caps may be MB or
// MiB, so the listed types are checked locally against the smaller (decimal MB); the type
// list is examples, so a type outside it is left to the server (its 422 becomes an
// UnsupportedTypeError).
import type { Engine } from '../engine';
import { InvalidArgumentError, TooLargeError, UnsupportedTypeError, UpliftError } from '../errors';
import { runNative, safeProgress } from '../run';
import { checkContentType, checkInteger, checkSource, checkString, checkUrl, invalid, isPlainObject } from '../validate';
import {
  checkBaseUrl, checkCall, checkClientEngine, checkClientOptions, checkSecret, checkUpload, construct, contentTypeFor, guard, jobFields,
  nameOfSource, pickEngine, runTypedOp, withSources, withStreamingSources, type CallOptions, type Source, type VendorUploadOptions,
} from './common';
import { SCRIPE_DEFAULT_API_VERSION } from './facts';

export const SCRIPE_DEFAULT_BASE_URL = 'https://api.scripe.io';
// from the one table the engine uses too (src/core/vendors/facts.json)
export { SCRIPE_DEFAULT_API_VERSION };

const MB = 1_000_000;
/**
 * The doc's listed content types and their cap per object, in bytes, read in decimal MB
 * (the smaller of the two readings; the server may allow up to the MiB values).
 */
export const SCRIPE_CAPS: Readonly<Record<string, number>> = {
  'audio/mpeg': 500 * MB, 'audio/wav': 500 * MB, 'audio/mp4': 500 * MB,
  'video/mp4': 1000 * MB, 'video/quicktime': 1000 * MB,
  'application/pdf': 50 * MB, 'text/plain': 50 * MB, 'text/markdown': 50 * MB, 'text/html': 50 * MB,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 50 * MB,
  'image/png': 25 * MB, 'image/jpeg': 25 * MB,
};

export interface ScripeClientOptions {
  apiKey: string;
  /** Scripe-Api-Version header; default '2026-08-01'. */
  apiVersion?: string;
  /** Default https://api.scripe.io. */
  baseUrl?: string;
  engine?: Engine;
}

export interface ScripePresignOptions extends CallOptions {
  /** A SCRIPE_CAPS key, or another type the server decides on. */
  contentType: string;
  /** Bytes the PUT will carry at most (1..the type's cap); default: the server's cap. Some deployments sign it as the exact Content-Length: pass the file's size. */
  maxSizeBytes?: number;
}

/** A minted upload: PUT the bytes to uploadUrl with Content-Type = contentType. */
export interface ScripeUpload {
  /** Opaque upload id for /v1/sources and /v1/knowledge. */
  id: string;
  uploadUrl: string;
  method: string;
  contentType: string;
  maxSizeBytes: number;
  /** ISO 8601; sign time + 15 minutes. */
  expiresAt: string;
}

export interface ScripePutResult { status: number; etag: string; bytes: number; md5: string }

export interface ScripeUploadFileOptions extends VendorUploadOptions {
  /** Default: the stream's contentType, else inferred from the file name. */
  contentType?: string;
  /** A local limit: a larger source is refused before any request. The presign always asks for the source's exact size. */
  maxSizeBytes?: number;
}

export interface ScripeUploadFileResult {
  uploadId: string;
  uploadUrl: string;
  contentType: string;
  maxSizeBytes: number;
  expiresAt: string;
  bytes: number;
  md5: string;
}

const VENDOR = 'scripe';

/** The lower-cased content type and its cap (undefined for a type the doc does not list: the server decides). */
function capOf(field: string, v: unknown): { contentType: string; cap: number | undefined } {
  const contentType = checkContentType(field, v).toLowerCase();
  return { contentType, cap: SCRIPE_CAPS[contentType] };
}

function checkMaxSize(field: string, v: unknown, cap: number | undefined, contentType: string): number | undefined {
  if (v === undefined) return undefined;
  const n = checkInteger(field, v, { min: 1 });
  if (cap !== undefined && n > cap) {
    throw new InvalidArgumentError(`${field} is ${n} but Scripe caps ${contentType} at ${cap} bytes (500 MB read as 500,000,000)`, { field, received: String(n) });
  }
  return n;
}

/** Scripe's 422 for a type outside its list, as an UnsupportedTypeError; other errors unchanged. */
function typeRefused(e: unknown, contentType: string, listed: boolean): unknown {
  if (!listed && e instanceof UpliftError && e.code === 'ERR_UPLIFT_VENDOR' && e.status === 422) {
    return new UnsupportedTypeError(`Scripe does not accept ${JSON.stringify(contentType)}: ${e.message}`, {
      vendor: VENDOR, contentType, status: 422, vendorCode: e.vendorCode, cause: e,
    });
  }
  return e;
}

function tooLarge(size: number, max: number, contentType: string): TooLargeError {
  return new TooLargeError(`the source has ${size} bytes, over the ${max}-byte limit for ${contentType}`, { vendor: VENDOR, sizeBytes: size, maxSizeBytes: max });
}

function checkMinted(v: unknown): ScripeUpload {
  if (!isPlainObject(v)) throw invalid('upload', 'the object presign() answered: { id, uploadUrl, contentType, maxSizeBytes, ... }', v);
  if (v.method !== undefined && v.method !== 'PUT') throw invalid('upload.method', '"PUT"', v.method);
  return {
    id: checkString('upload.id', v.id, { nonEmpty: true }),
    uploadUrl: checkUrl('upload.uploadUrl', v.uploadUrl),
    method: 'PUT',
    contentType: checkContentType('upload.contentType', v.contentType),
    maxSizeBytes: checkInteger('upload.maxSizeBytes', v.maxSizeBytes, { min: 1 }),
    expiresAt: v.expiresAt === undefined ? '' : checkString('upload.expiresAt', v.expiresAt),
  };
}

export class ScripeClient {
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly #apiKey: string;
  readonly #engine: Engine | undefined;

  constructor(options: ScripeClientOptions) {
    const o = checkClientOptions(VENDOR, options, ['apiKey', 'apiVersion', 'baseUrl', 'engine']);
    this.#apiKey = checkSecret('options.apiKey', o.apiKey);
    this.apiVersion = o.apiVersion === undefined
      ? SCRIPE_DEFAULT_API_VERSION
      : checkString('options.apiVersion', o.apiVersion, { pattern: /^\d{4}-\d{2}-\d{2}$/, expected: 'a version date such as "2026-08-01"' });
    this.baseUrl = checkBaseUrl('options.baseUrl', o.baseUrl, SCRIPE_DEFAULT_BASE_URL);
    this.#engine = checkClientEngine('options.engine', o.engine);
  }

  /** Mints a presigned PUT for one file of `contentType`, at most `maxSizeBytes`. */
  presign(options: ScripePresignOptions): Promise<ScripeUpload> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(options)) throw invalid('options', 'an options object { contentType, maxSizeBytes? }', options);
      const common = checkCall('options', options, ['contentType', 'maxSizeBytes']);
      const { contentType, cap } = capOf('options.contentType', options.contentType);
      const maxSizeBytes = checkMaxSize('options.maxSizeBytes', options.maxSizeBytes, cap, contentType);
      const r = await runTypedOp<'scripe.presign', ScripeUpload>(pickEngine(common, this.#engine), 'scripe.presign', {
        baseUrl: this.baseUrl, apiKey: this.#apiKey, apiVersion: this.apiVersion, contentType,
        ...(maxSizeBytes !== undefined ? { maxSizeBytes } : {}),
      }, { vendor: VENDOR, site, signal: common.signal, job: common.job }).catch((e: unknown) => { throw typeRefused(e, contentType, cap !== undefined); });
      return { id: r.id, uploadUrl: r.uploadUrl, method: r.method, contentType: r.contentType, maxSizeBytes: r.maxSizeBytes, expiresAt: r.expiresAt };
    });
  }

  /** PUTs the raw bytes with exactly the signed Content-Type; TooLargeError before sending when over the cap. */
  upload(upload: ScripeUpload, source: Source, options?: VendorUploadOptions): Promise<ScripePutResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const u = checkMinted(upload);
      const common = checkUpload('options', options, []);
      const engine = pickEngine(common, this.#engine);
      return withStreamingSources([checkSource('source', source)], common, async ([r]) => {
        if (r.size > u.maxSizeBytes) throw tooLarge(r.size, u.maxSizeBytes, u.contentType);
        const out = await runNative(
          () => engine.nativeEngine().putPresigned(
            { url: u.uploadUrl, method: 'PUT', headers: [['Content-Type', u.contentType]], source: r.native, ...jobFields(common.job) },
            safeProgress(common.onProgress),
          ),
          { signal: common.signal, onProgress: common.onProgress, vendor: VENDOR, site },
        );
        return { status: out.status, etag: out.etag, bytes: out.bytes, md5: out.md5 };
      });
    });
  }

  /** Presign and PUT in one call: `{ uploadId, ... }`. */
  uploadFile(source: Source, options?: ScripeUploadFileOptions): Promise<ScripeUploadFileResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const common = checkUpload('options', options, ['contentType', 'maxSizeBytes']);
      const src = checkSource('source', source);
      const explicit = options?.contentType === undefined ? undefined : checkContentType('options.contentType', options.contentType);
      const name = nameOfSource(src);
      return withStreamingSources([src], common, async ([r]) => {
        const type = contentTypeFor(explicit, r, name, '');
        if (type === '') throw invalid('options.contentType', 'a content type (none can be inferred from this source)', options?.contentType);
        const { contentType, cap } = capOf(explicit !== undefined ? 'options.contentType' : 'the inferred content type', type);
        const limit = checkMaxSize('options.maxSizeBytes', options?.maxSizeBytes, cap, contentType) ?? cap;
        if (limit !== undefined && r.size > limit) throw tooLarge(r.size, limit, contentType);
        // the exact size: right whether the URL caps the size or signs the Content-Length
        // (an empty file asks for 1, the least Scripe takes)
        const out = await runTypedOp<'scripe.uploadFile', ScripeUploadFileResult>(pickEngine(common, this.#engine), 'scripe.uploadFile', {
          baseUrl: this.baseUrl, apiKey: this.#apiKey, apiVersion: this.apiVersion, source: r.native, contentType, maxSizeBytes: Math.max(1, r.size),
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job })
          .catch((e: unknown) => { throw typeRefused(e, contentType, cap !== undefined); });
        return {
          uploadId: out.uploadId, uploadUrl: out.uploadUrl, contentType: out.contentType, maxSizeBytes: out.maxSizeBytes,
          expiresAt: out.expiresAt, bytes: out.bytes, md5: out.md5,
        };
      });
    });
  }
}

/** A Scripe client: `scripe.client({ apiKey, apiVersion?, baseUrl? })`. */
export function client(options: ScripeClientOptions): ScripeClient {
  return construct(VENDOR, () => new ScripeClient(options));
}
