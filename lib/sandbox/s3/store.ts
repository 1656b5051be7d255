/**
 * What the strict S3 peer stores: buckets, objects (bytes in files under the peer's
 * folder, index in memory) and multipart uploads with their part files. Owned by one
 * peer; touched only from its event loop.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { StoredObject } from './types';

export interface ObjectRec extends StoredObject {
  file: string;
  lastModified: Date;
}

export interface PartRec {
  partNumber: number;
  /** quoted hex MD5 of the part */
  etag: string;
  md5Hex: string;
  /** bytes */
  size: number;
  file: string;
  lastModified: Date;
}

export interface Upload {
  id: string;
  bucket: string;
  key: string;
  contentType?: string;
  metadata: Record<string, string>;
  parts: Map<number, PartRec>;
  initiated: Date;
}

export class Store {
  readonly buckets = new Map<string, Date>();
  private readonly objectsByBucket = new Map<string, Map<string, ObjectRec>>();
  readonly uploads = new Map<string, Upload>();
  private seq = 0;

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await fsp.mkdir(path.join(this.dir, 'data'), { recursive: true });
  }

  /** A fresh file name under the peer's folder. */
  tempFile(): string {
    this.seq += 1;
    return path.join(this.dir, 'data', `${Date.now().toString(36)}-${this.seq}-${randomBytes(4).toString('hex')}`);
  }

  objectsOf(bucket: string): Map<string, ObjectRec> {
    let m = this.objectsByBucket.get(bucket);
    if (!m) {
      m = new Map();
      this.objectsByBucket.set(bucket, m);
    }
    return m;
  }

  getObject(bucket: string, key: string): ObjectRec | undefined {
    return this.objectsByBucket.get(bucket)?.get(key);
  }

  /** Every object, as copies without file paths, sorted by bucket then key. */
  list(): StoredObject[] {
    const out: StoredObject[] = [];
    for (const [, m] of [...this.objectsByBucket].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const o of [...m.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
        const { file: _file, lastModified: _lm, ...rest } = o;
        out.push({ ...rest, metadata: { ...rest.metadata } });
      }
    }
    return out;
  }

  /** Puts (or replaces) an object whose bytes are already in `rec.file`. */
  async putObject(rec: ObjectRec): Promise<void> {
    const m = this.objectsOf(rec.bucket);
    const old = m.get(rec.key);
    m.set(rec.key, rec);
    if (old) await fsp.rm(old.file, { force: true });
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    const m = this.objectsByBucket.get(bucket);
    const old = m?.get(key);
    if (!m || !old) return;
    m.delete(key);
    await fsp.rm(old.file, { force: true });
  }

  bucketEmpty(bucket: string): boolean {
    return (this.objectsByBucket.get(bucket)?.size ?? 0) === 0 && ![...this.uploads.values()].some((u) => u.bucket === bucket);
  }

  deleteBucket(bucket: string): void {
    this.buckets.delete(bucket);
    this.objectsByBucket.delete(bucket);
  }

  createUpload(bucket: string, key: string, contentType: string | undefined, metadata: Record<string, string>): Upload {
    const u: Upload = { id: randomBytes(24).toString('base64url'), bucket, key, contentType, metadata, parts: new Map(), initiated: new Date() };
    this.uploads.set(u.id, u);
    return u;
  }

  /** Drops the upload and every part file. */
  async dropUpload(u: Upload): Promise<void> {
    this.uploads.delete(u.id);
    await Promise.all([...u.parts.values()].map((p) => fsp.rm(p.file, { force: true })));
  }

  /**
   * Concatenates the given parts into one new file; returns it with the MD5 of the whole
   * bytes and the multipart ETag ("md5 of the binary part MD5s-N").
   */
  async assemble(parts: PartRec[]): Promise<{ file: string; size: number; md5Hex: string; etag: string }> {
    const file = this.tempFile();
    const whole = createHash('md5');
    const ofMd5s = createHash('md5');
    const ws = createWriteStream(file);
    let size = 0;
    try {
      for (const p of parts) {
        ofMd5s.update(Buffer.from(p.md5Hex, 'hex'));
        for await (const c of createReadStream(p.file)) {
          const b = c as Buffer;
          whole.update(b);
          size += b.length;
          if (!ws.write(b)) await new Promise<void>((r) => ws.once('drain', r));
        }
      }
      await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
    } catch (e) {
      ws.destroy();
      await fsp.rm(file, { force: true });
      throw e;
    }
    return { file, size, md5Hex: whole.digest('hex'), etag: `"${ofMd5s.digest('hex')}-${parts.length}"` };
  }
}
