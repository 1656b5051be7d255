// What an upload job holds in Redis and how a worker runs it. A job is
// `{ vendor, source, options }`: the vendor name, the source (the absolute path of a file
// every worker can read, or a URL source), and the vendor's non-secret call options (e.g.
// Plaud `fileType`, Kore `fileContext`, Eka `txnId`). Credentials never go into a job: the
// worker holds the clients. A URL source (its URL may carry a presigned signature or a
// token, its headers credentials) is sealed with AES-256-GCM under the queue's
// `journalKey` (the workers' key) before it reaches Redis; without a key it is refused.
import * as path from 'path';
import { InvalidArgumentError } from '../errors';
import { isSensitiveKey } from '../redact';
import { checkSource, invalid, isPlainObject, type Progress } from '../validate';
import { open, seal } from './store';
import type { JournalStore } from '../journal';
import type * as ekaNs from '../vendors/eka';
import type * as heifyNs from '../vendors/heify';
import type * as koreNs from '../vendors/kore';
import type * as plaudNs from '../vendors/plaud';
import type * as scripeNs from '../vendors/scripe';

export const QUEUE_VENDORS = ['eka', 'kore', 'plaud', 'scripe', 'heify'] as const;
export type QueueVendor = (typeof QUEUE_VENDORS)[number];

/** The vendor clients a worker holds (credentials stay in this process). */
export interface UploadClients {
  eka?: ekaNs.EkaClient;
  kore?: koreNs.KoreClient;
  plaud?: plaudNs.PlaudClient;
  scripe?: scripeNs.ScripeClient;
  heify?: heifyNs.HeifyClient;
}

/**
 * A URL source in a job: `{ url, headers?, size?, name?, contentType? }` given to add();
 * in Redis as `{ sealed, size?, name?, contentType? }` (url and headers sealed with the
 * journalKey). A worker also runs a clear `{ url, ... }` added by plain BullMQ.
 */
export interface QueueUrlSource {
  url?: string;
  headers?: Record<string, string>;
  /** url and headers, sealed (AES-256-GCM under the journalKey); set by add(). */
  sealed?: string;
  size?: number;
  name?: string;
  contentType?: string;
}

/** The data of an upload job, as stored in Redis. */
export interface UploadJobData {
  vendor: QueueVendor;
  /** Absolute path of the file on storage every worker sees, or a URL source. */
  source: string | QueueUrlSource;
  /** The vendor call's options, JSON only (no signal, onProgress, engine, journal or secret). */
  options?: Record<string, unknown>;
}

/** Options a worker sets itself; a job may not carry them. */
const WORKER_OWNED = new Set(['signal', 'onProgress', 'engine', 'journal', 'job']);
/** Options a vendor call requires, by vendor. */
const REQUIRED: Partial<Record<QueueVendor, string>> = { eka: 'txnId', kore: 'fileContext', heify: 'configurationId' };

function checkJson(field: string, v: unknown, depth: number): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(field, 'a finite number (job options are stored as JSON)', v);
    return;
  }
  if (depth > 8) throw invalid(field, 'JSON nested at most 8 levels deep', v);
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJson(`${field}[${i}]`, x, depth + 1));
    return;
  }
  if (!isPlainObject(v)) throw invalid(field, 'JSON data (strings, numbers, booleans, arrays, plain objects)', v);
  for (const [k, x] of Object.entries(v)) {
    if (isSensitiveKey(k)) {
      throw new InvalidArgumentError(`${field}.${k} looks like a credential; credentials never go into Redis: give them to the worker's clients instead`, {
        field: `${field}.${k}`, received: 'a secret-named field',
      });
    }
    checkJson(`${field}.${k}`, x, depth + 1);
  }
}

/** Where checkJobData runs: add() (seals URL sources) or a worker (opens them). */
export interface JobCheckContext {
  /** The journalKey (32 bytes) of the queue or the worker, when it has one. */
  sealKey?: Buffer;
  worker?: boolean;
}

const URL_META = ['size', 'name', 'contentType'] as const;

