// Redis keys uplift/queue adds next to BullMQ's, and the Redis-backed resume journal.
// Keys (prefix = BullMQ prefix, default 'bull'; queue = the vendor queue's name):
//   <prefix>:<queue>:uplift:journal:<jobId>  the job's resume journal (string; TTL 7 days)
//   <prefix>:<name>:uplift:cancelled:<jobId> a cancel marker (TTL 1 day)
//   <prefix>:<name>:uplift:cancel             pub/sub channel of cancel requests (job ids)
// A journal holds the vendor's presign answer, i.e. presigned part URLs. With a
// `journalKey` the value is sealed with AES-256-GCM (the key never leaves the processes
// that hold it), so Redis holds no usable URL.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'crypto';
import { InvalidArgumentError } from '../errors';
import type { JournalStore } from '../journal';

/** Seconds a journal lives in Redis after its last write. */
export const JOURNAL_TTL_SEC = 7 * 24 * 3600;
/** Seconds a cancel marker lives. */
export const CANCEL_TTL_SEC = 24 * 3600;

/** The few ioredis commands used here. */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ex: 'EX', seconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
  exists(key: string): Promise<number>;
  publish(channel: string, message: string): Promise<number>;
}

export const keys = {
  journal: (prefix: string, queue: string, jobId: string): string => `${prefix}:${queue}:uplift:journal:${jobId}`,
  cancelled: (prefix: string, name: string, jobId: string): string => `${prefix}:${name}:uplift:cancelled:${jobId}`,
  cancelChannel: (prefix: string, name: string): string => `${prefix}:${name}:uplift:cancel`,
};

/** 32 key bytes from `journalKey` (a Buffer of 32 bytes, or a passphrase of 16+ characters). */
export function checkJournalKey(v: unknown): Buffer | undefined {
  if (v === undefined) return undefined;
  if (Buffer.isBuffer(v) && v.length === 32) return Buffer.from(v);
  if (typeof v === 'string' && v.length >= 16) return createHash('sha256').update(v, 'utf8').digest();
  throw new InvalidArgumentError('options.journalKey must be a Buffer of 32 bytes or a passphrase of at least 16 characters (the same on every worker)', {
    field: 'options.journalKey', received: Buffer.isBuffer(v) ? `a Buffer of ${v.length} bytes` : typeof v === 'string' ? `a string of ${v.length} characters` : typeof v,
  });
}

const SEALED = 'uplift-sealed:v1:';

/** AES-256-GCM sealed text (journals, and URL sources in job data). */
export function seal(key: Buffer, text: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return SEALED + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
}

/** The text `seal` sealed, or undefined (another key, not sealed while a key is set, damaged). */
export function open(key: Buffer | undefined, stored: string): string | undefined {
  if (!stored.startsWith(SEALED)) return key ? undefined : stored; // a worker with a key ignores clear journals
  if (!key) return undefined;
  try {
    const raw = Buffer.from(stored.slice(SEALED.length), 'base64');
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  } catch {
    return undefined; // another key: the upload starts over
  }
}

/** The journal store of one job (what Plaud's and Kore's `journal` option takes). */
export function redisJournal(redis: RedisCommands, key: string, sealKey: Buffer | undefined): JournalStore {
  return {
    async get() {
      const v = await redis.get(key);
      return v === null ? undefined : open(sealKey, v);
    },
    async set(value: string) {
      await redis.set(key, sealKey ? seal(sealKey, value) : value, 'EX', JOURNAL_TTL_SEC);
    },
    async delete() {
      await redis.del(key);
    },
  };
}
