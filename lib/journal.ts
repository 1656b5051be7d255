// Resume journals: what a multipart (Plaud) or chunked (Kore) upload has done so far, so a
// later process can send only what is missing. A journal is a file path (written
// atomically: write to a temporary file, then rename) or a store object with async
// get/set/delete (one store = one upload's journal; back it with your own database).
// The journal is deleted once the upload completes.
// A journal file holds presigned part URLs with their signatures: it is written with mode
// 0600 (owner only), the temporary file too, so the mode holds across the rename.
// Every failure of the journal (a path that is a folder or cannot be written, a store
// whose get/set/delete throws) is an InvalidArgumentError for `options.journal` with the
// original error as `cause`.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { debug } from './debug';
import { InvalidArgumentError, UpliftError } from './errors';
import { invalid, isPlainObject } from './validate';

/** Mode of journal files: read and write for the owner only. */
export const JOURNAL_FILE_MODE = 0o600;

const FIELD = 'options.journal';

function journalFailure(option: JournalOption, action: string, cause: unknown): UpliftError {
  if (cause instanceof UpliftError) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const msg = cause instanceof Error ? cause.message : String(cause);
  const what = typeof option === 'string'
    ? `cannot ${action} the journal file ${option} (${typeof code === 'string' ? code : msg}); pass the path of a writable file (not a folder) whose folder exists`
    : `the journal store's ${action}() failed (${msg}); fix the store or pass another journal`;
  return new InvalidArgumentError(what, {
    field: FIELD, received: typeof option === 'string' ? `the path ${option}` : 'a store that throws', cause,
  });
}
import type { NormalizedSource } from './validate';
import type { ResolvedSource } from './source';

/** A key-less store holding one upload's journal as a string. */
export interface JournalStore {
  get(): Promise<string | undefined | null>;
  set(value: string): Promise<void>;
  delete(): Promise<void>;
}

/** A journal file path, or a store. */
export type JournalOption = string | JournalStore;

/** What identifies the bytes: path, size and mtime for files; size and SHA-256 for buffers. */
export interface Fingerprint {
  path?: string;
  size: number;
  mtimeMs?: number;
  sha256?: string;
  /** A URL source: its origin and path (never the query, which may carry a signature). */
  url?: string;
  /** A URL source: the ETag (else Last-Modified) its size probe saw. */
  validator?: string;
}

export interface JournalRecord {
  version: 1;
  vendor: string;
  fingerprint: Fingerprint;
  /** The vendor's presign answer (ticket or session) the parts belong to. */
  presign: Record<string, unknown>;
  /** Stored parts or chunks: number -> ETag ('' for chunk flows without ETags). */
  parts: Record<string, string>;
  /** Anything else the flow needs to finish (file type, chunk size, ...). */
  extra: Record<string, unknown>;
  createdAt: string;
}

function isStore(v: unknown): v is JournalStore {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as JournalStore;
  return typeof s.get === 'function' && typeof s.set === 'function' && typeof s.delete === 'function';
}

export function checkJournal(field: string, v: unknown): JournalOption {
  if (typeof v === 'string' && v.length > 0 && !v.includes('\0')) return v;
  if (isStore(v)) return v;
  throw invalid(field, 'a journal file path or an object with async get(), set(value) and delete()', v);
}

/**
 * The fingerprint of a source; undefined for streams (they cannot be resumed) and for URL
 * sources without a validator (given with `size`, so never probed: nothing tells a later run
 * that the object is the same).
 */
export function fingerprintOf(src: NormalizedSource, resolved: ResolvedSource): Fingerprint | undefined {
  if (src.kind === 'path') return { path: path.resolve(src.path), size: resolved.size, mtimeMs: resolved.mtimeMs };
  if (src.kind === 'buffer') return { size: src.buffer.byteLength, sha256: createHash('sha256').update(src.buffer).digest('hex') };
  if (src.kind === 'url' && resolved.native.kind === 'url') {
    const validator = resolved.native.etag ?? resolved.native.lastModified;
    if (validator === undefined) return undefined;
    const u = new URL(src.url);
    return { url: `${u.origin}${u.pathname}`, size: resolved.size, validator };
  }
  return undefined;
}

