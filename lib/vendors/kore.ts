// Kore.ai file upload client (auth `x-api-key`): under 25 MB one multipart POST to
// /api/public/files; at or above, a chunked session (session/start, numbered chunk POSTs,
// complete). Native ops 'kore.presign', 'kore.upload', 'kore.complete', 'kore.uploadFile'.
// Decisions the vendor leaves open: "25 MB" may be 25,000,000 or 26,214,400 bytes, so the
// smaller is the limit (a single POST still answered 413 goes chunked, once, in the engine);
// chunks are `chunkSizeBytes` each (default 8 MiB, at most 25,000,000), numbered from 0; the
// extension (from fileName, else the path) must be one Kore lists, checked before any request.
// A resumed upload is the engine's flow given the stored session and the chunks not yet stored.
import type { Engine } from '../engine';
import { debug } from '../debug';
import { checkJournal, fingerprintOf, Journal, type Fingerprint, type JournalOption } from '../journal';
import type { ResolvedSource } from '../source';
import { extensionOf } from '../content-type';
import { InvalidArgumentError, UnsupportedTypeError, UpliftError } from '../errors';
import { checkContentType, checkInteger, checkSource, checkString, invalid, isPlainObject } from '../validate';
import {
  checkBaseUrl, checkCall, checkClientEngine, checkClientOptions, checkSecret, checkUpload, construct, contentTypeFor, guard,
  nameOfSource, pickEngine, runTypedOp, withSources, withStreamingSources, type CallOptions, type Source, type VendorUploadOptions,
} from './common';

import { KORE_DEFAULT_CHUNK_BYTES, KORE_DEFAULT_CONCURRENCY, KORE_DEFAULT_FILE_NAME, KORE_MAX_CHUNK_BYTES, KORE_MAX_CHUNKS, KORE_SINGLE_LIMIT_BYTES } from './facts';

// The limits and defaults come from the one table the engine uses too (src/core/vendors/facts.json).
export { KORE_DEFAULT_CHUNK_BYTES, KORE_DEFAULT_CONCURRENCY, KORE_MAX_CHUNK_BYTES, KORE_MAX_CHUNKS, KORE_SINGLE_LIMIT_BYTES };
/** A stored session this close to its expirationDate is not reused (ms). */
const SESSION_MARGIN_MS = 60_000;
/** Extensions Kore accepts (lowercase, without the dot). */
export const KORE_EXTENSIONS: readonly string[] = ['m4a', 'mp3', 'webm', 'mp4', 'mpga', 'wav', 'mpeg', 'png', 'jpeg', 'jpg', 'webp', 'gif'];

export interface KoreClientOptions {
  apiKey: string;
  /** The environment URL, e.g. https://ai-for-process.example.ai (required). */
  baseUrl: string;
  engine?: Engine;
}

export interface KoreUploadFileOptions extends VendorUploadOptions {
  /** Kore's fileContext, e.g. 'bulkImport' (required). */
  fileContext: string;
  /** Name sent to Kore; default the path's (or stream's) base name. Required for a Buffer. */
  fileName?: string;
  /** Content type of the file part; inferred from fileName otherwise. */
  contentType?: string;
  /** Chunk size for files of 25,000,000 bytes or more; default 8 MiB, 1..25,000,000. */
  chunkSizeBytes?: number;
  /**
   * Resume journal for chunked uploads (a file path or a store with async get/set/delete):
   * a later call with the same journal and file sends only the chunks not yet stored (a
   * session past its expirationDate is not reused: a new one is started). A single POST
   * (under 25,000,000 bytes) cannot resume: it restarts.
   */
  journal?: JournalOption;
}

export interface KoreUploadFileResult {
  fileId: string;
  url: string;
  /** 'single' (one POST, under 25,000,000 bytes) or 'chunked' (session). */
  mode: 'single' | 'chunked';
  /** Chunks sent (1 for single). */
  chunks: number;
  bytes: number;
  /** Lowercase hex MD5 of the bytes sent. */
  md5: string;
}

