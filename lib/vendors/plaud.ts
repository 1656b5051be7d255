// Plaud file upload client (auth `Bearer <user token>`): presign returns S3 multipart part
// URLs ('plaud.presign'); each part is a plain presigned PUT (the engine's parts upload, no
// Authorization header); complete sends the ETags, quoted, and the whole-file MD5
// ('plaud.complete'); 'plaud.uploadFile' does all three in the engine.
// Regions: 'us' (default) and 'jp'; 'eu' and 'sg' are announced but not yet available.
// The server's ChunkSize is authoritative for the part size; its FileMd5 is compared without
// regard to case. A resumed upload is the engine's flow given the stored ticket and parts.
import type { Engine } from '../engine';
import { extensionOf } from '../content-type';
import { InvalidArgumentError, RegionUnavailableError, TooLargeError, UrlExpiredError, UpliftError } from '../errors';
import { checkJournal, fingerprintOf, Journal, type JournalOption } from '../journal';
import { debug } from '../debug';
import { checkEnum, checkInteger, checkPartUrls, checkSource, checkString, invalid, isPlainObject } from '../validate';
import {
  checkBaseUrl, checkCall, checkClientEngine, checkClientOptions, checkSecret, checkUpload, construct, guard, nameOfSource,
  pickEngine, runTypedOp, withStreamingSources, type CallOptions, type Source, type VendorUploadOptions,
} from './common';
import { PLAUD_DEFAULT_CONCURRENCY, PLAUD_MAX_FILE_BYTES } from './facts';

export type PlaudRegion = 'us' | 'jp';

/** Hosts of the live regions. */
export const PLAUD_REGION_URLS: Readonly<Record<PlaudRegion, string>> = {
  us: 'https://platform-us.plaud.ai/developer/api',
  jp: 'https://platform-jp.plaud.ai/developer/api',
};
/** Regions Plaud announced that are not live yet. */
export const PLAUD_UPCOMING_REGIONS: readonly string[] = ['eu', 'sg'];
// from the one table the engine uses too (src/core/vendors/facts.json)
export { PLAUD_DEFAULT_CONCURRENCY, PLAUD_MAX_FILE_BYTES };

export interface PlaudClientOptions {
  /** User access token (required). */
  token: string;
  /** 'us' (default) or 'jp'; ignored when baseUrl is given. */
  region?: PlaudRegion | 'eu' | 'sg';
  /** API prefix before /open/partner/...; overrides region. */
  baseUrl?: string;
  engine?: Engine;
}

export interface PlaudPresignOptions extends CallOptions {
  /** Bytes of the whole file, 1..5 GiB. */
  fileSize: number;
  /** Extension-like type, e.g. 'mp3', 'wav', 'm4a'. */
  fileType: string;
}

export interface PlaudTicket {
  fileId: string;
  uploadId: string;
  /** Bytes per part (every part but the last), as the server announced. */
  chunkSizeBytes: number;
  parts: { partNumber: number; url: string }[];
  /** Echo of the presign arguments (checked by upload and used by complete). */
  fileSize?: number;
  fileType?: string;
}

export interface PlaudSent {
  /** ETags as S3 answered them (quoted). */
  parts: { partNumber: number; etag: string }[];
  /** Lowercase hex MD5 of the whole file. */
  md5: string;
  bytes?: number;
}

export interface PlaudCompleteResult { fileId: string; fileType: string; downloadUrl: string; fileMd5: string }
export interface PlaudUploadFileResult extends PlaudCompleteResult {
  parts: { partNumber: number; etag: string }[];
  md5: string;
  bytes: number;
}

export interface PlaudUploadFileOptions extends VendorUploadOptions {
  /** Default: the source name's extension, lowercased. */
  fileType?: string;
  /**
   * Resume journal (a file path or a store with async get/set/delete). A later call with the
   * same journal and the same file sends only the parts not yet stored, then completes.
   */
  journal?: JournalOption;
}

const VENDOR = 'plaud';
const FILE_TYPE_RE = /^[a-z0-9]{1,10}$/;

function checkFileType(field: string, v: unknown): string {
  return checkString(field, typeof v === 'string' ? v.toLowerCase() : v, { pattern: FILE_TYPE_RE, expected: 'a file type such as "mp3" (1-10 letters or digits)' });
}