function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return a.size === b.size && a.path === b.path && a.mtimeMs === b.mtimeMs && a.sha256 === b.sha256 &&
    a.url === b.url && a.validator === b.validator;
}

export class Journal {
  readonly #option: JournalOption;
  #record: JournalRecord | undefined;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  #failed: unknown;

  constructor(option: JournalOption) {
    this.#option = option;
  }

  get record(): JournalRecord | undefined {
    return this.#record;
  }

  /** Reads the journal as it is (any vendor or fingerprint); undefined when empty or unreadable. */
  async read(): Promise<JournalRecord | undefined> {
    let text: string | undefined | null;
    if (typeof this.#option === 'string') {
      try {
        text = await fs.promises.readFile(this.#option, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw journalFailure(this.#option, 'read', e);
      }
    } else {
      try {
        text = await this.#option.get();
      } catch (e) {
        throw journalFailure(this.#option, 'get', e);
      }
    }
    if (text !== undefined && text !== null && typeof text !== 'string') {
      throw new InvalidArgumentError(`the journal store's get() must resolve a string or undefined; it resolved ${typeof text}`, { field: FIELD, received: typeof text });
    }
    if (!text) return undefined;
    try {
      const r = JSON.parse(text) as JournalRecord;
      return r && r.version === 1 && isPlainObject(r.fingerprint) && isPlainObject(r.parts) ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** The record for this vendor and these bytes, or undefined (a journal of other bytes is replaced). */
  async load(vendor: string, fp: Fingerprint): Promise<JournalRecord | undefined> {
    const r = await this.read();
    if (!r) return undefined;
    if (r.vendor !== vendor || !sameFingerprint(r.fingerprint, fp)) {
      debug(`journal holds another upload (${r.vendor}); starting over`);
      return undefined;
    }
    this.#record = r;
    return r;
  }

  async start(vendor: string, fp: Fingerprint, presign: Record<string, unknown>, extra: Record<string, unknown>): Promise<JournalRecord> {
    this.#record = { version: 1, vendor, fingerprint: fp, presign, parts: {}, extra, createdAt: new Date().toISOString() };
    await this.#write();
    return this.#record;
  }

  /** Records a stored part; writes are serialised and coalesced. */
  recordPart(partNumber: number, etag: string): void {
    if (!this.#record) return;
    this.#record.parts[String(partNumber)] = etag;
    this.#dirty = true;
    this.#writing = this.#writing.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      try {
        await this.#write();
      } catch (e) {
        this.#failed = e;
      }
    });
  }

  /** Waits for pending writes; rethrows a write failure. */
  async flush(): Promise<void> {
    await this.#writing;
    if (this.#failed) throw this.#failed;
  }

  async remove(): Promise<void> {
    await this.#writing.catch(() => {});
    this.#record = undefined;
    try {
      if (typeof this.#option === 'string') {
        await fs.promises.rm(this.#option, { force: true });
        await fs.promises.rm(`${this.#option}.tmp`, { force: true });
      } else {
        await this.#option.delete();
      }
    } catch (e) {
      throw journalFailure(this.#option, typeof this.#option === 'string' ? 'remove' : 'delete', e);
    }
  }

  async #write(): Promise<void> {
    const text = JSON.stringify(this.#record);
    try {
      if (typeof this.#option === 'string') {
        const tmp = `${this.#option}.tmp`;
        // mode applies when the file is created; chmod covers a .tmp left by an older run
        await fs.promises.writeFile(tmp, text, { mode: JOURNAL_FILE_MODE });
        await fs.promises.chmod(tmp, JOURNAL_FILE_MODE);
        await fs.promises.rename(tmp, this.#option);
      } else {
        await this.#option.set(text);
      }
    } catch (e) {
      throw journalFailure(this.#option, typeof this.#option === 'string' ? 'write' : 'set', e);
    }
  }
}