function urlMeta(src: Record<string, unknown>): Pick<QueueUrlSource, 'size' | 'name' | 'contentType'> {
  const out: Record<string, unknown> = {};
  for (const k of URL_META) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

/** A URL source checked like any source, then sealed (add) or opened (worker) as the key says. */
function checkUrlJobSource(v: Record<string, unknown>, ctx: JobCheckContext): QueueUrlSource {
  if (typeof v.sealed === 'string') {
    if (!ctx.worker) {
      throw new InvalidArgumentError('job.source.sealed is set by add(); give { url, headers?, size? }', { field: 'job.source.sealed', received: 'a sealed source' });
    }
    const text = ctx.sealKey ? open(ctx.sealKey, v.sealed) : undefined;
    if (text === undefined) {
      throw new InvalidArgumentError('job.source is a URL source sealed with a journalKey this worker does not have; give the worker the queue\'s journalKey', {
        field: 'job.source', received: 'a sealed URL source',
      });
    }
    const inner = JSON.parse(text) as Record<string, unknown>;
    checkSource('job.source', { ...inner, ...urlMeta(v) });
    return { ...(inner as { url: string; headers?: Record<string, string> }), ...urlMeta(v) };
  }
  const checked = checkSource('job.source', v);
  if (checked.kind !== 'url') throw invalid('job.source', 'the path of a file every worker can read, or { url, headers?, size? }', v);
  const meta = urlMeta(v);
  const hasHeaders = Object.keys(checked.headers).length > 0;
  if (ctx.worker) return { url: checked.url, ...(hasHeaders ? { headers: checked.headers } : {}), ...meta };
  if (!ctx.sealKey) {
    throw new InvalidArgumentError(
      "job.source is a URL source, and its URL and headers are secrets (a presigned signature, a token) that Redis must not hold in clear: give createUploadQueue the workers' journalKey, which seals them",
      { field: 'job.source', received: 'a URL source without a journalKey' },
    );
  }
  return { sealed: seal(ctx.sealKey, JSON.stringify({ url: checked.url, headers: checked.headers })), ...meta };
}

/**
 * Checks and normalises a job (the path is made absolute). On add() a URL source is sealed
 * (or refused when it carries a secret and there is no key); on a worker it is opened.
 */
export function checkJobData(v: unknown, ctx: JobCheckContext = {}): UploadJobData {
  if (!isPlainObject(v)) throw invalid('job', 'an object { vendor, source, options? }', v);
  const vendor = v.vendor;
  if (typeof vendor !== 'string' || !(QUEUE_VENDORS as readonly string[]).includes(vendor)) {
    throw invalid('job.vendor', `one of ${QUEUE_VENDORS.join(', ')}`, vendor);
  }
  let source: string | QueueUrlSource;
  if (typeof v.source === 'string' && v.source.length > 0 && !v.source.includes('\0')) {
    source = path.resolve(v.source);
  } else if (isPlainObject(v.source) && ('url' in v.source || 'sealed' in v.source)) {
    source = checkUrlJobSource(v.source, ctx);
  } else {
    throw invalid('job.source', 'the path of a file every worker can read (a non-empty string), or { url, headers?, size? }', v.source);
  }
  const options = v.options === undefined ? {} : v.options;
  if (!isPlainObject(options)) throw invalid('job.options', "a plain object of the vendor call's options", options);
  for (const k of Object.keys(options)) {
    if (WORKER_OWNED.has(k)) {
      throw new InvalidArgumentError(`job.options.${k} is set by the worker, not by a job; leave it out`, { field: `job.options.${k}`, received: k });
    }
  }
  checkJson('job.options', options, 0);
  const need = REQUIRED[vendor as QueueVendor];
  if (need && options[need] === undefined) {
    throw new InvalidArgumentError(`job.options.${need} is required for ${vendor} uploads`, { field: `job.options.${need}`, received: 'undefined' });
  }
  return { vendor: vendor as QueueVendor, source, options };
}

export interface RunContext {
  signal: AbortSignal;
  onProgress: (p: Progress) => void;
  /** Redis-backed resume journal (used by Plaud and by Kore's chunked flow). */
  journal: JournalStore;
}

/** Runs one job's upload with the worker's client; resolves the vendor result (JSON). */
export async function runJob(clients: UploadClients, data: UploadJobData, ctx: RunContext): Promise<unknown> {
  const opts = { ...(data.options ?? {}), signal: ctx.signal, onProgress: ctx.onProgress };
  // checkJobData (worker side) opened a sealed URL source: { url, headers?, size?, ... }
  const source = data.source as string;
  switch (data.vendor) {
    case 'plaud':
      return clients.plaud!.uploadFile(source, { ...opts, journal: ctx.journal } as plaudNs.PlaudUploadFileOptions);
    case 'kore':
      return clients.kore!.uploadFile(source, { ...opts, journal: ctx.journal } as unknown as koreNs.KoreUploadFileOptions);
    case 'eka':
      return clients.eka!.uploadFiles(source, opts as unknown as ekaNs.EkaUploadFilesOptions);
    case 'scripe':
      return clients.scripe!.uploadFile(source, opts as scripeNs.ScripeUploadFileOptions);
    case 'heify':
      return clients.heify!.uploadFile(source, opts as unknown as heifyNs.HeifyUploadFileOptions);
    default:
      throw invalid('job.vendor', `one of ${QUEUE_VENDORS.join(', ')}`, (data as { vendor: unknown }).vendor);
  }
}
