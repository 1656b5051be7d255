// Heify client (auth `x-api-key`): request an upload URL ('heify.presign', 5-minute life),
// then PUT the bytes with a Content-Type and exactly the x-amz-meta-* headers the URL's
// X-Amz-SignedHeaders lists, valued from the presign answer ('heify.upload'; an unsigned
// x-amz-* header would be refused by S3). 'heify.uploadFile' presigns right before the PUT,
// after the source was checked, so the URL cannot age; its `name` defaults to the file's
// base name transliterated to ASCII.
import type { Engine } from '../engine';
import { checkContentType, checkSource, checkString, checkUrl, checkUuid, invalid, isPlainObject } from '../validate';
import {
  checkBaseUrl, checkCall, checkClientEngine, checkClientOptions, checkSecret, checkUpload, construct, contentTypeFor, guard,
  nameOfSource, pickEngine, runTypedOp, withSources, withStreamingSources, type CallOptions, type Source, type VendorUploadOptions,
} from './common';

export const HEIFY_DEFAULT_BASE_URL = 'https://api.heify.com';
/** Longest `name` sent, in characters. */
const MAX_NAME_CHARS = 255;

export interface HeifyClientOptions {
  apiKey: string;
  /** Default https://api.heify.com. */
  baseUrl?: string;
  engine?: Engine;
}

export interface HeifyIds {
  /** Configuration UUID (required). */
  configurationId: string;
  evaluatorId?: string;
  participantId?: string;
  /** Label; Heify keeps printable ASCII only. */
  name?: string;
}

export type HeifyPresignOptions = HeifyIds & CallOptions;

/** An upload URL and the ids signed into it (null when not given). */
export interface HeifyUpload {
  transcriptionId: string;
  uploadUrl: string;
  configurationId: string;
  evaluatorId: string | null;
  participantId: string | null;
  name: string | null;
}

export interface HeifyUploadOptions extends VendorUploadOptions {
  /** Default: the stream's contentType, else inferred from the file name, else application/octet-stream. */
  contentType?: string;
}

export interface HeifyUploadFileOptions extends VendorUploadOptions, HeifyIds {
  contentType?: string;
  /** Default: the file's (or named stream's) base name, transliterated to ASCII. */
  name?: string;
}

export interface HeifyPutResult { status: number; etag: string; bytes: number; md5: string }
export interface HeifyUploadFileResult extends HeifyUpload { bytes: number; md5: string }

const VENDOR = 'heify';
const ID_KEYS = ['configurationId', 'evaluatorId', 'participantId', 'name'];

function checkIds(o: Record<string, unknown>): { configurationId: string; evaluatorId?: string; participantId?: string; name?: string } {
  const out: { configurationId: string; evaluatorId?: string; participantId?: string; name?: string } = {
    configurationId: checkUuid('options.configurationId', o.configurationId),
  };
  if (o.evaluatorId !== undefined) out.evaluatorId = checkUuid('options.evaluatorId', o.evaluatorId);
  if (o.participantId !== undefined) out.participantId = checkUuid('options.participantId', o.participantId);
  if (o.name !== undefined) out.name = checkString('options.name', o.name, { maxLength: MAX_NAME_CHARS });
  return out;
}

function nullableUuid(field: string, v: unknown): string | null {
  return v === undefined || v === null ? null : checkUuid(field, v);
}

function checkMinted(v: unknown): HeifyUpload {
  if (!isPlainObject(v)) throw invalid('upload', 'the object presign() answered: { transcriptionId, uploadUrl, configurationId, ... }', v);
  return {
    transcriptionId: checkString('upload.transcriptionId', v.transcriptionId, { nonEmpty: true }),
    uploadUrl: checkUrl('upload.uploadUrl', v.uploadUrl),
    configurationId: checkUuid('upload.configurationId', v.configurationId),
    evaluatorId: nullableUuid('upload.evaluatorId', v.evaluatorId),
    participantId: nullableUuid('upload.participantId', v.participantId),
    name: v.name === undefined || v.name === null ? null : checkString('upload.name', v.name),
  };
}

/**
 * The x-amz-meta-* headers for the ids that are set. upload() and uploadFile() do not use it:
 * they send exactly the headers the URL's X-Amz-SignedHeaders lists (see 'heify.upload').
 */
export function heifyMetaHeaders(u: Pick<HeifyUpload, 'configurationId' | 'evaluatorId' | 'participantId'>): [string, string][] {
  const h: [string, string][] = [['x-amz-meta-configuration_id', u.configurationId]];
  if (u.evaluatorId) h.push(['x-amz-meta-evaluator_id', u.evaluatorId]);
  if (u.participantId) h.push(['x-amz-meta-participant_id', u.participantId]);
  return h;
}

