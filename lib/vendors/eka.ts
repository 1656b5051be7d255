// Eka Care EkaScribe v2 client: one presign per transaction (`POST /v1/file-upload?txn_id&
// action=ekascribe-v2`), then one S3 presigned form POST per file into the ticket's
// folderPath (native ops 'eka.presign', 'eka.upload', 'eka.uploadFiles').
// Decisions: an object key is folderPath + the file's base name; names that could leave the
// folder are refused before any byte; a Buffer (or a stream without name) given without
// { source, name } is named `audio-<n>.<ext>` (n: its 1-based place in the call; ext from
// its content type, else from its first bytes: RIFF/WAVE, ID3 or an MPEG frame sync, ftyp,
// OggS, fLaC, WebM; else bin). Files go `concurrency` at a time (default 4). `extraData`
// values cross as strings (S3 metadata is text) in its JSON text (`extraDataJson`), sent
// by the engine as the body `{"extraData": <it>}`. An answer without txn_id keeps the
// caller's txnId (in the engine).
import { open } from 'node:fs/promises';
import type { Engine } from '../engine';
import { InvalidArgumentError } from '../errors';
import type { NativeSource } from '../native';
import type { ResolvedSource } from '../source';
import {
  checkContentType, checkKnownKeys, checkSource, checkString, checkUrl, invalid, isPlainObject, type NormalizedSource,
} from '../validate';
import {
  checkBaseUrl, checkCall, checkClientEngine, checkClientOptions, checkSecret, checkUpload, construct, contentTypeFor, guard, nameOfSource,
  pickEngine, runTypedOp, withSources, type CallOptions, type Source, type VendorUploadOptions,
} from './common';
import { EKA_DEFAULT_CONCURRENCY } from './facts';

/** Default API host. */
export const EKA_DEFAULT_BASE_URL = 'https://api.eka.care';
// from the one table the engine uses too (src/core/vendors/facts.json)
export { EKA_DEFAULT_CONCURRENCY };
/** S3's longest object key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** Printable ASCII without whitespace, '/', '\\', '?', '#', '&', '%': safe in a query string. */
const TXN_RE = /^[!-~]{1,128}$/;
const TXN_FORBIDDEN_RE = /[/\\?#&%]/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

export interface EkaClientOptions {
  /** Bearer access token (required). */
  token: string;
  /** API prefix; default https://api.eka.care. */
  baseUrl?: string;
  /** Engine for every call of this client; the shared default otherwise. */
  engine?: Engine;
}

/** What presign answers: an S3 POST policy for the transaction's folder. */
export interface EkaTicket {
  url: string;
  fields: Record<string, string>;
  folderPath: string;
  txnId: string;
}

export interface EkaPresignOptions extends CallOptions {
  /** Transaction id, 1-128 printable ASCII characters without '/', '\\', '?', '#', '&', '%'. */
  txnId: string;
  /** Values become S3 metadata (x-amz-meta-<name>); strings, numbers or booleans. */
  extraData?: Record<string, string | number | boolean>;
}

/** One file: a source, or { source, name?, contentType? } to name it (else a Buffer is named audio-<n>.<ext>). */
export type EkaFile = Source | { source: Source; name?: string; contentType?: string };

export interface EkaUploadedFile {
  /** Object key: folderPath + name. */
  key: string;
  /** Bytes sent. */
  size: number;
  /** Lowercase hex MD5 of the bytes sent. */
  md5: string;
}

export interface EkaUploadFilesOptions extends VendorUploadOptions {
  txnId: string;
  extraData?: Record<string, string | number | boolean>;
}

export interface EkaUploadFilesResult {
  txnId: string;
  folderPath: string;
  files: EkaUploadedFile[];
}

interface NativeEkaFile { source: NativeSource; name: string; contentType: string; size: number }

const VENDOR = 'eka';

function checkTxnId(field: string, v: unknown): string {
  const expected = 'a transaction id of 1-128 printable ASCII characters without spaces, "/", "\\", "?", "#", "&" or "%"';
  const s = checkString(field, v, { nonEmpty: true, expected });
  if (!TXN_RE.test(s) || TXN_FORBIDDEN_RE.test(s)) throw invalid(field, expected, v);
  return s;
}

function checkExtraData(field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (!isPlainObject(v)) throw invalid(field, 'an object of string, number or boolean values', v);
  for (const [k, x] of Object.entries(v)) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(k)) throw invalid(`${field}`, 'keys of 1-128 characters [A-Za-z0-9_-] (they become x-amz-meta-<key>)', k);
    if (typeof x === 'number' ? !Number.isFinite(x) : typeof x !== 'string' && typeof x !== 'boolean') {
      throw invalid(`${field}.${k}`, 'a string, a finite number or a boolean', x);
    }
  }
  // S3 metadata is text: numbers and booleans are sent as their strings
  return JSON.stringify(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])));
}