export interface KorePresignOptions extends CallOptions {
  fileContext: string;
  fileName: string;
  /** Bytes of the whole file. */
  fileSize: number;
  /** Must equal ceil(fileSize / chunkSizeBytes). */
  totalChunks: number;
  /** One of KORE_EXTENSIONS; a leading dot is accepted. */
  fileExtension: string;
  /** Chunk size upload() will use; default 8 MiB. */
  chunkSizeBytes?: number;
}

/** An open chunk session. upload() needs sessionId and chunkSizeBytes; the rest is checked when present. */
export interface KoreSession {
  sessionId: string;
  /** ISO 8601 time the session ends. */
  expirationDate: string;
  chunkSizeBytes: number;
  fileName?: string;
  fileSize?: number;
  totalChunks?: number;
}

export interface KoreUploadResult { chunks: number; bytes: number; md5: string }
export interface KoreCompleteResult { fileId: string; url: string }

const VENDOR = 'kore';

function checkExtension(field: string, ext: string, from: string): string {
  const e = ext.replace(/^\./, '').toLowerCase();
  if (!KORE_EXTENSIONS.includes(e)) {
    throw new UnsupportedTypeError(
      `Kore does not accept ${e ? `".${e}"` : 'files without an extension'} (${field}: ${JSON.stringify(from)}); supported: ${KORE_EXTENSIONS.join(', ')}`,
      { vendor: VENDOR },
    );
  }
  return e;
}

function checkChunkSize(field: string, v: unknown): number {
  return v === undefined ? KORE_DEFAULT_CHUNK_BYTES : checkInteger(field, v, { min: 1, max: KORE_MAX_CHUNK_BYTES });
}

function chunksFor(size: number, chunk: number): number {
  return Math.max(1, Math.ceil(size / chunk));
}

function checkChunkCount(size: number, chunk: number): number {
  const n = chunksFor(size, chunk);
  if (n > KORE_MAX_CHUNKS) {
    throw new InvalidArgumentError(`${size} bytes in chunks of ${chunk} bytes make ${n} chunks, over Kore's ${KORE_MAX_CHUNKS}; raise chunkSizeBytes`, { field: 'chunkSizeBytes', received: String(chunk) });
  }
  return n;
}