function checkTicket(v: unknown): PlaudTicket {
  if (!isPlainObject(v)) throw invalid('ticket', 'the object presign() answered: { fileId, uploadId, chunkSizeBytes, parts }', v);
  const t: PlaudTicket = {
    fileId: checkString('ticket.fileId', v.fileId, { nonEmpty: true }),
    uploadId: checkString('ticket.uploadId', v.uploadId, { nonEmpty: true }),
    chunkSizeBytes: checkInteger('ticket.chunkSizeBytes', v.chunkSizeBytes, { min: 1 }),
    parts: Array.isArray(v.parts) ? (v.parts as PlaudTicket['parts']) : [],
  };
  if (!Array.isArray(v.parts) || v.parts.length === 0) throw invalid('ticket.parts', 'a non-empty array of { partNumber, url }', v.parts);
  if (v.fileSize !== undefined) t.fileSize = checkInteger('ticket.fileSize', v.fileSize, { min: 1 });
  if (v.fileType !== undefined) t.fileType = checkFileType('ticket.fileType', v.fileType);
  return t;
}

/** Each part of a ticket given to upload(): { partNumber, url }, each number once. */
const checkTicketParts = (parts: PlaudTicket['parts']): PlaudTicket['parts'] => checkPartUrls(parts);

function checkSent(v: unknown): PlaudSent {
  if (!isPlainObject(v)) throw invalid('sent', 'the object upload() answered: { parts, md5 }', v);
  if (!Array.isArray(v.parts) || v.parts.length === 0) throw invalid('sent.parts', 'a non-empty array of { partNumber, etag }', v.parts);
  const parts = v.parts.map((p, i) => {
    if (!isPlainObject(p)) throw invalid(`sent.parts[${i}]`, 'an object { partNumber, etag }', p);
    return { partNumber: checkInteger(`sent.parts[${i}].partNumber`, p.partNumber, { min: 1, max: 10000 }), etag: checkString(`sent.parts[${i}].etag`, p.etag, { nonEmpty: true }) };
  });
  const md5 = checkString('sent.md5', v.md5, { pattern: /^[0-9a-f]{32}$/, expected: 'the lowercase hex MD5 of the whole file (32 characters)' });
  return { parts, md5 };
}

function regionUrl(region: unknown): string {
  if (region === undefined) return PLAUD_REGION_URLS.us;
  if (typeof region === 'string' && PLAUD_UPCOMING_REGIONS.includes(region)) {
    throw new RegionUnavailableError(`Plaud region "${region}" is not yet available; use "us" or "jp" (or pass baseUrl)`, { vendor: VENDOR, region });
  }
  return PLAUD_REGION_URLS[checkEnum('options.region', region, ['us', 'jp'] as const)];
}