/** File extensions by content type, for generated names. */
const EXT_OF_TYPE: Readonly<Record<string, string>> = {
  'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav', 'audio/vnd.wave': 'wav',
  'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/mp4': 'm4a', 'audio/x-m4a': 'm4a', 'audio/m4a': 'm4a',
  'video/mp4': 'mp4', 'audio/ogg': 'ogg', 'audio/opus': 'opus', 'audio/flac': 'flac', 'audio/x-flac': 'flac',
  'audio/webm': 'webm', 'video/webm': 'webm', 'audio/aac': 'aac', 'audio/amr': 'amr',
};

/** Extension from the first bytes of audio: RIFF/WAVE, ID3 or MPEG frame sync, ftyp, OggS, fLaC, WebM (EBML). */
export function sniffAudioExtension(head: Uint8Array): string | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const at = (i: number, s: string): boolean => b.length >= i + s.length && b.toString('latin1', i, i + s.length) === s;
  if (at(0, 'RIFF') && at(8, 'WAVE')) return 'wav';
  if (at(0, 'ID3')) return 'mp3';
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0) return 'mp3';
  if (at(4, 'ftyp')) return 'm4a';
  if (at(0, 'OggS')) return 'ogg';
  if (at(0, 'fLaC')) return 'flac';
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  return undefined;
}