/** Letters outside what NFKD decomposes to ASCII, spelled in ASCII. */
const SPELLED: Readonly<Record<string, string>> = {
  ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', þ: 'th', Þ: 'TH', ı: 'i',
};

/** A name transliterated to printable ASCII: accents dropped (é → e), a few letters spelled (ß → ss), the rest removed. */
export function asciiName(name: string): string {
  return [...name.normalize('NFKD')].map((c) => SPELLED[c] ?? c).join('').replace(/[^\x20-\x7e]/g, '');
}

function pickUpload(r: HeifyUpload): HeifyUpload {
  return {
    transcriptionId: r.transcriptionId, uploadUrl: r.uploadUrl, configurationId: r.configurationId,
    evaluatorId: r.evaluatorId ?? null, participantId: r.participantId ?? null, name: r.name ?? null,
  };
}

export class HeifyClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #engine: Engine | undefined;

  constructor(options: HeifyClientOptions) {
    const o = checkClientOptions(VENDOR, options, ['apiKey', 'baseUrl', 'engine']);
    this.#apiKey = checkSecret('options.apiKey', o.apiKey);
    this.baseUrl = checkBaseUrl('options.baseUrl', o.baseUrl, HEIFY_DEFAULT_BASE_URL);
    this.#engine = checkClientEngine('options.engine', o.engine);
  }

  /** Requests an upload URL (valid 5 minutes) for the given configuration. */
  presign(options: HeifyPresignOptions): Promise<HeifyUpload> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(options)) throw invalid('options', 'an options object { configurationId, evaluatorId?, participantId?, name? }', options);
      const common = checkCall('options', options, ID_KEYS);
      const ids = checkIds(options);
      const r = await runTypedOp<'heify.presign', HeifyUpload>(pickEngine(common, this.#engine), 'heify.presign', {
        baseUrl: this.baseUrl, apiKey: this.#apiKey, ...ids,
      }, { vendor: VENDOR, site, signal: common.signal, job: common.job });
      return pickUpload(r);
    });
  }

  /** PUTs the bytes with Content-Type and the signed x-amz-meta-* headers. */
  upload(upload: HeifyUpload, source: Source, options?: HeifyUploadOptions): Promise<HeifyPutResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const u = checkMinted(upload);
      const common = checkUpload('options', options, ['contentType']);
      const explicit = options?.contentType === undefined ? undefined : checkContentType('options.contentType', options.contentType);
      const src = checkSource('source', source);
      const engine = pickEngine(common, this.#engine);
      return withStreamingSources([src], common, async ([r]) => {
        const out = await runTypedOp<'heify.upload', HeifyPutResult>(engine, 'heify.upload', {
          uploadUrl: u.uploadUrl, configurationId: u.configurationId, evaluatorId: u.evaluatorId, participantId: u.participantId,
          source: r.native, contentType: contentTypeFor(explicit, r, nameOfSource(src)),
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
        return { status: out.status, etag: out.etag, bytes: out.bytes, md5: out.md5 };
      });
    });
  }

  /** Checks the source, presigns, and PUTs at once: `{ transcriptionId, ..., bytes, md5 }`. */
  uploadFile(source: Source, options: HeifyUploadFileOptions): Promise<HeifyUploadFileResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(options)) throw invalid('options', 'an options object { configurationId, ... }', options);
      const common = checkUpload('options', options, [...ID_KEYS, 'contentType']);
      const ids = checkIds(options);
      const explicit = options.contentType === undefined ? undefined : checkContentType('options.contentType', options.contentType);
      const src = checkSource('source', source);
      if (ids.name === undefined) {
        const base = nameOfSource(src);
        const ascii = base === undefined ? '' : asciiName(base).slice(0, MAX_NAME_CHARS);
        if (ascii.trim() !== '') ids.name = ascii;
      }
      return withStreamingSources([src], common, async ([r]) => {
        const out = await runTypedOp<'heify.uploadFile', HeifyUploadFileResult>(pickEngine(common, this.#engine), 'heify.uploadFile', {
          baseUrl: this.baseUrl, apiKey: this.#apiKey, ...ids, source: r.native, contentType: contentTypeFor(explicit, r, nameOfSource(src)),
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
        return { ...pickUpload(out), bytes: out.bytes, md5: out.md5 };
      });
    });
  }
}

/** A Heify client: `heify.client({ apiKey, baseUrl? })`. */
export function client(options: HeifyClientOptions): HeifyClient {
  return construct(VENDOR, () => new HeifyClient(options));
}