function checkSession(v: unknown): { sessionId: string; chunkSizeBytes: number; fileName?: string; fileSize?: number; totalChunks?: number } {
  if (!isPlainObject(v)) throw invalid('session', 'the object presign() answered: { sessionId, chunkSizeBytes, ... }', v);
  return {
    sessionId: checkString('session.sessionId', v.sessionId, { nonEmpty: true, pattern: /^[^/?#\s]+$/ }),
    chunkSizeBytes: checkInteger('session.chunkSizeBytes', v.chunkSizeBytes, { min: 1, max: KORE_MAX_CHUNK_BYTES }),
    ...(v.fileName !== undefined ? { fileName: checkString('session.fileName', v.fileName, { nonEmpty: true }) } : {}),
    ...(v.fileSize !== undefined ? { fileSize: checkInteger('session.fileSize', v.fileSize, { min: 1 }) } : {}),
    ...(v.totalChunks !== undefined ? { totalChunks: checkInteger('session.totalChunks', v.totalChunks, { min: 1, max: KORE_MAX_CHUNKS }) } : {}),
  };
}

export class KoreClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #engine: Engine | undefined;

  constructor(options: KoreClientOptions) {
    const o = checkClientOptions(VENDOR, options, ['apiKey', 'baseUrl', 'engine']);
    this.#apiKey = checkSecret('options.apiKey', o.apiKey);
    if (o.baseUrl === undefined) throw invalid('options.baseUrl', 'the Kore environment URL (required), e.g. "https://ai-for-process.example.ai"', o.baseUrl);
    this.baseUrl = checkBaseUrl('options.baseUrl', o.baseUrl);
    this.#engine = checkClientEngine('options.engine', o.engine);
  }

  /** Uploads one file: a single POST under 25,000,000 bytes, a chunked session at or above. */
  uploadFile(source: Source, options: KoreUploadFileOptions): Promise<KoreUploadFileResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(options)) throw invalid('options', 'an options object { fileContext, fileName?, chunkSizeBytes?, ... }', options);
      const common = checkUpload('options', options, ['fileContext', 'fileName', 'contentType', 'chunkSizeBytes', 'journal']);
      const journal = options.journal === undefined ? undefined : new Journal(checkJournal('options.journal', options.journal));
      const fileContext = checkString('options.fileContext', options.fileContext, { nonEmpty: true });
      const chunkSizeBytes = checkChunkSize('options.chunkSizeBytes', options.chunkSizeBytes);
      const explicitType = options.contentType === undefined ? undefined : checkContentType('options.contentType', options.contentType);
      const src = checkSource('source', source);
      const fileName = options.fileName !== undefined
        ? checkString('options.fileName', options.fileName, { nonEmpty: true, maxLength: 255, pattern: /^[^\r\n\0"/\\]+$/ })
        : nameOfSource(src);
      if (fileName === undefined) throw invalid('options.fileName', 'a file name (required for a Buffer or a stream without name)', options.fileName);
      const fileExtension = checkExtension(options.fileName !== undefined ? 'options.fileName' : 'source', extensionOf(fileName), fileName);
      return withStreamingSources([src], common, async ([r]) => {
        if (r.size === 0) throw new InvalidArgumentError('the source is empty; Kore stores files of at least 1 byte', { field: 'source', received: '0 bytes' });
        if (r.size >= KORE_SINGLE_LIMIT_BYTES) checkChunkCount(r.size, chunkSizeBytes);
        const fp = journal ? fingerprintOf(src, r) : undefined;
        if (journal && fp && r.size >= KORE_SINGLE_LIMIT_BYTES) {
          return this.#uploadJournaled(journal, fp, r, {
            fileName, fileContext, fileExtension, chunkSizeBytes, contentType: contentTypeFor(explicitType, r, fileName),
          }, common, site);
        }
        const out = await runTypedOp<'kore.uploadFile', KoreUploadFileResult>(pickEngine(common, this.#engine), 'kore.uploadFile', {
          baseUrl: this.baseUrl, apiKey: this.#apiKey, source: r.native, fileName, contentType: contentTypeFor(explicitType, r, fileName),
          fileContext, fileExtension, chunkSizeBytes, singleLimitBytes: KORE_SINGLE_LIMIT_BYTES,
          concurrency: common.concurrency ?? KORE_DEFAULT_CONCURRENCY,
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
        return { fileId: out.fileId, url: out.url, mode: out.mode, chunks: out.chunks, bytes: out.bytes, md5: out.md5 };
      });
    });
  }

  /** Continues the chunked upload a journal describes (the file must be unchanged). */
  resume(journal: JournalOption, options?: VendorUploadOptions): Promise<KoreUploadFileResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const j = new Journal(checkJournal('journal', journal));
      const rec = await j.read();
      if (!rec || rec.vendor !== VENDOR || !rec.fingerprint.path) {
        throw new InvalidArgumentError('the journal holds no Kore upload of a file to resume; run uploadFile with this journal instead', { field: 'journal', received: rec ? rec.vendor : 'empty' });
      }
      const x = rec.extra as { fileContext: string; fileName: string; chunkSizeBytes: number };
      return this.uploadFile(rec.fingerprint.path, { ...(options ?? {}), fileContext: x.fileContext, fileName: x.fileName, chunkSizeBytes: x.chunkSizeBytes, journal });
    });
  }

  async #uploadJournaled(
    journal: Journal, fp: Fingerprint, r: ResolvedSource,
    f: { fileName: string; fileContext: string; fileExtension: string; chunkSizeBytes: number; contentType: string },
    common: ReturnType<typeof checkUpload>, site: Error,
  ): Promise<KoreUploadFileResult> {
    const engine = pickEngine(common, this.#engine);
    const signal = { ...(common.signal ? { signal: common.signal } : {}), ...common.proxyOptions };
    let rec = await journal.load(VENDOR, fp);
    let session: KoreSession;
    const stored = rec ? (rec.presign as unknown as KoreSession) : undefined;
    const live = stored !== undefined && !(Date.parse(stored.expirationDate) <= Date.now() + SESSION_MARGIN_MS);
    if (rec && stored && live && rec.extra.chunkSizeBytes === f.chunkSizeBytes && rec.extra.fileName === f.fileName) {
      session = stored;
      debug(`kore: resuming session with ${Object.keys(rec.parts).length} chunks stored`);
    } else {
      if (stored && !live) debug('kore: the stored session is past its expirationDate; starting a new one');
      const totalChunks = chunksFor(r.size, f.chunkSizeBytes);
      session = await this.presign({
        fileContext: f.fileContext, fileName: f.fileName, fileSize: r.size, totalChunks, fileExtension: f.fileExtension,
        chunkSizeBytes: f.chunkSizeBytes, engine, ...signal,
      });
      rec = await journal.start(VENDOR, fp, session as unknown as Record<string, unknown>, { fileContext: f.fileContext, fileName: f.fileName, chunkSizeBytes: f.chunkSizeBytes });
    }
    const total = chunksFor(r.size, f.chunkSizeBytes);
    const missing: number[] = [];
    for (let i = 0; i < total; i++) if (rec.parts[String(i)] === undefined) missing.push(i);
    let out: KoreUploadFileResult;
    try {
      out = await runTypedOp<'kore.uploadFile', KoreUploadFileResult>(engine, 'kore.uploadFile', {
        baseUrl: this.baseUrl, apiKey: this.#apiKey, sessionId: session.sessionId, chunkNumbers: missing, source: r.native,
        fileName: f.fileName, contentType: f.contentType, fileContext: f.fileContext, fileExtension: f.fileExtension,
        chunkSizeBytes: f.chunkSizeBytes, concurrency: common.concurrency ?? KORE_DEFAULT_CONCURRENCY,
        onPart: (n: number) => journal.recordPart(n, ''),
      }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
    } catch (e) {
      await journal.flush().catch(() => {});
      if (e instanceof UpliftError && e.vendorCode === 'SESSION_EXPIRED') {
        await journal.remove();
        e.message += ' (the journal was discarded: run the upload again to start a new session)';
      }
      throw e;
    }
    await journal.remove();
    return { fileId: out.fileId, url: out.url, mode: 'chunked', chunks: total, bytes: r.size, md5: out.md5 };
  }

  /** Starts a chunk session; the answer carries the chunk size upload() will use. */
  presign(options: KorePresignOptions): Promise<KoreSession> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(options)) throw invalid('options', 'an options object { fileContext, fileName, fileSize, totalChunks, fileExtension }', options);
      const common = checkCall('options', options, ['fileContext', 'fileName', 'fileSize', 'totalChunks', 'fileExtension', 'chunkSizeBytes']);
      const fileContext = checkString('options.fileContext', options.fileContext, { nonEmpty: true });
      const fileName = checkString('options.fileName', options.fileName, { nonEmpty: true, maxLength: 255 });
      const fileSize = checkInteger('options.fileSize', options.fileSize, { min: 1 });
      const totalChunks = checkInteger('options.totalChunks', options.totalChunks, { min: 1, max: KORE_MAX_CHUNKS });
      const ext = checkString('options.fileExtension', options.fileExtension, { nonEmpty: true });
      const fileExtension = checkExtension('options.fileExtension', ext, ext);
      const chunkSizeBytes = checkChunkSize('options.chunkSizeBytes', options.chunkSizeBytes);
      const need = chunksFor(fileSize, chunkSizeBytes);
      if (need !== totalChunks) {
        throw new InvalidArgumentError(
          `totalChunks is ${totalChunks} but ${fileSize} bytes in chunks of ${chunkSizeBytes} bytes make ${need}; ` +
            'pass totalChunks = ceil(fileSize / chunkSizeBytes), or the chunkSizeBytes you will use',
          { field: 'options.totalChunks', received: String(totalChunks) },
        );
      }
      const r = await runTypedOp<'kore.presign', { sessionId: string; expirationDate: string }>(pickEngine(common, this.#engine), 'kore.presign', {
        baseUrl: this.baseUrl, apiKey: this.#apiKey, fileContext, fileName, fileSize, totalChunks, fileExtension,
      }, { vendor: VENDOR, site, signal: common.signal, job: common.job });
      return { sessionId: r.sessionId, expirationDate: r.expirationDate, chunkSizeBytes, fileName, fileSize, totalChunks };
    });
  }

  /** Sends every chunk of `source` to the session (numbered from 0), `concurrency` at a time. */
  upload(session: KoreSession, source: Source, options?: VendorUploadOptions & { contentType?: string }): Promise<KoreUploadResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const s = checkSession(session);
      const common = checkUpload('options', options, ['contentType']);
      const explicitType = options?.contentType === undefined ? undefined : checkContentType('options.contentType', options.contentType);
      const src = checkSource('source', source);
      const fileName = s.fileName ?? nameOfSource(src) ?? KORE_DEFAULT_FILE_NAME;
      return withStreamingSources([src], common, async ([r]) => {
        if (s.fileSize !== undefined && r.size !== s.fileSize) {
          throw new InvalidArgumentError(`the source has ${r.size} bytes but the session was started for ${s.fileSize}`, { field: 'source', received: `${r.size} bytes` });
        }
        const n = checkChunkCount(r.size, s.chunkSizeBytes);
        if (s.totalChunks !== undefined && n !== s.totalChunks) {
          throw new InvalidArgumentError(`the source makes ${n} chunks of ${s.chunkSizeBytes} bytes but the session expects ${s.totalChunks}`, { field: 'session.totalChunks', received: String(s.totalChunks) });
        }
        const out = await runTypedOp<'kore.upload', KoreUploadResult>(pickEngine(common, this.#engine), 'kore.upload', {
          baseUrl: this.baseUrl, apiKey: this.#apiKey, sessionId: s.sessionId, source: r.native, fileName,
          contentType: contentTypeFor(explicitType, r, fileName), chunkSizeBytes: s.chunkSizeBytes,
          concurrency: common.concurrency ?? KORE_DEFAULT_CONCURRENCY,
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
        return { chunks: out.chunks, bytes: out.bytes, md5: out.md5 };
      });
    });
  }

  /** Merges the session's chunks: `{ fileId, url }`. */
  complete(session: KoreSession | { sessionId: string }, options?: CallOptions): Promise<KoreCompleteResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(session)) throw invalid('session', 'the object presign() answered: { sessionId, ... }', session);
      const sessionId = checkString('session.sessionId', session.sessionId, { nonEmpty: true, pattern: /^[^/?#\s]+$/ });
      const common = checkCall('options', options, []);
      const r = await runTypedOp<'kore.complete', KoreCompleteResult>(pickEngine(common, this.#engine), 'kore.complete', {
        baseUrl: this.baseUrl, apiKey: this.#apiKey, sessionId,
      }, { vendor: VENDOR, site, signal: common.signal, job: common.job });
      return { fileId: r.fileId, url: r.url };
    });
  }
}

/** A Kore.ai client: `kore.client({ apiKey, baseUrl })`. */
export function client(options: KoreClientOptions): KoreClient {
  return construct(VENDOR, () => new KoreClient(options));
}