async function headOf(src: NativeSource, n = 16): Promise<Uint8Array> {
  if (src.kind === 'buffer') return src.buffer.subarray(0, n);
  if (src.kind === 'url') return new Uint8Array(0); // not fetched here: named from the URL's path or source.name
  if ((src as { kind: string }).kind === 'stream') return new Uint8Array(0); // not read here: see nativeStreamOk
  const fh = await open(src.path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A file name that stays inside the folder: no '/', '\\', control characters, '.' or '..'. */
export function checkFileName(field: string, v: unknown): string {
  const expected = 'a file name without "/", "\\" or control characters, not empty, "." or ".."';
  const s = checkString(field, v, { nonEmpty: true, expected });
  if (s.includes('/') || s.includes('\\') || CONTROL_RE.test(s) || s === '.' || s === '..') throw invalid(field, expected, v);
  return s;
}

interface CheckedFile { source: NormalizedSource; name?: string; contentType?: string }
interface NamedFile extends CheckedFile { name: string }

function checkFiles(field: string, v: unknown): CheckedFile[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw invalid(field, 'a source or a non-empty array of sources', v);
  const out = list.map((item, i): CheckedFile => {
    const at = Array.isArray(v) ? `${field}[${i}]` : field;
    let src: unknown = item;
    let name: string | undefined;
    let contentType: string | undefined;
    if (isPlainObject(item) && 'source' in item) {
      checkKnownKeys(at, item, ['source', 'name', 'contentType']);
      src = item.source;
      if (item.name !== undefined) name = checkFileName(`${at}.name`, item.name);
      if (item.contentType !== undefined) contentType = checkContentType(`${at}.contentType`, item.contentType);
    }
    const source = checkSource(at, src);
    name ??= nameOfSource(source);
    return { source, name: name === undefined ? undefined : checkFileName(`${at} (file name)`, name), contentType };
  });
  const seen = new Set<string>();
  for (const f of out) {
    if (f.name === undefined) continue;
    if (seen.has(f.name)) throw new InvalidArgumentError(`two files are named ${JSON.stringify(f.name)}; each file needs its own name (keys are folderPath + name)`, { field, received: f.name });
    seen.add(f.name);
  }
  return out;
}

/**
 * A stream of known size is posted natively (no spool file) unless it has neither a name
 * nor a content type: its name's extension then comes from its first bytes, read from the
 * spooled copy.
 */
const nativeStreamOk = (files: CheckedFile[]) => (i: number): boolean => files[i].name !== undefined || files[i].contentType !== undefined;

/** Names the files that have none: `audio-<n>.<ext>` (n: 1-based place; ext from the content type or the bytes). */
async function nameFiles(files: CheckedFile[], resolved: ResolvedSource[]): Promise<NamedFile[]> {
  const taken = new Set(files.map((f) => f.name).filter((n): n is string => n !== undefined));
  const out: NamedFile[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    if (f.name !== undefined) { out.push({ ...f, name: f.name }); continue; }
    const type = (f.contentType ?? resolved[i].contentType ?? '').split(';')[0].trim().toLowerCase();
    const ext = EXT_OF_TYPE[type] ?? sniffAudioExtension(await headOf(resolved[i].native)) ?? 'bin';
    let n = i + 1;
    while (taken.has(`audio-${n}.${ext}`)) n += files.length;
    const name = `audio-${n}.${ext}`;
    taken.add(name);
    out.push({ ...f, name });
  }
  return out;
}

function checkTicket(v: unknown): EkaTicket {
  if (!isPlainObject(v)) throw invalid('ticket', 'the object presign() answered: { url, fields, folderPath, txnId }', v);
  const url = checkUrl('ticket.url', v.url);
  if (!isPlainObject(v.fields)) throw invalid('ticket.fields', 'an object of form fields (string values)', v.fields);
  const fields: Record<string, string> = {};
  for (const [k, x] of Object.entries(v.fields)) fields[k] = checkString(`ticket.fields.${k}`, x);
  const folderPath = checkString('ticket.folderPath', v.folderPath, { nonEmpty: true });
  const txnId = checkString('ticket.txnId', v.txnId, { nonEmpty: true });
  return { url, fields, folderPath, txnId };
}

function checkKeyLength(folderPath: string, files: NamedFile[]): void {
  for (const f of files) {
    if (Buffer.byteLength(folderPath + f.name) > MAX_KEY_BYTES) {
      throw new InvalidArgumentError(`the object key for ${JSON.stringify(f.name)} would be over S3's ${MAX_KEY_BYTES}-byte limit; use a shorter name`, { field: 'name', received: f.name });
    }
  }
}

function toNativeFiles(files: NamedFile[], resolved: ResolvedSource[]): NativeEkaFile[] {
  return files.map((f, i) => ({
    source: resolved[i].native,
    name: f.name,
    contentType: contentTypeFor(f.contentType, resolved[i], f.name),
    size: resolved[i].size,
  }));
}

const pickFile = (f: EkaUploadedFile): EkaUploadedFile => ({ key: f.key, size: f.size, md5: f.md5 });

export class EkaClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #engine: Engine | undefined;
  /** extraData JSON of each ticket this client presigned, for the engine's one re-presign. */
  readonly #extra = new WeakMap<object, string>();

  constructor(options: EkaClientOptions) {
    const o = checkClientOptions(VENDOR, options, ['token', 'baseUrl', 'engine']);
    this.#token = checkSecret('options.token', o.token);
    this.baseUrl = checkBaseUrl('options.baseUrl', o.baseUrl, EKA_DEFAULT_BASE_URL);
    this.#engine = checkClientEngine('options.engine', o.engine);
  }

  /** Asks for the transaction's upload policy. */
  presign(options: EkaPresignOptions): Promise<EkaTicket> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(options)) throw invalid('options', 'an options object { txnId, extraData? }', options);
      const common = checkCall('options', options, ['txnId', 'extraData']);
      const txnId = checkTxnId('options.txnId', options.txnId);
      const extraDataJson = checkExtraData('options.extraData', options.extraData);
      const r = await runTypedOp<'eka.presign', EkaTicket>(pickEngine(common, this.#engine), 'eka.presign', {
        baseUrl: this.baseUrl, token: this.#token, txnId, ...(extraDataJson !== undefined ? { extraDataJson } : {}),
      }, { vendor: VENDOR, site, signal: common.signal, job: common.job });
      const ticket: EkaTicket = { url: r.url, fields: { ...r.fields }, folderPath: r.folderPath, txnId: r.txnId };
      if (extraDataJson !== undefined) this.#extra.set(ticket, extraDataJson);
      return ticket;
    });
  }

  /** Posts one file or several into the ticket's folder; resolves `[{ key, size, md5 }]` in input order. */
  upload(ticket: EkaTicket, sources: EkaFile | EkaFile[], options?: VendorUploadOptions): Promise<EkaUploadedFile[]> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      const t = checkTicket(ticket);
      const files = checkFiles('sources', sources);
      checkKeyLength(t.folderPath, files.filter((f): f is NamedFile => f.name !== undefined));
      const common = checkUpload('options', options, []);
      const extraDataJson = isPlainObject(ticket) ? this.#extra.get(ticket) : undefined;
      return withSources(files.map((f) => f.source), common, async (resolved) => {
        const named = await nameFiles(files, resolved);
        checkKeyLength(t.folderPath, named);
        const r = await runTypedOp<'eka.upload', { files: EkaUploadedFile[] }>(pickEngine(common, this.#engine), 'eka.upload', {
          baseUrl: this.baseUrl, token: this.#token, ticket: t, ...(extraDataJson !== undefined ? { extraDataJson } : {}),
          files: toNativeFiles(named, resolved), concurrency: common.concurrency ?? EKA_DEFAULT_CONCURRENCY,
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
        return r.files.map(pickFile);
      }, nativeStreamOk(files));
    });
  }

  /** Presigns the transaction and posts every file: `{ txnId, folderPath, files }`. */
  uploadFiles(sources: EkaFile | EkaFile[], options: EkaUploadFilesOptions): Promise<EkaUploadFilesResult> {
    const site = new Error();
    return guard(VENDOR, site, async () => {
      if (!isPlainObject(options)) throw invalid('options', 'an options object { txnId, extraData?, ... }', options);
      const common = checkUpload('options', options, ['txnId', 'extraData']);
      const txnId = checkTxnId('options.txnId', options.txnId);
      const extraDataJson = checkExtraData('options.extraData', options.extraData);
      const files = checkFiles('sources', sources);
      return withSources(files.map((f) => f.source), common, async (resolved) => {
        const named = await nameFiles(files, resolved);
        const r = await runTypedOp<'eka.uploadFiles', EkaUploadFilesResult>(pickEngine(common, this.#engine), 'eka.uploadFiles', {
          baseUrl: this.baseUrl, token: this.#token, txnId, ...(extraDataJson !== undefined ? { extraDataJson } : {}),
          files: toNativeFiles(named, resolved), concurrency: common.concurrency ?? EKA_DEFAULT_CONCURRENCY,
        }, { vendor: VENDOR, site, signal: common.signal, onProgress: common.onProgress, job: common.job });
        return { txnId: r.txnId, folderPath: r.folderPath, files: r.files.map(pickFile) };
      }, nativeStreamOk(files));
    });
  }
}

/** An Eka Care client: `eka.client({ token, baseUrl? })`. */
export function client(options: EkaClientOptions): EkaClient {
  return construct(VENDOR, () => new EkaClient(options));
}