export class PlaudClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #engine: Engine | undefined;

  constructor(options: PlaudClientOptions) {
    const o = checkClientOptions(VENDOR, options, ['token', 'region', 'baseUrl', 'engine']);
    this.#token = checkSecret('options.token', o.token);
    if (o.baseUrl !== undefined) {
      if (o.region !== undefined) checkEnum('options.region', o.region, ['us', 'jp', 'eu', 'sg'] as const);
      this.baseUrl = checkBaseUrl('options.baseUrl', o.baseUrl);
    } else {
      this.baseUrl = regionUrl(o.region);
    }
    this.#engine = checkClientEngine('options.engine', o.engine);
  }

  /** Asks for one presigned part URL per ChunkSize bytes. */
  presign(options: PlaudPresignOptions): Promise<PlaudTicket> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(options)) throw invalid('options', 'an options object { fileSize, fileType }', options);
      const common = checkCall('options', options, ['fileSize', 'fileType']);
      const fileSize = checkInteger('options.fileSize', options.fileSize, { min: 1, max: PLAUD_MAX_FILE_BYTES });
      const fileType = checkFileType('options.fileType', options.fileType);
      const r = await runTypedOp<'plaud.presign', PlaudTicket>(pickEngine(common, this.#engine), 'plaud.presign', {
        baseUrl: this.baseUrl, token: this.#token, fileSize, fileType,
      }, { vendor: VENDOR, site, signal: common.signal, job: common.job });
      return {
        fileId: r.fileId, uploadId: r.uploadId, chunkSizeBytes: r.chunkSizeBytes,
        parts: r.parts.map((p) => ({ partNumber: p.partNumber, url: p.url })), fileSize, fileType,
      };
    });
  }

  /** PUTs every part to its URL, `concurrency` at a time: `{ parts: [{ partNumber, etag }], md5, bytes }`. */
  upload(ticket: PlaudTicket, source: Source, options?: VendorUploadOptions): Promise<Required<PlaudSent>> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const t = checkTicket(ticket);
      const common = checkUpload('options', options, []);
      const engine = pickEngine(common, this.#engine);
      return withStreamingSources([checkSource('source', source)], common, async ([r]) => {
        if (t.fileSize !== undefined && r.size !== t.fileSize) {
          throw new InvalidArgumentError(`the source has ${r.size} bytes but the ticket was presigned for ${t.fileSize}`, { field: 'source', received: `${r.size} bytes` });
        }
        // the engine lays the parts over the source (ChunkSize bytes each) and PUTs them
        const out = await runTypedOp<'plaud.upload', Required<PlaudSent>>(engine, 'plaud.upload', {
          source: r.native, ticket: { fileId: t.fileId, uploadId: t.uploadId, chunkSizeBytes: t.chunkSizeBytes, parts: checkTicketParts(t.parts) },
          concurrency: common.concurrency ?? PLAUD_DEFAULT_CONCURRENCY,
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
        return { parts: out.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })), md5: out.md5, bytes: out.bytes };
      });
    });
  }

  /** Completes the multipart upload with the ETags and whole-file MD5. */
  complete(ticket: PlaudTicket, sent: PlaudSent, options?: CallOptions & { fileType?: string }): Promise<PlaudCompleteResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const t = checkTicket(ticket);
      const s = checkSent(sent);
      const common = checkCall('options', options, ['fileType']);
      const given = options?.fileType;
      if (given === undefined && t.fileType === undefined) throw invalid('options.fileType', 'the file type given to presign (e.g. "mp3")', given);
      const fileType = given !== undefined ? checkFileType('options.fileType', given) : (t.fileType as string);
      const parts = [...s.parts].sort((a, b) => a.partNumber - b.partNumber);
      const r = await runTypedOp<'plaud.complete', PlaudCompleteResult>(pickEngine(common, this.#engine), 'plaud.complete', {
        baseUrl: this.baseUrl, token: this.#token, fileId: t.fileId, uploadId: t.uploadId, parts, fileType, md5: s.md5,
      }, { vendor: VENDOR, site, signal: common.signal, job: common.job });
      return { fileId: r.fileId, fileType: r.fileType, downloadUrl: r.downloadUrl, fileMd5: r.fileMd5 };
    });
  }

  /** Presign, parts and complete in one call. */
  uploadFile(source: Source, options?: PlaudUploadFileOptions): Promise<PlaudUploadFileResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const common = checkUpload('options', options, ['fileType', 'journal']);
      const src = checkSource('source', source);
      const journal = options?.journal === undefined ? undefined : new Journal(checkJournal('options.journal', options.journal));
      let fileType: string;
      if (options?.fileType !== undefined) {
        fileType = checkFileType('options.fileType', options.fileType);
      } else {
        const name = nameOfSource(src);
        const ext = name ? extensionOf(name) : '';
        if (!FILE_TYPE_RE.test(ext)) throw invalid('options.fileType', 'a file type such as "mp3" (the source has no usable extension)', options?.fileType);
        fileType = ext;
      }
      return withStreamingSources([src], common, async ([r]) => {
        if (r.size === 0) throw new InvalidArgumentError('the source is empty; Plaud takes files of at least 1 byte', { field: 'source', received: '0 bytes' });
        if (r.size > PLAUD_MAX_FILE_BYTES) {
          throw new TooLargeError(`Plaud takes files of at most ${PLAUD_MAX_FILE_BYTES} bytes; the source has ${r.size}`, { vendor: VENDOR, sizeBytes: r.size, maxSizeBytes: PLAUD_MAX_FILE_BYTES });
        }
        const fp = journal ? fingerprintOf(src, r) : undefined;
        if (journal && fp) return this.#uploadJournaled(journal, fp, r, fileType, common, site);
        const out = await runTypedOp<'plaud.uploadFile', PlaudUploadFileResult>(pickEngine(common, this.#engine), 'plaud.uploadFile', {
          baseUrl: this.baseUrl, token: this.#token, source: r.native, fileType, concurrency: common.concurrency ?? PLAUD_DEFAULT_CONCURRENCY,
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
        return {
          fileId: out.fileId, fileType: out.fileType, downloadUrl: out.downloadUrl, fileMd5: out.fileMd5,
          parts: out.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })), md5: out.md5, bytes: out.bytes,
        };
      });
    });
  }
  /**
   * Continues the upload a journal file or store describes (the file must be unchanged):
   * sends only the missing parts, then completes.
   */
  resume(journal: JournalOption, options?: VendorUploadOptions): Promise<PlaudUploadFileResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const j = new Journal(checkJournal('journal', journal));
      const rec = await j.read();
      if (!rec || rec.vendor !== VENDOR || !rec.fingerprint.path) {
        throw new InvalidArgumentError('the journal holds no Plaud upload of a file to resume; run uploadFile with this journal instead', { field: 'journal', received: rec ? rec.vendor : 'empty' });
      }
      return this.uploadFile(rec.fingerprint.path, { ...(options ?? {}), fileType: String(rec.extra.fileType), journal });
    });
  }

  async #uploadJournaled(
    journal: Journal, fp: import('../journal').Fingerprint, r: import('../source').ResolvedSource, fileType: string,
    common: ReturnType<typeof checkUpload>, site: Error,
  ): Promise<PlaudUploadFileResult> {
    const engine = pickEngine(common, this.#engine);
    let rec = await journal.load(VENDOR, fp);
    let ticket: PlaudTicket;
    if (rec && rec.extra.fileType === fileType) {
      ticket = rec.presign as unknown as PlaudTicket;
      debug(`plaud: resuming ${ticket.fileId} with ${Object.keys(rec.parts).length} of ${ticket.parts.length} parts stored`);
    } else {
      ticket = await this.presign({ fileSize: r.size, fileType, engine, ...(common.signal ? { signal: common.signal } : {}), ...common.proxyOptions });
      rec = await journal.start(VENDOR, fp, ticket as unknown as Record<string, unknown>, { fileType });
    }
    // the engine's flow, given the stored ticket and parts: sends the others, then completes
    const storedParts = Object.entries(rec.parts).map(([n, etag]) => ({ partNumber: Number(n), etag }));
    let out: PlaudUploadFileResult;
    try {
      out = await runTypedOp<'plaud.uploadFile', PlaudUploadFileResult>(engine, 'plaud.uploadFile', {
        baseUrl: this.baseUrl, token: this.#token, source: r.native, fileType,
        ticket: { fileId: ticket.fileId, uploadId: ticket.uploadId, chunkSizeBytes: ticket.chunkSizeBytes, parts: ticket.parts },
        storedParts, concurrency: common.concurrency ?? PLAUD_DEFAULT_CONCURRENCY,
        onPart: (n: number, etag: string) => journal.recordPart(n, etag),
      }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
    } catch (e) {
      await journal.flush().catch(() => {});
      if (e instanceof UpliftError && e.code === 'ERR_UPLIFT_URL_EXPIRED') {
        await journal.remove();
        throw new UrlExpiredError('Plaud part URLs expired and Plaud cannot re-issue URLs for the same upload; the journal was discarded: run the upload again to start over', { vendor: VENDOR, cause: e });
      }
      throw e;
    }
    await journal.remove();
    return {
      fileId: out.fileId, fileType: out.fileType, downloadUrl: out.downloadUrl, fileMd5: out.fileMd5,
      parts: out.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })), md5: out.md5, bytes: out.bytes,
    };
  }
}

/** A Plaud client: `plaud.client({ token, region?, baseUrl? })`. */
export function client(options: PlaudClientOptions): PlaudClient {
  return construct(VENDOR, () => new PlaudClient(options));
}
